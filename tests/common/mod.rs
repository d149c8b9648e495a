//! Shared by the integration tests: a demo data directory and a real server on a real port.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;

use codraft::workflow::setup;

pub mod api;
pub mod routes;
pub mod web;

/// A fresh demo data directory (built by the same code as `codraft demo`).
pub fn demo_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    assert!(setup::demo(dir.path()).unwrap());
    dir
}

/// Starts the server for `data_dir` on an ephemeral loopback port; returns its base URL.
pub async fn start_server(data_dir: &Path) -> String {
    start_server_with(data_dir, codraft::workflow::live::Limits::default()).await
}

/// [`start_server`] with other limits for live documents.
pub async fn start_server_with(data_dir: &Path, limits: codraft::workflow::live::Limits) -> String {
    let app = codraft::web::app_serving(data_dir, limits).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        let _ = tcp.set_nodelay(true);
    });
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap()
    });
    format!("http://{addr}")
}

/// Runs the plain `git` CLI (the independent client) and returns its stdout.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "Test")
        .env("GIT_AUTHOR_EMAIL", "test@example.org")
        .env("GIT_COMMITTER_NAME", "Test")
        .env("GIT_COMMITTER_EMAIL", "test@example.org")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The git CLI as a person pushing over HTTP would run it (李佳穎 as author and committer, no
/// prompt for credentials): whether it succeeded, and its output and error text together.
pub fn git_as_person(dir: &Path, args: &[&str]) -> (bool, String) {
    git_as(dir, args, ("李佳穎", "chiaying.li@example.org"))
}

/// [`git_as_person`] as `who` (name, email).
pub fn git_as(dir: &Path, args: &[&str], who: (&str, &str)) -> (bool, String) {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .env("GIT_AUTHOR_NAME", who.0)
        .env("GIT_AUTHOR_EMAIL", who.1)
        .env("GIT_COMMITTER_NAME", who.0)
        .env("GIT_COMMITTER_EMAIL", who.1)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// Clones a data directory's repository with the git CLI into `into/clone`.
pub fn clone(data_dir: &Path, into: &Path) -> PathBuf {
    let repo = setup::repo_path(data_dir);
    git(into, &["clone", "-q", repo.to_str().unwrap(), "clone"]);
    into.join("clone")
}

/// GETs `url`, checks the answer is JSON, and returns the status and the value.
pub async fn get_json(url: &str) -> (reqwest::StatusCode, serde_json::Value) {
    let r = reqwest::get(url).await.unwrap();
    let status = r.status();
    assert!(
        r.headers()[reqwest::header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("application/json"),
        "{url} is not JSON"
    );
    (status, r.json().await.unwrap())
}

/// Checks that `body` is the API's error shape with `code` and a message.
pub fn assert_error(body: &serde_json::Value, code: &str) {
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{body}"
    );
}

/// `codraft serve` running as its own process (a real program: its git hooks run `codraft`,
/// and it can be killed with SIGKILL); the process is killed when this is dropped.
pub struct ServeProcess {
    pub child: std::process::Child,
    pub base: String,
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `codraft serve` on the data directory `dir` on a free port; its log goes to
/// `dir/server-<port>.log`.
pub fn serve_process(dir: &Path) -> ServeProcess {
    serve_process_with(dir, &[])
}

/// [`serve_process`] with more flags for `codraft serve`.
pub fn serve_process_with(dir: &Path, flags: &[&str]) -> ServeProcess {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_codraft"))
        .args([
            "serve",
            "--data",
            dir.to_str().unwrap(),
            "--listen",
            &format!("127.0.0.1:{port}"),
        ])
        .args(flags)
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(dir.join(format!("server-{port}.log"))).unwrap())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    for _ in 0..200 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return ServeProcess { child, base };
        }
        std::thread::sleep(std::time::Duration::from_millis(25));
    }
    let mut child = child;
    let _ = child.kill();
    let _ = child.wait();
    panic!("codraft serve did not start");
}

/// Opens an empty proposal as `token`'s user and returns its branch.
pub async fn open_proposal(base: &str, token: &str) -> String {
    let p: serde_json::Value = reqwest::Client::new()
        .post(format!("{base}/api/proposals"))
        .bearer_auth(token)
        .json(&serde_json::json!({"title": "Live drafting"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    p["branch"]
        .as_str()
        .unwrap_or_else(|| panic!("{p}"))
        .to_string()
}

/// xorshift64*: a tiny deterministic pseudo-random generator, the same sequence on every run.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}
