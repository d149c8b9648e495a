//! One live document (one file of one branch) as automerge: the server side of
//! `docs/live-protocol.md`.
//!
//! A [`LiveDoc`] owns the automerge document, its log file ([`super::log`]) and the indexes the
//! protocol needs: the heads and the text changes at every `seq` since the floor (so an edit
//! made against any of them can be carried to the current text), each session's view, the
//! `(session, ref)` pairs already applied, who typed what, and the last checkpoint. It is a synchronous library type: the hub that owns
//! sockets and batches fsyncs is built on top of it.
//!
//! Layout in automerge: the root map `fields` maps each field key to a Text object; the root
//! scalar `order` holds the keys in form order, one per line (keys never contain a newline).
//! Only changes from git (actor `git`) touch `order` or add and remove fields; sessions only
//! splice text. Every position counts Unicode code points (the document is created and loaded
//! with `TextEncoding::UnicodeCodePoint`).
//!
//! Compaction ([`LiveDoc::compact`], at a checkpoint) starts the automerge document again from
//! the text at the current `seq`, the *floor*: earlier seqs are forgotten (an edit against one
//! is refused), so memory and log hold the text plus the history since the floor.
//!
//! Each applied change gets the next `seq`. Seq 0 is the initial document. The state an edit is
//! made against is "the document at `base` plus every earlier edit of the same session": what
//! the client showed. The server keeps, per seq, what it did to the texts ([`Hist`]), and per
//! session a [`Bridge`]: the session's edits the client had not seen back when it last sent
//! one, in the client's own terms, carried past everyone else's changes exactly as the client
//! carries its pending edits past the ops it receives (`transform`, a port of the client's
//! transform). An edit is carried past the changes since its base and applied to the automerge
//! document at its current state; what clients are sent is that carried edit. When the client
//! had seen everything (the usual case) there is nothing to carry.
//!
//! Why not an automerge transaction isolated at the edit's state, which would let automerge do
//! the merge: automerge 0.12 walks the whole text object for one (10.8 ms per edit at 206,000
//! characters), where a splice at the current state takes microseconds; see ARCHITECTURE.md.
//! Changes from git ([`LiveDoc::merge_external`]) are still made at the checkpoint's state and
//! merged by automerge (they are rare and may touch any field); what they did to the texts is a
//! deterministic diff of the texts before and after, so a replay of the log finds the same.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use automerge::transaction::{CommitOptions, Transactable};
use automerge::{
    ActorId, Automerge, Change, ChangeHash, LoadOptions, ObjId, ObjType, PatchLog, ReadDoc,
    TextEncoding, Value, ROOT,
};
use sha2::{Digest, Sha256};

use super::log::{Log, LogError, Opened, Record};
use super::merge::{merge3, splices as diff_splices, MergeError, Splice};
use super::transform;

/// The session id of the protocol (`SID`): who sent an edit, for "this connection's earlier
/// edits" and deduplication. [`GIT_SESSION`] for changes that came from git.
pub type ClientSession = String;

/// The session (and automerge actor) of changes that came from git.
pub const GIT_SESSION: &str = "git";

/// Root map of field key → Text.
const FIELDS: &str = "fields";
/// Root scalar: the field keys in form order, one per line.
const ORDER: &str = "order";
/// Index of [`GIT_SESSION`] in `sessions` and of the empty author in `authors`.
const GIT: u32 = 0;
/// How long a before/after diff of one field may take before it gets coarser (still exact).
const DIFF_DEADLINE: Duration = Duration::from_millis(200);

/// One change as clients see it: `splices` (in order, each against the text after the previous
/// one) turn `field` as it was at `seq - 1` into `field` at `seq`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub seq: u64,
    pub session: String,
    pub field: String,
    pub splices: Vec<Splice>,
}

/// An edit as a client sent it (the arguments of [`LiveDoc::apply`]).
#[derive(Debug, Clone, Copy)]
struct Edit<'a> {
    session: &'a str,
    author: &'a str,
    edit_ref: u64,
    base: u64,
    field: &'a str,
    splices: &'a [Splice],
}

/// What [`LiveDoc::apply`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The edit was applied as change `seq` (possibly with no splices, if it changed nothing:
    /// it still has a seq, so the sender gets its ack and sees its `op`).
    Applied(Applied),
    /// This `(session, ref)` was applied before, as change `seq`: ack again, change nothing.
    Duplicate { seq: u64 },
}

