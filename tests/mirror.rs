//! Push mirrors: the plan repository pushed to a second bare repository served by `git daemon`
//! on loopback. The mirror receives the demo's branches and round tags, then a merge made through
//! the API and a new round tag; a round tag rewritten on the server is never force-pushed — the
//! mirror keeps the original and the admin page and JSON show the failure.

mod common;

use std::path::Path;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::Value;

use codraft::auth::Accounts;
use codraft::workflow::setup;
use common::web::Web;

struct Daemon(Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn rev(repo: &Path, name: &str) -> Option<String> {
    let out = Command::new("git")
        .args(["rev-parse", "--verify", "-q", name])
        .env("GIT_DIR", repo)
        .output()
        .unwrap();
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Waits until `f` holds (the mirror is pushed every 2 s).
async fn eventually(what: &str, f: impl Fn() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "{what}: not within 60 s"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn a_mirror_receives_merges_and_round_tags_and_never_a_rewritten_tag() {
    let dir = common::web::demo_with_accounts();
    let hosting = tempfile::tempdir().unwrap();
    let mirror = hosting.path().join("mirror.git");
    common::git(hosting.path(), &["init", "-q", "--bare", "mirror.git"]);
    let port = free_port();
    // `git-daemon` itself (not `git daemon`, whose child would outlive a kill), with its output
    // closed so nothing holds the test's pipes open.
    let exec_path = common::git(hosting.path(), &["--exec-path"]);
    let daemon = Daemon(
        Command::new(Path::new(exec_path.trim()).join("git-daemon"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .args([
                "--reuseaddr",
                "--export-all",
                "--enable=receive-pack",
                "--listen=127.0.0.1",
                &format!("--port={port}"),
                &format!("--base-path={}", hosting.path().display()),
                &hosting.path().display().to_string(),
            ])
            .spawn()
            .unwrap(),
    );
    std::fs::write(
        dir.path().join("mirrors.toml"),
        format!("[[mirror]]\nname = \"backup\"\nurl = \"git://127.0.0.1:{port}/mirror.git\"\n"),
    )
    .unwrap();
    let base = common::start_server(dir.path()).await;
    let repo = setup::repo_path(dir.path());

    // The demo: main, records and the round tags.
    let main = rev(&repo, "main").unwrap();
    eventually("main mirrored", || {
        rev(&mirror, "main").as_deref() == Some(main.as_str())
    })
    .await;
    for r in ["rounds/msf-1", "rounds/msf-2"] {
        assert_eq!(rev(&mirror, r), rev(&repo, r), "{r}");
    }
    assert_eq!(rev(&mirror, "records"), rev(&repo, "records"));

    // A merge through the API reaches the mirror.
    let accounts = Accounts::open(dir.path()).unwrap();
    let text = common::git(
        &repo,
        &["show", "main:commitments/c04-information-access/zh-TW.md"],
    )
    .replace("金額俟年度預算核定後補充。", "2021年度新臺幣120萬元。");
    common::api::propose_approve_merge(
        &base,
        &accounts,
        "補充預算",
        "c04-information-access",
        &text,
    )
    .await;
    let merged = rev(&repo, "main").unwrap();
    assert_ne!(merged, main);
    eventually("the merge mirrored", || {
        rev(&mirror, "main").as_deref() == Some(merged.as_str())
    })
    .await;

    // A new round tag reaches it too.
    common::git(
        &repo,
        &["tag", "-a", "-m", "Round: test-9", "rounds/test-9", "main"],
    );
    let tag = rev(&repo, "rounds/test-9").unwrap();
    eventually("the tag mirrored", || {
        rev(&mirror, "rounds/test-9").as_deref() == Some(tag.as_str())
    })
    .await;

    // Rewritten on the server, the tag is not force-pushed: the mirror keeps it, the admin
    // page says the mirror is failing.
    common::git(
        &repo,
        &[
            "tag",
            "-f",
            "-a",
            "-m",
            "Round: test-9 (rewritten)",
            "rounds/test-9",
            "main~1",
        ],
    );
    let secretariat = accounts.new_token("secretariat").unwrap();
    let client = reqwest::Client::new();
    let status = || async {
        client
            .get(format!("{base}/api/admin/mirrors"))
            .bearer_auth(&secretariat)
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap()
    };
    let start = Instant::now();
    loop {
        let s = status().await;
        if s[0]["failures"].as_u64().unwrap_or(0) >= 1 {
            assert!(
                s[0]["last_error"]
                    .as_str()
                    .unwrap()
                    .contains("rounds/test-9"),
                "{s}"
            );
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "no failure reported: {s}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(rev(&mirror, "rounds/test-9").as_deref(), Some(tag.as_str()));
    let web = Web::new(&base);
    let sec = web.sign_in("secretariat").await;
    let page = web.get(Some(&sec), "/admin?lang=en").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("failing (") && page.body.contains("mirror.git"));
    let member = web.sign_in("shufen-kuo").await;
    assert_eq!(
        web.get(Some(&member), "/admin").await.status,
        StatusCode::FORBIDDEN
    );
    let (st, _) = common::get_json(&format!("{base}/api/admin/mirrors")).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    drop(daemon);
}
