//! The document model against real files: every demo document at every commit of the demo
//! history round-trips byte for byte; every invalid fixture yields its problem, at its line.

mod common;

use std::collections::BTreeMap;

use codraft::doc::Commitment;
use codraft::store::git;
use codraft::workflow::plan::{load, CommitFiles};
use codraft::workflow::setup;

#[test]
fn every_demo_document_round_trips_at_every_commit() {
    let dir = common::demo_dir();
    let repo = git2::Repository::open_bare(setup::repo_path(dir.path())).unwrap();
    let mut walk = repo.revwalk().unwrap();
    walk.push(git::resolve(&repo, "main").unwrap()).unwrap();
    let mut checked = 0;
    let mut commits = 0;
    for oid in walk {
        let commit = oid.unwrap();
        commits += 1;
        let snapshot = load(
            &CommitFiles {
                repo: &repo,
                commit,
            },
            commit,
        )
        .unwrap();
        assert!(
            snapshot.problems.is_empty(),
            "{commit}: {:?}",
            snapshot.problems
        );
        for entry in &snapshot.commitments {
            for (lang, version) in &entry.versions {
                let path = format!("commitments/{}/{lang}.md", entry.id);
                let bytes = git::read_file(&repo, commit, &path).unwrap().unwrap();
                let doc = version.as_ref().unwrap();
                assert_eq!(
                    doc.to_text().as_bytes(),
                    bytes.as_slice(),
                    "{path} at {commit}"
                );
                assert_eq!(
                    &Commitment::parse(&path, &doc.to_text()).unwrap(),
                    doc.as_ref()
                );
                checked += 1;
            }
        }
    }
    assert!(commits >= 10, "the demo history has {commits} commits");
    assert!(checked >= 19 * 10, "checked {checked} documents");
}

#[derive(serde::Deserialize)]
struct Expected {
    line: usize,
    field: String,
}

#[test]
fn every_invalid_fixture_reports_its_line_and_field() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/invalid");
    let expected: BTreeMap<String, Expected> =
        toml::from_str(&std::fs::read_to_string(dir.join("expected.toml")).unwrap()).unwrap();
    let mut seen = 0;
    let mut failures = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "md") {
            continue;
        }
        let name = path.file_stem().unwrap().to_str().unwrap().to_string();
        let want = expected
            .get(&name)
            .unwrap_or_else(|| panic!("{name} has no entry in expected.toml"));
        let text = std::fs::read_to_string(&path).unwrap();
        let problems = Commitment::parse(&format!("{name}.md"), &text)
            .expect_err(&name)
            .0;
        if !problems
            .iter()
            .any(|p| p.line == want.line && p.field == want.field)
        {
            let got: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
            failures.push(format!(
                "{name}: expected {}:{}, got {got:?}",
                want.line, want.field
            ));
        }
        assert!(problems
            .iter()
            .all(|p| p.file == format!("{name}.md") && !p.message.is_empty()));
        seen += 1;
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(
        seen,
        expected.len(),
        "every expected problem has its fixture"
    );
}
