//! Character- and word-level diffs of documents (to be written).
