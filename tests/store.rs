//! The git store against real repositories, with the plain `git` CLI as the independent client:
//! multi-file commits without a worktree, reads at branches, tags and commits, compare-and-swap
//! refusals that write nothing, one writer under concurrent writes, a folder's history.

mod common;

use codraft::store::{git, FileChange, Signature, Store, StoreError};

fn author(name: &str) -> Signature {
    Signature {
        name: name.into(),
        email: format!("{name}@example.org"),
        seconds: 1_600_000_000,
        offset_minutes: 480,
    }
}

fn put(path: &str, text: &str) -> FileChange {
    FileChange {
        path: path.into(),
        content: Some(text.as_bytes().to_vec()),
    }
}

/// An empty bare repository in a temporary folder, and its store.
fn fresh_store() -> (tempfile::TempDir, std::path::PathBuf, Store) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plan.git");
    git::init_bare(&path).unwrap();
    let store = Store::open(&path).unwrap();
    (dir, path, store)
}

#[tokio::test]
async fn writes_read_back_at_branch_tag_and_commit() {
    let (_dir, path, store) = fresh_store();

    let first = store
        .commit(
            "main",
            None,
            vec![put("a/x.md", "一"), put("b/y.md", "二")],
            author("ana"),
            "first",
        )
        .await
        .unwrap();
    let second = store
        .commit(
            "main",
            Some(first),
            vec![
                put("a/x.md", "一（修正）"),
                FileChange {
                    path: "b/y.md".into(),
                    content: None,
                },
            ],
            author("bo"),
            "second",
        )
        .await
        .unwrap();

    // A tag made by the git CLI, through a clone and a push.
    let work = tempfile::tempdir().unwrap();
    common::git(work.path(), &["clone", "-q", path.to_str().unwrap(), "c"]);
    let clone = work.path().join("c");
    common::git(
        &clone,
        &[
            "tag",
            "-a",
            "rounds/first",
            "-m",
            "first round",
            &first.to_string(),
        ],
    );
    common::git(&clone, &["push", "-q", "origin", "rounds/first"]);
    assert_eq!(
        std::fs::read_to_string(clone.join("a/x.md")).unwrap(),
        "一（修正）"
    );
    assert!(!clone.join("b/y.md").exists());

    assert_eq!(store.resolve("main").await.unwrap(), second);
    assert_eq!(store.resolve("refs/heads/main").await.unwrap(), second);
    assert_eq!(store.resolve("rounds/first").await.unwrap(), first);
    assert_eq!(
        store.resolve(&first.to_string()[..10]).await.unwrap(),
        first
    );
    assert_eq!(
        store.read_file(first, "a/x.md").await.unwrap().unwrap(),
        "一".as_bytes()
    );
    assert_eq!(store.read_file(second, "b/y.md").await.unwrap(), None);
    assert_eq!(
        store.read_file(second, "a").await.unwrap(),
        None,
        "a folder is not a file"
    );

    for bad in [
        "nope",
        "main~1",
        "HEAD^{tree}",
        "../main",
        "",
        "main..other",
        "0000000",
    ] {
        assert!(
            matches!(store.resolve(bad).await, Err(StoreError::UnknownRef(_))),
            "{bad}"
        );
    }
    let history = store
        .read(move |repo| git::history(repo, second, "b", 10))
        .await
        .unwrap();
    assert_eq!(
        history
            .iter()
            .map(|c| c.summary.as_str())
            .collect::<Vec<_>>(),
        ["second", "first"]
    );
    assert_eq!(history[1].author_name, "ana");
}

