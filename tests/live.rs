//! Live editing over real WebSockets on a real port: convergence of concurrent editors, every
//! kind of bad message refused without effect, rights, saving with co-authors, following
//! commits that reach the branch another way, surviving `kill -9`, and real traces replayed
//! through the protocol.

mod common;
#[path = "common/live.rs"]
mod live_client;
#[path = "common/trace.rs"]
mod trace;

use std::collections::{BTreeMap, BTreeSet};

use futures_util::SinkExt;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

use codraft::workflow::setup;
use live_client::{add_people, connect, open_proposal, Editor, C04_PATH, PROBLEM};

struct Env {
    dir: tempfile::TempDir,
    base: String,
    tokens: BTreeMap<&'static str, String>,
    /// An open proposal's branch, where the live editing happens.
    branch: String,
}

async fn env() -> Env {
    let dir = common::demo_dir();
    let tokens = add_people(dir.path());
    let base = common::start_server(dir.path()).await;
    let branch = open_proposal(&base, &tokens["gov"]).await;
    Env {
        dir,
        base,
        tokens,
        branch,
    }
}

fn git_show(env: &Env, rev: &str, path: &str) -> String {
    common::git(
        &setup::repo_path(env.dir.path()),
        &["show", &format!("{rev}:{path}")],
    )
}

#[tokio::test]
async fn two_editors_converge_and_saving_credits_both() {
    let env = env().await;
    let mut gov = connect(
        &env.base,
        &env.tokens["gov"],
        &env.branch,
        "gov-session-0000000001",
    )
    .await
    .unwrap();
    let mut ngo = connect(
        &env.base,
        &env.tokens["ngo"],
        &env.branch,
        "ngo-session-0000000001",
    )
    .await
    .unwrap();
    let start = gov.text(PROBLEM).to_string();
    assert_eq!(start, ngo.text(PROBLEM));
    let base = gov.seq;
    // Both type at once, against the same version, at two places of the same section.
    let r1 = gov.edit(PROBLEM, json!([[0, 0, "【甲】"]]), None).await;
    let r2 = ngo
        .edit(PROBLEM, json!([[10, 0, "【乙】"]]), Some(base))
        .await;
    let a1 = gov.until(|m| m["type"] == "ack" && m["ref"] == r1).await;
    let a2 = ngo.until(|m| m["type"] == "ack" && m["ref"] == r2).await;
    let last = a1["seq"].as_u64().unwrap().max(a2["seq"].as_u64().unwrap());
    gov.until_seq(last).await;
    ngo.until_seq(last).await;
    assert_eq!(
        gov.text(PROBLEM),
        ngo.text(PROBLEM),
        "both editors hold the same text"
    );
    let merged = gov.text(PROBLEM).to_string();
    assert!(merged.starts_with("【甲】"), "{merged}");
    let expected_b = format!(
        "{}【乙】{}",
        start.chars().take(10).collect::<String>(),
        start.chars().skip(10).collect::<String>()
    );
    assert_eq!(
        merged.replacen("【甲】", "", 1),
        expected_b,
        "ngo's insertion stayed where ngo made it"
    );
    // A third editor joining now gets exactly that text.
    let late = connect(
        &env.base,
        &env.tokens["gov"],
        &env.branch,
        "gov-session-0000000002",
    )
    .await
    .unwrap();
    assert_eq!(late.text(PROBLEM), merged);

    // Save a version: one commit on main with both typists as co-authors.
    gov.send(json!({"type": "save", "ref": 99})).await;
    let saved = gov
        .until(|m| m["type"] == "saved" || m["type"] == "error")
        .await;
    assert_eq!(saved["type"], "saved", "{saved}");
    let commit = saved["commit"].as_str().unwrap();
    let message = common::git(
        &setup::repo_path(env.dir.path()),
        &["log", "-1", "--format=%B", commit],
    );
    assert!(
        message.contains("Co-authored-by: gov 名 <gov@example.org>"),
        "{message}"
    );
    assert!(
        message.contains("Co-authored-by: ngo 名 <ngo@example.org>"),
        "{message}"
    );
    let file = git_show(&env, &env.branch, C04_PATH);
    assert!(
        file.contains(&merged),
        "the saved document holds the live text"
    );
    common::git(&setup::repo_path(env.dir.path()), &["fsck", "--strict"]);
    ngo.until(|m| m["type"] == "checkpoint").await;
}

