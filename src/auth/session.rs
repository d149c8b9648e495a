//! Web login state, in memory: [`Sessions`] (who is signed in, with a CSRF token each),
//! [`csrf_matches`], and [`LoginLimiter`] (slows down password guessing). All of it is lost on
//! restart, which only signs people out. Every method that depends on time has an `_at` form
//! or takes `now`, so tests pass the time in instead of sleeping.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use subtle::ConstantTimeEq;

use super::{secret, AuthError};

/// A session ends after this long without a request…
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(12 * 3600);
/// …and this long after sign-in in any case.
pub const ABSOLUTE_TIMEOUT: Duration = Duration::from_secs(7 * 24 * 3600);

/// A signed-in browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub user_id: String,
    /// Must come back with every form that changes something ([`csrf_matches`]).
    pub csrf: String,
    /// When the session ends unless it is used again (never later than the absolute limit).
    pub expires: Instant,
}

struct Entry {
    user_id: String,
    csrf: String,
    created: Instant,
    last_seen: Instant,
}

/// The signed-in sessions. Keys are the SHA-256 of the session tokens, so the map itself holds
/// nothing a cookie could be made from. Cheap to clone, `Send + Sync`, fast (no I/O).
#[derive(Clone)]
pub struct Sessions {
    inner: Arc<SessionsInner>,
}

struct SessionsInner {
    idle: Duration,
    absolute: Duration,
    map: Mutex<HashMap<String, Entry>>,
}

