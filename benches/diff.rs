//! Diff benchmark: the whole demo plan, first drafts against today's `main`.
//!
//! `cargo bench --bench diff` builds the demo plan in a temporary folder, takes the first-draft
//! import (the second commit of `git rev-list --reverse main`) and `main`'s head, and measures
//! side by side in one run:
//! - `codraft::diff::diff_commitments` over every commitment in every language present
//!   (documents read with git2 and parsed before the clock starts);
//! - the same including the git2 reads and `Commitment::parse` of both versions;
//! - `git -C plan.git diff --word-diff=porcelain --word-diff-regex=. A B` (the git CLI as a
//!   process, so its time includes starting it; its `.` is a byte or a character depending on
//!   the locale; `git rev-parse main` is printed as its start-up floor);
//! - a pathological pair: two unrelated 50,000-character random CJK strings with a 100 ms
//!   deadline, which must come back soon after the deadline and say `timed_out`.
//!
//! It prints medians of 30 runs and the ratio git / ours. Shared machines are noisy: read the
//! medians and the ratio, not single runs.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use codraft::diff::{diff_commitments, diff_text, granularity_for, Status};
use codraft::doc::Commitment;
use codraft::store::{git, Oid};
use codraft::workflow::setup;

const RUNS: usize = 30;

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn measure(n: usize, mut f: impl FnMut()) -> Duration {
    f();
    median(
        (0..n)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed()
            })
            .collect(),
    )
}

fn git_cli(repo: &Path, args: &[&str]) -> Vec<u8> {
    let out = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(args)
        .output()
        .expect("git runs");
    assert!(out.status.success(), "git {args:?}");
    out.stdout
}

/// Every commitment file at a commit, parsed: (id, language) → document.
fn plan_at(repo: &git2::Repository, commit: Oid) -> BTreeMap<(String, String), Commitment> {
    let mut docs = BTreeMap::new();
    let folders = git::list_dir(repo, commit, "commitments").expect("commitments/");
    for id in folders.into_iter().filter(|f| !f.starts_with('_')) {
        let folder = format!("commitments/{id}");
        for file in git::list_dir(repo, commit, &folder).expect("folder") {
            let Some(lang) = file.strip_suffix(".md") else {
                continue;
            };
            let path = format!("{folder}/{file}");
            let bytes = git::read_file(repo, commit, &path)
                .expect("read")
                .expect("file");
            let text = String::from_utf8(bytes).expect("UTF-8");
            let doc = Commitment::parse(&path, &text).expect("valid demo document");
            docs.insert((id.clone(), lang.to_string()), doc);
        }
    }
    docs
}

type Pairs = Vec<(String, Option<Commitment>, Option<Commitment>)>;

/// Both versions of every (id, language) present in either commit.
fn pairs(repo: &git2::Repository, a: Oid, b: Oid) -> Pairs {
    let (mut old, mut new) = (plan_at(repo, a), plan_at(repo, b));
    let mut keys: Vec<(String, String)> = old.keys().chain(new.keys()).cloned().collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .map(|key| (key.1.clone(), old.remove(&key), new.remove(&key)))
        .collect()
}

fn diff_all(pairs: &Pairs) -> Vec<codraft::diff::DocumentDiff> {
    let deadline = Instant::now() + Duration::from_secs(10);
    pairs
        .iter()
        .map(|(lang, old, new)| diff_commitments(old.as_ref(), new.as_ref(), lang, deadline))
        .collect()
}

/// Random CJK Unified Ideographs (a deterministic generator).
fn random_cjk(seed: u64, len: usize) -> String {
    let mut s = seed;
    (0..len)
        .map(|_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            char::from_u32(0x4E00 + (s >> 33) as u32 % 0x5000).unwrap_or('〇')
        })
        .collect()
}

