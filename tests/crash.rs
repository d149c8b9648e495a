//! Crash safety (issue 9, point 1): `codraft serve` as its own process, live editors typing
//! into proposal branches and API writers opening proposals, commenting and reviewing, all at
//! once; the process is killed with SIGKILL at random moments and restarted on the same data
//! directory, several times. Afterwards every acknowledged live edit is in its live document
//! exactly once (and in the branch once saved), every checkpoint a client was told of is in
//! its branch's history, every write the API answered with success reads back, nothing
//! answered 5xx, `git fsck --full --strict` passes and `codraft check` finds no problem.
//!
//! The run is driven by a seeded xorshift generator (`CODRAFT_CRASH_SEED` overrides the seed;
//! the seed is printed), so a failure can be replayed with the same choices; the kill moments
//! still meet a real scheduler, so the interleavings differ between runs. The one moment that
//! doubled edits (a kill between a checkpoint's commit and its log record) is also made on
//! purpose by the second test, so it is checked on every run.

mod common;
#[path = "common/live.rs"]
mod live_client;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use codraft::workflow::setup;
use live_client::{
    add_people, open_proposal, try_connect, try_read, Editor, C04, C04_PATH, PROBLEM,
};

/// How many times the server is killed (and restarted).
const KILLS: usize = 5;
/// Live editors (two per branch) and API writers running at once.
const EDITORS: usize = 4;
const WRITERS: usize = 3;

/// xorshift64*: small, seeded, enough to choose delays, positions and actions.
#[derive(Clone)]
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    /// A new generator for a task, derived from this one.
    fn fork(&mut self) -> Rng {
        Rng::new(self.next())
    }
}

/// Everything the clients were told, and what they sent without an answer.
#[derive(Default)]
struct Ledger {
    /// (branch, marker) of every acked live edit.
    acked_edits: Vec<(String, String)>,
    /// Sent, never acked (the server died first): in the document at most once.
    unacked_edits: Vec<(String, String)>,
    /// (branch, commit) of every `saved` answer.
    saved: Vec<(String, String)>,
    /// (number, title) of every proposal opened with 201.
    proposals: Vec<(u64, String)>,
    /// Bodies of comments on commitment 4 answered 201.
    comments: Vec<String>,
    /// (proposal, review number, body) of reviews answered 201.
    reviews: Vec<(u64, u64, String)>,
    /// Answers the server gave that it should never give (5xx, an error to a live edit).
    bad: Vec<String>,
    /// Refusals that are expected under concurrency (a review of a head that moved).
    refused: usize,
}

type Shared = Arc<Mutex<Ledger>>;

fn seed() -> u64 {
    std::env::var("CODRAFT_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x00C0_DEAF_7E57_5EED)
}

/// One live editor for one server life: types markers at the start or the end of the problem
/// section (a marker is one splice, so it stays contiguous under automerge), up to a few edits
/// in flight, sometimes asks for a save; stops when the socket dies.
async fn editor(
    base: String,
    token: String,
    branch: String,
    name: String,
    mut rng: Rng,
    ledger: Shared,
) {
    let session = format!("{name}-session-000000");
    let Ok(mut ed) = try_connect(&base, &token, &branch, &session).await else {
        return;
    };
    // ref → marker, for edits sent and not yet answered.
    let mut pending: BTreeMap<u64, String> = BTreeMap::new();
    let mut n = 0u64;
    let mut save_ref = None;
    'life: loop {
        let burst = 1 + rng.below(4);
        for _ in 0..burst {
            n += 1;
            let marker = format!("[{name}.{n}]");
            // The end of the text this edit applies to: what this editor has seen plus its own
            // edits not acked yet (their ops come before their acks).
            let len = ed.texts[PROBLEM].len()
                + pending.values().map(|m| m.chars().count()).sum::<usize>();
            let pos = if rng.below(2) == 0 { 0 } else { len };
            let r = ed.next_ref;
            ed.next_ref += 1;
            let message = json!({"type": "edit", "ref": r, "base": ed.seq, "field": PROBLEM,
                "splices": [[pos, 0, marker]]});
            pending.insert(r, marker);
            if !ed.try_send(message).await {
                break 'life;
            }
        }
        if save_ref.is_none() && rng.below(6) == 0 {
            let r = ed.next_ref;
            ed.next_ref += 1;
            if !ed.try_send(json!({"type": "save", "ref": r})).await {
                break 'life;
            }
            save_ref = Some(r);
        }
        while !pending.is_empty() {
            let Some(m) = try_read(&mut ed.ws, Duration::from_secs(30)).await else {
                break 'life;
            };
            answer(&mut ed, &m, &branch, &mut pending, &mut save_ref, &ledger);
        }
        tokio::time::sleep(Duration::from_millis(rng.below(30))).await;
    }
    let mut l = ledger.lock().unwrap();
    for marker in pending.into_values() {
        l.unacked_edits.push((branch.clone(), marker));
    }
}

