//! The properties the fuzz targets check, one function per target: each takes the fuzzer's
//! bytes and panics when a property does not hold. `fuzz_targets/*.rs` call them under
//! libFuzzer (`cargo +nightly fuzz run …`); `tests/fuzz_corpus.rs` includes this very file
//! (`#[path]`) and runs them over `fuzz/corpus/` and mutations of it on stable, in CI. It uses
//! only `codraft` and `std`, so it compiles in both crates.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use codraft::diff::{diff_commitments, diff_text, Granularity, SegmentKind, TextDiff};
use codraft::doc::form::CommitmentForm;
use codraft::doc::{Commitment, Forum, PlanConfig, Problems};
use codraft::live::{splices, LiveDoc, LiveError, Outcome, Splice};
use codraft::workflow::live::{decode_client_message, FromClient, ToClient, MAX_MESSAGE};

/// The path parsed documents are named by in their problems.
const PATH: &str = "commitments/c04-information-access/zh-TW.md";

/// **document**: the parsers never panic (`plan.toml`, `forum/members.toml` and a commitment
/// are tried on every input). A refused commitment has problems, each naming the file, a line
/// of it and a field. A valid one round-trips: its canonical text parses to an equal document
/// and is a fixed point of `to_text`; the untouched edit form gives that text back byte for
/// byte (when its lists are as the form writes them), and the form survives the live editor's fields (`to_fields` → `from_fields`).
pub fn document(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = PlanConfig::parse(text);
    let _ = Forum::parse(text);
    let doc = match Commitment::parse(PATH, text) {
        Ok(doc) => doc,
        Err(Problems(problems)) => {
            assert!(!problems.is_empty(), "refused without a problem");
            let lines = text.split('\n').count();
            for p in &problems {
                assert_eq!(p.file, PATH, "{p}");
                assert!(
                    (1..=lines).contains(&p.line),
                    "{p}: not one of {lines} lines"
                );
                assert!(!p.field.is_empty() && !p.message.is_empty(), "{p:?}");
            }
            return;
        }
    };
    let canonical = doc.to_text();
    let again = Commitment::parse(PATH, &canonical)
        .unwrap_or_else(|p| panic!("the canonical text of a valid document is refused: {p}"));
    assert_eq!(again, doc, "the canonical text parses to another document");
    assert_eq!(again.to_text(), canonical, "to_text is not a fixed point");
    let form = CommitmentForm::from_commitment(&again);
    if lists_as_the_form_writes_them(&again) {
        match form.to_text(PATH, Some(&again)) {
            Ok(written) => assert_eq!(written, canonical, "the untouched form changed the text"),
            Err(p) => panic!("the untouched form of a valid document is refused: {p}"),
        }
    }
    let from_fields = CommitmentForm::from_fields(&form.id, &form.to_fields());
    assert_eq!(
        from_fields, form,
        "the form does not survive its live fields"
    );
}

/// The edit form shows a list one item a line and reads it back trimmed, without empty lines:
/// a list item with surrounding spaces, a line break or nothing in it (valid TOML, accepted
/// by the parser) comes back normalized, so the untouched form gives back the text byte for
/// byte only for documents whose lists are already so (found by fuzzing; by design).
fn lists_as_the_form_writes_them(doc: &Commitment) -> bool {
    let f = &doc.front;
    [
        &f.lead_agencies,
        &f.co_agencies,
        &f.participants.government,
        &f.participants.civil_society,
    ]
    .iter()
    .flat_map(|list| list.iter())
    .all(|item| !item.is_empty() && item.trim() == item && !item.contains('\n'))
}

/// The fields of the live document `live_message` edits: Chinese, English, an emoji sequence
/// (several code points, one grapheme), a combining accent, an empty field.
const LIVE_FIELDS: [(&str, &str); 3] = [
    ("title", "落實政府資訊公開法資訊取用權"),
    (
        "section.problem.text",
        "Access to information 資訊取用 👩\u{200d}👩\u{200d}👧 cafe\u{301}.\n\n第二段。",
    ),
    ("milestone.m1.end", ""),
];

/// The edit another session makes first, so that `base` 0 is an older version (the automerge
/// path) and `base` 1 the current one (the fast path).
fn first_edit() -> Splice {
    Splice {
        pos: 3,
        delete: 2,
        insert: "公開".into(),
    }
}