#[tokio::test]
async fn bad_messages_are_refused_and_change_nothing() {
    let env = env().await;
    // Rights and addresses are checked before the socket opens.
    assert_eq!(
        connect(
            &env.base,
            &env.tokens["outsider"],
            &env.branch,
            "outsider-session-000001"
        )
        .await
        .err(),
        Some(403)
    );
    assert_eq!(
        connect(
            &env.base,
            &env.tokens["member"],
            &env.branch,
            "member-session-0000001"
        )
        .await
        .err(),
        Some(403)
    );
    assert_eq!(
        connect(&env.base, "cdt_nope", &env.branch, "nobody-session-0000001")
            .await
            .err(),
        Some(401)
    );
    assert_eq!(
        connect(
            &env.base,
            &env.tokens["gov"],
            "no-such-branch",
            "gov-session-00000000x"
        )
        .await
        .err(),
        Some(404)
    );
    // main changes only through approved proposals; the secretariat may fix it live.
    assert_eq!(
        connect(
            &env.base,
            &env.tokens["gov"],
            "main",
            "gov-session-0000000main"
        )
        .await
        .err(),
        Some(403)
    );
    assert!(connect(
        &env.base,
        &env.tokens["admin"],
        "main",
        "admin-session-00000main"
    )
    .await
    .is_ok());
    assert_eq!(
        connect(&env.base, &env.tokens["gov"], &env.branch, "short")
            .await
            .err(),
        Some(400)
    );

    let mut gov = connect(
        &env.base,
        &env.tokens["gov"],
        &env.branch,
        "gov-session-0000000003",
    )
    .await
    .unwrap();
    let seq = gov.seq;
    let text = gov.text(PROBLEM).to_string();
    let len = text.chars().count();
    let cases: Vec<(Value, &str)> = vec![
        (
            json!({"type": "edit", "ref": 1, "base": seq, "field": PROBLEM, "splices": [[len + 1, 0, "x"]]}),
            "out_of_range",
        ),
        (
            json!({"type": "edit", "ref": 2, "base": seq, "field": PROBLEM, "splices": [[len, 1, ""]]}),
            "out_of_range",
        ),
        (
            json!({"type": "edit", "ref": 3, "base": seq, "field": "section.nowhere.text", "splices": [[0, 0, "x"]]}),
            "unknown_field",
        ),
        (
            json!({"type": "edit", "ref": 4, "base": seq + 1000, "field": PROBLEM, "splices": [[0, 0, "x"]]}),
            "stale_base",
        ),
        (
            json!({"type": "edit", "ref": 5, "base": seq, "field": PROBLEM}),
            "bad_message",
        ),
        (json!({"type": "format-disk"}), "bad_message"),
        (
            json!({"type": "edit", "ref": 6, "base": seq, "field": PROBLEM, "splices": [[0, 0, "x".repeat(70_000)]]}),
            "too_large",
        ),
    ];
    for (message, code) in cases {
        gov.send(message.clone()).await;
        let e = gov.until(|m| m["type"] == "error").await;
        assert_eq!(e["code"], code, "{message:.200}: {e}");
        assert!(!e["message"].as_str().unwrap().is_empty());
    }
    gov.ws.send(Message::Text("not json".into())).await.unwrap();
    let e = gov.until(|m| m["type"] == "error").await;
    assert_eq!(e["code"], "bad_message");
    // Nothing changed: a new editor sees the same version and text.
    let fresh = connect(
        &env.base,
        &env.tokens["ngo"],
        &env.branch,
        "ngo-session-0000000003",
    )
    .await
    .unwrap();
    assert_eq!((fresh.seq, fresh.text(PROBLEM)), (seq, text.clone()));
    // The socket is still usable after errors.
    let r = gov.edit(PROBLEM, json!([[0, 0, "好"]]), None).await;
    gov.until(|m| m["type"] == "ack" && m["ref"] == r).await;
}