impl Default for Sessions {
    fn default() -> Sessions {
        Sessions::with_timeouts(IDLE_TIMEOUT, ABSOLUTE_TIMEOUT)
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Sessions {
    /// Sessions with the default timeouts (12 hours idle, 7 days in all).
    pub fn new() -> Sessions {
        Sessions::default()
    }

    pub fn with_timeouts(idle: Duration, absolute: Duration) -> Sessions {
        Sessions {
            inner: Arc::new(SessionsInner {
                idle,
                absolute,
                map: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// Signs `user_id` in: returns the session token (for the cookie) and the CSRF token
    /// (for forms), both 32 random bytes in hex.
    pub fn create(&self, user_id: &str) -> Result<(String, String), AuthError> {
        self.create_at(user_id, Instant::now())
    }

    pub fn create_at(&self, user_id: &str, now: Instant) -> Result<(String, String), AuthError> {
        let token = secret::hex(&secret::random_bytes::<32>()?);
        let csrf = secret::hex(&secret::random_bytes::<32>()?);
        let mut map = lock(&self.inner.map);
        map.retain(|_, e| self.expires(e) > now);
        map.insert(
            secret::sha256_hex(&token),
            Entry {
                user_id: user_id.to_string(),
                csrf: csrf.clone(),
                created: now,
                last_seen: now,
            },
        );
        Ok((token, csrf))
    }

    fn expires(&self, e: &Entry) -> Instant {
        (e.last_seen + self.inner.idle).min(e.created + self.inner.absolute)
    }

    /// The live session of a token, which this use keeps alive; an expired one is removed.
    pub fn get(&self, token: &str) -> Option<Session> {
        self.get_at(token, Instant::now())
    }

    pub fn get_at(&self, token: &str, now: Instant) -> Option<Session> {
        let key = secret::sha256_hex(token);
        let mut map = lock(&self.inner.map);
        let entry = map.get_mut(&key)?;
        if self.expires(entry) <= now {
            map.remove(&key);
            return None;
        }
        entry.last_seen = now;
        Some(Session {
            user_id: entry.user_id.clone(),
            csrf: entry.csrf.clone(),
            expires: self.expires(entry),
        })
    }

    /// Signs a session out.
    pub fn remove(&self, token: &str) {
        lock(&self.inner.map).remove(&secret::sha256_hex(token));
    }

    /// Signs a user out everywhere (e.g. after a password change).
    pub fn remove_user(&self, user_id: &str) {
        lock(&self.inner.map).retain(|_, e| e.user_id != user_id);
    }
}

/// Whether the CSRF token a form sent is the session's, compared in constant time. An empty
/// expected token matches nothing.
pub fn csrf_matches(expected: &str, given: &str) -> bool {
    !expected.is_empty() && bool::from(expected.as_bytes().ct_eq(given.as_bytes()))
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Login(String),
    Addr(IpAddr),
}

/// Counts failed sign-ins per login name and per client address; after `max_failures` within
/// `window` (default 10 in 15 minutes) for either, sign-in is refused until the oldest of those
/// failures is `window` old. Per name, this stops guessing one person's password from many
/// addresses (at the price that anyone can lock a name for 15 minutes); per address, guessing
/// many names from one place. IPv6 addresses count per /64, which one host usually has whole.
///
/// Use: [`check`](LoginLimiter::check) before verifying a password (refused: answer without
/// verifying), [`failed`](LoginLimiter::failed) after a wrong one,
/// [`succeeded`](LoginLimiter::succeeded) after a right one (clears that name's count). In
/// memory, bounded: at most `max_failures` instants per key, old keys dropped.
pub struct LoginLimiter {
    max_failures: usize,
    window: Duration,
    failures: Mutex<HashMap<Key, VecDeque<Instant>>>,
}

impl Default for LoginLimiter {
    fn default() -> LoginLimiter {
        LoginLimiter::new(10, Duration::from_secs(15 * 60))
    }
}

fn keys(login: &str, addr: IpAddr) -> [Key; 2] {
    let addr = match addr {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6((u128::from(v6) & !0u128 << 64).into()),
        },
        v4 => v4,
    };
    [Key::Login(login.trim().to_lowercase()), Key::Addr(addr)]
}

impl LoginLimiter {
    pub fn new(max_failures: usize, window: Duration) -> LoginLimiter {
        LoginLimiter {
            max_failures: max_failures.max(1),
            window,
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// `Err(wait)` when this login name or address has failed too often lately.
    pub fn check(&self, login: &str, addr: IpAddr, now: Instant) -> Result<(), Duration> {
        let map = lock(&self.failures);
        let wait = keys(login, addr)
            .iter()
            .filter_map(|k| map.get(k))
            .filter_map(|times| {
                let recent: Vec<&Instant> = times
                    .iter()
                    .filter(|t| now.saturating_duration_since(**t) < self.window)
                    .collect();
                (recent.len() >= self.max_failures)
                    .then(|| (*recent[0] + self.window).saturating_duration_since(now))
            })
            .max();
        match wait {
            Some(wait) => Err(wait.max(Duration::from_secs(1))),
            None => Ok(()),
        }
    }

    pub fn failed(&self, login: &str, addr: IpAddr, now: Instant) {
        let mut map = lock(&self.failures);
        if map.len() > 4096 {
            let window = self.window;
            map.retain(|_, times| {
                times
                    .back()
                    .is_some_and(|t| now.saturating_duration_since(*t) < window)
            });
        }
        for key in keys(login, addr) {
            let times = map.entry(key).or_default();
            times.push_back(now);
            while times.len() > self.max_failures {
                times.pop_front();
            }
        }
    }

    /// Counts one submission from `addr` (its /64 for IPv6) and refuses it, `Err(wait)`, when
    /// the address already made `max_failures` within the window: the same sliding window used
    /// as a rate limit on what anyone may send without an account (public input).
    pub fn take(&self, addr: IpAddr, now: Instant) -> Result<(), Duration> {
        self.peek(addr, now)?;
        let [_, key] = keys("", addr);
        let mut map = lock(&self.failures);
        if map.len() > 4096 {
            let window = self.window;
            map.retain(|_, times| {
                times
                    .back()
                    .is_some_and(|t| now.saturating_duration_since(*t) < window)
            });
        }
        map.entry(key).or_default().push_back(now);
        Ok(())
    }

    /// What [`take`](LoginLimiter::take) would answer, counting nothing: check first, take
    /// once the submission succeeded, so refused submissions do not count.
    pub fn peek(&self, addr: IpAddr, now: Instant) -> Result<(), Duration> {
        let [_, key] = keys("", addr);
        let mut map = lock(&self.failures);
        let times = map.entry(key).or_default();
        while times
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) >= self.window)
        {
            times.pop_front();
        }
        if times.len() >= self.max_failures {
            let wait = (times[0] + self.window).saturating_duration_since(now);
            return Err(wait.max(Duration::from_secs(1)));
        }
        Ok(())
    }

    pub fn succeeded(&self, login: &str) {
        let [key, _] = keys(login, IpAddr::from([0, 0, 0, 0]));
        lock(&self.failures).remove(&key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: Duration = Duration::from_secs(3600);

    #[test]
    fn take_limits_each_address_in_a_sliding_window() {
        let l = LoginLimiter::new(2, Duration::from_secs(60));
        let t0 = Instant::now();
        let a: IpAddr = [10, 0, 0, 1].into();
        let b: IpAddr = [10, 0, 0, 2].into();
        assert!(l.take(a, t0).is_ok());
        assert!(l.take(a, t0 + Duration::from_secs(1)).is_ok());
        let wait = l.take(a, t0 + Duration::from_secs(2)).unwrap_err();
        assert_eq!(wait, Duration::from_secs(58));
        assert!(
            l.take(b, t0 + Duration::from_secs(2)).is_ok(),
            "per address"
        );
        assert!(
            l.take(a, t0 + Duration::from_secs(60)).is_ok(),
            "the window slides"
        );
    }

    #[test]
    fn sessions_live_while_used_and_end_idle_or_at_the_absolute_limit() {
        let sessions = Sessions::new();
        let t0 = Instant::now();
        let (token, csrf) = sessions.create_at("wang", t0).unwrap();
        assert_ne!(token, csrf);
        let s = sessions.get_at(&token, t0 + 11 * HOUR).unwrap();
        assert_eq!(
            (s.user_id.as_str(), s.csrf.as_str()),
            ("wang", csrf.as_str())
        );
        assert_eq!(s.expires, t0 + 23 * HOUR, "kept alive by use");
        assert!(sessions.get_at("not the token", t0).is_none());
        // Used every 11 hours, it still ends 7 days after sign-in.
        let mut t = t0;
        while t + 11 * HOUR < t0 + ABSOLUTE_TIMEOUT {
            t += 11 * HOUR;
            assert!(sessions.get_at(&token, t).is_some(), "{:?}", t - t0);
        }
        assert!(sessions.get_at(&token, t0 + ABSOLUTE_TIMEOUT).is_none());
        assert!(
            sessions.get_at(&token, t0).is_none(),
            "removed once expired"
        );

        let (idle, _) = sessions.create_at("li", t0).unwrap();
        assert!(sessions.get_at(&idle, t0 + IDLE_TIMEOUT).is_none());
    }

    #[test]
    fn sessions_are_removed_singly_or_by_user_and_keyed_by_hash() {
        let sessions = Sessions::new();
        let (a, _) = sessions.create("wang").unwrap();
        let (b, _) = sessions.create("wang").unwrap();
        let (c, _) = sessions.create("li").unwrap();
        assert!(!lock(&sessions.inner.map).contains_key(&a));
        sessions.remove(&a);
        assert!(sessions.get(&a).is_none() && sessions.get(&b).is_some());
        sessions.remove_user("wang");
        assert!(sessions.get(&b).is_none() && sessions.get(&c).is_some());
    }

    #[test]
    fn csrf_tokens_must_match_exactly() {
        assert!(csrf_matches("abc123", "abc123"));
        assert!(!csrf_matches("abc123", "abc124"));
        assert!(!csrf_matches("abc123", "abc12"));
        assert!(!csrf_matches("abc123", ""));
        assert!(!csrf_matches("", ""));
    }

    #[test]
    fn the_limiter_refuses_after_too_many_failures_for_a_while() {
        let limiter = LoginLimiter::default();
        let t0 = Instant::now();
        let home: IpAddr = "192.0.2.1".parse().unwrap();
        let other: IpAddr = "198.51.100.7".parse().unwrap();
        for i in 0..10 {
            assert_eq!(limiter.check("wang", home, t0), Ok(()), "{i}");
            limiter.failed("Wang", home, t0 + Duration::from_secs(i));
        }
        let now = t0 + Duration::from_secs(60);
        assert_eq!(
            limiter.check("wang", other, now),
            Err(Duration::from_secs(15 * 60 - 60)),
            "the name is locked from any address"
        );
        assert!(
            limiter.check("li", home, now).is_err(),
            "and the address for any name"
        );
        assert_eq!(limiter.check("li", other, now), Ok(()));
        let later = t0 + Duration::from_secs(15 * 60 + 1);
        assert_eq!(
            limiter.check("wang", home, later),
            Ok(()),
            "the oldest aged out"
        );

        // A success clears the name, not the address.
        limiter.succeeded("wang");
        assert_eq!(limiter.check("wang", other, now), Ok(()));
        assert!(limiter.check("wang", home, now).is_err());
    }

    #[test]
    fn ipv6_counts_per_64() {
        let limiter = LoginLimiter::new(2, HOUR);
        let t0 = Instant::now();
        limiter.failed("a", "2001:db8::1".parse().unwrap(), t0);
        limiter.failed("b", "2001:db8::2".parse().unwrap(), t0);
        assert!(limiter
            .check("c", "2001:db8::ffff".parse().unwrap(), t0)
            .is_err());
        assert!(limiter
            .check("c", "2001:db8:0:1::1".parse().unwrap(), t0)
            .is_ok());
    }
}