/// Why a call changed nothing (or, for `Io`, why the document must be reopened).
#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    /// The field does not exist (now, or in the version the edit was made against).
    #[error("unknown field {0}")]
    UnknownField(String),
    /// Splice number `splice` (1-based) does not fit the text it applies to.
    #[error("splice {splice}: {}", range_problem(*.pos, *.delete, .field, *.len))]
    OutOfRange {
        splice: usize,
        field: String,
        pos: usize,
        delete: usize,
        len: usize,
    },
    /// `base` is ahead of the document's `seq` (the server never forgets a seq it gave out).
    #[error("base {base} is ahead of the live document (seq {seq}): reload")]
    StaleBase { base: u64, seq: u64 },
    /// `base` is older than the document's history: it was compacted at seq `floor`.
    #[error(
        "base {base} is older than the live document's history (compacted at seq {floor}): \
         reload and send the edit against the new text"
    )]
    Compacted { base: u64, floor: u64 },
    /// An earlier edit of the same session (`refused`) was refused as stale and not yet sent
    /// again: a later one may not be applied before it, or "every ref up to the last applied
    /// one was applied" (what recognises an edit sent again after compaction) would be false.
    #[error(
        "edit {edit_ref} comes after edit {refused} of this session, which was refused as \
         stale: send that one again first"
    )]
    AfterRefused { edit_ref: u64, refused: u64 },
    /// A checkpoint may not go back before the last checkpoint or sync point.
    #[error("a checkpoint at seq {seq} is behind the last checkpoint or sync point (seq {last})")]
    CheckpointBehind { seq: u64, last: u64 },
    /// The session id is empty or reserved ([`GIT_SESSION`]).
    #[error("session id {0:?} is empty or reserved")]
    BadSession(String),
    /// Field keys must be non-empty, without newlines, and unique.
    #[error("invalid fields: {0}")]
    InvalidFields(String),
    /// The log could not be written or read. After a failed write or sync the document refuses
    /// every later call: drop it and reopen it from its log.
    #[error("live document log: {0}")]
    Io(#[from] std::io::Error),
    /// The log's records do not make a valid document.
    #[error("live document log is corrupt: {0}")]
    Corrupt(String),
    #[error("automerge: {0}")]
    Automerge(#[from] automerge::AutomergeError),
    #[error("merging an external change: {0}")]
    Merge(#[from] MergeError),
}

impl From<LogError> for LiveError {
    fn from(e: LogError) -> Self {
        match e {
            LogError::Io(e) => LiveError::Io(e),
            corrupt @ LogError::Corrupt { .. } => LiveError::Corrupt(corrupt.to_string()),
        }
    }
}

fn range_problem(pos: usize, delete: usize, field: &str, len: usize) -> String {
    if pos > len {
        format!("position {pos} is past the end of {field} ({len} characters)")
    } else {
        format!(
            "deleting {delete} characters at position {pos} goes past the end of {field} \
             ({len} characters)"
        )
    }
}

/// `SeqEntry::heads`: the change of this seq is the only head (most seqs).
const HEADS_OWN: u32 = 0;
/// `SeqEntry::heads`: this seq changed nothing (an empty edit): same heads as `seq - 1`.
const HEADS_PREV: u32 = 1;
/// `SeqEntry::heads` from this value on: several heads (concurrent changes not yet merged by a
/// later one), `many_heads[heads - HEADS_MANY]`.
const HEADS_MANY: u32 = 2;

/// What the document keeps per seq: 44 bytes.
#[derive(Debug, Clone)]
struct SeqEntry {
    /// The automerge change of this seq (that of `seq - 1` when `heads` is `HEADS_PREV`).
    hash: ChangeHash,
    /// The heads right after this seq: `HEADS_OWN`, `HEADS_PREV` or `HEADS_MANY + i`.
    heads: u32,
    /// Index into `sessions`.
    session: u32,
    /// Index into `authors`.
    author: u32,
}

/// Entries per chunk of a [`Chunked`].
const CHUNK: usize = 4096;

/// An append-only vector kept in chunks of [`CHUNK`] entries: it never doubles (no half-empty
/// capacity, no copy of everything when it grows), and a small one stays small (the first
/// chunk grows like a `Vec`).
#[derive(Debug, Clone)]
struct Chunked<T> {
    chunks: Vec<Vec<T>>,
    len: usize,
}

impl<T> Chunked<T> {
    fn new() -> Self {
        Chunked {
            chunks: Vec::new(),
            len: 0,
        }
    }

    fn push(&mut self, value: T) {
        match self.chunks.last_mut() {
            Some(last) if last.len() < CHUNK => last.push(value),
            _ => {
                let mut chunk = Vec::with_capacity(if self.chunks.is_empty() { 4 } else { CHUNK });
                chunk.push(value);
                self.chunks.push(chunk);
            }
        }
        self.len += 1;
    }

    fn len(&self) -> usize {
        self.len
    }

    fn get(&self, i: usize) -> Option<&T> {
        self.chunks.get(i / CHUNK)?.get(i % CHUNK)
    }

    fn get_mut(&mut self, i: usize) -> Option<&mut T> {
        self.chunks.get_mut(i / CHUNK)?.get_mut(i % CHUNK)
    }

    fn last(&self) -> Option<&T> {
        self.chunks.last()?.last()
    }

    fn heap_bytes(&self) -> usize {
        self.chunks.iter().map(|c| c.capacity()).sum::<usize>() * std::mem::size_of::<T>()
            + self.chunks.capacity() * std::mem::size_of::<Vec<T>>()
    }
}

/// What the document keeps per session.
#[derive(Debug, Clone)]
struct Session {
    name: String,
    actor: ActorId,
    /// What the client showed when it sent its last edit, as far as the server can tell (see
    /// [`Bridge`]); `None` before its first edit and after compaction.
    bridge: Option<Bridge>,
    /// Who goes first where this session and another insert at one place
    /// ([`transform::b_first`]).
    rank: u32,
    /// `(ref, seq)` of the session's edits, refs increasing (a client counts up); a ref that
    /// is not larger than the last one goes to `LiveDoc::refs_out_of_order`.
    refs: Chunked<(u64, u64)>,
    /// `(ref, seq)` of the session's last edit before the document was compacted: every ref up
    /// to it was applied by then (a client sends its refs in order, and none passes a refused
    /// one, see `refused`), at a seq up to that one.
    floor: Option<(u64, u64)>,
    /// The oldest edit of the session refused as stale ([`LiveError::StaleBase`],
    /// [`LiveError::Compacted`]) and not answered otherwise since: later refs are refused
    /// ([`LiveError::AfterRefused`]) until it is sent again and applied (or refused for good).
    refused: Option<u64>,
}

impl Session {
    fn new(name: &str) -> Session {
        Session {
            name: name.to_owned(),
            actor: actor_for(name),
            bridge: None,
            rank: transform::rank(name),
            refs: Chunked::new(),
            floor: None,
            refused: None,
        }
    }

    /// The seq of edit `edit_ref`, if it is in `refs` or before the floor (then the seq of
    /// the session's last edit before compaction: the edit is in the text at that seq).
    fn find_ref(&self, edit_ref: u64) -> Option<u64> {
        self.find_in_refs(edit_ref).or_else(|| {
            self.floor
                .and_then(|(r, seq)| (edit_ref <= r).then_some(seq))
        })
    }

    /// The largest ref the session had applied, with its seq.
    fn last_ref(&self) -> Option<(u64, u64)> {
        self.refs.last().copied().or(self.floor)
    }

    fn find_in_refs(&self, edit_ref: u64) -> Option<u64> {
        let (mut lo, mut hi) = (0, self.refs.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let &(r, seq) = self.refs.get(mid)?;
            match r.cmp(&edit_ref) {
                std::cmp::Ordering::Equal => return Some(seq),
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
            }
        }
        None
    }
}

/// A session's view, as of the last edit it sent: the text at `base` plus `pending`, its own
/// edits applied after `base` (so not yet seen back by the client), each in the client's terms:
/// carried past every other change up to `base`, exactly as the client carries its pending
/// edits past the ops it receives.
#[derive(Debug, Clone)]
struct Bridge {
    base: u64,
    pending: VecDeque<Pending>,
}

/// One of a session's edits in a [`Bridge`]: applied as `seq`, to the field `obj` (index into
/// `LiveDoc::objs`), as primitives ([`transform::prims`]).
#[derive(Debug, Clone)]
struct Pending {
    seq: u64,
    obj: u32,
    prims: Vec<Splice>,
}

/// What a seq did to the texts, as primitives against the text at `seq - 1`: what a client's
/// pending edits are carried past. Kept per seq since the floor; most keystrokes fit `Char` or
/// `Del` (no allocation).
#[derive(Debug, Clone)]
enum Hist {
    /// No text changed (an empty edit, or fields added or removed).
    Empty,
    /// A raw automerge change replayed from the log: the primitives are worked out from the
    /// texts before and after when first needed ([`LiveDoc::resolve`]).
    Raw,
    /// One character inserted in field `obj` (index into `LiveDoc::objs`).
    Char { obj: u32, pos: u32, ch: char },
    /// `len` characters deleted.
    Del { obj: u32, pos: u32, len: u32 },
    /// Any other change of one field.
    Ops { obj: u32, prims: Box<[Splice]> },
    /// Several fields changed (only a raw change can).
    Many(Box<[(u32, Box<[Splice]>)]>),
}

impl Hist {
    /// The change `prims` of field `obj`, stored compactly.
    fn of(obj: u32, prims: Vec<Splice>) -> Hist {
        if let [one] = prims.as_slice() {
            let mut chars = one.insert.chars();
            match (u32::try_from(one.pos), u32::try_from(one.delete)) {
                (Ok(pos), Ok(0)) => {
                    if let (Some(ch), None) = (chars.next(), chars.next()) {
                        return Hist::Char { obj, pos, ch };
                    }
                }
                (Ok(pos), Ok(len)) if one.insert.is_empty() => {
                    return Hist::Del { obj, pos, len };
                }
                _ => {}
            }
        }
        if prims.is_empty() {
            Hist::Empty
        } else {
            Hist::Ops {
                obj,
                prims: prims.into_boxed_slice(),
            }
        }
    }

    fn ops(&self) -> Vec<(u32, Vec<Splice>)> {
        match self {
            Hist::Empty | Hist::Raw => Vec::new(),
            Hist::Char { obj, pos, ch } => vec![(
                *obj,
                vec![Splice {
                    pos: *pos as usize,
                    delete: 0,
                    insert: ch.to_string(),
                }],
            )],
            Hist::Del { obj, pos, len } => vec![(
                *obj,
                vec![Splice {
                    pos: *pos as usize,
                    delete: *len as usize,
                    insert: String::new(),
                }],
            )],
            Hist::Ops { obj, prims } => vec![(*obj, prims.to_vec())],
            Hist::Many(all) => all.iter().map(|(o, p)| (*o, p.to_vec())).collect(),
        }
    }

    /// The change in length of field `obj`.
    fn net_on(&self, obj: u32) -> isize {
        match self {
            Hist::Empty | Hist::Raw => 0,
            Hist::Char { obj: o, .. } => isize::from(*o == obj),
            Hist::Del { obj: o, len, .. } if *o == obj => -(*len as isize),
            Hist::Del { .. } => 0,
            Hist::Ops { obj: o, prims } if *o == obj => transform::net(prims),
            Hist::Ops { .. } => 0,
            Hist::Many(all) => all
                .iter()
                .filter(|(o, _)| *o == obj)
                .map(|(_, p)| transform::net(p))
                .sum(),
        }
    }

    fn heap_bytes(&self) -> usize {
        let splices = |p: &[Splice]| {
            std::mem::size_of_val(p) + p.iter().map(|s| s.insert.capacity()).sum::<usize>()
        };
        match self {
            Hist::Empty | Hist::Raw | Hist::Char { .. } | Hist::Del { .. } => 0,
            Hist::Ops { prims, .. } => splices(prims),
            Hist::Many(all) => all.iter().map(|(_, p)| 24 + splices(p)).sum(),
        }
    }
}

/// The last checkpoint or sync point: the branch's commit and the live state it holds.
#[derive(Debug, Clone)]
struct SyncPoint {
    commit: String,
    seq: u64,
    /// Seqs of the changes that are the heads of the state committed (ascending).
    heads: Vec<u64>,
}

/// One live document: an ordered list of fields `(key, text)` co-edited through automerge,
/// with its log. See the module documentation.
#[derive(Debug)]
pub struct LiveDoc {
    doc: Automerge,
    log: Log,
    /// The root map `fields`.
    fields_obj: ObjId,
    /// The current text object of each field.
    field_ids: HashMap<String, ObjId>,
    /// Index = seq - `floor`.
    seqs: Chunked<SeqEntry>,
    /// What each seq did to the texts. Index = seq - `floor`.
    hist: Chunked<Hist>,
    /// Heap bytes held by `hist`'s entries.
    hist_bytes: usize,
    /// Every text object seen since the floor (fields, also removed or replaced ones), indexed
    /// by `obj_ids`, with the seq from which it surely exists (`obj_since`).
    objs: Vec<ObjId>,
    obj_ids: HashMap<ObjId, u32>,
    obj_since: Vec<u64>,
    /// The first seq the document knows (0, or the seq it was last compacted at): its state is
    /// the automerge document's first change; earlier seqs are gone.
    floor: u64,
    /// The head sets of seqs with several heads (seqs, ascending).
    many_heads: Vec<Box<[u64]>>,
    sessions: Vec<Session>,
    session_ids: HashMap<String, u32>,
    authors: Vec<String>,
    author_ids: HashMap<String, u32>,
    /// (session index, ref) → seq of edits whose ref was not larger than the session's
    /// previous one (rare: the rest are in `Session::refs`).
    refs_out_of_order: HashMap<(u32, u64), u64>,
    sync_point: SyncPoint,
    /// Seq of the last `mark_checkpoint` (the live text up to it is committed).
    checkpoint_seq: u64,
    /// Index of the session whose actor the automerge document currently has.
    actor_of: Option<u32>,
    /// A log write failed after the document changed in memory: refuse everything.
    failed: bool,
}

/// The automerge actor of a session: 16 bytes of SHA-256 of the session id (a fixed-size id
/// that fits automerge's inline actor storage). Git's actor is the bytes `git`.
fn actor_for(session: &str) -> ActorId {
    if session == GIT_SESSION {
        return ActorId::from(b"git");
    }
    let digest = Sha256::new()
        .chain_update(b"codraft live session\0")
        .chain_update(session.as_bytes())
        .finalize();
    let mut id = [0u8; 16];
    id.copy_from_slice(&digest[..16]);
    ActorId::from(id)
}

fn now_seconds() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

fn check_keys(fields: &[(String, String)]) -> Result<(), LiveError> {
    let mut seen = HashSet::new();
    for (key, _) in fields {
        if key.is_empty() || key.contains('\n') || key.contains('\r') {
            return Err(LiveError::InvalidFields(format!(
                "field key {key:?} is empty or has a line break"
            )));
        }
        if !seen.insert(key.as_str()) {
            return Err(LiveError::InvalidFields(format!(
                "field key {key:?} appears twice"
            )));
        }
    }
    Ok(())
}

/// Checks that `splices`, applied one after another, fit a text of `len` code points.
fn validate(field: &str, mut len: usize, splices: &[Splice]) -> Result<(), LiveError> {
    for (i, s) in splices.iter().enumerate() {
        let fits = s.pos <= len && s.pos.checked_add(s.delete).is_some_and(|end| end <= len);
        if !fits {
            return Err(LiveError::OutOfRange {
                splice: i + 1,
                field: field.to_owned(),
                pos: s.pos,
                delete: s.delete,
                len,
            });
        }
        len = len - s.delete + s.insert.chars().count();
    }
    Ok(())
}

/// Applies ascending, non-overlapping splices in old coordinates from the end backwards.
fn splice_backwards(
    tx: &mut impl Transactable,
    obj: &ObjId,
    splices: &[Splice],
) -> Result<(), automerge::AutomergeError> {
    for s in splices.iter().rev() {
        tx.splice_text(obj, s.pos, s.delete as isize, &s.insert)?;
    }
    Ok(())
}

/// A new automerge document holding `fields` in one change of session `git`.
fn initial_doc(fields: &[(String, String)]) -> Result<Automerge, LiveError> {
    let mut doc = Automerge::new_with_encoding(TextEncoding::UnicodeCodePoint)
        .with_actor(actor_for(GIT_SESSION));
    let mut tx = doc.transaction();
    let fields_obj = tx.put_object(ROOT, FIELDS, ObjType::Map)?;
    for (key, text) in fields {
        let obj = tx.put_object(&fields_obj, key.as_str(), ObjType::Text)?;
        tx.splice_text(&obj, 0, 0, text)?;
    }
    let order: Vec<&str> = fields.iter().map(|(k, _)| k.as_str()).collect();
    tx.put(ROOT, ORDER, order.join("\n"))?;
    tx.commit_with(CommitOptions::default().with_time(now_seconds()));
    Ok(doc)
}

impl LiveDoc {
    /// A new live document holding `fields` (in this order), loaded from `checkpoint_commit`
    /// (which becomes its first checkpoint, at seq 0). Its log is created at `log_path` and
    /// fsynced, with its directory; an existing log there is an error (`Io`, `AlreadyExists`).
    pub fn create(
        log_path: &Path,
        fields: &[(String, String)],
        checkpoint_commit: &str,
    ) -> Result<LiveDoc, LiveError> {
        check_keys(fields)?;
        let doc = initial_doc(fields)?;
        let log = Log::create(
            log_path,
            &Record::Init {
                commit: checkpoint_commit.to_owned(),
                doc: doc.save(),
            },
        )?;
        LiveDoc::from_initial(doc, log, checkpoint_commit.to_owned())
    }

    /// Reopens a live document from its log after a restart (or after it was unloaded). A torn
    /// last record (a crash mid-write) is ignored and cut off, so the document is as it was after
    /// the last whole record; every synced (acked) change is a whole record.
    pub fn open(log_path: &Path) -> Result<LiveDoc, LiveError> {
        let Opened { log, records, .. } = Log::open(log_path)?;
        let mut records = records.into_iter();
        let Some(Record::Init { commit, doc }) = records.next() else {
            return Err(LiveError::Corrupt(
                "the log does not start with Init".into(),
            ));
        };
        let doc = Automerge::load_with_options(
            &doc,
            LoadOptions::new().text_encoding(TextEncoding::UnicodeCodePoint),
        )?;
        let mut live = LiveDoc::from_initial(doc, log, commit)?;
        let mut changes = Vec::new();
        for record in records {
            live.replay(record, &mut changes)?;
        }
        live.flush_replayed(&mut changes)?;
        let mut expected = live.hashes(&live.heads_seqs(live.seq()));
        let mut heads = live.doc.get_heads();
        expected.sort();
        heads.sort();
        if expected != heads {
            return Err(LiveError::Corrupt(
                "the log's changes do not lead to the heads it records".into(),
            ));
        }
        live.refresh_fields()?;
        Ok(live)
    }

    /// The in-memory part shared by `create` and `open`: seq 0 is the document's one head.
    fn from_initial(doc: Automerge, log: Log, commit: String) -> Result<LiveDoc, LiveError> {
        let mut live = LiveDoc {
            doc: Automerge::new(),
            log,
            fields_obj: ROOT,
            field_ids: HashMap::new(),
            seqs: Chunked::new(),
            hist: Chunked::new(),
            hist_bytes: 0,
            objs: Vec::new(),
            obj_ids: HashMap::new(),
            obj_since: Vec::new(),
            floor: 0,
            many_heads: Vec::new(),
            sessions: Vec::new(),
            session_ids: HashMap::new(),
            authors: Vec::new(),
            author_ids: HashMap::new(),
            refs_out_of_order: HashMap::new(),
            sync_point: SyncPoint {
                commit: String::new(),
                seq: 0,
                heads: vec![0],
            },
            checkpoint_seq: 0,
            actor_of: None,
            failed: false,
        };
        live.start_from(doc, commit, 0)?;
        Ok(live)
    }

    /// Makes `doc` (one head: the state at seq `floor`, a checkpoint of `commit`) the whole
    /// document, with no session, author or history besides it. The log is not touched.
    fn start_from(
        &mut self,
        mut doc: Automerge,
        commit: String,
        floor: u64,
    ) -> Result<(), LiveError> {
        let heads = doc.get_heads();
        let [head] = heads.as_slice() else {
            return Err(LiveError::Corrupt(format!(
                "the initial document has {} heads, not 1",
                heads.len()
            )));
        };
        let fields_obj = match doc.get(ROOT, FIELDS)? {
            Some((Value::Object(ObjType::Map), id)) => id,
            _ => return Err(LiveError::Corrupt("no `fields` map".into())),
        };
        doc.set_actor(actor_for(GIT_SESSION));
        let mut seqs = Chunked::new();
        seqs.push(SeqEntry {
            hash: *head,
            heads: HEADS_OWN,
            session: GIT,
            author: GIT,
        });
        self.doc = doc;
        self.fields_obj = fields_obj;
        self.seqs = seqs;
        self.hist = Chunked::new();
        self.hist.push(Hist::Empty);
        self.hist_bytes = 0;
        self.objs = Vec::new();
        self.obj_ids = HashMap::new();
        self.obj_since = Vec::new();
        self.floor = floor;
        self.many_heads = Vec::new();
        self.sessions = vec![Session::new(GIT_SESSION)];
        self.session_ids = HashMap::from([(GIT_SESSION.to_owned(), GIT)]);
        self.authors = vec![String::new()];
        self.author_ids = HashMap::from([(String::new(), GIT)]);
        self.refs_out_of_order = HashMap::new();
        self.sync_point = SyncPoint {
            commit,
            seq: floor,
            heads: vec![floor],
        };
        self.checkpoint_seq = floor;
        self.actor_of = Some(GIT);
        self.refresh_fields()
    }

    /// Sets each compacted session's last ref (see [`Session::floor`]).
    fn set_session_floors(&mut self, floors: Vec<(String, u64, u64)>) -> Result<(), LiveError> {
        for (name, edit_ref, at) in floors {
            if name == GIT_SESSION || at > self.floor {
                return Err(LiveError::Corrupt(format!(
                    "compacted session {name:?} at seq {at} (floor {})",
                    self.floor
                )));
            }
            let sid = self.session_id(&name);
            self.sessions[sid as usize].floor = Some((edit_ref, at));
        }
        Ok(())
    }

    /// Rebuilds the indexes from one log record; real changes are collected into `changes` to
    /// be applied to the automerge document together at the end (much faster than one by one).
    fn replay(&mut self, record: Record, changes: &mut Vec<Change>) -> Result<(), LiveError> {
        let seq = self.seq();
        match record {
            Record::Edit {
                session,
                author,
                edit_ref,
                seq: record_seq,
                base,
                time,
                field,
                splices,
            } => {
                // Raw changes read so far go in first: the edit may be made on them.
                self.flush_replayed(changes)?;
                let edit = Edit {
                    session: &session,
                    author: &author,
                    edit_ref,
                    base,
                    field: &field,
                    splices: &splices,
                };
                match self.apply_at(edit, time, false) {
                    Ok(Outcome::Applied(a)) if a.seq == record_seq => {}
                    Ok(other) => {
                        return Err(LiveError::Corrupt(format!(
                            "edit record with seq {record_seq} replays as {other:?}"
                        )))
                    }
                    Err(e) => {
                        return Err(LiveError::Corrupt(format!(
                            "edit record with seq {record_seq} does not replay: {e}"
                        )))
                    }
                }
            }
            Record::Init { .. } => return Err(LiveError::Corrupt("a second Init".into())),
            Record::Compacted { seq: at, sessions } => {
                if seq != 0 || self.floor != 0 {
                    return Err(LiveError::Corrupt(
                        "a Compacted record after other records".into(),
                    ));
                }
                self.floor = at;
                self.sync_point.seq = at;
                self.sync_point.heads = vec![at];
                self.checkpoint_seq = at;
                self.set_session_floors(sessions)?;
            }
            Record::Change {
                session,
                author,
                edit_ref,
                seq: record_seq,
                base,
                change,
            } => {
                if record_seq != seq + 1 || base > seq {
                    return Err(LiveError::Corrupt(format!(
                        "change record with seq {record_seq} (base {base}) after seq {seq}"
                    )));
                }
                let sid = self.session_id(&session);
                let aid = self.author_id(&author);
                if change.is_empty() {
                    self.push_seq(None, None, sid, aid, Hist::Empty);
                } else {
                    let change = Change::try_from(change.as_slice())
                        .map_err(|e| LiveError::Corrupt(format!("seq {record_seq}: {e}")))?;
                    let deps = change.deps().to_vec();
                    self.push_seq(Some(change.hash()), Some(&deps), sid, aid, Hist::Raw);
                    changes.push(change);
                }
                if sid != GIT {
                    self.remember_ref(sid, edit_ref, record_seq);
                }
            }
            Record::Checkpoint { commit, seq: at } => {
                if at > seq {
                    return Err(LiveError::Corrupt(format!(
                        "checkpoint at seq {at} after seq {seq}"
                    )));
                }
                self.sync_point = SyncPoint {
                    commit,
                    seq: at,
                    heads: self.heads_seqs(at),
                };
                self.checkpoint_seq = at;
            }
            Record::External {
                commit,
                seq: at,
                heads,
            } => {
                let real = |h: &u64| *h <= seq && self.entry(*h).heads != HEADS_PREV;
                if at > seq || heads.is_empty() || !heads.iter().all(real) {
                    return Err(LiveError::Corrupt(format!(
                        "sync point at seq {at} with heads {heads:?} after seq {seq}"
                    )));
                }
                self.sync_point = SyncPoint {
                    commit,
                    seq: at,
                    heads,
                };
            }
        }
        Ok(())
    }

    /// Applies the raw changes collected by `replay` (and the fields they add or remove).
    fn flush_replayed(&mut self, changes: &mut Vec<Change>) -> Result<(), LiveError> {
        if !changes.is_empty() {
            self.doc.apply_changes(std::mem::take(changes))?;
            self.refresh_fields()?;
        }
        Ok(())
    }

    /// The seq of the last applied change (0 for a new document).
    pub fn seq(&self) -> u64 {
        self.floor + self.seqs.len() as u64 - 1
    }

    /// The oldest seq an edit may still be made against (0 until the document is compacted).
    pub fn floor(&self) -> u64 {
        self.floor
    }

    /// Every field with its current text, in form order.
    pub fn fields(&self) -> Vec<(String, String)> {
        self.ordered_keys()
            .into_iter()
            .filter_map(|key| {
                let text = self.doc.text(&self.field_ids[&key]).ok()?;
                Some((key, text))
            })
            .collect()
    }

    /// Every field with its text as it was at `seq`, by key; `None` when `seq` is not kept
    /// (before the floor or after the last change).
    pub fn fields_at(&self, seq: u64) -> Result<Option<BTreeMap<String, String>>, LiveError> {
        if seq < self.floor || seq > self.seq() {
            return Ok(None);
        }
        let heads = self.hashes(&self.heads_seqs(seq));
        let mut fields = BTreeMap::new();
        for key in self.doc.keys_at(&self.fields_obj, &heads) {
            if let Some(id) = self.text_at(&key, &heads)? {
                fields.insert(key, self.doc.text_at(&id, &heads)?);
            }
        }
        Ok(Some(fields))
    }

    /// The current text of one field.
    pub fn field(&self, key: &str) -> Option<String> {
        self.doc.text(self.field_ids.get(key)?).ok()
    }

    /// Applies an edit of `session` (protocol semantics, see the module documentation):
    /// `splices`, in order, each against the text after the previous one, to `field`, made
    /// against the text as it was at `base` plus every earlier change of `session`. `author`
    /// is who typed (a user id, for `Co-authored-by`). `(session, edit_ref)` identifies the
    /// edit: sent again, it is a [`Outcome::Duplicate`].
    ///
    /// Everything is validated first — session, field (existing now and in the edit's
    /// version), `base <= seq`, every splice in range at that version — and on an error
    /// nothing changed. The change is appended to the log without fsync: call
    /// [`LiveDoc::sync`] before acking.
    pub fn apply(
        &mut self,
        session: &str,
        author: &str,
        edit_ref: u64,
        base: u64,
        field: &str,
        splices: &[Splice],
    ) -> Result<Outcome, LiveError> {
        let edit = Edit {
            session,
            author,
            edit_ref,
            base,
            field,
            splices,
        };
        self.apply_at(edit, now_seconds(), true)
    }

    /// [`LiveDoc::apply`] with the change's `time`. `live`: an edit arriving now (logged, its
    /// splices for clients computed); otherwise one replayed from the log (neither).
    fn apply_at(&mut self, edit: Edit<'_>, time: i64, live: bool) -> Result<Outcome, LiveError> {
        let (session, edit_ref) = (edit.session, edit.edit_ref);
        let result = self.apply_checked(edit, time, live);
        let stale = matches!(
            result,
            Err(LiveError::StaleBase { .. }
                | LiveError::Compacted { .. }
                | LiveError::AfterRefused { .. })
        );
        if stale {
            if !session.is_empty() && session != GIT_SESSION {
                let sid = self.session_id(session);
                let s = &mut self.sessions[sid as usize];
                s.refused = Some(s.refused.map_or(edit_ref, |r| r.min(edit_ref)));
            }
        } else if let Some(&sid) = self.session_ids.get(session) {
            // Applied, a duplicate, or refused for good: either way no longer waiting.
            let s = &mut self.sessions[sid as usize];
            if s.refused == Some(edit_ref) {
                s.refused = None;
            }
        }
        result
    }

    /// [`LiveDoc::apply_at`] without the bookkeeping of refused edits.
    fn apply_checked(
        &mut self,
        edit: Edit<'_>,
        time: i64,
        live: bool,
    ) -> Result<Outcome, LiveError> {
        let Edit {
            session,
            author,
            edit_ref,
            base,
            field,
            splices,
        } = edit;
        self.usable()?;
        if session.is_empty() || session == GIT_SESSION {
            return Err(LiveError::BadSession(session.to_owned()));
        }
        let known = self.session_ids.get(session).copied();
        if let Some(sid) = known {
            if let Some(seq) = self.find_ref(sid, edit_ref) {
                return Ok(Outcome::Duplicate { seq });
            }
            if let Some(refused) = self.sessions[sid as usize].refused {
                if edit_ref > refused {
                    return Err(LiveError::AfterRefused { edit_ref, refused });
                }
            }
        }
        let seq = self.seq();
        if base > seq {
            return Err(LiveError::StaleBase { base, seq });
        }
        if base < self.floor {
            return Err(LiveError::Compacted {
                base,
                floor: self.floor,
            });
        }
        let obj = self
            .field_ids
            .get(field)
            .cloned()
            .ok_or_else(|| LiveError::UnknownField(field.to_owned()))?;
        let oi = self.obj_index(&obj);
        // What the client was looking at: the text at `base` plus the session's edits it had
        // not seen back yet, in its terms (its bridge, carried forward to `base`). A base
        // below the bridge's is the bridge's: the client saw that much when it sent an
        // earlier edit.
        let (from, mut pending) =
            match known.and_then(|sid| self.sessions[sid as usize].bridge.take()) {
                Some(bridge) => (bridge.base, bridge.pending),
                None => (base, VecDeque::new()),
            };
        let seen = base.max(from);
        let rank = known.map_or_else(
            || transform::rank(session),
            |sid| self.sessions[sid as usize].rank,
        );
        let carried = self.carry(&mut pending, from, seen, rank);
        let checked =
            carried.and_then(|()| self.transform_edit(field, oi, seen, &pending, rank, splices));
        let (mine, out) = match checked {
            Ok(v) => v,
            Err(e) => {
                // Nothing changed: the bridge goes back as it was, carried to `base` (the
                // client has seen that much).
                if let Some(sid) = known {
                    self.sessions[sid as usize].bridge = Some(Bridge {
                        base: seen,
                        pending,
                    });
                }
                return Err(e);
            }
        };
        let sid = self.session_id(session);
        let aid = self.author_id(author);
        let new_seq = seq + 1;
        let hash = if out.is_empty() {
            None
        } else {
            match self.transact(sid, None, &obj, &out, time) {
                Ok(h) => h,
                Err(e) => {
                    self.sessions[sid as usize].bridge = Some(Bridge {
                        base: seen,
                        pending,
                    });
                    return Err(e);
                }
            }
        };
        let hist = if hash.is_some() {
            Hist::of(oi, out.clone())
        } else {
            Hist::Empty
        };
        self.push_seq(hash, None, sid, aid, hist);
        if !mine.is_empty() {
            pending.push_back(Pending {
                seq: new_seq,
                obj: oi,
                prims: mine,
            });
        }
        let settled = self.settle(seen, &mut pending);
        self.sessions[sid as usize].bridge = Some(Bridge {
            base: settled,
            pending,
        });
        let out = if live {
            transform::join(&out)
        } else {
            Vec::new()
        };
        self.remember_ref(sid, edit_ref, new_seq);
        if live {
            let logged = self.log.append_edit(
                session, author, edit_ref, new_seq, base, time, field, splices,
            );
            if let Err(e) = logged {
                self.failed = true;
                return Err(e.into());
            }
        }
        Ok(Outcome::Applied(Applied {
            seq: new_seq,
            session: session.to_owned(),
            field: field.to_owned(),
            splices: out,
        }))
    }

    /// Makes every change applied so far durable (fsyncs the log). The caller batches: several
    /// applies, one sync, then the acks.
    pub fn sync(&mut self) -> Result<(), LiveError> {
        self.usable()?;
        self.log.sync().inspect_err(|_| self.failed = true)?;
        Ok(())
    }

    /// A commit reached the branch another way (a merge, a push, the edit form).
    /// `base_fields` are the fields of the commit of the last checkpoint or sync point (see
    /// [`LiveDoc::checkpoint`]), `new_fields` those of `commit`. The change base → new is made
    /// as changes of session `git` on the live state of that checkpoint and merged with
    /// everything since, so unsaved live edits are kept. If the live text at the checkpoint
    /// differs from `base_fields` (it should not), the change is first merged onto it.
    ///
    /// Returns the text changes of existing fields to broadcast as `op`s (one per field, each
    /// with its seq, splices against seq - 1), and whether the set or order of fields changed:
    /// then the last change (seq [`LiveDoc::seq`]) added, removed or reordered fields, and
    /// clients need a `fields` message with `seq()` and `fields()`, after the ops. Fields only
    /// in `new_fields` are added with their text; fields missing from it are removed (with any
    /// unsaved live edits in them). `commit` becomes the sync point. Synced before returning.
    pub fn merge_external(
        &mut self,
        commit: &str,
        base_fields: &[(String, String)],
        new_fields: &[(String, String)],
    ) -> Result<(Vec<Applied>, bool), LiveError> {
        self.usable()?;
        check_keys(new_fields)?;
        let base: HashMap<&str, &str> = base_fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        // The git changes form a chain starting at the sync point's state.
        let mut at: Vec<u64> = self.sync_point.heads.clone();
        let mut ops = Vec::new();
        let deadline = || Instant::now() + DIFF_DEADLINE;
        for (key, new_text) in new_fields {
            let heads = self.hashes(&at);
            let Some(obj) = self.text_at(key, &heads)? else {
                continue; // added below
            };
            let live_then = self.doc.text_at(&obj, &heads)?;
            let target = match base.get(key.as_str()) {
                Some(&b) if b != live_then => merge3(b, &live_then, new_text, deadline())?.text,
                _ => new_text.clone(),
            };
            if target == live_then {
                continue;
            }
            let edit = diff_splices(&live_then, &target, deadline());
            let current = self.field_ids.get(key) == Some(&obj);
            let before = if current {
                self.doc.text(&obj)?
            } else {
                String::new()
            };
            let hash = self.git_change(&heads, |tx| splice_backwards(tx, &obj, &edit))?;
            let Some(hash) = hash else { continue };
            if !current {
                // The field was replaced since: nothing visible changed.
                self.record_git_change(hash, &heads, Hist::Empty)?;
                at = vec![self.seq()];
                continue;
            }
            // What clients see and what pending edits are carried past: the same primitives,
            // worked out from the texts alone (so a replay of the log finds them again).
            let prims = transform::diff_ops(&before, &self.doc.text(&obj)?);
            let oi = self.obj_index(&obj);
            let hist = Hist::of(oi, prims.clone());
            self.record_git_change(hash, &heads, hist)?;
            at = vec![self.seq()];
            ops.push(Applied {
                seq: self.seq(),
                session: GIT_SESSION.to_owned(),
                field: key.clone(),
                splices: transform::join(&prims),
            });
        }
        // Fields added, removed or reordered: one more change.
        let heads = self.hashes(&at);
        let mut present = Vec::new();
        for key in self.doc.keys_at(&self.fields_obj, &heads) {
            present.push(key);
        }
        let order_then = match self.doc.get_at(ROOT, ORDER, &heads)? {
            Some((v, _)) => v.as_str().unwrap_or_default().to_owned(),
            None => String::new(),
        };
        let wanted: Vec<&str> = new_fields.iter().map(|(k, _)| k.as_str()).collect();
        let order_now = wanted.join("\n");
        let removed: Vec<&String> = present
            .iter()
            .filter(|k| !wanted.contains(&k.as_str()))
            .collect();
        let added: Vec<&(String, String)> = new_fields
            .iter()
            .filter(|(k, _)| !present.contains(k))
            .collect();
        let mut fields_changed = false;
        if !removed.is_empty() || !added.is_empty() || order_now != order_then {
            let fields_obj = self.fields_obj.clone();
            let hash = self.git_change(&heads, |tx| {
                for key in &removed {
                    tx.delete(&fields_obj, key.as_str())?;
                }
                for (key, text) in &added {
                    let obj = tx.put_object(&fields_obj, key.as_str(), ObjType::Text)?;
                    tx.splice_text(&obj, 0, 0, text)?;
                }
                if order_now != order_then {
                    tx.put(ROOT, ORDER, order_now.as_str())?;
                }
                Ok(())
            })?;
            if let Some(hash) = hash {
                self.record_git_change(hash, &heads, Hist::Empty)?;
                at = vec![self.seq()];
                fields_changed = true;
                self.refresh_fields()?;
            }
        }
        self.sync_point = SyncPoint {
            commit: commit.to_owned(),
            seq: self.seq(),
            heads: at,
        };
        let record = Record::External {
            commit: commit.to_owned(),
            seq: self.sync_point.seq,
            heads: self.sync_point.heads.clone(),
        };
        self.append_and_sync(&record)?;
        Ok((ops, fields_changed))
    }

    /// The authors (user ids) who typed a change after the last checkpoint (changes from git
    /// do not count; a sync point from git does not reset this, since the live edits are not
    /// in any commit yet).
    pub fn authors_since_checkpoint(&self) -> BTreeSet<String> {
        let ids: BTreeSet<u32> = (self.checkpoint_seq + 1..=self.seq())
            .map(|s| self.entry(s))
            .filter(|e| e.session != GIT && e.author != GIT)
            .map(|e| e.author)
            .collect();
        ids.into_iter()
            .map(|a| self.authors[a as usize].clone())
            .collect()
    }

    /// Records that the live text at `seq` was committed as `commit` (appended to the log and
    /// synced). `seq` may not be ahead of [`LiveDoc::seq`] nor behind the last checkpoint or
    /// sync point.
    pub fn mark_checkpoint(&mut self, commit: &str, seq: u64) -> Result<(), LiveError> {
        self.usable()?;
        if seq > self.seq() {
            return Err(LiveError::StaleBase {
                base: seq,
                seq: self.seq(),
            });
        }
        if seq < self.sync_point.seq {
            return Err(LiveError::CheckpointBehind {
                seq,
                last: self.sync_point.seq,
            });
        }
        let previous = (self.sync_point.clone(), self.checkpoint_seq);
        self.sync_point = SyncPoint {
            commit: commit.to_owned(),
            seq,
            heads: self.heads_seqs(seq),
        };
        self.checkpoint_seq = seq;
        let record = Record::Checkpoint {
            commit: commit.to_owned(),
            seq,
        };
        if let Err(e) = self.append_and_sync(&record) {
            (self.sync_point, self.checkpoint_seq) = previous;
            return Err(e);
        }
        Ok(())
    }

    /// Drops the history: when the live text is that of the last checkpoint or sync point
    /// (nothing unsaved, nobody typed since), the document starts again from that text as one
    /// change at the current seq, which becomes the floor; the log is rewritten as that
    /// document (atomically, see [`Log::replace`]). Memory and log then hold the text, not
    /// every keystroke. Afterwards an edit made against an older seq is refused
    /// ([`LiveError::Compacted`]: the client reloads and sends it against the new text); an
    /// edit sent again that was applied before is still recognised and acked (each session's
    /// last ref is kept). Returns false, changing nothing, when there is nothing to drop or
    /// the text is not at a checkpoint.
    pub fn compact(&mut self) -> Result<bool, LiveError> {
        self.usable()?;
        let seq = self.seq();
        if seq == self.floor || self.dirty() || !self.authors_since_checkpoint().is_empty() {
            return Ok(false);
        }
        let doc = initial_doc(&self.fields())?;
        let commit = self.sync_point.commit.clone();
        let floors: Vec<(String, u64, u64)> = self
            .sessions
            .iter()
            .skip(1)
            .filter_map(|s| s.last_ref().map(|(r, at)| (s.name.clone(), r, at)))
            .collect();
        let records = [
            Record::Init {
                commit: commit.clone(),
                doc: doc.save(),
            },
            Record::Compacted {
                seq,
                sessions: floors.clone(),
            },
        ];
        if let Err(e) = self.log.replace(&records) {
            // Before the rename the old log is intact and still in use; after it, reopen.
            self.failed = self.log.failed();
            return Err(e.into());
        }
        // The log now holds the new document: if memory cannot follow (short of a bug it
        // cannot fail), refuse everything until reopened from the log.
        self.failed = true;
        self.start_from(doc, commit, seq)?;
        self.set_session_floors(floors)?;
        self.failed = false;
        Ok(true)
    }

    /// `(commit, seq)` of the last checkpoint or sync point.
    pub fn checkpoint(&self) -> (String, u64) {
        (self.sync_point.commit.clone(), self.sync_point.seq)
    }

    /// Whether the live document holds anything the last checkpoint or sync point's commit
    /// does not (its state differs from that commit's).
    pub fn dirty(&self) -> bool {
        self.heads_seqs(self.seq()) != self.sync_point.heads
    }

    /// Rough bytes held in memory: the automerge document (estimated from its op and change
    /// counts, calibrated with `benches/live.rs`) plus the indexes kept here.
    pub fn memory_estimate(&self) -> usize {
        let stats = self.doc.stats();
        // Calibrated with `benches/live.rs` (allocator deltas): automerge 0.12 holds about 8
        // bytes per op of a text (5,000-character documents), about 190 per change (typing
        // seph-blog1: one change per keystroke), and a fixed part.
        let automerge = 8_192 + 8 * stats.num_ops as usize + 190 * stats.num_changes as usize;
        let many: usize = self
            .many_heads
            .iter()
            .map(|h| h.len() * 8 + 16)
            .sum::<usize>()
            + self.many_heads.capacity() * 16;
        let seqs = self.seqs.heap_bytes() + many;
        let refs =
            self.refs_out_of_order.capacity() * (std::mem::size_of::<((u32, u64), u64)>() + 1);
        let names: usize = self
            .sessions
            .iter()
            .map(|s| {
                s.name.capacity() * 2 + std::mem::size_of::<Session>() + 48 + s.refs.heap_bytes()
            })
            .chain(self.authors.iter().map(|a| a.capacity() * 2 + 72))
            .sum();
        let fields: usize = self.field_ids.keys().map(|k| k.capacity() + 64).sum();
        let hist = self.hist.heap_bytes() + self.hist_bytes;
        let objs = self.objs.capacity() * (std::mem::size_of::<ObjId>() * 2 + 24);
        let bridges: usize = self
            .sessions
            .iter()
            .filter_map(|s| s.bridge.as_ref())
            .flat_map(|b| &b.pending)
            .map(|p| 48 + p.prims.len() * std::mem::size_of::<Splice>())
            .sum();
        automerge + seqs + refs + names + fields + hist + objs + bridges
    }

    // ---- internals ----------------------------------------------------------------------

    fn usable(&self) -> Result<(), LiveError> {
        if self.failed {
            Err(LiveError::Io(std::io::Error::other(
                "an earlier write to the live log failed; reopen the document from its log",
            )))
        } else {
            Ok(())
        }
    }

    fn session_id(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.session_ids.get(name) {
            return id;
        }
        let id = self.sessions.len() as u32;
        self.sessions.push(Session::new(name));
        self.session_ids.insert(name.to_owned(), id);
        id
    }

    fn author_id(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.author_ids.get(name) {
            return id;
        }
        let id = self.authors.len() as u32;
        self.authors.push(name.to_owned());
        self.author_ids.insert(name.to_owned(), id);
        id
    }

    /// Seqs of the heads right after `seq` (ascending).
    fn heads_seqs(&self, mut seq: u64) -> Vec<u64> {
        loop {
            match self.entry(seq).heads {
                HEADS_OWN => return vec![seq],
                // Seq 0 is always `HEADS_OWN`, so this stops.
                HEADS_PREV => seq -= 1,
                many => return self.many_heads[(many - HEADS_MANY) as usize].to_vec(),
            }
        }
    }

    /// The entry of `seq`, which must exist (`floor <= seq <= self.seq()`).
    fn entry(&self, seq: u64) -> &SeqEntry {
        match seq
            .checked_sub(self.floor)
            .and_then(|i| self.seqs.get(i as usize))
        {
            Some(e) => e,
            None => unreachable!("seq {seq} is not in {}..={}", self.floor, self.seq()),
        }
    }

    fn hashes(&self, seqs: &[u64]) -> Vec<ChangeHash> {
        seqs.iter().map(|&s| self.entry(s).hash).collect()
    }

    /// The seq of the edit `(sid, edit_ref)`, if it was applied.
    fn find_ref(&self, sid: u32, edit_ref: u64) -> Option<u64> {
        self.sessions[sid as usize]
            .find_ref(edit_ref)
            .or_else(|| self.refs_out_of_order.get(&(sid, edit_ref)).copied())
    }

    fn remember_ref(&mut self, sid: u32, edit_ref: u64, seq: u64) {
        let refs = &mut self.sessions[sid as usize].refs;
        if refs.last().is_none_or(|&(r, _)| r < edit_ref) {
            refs.push((edit_ref, seq));
        } else {
            self.refs_out_of_order.insert((sid, edit_ref), seq);
        }
    }

    /// The index of text object `obj` in `objs`, registered (as existing from now) if new.
    fn obj_index(&mut self, obj: &ObjId) -> u32 {
        if let Some(&i) = self.obj_ids.get(obj) {
            return i;
        }
        let i = self.objs.len() as u32;
        self.objs.push(obj.clone());
        self.obj_ids.insert(obj.clone(), i);
        self.obj_since.push(self.seq());
        i
    }

    /// What seq `seq` did to the texts (`floor < seq <= self.seq()`).
    fn hist_at(&self, seq: u64) -> &Hist {
        match seq
            .checked_sub(self.floor)
            .and_then(|i| self.hist.get(i as usize))
        {
            Some(h) => h,
            None => unreachable!("seq {seq} is not in {}..={}", self.floor, self.seq()),
        }
    }

    /// Works out what the raw changes among seqs `from + 1 ..= to` did to the texts (the
    /// primitives from each field's text before and after, [`transform::diff_ops`]: the same
    /// as when the change was made live).
    fn resolve(&mut self, from: u64, to: u64) -> Result<(), LiveError> {
        for seq in from + 1..=to {
            if !matches!(self.hist_at(seq), Hist::Raw) {
                continue;
            }
            let before = self.hashes(&self.heads_seqs(seq - 1));
            let after = self.hashes(&self.heads_seqs(seq));
            let mut ops = Vec::new();
            let keys: Vec<String> = self.doc.keys_at(&self.fields_obj, &after).collect();
            for key in keys {
                let (Some(now), Some(then)) =
                    (self.text_at(&key, &after)?, self.text_at(&key, &before)?)
                else {
                    continue;
                };
                if now != then {
                    continue;
                }
                let prims = transform::diff_ops(
                    &self.doc.text_at(&now, &before)?,
                    &self.doc.text_at(&now, &after)?,
                );
                if !prims.is_empty() {
                    ops.push((self.obj_index(&now), prims.into_boxed_slice()));
                }
            }
            let hist = match ops.len() {
                0 => Hist::Empty,
                1 => {
                    let (obj, prims) = ops.remove(0);
                    Hist::of(obj, prims.into_vec())
                }
                _ => Hist::Many(ops.into_boxed_slice()),
            };
            self.hist_bytes += hist.heap_bytes();
            let i = (seq - self.floor) as usize;
            if let Some(entry) = self.hist.get_mut(i) {
                *entry = hist;
            }
        }
        Ok(())
    }

    /// Carries a session's view from `from` to `to` (see [`Bridge`]): its own edits applied in
    /// between leave `pending` (the client has seen them back); every other change passes
    /// through the pending edits of its field, in order, transforming them as the client does.
    /// `rank` is the session's ([`Session::rank`]).
    fn carry(
        &mut self,
        pending: &mut VecDeque<Pending>,
        from: u64,
        to: u64,
        rank: u32,
    ) -> Result<(), LiveError> {
        if pending.is_empty() {
            return Ok(());
        }
        self.resolve(from, to)?;
        for seq in from + 1..=to {
            if pending.is_empty() {
                break;
            }
            if pending.front().is_some_and(|p| p.seq == seq) {
                pending.pop_front();
                continue;
            }
            let theirs_first =
                transform::b_first(rank, self.sessions[self.entry(seq).session as usize].rank);
            for (obj, mut op) in self.hist_at(seq).ops() {
                for p in pending.iter_mut().filter(|p| p.obj == obj) {
                    if op.is_empty() {
                        break;
                    }
                    let (mine, theirs) =
                        transform::xform(std::mem::take(&mut p.prims), op, theirs_first);
                    p.prims = mine;
                    op = theirs;
                }
            }
        }
        Ok(())
    }

    /// Moves a bridge at `base` forward past what changes nothing in it: the session's own
    /// edits applied right after it (carried past nothing, so the same in its terms and the
    /// server's) and seqs that changed no text. Returns the new base. Without this, a client
    /// that keeps sending against one old base would be carried past all its own edits again
    /// at every edit.
    fn settle(&self, mut base: u64, pending: &mut VecDeque<Pending>) -> u64 {
        while base < self.seq() {
            let next = base + 1;
            if pending.front().is_some_and(|p| p.seq == next) {
                pending.pop_front();
            } else if !matches!(self.hist_at(next), Hist::Empty) {
                break;
            }
            base = next;
        }
        base
    }

    /// Checks `splices` against what the client showed of `field` (object `oi`): the text at
    /// `seen` plus `pending` (carried to `seen`). Returns the edit's primitives in the client's
    /// terms and carried to the current text.
    fn transform_edit(
        &mut self,
        field: &str,
        oi: u32,
        seen: u64,
        pending: &VecDeque<Pending>,
        rank: u32,
        splices: &[Splice],
    ) -> Result<(Vec<Splice>, Vec<Splice>), LiveError> {
        let seq = self.seq();
        let len_now = self.doc.length(&self.objs[oi as usize]);
        let mine = transform::prims(splices);
        if seen == seq {
            // The client saw everything (its own edits too, so nothing is pending).
            validate(field, len_now, splices)?;
            return Ok((mine.clone(), mine));
        }
        // The field must exist in the client's version.
        if self.obj_since[oi as usize] > seen {
            let heads = self.hashes(&self.heads_seqs(seen));
            if self.text_at(field, &heads)?.as_ref() != Some(&self.objs[oi as usize]) {
                return Err(LiveError::UnknownField(field.to_owned()));
            }
        }
        self.resolve(seen, seq)?;
        // The length the client saw: now, without every change since `seen`, with its own
        // pending edits.
        let mut len = len_now as isize;
        for s in seen + 1..=seq {
            len -= self.hist_at(s).net_on(oi);
        }
        for p in pending.iter().filter(|p| p.obj == oi) {
            len += transform::net(&p.prims);
        }
        validate(field, usize::try_from(len).unwrap_or(0), splices)?;
        let mut work = pending.clone();
        work.push_back(Pending {
            seq: u64::MAX,
            obj: oi,
            prims: mine.clone(),
        });
        self.carry(&mut work, seen, seq, rank)?;
        match (work.pop_back(), work.is_empty()) {
            (Some(p), true) if p.seq == u64::MAX => {
                validate(field, len_now, &p.prims).map_err(|e| {
                    LiveError::Corrupt(format!("the edit carried to the current text: {e}"))
                })?;
                Ok((mine, p.prims))
            }
            _ => Err(LiveError::Corrupt(
                "a session's earlier edit is not where its seq says".into(),
            )),
        }
    }

    /// Applies `splices` to `obj` as one change of session `sid`, at the current state
    /// (`heads` = None) or in isolation at `heads`. Rolled back on an error.
    fn transact(
        &mut self,
        sid: u32,
        heads: Option<&[ChangeHash]>,
        obj: &ObjId,
        splices: &[Splice],
        time: i64,
    ) -> Result<Option<ChangeHash>, LiveError> {
        self.set_actor(sid);
        let mut tx = match heads {
            None => self.doc.transaction(),
            Some(heads) => self
                .doc
                .transaction_at(PatchLog::inactive(), heads)
                .map_err(|e| LiveError::Corrupt(e.to_string()))?,
        };
        for s in splices {
            // Validated: `delete` is at most the text's length, so it fits an isize.
            let delete = isize::try_from(s.delete).unwrap_or(isize::MAX);
            if let Err(e) = tx.splice_text(obj, s.pos, delete, &s.insert) {
                tx.rollback();
                return Err(e.into());
            }
        }
        let (hash, _) = tx.commit_with(CommitOptions::default().with_time(time));
        Ok(hash)
    }

    /// Makes one change of session `git` in isolation at `heads` with `f`; rolled back when
    /// `f` fails.
    fn git_change(
        &mut self,
        heads: &[ChangeHash],
        f: impl FnOnce(
            &mut automerge::transaction::Transaction<'_>,
        ) -> Result<(), automerge::AutomergeError>,
    ) -> Result<Option<ChangeHash>, LiveError> {
        self.set_actor(GIT);
        let mut tx = self
            .doc
            .transaction_at(PatchLog::inactive(), heads)
            .map_err(|e| LiveError::Corrupt(e.to_string()))?;
        if let Err(e) = f(&mut tx) {
            tx.rollback();
            return Err(e.into());
        }
        let (hash, _) = tx.commit_with(CommitOptions::default().with_time(now_seconds()));
        Ok(hash)
    }

    /// Indexes and logs a change of session `git` made at `deps`.
    fn record_git_change(
        &mut self,
        hash: ChangeHash,
        deps: &[ChangeHash],
        hist: Hist,
    ) -> Result<(), LiveError> {
        let base = self.sync_point.seq;
        self.push_seq(Some(hash), Some(deps), GIT, GIT, hist);
        let seq = self.seq();
        let change = self.change_bytes(&hash)?;
        if let Err(e) = self
            .log
            .append_change(GIT_SESSION, "", 0, seq, base, &change)
        {
            self.failed = true;
            return Err(e.into());
        }
        Ok(())
    }

    fn set_actor(&mut self, sid: u32) {
        if self.actor_of != Some(sid) {
            self.doc
                .set_actor(self.sessions[sid as usize].actor.clone());
            self.actor_of = Some(sid);
        }
    }

    fn change_bytes(&mut self, hash: &ChangeHash) -> Result<Vec<u8>, LiveError> {
        match self.doc.get_change_by_hash(hash) {
            Some(change) => Ok(change.raw_bytes().to_vec()),
            None => {
                self.failed = true;
                Err(LiveError::Corrupt(format!(
                    "change {hash} just made is missing"
                )))
            }
        }
    }

    /// Appends seq `seq() + 1`: a change `hash` (None: nothing changed) made on `deps` (None:
    /// on every current head), which did `hist` to the texts.
    fn push_seq(
        &mut self,
        hash: Option<ChangeHash>,
        deps: Option<&[ChangeHash]>,
        session: u32,
        author: u32,
        hist: Hist,
    ) {
        self.hist_bytes += hist.heap_bytes();
        self.hist.push(hist);
        let seq = self.seq();
        let (hash, heads) = match (hash, deps) {
            (None, _) => (self.entry(seq).hash, HEADS_PREV),
            (Some(hash), None) => (hash, HEADS_OWN),
            (Some(hash), Some(deps)) => {
                let mut heads: Vec<u64> = self
                    .heads_seqs(seq)
                    .into_iter()
                    .filter(|&h| !deps.contains(&self.entry(h).hash))
                    .collect();
                if heads.is_empty() {
                    (hash, HEADS_OWN)
                } else {
                    heads.push(seq + 1);
                    let index = u32::try_from(self.many_heads.len())
                        .unwrap_or(u32::MAX - HEADS_MANY)
                        + HEADS_MANY;
                    self.many_heads.push(heads.into_boxed_slice());
                    (hash, index)
                }
            }
        };
        self.seqs.push(SeqEntry {
            hash,
            heads,
            session,
            author,
        });
    }

    fn append_and_sync(&mut self, record: &Record) -> Result<(), LiveError> {
        let result = self.log.append(record).and_then(|()| self.log.sync());
        if let Err(e) = result {
            self.failed = true;
            return Err(e.into());
        }
        Ok(())
    }

    /// The text object of field `key` at `heads`, if it has one there.
    fn text_at(&self, key: &str, heads: &[ChangeHash]) -> Result<Option<ObjId>, LiveError> {
        Ok(match self.doc.get_at(&self.fields_obj, key, heads)? {
            Some((Value::Object(ObjType::Text), id)) => Some(id),
            _ => None,
        })
    }

    /// Rebuilds `field_ids` from the document.
    fn refresh_fields(&mut self) -> Result<(), LiveError> {
        let mut ids = HashMap::new();
        let keys: Vec<String> = self.doc.keys(&self.fields_obj).collect();
        for key in keys {
            if let Some((Value::Object(ObjType::Text), id)) =
                self.doc.get(&self.fields_obj, key.as_str())?
            {
                self.obj_index(&id);
                ids.insert(key, id);
            }
        }
        self.field_ids = ids;
        Ok(())
    }

    /// The current field keys in form order: `order`'s keys that exist, then any others
    /// (sorted; only a damaged `order` leaves any).
    fn ordered_keys(&self) -> Vec<String> {
        let order = match self.doc.get(ROOT, ORDER) {
            Ok(Some((v, _))) => v.as_str().unwrap_or_default().to_owned(),
            _ => String::new(),
        };
        let mut keys: Vec<String> = Vec::with_capacity(self.field_ids.len());
        let mut seen = HashSet::new();
        for key in order.split('\n') {
            if self.field_ids.contains_key(key) && seen.insert(key) {
                keys.push(key.to_owned());
            }
        }
        let mut rest: Vec<&String> = self
            .field_ids
            .keys()
            .filter(|k| !seen.contains(k.as_str()))
            .collect();
        rest.sort();
        keys.extend(rest.into_iter().cloned());
        keys
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::path::PathBuf;

    use crate::live::{apply_to, sp};

    fn fields(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    const PROBLEM: &str = "民眾對自己的資料被如何使用，普遍缺乏了解。";

    fn new_doc() -> (tempfile::TempDir, PathBuf, LiveDoc) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c04.zh-TW.log");
        let live = LiveDoc::create(
            &path,
            &fields(&[
                ("title", "強化數位隱私"),
                ("section.problem.text", PROBLEM),
                ("milestone.m1.text", "𠀀盤點程序"),
            ]),
            "c0ffee",
        )
        .unwrap();
        (dir, path, live)
    }

    fn applied(out: Result<Outcome, LiveError>) -> Applied {
        match out {
            Ok(Outcome::Applied(a)) => a,
            other => panic!("not applied: {other:?}"),
        }
    }

    /// What a client holds after the snapshot `initial` and the `op`s so far.
    fn replay(initial: &[(String, String)], ops: &[Applied]) -> Vec<(String, String)> {
        let mut out = initial.to_vec();
        for op in ops {
            let (_, text) = out.iter_mut().find(|(k, _)| *k == op.field).unwrap();
            *text = apply_to(text, &op.splices);
        }
        out
    }

    /// The heads index agrees with automerge.
    fn check_heads(live: &mut LiveDoc) {
        let mut ours = live.hashes(&live.heads_seqs(live.seq()));
        let mut theirs = live.doc.get_heads();
        ours.sort();
        theirs.sort();
        assert_eq!(ours, theirs, "heads at seq {}", live.seq());
    }

    #[test]
    fn create_apply_and_read() {
        let (_dir, _path, mut live) = new_doc();
        assert_eq!(live.seq(), 0);
        assert_eq!(live.checkpoint(), ("c0ffee".to_string(), 0));
        assert!(!live.dirty());
        let a = applied(live.apply("s1", "u1", 1, 0, "title", &[sp(6, 0, "與個資保障")]));
        assert_eq!(a.seq, 1);
        assert_eq!(a.splices, [sp(6, 0, "與個資保障")]);
        assert_eq!(a.field, "title");
        assert_eq!(a.session, "s1");
        // Positions are code points: 𠀀 is one.
        let b = applied(live.apply(
            "s1",
            "u1",
            2,
            1,
            "milestone.m1.text",
            &[sp(1, 2, "檢討"), sp(5, 0, "。")],
        ));
        assert_eq!(b.seq, 2);
        assert_eq!(live.seq(), 2);
        assert_eq!(live.field("title").unwrap(), "強化數位隱私與個資保障");
        assert_eq!(live.field("milestone.m1.text").unwrap(), "𠀀檢討程序。");
        assert_eq!(live.field("nope"), None);
        assert_eq!(
            live.fields(),
            fields(&[
                ("title", "強化數位隱私與個資保障"),
                ("section.problem.text", PROBLEM),
                ("milestone.m1.text", "𠀀檢討程序。"),
            ])
        );
        assert!(live.dirty());
        assert_eq!(
            live.authors_since_checkpoint(),
            BTreeSet::from(["u1".to_string()])
        );
        check_heads(&mut live);
        assert!(live.memory_estimate() > 0);
    }

    #[test]
    fn refused_edits_change_nothing() {
        let (_dir, path, mut live) = new_doc();
        applied(live.apply("s1", "u1", 1, 0, "title", &[sp(0, 0, "甲")]));
        live.sync().unwrap();
        let before = (
            live.seq(),
            live.fields(),
            fs::metadata(&path).unwrap().len(),
        );
        let same = |live: &LiveDoc| {
            assert_eq!(
                (
                    live.seq(),
                    live.fields(),
                    fs::metadata(&path).unwrap().len()
                ),
                before
            )
        };
        let len = "甲強化數位隱私".chars().count();
        // Past the end.
        let e = live
            .apply("s1", "u1", 2, 1, "title", &[sp(len + 1, 0, "x")])
            .unwrap_err();
        assert!(
            matches!(
                e,
                LiveError::OutOfRange {
                    splice: 1,
                    pos: 8,
                    len: 7,
                    ..
                }
            ),
            "{e:?}"
        );
        assert_eq!(
            e.to_string(),
            "splice 1: position 8 is past the end of title (7 characters)"
        );
        same(&live);
        // Deleting past the end, in the second splice (the first one is fine and not applied).
        let e = live
            .apply("s1", "u1", 2, 1, "title", &[sp(0, 1, ""), sp(3, 4, "")])
            .unwrap_err();
        assert!(
            matches!(
                e,
                LiveError::OutOfRange {
                    splice: 2,
                    len: 6,
                    ..
                }
            ),
            "{e:?}"
        );
        assert!(
            e.to_string()
                .contains("goes past the end of title (6 characters)"),
            "{e}"
        );
        same(&live);
        // An overflowing delete.
        let e = live
            .apply("s1", "u1", 2, 1, "title", &[sp(1, usize::MAX, "")])
            .unwrap_err();
        assert!(matches!(e, LiveError::OutOfRange { .. }), "{e:?}");
        same(&live);
        // Out of range at the edit's version, though in range now: base 0 + nothing of s2.
        let e = live
            .apply("s2", "u2", 1, 0, "title", &[sp(7, 0, "x")])
            .unwrap_err();
        assert!(matches!(e, LiveError::OutOfRange { len: 6, .. }), "{e:?}");
        same(&live);
        // Unknown field, base ahead, reserved sessions.
        let e = live
            .apply("s1", "u1", 2, 1, "titel", &[sp(0, 0, "x")])
            .unwrap_err();
        assert!(
            matches!(e, LiveError::UnknownField(ref f) if f == "titel"),
            "{e:?}"
        );
        let e = live
            .apply("s1", "u1", 2, 5, "title", &[sp(0, 0, "x")])
            .unwrap_err();
        assert!(
            matches!(e, LiveError::StaleBase { base: 5, seq: 1 }),
            "{e:?}"
        );
        for bad in ["git", ""] {
            let e = live
                .apply(bad, "u1", 2, 1, "title", &[sp(0, 0, "x")])
                .unwrap_err();
            assert!(matches!(e, LiveError::BadSession(_)), "{e:?}");
        }
        same(&live);
        // The same ref again is a duplicate, whatever it says now.
        assert_eq!(
            live.apply("s1", "u1", 1, 1, "title", &[sp(0, 0, "乙")])
                .unwrap(),
            Outcome::Duplicate { seq: 1 }
        );
        same(&live);
        // And the document still works.
        applied(live.apply("s1", "u1", 2, 1, "title", &[sp(1, 0, "乙")]));
        assert_eq!(live.field("title").unwrap(), "甲乙強化數位隱私");
    }

    #[test]
    fn an_edit_that_changes_nothing_still_gets_its_seq() {
        let (_dir, _path, mut live) = new_doc();
        let a = applied(live.apply("s1", "u1", 1, 0, "title", &[sp(2, 0, "")]));
        assert_eq!((a.seq, a.splices.len()), (1, 0));
        let b = applied(live.apply("s1", "u1", 2, 1, "title", &[sp(0, 0, "新")]));
        assert_eq!(b.seq, 2);
        assert_eq!(
            live.apply("s1", "u1", 1, 2, "title", &[]).unwrap(),
            Outcome::Duplicate { seq: 1 }
        );
        // Concurrent no-op from another session on an old base.
        let c = applied(live.apply("s2", "u2", 1, 0, "title", &[]));
        assert_eq!((c.seq, c.splices.len()), (3, 0));
        check_heads(&mut live);
        assert_eq!(live.field("title").unwrap(), "新強化數位隱私");
    }

    #[test]
    fn concurrent_edits_of_one_field_are_both_kept() {
        let (_dir, _path, mut live) = new_doc();
        let initial = live.fields();
        let mut ops = Vec::new();
        // Two sessions edit from base 0 at different places.
        ops.push(applied(live.apply(
            "a",
            "ua",
            1,
            0,
            "section.problem.text",
            &[sp(0, 2, "人民")],
        )));
        ops.push(applied(live.apply(
            "b",
            "ub",
            1,
            0,
            "section.problem.text",
            &[sp(20, 0, "且程序不一")],
        )));
        let want = PROBLEM
            .replacen("民眾", "人民", 1)
            .replace("了解。", "了解且程序不一。");
        assert_eq!(live.field("section.problem.text").unwrap(), want);
        // b's splice was against base 0: linearized against seq 1 it is the same position here
        // (a's replacement kept the length).
        assert_eq!(ops[1].splices, [sp(20, 0, "且程序不一")]);
        // Inserts at the same position from the same base: both kept, in some order.
        ops.push(applied(live.apply(
            "a",
            "ua",
            2,
            2,
            "title",
            &[sp(0, 0, "甲")],
        )));
        ops.push(applied(live.apply(
            "b",
            "ub",
            2,
            2,
            "title",
            &[sp(0, 0, "乙")],
        )));
        let title = live.field("title").unwrap();
        assert!(
            title == "甲乙強化數位隱私" || title == "乙甲強化數位隱私",
            "{title}"
        );
        assert_eq!(replay(&initial, &ops), live.fields());
        check_heads(&mut live);
        // A deletion concurrent with an insertion inside the deleted range keeps the insertion.
        let base = live.seq();
        ops.push(applied(live.apply(
            "a",
            "ua",
            3,
            base,
            "milestone.m1.text",
            &[sp(1, 4, "")],
        )));
        ops.push(applied(live.apply(
            "b",
            "ub",
            3,
            base,
            "milestone.m1.text",
            &[sp(3, 0, "X")],
        )));
        assert_eq!(live.field("milestone.m1.text").unwrap(), "𠀀X");
        assert_eq!(replay(&initial, &ops), live.fields());
        check_heads(&mut live);
    }

    /// Two people typing at one spot at once, each with edits in flight (every edit against
    /// base 0, i.e. neither saw the other's): each keeps its text in one piece, the session with
    /// the lower rank first, whichever order the keystrokes reach the server in.
    #[test]
    fn two_typists_at_one_spot_do_not_interleave() {
        let (low, high) = {
            let (a, b) = ("typist-a", "typist-b");
            if transform::rank(a) < transform::rank(b) {
                (a, b)
            } else {
                (b, a)
            }
        };
        for order in [[low, high], [high, low]] {
            let (_dir, _path, mut live) = new_doc();
            let title = live.field("title").unwrap();
            let mut typed = HashMap::new();
            // Each types two characters after "強化", alternating, all against base 0.
            for round in 0..2 {
                for who in order {
                    let mine = if who == low {
                        ["甲", "乙"]
                    } else {
                        ["丙", "丁"]
                    };
                    let n = typed.entry(who).or_insert(0u64);
                    applied(live.apply(
                        who,
                        who,
                        *n + 1,
                        0,
                        "title",
                        &[sp(2 + round, 0, mine[round])],
                    ));
                    *n += 1;
                }
            }
            assert_eq!(
                live.field("title").unwrap(),
                title.replacen("強化", "強化甲乙丙丁", 1),
                "order {order:?}"
            );
        }
    }

    #[test]
    fn an_edit_applies_to_its_base_plus_the_sessions_earlier_edits() {
        let (_dir, _path, mut live) = new_doc();
        let initial = live.fields();
        let mut ops = Vec::new();
        // a types "AB" as two edits, both sent before it saw anything back (base 0).
        ops.push(applied(live.apply(
            "a",
            "ua",
            1,
            0,
            "title",
            &[sp(2, 0, "A")],
        )));
        // Meanwhile b prepends, also at base 0.
        ops.push(applied(live.apply(
            "b",
            "ub",
            1,
            0,
            "title",
            &[sp(0, 0, "前")],
        )));
        // a's second edit: position 3 is right after its own "A" (base 0 + its own edit).
        ops.push(applied(live.apply(
            "a",
            "ua",
            2,
            0,
            "title",
            &[sp(3, 0, "B")],
        )));
        assert_eq!(live.field("title").unwrap(), "前強化AB數位隱私");
        // Against seq 2 (with b's prefix) a's "B" goes at 4.
        assert_eq!(ops[2].splices, [sp(4, 0, "B")]);
        // b, having seen seq 1 only (a's A) and its own edit, deletes "A".
        ops.push(applied(live.apply(
            "b",
            "ub",
            2,
            1,
            "title",
            &[sp(3, 1, "")],
        )));
        assert_eq!(live.field("title").unwrap(), "前強化B數位隱私");
        assert_eq!(replay(&initial, &ops), live.fields());
        // A base older than the session's own last edit cannot undo what the session saw.
        ops.push(applied(live.apply(
            "b",
            "ub",
            3,
            0,
            "title",
            &[sp(0, 1, "後")],
        )));
        assert_eq!(live.field("title").unwrap(), "後強化B數位隱私");
        assert_eq!(replay(&initial, &ops), live.fields());
        check_heads(&mut live);
    }

    use crate::live::TestRng as Rng;

    const ALPHABET: &[&str] = &[
        "a", "b", " ", "\n", "的", "開", "放", "。", "𠀀", "😀", "e\u{301}",
    ];

    fn random_text(rng: &mut Rng, max: usize) -> String {
        (0..rng.below(max + 1))
            .map(|_| ALPHABET[rng.below(ALPHABET.len())])
            .collect()
    }

    /// The length of `field` as `session` shows it when it sends an edit against `base`: the
    /// text at its base (automerge's, at that version) plus its edits not seen back yet.
    fn view_len(live: &mut LiveDoc, session: &str, base: u64, field: &str) -> usize {
        let obj = live.field_ids[field].clone();
        let oi = live.obj_index(&obj);
        let bridge = live
            .session_ids
            .get(session)
            .and_then(|&s| live.sessions[s as usize].bridge.clone());
        let (from, mut pending) = bridge.map_or((base, VecDeque::new()), |b| (b.base, b.pending));
        let seen = base.max(from);
        let rank = transform::rank(session);
        live.carry(&mut pending, from, seen, rank).unwrap();
        let heads = live.hashes(&live.heads_seqs(seen));
        let mut len = live.doc.length_at(&obj, &heads) as isize;
        for p in pending.iter().filter(|p| p.obj == oi) {
            len += transform::net(&p.prims);
        }
        len as usize
    }

    /// Several sessions, random bases (each at least the session's previous one, as clients
    /// send), random splices valid (mostly) at the edit's version. After every apply, the ops
    /// replayed on the snapshot give exactly `fields()`, the heads index agrees with automerge,
    /// refused edits changed nothing, and the log reopens to the same document.
    #[test]
    fn random_concurrent_sessions_converge_and_linearize() {
        for round in 0..6u64 {
            let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ round);
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("doc.log");
            let initial: Vec<(String, String)> = (0..3)
                .map(|i| (format!("f{i}"), random_text(&mut rng, 12)))
                .collect();
            let mut live = LiveDoc::create(&path, &initial, "c0").unwrap();
            let sessions = ["s0", "s1", "s2", "s3"];
            let mut last_base = [0u64; 4];
            let mut next_ref = [0u64; 4];
            let mut ops = Vec::new();
            let mut slow = 0;
            for step in 0..120 {
                let who = rng.below(sessions.len());
                // A base between the session's last base and the current seq.
                let seq = live.seq();
                let base = last_base[who] + rng.below((seq - last_base[who]) as usize + 1) as u64;
                last_base[who] = base;
                let field = format!("f{}", rng.below(3));
                let mut len = view_len(&mut live, sessions[who], base, &field);
                let mut splices = Vec::new();
                for _ in 0..1 + rng.below(3) {
                    // Now and then one past the end (refused).
                    let past = usize::from(rng.below(20) == 0);
                    let pos = rng.below(len + 1 + past);
                    let delete = rng.below(4).min(len.saturating_sub(pos));
                    let insert = random_text(&mut rng, 3);
                    len = (len + insert.chars().count()).saturating_sub(delete);
                    splices.push(sp(pos, delete, &insert));
                }
                if base != seq {
                    slow += 1;
                }
                next_ref[who] += 1;
                let before = (live.seq(), live.fields());
                match live.apply(
                    sessions[who],
                    &format!("u{who}"),
                    next_ref[who],
                    base,
                    &field,
                    &splices,
                ) {
                    Ok(Outcome::Applied(a)) => {
                        assert_eq!(a.seq, before.0 + 1);
                        ops.push(a);
                    }
                    Ok(d) => panic!("round {round} step {step}: {d:?}"),
                    Err(LiveError::OutOfRange { .. }) => {
                        assert_eq!((live.seq(), live.fields()), before);
                    }
                    Err(e) => panic!("round {round} step {step}: {e}"),
                }
                assert_eq!(
                    replay(&initial, &ops),
                    live.fields(),
                    "round {round} step {step}"
                );
                check_heads(&mut live);
                if step % 10 == 0 {
                    live.sync().unwrap();
                }
            }
            assert!(slow > 30, "round {round}: only {slow} concurrent edits");
            live.sync().unwrap();
            let (seq, all) = (live.seq(), live.fields());
            let mut heads = live.doc.get_heads();
            heads.sort();
            drop(live);
            let mut reopened = LiveDoc::open(&path).unwrap();
            assert_eq!((reopened.seq(), reopened.fields()), (seq, all));
            // The edits replayed from the log made exactly the same automerge changes.
            let mut again = reopened.doc.get_heads();
            again.sort();
            assert_eq!(again, heads, "round {round}");
            check_heads(&mut reopened);
        }
    }

    /// The protocol's meaning, checked against clients modelled independently of the server:
    /// each client sees the ops up to its `base` and shows its own edits sent since on top (it
    /// moves its base only past its own edits, so its view is that text with its edits applied
    /// in order). Every character is unique, so after each edit: what the client deleted is
    /// gone, what it inserted is there, and every character of its view still present is in
    /// the same order in the server's text (the merge reorders nothing the editor saw).
    #[test]
    fn random_clients_edit_what_they_saw() {
        let mut next_char = 0u32;
        let mut fresh = |n: usize| -> String {
            (0..n)
                .map(|_| {
                    next_char += 1;
                    // Alternate BMP and astral CJK: positions must count code points.
                    let c = if next_char % 2 == 0 { 0x4E00 } else { 0x20000 } + next_char;
                    char::from_u32(c).unwrap_or('?')
                })
                .collect()
        };
        for round in 0..4u64 {
            let mut rng = Rng(0x51ed_2701_aa31_c0de ^ round);
            let dir = tempfile::tempdir().unwrap();
            let initial: Vec<(String, String)> =
                (0..2).map(|i| (format!("f{i}"), fresh(10))).collect();
            let mut live = LiveDoc::create(&dir.path().join("doc.log"), &initial, "c0").unwrap();
            let mut ops: Vec<Applied> = Vec::new();
            // Per client: base, own edits sent since (field, splices), seq of its last op.
            let mut base = [0u64; 3];
            let mut pending: [Vec<(String, Vec<Splice>)>; 3] = Default::default();
            let mut own_last = [0u64; 3];
            for step in 0..150 {
                let c = rng.below(3);
                // Sometimes the client catches up: any seq at or after its own last op.
                if rng.below(3) == 0 {
                    let from = own_last[c].max(base[c]);
                    base[c] = from + rng.below((live.seq() - from) as usize + 1) as u64;
                    pending[c].clear();
                }
                let field = format!("f{}", rng.below(2));
                let mut view = replay(&initial, &ops[..base[c] as usize]);
                for (f, splices) in &pending[c] {
                    let (_, text) = view.iter_mut().find(|(k, _)| k == f).unwrap();
                    *text = apply_to(text, splices);
                }
                let seen: Vec<char> = view
                    .iter()
                    .find(|(k, _)| *k == field)
                    .unwrap()
                    .1
                    .chars()
                    .collect();
                let len = seen.len();
                let pos = rng.below(len + 1);
                let delete = rng.below(3).min(len - pos);
                let insert = fresh(rng.below(3));
                let splices = vec![sp(pos, delete, &insert)];
                let out = live.apply(&format!("client-{c}"), "u", step, base[c], &field, &splices);
                let a = applied(out);
                own_last[c] = a.seq;
                ops.push(a);
                pending[c].push((field.clone(), splices.clone()));
                let now: Vec<char> = live.field(&field).unwrap().chars().collect();
                let deleted = &seen[pos..pos + delete];
                assert!(
                    deleted.iter().all(|d| !now.contains(d)),
                    "round {round} step {step}: deleted text still there"
                );
                assert!(
                    insert.chars().all(|i| now.contains(&i)),
                    "round {round} step {step}: inserted text missing"
                );
                let after: Vec<char> = apply_to(&seen.iter().collect::<String>(), &splices)
                    .chars()
                    .collect();
                let kept: Vec<char> = after
                    .iter()
                    .copied()
                    .filter(|ch| now.contains(ch))
                    .collect();
                let order: Vec<char> = now
                    .iter()
                    .copied()
                    .filter(|ch| after.contains(ch))
                    .collect();
                assert_eq!(kept, order, "round {round} step {step}: order changed");
                assert_eq!(
                    replay(&initial, &ops),
                    live.fields(),
                    "round {round} step {step}"
                );
            }
        }
    }

    #[test]
    fn a_reopened_document_is_the_same_and_goes_on() {
        let (dir, path, mut live) = new_doc();
        let initial = live.fields();
        let mut ops = Vec::new();
        for i in 0..30u64 {
            let who = ["a", "b"][i as usize % 2];
            let base = if i % 3 == 0 {
                live.seq().saturating_sub(2)
            } else {
                live.seq()
            };
            ops.push(applied(live.apply(
                who,
                &format!("user-{who}"),
                i,
                base,
                "section.problem.text",
                &[sp(i as usize % 5, 1, "改")],
            )));
        }
        live.mark_checkpoint("c1", 20).unwrap();
        ops.push(applied(live.apply(
            "c",
            "user-c",
            0,
            25,
            "title",
            &[sp(0, 0, "新")],
        )));
        live.sync().unwrap();
        let before = (
            live.seq(),
            live.fields(),
            live.authors_since_checkpoint(),
            live.checkpoint(),
            live.dirty(),
        );
        assert_eq!(before.0, 31);
        assert_eq!(before.2.len(), 3);
        drop(live);
        let mut live = LiveDoc::open(&path).unwrap();
        assert_eq!(
            (
                live.seq(),
                live.fields(),
                live.authors_since_checkpoint(),
                live.checkpoint(),
                live.dirty()
            ),
            before
        );
        assert_eq!(replay(&initial, &ops), live.fields());
        check_heads(&mut live);
        // Duplicates are recognised after the restart.
        assert_eq!(
            live.apply("a", "user-a", 4, 0, "title", &[sp(0, 0, "x")])
                .unwrap(),
            Outcome::Duplicate { seq: 5 }
        );
        // A session goes on from a base it had before the restart, with its own edits.
        ops.push(applied(live.apply(
            "b",
            "user-b",
            100,
            28,
            "section.problem.text",
            &[sp(0, 0, "續")],
        )));
        ops.push(applied(live.apply(
            "a",
            "user-a",
            100,
            27,
            "section.problem.text",
            &[sp(1, 0, "接")],
        )));
        assert_eq!(replay(&initial, &ops), live.fields());
        check_heads(&mut live);
        live.sync().unwrap();
        let after = (live.seq(), live.fields());
        drop(live);
        let live = LiveDoc::open(&path).unwrap();
        assert_eq!((live.seq(), live.fields()), after);
        drop(dir);
    }

    /// What a browser does when a compaction overtakes its typing: key 2 was made on the text
    /// before the compaction (refused as stale), key 3 on the text after it. Were key 3
    /// applied, the next compaction would remember "every ref up to 3 applied", and key 2,
    /// sent again, would be acked as a duplicate and lost. Key 3 waits for key 2 instead.
    #[test]
    fn a_key_refused_as_stale_is_not_overtaken_by_the_next_one() {
        let (_dir, _path, mut live) = new_doc();
        let field = "section.problem.text";
        applied(live.apply("a", "user-a", 1, 0, field, &[sp(0, 0, "一")]));
        let compact = |live: &mut LiveDoc| {
            let seq = live.seq();
            live.mark_checkpoint(&format!("c{seq}"), seq).unwrap();
            assert!(live.compact().unwrap());
            seq
        };
        let floor = compact(&mut live);
        assert!(matches!(
            live.apply("a", "user-a", 2, 0, field, &[sp(1, 0, "二")]),
            Err(LiveError::Compacted { .. })
        ));
        assert!(matches!(
            live.apply("a", "user-a", 3, floor, field, &[sp(1, 0, "三")]),
            Err(LiveError::AfterRefused {
                edit_ref: 3,
                refused: 2
            })
        ));
        // Another session is not held up.
        applied(live.apply("b", "user-b", 1, floor, field, &[sp(0, 0, "乙")]));
        let floor = compact(&mut live);
        // Sent again in order against the new text: both land, once.
        applied(live.apply("a", "user-a", 2, floor, field, &[sp(2, 0, "二")]));
        applied(live.apply("a", "user-a", 3, floor + 1, field, &[sp(3, 0, "三")]));
        assert_eq!(live.field(field).unwrap(), format!("乙一二三{PROBLEM}"));
        compact(&mut live);
        for r in [1, 2, 3] {
            assert!(matches!(
                live.apply("a", "user-a", r, 0, field, &[sp(0, 0, "x")]),
                Ok(Outcome::Duplicate { .. })
            ));
        }
        assert_eq!(live.field(field).unwrap(), format!("乙一二三{PROBLEM}"));
    }

    #[test]
    fn compaction_drops_the_history_at_a_checkpoint_and_keeps_everything_else() {
        let (_dir, path, mut live) = new_doc();
        let initial = live.fields();
        let mut ops = Vec::new();
        for i in 0..400u64 {
            let who = ["a", "b"][i as usize % 2];
            let base = live.seq().saturating_sub(i % 3);
            ops.push(applied(live.apply(
                who,
                &format!("user-{who}"),
                i + 1,
                base,
                "section.problem.text",
                &[sp(i as usize % 7, 1, "改")],
            )));
        }
        live.sync().unwrap();
        let seq = live.seq();
        // Not at a checkpoint: unsaved edits, then authors since the checkpoint.
        assert!(!live.compact().unwrap());
        let log_before = std::fs::metadata(&path).unwrap().len();
        let memory_before = live.memory_estimate();
        live.mark_checkpoint("c1", seq).unwrap();
        let text = live.fields();
        assert_eq!(replay(&initial, &ops), text);
        assert!(live.compact().unwrap());
        assert!(!live.compact().unwrap(), "nothing left to drop");
        assert_eq!(
            (live.seq(), live.floor(), live.fields()),
            (seq, seq, text.clone())
        );
        assert_eq!(live.checkpoint(), ("c1".to_string(), seq));
        assert!(!live.dirty());
        let log_after = std::fs::metadata(&path).unwrap().len();
        let memory_after = live.memory_estimate();
        assert!(log_after * 10 < log_before, "{log_after} vs {log_before}");
        assert!(
            memory_after * 3 < memory_before,
            "{memory_after} vs {memory_before}"
        );
        check_heads(&mut live);
        // An edit against a seq before the floor is refused; nothing changes.
        assert!(matches!(
            live.apply("a", "user-a", 1000, seq - 1, "title", &[sp(0, 0, "x")]),
            Err(LiveError::Compacted { base, floor }) if base == seq - 1 && floor == seq
        ));
        assert_eq!((live.seq(), live.fields()), (seq, text.clone()));
        // An edit sent again that was applied before compaction is still a duplicate, also
        // an early one, with a seq the text already holds.
        for r in [1, 399, 400] {
            match live.apply("b", "user-b", r, 0, "title", &[sp(0, 0, "x")]) {
                Ok(Outcome::Duplicate { seq: at }) => assert!(at <= seq),
                other => panic!("ref {r}: {other:?}"),
            }
        }
        // Until the refused edit is sent again, a later one of the same session is refused
        // too: applying it would pass over ref 1000, and after the next compaction ref 1000
        // would count as applied (every ref up to the last applied one) and be lost.
        assert!(matches!(
            live.apply("a", "user-a", 1001, seq, "title", &[sp(0, 0, "新")]),
            Err(LiveError::AfterRefused {
                edit_ref: 1001,
                refused: 1000
            })
        ));
        assert_eq!((live.seq(), live.fields()), (seq, text.clone()));
        // Editing goes on from the floor, for old and new sessions alike: the refused edit
        // sent again against the new text first.
        let mut ops = vec![
            applied(live.apply("a", "user-a", 1000, seq, "title", &[sp(0, 0, "新")])),
            applied(live.apply("c", "user-c", 1, seq, "title", &[sp(1, 0, "乙")])),
            applied(live.apply("a", "user-a", 1002, seq, "title", &[sp(1, 0, "甲")])),
        ];
        assert_eq!(live.authors_since_checkpoint().len(), 2);
        live.sync().unwrap();
        let now = (live.seq(), live.floor(), live.fields(), live.checkpoint());
        assert_eq!(replay(&text, &ops), now.2);
        // Reopened, it is the same and knows the same refs.
        drop(live);
        let mut live = LiveDoc::open(&path).unwrap();
        assert_eq!(
            (live.seq(), live.floor(), live.fields(), live.checkpoint()),
            now
        );
        check_heads(&mut live);
        assert!(matches!(
            live.apply("b", "user-b", 7, 0, "title", &[]),
            Ok(Outcome::Duplicate { .. })
        ));
        assert!(matches!(
            live.apply("a", "user-a", 1002, seq, "title", &[]),
            Ok(Outcome::Duplicate { seq: at }) if at == seq + 3
        ));
        // A commit from git merges onto the compacted document, keeping the live edits.
        let base_fields = text.clone();
        let mut new_fields = text.clone();
        new_fields[2].1.push_str("（新增）");
        let (git_ops, changed) = live
            .merge_external("c2", &base_fields, &new_fields)
            .unwrap();
        assert!(!changed);
        ops.extend(git_ops);
        assert_eq!(replay(&text, &ops), live.fields());
        assert_eq!(live.fields()[0].1, "新甲強乙化數位隱私");
        check_heads(&mut live);
    }

    /// Logs written before `Edit` records existed hold every edit as raw automerge bytes.
    #[test]
    fn a_log_of_raw_changes_still_opens() {
        let (dir, path, mut live) = new_doc();
        let mut made = Vec::new();
        for i in 0..40u64 {
            let who = ["a", "b"][i as usize % 2];
            let base = live.seq().saturating_sub(i % 3);
            applied(live.apply(
                who,
                &format!("user-{who}"),
                i + 1,
                base,
                "section.problem.text",
                &[sp(i as usize % 5, 1, "改")],
            ));
            made.push((who, i + 1, base));
        }
        live.sync().unwrap();
        let init = Log::open(&path).unwrap().records.remove(0);
        let old = dir.path().join("old.log");
        let mut log = Log::create(&old, &init).unwrap();
        for (i, (who, edit_ref, base)) in made.iter().enumerate() {
            let seq = i as u64 + 1;
            let change = live.doc.get_change_by_hash(&live.entry(seq).hash).unwrap();
            log.append(&Record::Change {
                session: who.to_string(),
                author: format!("user-{who}"),
                edit_ref: *edit_ref,
                seq,
                base: *base,
                change: change.raw_bytes().to_vec(),
            })
            .unwrap();
        }
        log.sync().unwrap();
        let reopened = LiveDoc::open(&old).unwrap();
        assert_eq!(
            (reopened.seq(), reopened.fields()),
            (live.seq(), live.fields())
        );
        let (mut a, mut b) = (reopened.doc.get_heads(), live.doc.get_heads());
        a.sort();
        b.sort();
        assert_eq!(a, b);
    }

    #[test]
    fn every_applied_ref_is_found_also_out_of_order_and_after_reopen() {
        let (_dir, path, mut live) = new_doc();
        // More seqs than one chunk of the index; no-op edits keep it quick.
        for r in 0..(CHUNK as u64 + 500) {
            let base = live.seq();
            applied(live.apply("a", "ua", 10 + r, base, "title", &[]));
        }
        // Refs that go backwards (a client that restarted its counter) are remembered too.
        let a = applied(live.apply("a", "ua", 3, 0, "title", &[sp(0, 0, "x")]));
        let b = applied(live.apply("b", "ub", 7, 0, "title", &[sp(0, 0, "y")]));
        let c = applied(live.apply("b", "ub", 5, 0, "title", &[sp(0, 0, "z")]));
        live.sync().unwrap();
        drop(live);
        let mut live = LiveDoc::open(&path).unwrap();
        for (session, r, seq) in [
            ("a", 10, 1),
            ("a", 10 + CHUNK as u64, CHUNK as u64 + 1),
            ("a", 9 + CHUNK as u64 + 500, CHUNK as u64 + 500),
            ("a", 3, a.seq),
            ("b", 7, b.seq),
            ("b", 5, c.seq),
        ] {
            assert_eq!(
                live.apply(session, "u", r, 0, "title", &[sp(0, 0, "!")])
                    .unwrap(),
                Outcome::Duplicate { seq },
                "{session} {r}"
            );
        }
        assert!(matches!(
            live.apply("a", "ua", 4, 0, "title", &[]).unwrap(),
            Outcome::Applied(_)
        ));
        // Inserts at one place: the one already applied first (b's view, "zy", kept its order).
        assert_eq!(live.field("title").unwrap(), "xzy強化數位隱私");
    }

    #[test]
    fn a_torn_tail_is_ignored_on_reopen() {
        let (_dir, path, mut live) = new_doc();
        for i in 0..5u64 {
            applied(live.apply("a", "ua", i, i, "title", &[sp(0, 0, "甲")]));
        }
        live.sync().unwrap();
        let synced = (live.seq(), live.fields());
        let synced_len = fs::metadata(&path).unwrap().len();
        applied(live.apply("a", "ua", 5, 5, "title", &[sp(0, 0, "乙乙乙")]));
        live.sync().unwrap();
        let full_len = fs::metadata(&path).unwrap().len();
        drop(live);
        let full = fs::read(&path).unwrap();
        // Cut in the middle of the last record.
        for cut in [
            synced_len + 1,
            synced_len + 9,
            (synced_len + full_len) / 2,
            full_len - 1,
        ] {
            fs::write(&path, &full[..cut as usize]).unwrap();
            let mut live = LiveDoc::open(&path).unwrap();
            assert_eq!((live.seq(), live.fields()), synced, "cut at {cut}");
            assert_eq!(fs::metadata(&path).unwrap().len(), synced_len);
            // The edit lost in the crash is not a duplicate: it can be sent again.
            applied(live.apply("a", "ua", 5, 5, "title", &[sp(0, 0, "乙")]));
            live.sync().unwrap();
            drop(live);
            let live = LiveDoc::open(&path).unwrap();
            assert_eq!(live.field("title").unwrap(), "乙甲甲甲甲甲強化數位隱私");
        }
        // Garbage after the last record.
        let mut garbage = full.clone();
        garbage.extend_from_slice(&[0xAB; 100]);
        fs::write(&path, &garbage).unwrap();
        let live = LiveDoc::open(&path).unwrap();
        assert_eq!(live.seq(), 6);
        assert_eq!(live.field("title").unwrap(), "乙乙乙甲甲甲甲甲強化數位隱私");
        assert_eq!(fs::metadata(&path).unwrap().len(), full_len);
    }

    #[test]
    fn a_damaged_log_is_corrupt_not_a_panic() {
        let (_dir, path, mut live) = new_doc();
        applied(live.apply("a", "ua", 1, 0, "title", &[sp(0, 0, "甲")]));
        live.sync().unwrap();
        drop(live);
        // A well-formed Change record whose automerge bytes are nonsense.
        let mut log = Log::open(&path).unwrap().log;
        log.append(&Record::Change {
            session: "a".into(),
            author: "ua".into(),
            edit_ref: 2,
            seq: 2,
            base: 1,
            change: vec![1, 2, 3],
        })
        .unwrap();
        log.sync().unwrap();
        drop(log);
        assert!(matches!(LiveDoc::open(&path), Err(LiveError::Corrupt(_))));
        // A record out of sequence.
        let (_dir2, path2, live2) = new_doc();
        drop(live2);
        let mut log = Log::open(&path2).unwrap().log;
        log.append(&Record::Checkpoint {
            commit: "x".into(),
            seq: 9,
        })
        .unwrap();
        drop(log);
        let e = LiveDoc::open(&path2).unwrap_err();
        assert!(e.to_string().contains("checkpoint at seq 9"), "{e}");
        // Not a log at all.
        fs::write(&path2, "hello").unwrap();
        assert!(matches!(LiveDoc::open(&path2), Err(LiveError::Corrupt(_))));
        // create refuses to overwrite.
        assert!(matches!(
            LiveDoc::create(&path2, &[], "c"),
            Err(LiveError::Io(e)) if e.kind() == std::io::ErrorKind::AlreadyExists
        ));
    }

    #[test]
    fn invalid_field_keys_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        for bad in [
            fields(&[("a", "1"), ("a", "2")]),
            fields(&[("", "1")]),
            fields(&[("a\nb", "1")]),
        ] {
            let e = LiveDoc::create(&dir.path().join("x.log"), &bad, "c").unwrap_err();
            assert!(matches!(e, LiveError::InvalidFields(_)), "{e:?}");
        }
        assert!(!dir.path().join("x.log").exists());
    }

    #[test]
    fn checkpoints_reset_authors_and_dirty() {
        let (_dir, _path, mut live) = new_doc();
        applied(live.apply("a", "ua", 1, 0, "title", &[sp(0, 0, "甲")]));
        applied(live.apply("b", "ub", 1, 1, "title", &[sp(0, 0, "乙")]));
        live.mark_checkpoint("c1", 1).unwrap();
        assert_eq!(live.checkpoint(), ("c1".to_string(), 1));
        // b typed after seq 1: still to be credited, still dirty.
        assert_eq!(
            live.authors_since_checkpoint(),
            BTreeSet::from(["ub".to_string()])
        );
        assert!(live.dirty());
        live.mark_checkpoint("c2", 2).unwrap();
        assert!(live.authors_since_checkpoint().is_empty());
        assert!(!live.dirty());
        assert!(matches!(
            live.mark_checkpoint("c3", 1),
            Err(LiveError::CheckpointBehind { seq: 1, last: 2 })
        ));
        assert!(matches!(
            live.mark_checkpoint("c3", 3),
            Err(LiveError::StaleBase { base: 3, seq: 2 })
        ));
        assert_eq!(live.checkpoint(), ("c2".to_string(), 2));
    }

    #[test]
    fn an_external_commit_merges_with_unsaved_live_edits() {
        let (_dir, path, mut live) = new_doc();
        let snapshot = live.fields();
        let mut ops = Vec::new();
        ops.push(applied(live.apply(
            "a",
            "ua",
            1,
            0,
            "section.problem.text",
            &[sp(0, 2, "人民")],
        )));
        live.mark_checkpoint("c1", 1).unwrap();
        let c1 = live.fields();
        // Unsaved live edits after the checkpoint, at the start of the field.
        ops.push(applied(live.apply(
            "a",
            "ua",
            2,
            1,
            "section.problem.text",
            &[sp(2, 0, "普遍")],
        )));
        // A commit changes the end of the same field and the title.
        let mut c2 = c1.clone();
        c2[1].1 = c2[1].1.replace("了解。", "了解，程序亦不一致。");
        c2[0].1 = "強化數位隱私與個資保障".into();
        let (external, changed) = live.merge_external("c2", &c1, &c2).unwrap();
        assert!(!changed);
        assert_eq!(external.len(), 2);
        assert!(external.iter().all(|a| a.session == GIT_SESSION));
        assert_eq!(live.field("title").unwrap(), "強化數位隱私與個資保障");
        assert_eq!(
            live.field("section.problem.text").unwrap(),
            "人民普遍對自己的資料被如何使用，普遍缺乏了解，程序亦不一致。"
        );
        ops.extend(external);
        assert_eq!(replay(&snapshot, &ops), live.fields());
        assert_eq!(live.checkpoint(), ("c2".to_string(), live.seq()));
        assert!(live.dirty(), "the live edit is not in c2");
        assert_eq!(
            live.authors_since_checkpoint(),
            BTreeSet::from(["ua".to_string()])
        );
        check_heads(&mut live);

        // The next commit adds a milestone and removes the section; a session edits the title
        // from an old base meanwhile.
        ops.push(applied(live.apply(
            "b",
            "ub",
            1,
            1,
            "title",
            &[sp(6, 0, "！")],
        )));
        let mut c3: Vec<(String, String)> = c2
            .iter()
            .filter(|(k, _)| k != "section.problem.text")
            .cloned()
            .collect();
        c3.push(("milestone.m2.text".into(), "訂定指引".into()));
        let (external, changed) = live.merge_external("c3", &c2, &c3).unwrap();
        assert!(changed);
        assert!(external.is_empty());
        let keys: Vec<String> = live.fields().into_iter().map(|(k, _)| k).collect();
        assert_eq!(keys, ["title", "milestone.m1.text", "milestone.m2.text"]);
        assert_eq!(live.field("milestone.m2.text").unwrap(), "訂定指引");
        // b's "！" and the commit's "與個資保障" went in at one place: the commit, applied
        // first, comes first (as b's editor showed it once the commit's op arrived).
        assert_eq!(live.field("title").unwrap(), "強化數位隱私與個資保障！");
        // Edits of the removed field are refused, also from a base where it existed.
        let e = live
            .apply("b", "ub", 2, 2, "section.problem.text", &[sp(0, 0, "x")])
            .unwrap_err();
        assert!(matches!(e, LiveError::UnknownField(_)), "{e:?}");
        // The new field cannot be edited from a base before it existed.
        let e = live
            .apply("c", "uc", 1, 2, "milestone.m2.text", &[sp(0, 0, "x")])
            .unwrap_err();
        assert!(matches!(e, LiveError::UnknownField(_)), "{e:?}");
        applied(live.apply(
            "c",
            "uc",
            1,
            live.seq(),
            "milestone.m2.text",
            &[sp(4, 0, "。")],
        ));
        check_heads(&mut live);

        // Reopen: the same, and the sync point is kept.
        live.sync().unwrap();
        let before = (
            live.seq(),
            live.fields(),
            live.checkpoint(),
            live.dirty(),
            live.authors_since_checkpoint(),
        );
        drop(live);
        let mut live = LiveDoc::open(&path).unwrap();
        assert_eq!(
            (
                live.seq(),
                live.fields(),
                live.checkpoint(),
                live.dirty(),
                live.authors_since_checkpoint()
            ),
            before
        );
        // A further commit merges on top of c3's state.
        let c4 = fields(&[
            ("title", "標題"),
            ("milestone.m1.text", "𠀀盤點程序"),
            ("milestone.m2.text", "訂定指引"),
        ]);
        let (external, changed) = live.merge_external("c4", &c3, &c4).unwrap();
        assert!(!changed);
        assert_eq!(external.len(), 1);
        // The live "！" survives where its neighbours were replaced; "。" stays.
        assert_eq!(live.field("milestone.m2.text").unwrap(), "訂定指引。");
        assert!(live.field("title").unwrap().contains('！'));
        check_heads(&mut live);
    }

    #[test]
    fn an_external_commit_is_rebased_when_the_checkpoint_text_differs() {
        let (_dir, _path, mut live) = new_doc();
        // The commit the live document was loaded from wrote the section differently (say,
        // a serializer normalised it): the live text keeps its own version.
        let mut committed = live.fields();
        committed[1].1 = PROBLEM.replace("，", ", ");
        let mut next = committed.clone();
        next[1].1 = next[1].1.replace("了解。", "了解，程序亦不一致。");
        let (ops, changed) = live.merge_external("c1", &committed, &next).unwrap();
        assert!(!changed);
        assert_eq!(ops.len(), 1);
        assert_eq!(
            live.field("section.problem.text").unwrap(),
            PROBLEM.replace("了解。", "了解，程序亦不一致。")
        );
        assert_eq!(replay(&new_doc().2.fields(), &ops), live.fields());
        // Invalid keys are refused before anything happens.
        let seq = live.seq();
        let e = live
            .merge_external("c2", &next, &fields(&[("a", "1"), ("a", "2")]))
            .unwrap_err();
        assert!(matches!(e, LiveError::InvalidFields(_)), "{e:?}");
        assert_eq!(
            (live.seq(), live.checkpoint()),
            (seq, ("c1".to_string(), seq))
        );
    }

    #[test]
    fn a_live_document_can_move_between_threads() {
        fn send<T: Send>() {}
        send::<LiveDoc>();
    }

    #[test]
    fn an_external_commit_without_live_edits_is_not_dirty() {
        let (_dir, _path, mut live) = new_doc();
        let c0 = live.fields();
        let mut c1 = c0.clone();
        c1[0].1 = "新標題".into();
        let (ops, changed) = live.merge_external("c1", &c0, &c1).unwrap();
        assert!(!changed);
        assert_eq!(ops.len(), 1);
        assert_eq!(ops[0].splices, [sp(0, 6, "新標題")]);
        assert_eq!(live.fields(), c1);
        assert!(!live.dirty());
        assert_eq!(live.checkpoint(), ("c1".to_string(), 1));
        // The same commit again changes nothing.
        let (ops, changed) = live.merge_external("c1", &c1, &c1).unwrap();
        assert!(ops.is_empty() && !changed);
        assert_eq!(live.seq(), 1);
        // Reordering is a fields change.
        let reordered = vec![c1[2].clone(), c1[0].clone(), c1[1].clone()];
        let (ops, changed) = live.merge_external("c2", &c1, &reordered).unwrap();
        assert!(ops.is_empty() && changed);
        assert_eq!(live.fields(), reordered);
        assert_eq!(live.authors_since_checkpoint(), BTreeSet::new());
    }
}
