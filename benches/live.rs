//! Live-editing benchmark: `LiveDoc` against plain automerge, and the memory of open documents.
//!
//! `cargo bench --bench live` measures, in one run:
//! - (a) the `seph-blog1` editing trace (137,993 patches typing a blog post, one txn = one
//!   edit) replayed sequentially through `LiveDoc::apply` (one session, `base` = current seq),
//!   with the log synced every 100 edits, and without any sync (the log is still written, to
//!   the page cache); next to the floor, a plain automerge `AutoCommit` loop of `splice_text` +
//!   `commit` per txn (the same number of changes), and for scale the same loop without
//!   commits (one big change). For each: median time of the runs, peak heap (a counting global
//!   allocator: the most bytes allocated at once during the run, above what was allocated
//!   before it) and the ratios to the floor. Then the log's size and the time to reopen it.
//! - (b) concurrent edits: the `friendsforever` trace (two sessions typing at once, each edit
//!   against the state it saw) through `LiveDoc::apply`, time per edit against the newest seq
//!   and against an older one.
//! - (b2) many editors on one large field (10 and 50 sessions, each typing into its own
//!   4,100-character paragraph, each edit against the seq it last saw, as `bench/peers` does
//!   with its seeded text): time per `LiveDoc::apply` next to a plain automerge splice +
//!   commit, and what automerge alone takes at that size for a transaction isolated at older
//!   heads and for reading the whole text (the two steps of a concurrent edit before
//!   `LiveDoc` carried edits by transformation, kept to show why it does).
//! - (c) memory per open live document: 200 documents each holding commitment c04 of the
//!   demo as its edit-form fields (title, agencies, contact, each milestone's text/start/end,
//!   each section's heading and text; section texts repeated so the total is ~5,000
//!   characters), as allocator delta per document and `memory_estimate()`; then again after
//!   200 keystrokes in each, and after each is checkpointed and compacted.
//!
//! The trace comes from `$CODRAFT_TRACES` or `<repo>/tests/traces` (see
//! `tests/traces.rs`). Logs go to a temporary folder on the same file system as the target
//! directory (a disk, not tmpfs: fsync costs what it costs there). `LIVE_BENCH_RUNS` sets the
//! number of runs (default 3). An argument selects one part: `trace`, `concurrent` (with
//! (b2)), `many` ((b2) alone), `docs`, or `profile` (one LiveDoc replay of the trace and
//! nothing else, for `perf record`). Shared machines are noisy: read medians and ratios.

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjType, ReadDoc, TextEncoding, ROOT};
use codraft::doc::form::CommitmentForm;
use codraft::doc::Commitment;
use codraft::live::{LiveDoc, Outcome, Splice};

// ---- a counting allocator ----------------------------------------------------------------

struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(by: usize) {
    let now = CURRENT.fetch_add(by, Ordering::Relaxed) + by;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            if new_size >= layout.size() {
                grew(new_size - layout.size());
            } else {
                CURRENT.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        p
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// Starts a peak measurement; returns the bytes allocated now.
fn start_peak() -> usize {
    let now = CURRENT.load(Ordering::Relaxed);
    PEAK.store(now, Ordering::Relaxed);
    now
}

fn current() -> usize {
    CURRENT.load(Ordering::Relaxed)
}

fn mb(bytes: usize) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

// ---- the trace ---------------------------------------------------------------------------

#[path = "../tests/common/trace.rs"]
mod trace;

use trace::{load as load_trace, splices, Trace};

// ---- (a) replaying seph-blog1 ------------------------------------------------------------

/// One measured run: time, peak heap above the start.
struct Run {
    time: Duration,
    peak: usize,
}

fn automerge_loop(trace: &Trace, commit_each: bool) -> Run {
    let base = start_peak();
    let t = Instant::now();
    let mut doc = AutoCommit::new_with_encoding(TextEncoding::UnicodeCodePoint);
    let text = doc.put_object(ROOT, "text", ObjType::Text).unwrap();
    doc.splice_text(&text, 0, 0, &trace.start).unwrap();
    doc.commit();
    for txn in &trace.txns {
        for (pos, del, ins) in &txn.patches {
            doc.splice_text(&text, *pos, *del as isize, ins).unwrap();
        }
        if commit_each {
            doc.commit();
        }
    }
    doc.commit();
    let time = t.elapsed();
    let peak = PEAK.load(Ordering::Relaxed) - base;
    assert_eq!(doc.text(&text).unwrap(), trace.end);
    Run { time, peak }
}

/// The trace through `LiveDoc::apply`; the edits' splices are built before the clock starts
/// (a server gets them parsed from JSON). Returns the run, and the log with the document.
fn live_replay(
    trace: &Trace,
    edits: &[Vec<Splice>],
    dir: &Path,
    sync_every: Option<usize>,
) -> (Run, PathBuf, LiveDoc) {
    let path = dir.join(format!("seph-{}.log", sync_every.unwrap_or(0)));
    let _ = std::fs::remove_file(&path);
    let base = start_peak();
    let t = Instant::now();
    let mut live =
        LiveDoc::create(&path, &[("text".to_string(), trace.start.clone())], "c0").unwrap();
    for (i, edit) in edits.iter().enumerate() {
        let seq = live.seq();
        match live.apply("bench-session-0001", "u1", i as u64, seq, "text", edit) {
            Ok(Outcome::Applied(_)) => {}
            other => panic!("edit {i}: {other:?}"),
        }
        if sync_every.is_some_and(|n| i % n == n - 1) {
            live.sync().unwrap();
        }
    }
    live.sync().unwrap();
    let time = t.elapsed();
    let peak = PEAK.load(Ordering::Relaxed) - base;
    assert_eq!(live.field("text").unwrap(), trace.end);
    (Run { time, peak }, path, live)
}

fn median_run(mut runs: Vec<Run>) -> Run {
    runs.sort_by_key(|r| r.time);
    let peak = runs.iter().map(|r| r.peak).max().unwrap_or(0);
    let mid = runs.swap_remove(runs.len() / 2);
    Run {
        time: mid.time,
        peak,
    }
}

fn bench_trace(runs: usize, dir: &Path) {
    let trace = load_trace("seph-blog1");
    let patches: usize = trace.txns.iter().map(|t| t.patches.len()).sum();
    println!(
        "(a) seph-blog1: {} txns, {patches} patches, {} → {} chars; {runs} runs, median time, \
         largest peak",
        trace.txns.len(),
        trace.start.chars().count(),
        trace.end.chars().count()
    );
    let edits: Vec<Vec<Splice>> = trace.txns.iter().map(|t| splices(&t.patches)).collect();

    let floor = median_run((0..runs).map(|_| automerge_loop(&trace, true)).collect());
    let one_tx = median_run((0..runs).map(|_| automerge_loop(&trace, false)).collect());
    let mut log_info = None;
    let no_sync = median_run(
        (0..runs)
            .map(|_| {
                let (run, path, live) = live_replay(&trace, &edits, dir, None);
                let held = current();
                drop(live);
                let held = held - current();
                log_info = Some((path, held));
                run
            })
            .collect(),
    );
    let synced = median_run(
        (0..runs)
            .map(|_| live_replay(&trace, &edits, dir, Some(100)).0)
            .collect(),
    );

    let row = |name: &str, r: &Run| {
        println!(
            "  {name:<52} {:>9.2?} {:>9.2} µs/edit  peak {:>9}  {:>5.2}× time {:>5.2}× peak",
            r.time,
            r.time.as_secs_f64() * 1e6 / trace.txns.len() as f64,
            mb(r.peak),
            r.time.as_secs_f64() / floor.time.as_secs_f64(),
            r.peak as f64 / floor.peak.max(1) as f64,
        );
    };
    row("automerge: splice_text + commit per txn (floor)", &floor);
    row("automerge: splice_text, one commit at the end", &one_tx);
    row("LiveDoc::apply, log written, never synced", &no_sync);
    row("LiveDoc::apply, log synced every 100 edits", &synced);

    if let Some((path, held)) = log_info {
        let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        let t = Instant::now();
        let live = LiveDoc::open(&path).unwrap();
        let open = t.elapsed();
        assert_eq!(live.field("text").unwrap(), trace.end);
        println!(
            "  the log: {} ({:.0} bytes/edit); reopening it: {open:.2?}",
            mb(size as usize),
            size as f64 / trace.txns.len() as f64
        );
        println!(
            "  held by the finished LiveDoc: {} (memory_estimate {}, {:.0} bytes/edit)",
            mb(held),
            mb(live.memory_estimate()),
            held as f64 / trace.txns.len() as f64
        );
    }
}

// ---- (b) concurrent edits ----------------------------------------------------------------

/// `friendsforever` (two agents typing at once) through `LiveDoc::apply`, as in
/// `tests/traces.rs`: each txn by its agent's session with `base` = the seq of its newest
/// parent from the other agent. Edits whose state is not the current one are carried past the
/// changes since their base (`live::transform`) before their splice.
fn bench_concurrent(dir: &Path) {
    let trace = load_trace("friendsforever");
    let edits: Vec<Vec<Splice>> = trace.txns.iter().map(|t| splices(&t.patches)).collect();
    let path = dir.join("friendsforever.log");
    let _ = std::fs::remove_file(&path);
    let mut live =
        LiveDoc::create(&path, &[("text".to_string(), trace.start.clone())], "c0").unwrap();
    let mut seq_of = vec![0u64; trace.txns.len()];
    // Time of each edit, by whether its base was the newest seq.
    let (mut newest, mut older): (Vec<Duration>, Vec<Duration>) = (Vec::new(), Vec::new());
    let t = Instant::now();
    for (i, txn) in trace.txns.iter().enumerate() {
        let base = txn
            .parents
            .iter()
            .filter(|&&p| trace.txns[p].agent != txn.agent)
            .map(|&p| seq_of[p])
            .max()
            .unwrap_or(0);
        // Named as in tests/traces.rs: agent 0's session ranks lower, as the trace needs at the
        // one place where both agents insert at one spot at once.
        let session = format!("agent-{}", txn.agent);
        let is_newest = base == live.seq();
        let at = Instant::now();
        let out = live.apply(&session, "u", i as u64, base, "text", &edits[i]);
        let took = at.elapsed();
        if is_newest {
            newest.push(took);
        } else {
            older.push(took);
        }
        match out {
            Ok(Outcome::Applied(a)) => seq_of[i] = a.seq,
            other => panic!("txn {i}: {other:?}"),
        }
    }
    live.sync().unwrap();
    let total = t.elapsed();
    assert_eq!(live.field("text").unwrap(), trace.end);
    let stats = |mut d: Vec<Duration>| {
        let n = d.len();
        let sum: Duration = d.iter().sum();
        d.sort();
        let at = |q: f64| {
            d.get(((n as f64 * q) as usize).min(n.saturating_sub(1)))
                .copied()
        };
        format!(
            "{n} edits, mean {:.1} µs, median {:.1?}, 90th percentile {:.1?}",
            sum.as_secs_f64() * 1e6 / n.max(1) as f64,
            at(0.5).unwrap_or_default(),
            at(0.9).unwrap_or_default()
        )
    };
    println!(
        "(b) friendsforever: {} txns by 2 sessions, {} → {} chars, in {total:.2?}",
        trace.txns.len(),
        trace.start.chars().count(),
        trace.end.chars().count(),
    );
    println!("  base = the newest seq: {}", stats(newest));
    println!(
        "  base older (carried past the changes since): {}",
        stats(older)
    );
}

/// (b2) Many editors on one large field, as in `bench/peers` with 50 editors on the seeded
/// text: each of `editors` sessions types one character at a time into its own paragraph,
/// each edit made against the seq the session saw when its previous edit was applied (so
/// every edit but the first of a round is concurrent). Time per edit, median and 90th
/// percentile, and the same for a plain automerge `splice_text` + `commit` at the current
/// state (the floor: no concurrency to resolve).
fn bench_many_editors(editors: usize, paragraph: usize, edits: usize) {
    let seed: String = "政府資訊公開法賦予民眾申請提供政府資訊之權利。"
        .chars()
        .cycle()
        .take(paragraph - 1)
        .collect();
    let text: String = (0..editors).map(|_| format!("{seed}\n")).collect();
    let dir = tempfile::tempdir().unwrap();
    let mut live = LiveDoc::create(
        &dir.path().join("many.log"),
        &[("text".into(), text.clone())],
        "c0",
    )
    .unwrap();
    // Each editor types at a fixed position of the original text (valid at any base: the
    // text only grows), so the edits of different editors are concurrent inserts.
    let mut base = vec![0u64; editors];
    let mut times = Vec::with_capacity(edits);
    for i in 0..edits {
        let e = i % editors;
        let pos = e * paragraph;
        let splices = [Splice {
            pos,
            delete: 0,
            insert: "字".into(),
        }];
        let at = Instant::now();
        let out = live.apply(
            &format!("bench-editor-{e:02}"),
            "u",
            i as u64,
            base[e],
            "text",
            &splices,
        );
        times.push(at.elapsed());
        match out {
            Ok(Outcome::Applied(a)) => base[e] = a.seq,
            other => panic!("edit {i}: {other:?}"),
        }
    }
    live.sync().unwrap();
    let chars = live.field("text").unwrap().chars().count();
    assert_eq!(chars, text.chars().count() + edits);
    let mut floor = AutoCommit::new();
    let obj = floor.put_object(ROOT, "text", ObjType::Text).unwrap();
    floor.splice_text(&obj, 0, 0, &text).unwrap();
    floor.commit();
    let mut plain = Vec::with_capacity(edits);
    for i in 0..edits {
        let pos = (i % editors) * paragraph;
        let at = Instant::now();
        floor.splice_text(&obj, pos, 0, "字").unwrap();
        floor.commit();
        plain.push(at.elapsed());
    }
    // What a concurrent edit would cost if automerge merged it at this size: a one-character
    // transaction isolated at the heads of one change back (what `LiveDoc` did for an edit
    // whose base was not the current seq), and reading the whole text (what its `op` was
    // computed from).
    let mut doc = automerge::Automerge::new();
    let mut tx = doc.transaction();
    let obj = tx.put_object(ROOT, "text", ObjType::Text).unwrap();
    tx.splice_text(&obj, 0, 0, &text).unwrap();
    tx.commit();
    let (mut isolated, mut read) = (Vec::new(), Vec::new());
    let mut previous = doc.get_heads();
    for i in 0..100 {
        let now = doc.get_heads();
        doc.set_actor(automerge::ActorId::from(vec![(i % editors) as u8 + 1]));
        let at = Instant::now();
        let mut tx = doc
            .transaction_at(automerge::PatchLog::inactive(), &previous)
            .unwrap();
        tx.splice_text(&obj, (i % editors) * paragraph, 0, "字")
            .unwrap();
        tx.commit();
        isolated.push(at.elapsed());
        let at = Instant::now();
        assert!(!doc.text(&obj).unwrap().is_empty());
        read.push(at.elapsed());
        previous = now;
    }
    let med = |mut d: Vec<Duration>| {
        d.sort();
        (d[d.len() / 2], d[d.len() * 9 / 10])
    };
    let (lm, l90) = med(times);
    let (pm, p90) = med(plain);
    let (im, _) = med(isolated);
    let (rm, _) = med(read);
    println!(
        "(b2) {editors} editors, {edits} one-character edits into a {chars}-char field: \
         LiveDoc::apply median {lm:.1?} (90th {l90:.1?}); plain automerge splice + commit \
         median {pm:.1?} (90th {p90:.1?}); ratio of medians {:.1}",
        lm.as_secs_f64() / pm.as_secs_f64()
    );
    println!(
        "     in automerge at this size: a transaction isolated at older heads median {im:.1?}, \
         reading the whole text median {rm:.1?}"
    );
}

// ---- (c) memory per open document --------------------------------------------------------

/// Commitment c04 as edit-form fields, section texts repeated up to ~5,000 characters.
fn c04_fields() -> Vec<(String, String)> {
    let path = "commitments/c04-information-access/zh-TW.md";
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("demo")
            .join(path),
    )
    .expect("demo c04");
    let doc = Commitment::parse(path, &text).expect("valid demo document");
    let f = CommitmentForm::from_commitment(&doc);
    let mut fields: Vec<(String, String)> = vec![
        ("title".into(), f.title.clone()),
        ("period.start".into(), f.period_start.clone()),
        ("period.end".into(), f.period_end.clone()),
        ("lead_agencies".into(), f.lead_agencies.clone()),
        ("co_agencies".into(), f.co_agencies.clone()),
        ("sdgs".into(), f.sdgs.clone()),
        ("contact.name".into(), f.contact_name.clone()),
        ("contact.title".into(), f.contact_title.clone()),
        ("contact.unit".into(), f.contact_unit.clone()),
        ("contact.email".into(), f.contact_email.clone()),
        ("contact.phone".into(), f.contact_phone.clone()),
        (
            "participants.government".into(),
            f.participants_government.clone(),
        ),
        (
            "participants.civil_society".into(),
            f.participants_civil_society.clone(),
        ),
    ];
    for m in &f.milestones {
        fields.push((format!("milestone.{}.text", m.id), m.text.clone()));
        fields.push((format!("milestone.{}.start", m.id), m.start.clone()));
        fields.push((format!("milestone.{}.end", m.id), m.end.clone()));
    }
    let sections: Vec<(String, String, String)> = f
        .sections
        .iter()
        .map(|s| (s.id.clone(), s.heading.clone(), s.text.clone()))
        .collect();
    let others: usize = fields.iter().map(|(_, v)| v.chars().count()).sum();
    let section_chars: usize = sections
        .iter()
        .map(|(_, h, t)| h.chars().count() + t.chars().count())
        .sum();
    let repeat = (5000usize.saturating_sub(others))
        .div_ceil(section_chars.max(1))
        .max(1);
    for (id, heading, text) in sections {
        fields.push((format!("section.{id}.heading"), heading));
        fields.push((format!("section.{id}.text"), text.repeat(repeat)));
    }
    fields
}

fn bench_documents(dir: &Path) {
    const DOCS: usize = 200;
    const KEYS: usize = 200;
    let fields = c04_fields();
    let chars: usize = fields.iter().map(|(_, v)| v.chars().count()).sum();
    println!(
        "(c) {DOCS} open live documents, each c04 as {} fields, {chars} characters",
        fields.len()
    );
    let before = current();
    let t = Instant::now();
    let mut docs: Vec<LiveDoc> = (0..DOCS)
        .map(|i| LiveDoc::create(&dir.join(format!("doc-{i}.log")), &fields, "c0").unwrap())
        .collect();
    let created = t.elapsed();
    let held = current() - before;
    let estimate: usize = docs.iter().map(LiveDoc::memory_estimate).sum();
    println!(
        "  created in {created:.2?}: {} per document (allocator), memory_estimate {}",
        kb(held / DOCS),
        kb(estimate / DOCS)
    );
    // Keystrokes typed into the longest section of each document.
    let (key, text) = fields
        .iter()
        .max_by_key(|(_, v)| v.chars().count())
        .cloned()
        .unwrap_or_default();
    let len = text.chars().count();
    let t = Instant::now();
    for (d, live) in docs.iter_mut().enumerate() {
        for k in 0..KEYS {
            let seq = live.seq();
            let pos = (k * 37 + d) % len;
            let splice = Splice {
                pos,
                delete: usize::from(k % 4 == 3),
                insert: if k % 4 == 3 {
                    String::new()
                } else {
                    "字".into()
                },
            };
            live.apply("bench-session-0001", "u1", k as u64, seq, &key, &[splice])
                .unwrap();
        }
        live.sync().unwrap();
    }
    let typed = t.elapsed();
    let held = current() - before;
    let estimate: usize = docs.iter().map(LiveDoc::memory_estimate).sum();
    println!(
        "  after {KEYS} keystrokes each ({:.1} µs/keystroke with a sync per document): {} per \
         document, memory_estimate {}",
        typed.as_secs_f64() * 1e6 / (DOCS * KEYS) as f64,
        kb(held / DOCS),
        kb(estimate / DOCS)
    );
    // Checkpointed and compacted, as the hub does when a document unloads or passes its
    // memory limit: the history is dropped, the text stays.
    let t = Instant::now();
    for live in docs.iter_mut() {
        let seq = live.seq();
        live.mark_checkpoint("c1", seq).unwrap();
        assert!(live.compact().unwrap());
    }
    let compacted = t.elapsed();
    let held = current() - before;
    let estimate: usize = docs.iter().map(LiveDoc::memory_estimate).sum();
    let log: u64 = (0..DOCS)
        .map(|i| {
            std::fs::metadata(dir.join(format!("doc-{i}.log")))
                .unwrap()
                .len()
        })
        .sum();
    println!(
        "  compacted ({:.2?} per document): {} per document, memory_estimate {}, log {}",
        compacted / DOCS as u32,
        kb(held / DOCS),
        kb(estimate / DOCS),
        kb(log as usize / DOCS)
    );
    docs.clear();
}

fn kb(bytes: usize) -> String {
    format!("{:.1} KB", bytes as f64 / 1e3)
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument selects one part: `trace` or `docs`.
    let filter: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with("--"));
    let runs: usize = std::env::var("LIVE_BENCH_RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(3)
        .max(1);
    let target = Path::new(env!("CARGO_MANIFEST_DIR")).join("target");
    let dir = tempfile::tempdir_in(if target.is_dir() {
        target
    } else {
        std::env::temp_dir()
    })
    .expect("temporary folder");
    if filter.as_deref().is_none_or(|f| f == "trace") {
        bench_trace(runs, dir.path());
    }
    if filter.as_deref().is_none_or(|f| f == "concurrent") {
        bench_concurrent(dir.path());
    }
    if filter
        .as_deref()
        .is_none_or(|f| f == "concurrent" || f == "many")
    {
        bench_many_editors(10, 4_100, 1_000);
        bench_many_editors(50, 4_100, 1_000);
    }
    if filter.as_deref() == Some("profile") {
        // Only the LiveDoc replay without sync, once: for `perf record`.
        let trace = load_trace("seph-blog1");
        let edits: Vec<Vec<Splice>> = trace.txns.iter().map(|t| splices(&t.patches)).collect();
        let (run, _, _) = live_replay(&trace, &edits, dir.path(), None);
        println!("LiveDoc replay: {:.2?}", run.time);
    }
    if filter.as_deref().is_none_or(|f| f == "docs") {
        bench_documents(dir.path());
    }
}
