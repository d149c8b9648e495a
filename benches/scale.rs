//! A plan at scale: 200 commitments and 20,000 commits, served by the release binary.
//!
//! `cargo bench --bench scale` builds the demo data directory, then with `git fast-import`
//! (git's own bulk writer, the fastest honest way to make 20,000 commits) replaces its 19
//! commitments by 200 (copies of the demo's, renumbered) and adds 20,000 commits on `main`, each
//! rewording one milestone of one commitment — a quarter of them on one "hot" commitment, so
//! its history is 5,000 commits deep — and a forum round every 2,000 commits, recorded and
//! tagged `rounds/scale-NN` by the workflow's own jobs (every member agrees). Then it starts `codraft serve` on it and prints:
//! - the time from starting the process to the first answered request;
//! - per page or JSON: the first request (cold) and the median and p90 of the next ones
//!   (home, the hot and a quiet commitment, the hot one's history, the diff between the first
//!   and the last round — page and JSON, the forum and timeline pages);
//! - next to them, the raw git floor for the same questions: `git log` of the hot file,
//!   `git diff --word-diff-regex=.` between the two round tags.
//!
//! Set `SCALE_COMMITS` to change the number of commits (default 20,000).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use codraft::auth::{Role, User};
use codraft::doc::Forum;
use codraft::workflow::consensus::Choice;
use codraft::workflow::rounds::{self, NewRound, Now};

const COMMITMENTS: usize = 200;
const ROUND_EVERY: usize = 2_000;
const HOT: &str = "c001-scale";

