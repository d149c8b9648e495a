//! Page-read benchmark: reading a commitment at a ref and rendering its page.
//!
//! `cargo bench --bench pages` builds the demo plan in a temporary folder, then measures, side by
//! side in one run:
//! - raw git2: resolve `main`, read `commitments/c04-…/zh-TW.md` (the floor: the raw library);
//! - the same plus `Commitment::parse` and Markdown rendering of every section (an uncached page);
//! - loading the whole plan snapshot at a commit (what a cache miss costs: 19 documents);
//! - real HTTP on loopback (keep-alive, one client): the commitment page, its JSON twin, home.
//!
//! It prints medians and ratios to the git2 floor. Timings on shared machines are noisy: read
//! the medians and the ratios, not single runs. For requests per second under concurrency, run
//! `wrk` against `codraft demo` (see README).

use std::time::{Duration, Instant};

use codraft::doc::Commitment;
use codraft::store::git;
use codraft::web::markdown;
use codraft::workflow::plan::{load, CommitFiles};
use codraft::workflow::setup;

const PATH: &str = "commitments/c04-information-access/zh-TW.md";

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn measure(n: usize, mut f: impl FnMut()) -> Duration {
    for _ in 0..n / 10 {
        f();
    }
    let samples = (0..n)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    median(samples)
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    setup::demo(dir.path()).unwrap();
    let repo_path = setup::repo_path(dir.path());
    let repo = git2::Repository::open_bare(&repo_path).unwrap();

    let raw = measure(5000, || {
        let commit = git::resolve(&repo, "main").unwrap();
        let bytes = git::read_file(&repo, commit, PATH).unwrap().unwrap();
        std::hint::black_box(bytes);
    });
    let parse_render = measure(2000, || {
        let commit = git::resolve(&repo, "main").unwrap();
        let bytes = git::read_file(&repo, commit, PATH).unwrap().unwrap();
        let doc = Commitment::parse(PATH, std::str::from_utf8(&bytes).unwrap()).unwrap();
        let html: usize = doc
            .sections
            .iter()
            .map(|s| markdown::to_html(s.text()).len())
            .sum();
        std::hint::black_box(html);
    });
    let snapshot = measure(200, || {
        let commit = git::resolve(&repo, "main").unwrap();
        std::hint::black_box(
            load(
                &CommitFiles {
                    repo: &repo,
                    commit,
                },
                commit,
            )
            .unwrap(),
        );
    });

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let (page, api, home) = runtime.block_on(async {
        let app = codraft::web::app(dir.path()).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        let client = reqwest::Client::new();
        let timed = |path: &'static str, n: usize| {
            let client = client.clone();
            let url = format!("{base}{path}");
            async move {
                let mut samples = Vec::with_capacity(n);
                for i in 0..n + n / 10 {
                    let t = Instant::now();
                    let r = client.get(&url).send().await.unwrap();
                    assert!(r.status().is_success());
                    std::hint::black_box(r.bytes().await.unwrap());
                    if i >= n / 10 {
                        samples.push(t.elapsed());
                    }
                }
                median(samples)
            }
        };
        (
            timed("/commitments/c04-information-access", 2000).await,
            timed("/api/commitments/c04-information-access", 2000).await,
            timed("/", 2000).await,
        )
    });

    let floor = raw.as_secs_f64();
    println!(
        "{:<58} {:>12} {:>10}",
        "page read (median)", "time", "× git2"
    );
    for (name, d) in [
        (
            "git2: resolve main + read the file (raw library floor)",
            raw,
        ),
        (
            "git2 read + parse + render Markdown (uncached page)",
            parse_render,
        ),
        (
            "load whole plan snapshot, 19 documents (cache miss)",
            snapshot,
        ),
        ("HTTP GET /commitments/c04-… (page)", page),
        ("HTTP GET /api/commitments/c04-… (JSON twin)", api),
        ("HTTP GET / (home, 19 commitments)", home),
    ] {
        println!(
            "{name:<58} {:>9.1} µs {:>9.1}×",
            d.as_secs_f64() * 1e6,
            d.as_secs_f64() / floor
        );
    }
}
