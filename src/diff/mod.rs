//! Diffs of plan documents, for reviewing a proposal or a commit: what changed between two
//! versions of a commitment, section by section and field by field, with the text changes at
//! the granularity its language reads in (Chinese by grapheme, English by word).
//!
//! Owns `text` (two strings → equal / insert / delete segments, exact both ways, under a
//! deadline), `document` (two `Commitment`s → [`DocumentDiff`]) and `lines` (plain files,
//! line by line, as `git diff` shows them). It sits above `doc` and
//! below `workflow`: it knows no git, HTTP or UI strings — field changes are stable keys and
//! values that the web layer words in the reader's language.

mod document;
pub mod lines;
mod text;

pub use document::{diff_commitments, Change, DocumentDiff, FieldChange, SectionDiff, Status};
pub use text::{diff_text, granularity_for, Granularity, Segment, SegmentKind, TextDiff};

#[cfg(test)]
mod tests;
