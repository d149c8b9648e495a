//! Live documents (automerge). This module will later own the per-(branch, file) live
//! documents of the live-editing issue; for now it owns the CRDT three-way merge used when a
//! proposal branch is merged into `main` after `main` has moved (`merge`).

pub mod merge;

pub use merge::{merge3, splices, MergeError, Merged, Overlap, Splice};
