//! Live documents (automerge). `merge`: the CRDT three-way merge used when a proposal branch is
//! merged into `main` after `main` has moved, and the character splices it is built on. `doc`:
//! one live document of live editing (`docs/live-protocol.md`), its seqs, sessions and
//! checkpoints. `log`: the append-only file that makes a live document durable.
//!
//! This layer is synchronous and knows no HTTP, git, store or async runtime: the hub that owns
//! documents and sockets is built on top of it.

pub mod doc;
pub mod log;
pub mod merge;

pub use doc::{Applied, ClientSession, LiveDoc, LiveError, Outcome, GIT_SESSION};
pub use merge::{merge3, splices, MergeError, Merged, Overlap, Splice};
