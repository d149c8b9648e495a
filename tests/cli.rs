//! The `codraft` binary as a newcomer uses it: init, check, demo, --help.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

fn codraft(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_codraft"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn every_command_has_help() {
    for cmd in [
        &["--help"][..],
        &["init", "--help"],
        &["serve", "--help"],
        &["check", "--help"],
        &["demo", "--help"],
    ] {
        let out = codraft(cmd);
        assert!(out.status.success(), "{cmd:?}");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("Usage"),
            "{cmd:?}"
        );
    }
}

#[test]
fn init_makes_a_repository_that_git_clones_and_check_accepts() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("plan");
    let out = codraft(&["init", data.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let clone = common::clone(&data, tmp.path());
    for file in [
        "plan.toml",
        "README.md",
        "forum/members.toml",
        "forum/rules.md",
        "commitments/_template/zh-TW.md",
        "commitments/_template/en.md",
    ] {
        assert!(clone.join(file).is_file(), "{file}");
    }
    assert!(codraft(&["check", data.to_str().unwrap()]).status.success());
    let again = codraft(&["init", data.to_str().unwrap()]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already holds a plan repository"));
}

#[test]
fn check_reports_a_broken_document_with_file_and_line() {
    let data = common::demo_dir();
    let tmp = tempfile::tempdir().unwrap();
    let clone = common::clone(data.path(), tmp.path());

    // The data directory, the bare repository and the clone are all valid.
    for path in [
        data.path().to_path_buf(),
        codraft::workflow::setup::repo_path(data.path()),
        clone.clone(),
    ] {
        let out = codraft(&["check", path.to_str().unwrap()]);
        assert!(
            out.status.success(),
            "{}: {}",
            path.display(),
            String::from_utf8_lossy(&out.stdout)
        );
    }

    // Break commitment 4 in the working tree: an unknown area and a milestone that ends early.
    let file = clone.join("commitments/c04-information-access/zh-TW.md");
    let text = std::fs::read_to_string(&file).unwrap();
    let broken = text.replacen("area = \"open-data\"", "area = \"open-date\"", 1);
    let (head, tail) = broken.split_once("[[milestones]]").unwrap();
    let tail = tail.replacen("end = \"", "end = \"1999-01\" #", 1);
    std::fs::write(&file, format!("{head}[[milestones]]{tail}")).unwrap();

    let out = codraft(&["check", clone.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let area_line = text.lines().position(|l| l.starts_with("area = ")).unwrap() + 1;
    assert!(
        stdout.contains("commitments/c04-information-access/zh-TW.md:")
            && stdout.contains("milestones[1].end"),
        "{stdout}"
    );
    // Only the area: its line is named.
    std::fs::write(
        &file,
        text.replacen("area = \"open-data\"", "area = \"open-date\"", 1),
    )
    .unwrap();
    let out = codraft(&["check", clone.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&format!("commitments/c04-information-access/zh-TW.md:{area_line}: area: unknown area \"open-date\"")),
        "{stdout}"
    );

    // Not a plan at all.
    let out = codraft(&["check", tmp.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("plan.toml"));
}

#[test]
fn demo_serves_the_plan_and_its_repository_clones() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("demo");
    let mut child = Command::new(env!("CARGO_BIN_EXE_codraft"))
        .args([
            "demo",
            "--listen",
            "127.0.0.1:0",
            "--data",
            data.to_str().unwrap(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let url = loop {
        let line = lines
            .next()
            .expect("codraft demo printed its address")
            .unwrap();
        if let Some(rest) = line.split("http://").nth(1) {
            break format!("http://{}", rest.split('/').next().unwrap());
        }
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let list: serde_json::Value = runtime.block_on(async {
        reqwest::get(format!("{url}/api/commitments"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    });
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(list.as_array().unwrap().len(), 19);

    let clone = common::clone(&data, tmp.path());
    let folders: Vec<_> = std::fs::read_dir(clone.join("commitments"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| !n.starts_with('_'))
        .collect();
    assert_eq!(folders.len(), 19);
    let log = common::git(&clone, &["log", "--format=%an", "main"]);
    let authors: std::collections::BTreeSet<&str> = log.lines().collect();
    assert!(authors.len() >= 5, "several authors: {authors:?}");
}