#[tokio::test]
async fn a_stale_expected_head_is_refused_and_writes_nothing() {
    let (_dir, _path, store) = fresh_store();
    let first = store
        .commit("main", None, vec![put("f.md", "1")], author("a"), "1")
        .await
        .unwrap();
    let second = store
        .commit(
            "main",
            Some(first),
            vec![put("f.md", "2")],
            author("a"),
            "2",
        )
        .await
        .unwrap();

    let stale = store
        .commit(
            "main",
            Some(first),
            vec![put("f.md", "lost")],
            author("b"),
            "stale",
        )
        .await;
    assert!(
        matches!(stale, Err(StoreError::StaleHead { .. })),
        "{stale:?}"
    );
    let again = store
        .commit(
            "main",
            None,
            vec![put("f.md", "x")],
            author("b"),
            "recreate",
        )
        .await;
    assert!(
        matches!(again, Err(StoreError::BranchExists(_))),
        "{again:?}"
    );
    assert_eq!(store.resolve("main").await.unwrap(), second);
    assert_eq!(
        store.read_file(second, "f.md").await.unwrap().unwrap(),
        b"2"
    );

    for bad in [
        "../escape.md",
        "/abs.md",
        "a//b.md",
        ".git/config",
        "a/./b.md",
        "",
    ] {
        let r = store
            .commit(
                "main",
                Some(second),
                vec![put(bad, "x")],
                author("c"),
                "bad",
            )
            .await;
        assert!(matches!(r, Err(StoreError::BadPath(_))), "{bad}: {r:?}");
    }
    assert_eq!(
        store.resolve("main").await.unwrap(),
        second,
        "nothing was written"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writers_from_one_head_exactly_one_wins() {
    let (_dir, path, store) = fresh_store();
    let base = store
        .commit("main", None, vec![put("f.md", "base")], author("a"), "base")
        .await
        .unwrap();
    let tasks: Vec<_> = (0..16)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .commit(
                        "main",
                        Some(base),
                        vec![put("f.md", &format!("writer {i}"))],
                        author("w"),
                        "race",
                    )
                    .await
            })
        })
        .collect();
    let mut wins = Vec::new();
    for t in tasks {
        match t.await.unwrap() {
            Ok(oid) => wins.push(oid),
            Err(StoreError::StaleHead { .. }) => {}
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(wins.len(), 1);
    assert_eq!(store.resolve("main").await.unwrap(), wins[0]);
    // The git CLI agrees and the repository is sound.
    let work = tempfile::tempdir().unwrap();
    assert_eq!(
        common::git(
            work.path(),
            &["--git-dir", path.to_str().unwrap(), "rev-parse", "main"]
        )
        .trim(),
        wins[0].to_string()
    );
    common::git(
        work.path(),
        &["--git-dir", path.to_str().unwrap(), "fsck", "--strict"],
    );
}

#[tokio::test]
async fn a_push_between_read_and_write_is_refused_not_overwritten() {
    let (_dir, path, store) = fresh_store();
    let base = store
        .commit("main", None, vec![put("f.md", "base")], author("a"), "base")
        .await
        .unwrap();
    // Someone pushes with the git CLI.
    let work = tempfile::tempdir().unwrap();
    common::git(work.path(), &["clone", "-q", path.to_str().unwrap(), "c"]);
    let clone = work.path().join("c");
    std::fs::write(clone.join("f.md"), "pushed").unwrap();
    common::git(&clone, &["commit", "-qam", "pushed"]);
    common::git(&clone, &["push", "-q", "origin", "main"]);
    // Our write, based on what we read before the push, is refused.
    let r = store
        .commit(
            "main",
            Some(base),
            vec![put("f.md", "ours")],
            author("b"),
            "ours",
        )
        .await;
    assert!(matches!(r, Err(StoreError::StaleHead { .. })), "{r:?}");
    let head = store.resolve("main").await.unwrap();
    assert_eq!(
        store.read_file(head, "f.md").await.unwrap().unwrap(),
        b"pushed"
    );
}

#[test]
fn annotated_tags_are_created_once_and_never_moved() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plan.git");
    let repo = git::init_bare(&path).unwrap();
    let first = git::commit(
        &repo,
        "main",
        None,
        &[put("a.md", "一")],
        &author("ana"),
        "one",
    )
    .unwrap();
    let second = git::commit(
        &repo,
        "main",
        Some(first),
        &[put("a.md", "二")],
        &author("bo"),
        "two",
    )
    .unwrap();

    git::create_tag(
        &repo,
        "rounds/r1",
        first,
        &author("ana"),
        "第1次會議\n\nvotes\n",
    )
    .unwrap();
    // The git CLI sees an annotated tag on the first commit, tagged by ana.
    let shown = common::git(&path, &["cat-file", "-p", "rounds/r1"]);
    assert!(shown.contains(&format!("object {first}")), "{shown}");
    assert!(
        shown.contains("tagger ana <ana@example.org> 1600000000 +0800"),
        "{shown}"
    );
    assert!(shown.ends_with("第1次會議\n\nvotes\n"), "{shown}");

    // The same name again, on another commit: refused, the tag is untouched.
    let err = git::create_tag(&repo, "rounds/r1", second, &author("bo"), "moved").unwrap_err();
    assert!(
        matches!(err, StoreError::TagExists(ref n) if n == "rounds/r1"),
        "{err}"
    );
    assert_eq!(
        common::git(&path, &["rev-parse", "rounds/r1^{commit}"]).trim(),
        first.to_string()
    );
    // A tag pushed by someone else (lightweight) is refused as well.
    common::git(&path, &["tag", "rounds/r2", &second.to_string()]);
    assert!(matches!(
        git::create_tag(&repo, "rounds/r2", first, &author("ana"), "x"),
        Err(StoreError::TagExists(_))
    ));

    let t = git::tag(&repo, "rounds/r1").unwrap().unwrap();
    assert_eq!(t.commit, first);
    assert!(t.annotated);
    assert_eq!(t.message, "第1次會議\n\nvotes\n");
    assert_eq!(t.tagger.unwrap(), author("ana"));
    let t2 = git::tag(&repo, "rounds/r2").unwrap().unwrap();
    assert!(!t2.annotated && t2.commit == second);
    assert!(git::tag(&repo, "rounds/none").unwrap().is_none());
    assert_eq!(
        git::tag_names(&repo, "rounds/").unwrap(),
        ["rounds/r1", "rounds/r2"]
    );
    assert!(matches!(
        git::create_tag(&repo, "bad..name", first, &author("ana"), "x"),
        Err(StoreError::UnknownRef(_))
    ));
}
