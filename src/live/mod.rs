//! Live documents (automerge). `merge`: the CRDT three-way merge used when a proposal branch is
//! merged into `main` after `main` has moved, and the character splices it is built on. `doc`:
//! one live document of live editing (`docs/live-protocol.md`), its seqs, sessions and
//! checkpoints. `transform`: the operational transformation that carries an edit made against
//! an older text past the changes since (the same as the browser client's). `log`: the
//! append-only file that makes a live document durable.
//!
//! This layer is synchronous and knows no HTTP, git, store or async runtime: the hub that owns
//! documents and sockets is built on top of it.

pub mod doc;
pub mod log;
pub mod merge;
pub mod transform;

pub use doc::{Applied, ClientSession, LiveDoc, LiveError, Outcome, GIT_SESSION};
pub use merge::{merge3, splices, MergeError, Merged, Overlap, Splice};

/// A splice, for tests.
#[cfg(test)]
pub(crate) fn sp(pos: usize, delete: usize, insert: &str) -> Splice {
    Splice {
        pos,
        delete,
        insert: insert.to_owned(),
    }
}

/// `splices` applied in order (each against the text after the previous one), counting code
/// points, for tests; a splice past the end panics.
#[cfg(test)]
pub(crate) fn apply_to(text: &str, splices: &[Splice]) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for s in splices {
        assert!(
            s.pos + s.delete <= chars.len(),
            "{s:?} past {}",
            chars.len()
        );
        chars.splice(s.pos..s.pos + s.delete, s.insert.chars());
    }
    chars.into_iter().collect()
}

/// xorshift64*: a tiny deterministic pseudo-random generator for the property tests.
#[cfg(test)]
pub(crate) struct TestRng(pub u64);

#[cfg(test)]
impl TestRng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}
