//! The editing traces (josephg/editing-traces, CC BY 4.0, copied in `tests/traces/`; the
//! folder `CODRAFT_TRACES` names overrides it): their JSON shape and loading. Shared by the
//! trace tests and `benches/live.rs` (which includes this file by path).
#![allow(dead_code)]

use std::path::PathBuf;

use codraft::live::Splice;
use serde::Deserialize;

#[derive(Deserialize)]
pub struct Trace {
    #[serde(rename = "startContent", default)]
    pub start: String,
    #[serde(rename = "endContent")]
    pub end: String,
    pub txns: Vec<Txn>,
}

#[derive(Deserialize)]
pub struct Txn {
    /// Indexes of earlier txns whose merged state this one edits (concurrent traces only).
    #[serde(default)]
    pub parents: Vec<usize>,
    #[serde(default)]
    pub agent: usize,
    /// `[pos, delete, insert]` in code points, in order.
    pub patches: Vec<(usize, usize, String)>,
}

/// The folder holding the traces; a missing trace is a failure with a clear message, not a
/// skip.
pub fn traces_dir() -> PathBuf {
    let dir = match std::env::var_os("CODRAFT_TRACES") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/traces"),
    };
    assert!(
        dir.join("sveltecomponent.json.gz").is_file(),
        "the editing traces are missing: expected sveltecomponent.json.gz, friendsforever.json.gz \
         and seph-blog1.json.gz in {} (set CODRAFT_TRACES to the folder holding them; they come \
         from github.com/josephg/editing-traces)",
        dir.display()
    );
    dir
}

/// The trace `name` (`seph-blog1`, `sveltecomponent`, `friendsforever`).
pub fn load(name: &str) -> Trace {
    let path = traces_dir().join(format!("{name}.json.gz"));
    let file = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_reader(flate2::read::GzDecoder::new(std::io::BufReader::new(file)))
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A txn's patches as splices.
pub fn splices(patches: &[(usize, usize, String)]) -> Vec<Splice> {
    patches
        .iter()
        .map(|(pos, delete, insert)| Splice {
            pos: *pos,
            delete: *delete,
            insert: insert.clone(),
        })
        .collect()
}