fn answer(
    ed: &mut Editor,
    m: &Value,
    branch: &str,
    pending: &mut BTreeMap<u64, String>,
    save_ref: &mut Option<u64>,
    ledger: &Shared,
) {
    ed.take_op(m);
    let r = m["ref"].as_u64();
    match m["type"].as_str() {
        Some("ack") => {
            let marker = pending
                .remove(&r.unwrap())
                .expect("an ack of a pending edit");
            ledger
                .lock()
                .unwrap()
                .acked_edits
                .push((branch.to_string(), marker));
        }
        Some("saved") => {
            assert_eq!(r, *save_ref, "{m}");
            *save_ref = None;
            let commit = m["commit"].as_str().unwrap().to_string();
            ledger
                .lock()
                .unwrap()
                .saved
                .push((branch.to_string(), commit));
        }
        Some("error") => {
            if r.is_some() && r == *save_ref {
                // A save refused with a reason is allowed (e.g. the branch moved meanwhile);
                // it wrote nothing and the edits stay live.
                *save_ref = None;
                ledger.lock().unwrap().refused += 1;
            } else {
                if let Some(r) = r {
                    pending.remove(&r);
                }
                ledger.lock().unwrap().bad.push(format!("live: {m}"));
            }
        }
        _ => {}
    }
}

/// One API writer for one server life: opens proposals, comments on commitment 4, reviews the
/// live proposals (a `comment` verdict on the head it just read); stops when the server is
/// gone.
async fn writer(
    base: String,
    token: String,
    numbers: Vec<u64>,
    name: String,
    mut rng: Rng,
    ledger: Shared,
) {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let mut n = 0;
    loop {
        n += 1;
        let tag = format!("{name}.{n}");
        let (path, body) = match rng.below(3) {
            0 => (
                "/api/proposals".to_string(),
                json!({"title": format!("Crash proposal <{tag}>")}),
            ),
            1 => (
                format!("/api/commitments/{C04}/comments"),
                json!({"section": "problem", "body": format!("Crash comment <{tag}>")}),
            ),
            _ => {
                let number = numbers[rng.below(numbers.len() as u64) as usize];
                let Ok(res) = client
                    .get(format!("{base}/api/proposals/{number}"))
                    .send()
                    .await
                else {
                    return;
                };
                let Ok(p) = res.json::<Value>().await else {
                    return;
                };
                (
                    format!("/api/proposals/{number}/reviews"),
                    json!({"verdict": "comment", "head": p["head"], "body": format!("Crash review <{tag}>")}),
                )
            }
        };
        let Ok(res) = client
            .post(format!("{base}{path}"))
            .bearer_auth(&token)
            .json(&body)
            .send()
            .await
        else {
            return;
        };
        let status = res.status();
        let Ok(text) = res.text().await else {
            return; // the answer was cut off: unknown outcome
        };
        let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        {
            let mut l = ledger.lock().unwrap();
            if status.is_success() {
                if path == "/api/proposals" {
                    l.proposals.push((
                        v["number"].as_u64().unwrap(),
                        body["title"].as_str().unwrap().to_string(),
                    ));
                } else if path.ends_with("/comments") {
                    l.comments.push(body["body"].as_str().unwrap().to_string());
                } else {
                    let number: u64 = path.split('/').nth(3).unwrap().parse().unwrap();
                    l.reviews.push((
                        number,
                        v["number"].as_u64().unwrap(),
                        body["body"].as_str().unwrap().to_string(),
                    ));
                }
            } else if status.as_u16() == 409 && v["error"]["code"] == "stale_head" {
                // The live editors moved the branch between the read and the review.
                l.refused += 1;
            } else {
                l.bad.push(format!("{path}: {status} {text}"));
            }
        }
        tokio::time::sleep(Duration::from_millis(rng.below(40))).await;
    }
}