/// **live_message**: the client message decoder never panics and refuses only with
/// `bad_message` or `too_large` (and never accepts more than [`MAX_MESSAGE`] bytes). A decoded
/// edit is applied to a live document (after another session's edit): it is refused exactly
/// when a reference applier finds its base ahead of the document, its field unknown or a
/// splice out of bounds (that splice named), never accepted out of bounds; accepted, the `op`
/// it broadcasts turns the text every client had into the document's new text (and against
/// the current version the new text is the reference's), other fields are untouched, and the
/// document reopened from its log is the same.
pub fn live_message(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let message = match decode_client_message(text) {
        Ok(message) => message,
        Err(ToClient::Error { code, .. }) => {
            assert!(
                code == "bad_message" || (code == "too_large" && text.len() > MAX_MESSAGE),
                "refused with {code}"
            );
            return;
        }
        Err(other) => panic!("the decoder answered {other:?}"),
    };
    assert!(
        text.len() <= MAX_MESSAGE,
        "a message over the limit was decoded"
    );
    let FromClient::Edit {
        edit_ref,
        base,
        field,
        splices,
        ..
    } = message
    else {
        return;
    };
    let splices: Vec<Splice> = splices
        .into_iter()
        .map(|(pos, delete, insert)| Splice {
            pos,
            delete,
            insert,
        })
        .collect();

    let scratch = Scratch::new();
    let initial: Vec<(String, String)> = LIVE_FIELDS
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let mut live = LiveDoc::create(&scratch.0, &initial, "c0").expect("a live document");
    live.apply(
        "other-session",
        "u1",
        1,
        0,
        "section.problem.text",
        &[first_edit()],
    )
    .expect("the first edit");
    let at_one: BTreeMap<String, String> = live.fields().into_iter().collect();
    let at_base: BTreeMap<String, String> = if base == 0 {
        initial.into_iter().collect()
    } else {
        at_one.clone()
    };
    let expected = at_base.get(&field).map(|t| apply_splices(t, &splices));

    let result = live.apply("fuzz-session", "u2", edit_ref, base, &field, &splices);
    let now: BTreeMap<String, String> = live.fields().into_iter().collect();
    match result {
        Err(LiveError::StaleBase { .. }) if base > 1 => {}
        _ if base > 1 => panic!("base {base} is ahead of seq 1 but the edit was not refused"),
        Err(LiveError::UnknownField(_)) => assert_eq!(expected, None, "known field refused"),
        Err(LiveError::OutOfRange { splice, .. }) => {
            assert_eq!(
                expected,
                Some(Err(splice)),
                "out of range, says the document"
            )
        }
        Ok(Outcome::Applied(applied)) => {
            match &expected {
                Some(Ok(_)) => {}
                Some(Err(splice)) => panic!("accepted, but splice {splice} is out of bounds"),
                None => panic!("accepted an edit of an unknown field"),
            }
            assert_eq!(applied.seq, 2);
            assert_eq!(applied.field, field);
            assert_eq!(
                apply_splices(&at_one[&field], &applied.splices).as_ref(),
                Ok(&now[&field]),
                "the op does not turn the old text into the new"
            );
            if base == 1 {
                assert_eq!(expected, Some(Ok(now[&field].clone())));
            }
            for (key, value) in &at_one {
                if *key != field {
                    assert_eq!(&now[key], value, "another field changed");
                }
            }
        }
        other => panic!("unexpected answer {other:?}"),
    }
    live.sync().expect("sync");
    let seq = live.seq();
    drop(live);
    let reopened = LiveDoc::open(&scratch.0).expect("reopened from its log");
    assert_eq!(reopened.seq(), seq, "seq after reopening");
    let after: BTreeMap<String, String> = reopened.fields().into_iter().collect();
    assert_eq!(after, now, "the reopened document differs");
}

/// Applies `splices` in order, each against the text after the previous one, positions in
/// code points; `Err(n)`: splice `n` (1-based) does not fit.
fn apply_splices(text: &str, splices: &[Splice]) -> Result<String, usize> {
    let mut chars: Vec<char> = text.chars().collect();
    for (i, s) in splices.iter().enumerate() {
        let end = s
            .pos
            .checked_add(s.delete)
            .filter(|&end| end <= chars.len())
            .ok_or(i + 1)?;
        chars.splice(s.pos..end, s.insert.chars());
    }
    Ok(chars.into_iter().collect())
}

