//! Push mirrors: the plan repository kept up to date on other git remotes (a GitHub, GitLab or
//! Gitea repository, a backup host), so readers and backups scale on git hosting.
//!
//! **Config**: `<data>/mirrors.toml` beside the repository (it may hold credentials in URLs, so
//! it is never in the public repository): `[[mirror]] name = "…", url = "…"`.
//!
//! **What is pushed**: every branch (`+refs/heads/*`, so a proposal branch rewritten by its
//! author follows) and every tag **without force** (`refs/tags/*`): a remote that holds a round
//! tag never has it rewritten — a push that would is refused by the remote and reported as a
//! failure. A watcher task compares the repository's refs with what each mirror last received
//! and pushes when they differ (every [`Mirrors::interval`]); a failure is retried with
//! exponential back-off (2 s doubling to 5 min) and shown on the admin page. Pushes run the
//! `git` program (`git push`), off the async threads.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// One configured remote.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MirrorConfig {
    pub name: String,
    pub url: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    #[serde(default)]
    mirror: Vec<MirrorConfig>,
}

/// Where a mirror stands, as the admin page shows it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct MirrorStatus {
    pub name: String,
    /// The URL with any password replaced by `***`.
    pub url: String,
    /// Seconds since the epoch of the last push that succeeded.
    pub last_ok_at: Option<i64>,
    /// The last failure's message (cleared by a success).
    pub last_error: Option<String>,
    /// Failures in a row.
    pub failures: u32,
    /// The refs the mirror last received (`ref → commit`), how many.
    pub refs: usize,
}

struct State {
    config: MirrorConfig,
    status: MirrorStatus,
    pushed: BTreeMap<String, String>,
    next_try: Instant,
}

/// The mirrors of one repository. Cheap to clone.
#[derive(Clone)]
pub struct Mirrors {
    repo: PathBuf,
    states: Arc<Mutex<Vec<State>>>,
    pub interval: Duration,
}

/// `url` with the password of `user:password@` replaced.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let cred = &url[s + 3..at];
            match cred.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

impl Mirrors {
    /// The mirrors `<data>/mirrors.toml` configures (none when there is no file).
    pub fn load(data: &Path, repo: &Path) -> Result<Mirrors, String> {
        let path = data.join("mirrors.toml");
        let file: ConfigFile = match std::fs::read_to_string(&path) {
            Ok(text) => toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?,
            Err(_) => ConfigFile::default(),
        };
        let states = file
            .mirror
            .into_iter()
            .map(|config| State {
                status: MirrorStatus {
                    name: config.name.clone(),
                    url: redact(&config.url),
                    ..MirrorStatus::default()
                },
                config,
                pushed: BTreeMap::new(),
                next_try: Instant::now(),
            })
            .collect();
        Ok(Mirrors {
            repo: repo.to_path_buf(),
            states: Arc::new(Mutex::new(states)),
            interval: Duration::from_secs(2),
        })
    }

    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<State>> {
        self.states.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Every mirror's status.
    pub fn status(&self) -> Vec<MirrorStatus> {
        self.lock().iter().map(|s| s.status.clone()).collect()
    }

    /// Starts the watcher (on the current tokio runtime); does nothing without mirrors.
    pub fn spawn(&self) {
        if self.is_empty() {
            return;
        }
        let me = self.clone();
        tokio::spawn(async move {
            loop {
                me.round().await;
                tokio::time::sleep(me.interval).await;
            }
        });
    }

    /// One pass: pushes to every mirror that is due and behind.
    pub async fn round(&self) {
        let Ok(refs) = self.refs().await else {
            return;
        };
        let due: Vec<(usize, MirrorConfig)> = self
            .lock()
            .iter()
            .enumerate()
            .filter(|(_, s)| s.pushed != refs && Instant::now() >= s.next_try)
            .map(|(i, s)| (i, s.config.clone()))
            .collect();
        for (i, config) in due {
            let result = self.push(&config.url).await;
            let mut states = self.lock();
            let Some(s) = states.get_mut(i) else {
                continue;
            };
            match result {
                Ok(()) => {
                    s.pushed = refs.clone();
                    s.status.last_ok_at = Some(now());
                    s.status.last_error = None;
                    s.status.failures = 0;
                    s.status.refs = refs.len();
                    s.next_try = Instant::now();
                }
                Err(e) => {
                    s.status.failures += 1;
                    let wait = Duration::from_secs(2u64.saturating_pow(s.status.failures.min(9)))
                        .min(Duration::from_secs(300));
                    tracing::warn!(mirror = %s.config.name, error = %e, retry_in = ?wait, "mirror push failed");
                    s.status.last_error = Some(e);
                    s.next_try = Instant::now() + wait;
                }
            }
        }
    }

    /// The repository's branches and tags (`ref → object`).
    async fn refs(&self) -> Result<BTreeMap<String, String>, String> {
        let out = tokio::process::Command::new("git")
            .args([
                "for-each-ref",
                "--format=%(refname) %(objectname)",
                "refs/heads",
                "refs/tags",
            ])
            .env("GIT_DIR", &self.repo)
            .output()
            .await
            .map_err(|e| e.to_string())?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).into_owned());
        }
        Ok(String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.split_once(' '))
            .map(|(r, o)| (r.to_string(), o.to_string()))
            .collect())
    }

    async fn push(&self, url: &str) -> Result<(), String> {
        let out = tokio::process::Command::new("git")
            .args([
                "push",
                "--porcelain",
                url,
                "+refs/heads/*:refs/heads/*",
                "refs/tags/*:refs/tags/*",
            ])
            .env("GIT_DIR", &self.repo)
            .env("GIT_TERMINAL_PROMPT", "0")
            .output()
            .await
            .map_err(|e| e.to_string())?;
        if out.status.success() {
            Ok(())
        } else {
            let text = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            Err(redact_all(&text, url))
        }
    }
}

/// `text` without the credentials of `url`.
fn redact_all(text: &str, url: &str) -> String {
    text.replace(url, &redact(url))
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(20)
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_redacted() {
        assert_eq!(
            redact("https://bot:s3cret@github.com/ogp/plan.git"),
            "https://bot:***@github.com/ogp/plan.git"
        );
        assert_eq!(
            redact("git://127.0.0.1:9418/m.git"),
            "git://127.0.0.1:9418/m.git"
        );
        assert!(!redact_all(
            "fatal: https://bot:s3cret@x/y failed",
            "https://bot:s3cret@x/y"
        )
        .contains("s3cret"));
    }
}
