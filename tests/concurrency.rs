//! Concurrency (issue 9, point 2): many writers on the same proposal branch at once against
//! `codraft serve` as its own process — API updates with `expected_head` (a stale one is sent
//! on purpose after each success), live editors typing and saving checkpoints, `git push` over
//! HTTP (fast-forward, and non-fast-forward on purpose), the proposal brought up to date with
//! `main` — while approved proposals are merged into `main` by two people each at the same
//! moment. Afterwards: every write answered with success is in the history (its commit an
//! ancestor of the branch, its text in the final document exactly once), every refused one
//! was told so (409 `stale_head` and the like, `git push` failing with git's reason, a live
//! `error`), and none is in the history; each proposal merged exactly once; no answer was a
//! 5xx; every ref names an existing commit, no lock file is left, `git fsck --full --strict`
//! passes and `codraft check` finds no problem.

mod common;
#[path = "common/live.rs"]
mod live_client;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use codraft::workflow::setup;
use live_client::{add_people, open_proposal, try_connect, try_read, C04, C04_PATH, PROBLEM};

/// Rounds per API updater, per live editor (edits), per pusher.
const API_ROUNDS: usize = 6;
const LIVE_EDITS: usize = 40;
const PUSH_ROUNDS: usize = 3;
/// Tries per pushed change when others keep moving the branch.
const PUSH_ATTEMPTS: usize = 12;
/// Sections the proposals merged into `main` change, one each (the shared branch writes to
/// `description`, `transparency` and `problem`, so bringing it up to date never overlaps).
const MERGE_SECTIONS: [&str; 4] = [
    "contribution",
    "participation",
    "accountability",
    "other-info",
];

#[derive(Default)]
struct Ledger {
    /// (marker, commit) of every write answered with success on the shared branch.
    written: Vec<(String, String)>,
    /// Markers of acked live edits.
    live: Vec<String>,
    /// Commits answered as saved live checkpoints.
    saved: Vec<String>,
    /// Heads made by bringing the branch up to date with `main`.
    updated_from_main: Vec<String>,
    /// Commits a push offered that were refused: never in the history.
    refused_commits: Vec<String>,
    /// Refusals by kind.
    refusals: BTreeMap<String, usize>,
    /// Answers no client should get.
    bad: Vec<String>,
}

type Shared = Arc<Mutex<Ledger>>;

fn refused(ledger: &Shared, kind: &str) {
    *ledger
        .lock()
        .unwrap()
        .refusals
        .entry(kind.to_string())
        .or_default() += 1;
}

/// `text` with `marker` at the start of section `id`'s body.
fn insert_in_section(text: &str, id: &str, marker: &str) -> String {
    let heading = format!("{{#{id}}}\n\n");
    assert_eq!(text.matches(&heading).count(), 1, "{id}");
    text.replacen(&heading, &format!("{heading}{marker}"), 1)
}

fn show(repo: &Path, rev: &str) -> String {
    common::git(repo, &["show", &format!("{rev}:{C04_PATH}")])
}

/// Whether `commit` is in `of`'s history (false when the repository does not have it).
fn is_ancestor(repo: &Path, commit: &str, of: &str) -> bool {
    Command::new("git")
        .args(["merge-base", "--is-ancestor", commit, of])
        .current_dir(repo)
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap()
        .success()
}

struct Api {
    base: String,
    client: reqwest::Client,
}

