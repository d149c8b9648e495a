//! Crash safety (issue 9, point 1) against `codraft serve` as its own process, killed with
//! SIGKILL and restarted on the same data directory.

mod common;
#[path = "common/live.rs"]
mod live_client;

use std::path::Path;

use serde_json::json;

use codraft::workflow::setup;
use live_client::{add_people, open_proposal, try_connect, C04_PATH, PROBLEM};

fn server_logs(dir: &Path) -> String {
    let mut logs = String::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        if e.file_name().to_string_lossy().ends_with(".log") {
            logs.push_str(&std::fs::read_to_string(e.path()).unwrap_or_default());
        }
    }
    logs
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
