//! Live documents (automerge) and the CRDT three-way merge (to be written).
