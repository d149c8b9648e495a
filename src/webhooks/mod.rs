//! Webhooks: configured URLs receive a signed JSON POST for each event of the plan (see
//! [`crate::workflow::activity`] for the events and [`delivery`] for the request).
//!
//! **Config**: `<data>/webhooks.toml` beside the repository (it holds secrets, so it is never
//! in the public repository):
//!
//! ```toml
//! base_url = "https://plan.example.org"   # links in messages; optional
//! [[webhook]]
//! name = "slack"
//! url = "https://hooks.slack.com/services/…"
//! secret = "a shared secret"             # the HMAC key
//! events = ["proposal.merged", "round.closed"]   # optional: every event when left out
//! ```
//!
//! The server refuses to start on a malformed file (unknown field or event, a URL that is not
//! http(s), a secret under 8 bytes, a name used twice), saying which hook and why.
//!
//! **How events flow**: a watcher compares the refs with the last [`Snapshot`] it handled
//! (every [`Webhooks::interval`]), turns the difference into events, queues one delivery per
//! hook that wants it and saves queue and snapshot together in `<data>/webhooks/outbox.json`
//! (written to a temporary file, then renamed): an event is queued exactly once, and queued
//! deliveries survive a restart. Each hook's queue is sent in order. A failure is retried
//! with exponential back-off (the first retry after `first_retry_ms`, default 2 s, doubling up
//! to 10 min); after `max_attempts` (default [`MAX_ATTEMPTS`]) the delivery is set aside as
//! failed, listed on the admin page, and can be sent again from there; the queue goes on
//! behind it. Both settings sit at the top of `webhooks.toml`.
//!
//! Owns the config, the outbox file and the delivery state; reads the repository through the
//! [`Store`]; knows nothing of HTTP serving.

pub mod delivery;

use std::collections::{BTreeMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::store::Store;
use crate::workflow::activity::{self, Snapshot, KINDS};

/// Attempts before a delivery is set aside as failed, unless `max_attempts` says otherwise
/// (with the default back-off, 15 attempts span about an hour).
pub const MAX_ATTEMPTS: u32 = 15;
/// The longest wait between two attempts.
pub const MAX_BACKOFF: Duration = Duration::from_secs(600);
/// Failed deliveries kept per hook (the oldest go first).
const KEEP_FAILED: usize = 100;
/// Successful deliveries listed per hook.
const KEEP_RECENT: usize = 20;

/// One configured receiver.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    pub name: String,
    pub url: String,
    pub secret: String,
    /// The events it wants (every one when empty).
    #[serde(default)]
    pub events: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    base_url: Option<String>,
    first_retry_ms: Option<u64>,
    max_attempts: Option<u32>,
    #[serde(default)]
    webhook: Vec<WebhookConfig>,
}

/// A delivery waiting, or set aside after failing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Delivery {
    /// The event's id (`X-Codraft-Delivery`).
    pub id: String,
    pub kind: String,
    /// The JSON body, exactly as signed and sent.
    pub body: String,
    pub attempts: u32,
    pub last_error: Option<String>,
    /// Seconds since the epoch.
    pub queued_at: i64,
}

/// What survives a restart.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Outbox {
    /// The refs as they stood when events were last queued.
    cursor: Option<Snapshot>,
    queues: BTreeMap<String, VecDeque<Delivery>>,
    failed: BTreeMap<String, Vec<Delivery>>,
}

/// A delivery that went through, as the admin page lists it.
#[derive(Debug, Clone, Serialize)]
pub struct Delivered {
    pub id: String,
    pub kind: String,
    pub status: u16,
    pub at: i64,
    pub attempts: u32,
}

/// Where a hook stands, as the admin page shows it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct WebhookStatus {
    pub name: String,
    /// The URL with any password (and the path of a Slack-style secret URL) hidden.
    pub url: String,
    pub events: Vec<String>,
    pub last_ok_at: Option<i64>,
    pub last_error: Option<String>,
    /// Failed attempts in a row.
    pub failures: u32,
    /// Seconds until the next attempt, when a failure is waiting for one.
    pub retry_in: Option<u64>,
    /// Deliveries waiting, oldest first.
    pub pending: Vec<Delivery>,
    /// Deliveries set aside after `max_attempts`, newest last.
    pub failed: Vec<Delivery>,
    /// The last successful deliveries, newest first.
    pub recent: Vec<Delivered>,
    pub delivered: u64,
}

