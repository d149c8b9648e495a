//! Webhooks on a real port with the demo plan: a receiver (an HTTP server of the test's own on
//! loopback) gets one signed JSON POST per event — proposal opened, updated, reviewed,
//! merged; round scheduled and closed; input received and answered — with a Slack-style
//! `text`; a hook that asks for some events gets only those; a failing receiver is retried
//! with back-off, its failures are on the admin page and its API, a delivery that ran out of
//! attempts is sent again from there; deliveries queued when the server stops are sent after
//! it restarts; a branch pushed with the git CLI is announced as opened, then updated; a
//! broken `webhooks.toml` stops the server with a clear message.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use hmac::{KeyInit, Mac};
use serde_json::{json, Value};

use common::api::DemoApi;

const SECRET: &str = "a-shared-secret-of-the-test";
const C04: &str = "c04-information-access";

/// One request the receiver got.
#[derive(Clone)]
struct Got {
    path: String,
    headers: HeaderMap,
    body: Bytes,
}

impl Got {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
    fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default()
    }
}

/// A webhook receiver on loopback: records every request; answers 500 while `failing` is
/// above zero (counting down), 200 after.
#[derive(Clone)]
struct Receiver {
    base: String,
    got: Arc<Mutex<Vec<Got>>>,
    failing: Arc<AtomicUsize>,
}