#[tokio::test]
async fn a_resent_edit_is_applied_once_and_an_offline_editor_catches_up() {
    let env = env().await;
    let mut gov = connect(
        &env.base,
        &env.tokens["gov"],
        &env.branch,
        "gov-offline-session-01",
    )
    .await
    .unwrap();
    let before = gov.seq;
    let r = gov.edit(PROBLEM, json!([[0, 0, "離線前"]]), None).await;
    gov.until(|m| m["type"] == "ack" && m["ref"] == r).await;
    drop(gov); // the cable is pulled

    // Meanwhile someone else edits.
    let mut ngo = connect(
        &env.base,
        &env.tokens["ngo"],
        &env.branch,
        "ngo-online-session-001",
    )
    .await
    .unwrap();
    let r2 = ngo.edit(PROBLEM, json!([[0, 0, "線上"]]), None).await;
    ngo.until(|m| m["type"] == "ack" && m["ref"] == r2).await;

    // Back online with the same session: the acked edit is resent (its ack was "lost") and a
    // new one made offline against the old version is sent too.
    let mut gov = connect(
        &env.base,
        &env.tokens["gov"],
        &env.branch,
        "gov-offline-session-01",
    )
    .await
    .unwrap();
    gov.next_ref = r + 1; // the page keeps counting across reconnects
    gov.send(json!({"type": "edit", "ref": r, "base": before, "field": PROBLEM, "splices": [[0, 0, "離線前"]], "resend": true})).await;
    let again = gov.until(|m| m["type"] == "ack" && m["ref"] == r).await;
    let offline = gov
        .edit(PROBLEM, json!([[3, 0, "（離線中）"]]), Some(before + 1))
        .await;
    let ack = gov
        .until(|m| m["type"] == "ack" && m["ref"] == offline)
        .await;
    assert!(
        again["seq"].as_u64().unwrap() <= before + 1,
        "the resent edit was not applied twice"
    );
    ngo.until_seq(ack["seq"].as_u64().unwrap()).await;
    gov.until_seq(ack["seq"].as_u64().unwrap()).await;
    assert_eq!(gov.text(PROBLEM), ngo.text(PROBLEM));
    let text = gov.text(PROBLEM);
    assert_eq!(text.matches("離線前").count(), 1, "{text}");
    assert!(
        text.contains("離線前（離線中）") && text.contains("線上"),
        "{text}"
    );
}

#[tokio::test]
async fn a_commit_that_reaches_the_branch_is_merged_into_unsaved_live_edits() {
    let env = env().await;
    let mut gov = connect(
        &env.base,
        &env.tokens["gov"],
        &env.branch,
        "gov-follow-session-001",
    )
    .await
    .unwrap();
    let r = gov.edit(PROBLEM, json!([[0, 0, "【即時】"]]), None).await;
    gov.until(|m| m["type"] == "ack" && m["ref"] == r).await;
    // A commit to main from outside the live document: the title changes.
    let text = git_show(&env, &env.branch, C04_PATH).replacen(
        "落實政府資訊公開法資訊取用權",
        "落實資訊取用權",
        1,
    );
    commit_c04(&env, &text, "Shorter title");
    let op = gov.until(|m| m["type"] == "op" && m["client"] == 0).await;
    assert_eq!(op["field"], "title");
    assert_eq!(gov.text("title"), "落實資訊取用權");
    assert!(
        gov.text(PROBLEM).starts_with("【即時】"),
        "the unsaved live edit is kept"
    );
    gov.send(json!({"type": "save", "ref": 7})).await;
    let saved = gov
        .until(|m| m["type"] == "saved" || m["type"] == "error")
        .await;
    assert_eq!(saved["type"], "saved", "{saved}");
    let file = git_show(&env, &env.branch, C04_PATH);
    assert!(
        file.contains("title = \"落實資訊取用權\"") && file.contains("【即時】"),
        "both in the commit"
    );
}