impl Api {
    async fn post(&self, token: &str, path: &str, body: Value) -> (u16, Value) {
        let res = self
            .client
            .post(format!("{}{path}", self.base))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        let text = res.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    async fn head(&self, number: u64) -> String {
        let (s, p) = common::get_json(&format!("{}/api/proposals/{number}", self.base)).await;
        assert_eq!(s, 200, "{p}");
        p["head"].as_str().unwrap().to_string()
    }
}

/// Updates the shared proposal through the API: reads the head, writes a marker against it;
/// after each success sends another update against the head it just replaced, which must be
/// refused as `stale_head`.
async fn api_updater(
    api: Arc<Api>,
    repo: PathBuf,
    token: String,
    number: u64,
    name: String,
    ledger: Shared,
) {
    for i in 0..API_ROUNDS {
        let head = api.head(number).await;
        let marker = format!("[{name}.{i}]");
        let text = insert_in_section(&show(&repo, &head), "transparency", &marker);
        let body = json!({"expected_head": head, "message": format!("API {marker}"),
            "documents": [{"commitment": C04, "lang": "zh-TW", "text": text}]});
        let path = format!("/api/proposals/{number}/commits");
        let (s, v) = api.post(&token, &path, body.clone()).await;
        match (s, v["error"]["code"].as_str()) {
            (200, _) => {
                let new = v["head"].as_str().unwrap().to_string();
                ledger.lock().unwrap().written.push((marker, new));
                // The same write again against the head it replaced: refused, nothing written.
                let mut stale = body;
                stale["documents"][0]["text"] =
                    json!(insert_in_section(&text, "transparency", "[never]"));
                let (s, v) = api.post(&token, &path, stale).await;
                if s == 409 && v["error"]["code"] == "stale_head" {
                    refused(&ledger, "api stale_head (on purpose)");
                } else {
                    ledger
                        .lock()
                        .unwrap()
                        .bad
                        .push(format!("a stale update answered {s} {v}"));
                }
            }
            (409, Some("stale_head")) => refused(&ledger, "api stale_head (raced)"),
            _ => ledger
                .lock()
                .unwrap()
                .bad
                .push(format!("update {marker}: {s} {v}")),
        }
    }
}

/// A live editor on the shared branch: types markers into the problem section (a few in flight)
/// and asks for a save every few edits.
async fn live_editor(base: String, token: String, branch: String, name: String, ledger: Shared) {
    let mut ed = try_connect(&base, &token, &branch, &format!("{name}-session-0000000"))
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let mut pending: BTreeMap<u64, String> = BTreeMap::new();
    let mut save_pending = None;
    for i in 0..LIVE_EDITS {
        let marker = format!("[{name}.{i}]");
        // The end of the text the edit applies to: what this editor has seen plus its own edits
        // not acked yet (their ops come before their acks).
        let pos = if i % 2 == 0 {
            0
        } else {
            ed.texts[PROBLEM].len() + pending.values().map(|m| m.chars().count()).sum::<usize>()
        };
        let r = ed.edit(PROBLEM, json!([[pos, 0, marker]]), None).await;
        pending.insert(r, marker);
        if i % 8 == 7 && save_pending.is_none() {
            let r = ed.next_ref;
            ed.next_ref += 1;
            ed.send(json!({"type": "save", "ref": r})).await;
            save_pending = Some(r);
        }
        // Up to three edits in flight; the save's answer is read whenever it comes.
        while pending.len() >= 3
            || (i + 1 == LIVE_EDITS && (!pending.is_empty() || save_pending.is_some()))
        {
            let m = try_read(&mut ed.ws, Duration::from_secs(30))
                .await
                .expect("the server answers");
            ed.take_op(&m);
            let r = m["ref"].as_u64();
            match m["type"].as_str() {
                Some("ack") => {
                    let marker = pending.remove(&r.unwrap()).unwrap();
                    ledger.lock().unwrap().live.push(marker);
                }
                Some("saved") => {
                    assert_eq!(r, save_pending.take(), "{m}");
                    ledger
                        .lock()
                        .unwrap()
                        .saved
                        .push(m["commit"].as_str().unwrap().to_string());
                }
                Some("error") if r.is_some() && r == save_pending => {
                    // Told: the branch moved between the check and the commit.
                    save_pending = None;
                    refused(&ledger, &format!("live save: {}", m["code"]));
                }
                Some("error") => {
                    if let Some(r) = r {
                        pending.remove(&r);
                    }
                    ledger.lock().unwrap().bad.push(format!("live edit: {m}"));
                }
                _ => {}
            }
        }
        tokio::time::sleep(Duration::from_millis(15)).await;
    }
}

/// `git` with no prompts and no user configuration; (success, stdout + stderr).
fn git_cli(dir: &Path, args: &[&str]) -> (bool, String) {
    common::git_as(dir, args, ("gov2 名", "gov2@example.org"))
}

/// Pushes with the git CLI over HTTP: fetch, add a marker, push (fast-forward, or refused if
/// someone moved the branch meanwhile); after each success a sibling commit of the one pushed
/// (a non-fast-forward) is pushed and must be refused.
fn pusher(base: &str, token: &str, branch: &str, ledger: &Shared) {
    let work = tempfile::tempdir().unwrap();
    let url = format!(
        "http://gov2:{token}@{}/plan.git",
        base.trim_start_matches("http://")
    );
    let (ok, out) = git_cli(work.path(), &["clone", "-q", "-b", branch, &url, "plan"]);
    assert!(ok, "{out}");
    let clone = work.path().join("plan");
    let refspec = format!("HEAD:refs/heads/{branch}");
    for i in 0..PUSH_ROUNDS {
        // Like a person: fetch, edit, commit, push; refused because someone moved the branch
        // meanwhile, fetch and try again.
        for attempt in 0..PUSH_ATTEMPTS {
            let (ok, out) = git_cli(&clone, &["fetch", "-q", "origin", branch]);
            assert!(ok, "{out}");
            let (ok, out) = git_cli(&clone, &["reset", "-q", "--hard", "FETCH_HEAD"]);
            assert!(ok, "{out}");
            let marker = format!("[push.{i}.{attempt}]");
            let file = clone.join(C04_PATH);
            let text = std::fs::read_to_string(&file).unwrap();
            std::fs::write(&file, insert_in_section(&text, "description", &marker)).unwrap();
            let (ok, out) = git_cli(&clone, &["commit", "-qam", &format!("Push {marker}")]);
            assert!(ok, "{out}");
            let commit = git_cli(&clone, &["rev-parse", "HEAD"]).1.trim().to_string();
            let (ok, out) = git_cli(&clone, &["push", "-q", &url, &refspec]);
            if ok {
                ledger.lock().unwrap().written.push((marker, commit));
                // A sibling of the commit just pushed: not a fast-forward.
                let (ok, out) = git_cli(&clone, &["reset", "-q", "--hard", "HEAD~1"]);
                assert!(ok, "{out}");
                std::fs::write(
                    &file,
                    insert_in_section(&text, "description", "[never-pushed]"),
                )
                .unwrap();
                git_cli(&clone, &["commit", "-qam", "A sibling"]);
                let sibling = git_cli(&clone, &["rev-parse", "HEAD"]).1.trim().to_string();
                let (ok, out) = git_cli(&clone, &["push", "-q", &url, &refspec]);
                let mut l = ledger.lock().unwrap();
                if !ok && (out.contains("non-fast-forward") || out.contains("fetch first")) {
                    l.refused_commits.push(sibling);
                    *l.refusals
                        .entry("push non-fast-forward (on purpose)".into())
                        .or_default() += 1;
                } else {
                    l.bad
                        .push(format!("a non-fast-forward push: ok={ok} {out}"));
                }
                break;
            } else if out.contains("(fetch first)")
                || out.contains("(non-fast-forward)")
                || out.contains("(failed to update ref)")
            {
                // Someone moved the branch between the fetch and the push: git said so
                // (`fetch first` before sending, or the ref's compare-and-swap in
                // receive-pack: "cannot lock ref … is at X but expected Y").
                let mut l = ledger.lock().unwrap();
                l.refused_commits.push(commit);
                *l.refusals.entry("push raced".into()).or_default() += 1;
            } else {
                ledger
                    .lock()
                    .unwrap()
                    .bad
                    .push(format!("push {marker} refused without a reason: {out}"));
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_writers_on_one_branch_lose_nothing_and_refusals_are_told() {
    let started = Instant::now();
    let dir = common::demo_dir();
    let tokens = add_people(dir.path());
    let repo = setup::repo_path(dir.path());
    let server = common::serve_process(dir.path());
    let api = Arc::new(Api {
        base: server.base.clone(),
        client: reqwest::Client::new(),
    });
    let ledger: Shared = Arc::default();

    // The shared branch, and approved proposals waiting to be merged into main.
    let branch = open_proposal(&server.base, &tokens["gov"]).await;
    let (_, p) = common::get_json(&format!("{}/api/proposals", server.base)).await;
    let number = p[0]["number"].as_u64().unwrap();
    let main_text = show(&repo, "main");
    let mut to_merge = Vec::new();
    for section in MERGE_SECTIONS {
        let marker = format!("[merge.{section}]");
        let (s, p) = api
            .post(
                &tokens["gov"],
                "/api/proposals",
                json!({"title": format!("Merge {section}"), "documents": [{"commitment": C04,
                    "lang": "zh-TW", "text": insert_in_section(&main_text, section, &marker)}]}),
            )
            .await;
        assert_eq!(s, 201, "{p}");
        let n = p["number"].as_u64().unwrap();
        for who in ["gov2", "ngo"] {
            let (s, r) = api
                .post(
                    &tokens[who],
                    &format!("/api/proposals/{n}/reviews"),
                    json!({"verdict": "approve", "head": p["head"]}),
                )
                .await;
            assert_eq!(s, 201, "{r}");
        }
        to_merge.push((n, marker));
    }

    // Everyone at once.
    let mut tasks = Vec::new();
    for (who, name) in [("gov", "api-gov"), ("ngo", "api-ngo")] {
        tasks.push(tokio::spawn(api_updater(
            api.clone(),
            repo.clone(),
            tokens[who].clone(),
            number,
            name.into(),
            ledger.clone(),
        )));
    }
    for (who, name) in [("gov2", "live-gov2"), ("ngo2", "live-ngo2")] {
        tasks.push(tokio::spawn(live_editor(
            server.base.clone(),
            tokens[who].clone(),
            branch.clone(),
            name.into(),
            ledger.clone(),
        )));
    }
    {
        let (base, token, branch, ledger) = (
            server.base.clone(),
            tokens["gov2"].clone(),
            branch.clone(),
            ledger.clone(),
        );
        tasks.push(tokio::task::spawn(async move {
            tokio::task::spawn_blocking(move || pusher(&base, &token, &branch, &ledger))
                .await
                .unwrap()
        }));
    }
    {
        // Bringing the shared branch up to date with main while the merges land.
        let (api, token, ledger) = (api.clone(), tokens["gov"].clone(), ledger.clone());
        tasks.push(tokio::spawn(async move {
            for _ in 0..6 {
                tokio::time::sleep(Duration::from_millis(300)).await;
                let (s, v) = api
                    .post(
                        &token,
                        &format!("/api/proposals/{number}/update-from-main"),
                        json!({}),
                    )
                    .await;
                match (s, v["error"]["code"].as_str()) {
                    (200, _) => {
                        if let Some(h) = v["head"].as_str() {
                            ledger.lock().unwrap().updated_from_main.push(h.to_string());
                        }
                    }
                    (409, Some("stale_head")) => refused(&ledger, "update-from-main stale_head"),
                    _ => ledger
                        .lock()
                        .unwrap()
                        .bad
                        .push(format!("update-from-main: {s} {v}")),
                }
            }
        }));
    }
    // Each approved proposal merged by its author and by the secretariat at the same moment.
    let mut merges = Vec::new();
    for (i, (n, _)) in to_merge.iter().enumerate() {
        for who in ["gov", "admin"] {
            let (api, token, n) = (api.clone(), tokens[who].clone(), *n);
            merges.push(tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(200 + 250 * i as u64)).await;
                let (s, v) = api
                    .post(&token, &format!("/api/proposals/{n}/merge"), json!({}))
                    .await;
                (n, s, v)
            }));
        }
    }
    for t in tasks {
        tokio::time::timeout(Duration::from_secs(120), t)
            .await
            .expect("writers finish")
            .unwrap();
    }
    let mut merge_answers: BTreeMap<u64, Vec<(u16, Value)>> = BTreeMap::new();
    for m in merges {
        let (n, s, v) = m.await.unwrap();
        merge_answers.entry(n).or_default().push((s, v));
    }

    // A last save: the branch now holds everything typed.
    let mut reader = try_connect(
        &server.base,
        &tokens["gov"],
        &branch,
        "reader-session-0000001",
    )
    .await
    .unwrap_or_else(|e| panic!("{e:?}"));
    reader.send(json!({"type": "save", "ref": 1})).await;
    let saved = reader
        .until(|m| m["type"] == "saved" || m["type"] == "error")
        .await;
    assert_eq!(saved["type"], "saved", "{saved}");
    let head = common::git(&repo, &["rev-parse", &branch])
        .trim()
        .to_string();
    assert_eq!(saved["commit"], head.as_str());
    let final_text = show(&repo, &head);
    let ledger = Arc::try_unwrap(ledger).ok().unwrap().into_inner().unwrap();
    assert!(ledger.bad.is_empty(), "{}", ledger.bad.join("\n"));
    let pushed = ledger
        .written
        .iter()
        .filter(|(m, _)| m.starts_with("[push"))
        .count();
    assert!(
        pushed >= 1 && ledger.written.len() > pushed && !ledger.live.is_empty(),
        "every kind of writer got through at least once: {pushed} pushes of {} commits, {} live edits",
        ledger.written.len(),
        ledger.live.len()
    );

    // No lost commit, no lost text.
    for (marker, commit) in &ledger.written {
        assert!(
            is_ancestor(&repo, commit, &head),
            "{marker}: {commit} in the history"
        );
        assert_eq!(final_text.matches(marker.as_str()).count(), 1, "{marker}");
    }
    for marker in &ledger.live {
        assert_eq!(final_text.matches(marker.as_str()).count(), 1, "{marker}");
    }
    for commit in ledger.saved.iter().chain(&ledger.updated_from_main) {
        assert!(is_ancestor(&repo, commit, &head), "{commit} in the history");
    }
    for commit in &ledger.refused_commits {
        assert!(
            !is_ancestor(&repo, commit, &head),
            "refused {commit} not in the history"
        );
    }
    assert!(!final_text.contains("[never"), "no refused write landed");

    // Each proposal merged exactly once, the other attempt refused with a reason.
    let main = common::git(&repo, &["rev-parse", "main"])
        .trim()
        .to_string();
    let main_text = show(&repo, &main);
    let mut merge_refusals: BTreeMap<String, usize> = BTreeMap::new();
    for (n, marker) in &to_merge {
        let answers = &merge_answers[n];
        let merged: Vec<&Value> = answers
            .iter()
            .filter(|(s, v)| *s == 200 && v["outcome"] == "merged")
            .map(|(_, v)| v)
            .collect();
        assert_eq!(merged.len(), 1, "#{n} merged once: {answers:?}");
        let commit = merged[0]["commit"].as_str().unwrap();
        assert!(is_ancestor(&repo, commit, &main));
        for (s, v) in answers {
            if *s != 200 {
                assert!(
                    (400..500).contains(s) && v["error"]["code"].is_string(),
                    "#{n}: the second merge is refused with a reason: {s} {v}"
                );
                *merge_refusals
                    .entry(v["error"]["code"].as_str().unwrap().to_string())
                    .or_default() += 1;
            }
        }
        assert_eq!(
            main_text.matches(marker.as_str()).count(),
            1,
            "{marker} on main"
        );
    }
    let first_parents = common::git(&repo, &["rev-list", "--first-parent", "main"]);
    for (n, _) in &to_merge {
        let commit = merge_answers[n].iter().find(|(s, _)| *s == 200).unwrap().1["commit"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(
            first_parents.contains(&commit),
            "#{n}'s merge on main's first-parent line"
        );
    }

    // The repository: every ref names a commit that exists, no lock left, fsck, check.
    drop(reader);
    drop(server);
    for line in common::git(
        &repo,
        &["for-each-ref", "--format=%(objectname) %(refname)"],
    )
    .lines()
    {
        let (oid, name) = line.split_once(' ').unwrap();
        let (ok, out) = git_cli(&repo, &["cat-file", "-e", &format!("{oid}^{{commit}}")]);
        let tag_ok = name.starts_with("refs/tags/") && git_cli(&repo, &["cat-file", "-e", oid]).0;
        assert!(ok || tag_ok, "{name} → {oid}: {out}");
    }
    let locks: Vec<String> = walk(&repo)
        .into_iter()
        .filter(|p| p.ends_with(".lock"))
        .collect();
    assert!(locks.is_empty(), "lock files left: {locks:?}");
    common::git(&repo, &["fsck", "--full", "--strict", "--no-dangling"]);
    let out = Command::new(env!("CARGO_BIN_EXE_codraft"))
        .args(["check", dir.path().to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "codraft check: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    println!(
        "{} writes kept ({} API/push commits, {} live edits, {} saves, {} updates from main), {} merges (racing merges refused: {:?}); refused: {:?}; {:.1} s",
        ledger.written.len() + ledger.live.len(),
        ledger.written.len(),
        ledger.live.len(),
        ledger.saved.len(),
        ledger.updated_from_main.len(),
        to_merge.len(),
        merge_refusals,
        ledger.refusals,
        started.elapsed().as_secs_f64()
    );
}

fn walk(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p.to_string_lossy().into_owned());
        }
    }
    out
}
