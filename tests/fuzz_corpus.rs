//! The fuzz targets' properties on stable, in every CI run: every file of `fuzz/corpus/<target>/`
//! goes through the same check function the target calls (`fuzz/src/lib.rs`, included here),
//! then a fixed number of inputs mutated from the corpus by a seeded generator (byte and
//! character mutations, splices of two files): the same inputs on every run. A failing input
//! is written to `target/fuzz-corpus-failures/` and can be replayed with
//! `cargo +nightly fuzz run <target> <file>`.

#[path = "../fuzz/src/lib.rs"]
mod checks;
mod common;

use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};

/// Mutated inputs per target (`FUZZ_CORPUS_MUTATIONS` overrides it).
const MUTATIONS: usize = 1000;

/// Pieces the mutator inserts: what the parsers and the decoder give meaning to, and text that
/// is several bytes per code point or several code points per grapheme.
#[rustfmt::skip]
const TOKENS: &[&str] = &[
    "\n", "+++\n", "## ", "{#", "}", "[[milestones]]\n", "=", "\"", "'''", "[", "]", ",", ":",
    "{", "0", "1", "-1", "2024-13", "18446744073709551615", "1e400", "null", "true", "\\u0000",
    "\\ud800", "\r", "\t", "\u{feff}", "\u{301}", "e\u{301}", "👩\u{200d}👩\u{200d}👧", "🇹🇼",
    "資訊", "公開", "。", " ", "the ", "\u{0}", "\u{10ffff}", "\u{2028}",
];

use common::Rng;

fn corpus(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut files: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| {
            let path = e.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            (path, bytes)
        })
        .collect();
    files.sort();
    assert!(
        files.len() >= 10,
        "{}: a corpus of {}",
        dir.display(),
        files.len()
    );
    files
}

/// One to four mutations of `input`; `other` is another corpus file to splice from.
fn mutate(rng: &mut Rng, input: &[u8], other: &[u8]) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(out.len() + 1);
        match rng.below(8) {
            0 if !out.is_empty() => {
                let i = rng.below(out.len());
                out[i] ^= 1 << rng.below(8);
            }
            1 => out.insert(at, rng.next() as u8),
            2 if !out.is_empty() => {
                let start = rng.below(out.len());
                let end = (start + 1 + rng.below(16)).min(out.len());
                out.drain(start..end);
            }
            3 if at < out.len() => {
                let len = 1 + rng.below(32.min(out.len() - at));
                let piece = out[at..at + len].to_vec();
                out.splice(at..at, piece);
            }
            4 if !other.is_empty() => {
                let from = rng.below(other.len());
                let len = 1 + rng.below(64.min(other.len() - from));
                out.splice(at..at, other[from..from + len].iter().copied());
            }
            5 if !out.is_empty() => {
                // Replace a run of ASCII digits by another number.
                let i = rng.below(out.len());
                if let Some(start) = out[i..].iter().position(u8::is_ascii_digit) {
                    let start = i + start;
                    let end = out[start..]
                        .iter()
                        .position(|b| !b.is_ascii_digit())
                        .map_or(out.len(), |n| start + n);
                    let n = ["0", "1", "2", "65536", "18446744073709551616"][rng.below(5)];
                    out.splice(start..end, n.bytes());
                }
            }
            _ => {
                let token = TOKENS[rng.below(TOKENS.len())];
                out.splice(at..at, token.bytes());
            }
        }
    }
    out
}

/// Runs `check` on one input; on a panic, writes the input where it can be replayed from.
fn run(target: &str, name: &str, check: fn(&[u8]), input: &[u8]) {
    if panic::catch_unwind(AssertUnwindSafe(|| check(input))).is_err() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/fuzz-corpus-failures");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{target}-{name}"));
        std::fs::write(&path, input).unwrap();
        panic!(
            "{target}: the input {name} fails its check; written to {}",
            path.display()
        );
    }
}

fn exercise(target: &str, seed: u64, check: fn(&[u8])) {
    let files = corpus(target);
    for (path, bytes) in &files {
        let name = path.file_name().unwrap().to_string_lossy();
        run(target, &name, check, bytes);
    }
    let count = std::env::var("FUZZ_CORPUS_MUTATIONS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(MUTATIONS);
    let mut rng = Rng(seed);
    for n in 0..count {
        let input = &files[rng.below(files.len())].1;
        let other = &files[rng.below(files.len())].1;
        let mutated = mutate(&mut rng, input, other);
        run(target, &format!("mutation-{n}"), check, &mutated);
    }
}

#[test]
fn document_corpus_and_mutations() {
    exercise("document", 0x5eed_0001, checks::document);
}

#[test]
fn live_message_corpus_and_mutations() {
    exercise("live_message", 0x5eed_0002, checks::live_message);
}

#[test]
fn diff_corpus_and_mutations() {
    exercise("diff", 0x5eed_0003, checks::diff);
}

/// The corpus stays small enough to live in the repository.
#[test]
fn the_corpus_is_small() {
    let total: usize = ["document", "live_message", "diff"]
        .iter()
        .flat_map(|t| corpus(t))
        .map(|(_, bytes)| bytes.len())
        .sum();
    assert!(total < 512 * 1024, "fuzz/corpus holds {total} bytes");
}