use common::serve_process as serve;

/// A drafter pushes over HTTP, with the git CLI, onto a branch someone is editing live: the
/// push reaches the live document and the unsaved live edit is kept; saving commits both.
#[tokio::test]
async fn a_push_over_http_is_merged_into_unsaved_live_edits() {
    let dir = common::demo_dir();
    let tokens = add_people(dir.path());
    let server = serve(dir.path());
    let branch = open_proposal(&server.base, &tokens["gov"]).await;
    let mut gov = connect(
        &server.base,
        &tokens["gov"],
        &branch,
        "gov-push-session-0001",
    )
    .await
    .unwrap();
    let r = gov.edit(PROBLEM, json!([[0, 0, "【即時】"]]), None).await;
    gov.until(|m| m["type"] == "ack" && m["ref"] == r).await;

    let work = tempfile::tempdir().unwrap();
    let host = server.base.trim_start_matches("http://").to_string();
    let git = |args: &[&str]| {
        let out = std::process::Command::new("git")
            .args(args)
            .current_dir(work.path())
            .env("GIT_TERMINAL_PROMPT", "0")
            .env("GIT_AUTHOR_NAME", "ngo 名")
            .env("GIT_AUTHOR_EMAIL", "ngo@example.org")
            .env("GIT_COMMITTER_NAME", "ngo 名")
            .env("GIT_COMMITTER_EMAIL", "ngo@example.org")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let url = format!("http://ngo:{}@{host}/plan.git", tokens["ngo"]);
    git(&["clone", "-q", "-b", &branch, &url, "plan"]);
    let file = work.path().join("plan").join(C04_PATH);
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(
        &file,
        text.replacen("落實政府資訊公開法資訊取用權", "落實資訊取用權", 1),
    )
    .unwrap();
    git(&["-C", "plan", "commit", "-qam", "Shorter title"]);
    git(&["-C", "plan", "push", "-q", "origin", &branch]);

    let op = gov.until(|m| m["type"] == "op" && m["client"] == 0).await;
    assert_eq!(op["field"], "title");
    assert_eq!(gov.text("title"), "落實資訊取用權");
    assert!(
        gov.text(PROBLEM).starts_with("【即時】"),
        "the live edit is kept"
    );
    gov.send(json!({"type": "save", "ref": 7})).await;
    let saved = gov
        .until(|m| m["type"] == "saved" || m["type"] == "error")
        .await;
    assert_eq!(saved["type"], "saved", "{saved}");
    let file = common::git(
        &setup::repo_path(dir.path()),
        &["show", &format!("{branch}:{C04_PATH}")],
    );
    assert!(file.contains("title = \"落實資訊取用權\"") && file.contains("【即時】"));
    drop(server);
}

#[tokio::test]
async fn every_acknowledged_edit_survives_kill_9() {
    let dir = common::demo_dir();
    let tokens = add_people(dir.path());
    let mut server = serve(dir.path());
    let branch = open_proposal(&server.base, &tokens["gov"]).await;
    let mut gov = connect(
        &server.base,
        &tokens["gov"],
        &branch,
        "gov-crash-session-0001",
    )
    .await
    .unwrap();
    let mut acked = 0;
    for i in 0..200 {
        let r = gov
            .edit(PROBLEM, json!([[0, 0, format!("{}", i % 10)]]), Some(0))
            .await;
        if i % 20 == 19 {
            gov.until(|m| m["type"] == "ack" && m["ref"] == r).await;
            acked = r;
        }
    }
    // Kill without warning, with edits possibly still in flight.
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    let expected: String = (0..acked)
        .rev()
        .map(|i| char::from(b'0' + (i % 10) as u8))
        .collect();
    let server = serve(dir.path());
    let again = match connect(
        &server.base,
        &tokens["ngo"],
        &branch,
        "ngo-crash-session-0001",
    )
    .await
    {
        Ok(editor) => editor,
        Err(status) => {
            let logs: Vec<String> = std::fs::read_dir(dir.path())
                .unwrap()
                .filter_map(|e| e.ok())
                .filter(|e| e.file_name().to_string_lossy().ends_with(".log"))
                .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
                .collect();
            panic!(
                "reconnecting after the restart: {status}\n{}",
                logs.join("\n")
            );
        }
    };
    let text = again.text(PROBLEM);
    assert!(
        text.ends_with(&gov.text(PROBLEM).chars().skip(200).collect::<String>()),
        "the original text is intact"
    );
    let typed: String = text.chars().take_while(|c| c.is_ascii_digit()).collect();
    assert!(
        typed.len() as u64 >= acked,
        "{} acked, {} present",
        acked,
        typed.len()
    );
    assert!(
        typed.ends_with(&expected),
        "every acked edit is there, in order: {typed}"
    );
    let mut server = server;
    server.child.kill().unwrap();
    server.child.wait().unwrap();
}

// ---- real traces through the protocol

fn trace(name: &str) -> Value {
    let path = trace::traces_dir().join(format!("{name}.json.gz"));
    let file = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_reader(flate2::read::GzDecoder::new(file)).unwrap()
}

/// A document whose problem section starts as `start`, committed to the proposal branch.
fn set_problem(env: &Env, start: &str) {
    let text = git_show(env, &env.branch, C04_PATH);
    let doc = codraft::doc::Commitment::parse(C04_PATH, &text).unwrap();
    let mut form = codraft::doc::form::CommitmentForm::from_commitment(&doc);
    form.sections
        .iter_mut()
        .find(|s| s.id == "problem")
        .unwrap()
        .text = start.to_string();
    commit_c04(
        env,
        &form.to_text(C04_PATH, Some(&doc)).unwrap(),
        "Trace start",
    );
}

/// Commits a new text of commitment 4 to the proposal branch from outside the live document
/// (as the API or a push would).
fn commit_c04(env: &Env, text: &str, message: &str) {
    let repo = git2::Repository::open_bare(setup::repo_path(env.dir.path())).unwrap();
    let head = codraft::store::git::branch_head(&repo, &env.branch)
        .unwrap()
        .unwrap();
    codraft::store::git::commit(
        &repo,
        &env.branch,
        Some(head),
        &[codraft::store::FileChange {
            path: C04_PATH.into(),
            content: Some(text.as_bytes().to_vec()),
        }],
        &codraft::store::Signature::now("Outside", "outside@example.org"),
        message,
    )
    .unwrap();
}

#[tokio::test]
async fn the_sveltecomponent_trace_replays_to_its_end_text() {
    let env = env().await;
    let t = trace("sveltecomponent");
    let start = t["startContent"].as_str().unwrap();
    set_problem(&env, start);
    let mut gov = connect(
        &env.base,
        &env.tokens["gov"],
        &env.branch,
        "svelte-trace-session-01",
    )
    .await
    .unwrap();
    assert_eq!(gov.text(PROBLEM), start.trim_matches('\n'));
    gov.track = false;
    // One editor typing: every edit is against its own earlier ones (base stays where it was).
    let base = gov.seq;
    let mut last = 0;
    for txn in t["txns"].as_array().unwrap() {
        last = gov.edit(PROBLEM, txn["patches"].clone(), Some(base)).await;
    }
    gov.until(|m| m["type"] == "ack" && m["ref"] == last).await;
    let reader = connect(
        &env.base,
        &env.tokens["ngo"],
        &env.branch,
        "svelte-trace-reader-001",
    )
    .await
    .unwrap();
    assert_eq!(reader.text(PROBLEM), t["endContent"].as_str().unwrap());
}

#[tokio::test]
async fn the_concurrent_friendsforever_trace_replays_to_its_end_text() {
    let env = env().await;
    let t = trace("friendsforever");
    let start = t["startContent"].as_str().unwrap_or("");
    set_problem(&env, start);
    let mut editors: BTreeMap<u64, Editor> = BTreeMap::new();
    let txns = t["txns"].as_array().unwrap();
    let agents: BTreeSet<u64> = txns.iter().map(|x| x["agent"].as_u64().unwrap()).collect();
    // Agent 0's text goes first where both type at one place (see tests/traces.rs): these
    // session names give agent 0 the lower rank.
    let rank = |a: u64| codraft::live::transform::rank(&format!("friends-agent-{a:08}"));
    assert!(rank(0) < rank(1));
    for agent in &agents {
        let session = format!("friends-agent-{agent:08}");
        editors.insert(
            *agent,
            connect(&env.base, &env.tokens["gov"], &env.branch, &session)
                .await
                .unwrap(),
        );
    }
    let base0 = editors.values().next().unwrap().seq;
    // The seq each txn got (known once acked), and which txn each agent's refs stand for.
    let mut seq_of: Vec<Option<u64>> = vec![None; txns.len()];
    let mut txn_of_ref: BTreeMap<(u64, u64), usize> = BTreeMap::new();
    for (i, txn) in txns.iter().enumerate() {
        let agent = txn["agent"].as_u64().unwrap();
        // The version this txn was made against: the newest parent by another agent (the
        // agent's own earlier txns are always included by the protocol).
        let mut base = base0;
        for p in txn["parents"].as_array().unwrap() {
            let p = p.as_u64().unwrap() as usize;
            let other = txns[p]["agent"].as_u64().unwrap();
            if other == agent {
                continue;
            }
            // Read that agent's acks until the parent's seq is known (edits are pipelined).
            while seq_of[p].is_none() {
                let editor = editors.get_mut(&other).unwrap();
                let ack = editor
                    .until(|m| m["type"] == "ack" || m["type"] == "error")
                    .await;
                assert_eq!(ack["type"], "ack", "{ack}");
                let idx = txn_of_ref[&(other, ack["ref"].as_u64().unwrap())];
                seq_of[idx] = ack["seq"].as_u64();
            }
            base = base.max(seq_of[p].unwrap());
        }
        let editor = editors.get_mut(&agent).unwrap();
        let r = editor
            .edit(PROBLEM, txn["patches"].clone(), Some(base))
            .await;
        txn_of_ref.insert((agent, r), i);
    }
    // Collect the remaining acks.
    for (agent, editor) in editors.iter_mut() {
        let last_ref = editor.next_ref - 1;
        while txn_of_ref
            .get(&(*agent, last_ref))
            .is_some_and(|i| seq_of[*i].is_none())
        {
            let ack = editor
                .until(|m| m["type"] == "ack" || m["type"] == "error")
                .await;
            assert_eq!(ack["type"], "ack", "{ack}");
            let idx = txn_of_ref[&(*agent, ack["ref"].as_u64().unwrap())];
            seq_of[idx] = ack["seq"].as_u64();
        }
    }
    let seq_of: Vec<u64> = seq_of.into_iter().map(|s| s.unwrap()).collect();
    let last = *seq_of.iter().max().unwrap();
    let end = t["endContent"].as_str().unwrap();
    for editor in editors.values_mut() {
        editor.until_seq(last).await;
        assert_eq!(editor.text(PROBLEM), end);
    }
}