/// A live document's log file in a directory of this process (on `/dev/shm` when there is
/// one: every call creates and fsyncs a log), removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Scratch {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let shm = PathBuf::from("/dev/shm");
        let root = if shm.is_dir() {
            shm
        } else {
            std::env::temp_dir()
        };
        let dir = root.join(format!("codraft-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("scratch directory");
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path = dir.join(format!("{n}.log"));
        let _ = std::fs::remove_file(&path);
        Scratch(path)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// How long a diff may refine; and how long it may take in all (cleanup after the deadline,
/// a slow machine, a sanitizer build): generous, a hang or a quadratic blow-up is far beyond.
const DIFF_DEADLINE: Duration = Duration::from_millis(100);
const DIFF_ALLOWED: Duration = Duration::from_secs(3);

/// Splits the fuzzer's bytes into two texts: at the first `0xFF` byte (never in UTF-8), else
/// in the middle; invalid UTF-8 is replaced.
pub fn split_pair(data: &[u8]) -> (String, String) {
    let at = data
        .iter()
        .position(|&b| b == 0xFF)
        .unwrap_or(data.len() / 2);
    let rest = data.get(at + 1..).unwrap_or_default();
    let new = if data.get(at) == Some(&0xFF) {
        rest
    } else {
        &data[at..]
    };
    (
        String::from_utf8_lossy(&data[..at]).into_owned(),
        String::from_utf8_lossy(new).into_owned(),
    )
}

/// **diff**: for a pair of texts (see [`split_pair`]), in graphemes and in words: the diff
/// finishes within [`DIFF_ALLOWED`] of starting with a [`DIFF_DEADLINE`], its segments give
/// back both texts exactly, none is empty, no two neighbours have the same kind, and the
/// counts are the characters of the inserted and deleted segments. The live editor's splices
/// (code points, old coordinates, ascending, apart) turn the old text into the new. When both
/// texts are valid commitments, every section's text diff gives back both sections.
pub fn diff(data: &[u8]) {
    let (old, new) = split_pair(data);
    for g in [Granularity::Graphemes, Granularity::Words] {
        let start = Instant::now();
        let d = diff_text(&old, &new, g, start + DIFF_DEADLINE);
        assert!(
            start.elapsed() < DIFF_ALLOWED,
            "{g:?} took {:?}",
            start.elapsed()
        );
        check_text_diff(&d, &old, &new);
    }

    let start = Instant::now();
    let edits = splices(&old, &new, start + DIFF_DEADLINE);
    assert!(
        start.elapsed() < DIFF_ALLOWED,
        "splices took {:?}",
        start.elapsed()
    );
    for pair in edits.windows(2) {
        assert!(
            pair[0].pos + pair[0].delete < pair[1].pos,
            "splices not ascending and apart: {edits:?}"
        );
    }
    let mut chars: Vec<char> = old.chars().collect();
    for s in edits.iter().rev() {
        assert!(
            s.pos + s.delete <= chars.len(),
            "splice out of bounds: {s:?}"
        );
        chars.splice(s.pos..s.pos + s.delete, s.insert.chars());
    }
    assert_eq!(chars.into_iter().collect::<String>(), new, "splices");

    let (Ok(a), Ok(b)) = (Commitment::parse(PATH, &old), Commitment::parse(PATH, &new)) else {
        return;
    };
    let start = Instant::now();
    let d = diff_commitments(Some(&a), Some(&b), "zh-TW", start + DIFF_DEADLINE);
    assert!(
        start.elapsed() < DIFF_ALLOWED,
        "document diff took {:?}",
        start.elapsed()
    );
    for s in &d.sections {
        let old_text = a.section(&s.id).map_or("", |x| x.text());
        let new_text = b.section(&s.id).map_or("", |x| x.text());
        check_text_diff(&s.body, old_text, new_text);
    }
}

fn check_text_diff(d: &TextDiff, old: &str, new: &str) {
    assert_eq!(d.old_text(), old, "old text from the segments");
    assert_eq!(d.new_text(), new, "new text from the segments");
    assert!(
        d.segments.iter().all(|s| !s.text.is_empty()),
        "empty segment"
    );
    assert!(
        d.segments.windows(2).all(|w| w[0].kind != w[1].kind),
        "neighbours of the same kind"
    );
    let count = |kind| -> usize {
        d.segments
            .iter()
            .filter(|s| s.kind == kind)
            .map(|s| s.text.chars().count())
            .sum()
    };
    assert_eq!(d.inserted, count(SegmentKind::Insert), "inserted");
    assert_eq!(d.deleted, count(SegmentKind::Delete), "deleted");
}