impl Receiver {
    async fn start() -> Receiver {
        let got: Arc<Mutex<Vec<Got>>> = Arc::default();
        let failing = Arc::new(AtomicUsize::new(0));
        let (g, f) = (got.clone(), failing.clone());
        let app = axum::Router::new().route(
            "/{hook}",
            post(
                move |axum::extract::Path(hook): axum::extract::Path<String>,
                      headers: HeaderMap,
                      body: Bytes| {
                    let (g, f) = (g.clone(), f.clone());
                    async move {
                        g.lock().unwrap().push(Got {
                            path: hook,
                            headers,
                            body,
                        });
                        let fail = f
                            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                            .is_ok();
                        if fail {
                            (StatusCode::INTERNAL_SERVER_ERROR, "receiver is down")
                        } else {
                            (StatusCode::OK, "ok")
                        }
                    }
                },
            ),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Receiver { base, got, failing }
    }

    fn got(&self, hook: &str) -> Vec<Got> {
        let all = self.got.lock().unwrap();
        all.iter().filter(|g| g.path == hook).cloned().collect()
    }

    /// Waits until `hook` got `n` requests that were answered 200 (failures count too, so
    /// callers ask for what they expect in all).
    async fn wait_for(&self, hook: &str, what: &str, done: impl Fn(&[Got]) -> bool) -> Vec<Got> {
        let start = Instant::now();
        loop {
            let got = self.got(hook);
            if done(&got) {
                return got;
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "{what}: after 30 s {hook} got {:?}",
                got.iter()
                    .map(|g| g.header("x-codraft-event"))
                    .collect::<Vec<_>>()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

fn write_config(dir: &Path, text: &str) {
    std::fs::write(dir.join("webhooks.toml"), text).unwrap();
}

fn hmac_hex(secret: &str, body: &[u8]) -> String {
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The request is signed with `secret` over its exact body, and its headers agree with it.
fn assert_signed(g: &Got, secret: &str) {
    let sig = g.header("x-codraft-signature-256");
    assert_eq!(
        sig,
        format!("sha256={}", hmac_hex(secret, &g.body)),
        "signature of {}",
        String::from_utf8_lossy(&g.body)
    );
    assert_ne!(
        sig,
        format!("sha256={}", hmac_hex("another secret", &g.body))
    );
    assert_eq!(g.header("content-type"), "application/json");
    let v = g.json();
    assert_eq!(g.header("x-codraft-event"), v["event"].as_str().unwrap());
    assert_eq!(g.header("x-codraft-delivery"), v["id"].as_str().unwrap());
    assert!(g.header("user-agent").starts_with("codraft/"));
}

async fn admin_webhooks(env: &DemoApi) -> Value {
    let token = env.accounts.new_token("secretariat").unwrap();
    let res = env
        .client
        .get(format!("{}/api/admin/webhooks", env.base))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.unwrap()
}

/// A fresh demo with accounts, `webhooks.toml` written, the server started.
async fn demo_with_hooks(config: impl Fn(&str) -> String, receiver: &Receiver) -> DemoApi {
    DemoApi::new_with(|dir| write_config(dir, &config(&receiver.base))).await
}

#[tokio::test]
async fn every_event_reaches_the_receiver_signed_with_a_slack_text() {
    let receiver = Receiver::start().await;
    let env = demo_with_hooks(
        |base| {
            format!(
                r#"
base_url = "https://plan.example.org/"
[[webhook]]
name = "all"
url = "{base}/all"
secret = "{SECRET}"

[[webhook]]
name = "merges"
url = "{base}/merges"
secret = "another-secret-for-merges"
events = ["proposal.merged", "round.closed"]
"#
            )
        },
        &receiver,
    )
    .await;
    // The watcher takes its first look (what happened before is not news).
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(receiver.got("all").is_empty());

    // A proposal: opened, updated, reviewed twice, merged.
    let text = env.git(&["show", &format!("main:commitments/{C04}/zh-TW.md")]);
    let first = text.replace("金額俟年度預算核定後補充。", "2021年度新臺幣100萬元。");
    assert_ne!(first, text);
    let (st, p) = env
        .post(
            Some("secretariat"),
            "/api/proposals",
            json!({"title": "補充預算", "documents": [{"commitment": C04, "text": first}]}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{p}");
    let n = p["number"].as_u64().unwrap();
    // Events are read from the repository every second: a proposal edited in the second it
    // was opened is just "opened". People take longer; so does this test.
    let has =
        |kind: &'static str| move |g: &[Got]| g.iter().any(|g| g.header("x-codraft-event") == kind);
    receiver
        .wait_for("all", "opened", has("proposal.opened"))
        .await;
    let d = env.get(&format!("/api/proposals/{n}")).await;
    let head = d["head"].as_str().unwrap().to_string();
    let second = first.replace("新臺幣100萬元", "新臺幣120萬元");
    let (st, v) = env
        .post(
            Some("secretariat"),
            &format!("/api/proposals/{n}/commits"),
            json!({"expected_head": head, "message": "金額更正", "documents": [{"commitment": C04, "text": second}]}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    receiver
        .wait_for("all", "updated", has("proposal.updated"))
        .await;
    let head = env.get(&format!("/api/proposals/{n}")).await["head"]
        .as_str()
        .unwrap()
        .to_string();
    for who in ["shufen-kuo", "chiaying-li"] {
        let (st, v) = env
            .post(
                Some(who),
                &format!("/api/proposals/{n}/reviews"),
                json!({"verdict": "approve", "head": head}),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
    }
    let (st, v) = env
        .post(
            Some("secretariat"),
            &format!("/api/proposals/{n}/merge"),
            json!({}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");

    // Public input: received, answered.
    let (st, input) = env
        .post(
            None,
            "/api/inputs",
            json!({"kind": "change", "commitment": C04, "section": "commitment",
                   "title": "請公開不予提供資訊之理由統計", "text": "建議每季公布。",
                   "name": "王小明", "contact": "wang@example.org"}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{input}");
    let i = input["number"].as_u64().unwrap();
    let (st, v) = env
        .post(
            Some("shufen-kuo"),
            &format!("/api/inputs/{i}/answer"),
            json!({"outcome": "not_adopted", "reasons": "已於承諾二辦理。"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");

    // A forum round: scheduled, opened, closed.
    let date = (jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24 * 20))
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date()
        .to_string();
    let (st, v) = env
        .post(
            Some("secretariat"),
            "/api/rounds",
            json!({"name": "msf-3", "title": "推動小組第3次會議", "date": date}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    for (who, step) in [("secretariat", "open"), ("mingche-chou", "close")] {
        let (st, v) = env
            .post(Some(who), &format!("/api/rounds/msf-3/{step}"), json!(null))
            .await;
        assert_eq!(st, StatusCode::OK, "{step}: {v}");
    }

    let expected = [
        "proposal.opened",
        "proposal.updated",
        "proposal.reviewed",
        "proposal.reviewed",
        "proposal.merged",
        "input.received",
        "input.answered",
        "round.scheduled",
        "round.closed",
    ];
    let got = receiver
        .wait_for("all", "every event", |g| g.len() >= expected.len())
        .await;
    // Give a duplicate the time to show up, were there one.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let got_now = receiver.got("all");
    assert_eq!(got_now.len(), got.len(), "no event is sent twice");
    let mut kinds: Vec<String> = got.iter().map(|g| g.header("x-codraft-event")).collect();
    kinds.sort();
    let mut want: Vec<String> = expected.iter().map(|s| s.to_string()).collect();
    want.sort();
    assert_eq!(kinds, want);
    let mut ids: Vec<String> = got.iter().map(|g| g.header("x-codraft-delivery")).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), got.len(), "every delivery has its own id");
    let by_kind: BTreeMap<String, Value> = got
        .iter()
        .map(|g| {
            assert_signed(g, SECRET);
            (g.header("x-codraft-event"), g.json())
        })
        .collect();

    let merged = &by_kind["proposal.merged"];
    assert_eq!(
        merged["url"],
        format!("https://plan.example.org/proposals/{n}")
    );
    assert_eq!(merged["data"]["number"], n);
    assert_eq!(merged["data"]["state"], "merged");
    assert_eq!(merged["actor"]["id"], "secretariat");
    let text = merged["text"].as_str().unwrap();
    assert!(
        text.contains("補充預算")
            && text.contains(&format!("merged proposal #{n}"))
            && text.ends_with(&format!("https://plan.example.org/proposals/{n}")),
        "{text}"
    );
    let updated = &by_kind["proposal.updated"];
    assert_eq!(updated["data"]["commit_summary"], "金額更正");
    assert_eq!(updated["data"]["head"], head);
    let opened = &by_kind["proposal.opened"];
    assert_eq!(opened["data"]["title"], "補充預算");
    assert!(opened["text"].as_str().unwrap().contains("opened proposal"));
    let reviewed = &by_kind["proposal.reviewed"];
    assert_eq!(reviewed["data"]["review"]["verdict"], "approve");
    assert_eq!(reviewed["data"]["review"]["proposal"], n);
    let received = &by_kind["input.received"];
    assert_eq!(
        received["url"],
        format!("https://plan.example.org/inputs/{i}")
    );
    assert_eq!(received["data"]["name"], "王小明");
    assert!(
        !String::from_utf8_lossy(&serde_json::to_vec(received).unwrap())
            .contains("wang@example.org"),
        "the sender's contact is private"
    );
    let answered = &by_kind["input.answered"];
    assert_eq!(answered["data"]["response"]["outcome"], "not_adopted");
    assert!(answered["text"].as_str().unwrap().contains("法務部"));
    assert_eq!(by_kind["round.scheduled"]["data"]["name"], "msf-3");
    let closed = &by_kind["round.closed"];
    assert_eq!(closed["url"], "https://plan.example.org/rounds/msf-3");
    assert!(closed["text"]
        .as_str()
        .unwrap()
        .contains("推動小組第3次會議"));

    // The hook that wants merges and closed rounds got just those, signed with its secret.
    let merges = receiver
        .wait_for("merges", "the merge", |g| g.len() >= 2)
        .await;
    let mut kinds: Vec<String> = merges.iter().map(|g| g.header("x-codraft-event")).collect();
    kinds.sort();
    assert_eq!(kinds, ["proposal.merged", "round.closed"]);
    for g in &merges {
        assert_signed(g, "another-secret-for-merges");
    }

    let status = admin_webhooks(&env).await;
    assert_eq!(status[0]["name"], "all");
    assert_eq!(status[0]["delivered"], expected.len());
    assert_eq!(status[0]["pending"], json!([]));
    assert_eq!(status[0]["url"], receiver.base.clone() + "/…");
    assert!(
        !status.to_string().contains(SECRET),
        "no secret on the admin API"
    );
}

#[tokio::test]
async fn a_failing_receiver_is_retried_listed_and_sent_again_from_the_admin_page() {
    let receiver = Receiver::start().await;
    receiver.failing.store(3, Ordering::SeqCst);
    let env = demo_with_hooks(
        |base| {
            format!(
                r#"
first_retry_ms = 300
max_attempts = 4
[[webhook]]
name = "flaky"
url = "{base}/flaky"
secret = "{SECRET}"
"#
            )
        },
        &receiver,
    )
    .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let input = json!({"kind": "change", "commitment": C04, "section": "commitment",
        "title": "第一則", "text": "內容", "name": "王小明", "contact": "wang@example.org"});
    let (st, v) = env.post(None, "/api/inputs", input.clone()).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");

    // While it fails, the admin API says so and the delivery waits in the queue.
    let start = Instant::now();
    loop {
        let s = admin_webhooks(&env).await;
        if s[0]["failures"].as_u64().unwrap_or(0) >= 1 {
            assert!(
                s[0]["last_error"].as_str().unwrap().contains("HTTP 500"),
                "{s}"
            );
            assert_eq!(s[0]["pending"][0]["kind"], "input.received", "{s}");
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(20), "{s}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Three failures, then the fourth attempt goes through: the same delivery each time,
    // with growing waits between attempts.
    let got = receiver
        .wait_for("flaky", "the retried delivery", |g| g.len() >= 4)
        .await;
    let ids: Vec<String> = got.iter().map(|g| g.header("x-codraft-delivery")).collect();
    assert!(ids.iter().all(|id| id == &ids[0]), "{ids:?}");
    for g in &got {
        assert_signed(g, SECRET);
    }
    let s = admin_webhooks(&env).await;
    assert_eq!(s[0]["delivered"], 1, "{s}");
    assert_eq!(s[0]["recent"][0]["attempts"], 4, "{s}");
    assert_eq!(s[0]["failures"], 0, "{s}");

    // A receiver down for longer: after 4 attempts the delivery is set aside as failed, and
    // the admin page lists it.
    receiver.failing.store(1000, Ordering::SeqCst);
    let (st, v) = env
        .post(
            None,
            "/api/inputs",
            json!({"kind": "change", "commitment": C04, "section": "commitment",
                   "title": "第二則", "text": "內容", "name": "李小華"}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let start = Instant::now();
    let failed_id = loop {
        let s = admin_webhooks(&env).await;
        if let Some(d) = s[0]["failed"].get(0) {
            assert_eq!(d["attempts"], 4, "{s}");
            assert_eq!(s[0]["pending"], json!([]), "{s}");
            break d["id"].as_str().unwrap().to_string();
        }
        assert!(start.elapsed() < Duration::from_secs(30), "{s}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let web = common::web::Web::new(&env.base);
    let secretariat = web.sign_in("secretariat").await;
    let page = web.get(Some(&secretariat), "/admin?lang=en").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("id=\"webhook-flaky\"")
            && page.body.contains("Failed deliveries")
            && page.body.contains(&failed_id)
            && page.body.contains("HTTP 500"),
        "{}",
        page.body
    );
    let page_zh = web.get(Some(&secretariat), "/admin").await;
    assert!(page_zh.body.contains("送達失敗"));
    assert!(!page.body.contains(SECRET));

    // Refusals: not the secretariat, unknown hook, unknown delivery, a malformed body.
    let (st, v) = env
        .post(
            Some("shufen-kuo"),
            "/api/admin/webhooks/flaky/redeliver",
            json!({"id": failed_id}),
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{v}");
    common::assert_error(&v, "forbidden");
    let (st, v) = env
        .post(
            None,
            "/api/admin/webhooks/flaky/redeliver",
            json!({"id": failed_id}),
        )
        .await;
    assert_eq!(st, StatusCode::UNAUTHORIZED, "{v}");
    let (st, v) = env
        .post(
            Some("secretariat"),
            "/api/admin/webhooks/nope/redeliver",
            json!({"id": failed_id}),
        )
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND, "{v}");
    common::assert_error(&v, "unknown_webhook");
    let (st, v) = env
        .post(
            Some("secretariat"),
            "/api/admin/webhooks/flaky/redeliver",
            json!({"id": "input.received:999"}),
        )
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND, "{v}");
    common::assert_error(&v, "unknown_delivery");
    let (st, v) = env
        .post(
            Some("secretariat"),
            "/api/admin/webhooks/flaky/redeliver",
            json!({"id": 5, "extra": true}),
        )
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{v}");
    let anon = web.get(None, "/api/admin/webhooks").await;
    assert_eq!(anon.status, StatusCode::UNAUTHORIZED);
    let s = admin_webhooks(&env).await;
    assert_eq!(s[0]["failed"].as_array().unwrap().len(), 1, "nothing moved");

    // The receiver is back: the button on the admin page sends it again.
    receiver.failing.store(0, Ordering::SeqCst);
    let before = receiver.got("flaky").len();
    let res = web
        .post(
            &secretariat,
            "/admin/webhooks/flaky/redeliver?lang=en",
            &[("id", &failed_id)],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert!(res.location.starts_with("/admin"), "{}", res.location);
    let got = receiver
        .wait_for("flaky", "the redelivery", |g| g.len() > before)
        .await;
    let last = got.last().unwrap();
    assert_eq!(last.header("x-codraft-delivery"), failed_id);
    assert_eq!(last.json()["data"]["title"], "第二則");
    assert_signed(last, SECRET);
    let s = admin_webhooks(&env).await;
    assert_eq!(s[0]["failed"], json!([]), "{s}");
    assert_eq!(s[0]["delivered"], 2, "{s}");
}

#[tokio::test]
async fn deliveries_waiting_when_the_server_stops_are_sent_after_it_restarts() {
    let receiver = Receiver::start().await;
    receiver.failing.store(usize::MAX, Ordering::SeqCst);
    let dir = common::web::demo_with_accounts();
    write_config(
        dir.path(),
        &format!(
            "first_retry_ms = 60000\n[[webhook]]\nname = \"later\"\nurl = \"{}/later\"\nsecret = \"{SECRET}\"\n",
            receiver.base
        ),
    );
    let server = common::serve_process(dir.path());
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let client = reqwest::Client::new();
    let res = client
        .post(format!("{}/api/inputs", server.base))
        .json(
            &json!({"kind": "change", "commitment": C04, "section": "commitment",
            "title": "停機前送出", "text": "內容", "name": "王小明"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    // One failed attempt; the next is a minute away when the server is stopped.
    receiver
        .wait_for("later", "the first attempt", |g| !g.is_empty())
        .await;
    let outbox = dir.path().join("webhooks/outbox.json");
    let start = Instant::now();
    while !std::fs::read_to_string(&outbox)
        .unwrap_or_default()
        .contains("HTTP 500")
    {
        assert!(start.elapsed() < Duration::from_secs(10));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    drop(server);

    receiver.failing.store(0, Ordering::SeqCst);
    let _server = common::serve_process(dir.path());
    let got = receiver
        .wait_for("later", "the delivery after the restart", |g| g.len() >= 2)
        .await;
    assert_eq!(got.len(), 2, "one failed attempt, one after the restart");
    assert_eq!(
        got[0].header("x-codraft-delivery"),
        got[1].header("x-codraft-delivery")
    );
    assert_eq!(got[1].json()["data"]["title"], "停機前送出");
    assert_signed(&got[1], SECRET);
}

#[tokio::test]
async fn a_broken_webhooks_file_stops_the_server_with_its_reason() {
    let dir = common::web::demo_with_accounts();
    for (config, says) in [
        ("[[webhook]]\nname = \"x\"\nurl = \"ftp://h/\"\nsecret = \"12345678\"\n", "http:// or https://"),
        ("[[webhook]]\nname = \"x\"\nurl = \"http://h/\"\nsecret = \"short\"\n", "at least 8 bytes"),
        ("[[webhook]]\nname = \"x\"\nurl = \"http://h/\"\nsecret = \"12345678\"\nevents = [\"proposal.eaten\"]\n", "unknown event \"proposal.eaten\""),
        ("[[webhook]]\nname = \"x\"\nurl = \"http://h/\"\n", "missing field `secret`"),
        ("[[webhook]]\nname = \"x\"\nurl = \"http://h/\"\nsecret = \"12345678\"\n[[webhook]]\nname = \"x\"\nurl = \"http://h/\"\nsecret = \"12345678\"\n", "used twice"),
    ] {
        write_config(dir.path(), config);
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_codraft"))
            .args(["serve", "--data", dir.path().to_str().unwrap(), "--listen", "127.0.0.1:0"])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{config}");
        assert!(
            stderr.contains("webhooks.toml") && stderr.contains(says),
            "{config}: {stderr}"
        );
    }
}

/// `git` in `dir` as 李佳穎 without prompts; its output, which must be a success.
fn git_cli(dir: &Path, args: &[&str]) -> String {
    let (ok, text) = common::git_as_person(dir, args);
    assert!(ok, "git {args:?}: {text}");
    text
}

#[tokio::test]
async fn a_branch_pushed_with_git_is_announced_as_opened_then_updated() {
    let receiver = Receiver::start().await;
    let dir = common::web::demo_with_accounts();
    write_config(
        dir.path(),
        &format!(
            "[[webhook]]\nname = \"git\"\nurl = \"{}/git\"\nsecret = \"{SECRET}\"\n",
            receiver.base
        ),
    );
    let server = common::serve_process(dir.path());
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let token = codraft::auth::Accounts::open(dir.path())
        .unwrap()
        .new_token("chiaying-li")
        .unwrap();
    let push_url = format!(
        "http://chiaying-li:{token}@{}/plan.git",
        server.base.trim_start_matches("http://")
    );
    let work = tempfile::tempdir().unwrap();
    git_cli(
        work.path(),
        &["clone", "-q", &format!("{}/plan.git", server.base), "plan"],
    );
    let clone = work.path().join("plan");
    let file = clone.join(format!("commitments/{C04}/zh-TW.md"));
    let edit = |from: &str, to: &str| {
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(text.contains(from), "{from}");
        std::fs::write(&file, text.replacen(from, to, 1)).unwrap();
    };
    git_cli(&clone, &["checkout", "-q", "-b", "chiaying/c04-budget"]);
    edit("金額俟年度預算核定後補充。", "2021年度新臺幣120萬元。");
    git_cli(&clone, &["commit", "-qam", "承諾4：補充預算"]);
    git_cli(&clone, &["push", "-q", &push_url, "chiaying/c04-budget"]);
    let got = receiver.wait_for("git", "opened", |g| !g.is_empty()).await;
    let opened = got[0].json();
    assert_eq!(opened["event"], "proposal.opened");
    assert_eq!(opened["data"]["title"], "承諾4：補充預算");
    assert_eq!(opened["data"]["branch"], "chiaying/c04-budget");
    assert_signed(&got[0], SECRET);

    edit("2021年度新臺幣120萬元。", "2021年度新臺幣150萬元。");
    git_cli(&clone, &["commit", "-qam", "金額更正為150萬元"]);
    git_cli(&clone, &["push", "-q", &push_url, "chiaying/c04-budget"]);
    let got = receiver.wait_for("git", "updated", |g| g.len() >= 2).await;
    let updated = got[1].json();
    assert_eq!(updated["event"], "proposal.updated", "{updated}");
    assert_eq!(updated["data"]["commit_summary"], "金額更正為150萬元");
    let head = git_cli(&clone, &["rev-parse", "HEAD"]);
    assert_eq!(updated["data"]["head"], head.trim());
    assert!(updated["text"]
        .as_str()
        .unwrap()
        .contains("updated by 李佳穎: 金額更正為150萬元"));
    assert_signed(&got[1], SECRET);
}