fn main() {
    let dir = tempfile::tempdir().expect("tempdir");
    setup::demo(dir.path()).expect("demo plan");
    let repo_path = setup::repo_path(dir.path());
    let repo = git2::Repository::open_bare(&repo_path).expect("open");

    let revs = String::from_utf8(git_cli(&repo_path, &["rev-list", "--reverse", "main"]))
        .expect("hex ids");
    let revs: Vec<&str> = revs.lines().collect();
    let (a_hex, b_hex) = (revs[1], revs[revs.len() - 1]);
    let (a, b) = (
        Oid::from_str(a_hex).expect("oid"),
        Oid::from_str(b_hex).expect("oid"),
    );

    let pairs = pairs(&repo, a, b);
    let diffs = diff_all(&pairs);
    let changed = diffs.iter().filter(|d| d.status != Status::Unchanged);
    let (inserted, deleted) = changed
        .clone()
        .flat_map(|d| &d.sections)
        .fold((0, 0), |acc, s| {
            (acc.0 + s.body.inserted, acc.1 + s.body.deleted)
        });
    let git_out = git_cli(
        &repo_path,
        &[
            "diff",
            "--word-diff=porcelain",
            "--word-diff-regex=.",
            a_hex,
            b_hex,
        ],
    );
    println!(
        "demo plan {}..{} ({} commits): {} documents ({} languages), {} changed or added, \
         {} fields and {} sections changed, {inserted} characters inserted and {deleted} \
         deleted; git prints {} bytes",
        &a_hex[..7],
        &b_hex[..7],
        revs.len(),
        pairs.len(),
        pairs
            .iter()
            .map(|p| p.0.as_str())
            .collect::<std::collections::BTreeSet<_>>()
            .len(),
        changed.clone().count(),
        changed.clone().map(|d| d.fields.len()).sum::<usize>(),
        changed.map(|d| d.sections.len()).sum::<usize>(),
        git_out.len(),
    );

    let ours = measure(RUNS, || {
        std::hint::black_box(diff_all(&pairs));
    });
    let ours_with_read = measure(RUNS, || {
        let p = self::pairs(&repo, a, b);
        std::hint::black_box(diff_all(&p));
    });
    let git = measure(RUNS, || {
        std::hint::black_box(git_cli(
            &repo_path,
            &[
                "diff",
                "--word-diff=porcelain",
                "--word-diff-regex=.",
                a_hex,
                b_hex,
            ],
        ));
    });
    let spawn = measure(RUNS, || {
        std::hint::black_box(git_cli(&repo_path, &["rev-parse", "main"]));
    });

    let (old, new) = (random_cjk(1, 50_000), random_cjk(2, 50_000));
    let start = Instant::now();
    let wild = diff_text(
        &old,
        &new,
        granularity_for("zh-TW"),
        start + Duration::from_millis(100),
    );
    let wild_time = start.elapsed();
    assert_eq!((wild.old_text(), wild.new_text()), (old, new));

    println!(
        "\n{:<62} {:>10} {:>8}",
        format!("whole plan, median of {RUNS}"),
        "time",
        "git/x"
    );
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    for (name, d) in [
        ("codraft diff_commitments, parsed documents", ours),
        (
            "codraft git2 read + parse + diff_commitments",
            ours_with_read,
        ),
        (
            "git diff --word-diff=porcelain --word-diff-regex=. (CLI)",
            git,
        ),
        ("(git rev-parse main: the CLI's start-up floor)", spawn),
    ] {
        println!(
            "{name:<62} {:>7.2} ms {:>7.1}×",
            ms(d),
            git.as_secs_f64() / d.as_secs_f64()
        );
    }
    println!(
        "\npathological: 50,000 vs 50,000 random CJK characters, deadline 100 ms: \
         {:.1} ms, timed_out = {}, {} segments ({} inserted, {} deleted characters)",
        ms(wild_time),
        wild.timed_out,
        wild.segments.len(),
        wild.inserted,
        wild.deleted,
    );
}