fn git(repo: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .env("GIT_DIR", repo)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn id_of(k: usize) -> String {
    if k == 1 {
        HOT.to_string()
    } else {
        format!("c{k:03}-scale")
    }
}

/// The demo's commitment texts, in order.
fn demo_commitments(repo: &Path) -> Vec<(String, String)> {
    let listing = git(repo, &["ls-tree", "--name-only", "main", "commitments/"]);
    let mut out = Vec::new();
    for dir in listing.lines() {
        let id = dir.trim_start_matches("commitments/");
        if id.starts_with('_') {
            continue;
        }
        let text = git(repo, &["show", &format!("main:{dir}/zh-TW.md")]);
        out.push((id.to_string(), text));
    }
    out
}

/// Commitment `k` (1-based) made from a demo commitment: new id and number; its first
/// milestone's text ends with `version` so each commit changes one line.
fn commitment(template: &(String, String), k: usize, version: usize) -> String {
    let (old_id, text) = template;
    let mut out = String::with_capacity(text.len() + 64);
    let mut first_milestone_text = true;
    for line in text.lines() {
        if line.starts_with("id = \"") && line.contains(old_id.as_str()) {
            out.push_str(&format!("id = \"{}\"", id_of(k)));
        } else if line.starts_with("number = ") {
            out.push_str(&format!("number = {k}"));
        } else if line.starts_with("text = \"") && first_milestone_text {
            first_milestone_text = false;
            let body = line.trim_end_matches('"');
            out.push_str(&format!("{body}（第{version}版）\""));
        } else {
            out.push_str(line);
        }
        out.push('\n');
    }
    out
}

fn data_block(out: &mut impl Write, bytes: &[u8]) {
    writeln!(out, "data {}", bytes.len()).unwrap();
    out.write_all(bytes).unwrap();
    out.write_all(b"\n").unwrap();
}

/// Writes the commits with `git fast-import`; returns how long it took.
fn generate(repo: &Path, commits: usize) -> Duration {
    let templates = demo_commitments(repo);
    let old_dirs: Vec<String> = templates
        .iter()
        .map(|(id, _)| format!("commitments/{id}"))
        .collect();
    let main = git(repo, &["rev-parse", "main"]).trim().to_string();
    let start = Instant::now();
    let mut child = Command::new("git")
        .args(["fast-import", "--quiet", "--force"])
        .env("GIT_DIR", repo)
        .stdin(Stdio::piped())
        .spawn()
        .expect("git fast-import runs");
    {
        let mut w = std::io::BufWriter::new(child.stdin.take().unwrap());
        let mut versions = vec![0usize; COMMITMENTS + 1];
        let t0: i64 = 1_609_459_200; // 2021-01-01
        let commit_header = |w: &mut std::io::BufWriter<_>, n: usize, msg: &str| {
            writeln!(w, "commit refs/heads/main").unwrap();
            writeln!(w, "mark :{n}").unwrap();
            let when = t0 + n as i64 * 3_600;
            writeln!(w, "author 秘書處 <secretariat@example.org> {when} +0800").unwrap();
            writeln!(w, "committer 秘書處 <secretariat@example.org> {when} +0800").unwrap();
            data_block(w, msg.as_bytes());
        };
        // Commit 1: 200 commitments instead of 19.
        commit_header(&mut w, 1, "規模測試：200 項承諾");
        writeln!(w, "from {main}").unwrap();
        for dir in &old_dirs {
            writeln!(w, "D {dir}").unwrap();
        }
        for k in 1..=COMMITMENTS {
            let text = commitment(&templates[(k - 1) % templates.len()], k, 0);
            writeln!(w, "M 100644 inline commitments/{}/zh-TW.md", id_of(k)).unwrap();
            data_block(&mut w, text.as_bytes());
        }
        // Then one milestone reworded per commit; every 4th commit on the hot commitment.
        for n in 2..=commits + 1 {
            let k = if n % 4 == 0 {
                1
            } else {
                2 + (n * 7) % (COMMITMENTS - 1)
            };
            versions[k] += 1;
            let text = commitment(&templates[(k - 1) % templates.len()], k, versions[k]);
            commit_header(&mut w, n, &format!("承諾{k}：里程碑一第{}版", versions[k]));
            writeln!(w, "M 100644 inline commitments/{}/zh-TW.md", id_of(k)).unwrap();
            data_block(&mut w, text.as_bytes());
        }
        w.flush().unwrap();
    }
    assert!(child.wait().unwrap().success(), "git fast-import failed");
    start.elapsed()
}

struct Server {
    child: std::process::Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts `codraft serve`; returns it and the time to the first answered request.
async fn start(data: &Path, client: &reqwest::Client) -> (Server, Duration) {
    let port = free_port();
    let t = Instant::now();
    let child = Command::new(env!("CARGO_BIN_EXE_codraft"))
        .args([
            "serve",
            "--data",
            data.to_str().unwrap(),
            "--listen",
            &format!("127.0.0.1:{port}"),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let server = Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
    };
    loop {
        if let Ok(r) = client.get(format!("{}/healthz", server.base)).send().await {
            if r.status().is_success() {
                return (server, t.elapsed());
            }
        }
        assert!(
            t.elapsed() < Duration::from_secs(120),
            "the server did not start"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn quantile(sorted: &[Duration], q: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

/// First request, then `n` more: (cold, median, p90, body bytes).
async fn measure(
    client: &reqwest::Client,
    url: &str,
    n: usize,
) -> (Duration, Duration, Duration, usize) {
    let get = || async {
        let t = Instant::now();
        let r = client.get(url).send().await.unwrap();
        let status = r.status();
        let body = r.bytes().await.unwrap();
        assert!(status.is_success(), "{url}: {status}");
        (t.elapsed(), body.len())
    };
    let (cold, len) = get().await;
    let mut times = Vec::with_capacity(n);
    for _ in 0..n {
        times.push(get().await.0);
    }
    times.sort();
    (cold, quantile(&times, 0.5), quantile(&times, 0.9), len)
}

fn timed(f: impl FnOnce() -> String) -> (Duration, String) {
    let t = Instant::now();
    let out = f();
    (t.elapsed(), out)
}

/// The demo's forum members and the secretariat as users of the workflow.
fn members(repo: &git2::Repository) -> Vec<User> {
    let main = repo
        .revparse_single("main")
        .unwrap()
        .peel_to_commit()
        .unwrap();
    let blob = main
        .tree()
        .unwrap()
        .get_path(Path::new(Forum::PATH))
        .unwrap()
        .to_object(repo)
        .unwrap()
        .peel_to_blob()
        .unwrap();
    let forum = Forum::parse(std::str::from_utf8(blob.content()).unwrap()).unwrap();
    codraft::auth::demo::accounts_for(&forum)
        .unwrap()
        .iter()
        .map(codraft::auth::NewUser::user)
        .collect()
}

/// A forum round every [`ROUND_EVERY`] generated commits, through the workflow's own jobs
/// (scheduled with that commit as candidate, every member agrees, closed: the annotated tag
/// `rounds/scale-NN` and its records), so `codraft check` holds as on a real plan.
fn record_rounds(repo_path: &Path, first_generated: usize, commits: usize) -> usize {
    let repo = git2::Repository::open_bare(repo_path).unwrap();
    let ids: Vec<String> = git(
        repo_path,
        &["rev-list", "--reverse", "--first-parent", "main"],
    )
    .lines()
    .map(str::to_string)
    .collect();
    let users = members(&repo);
    let convener = users
        .iter()
        .find(|u| u.roles.contains(&Role::Convener))
        .expect("the demo forum has a convener");
    let mut made = 0;
    for round in 1..=commits / ROUND_EVERY {
        let n = round * ROUND_EVERY + 1; // generated commit number (1 = the 200 commitments)
        let commit = &ids[first_generated + n - 1];
        let at = repo
            .find_commit(git2::Oid::from_str(commit).unwrap())
            .unwrap()
            .time()
            .seconds();
        let now = Now::utc(at + 60);
        let name = format!("scale-{round:02}");
        let date = jiff::Timestamp::from_second(at + 7 * 86_400)
            .unwrap()
            .to_zoned(jiff::tz::TimeZone::UTC)
            .date()
            .to_string();
        rounds::schedule_job(
            &repo,
            convener,
            NewRound {
                name: name.clone(),
                title: format!("規模測試第{round}次會議"),
                date,
                candidate: Some(commit.clone()),
                ..NewRound::default()
            },
            now,
        )
        .unwrap();
        rounds::open_vote_job(&repo, convener, &name, Now::utc(at + 120)).unwrap();
        for u in users
            .iter()
            .filter(|u| u.roles.contains(&Role::ForumMember))
        {
            rounds::vote_job(
                &repo,
                u,
                &name,
                Choice::Agree,
                String::new(),
                Now::utc(at + 180),
            )
            .unwrap();
        }
        let closed = rounds::close_job(&repo, convener, &name, Now::utc(at + 240)).unwrap();
        assert!(closed.tag.is_some(), "round {name} reached consensus");
        made += 1;
    }
    made
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo bench -- --list`
    }
    let commits: usize = std::env::var("SCALE_COMMITS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_000);
    let tmp = tempfile::tempdir().unwrap();
    let data: PathBuf = tmp.path().join("data");
    let t = Instant::now();
    codraft::workflow::setup::demo(&data).expect("the demo builds");
    println!("demo data directory built in {}", ms(t.elapsed()));
    let repo = codraft::workflow::setup::repo_path(&data);
    let before: usize = git(&repo, &["rev-list", "--count", "--first-parent", "main"])
        .trim()
        .parse()
        .unwrap();
    let took = generate(&repo, commits);
    let count = git(&repo, &["rev-list", "--count", "main"]);
    let hot_path = format!("commitments/{HOT}/zh-TW.md");
    let hot_commits = git(&repo, &["rev-list", "--count", "main", "--", &hot_path]);
    println!(
        "generated {commits} commits with git fast-import in {} (main now has {} commits; {} touch {HOT}; {COMMITMENTS} commitments; tags rounds/scale-01..{:02})",
        ms(took),
        count.trim(),
        hot_commits.trim(),
        commits / ROUND_EVERY
    );
    let t = Instant::now();
    let rounds_made = record_rounds(&repo, before, commits);
    println!(
        "{rounds_made} forum rounds recorded and tagged through the workflow in {}",
        ms(t.elapsed())
    );
    let t = Instant::now();
    let check = Command::new(env!("CARGO_BIN_EXE_codraft"))
        .args(["check", data.to_str().unwrap()])
        .output()
        .unwrap();
    println!(
        "codraft check: {} in {}",
        if check.status.success() {
            "ok"
        } else {
            "FAILED"
        },
        ms(t.elapsed())
    );
    assert!(
        check.status.success(),
        "{}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );
    let last = format!("scale-{:02}", commits / ROUND_EVERY);

    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let client = reqwest::Client::new();
        let (server, startup) = start(&data, &client).await;
        println!("server start to first answer: {}", ms(startup));
        println!();
        println!(
            "{:<44} {:>10} {:>10} {:>10} {:>10}",
            "request", "cold", "median", "p90", "bytes"
        );
        let quiet = id_of(COMMITMENTS);
        let pages = [
            ("home", "/".to_string(), 20),
            ("hot commitment page", format!("/commitments/{HOT}"), 20),
            ("quiet commitment page", format!("/commitments/{quiet}"), 20),
            (
                "hot commitment history",
                format!("/commitments/{HOT}/history"),
                10,
            ),
            (
                "rounds compare page (first → last)",
                format!("/rounds/compare?from=scale-01&to={last}"),
                5,
            ),
            (
                "rounds compare JSON (first → last)",
                format!("/api/rounds/compare?from=scale-01&to={last}"),
                5,
            ),
            ("forum page", "/forum".to_string(), 5),
            ("timeline page", "/timeline".to_string(), 5),
            ("commitments JSON", "/api/commitments".to_string(), 20),
        ];
        for (name, path, n) in pages {
            let (cold, median, p90, len) =
                measure(&client, &format!("{}{path}", server.base), n).await;
            println!(
                "{name:<44} {:>10} {:>10} {:>10} {len:>10}",
                ms(cold),
                ms(median),
                ms(p90)
            );
        }
        drop(server);
    });

    println!();
    println!("raw git floor, same questions:");
    let (t, out) = timed(|| git(&repo, &["log", "--format=%H %s", "main", "--", &hot_path]));
    println!(
        "  git log -- {hot_path}: {} ({} commits)",
        ms(t),
        out.lines().count()
    );
    let (t, out) = timed(|| {
        git(
            &repo,
            &[
                "diff",
                "--word-diff-regex=.",
                "rounds/scale-01",
                &format!("rounds/{last}"),
            ],
        )
    });
    println!(
        "  git diff --word-diff-regex=. rounds/scale-01 rounds/{last}: {} ({} lines)",
        ms(t),
        out.lines().count()
    );
}