fn run_cli(args: &[&str]) -> (bool, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_codraft"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

fn server_logs(dir: &Path) -> String {
    let mut logs = String::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        if e.file_name().to_string_lossy().ends_with(".log") {
            logs.push_str(&std::fs::read_to_string(e.path()).unwrap_or_default());
        }
    }
    logs
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_edits_and_writes_survive_repeated_kill_9() {
    let started = Instant::now();
    let seed = seed();
    println!("CODRAFT_CRASH_SEED={seed}");
    let mut rng = Rng::new(seed);
    let dir = common::demo_dir();
    let tokens = add_people(dir.path());
    let repo = setup::repo_path(dir.path());
    let ledger: Shared = Arc::default();

    // Two proposal branches, each typed into by a drafter of each sector.
    let server = common::serve_process(dir.path());
    let mut branches = Vec::new();
    let mut numbers = Vec::new();
    for _ in 0..EDITORS / 2 {
        let branch = open_proposal(&server.base, &tokens["gov"]).await;
        let number: u64 = branch
            .trim_start_matches("proposals/")
            .split('-')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        branches.push(branch);
        numbers.push(number);
    }
    let mut server = Some(server);
    let editors = ["gov", "ngo", "gov2", "ngo2"];

    for life in 0..KILLS {
        let s = match server.take() {
            Some(s) => s,
            None => common::serve_process(dir.path()),
        };
        let mut tasks = Vec::new();
        for e in 0..EDITORS {
            tasks.push(tokio::spawn(editor(
                s.base.clone(),
                tokens[editors[e]].clone(),
                branches[e % branches.len()].clone(),
                format!("e{e}l{life}"),
                rng.fork(),
                ledger.clone(),
            )));
        }
        for w in 0..WRITERS {
            tasks.push(tokio::spawn(writer(
                s.base.clone(),
                tokens[editors[w % editors.len()]].clone(),
                numbers.clone(),
                format!("w{w}l{life}"),
                rng.fork(),
                ledger.clone(),
            )));
        }
        // Kill at a random moment of this life, mid-work.
        let delay = 700 + rng.below(2300);
        tokio::time::sleep(Duration::from_millis(delay)).await;
        let mut s = s;
        s.child.kill().unwrap();
        s.child.wait().unwrap();
        for t in tasks {
            tokio::time::timeout(Duration::from_secs(40), t)
                .await
                .expect("clients notice the dead server")
                .unwrap();
        }
        let l = ledger.lock().unwrap();
        println!(
            "life {life}: killed after {delay} ms; so far {} acked edits, {} unacked, {} saves, {} proposals, {} comments, {} reviews, {} refused",
            l.acked_edits.len(),
            l.unacked_edits.len(),
            l.saved.len(),
            l.proposals.len(),
            l.comments.len(),
            l.reviews.len(),
            l.refused
        );
    }

    // The last restart: read everything back.
    let server = common::serve_process(dir.path());
    let ledger = Arc::try_unwrap(ledger).ok().unwrap().into_inner().unwrap();
    assert!(
        ledger.bad.is_empty(),
        "answers no client should get:\n{}\n{}",
        ledger.bad.join("\n"),
        server_logs(dir.path())
    );
    assert!(
        ledger.acked_edits.len() >= 20 && ledger.proposals.len() + ledger.comments.len() >= 5,
        "the run did some work: {} edits, {} proposals, {} comments",
        ledger.acked_edits.len(),
        ledger.proposals.len(),
        ledger.comments.len()
    );

    // Live edits: each acked marker once in the live document, each unacked at most once.
    for (i, branch) in branches.iter().enumerate() {
        let mut reader = match try_connect(
            &server.base,
            &tokens["gov"],
            branch,
            &format!("reader-{i}-session-0000"),
        )
        .await
        {
            Ok(r) => r,
            Err(e) => panic!("{e:?}\n{}", server_logs(dir.path())),
        };
        let text = reader.text(PROBLEM);
        for (b, marker) in &ledger.acked_edits {
            if b == branch {
                assert_eq!(
                    text.matches(marker.as_str()).count(),
                    1,
                    "acked {marker} once in the live text of {branch}: {text}"
                );
            }
        }
        for (b, marker) in &ledger.unacked_edits {
            if b == branch {
                assert!(
                    text.matches(marker.as_str()).count() <= 1,
                    "{marker} at most once: {text}"
                );
            }
        }
        // Every save a client was told of is in the branch's history.
        for (b, commit) in &ledger.saved {
            if b == branch {
                let out = std::process::Command::new("git")
                    .args(["merge-base", "--is-ancestor", commit, branch])
                    .current_dir(&repo)
                    .status()
                    .unwrap();
                assert!(out.success(), "saved {commit} is in {branch}");
            }
        }
        // Saved now, the branch holds the live text.
        assert!(reader.try_send(json!({"type": "save", "ref": 1})).await);
        let saved = reader
            .until(|m| m["type"] == "saved" || m["type"] == "error")
            .await;
        assert_eq!(saved["type"], "saved", "{saved}");
        let file = common::git(&repo, &["show", &format!("{branch}:{C04_PATH}")]);
        for (b, marker) in &ledger.acked_edits {
            if b == branch {
                assert_eq!(file.matches(marker.as_str()).count(), 1, "{marker} saved");
            }
        }
    }

    // API writes read back.
    for (number, title) in &ledger.proposals {
        let (status, p) =
            common::get_json(&format!("{}/api/proposals/{number}", server.base)).await;
        assert_eq!(status, 200, "proposal {number}: {p}");
        assert_eq!(p["title"], title.as_str());
        let branch = p["branch"].as_str().unwrap();
        assert_eq!(
            common::git(&repo, &["rev-parse", branch]).trim(),
            p["head"].as_str().unwrap()
        );
    }
    let (_, comments) =
        common::get_json(&format!("{}/api/commitments/{C04}/comments", server.base)).await;
    let comments = comments.to_string();
    for body in &ledger.comments {
        assert_eq!(comments.matches(body.as_str()).count(), 1, "{body}");
    }
    for (number, review, body) in &ledger.reviews {
        let file = common::git(
            &repo,
            &[
                "show",
                &format!("records:proposals/{number}/reviews/{review:04}.toml"),
            ],
        );
        assert!(file.contains(body.as_str()), "{file}");
    }
    drop(server);

    // The repository itself.
    common::git(&repo, &["fsck", "--full", "--strict", "--no-dangling"]);
    let (ok, out) = run_cli(&["check", dir.path().to_str().unwrap()]);
    assert!(ok, "codraft check: {out}");
    println!(
        "seed {seed}: {KILLS} kills; checked {} acked edits ({} unacked at most once), {} saves, {} proposals, {} comments, {} reviews; {} refused as expected; {:.1} s",
        ledger.acked_edits.len(),
        ledger.unacked_edits.len(),
        ledger.saved.len(),
        ledger.proposals.len(),
        ledger.comments.len(),
        ledger.reviews.len(),
        ledger.refused,
        started.elapsed().as_secs_f64()
    );
}

/// A kill at one precise moment, made rather than hoped for: a checkpoint's commit is on the
/// branch but the server died before the live log recorded it (the log is put back as it was
/// before the save, which is what the disk holds after such a kill). On restart the commit
/// must be recognised as the live text, not merged in again as somebody else's change.
#[tokio::test]
async fn a_kill_between_a_checkpoint_commit_and_its_log_record_applies_nothing_twice() {
    let dir = common::demo_dir();
    let tokens = add_people(dir.path());
    let repo = setup::repo_path(dir.path());
    let mut server = common::serve_process(dir.path());
    let branch = open_proposal(&server.base, &tokens["gov"]).await;
    let mut gov = try_connect(
        &server.base,
        &tokens["gov"],
        &branch,
        "gov-window-session-01",
    )
    .await
    .unwrap();
    let original = gov.text(PROBLEM);
    let mut last = 0;
    for (i, marker) in ["[甲]", "[乙]", "[丙]"].iter().enumerate() {
        let pos = if i == 1 {
            original.chars().count() + 3
        } else {
            0
        };
        last = gov.edit(PROBLEM, json!([[pos, 0, marker]]), None).await;
    }
    gov.until(|m| m["type"] == "ack" && m["ref"] == last).await;
    let live = dir.path().join("live");
    let logs: Vec<_> = std::fs::read_dir(&live)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert_eq!(logs.len(), 1, "{logs:?}");
    let before_save = std::fs::read(&logs[0]).unwrap();
    gov.send(json!({"type": "save", "ref": 100})).await;
    let saved = gov
        .until(|m| m["type"] == "saved" || m["type"] == "error")
        .await;
    assert_eq!(saved["type"], "saved", "{saved}");
    let typed = gov.text(PROBLEM);
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    std::fs::write(&logs[0], &before_save).unwrap();

    let server = common::serve_process(dir.path());
    let again = try_connect(
        &server.base,
        &tokens["ngo"],
        &branch,
        "ngo-window-session-01",
    )
    .await
    .unwrap_or_else(|e| panic!("{e:?}\n{}", server_logs(dir.path())));
    assert_eq!(
        again.text(PROBLEM),
        typed,
        "the live text is what was typed, once"
    );
    // And the branch keeps it once when saved again.
    let mut again = again;
    again.send(json!({"type": "save", "ref": 1})).await;
    let saved = again
        .until(|m| m["type"] == "saved" || m["type"] == "error")
        .await;
    assert_eq!(saved["type"], "saved", "{saved}");
    let file = common::git(&repo, &["show", &format!("{branch}:{C04_PATH}")]);
    for marker in ["[甲]", "[乙]", "[丙]"] {
        assert_eq!(file.matches(marker).count(), 1, "{marker}");
    }
}

/// A kill in the instant a ref is updated leaves its lock file behind (`refs/heads/….lock`),
/// and every later update of that branch would fail, git's own included. `codraft serve`
/// removes such locks when it starts: after a restart, a live save on the branch goes through.
#[tokio::test]
async fn a_ref_lock_left_by_a_kill_does_not_wedge_the_branch() {
    let dir = common::demo_dir();
    let tokens = add_people(dir.path());
    let repo = setup::repo_path(dir.path());
    let mut server = common::serve_process(dir.path());
    let branch = open_proposal(&server.base, &tokens["gov"]).await;
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    let lock = repo.join(format!("refs/heads/{branch}.lock"));
    let head = common::git(&repo, &["rev-parse", &branch]);
    std::fs::write(&lock, &head).unwrap();
    // What the lock does to git itself.
    let out = std::process::Command::new("git")
        .args(["update-ref", &format!("refs/heads/{branch}"), head.trim()])
        .current_dir(&repo)
        .output()
        .unwrap();
    assert!(!out.status.success(), "git refuses while the lock is there");

    let server = common::serve_process(dir.path());
    assert!(!lock.exists(), "the stale lock is removed at start");
    let mut gov = try_connect(&server.base, &tokens["gov"], &branch, "gov-lock-session-01")
        .await
        .unwrap_or_else(|e| panic!("{e:?}\n{}", server_logs(dir.path())));
    let last = gov.edit(PROBLEM, json!([[0, 0, "[鎖]"]]), None).await;
    gov.until(|m| m["type"] == "ack" && m["ref"] == last).await;
    gov.send(json!({"type": "save", "ref": 100})).await;
    let saved = gov
        .until(|m| m["type"] == "saved" || m["type"] == "error")
        .await;
    assert_eq!(saved["type"], "saved", "{saved}");
    let file = common::git(&repo, &["show", &format!("{branch}:{C04_PATH}")]);
    assert!(file.contains("[鎖]"));
    assert!(server_logs(dir.path()).contains("removed a lock file"));
}