struct Hook {
    config: WebhookConfig,
    status: WebhookStatus,
    next_try: Instant,
}

struct Inner {
    hooks: Vec<Hook>,
    outbox: Outbox,
}

/// The webhooks of one data directory. Cheap to clone.
#[derive(Clone)]
pub struct Webhooks {
    store: Store,
    file: PathBuf,
    base_url: String,
    first_retry: Duration,
    max_attempts: u32,
    client: Option<delivery::Client>,
    inner: Arc<Mutex<Inner>>,
    /// Serializes [`Webhooks::round`]s (the watcher and a redelivery may overlap).
    running: Arc<tokio::sync::Mutex<()>>,
    pub interval: Duration,
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// `url` as the admin page shows it: no password, and no path (a Slack or Discord webhook
/// URL's path is its secret).
fn redact(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return "***".into();
    };
    let rest = &url[scheme_end + 3..];
    let host_end = rest.find('/').unwrap_or(rest.len());
    let host = &rest[..host_end];
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    let path = if host_end < rest.len() { "/…" } else { "" };
    format!("{}{host}{path}", &url[..scheme_end + 3])
}

impl Webhooks {
    /// The webhooks `<data>/webhooks.toml` configures (none when there is no file), with the
    /// outbox a previous run left.
    pub fn load(data: &Path, store: Store) -> Result<Webhooks, String> {
        let path = data.join("webhooks.toml");
        let config: ConfigFile = match std::fs::read_to_string(&path) {
            Ok(text) => toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?,
            Err(_) => ConfigFile::default(),
        };
        if config.max_attempts.is_some_and(|n| !(1..=100).contains(&n)) {
            return Err(format!("{}: max_attempts must be 1 to 100", path.display()));
        }
        let mut names = std::collections::BTreeSet::new();
        for hook in &config.webhook {
            let problem = if !names.insert(hook.name.clone()) {
                Some("the name is used twice".to_string())
            } else if hook.name.trim().is_empty() {
                Some("the name is empty".into())
            } else if !(hook.url.starts_with("http://") || hook.url.starts_with("https://")) {
                Some("the url must start with http:// or https://".into())
            } else if hook.secret.len() < 8 {
                Some("the secret must be at least 8 bytes long".into())
            } else {
                hook.events
                    .iter()
                    .find(|e| !KINDS.contains(&e.as_str()))
                    .map(|e| format!("unknown event \"{e}\" (known: {})", KINDS.join(", ")))
            };
            if let Some(problem) = problem {
                return Err(format!(
                    "{}: webhook \"{}\": {problem}",
                    path.display(),
                    hook.name
                ));
            }
        }
        let file = data.join("webhooks").join("outbox.json");
        let mut outbox: Outbox = match std::fs::read(&file) {
            Ok(bytes) => {
                serde_json::from_slice(&bytes).map_err(|e| format!("{}: {e}", file.display()))?
            }
            Err(_) => Outbox::default(),
        };
        // Hooks no longer configured take their queues with them.
        outbox.queues.retain(|name, _| names.contains(name));
        outbox.failed.retain(|name, _| names.contains(name));
        let client = if config.webhook.is_empty() {
            None
        } else {
            Some(delivery::client()?)
        };
        let hooks = config
            .webhook
            .into_iter()
            .map(|config| Hook {
                status: WebhookStatus {
                    name: config.name.clone(),
                    url: redact(&config.url),
                    events: config.events.clone(),
                    ..WebhookStatus::default()
                },
                config,
                next_try: Instant::now(),
            })
            .collect();
        Ok(Webhooks {
            store,
            file,
            base_url: config.base_url.unwrap_or_default(),
            first_retry: Duration::from_millis(config.first_retry_ms.unwrap_or(2000)),
            max_attempts: config.max_attempts.unwrap_or(MAX_ATTEMPTS),
            client,
            inner: Arc::new(Mutex::new(Inner { hooks, outbox })),
            running: Arc::new(tokio::sync::Mutex::new(())),
            interval: Duration::from_secs(1),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn is_empty(&self) -> bool {
        self.lock().hooks.is_empty()
    }

    /// Every hook's status.
    pub fn status(&self) -> Vec<WebhookStatus> {
        let inner = self.lock();
        let now = Instant::now();
        inner
            .hooks
            .iter()
            .map(|h| {
                let mut s = h.status.clone();
                let name = &h.config.name;
                s.pending = inner
                    .outbox
                    .queues
                    .get(name)
                    .map_or_else(Vec::new, |q| q.iter().cloned().collect());
                s.failed = inner.outbox.failed.get(name).cloned().unwrap_or_default();
                s.retry_in = (h.status.failures > 0 && h.next_try > now)
                    .then(|| (h.next_try - now).as_secs());
                s
            })
            .collect()
    }

    /// Starts the watcher (on the current tokio runtime); does nothing without hooks.
    pub fn spawn(&self) {
        if self.is_empty() {
            return;
        }
        let me = self.clone();
        tokio::spawn(async move {
            loop {
                if let Err(e) = me.round().await {
                    tracing::warn!(error = %e, "webhooks: reading the repository failed");
                }
                tokio::time::sleep(me.interval).await;
            }
        });
    }

    /// Queues a failed delivery again, at the end of its hook's queue, and tries it at once.
    pub async fn redeliver(&self, hook: &str, id: &str) -> Result<(), RedeliverError> {
        {
            let _one_at_a_time = self.running.lock().await;
            self.requeue(hook, id)?;
            self.save().await.map_err(RedeliverError::Save)?;
        }
        let _ = self.round().await;
        Ok(())
    }

    fn requeue(&self, hook: &str, id: &str) -> Result<(), RedeliverError> {
        let mut inner = self.lock();
        let Some(h) = inner.hooks.iter_mut().find(|h| h.config.name == hook) else {
            return Err(RedeliverError::UnknownHook);
        };
        h.next_try = Instant::now();
        let failed = inner.outbox.failed.entry(hook.to_string()).or_default();
        let Some(i) = failed.iter().position(|d| d.id == id) else {
            return Err(RedeliverError::UnknownDelivery);
        };
        let mut d = failed.remove(i);
        d.attempts = 0;
        inner
            .outbox
            .queues
            .entry(hook.to_string())
            .or_default()
            .push_back(d);
        Ok(())
    }

    /// Writes the outbox (a temporary file, synced, then renamed), off the async threads.
    /// Callers hold `running`, so writes happen in the order the state changed.
    async fn save(&self) -> Result<(), String> {
        let bytes = serde_json::to_vec(&self.lock().outbox).expect("the outbox serializes");
        let file = self.file.clone();
        tokio::task::spawn_blocking(move || {
            let dir = file.parent().expect("the outbox is in a folder");
            let tmp = file.with_extension("json.tmp");
            std::fs::create_dir_all(dir)
                .and_then(|()| std::fs::write(&tmp, bytes))
                .and_then(|()| std::fs::File::open(&tmp)?.sync_all())
                .and_then(|()| std::fs::rename(&tmp, &file))
                .map_err(|e| format!("{}: {e}", file.display()))
        })
        .await
        .map_err(|e| e.to_string())?
    }

    /// One pass: queues the events since the last pass, then sends what is due.
    pub async fn round(&self) -> Result<(), String> {
        let _one_at_a_time = self.running.lock().await;
        self.queue_new_events().await?;
        self.send_due().await;
        Ok(())
    }

    async fn queue_new_events(&self) -> Result<(), String> {
        let snapshot = self
            .store
            .read(activity::snapshot)
            .await
            .map_err(|e| e.to_string())?;
        let cursor = self.lock().outbox.cursor.clone();
        let Some(cursor) = cursor else {
            // First run: what happened before webhooks were set up is not news.
            self.lock().outbox.cursor = Some(snapshot);
            return self.save().await;
        };
        if cursor == snapshot {
            return Ok(());
        }
        let new = snapshot.clone();
        let events = self
            .store
            .read(move |repo| activity::between(repo, &cursor, &new))
            .await
            .map_err(|e| e.to_string())?;
        {
            let mut inner = self.lock();
            let Inner { hooks, outbox } = &mut *inner;
            for event in &events {
                let body = delivery::body(event, &self.base_url);
                for h in hooks.iter() {
                    let wants = h.config.events.is_empty() || h.config.events.contains(&event.kind);
                    if wants {
                        outbox
                            .queues
                            .entry(h.config.name.clone())
                            .or_default()
                            .push_back(Delivery {
                                id: event.id.clone(),
                                kind: event.kind.clone(),
                                body: body.clone(),
                                attempts: 0,
                                last_error: None,
                                queued_at: now(),
                            });
                    }
                }
            }
            outbox.cursor = Some(snapshot);
        }
        if !events.is_empty() {
            tracing::info!(events = events.len(), "webhooks: events queued");
        }
        self.save().await
    }

    async fn send_due(&self) {
        let Some(client) = &self.client else { return };
        let due: Vec<WebhookConfig> = {
            let inner = self.lock();
            let now = Instant::now();
            inner
                .hooks
                .iter()
                .filter(|h| {
                    now >= h.next_try
                        && inner
                            .outbox
                            .queues
                            .get(&h.config.name)
                            .is_some_and(|q| !q.is_empty())
                })
                .map(|h| h.config.clone())
                .collect()
        };
        for config in due {
            loop {
                let front = self
                    .lock()
                    .outbox
                    .queues
                    .get(&config.name)
                    .and_then(|q| q.front().cloned());
                let Some(d) = front else { break };
                let result =
                    delivery::send(client, &config.url, &config.secret, &d.kind, &d.id, &d.body)
                        .await;
                let ok = result.is_ok();
                {
                    let mut inner = self.lock();
                    let Inner { hooks, outbox } = &mut *inner;
                    let Some(hook) = hooks.iter_mut().find(|h| h.config.name == config.name) else {
                        break;
                    };
                    let queue = outbox.queues.entry(config.name.clone()).or_default();
                    match result {
                        Ok(status) => {
                            let d = queue.pop_front().expect("the delivery just sent");
                            let s = &mut hook.status;
                            s.last_ok_at = Some(now());
                            s.last_error = None;
                            s.failures = 0;
                            s.delivered += 1;
                            s.recent.insert(
                                0,
                                Delivered {
                                    id: d.id,
                                    kind: d.kind,
                                    status,
                                    at: now(),
                                    attempts: d.attempts + 1,
                                },
                            );
                            s.recent.truncate(KEEP_RECENT);
                        }
                        Err(e) => {
                            let s = &mut hook.status;
                            s.failures += 1;
                            let wait = self
                                .first_retry
                                .saturating_mul(2u32.saturating_pow(s.failures.min(20) - 1))
                                .min(MAX_BACKOFF);
                            tracing::warn!(webhook = %config.name, delivery = %d.id, error = %e, retry_in = ?wait, "webhook delivery failed");
                            s.last_error = Some(e.clone());
                            hook.next_try = Instant::now() + wait;
                            let front = queue.front_mut().expect("the delivery just sent");
                            front.attempts += 1;
                            front.last_error = Some(e);
                            if front.attempts >= self.max_attempts {
                                let d = queue.pop_front().expect("the delivery just sent");
                                let failed = outbox.failed.entry(config.name.clone()).or_default();
                                failed.push(d);
                                if failed.len() > KEEP_FAILED {
                                    failed.remove(0);
                                }
                            }
                        }
                    }
                }
                if let Err(e) = self.save().await {
                    tracing::error!(error = %e, "webhooks: the outbox could not be saved");
                }
                if !ok {
                    break;
                }
            }
        }
    }
}

/// Why a redelivery was refused.
#[derive(Debug, thiserror::Error)]
pub enum RedeliverError {
    #[error("no webhook is called so")]
    UnknownHook,
    #[error("that webhook has no failed delivery with this id")]
    UnknownDelivery,
    #[error("the outbox could not be saved: {0}")]
    Save(String),
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn urls_lose_passwords_and_secret_paths() {
        assert_eq!(
            redact("https://hooks.slack.com/services/T0/B0/XyZ"),
            "https://hooks.slack.com/…"
        );
        assert_eq!(
            redact("http://user:pw@127.0.0.1:9/hook"),
            "http://127.0.0.1:9/…"
        );
        assert_eq!(redact("http://127.0.0.1:9"), "http://127.0.0.1:9");
    }
}
