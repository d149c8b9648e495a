//! The append-only log of one live document: the file that makes live edits durable.
//!
//! This module owns the on-disk format and nothing else (it knows no automerge; the change
//! bytes are opaque here). A log is a sequence of records:
//!
//! ```text
//! [len: u32 LE][crc32: u32 LE][kind: u8][payload: len - 1 bytes]
//! ```
//!
//! `len` counts the kind byte and the payload; `crc32` (IEEE, the zlib/PNG one) covers the same
//! bytes. Integers in payloads are little-endian; strings and byte strings are a `u32` length
//! and the bytes. Kinds:
//!
//! - `Init` (first record, exactly once): a magic string with the format version, the commit the
//!   document was loaded from and the automerge `save()` of the initial document;
//! - `Edit`: one applied edit as the client sent it — session, author, ref, seq, base, the
//!   commit time, the field and the splices. Replaying the edits in order through the same code
//!   makes the same automerge changes (same actors, deps, ops and times), so the log needs no
//!   automerge bytes for them;
//! - `Change`: one applied change as raw automerge bytes — session, author, ref, seq, base (the
//!   changes from git; logs written before `Edit` existed hold every edit this way, and empty
//!   bytes for an edit that changed nothing);
//! - `Checkpoint`: the live text at `seq` was committed as `commit`;
//! - `External`: a commit that reached the branch another way was merged in; the new sync point
//!   (commit, seq and the seqs of the changes that are its heads);
//! - `Compacted` (only right after `Init`): the log was rewritten at a checkpoint; the `Init`
//!   document is the live text at `seq` (history before it dropped), and for each session the
//!   last edit it had applied by then (ref and seq), so an edit sent again is still known.
//!
//! Appends are not synced; [`Log::sync`] is (the caller batches). A crash can leave a torn last
//! record: [`Log::open`] stops at the first record that is short or fails its checksum and
//! truncates the file there, so later appends are clean. A failed append is cut off again
//! (`set_len`); if even that fails, or a sync fails, the log refuses every later write (after a
//! failed fsync nothing written since the last good sync can be trusted): reopen it.
//!
//! Compaction: [`Log::replace`] swaps the whole file for new records atomically (a new file,
//! fsynced, renamed over the old one, directory fsynced); a crash leaves either log, whole.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use super::Splice;

/// Written at the start of the `Init` payload; the trailing number is the format version.
const MAGIC: &[u8] = b"codraft-live-log 1";
/// Header bytes before the kind byte: length and checksum.
const HEADER: usize = 8;
/// Records larger than this are treated as damage, not allocated (an `Init` of a large
/// document is a few MB; a keystroke a few hundred bytes).
const MAX_RECORD: usize = 1 << 30;

const KIND_INIT: u8 = 1;
const KIND_CHANGE: u8 = 2;
const KIND_CHECKPOINT: u8 = 3;
const KIND_EXTERNAL: u8 = 4;
const KIND_COMPACTED: u8 = 5;
const KIND_EDIT: u8 = 6;

/// One record of the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    /// An applied edit with seq `seq`, made against `base` at `time` (seconds since 1970, the
    /// automerge change's time): `splices` of `field`, as sent.
    Edit {
        session: String,
        author: String,
        edit_ref: u64,
        seq: u64,
        base: u64,
        time: i64,
        field: String,
        splices: Vec<Splice>,
    },
    /// The document as created: `commit` it came from, `doc` its automerge `save()`.
    Init { commit: String, doc: Vec<u8> },
    /// An applied change with seq `seq`. `change` is the raw automerge change, or empty when the
    /// edit changed nothing (it still has its seq, so its ack and `op` exist).
    Change {
        session: String,
        author: String,
        edit_ref: u64,
        seq: u64,
        base: u64,
        change: Vec<u8>,
    },
    /// The live text at `seq` was committed as `commit`.
    Checkpoint { commit: String, seq: u64 },
    /// `commit` reached the branch another way and was merged in; the sync point is now
    /// `commit`, recorded at `seq`, whose state is the changes `heads` (seqs).
    External {
        commit: String,
        seq: u64,
        heads: Vec<u64>,
    },
    /// Right after `Init` only: the `Init` document is the state at `seq`, a checkpoint of the
    /// `Init` commit (seqs before it are gone); `sessions` are `(session, ref, seq)` of each
    /// session's last applied edit up to then.
    Compacted {
        seq: u64,
        sessions: Vec<(String, u64, u64)>,
    },
}

/// Errors reading a log.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    #[error("live log: {0}")]
    Io(#[from] io::Error),
    #[error("live log {path}: {message}")]
    Corrupt { path: PathBuf, message: String },
}

/// What [`Log::open`] found: the records before the first bad one, and how many bytes after
/// them were cut off (0 when the file ended cleanly).
#[derive(Debug)]
pub struct Opened {
    pub log: Log,
    pub records: Vec<Record>,
    pub truncated: u64,
}

/// An open log file, positioned at its end.
#[derive(Debug)]
pub struct Log {
    file: File,
    path: PathBuf,
    /// Length of the good part of the file (where the next record goes).
    len: u64,
    /// Set when a write or sync failed and the file may hold bytes we could not cut off.
    failed: bool,
    /// Scratch buffer for encoding records, kept to avoid an allocation per append.
    buf: Vec<u8>,
}

impl Log {
    /// Creates a new log at `path` holding `init` (which must be a `Record::Init`), fsynced,
    /// with its directory. The file is written as `<path>.tmp` and renamed into place, so a
    /// log at `path` always starts with a whole `Init`. Refuses to replace an existing log.
    pub fn create(path: &Path, init: &Record) -> io::Result<Log> {
        if !matches!(init, Record::Init { .. }) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "a live log starts with an Init record",
            ));
        }
        if path.exists() {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!("live log {} already exists", path.display()),
            ));
        }
        write_new(path, std::slice::from_ref(init))
    }

    /// Replaces the whole log with `records` (the first an `Init`), atomically: they are
    /// written to `<path>.tmp`, fsynced, renamed over the log and the directory fsynced. On an
    /// error before the rename the old log is untouched and still in use; after it, the log
    /// refuses every later write (reopen it: the file holds the new records).
    pub fn replace(&mut self, records: &[Record]) -> io::Result<()> {
        self.check()?;
        if !matches!(records.first(), Some(Record::Init { .. })) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "a live log starts with an Init record",
            ));
        }
        match write_new(&self.path, records) {
            Ok(log) => {
                *self = log;
                Ok(())
            }
            Err(e) => {
                // Renamed but not reopened (or the directory sync failed): which file the
                // path names is no longer certain.
                if !tmp_path(&self.path).exists() {
                    self.failed = true;
                }
                Err(e)
            }
        }
    }

    /// Opens an existing log and reads its records. Reading stops at the first record that is
    /// cut short or fails its checksum (a crash mid-write); the file is truncated there (and
    /// synced) so later appends follow the last good record. A log whose first record is not a
    /// whole `Init` is `Corrupt`.
    pub fn open(path: &Path) -> Result<Opened, LogError> {
        let mut file = OpenOptions::new().read(true).write(true).open(path)?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)?;
        let corrupt = |message: String| LogError::Corrupt {
            path: path.to_owned(),
            message,
        };
        let mut records = Vec::new();
        let mut at = 0;
        while let Some((record, next)) = read_record(&bytes, at) {
            let record = record.map_err(|e| corrupt(format!("record at byte {at}: {e}")))?;
            records.push(record);
            at = next;
        }
        match records.first() {
            Some(Record::Init { .. }) => {}
            _ => return Err(corrupt("it does not start with a whole Init record".into())),
        }
        if records[1..]
            .iter()
            .any(|r| matches!(r, Record::Init { .. }))
        {
            return Err(corrupt("a second Init record".into()));
        }
        if records
            .iter()
            .skip(2)
            .any(|r| matches!(r, Record::Compacted { .. }))
        {
            return Err(corrupt("a Compacted record not right after Init".into()));
        }
        let truncated = (bytes.len() - at) as u64;
        if truncated > 0 {
            tracing::warn!(
                path = %path.display(),
                at,
                truncated,
                "live log: torn or damaged tail cut off"
            );
            file.set_len(at as u64)?;
            file.sync_all()?;
        }
        file.seek(SeekFrom::Start(at as u64))?;
        Ok(Opened {
            log: Log {
                file,
                path: path.to_owned(),
                len: at as u64,
                failed: false,
                buf: Vec::new(),
            },
            records,
            truncated,
        })
    }

    /// Appends a record (written to the file, not synced). On a failed write the partial
    /// record is cut off again; if that fails too, the log refuses every later write.
    pub fn append(&mut self, record: &Record) -> io::Result<()> {
        self.check()?;
        self.buf.clear();
        encode(record, &mut self.buf);
        self.write_buf()
    }

    /// Appends a `Change` record from borrowed parts; same as [`Log::append`] of
    /// `Record::Change` without building one.
    pub fn append_change(
        &mut self,
        session: &str,
        author: &str,
        edit_ref: u64,
        seq: u64,
        base: u64,
        change: &[u8],
    ) -> io::Result<()> {
        self.check()?;
        self.buf.clear();
        encode_change(&mut self.buf, session, author, edit_ref, seq, base, change);
        self.write_buf()
    }

    /// Appends an `Edit` record from borrowed parts (the hot path: one per keystroke).
    #[allow(clippy::too_many_arguments)]
    pub fn append_edit(
        &mut self,
        session: &str,
        author: &str,
        edit_ref: u64,
        seq: u64,
        base: u64,
        time: i64,
        field: &str,
        splices: &[Splice],
    ) -> io::Result<()> {
        self.check()?;
        self.buf.clear();
        encode_edit(
            &mut self.buf,
            session,
            author,
            [edit_ref, seq, base],
            time,
            field,
            splices,
        );
        self.write_buf()
    }

    fn write_buf(&mut self) -> io::Result<()> {
        if let Err(e) = self.file.write_all(&self.buf) {
            let cut = self
                .file
                .set_len(self.len)
                .and_then(|()| self.file.seek(SeekFrom::Start(self.len)).map(|_| ()));
            if cut.is_err() {
                self.failed = true;
            }
            return Err(e);
        }
        self.len += self.buf.len() as u64;
        if self.buf.capacity() > 1 << 20 {
            self.buf = Vec::new();
        }
        Ok(())
    }

    /// Makes every appended record durable (`fdatasync`). After a failure the log refuses
    /// every later write: the kernel may have dropped the unsynced pages.
    pub fn sync(&mut self) -> io::Result<()> {
        self.check()?;
        self.file.sync_data().inspect_err(|_| self.failed = true)
    }

    /// Bytes in the log (its good part).
    pub fn len(&self) -> u64 {
        self.len
    }

    /// True when the log holds nothing (never, once created: it has its `Init`).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether a write or sync failed: the log refuses every later write (reopen it).
    pub fn failed(&self) -> bool {
        self.failed
    }

    /// Where the log lives.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn check(&self) -> io::Result<()> {
        if self.failed {
            Err(io::Error::other(format!(
                "live log {}: an earlier write or sync failed; reopen the document",
                self.path.display()
            )))
        } else {
            Ok(())
        }
    }
}

fn tmp_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".tmp");
    PathBuf::from(name)
}

/// Writes `records` to `<path>.tmp`, fsyncs it, renames it to `path` (replacing any file
/// there) and fsyncs the directory; returns the log open at its end.
fn write_new(path: &Path, records: &[Record]) -> io::Result<Log> {
    let tmp = tmp_path(path);
    let mut buf = Vec::new();
    for record in records {
        encode(record, &mut buf);
    }
    {
        let mut file = File::create(&tmp)?;
        file.write_all(&buf)?;
        file.sync_all()?;
    }
    fs::rename(&tmp, path)?;
    sync_dir(path)?;
    let mut file = OpenOptions::new().read(true).write(true).open(path)?;
    file.seek(SeekFrom::End(0))?;
    Ok(Log {
        file,
        path: path.to_owned(),
        len: buf.len() as u64,
        failed: false,
        buf: Vec::new(),
    })
}

/// fsyncs the directory holding `path`, so a new entry in it survives a crash.
fn sync_dir(path: &Path) -> io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    File::open(dir)?.sync_all()
}

// ---- encoding ----------------------------------------------------------------------------

fn put_u32(buf: &mut Vec<u8>, v: u32) {
    buf.extend_from_slice(&v.to_le_bytes());
}

fn put_u64(buf: &mut Vec<u8>, v: u64) {
    buf.extend_from_slice(&v.to_le_bytes());
}

fn put_bytes(buf: &mut Vec<u8>, b: &[u8]) {
    // Lengths over 4 GiB cannot occur (a record is at most MAX_RECORD); saturate rather than
    // wrap so such a record fails to decode instead of decoding wrongly.
    put_u32(buf, u32::try_from(b.len()).unwrap_or(u32::MAX));
    buf.extend_from_slice(b);
}

/// Appends the encoded record (header included) to `buf`.
fn encode(record: &Record, buf: &mut Vec<u8>) {
    let start = buf.len();
    buf.extend_from_slice(&[0; HEADER]);
    match record {
        Record::Init { commit, doc } => {
            buf.push(KIND_INIT);
            put_bytes(buf, MAGIC);
            put_bytes(buf, commit.as_bytes());
            put_bytes(buf, doc);
        }
        Record::Change {
            session,
            author,
            edit_ref,
            seq,
            base,
            change,
        } => {
            buf.truncate(start);
            encode_change(buf, session, author, *edit_ref, *seq, *base, change);
            return;
        }
        Record::Edit {
            session,
            author,
            edit_ref,
            seq,
            base,
            time,
            field,
            splices,
        } => {
            buf.truncate(start);
            encode_edit(
                buf,
                session,
                author,
                [*edit_ref, *seq, *base],
                *time,
                field,
                splices,
            );
            return;
        }
        Record::Checkpoint { commit, seq } => {
            buf.push(KIND_CHECKPOINT);
            put_bytes(buf, commit.as_bytes());
            put_u64(buf, *seq);
        }
        Record::External { commit, seq, heads } => {
            buf.push(KIND_EXTERNAL);
            put_bytes(buf, commit.as_bytes());
            put_u64(buf, *seq);
            put_u32(buf, u32::try_from(heads.len()).unwrap_or(u32::MAX));
            for h in heads {
                put_u64(buf, *h);
            }
        }
        Record::Compacted { seq, sessions } => {
            buf.push(KIND_COMPACTED);
            put_u64(buf, *seq);
            put_u32(buf, u32::try_from(sessions.len()).unwrap_or(u32::MAX));
            for (session, edit_ref, at) in sessions {
                put_bytes(buf, session.as_bytes());
                put_u64(buf, *edit_ref);
                put_u64(buf, *at);
            }
        }
    }
    seal(buf, start);
}

/// Appends an encoded `Change` record to `buf` from borrowed parts (the hot path: no owned
/// `Record` per keystroke).
fn encode_change(
    buf: &mut Vec<u8>,
    session: &str,
    author: &str,
    edit_ref: u64,
    seq: u64,
    base: u64,
    change: &[u8],
) {
    let start = buf.len();
    buf.extend_from_slice(&[0; HEADER]);
    buf.push(KIND_CHANGE);
    put_bytes(buf, session.as_bytes());
    put_bytes(buf, author.as_bytes());
    put_u64(buf, edit_ref);
    put_u64(buf, seq);
    put_u64(buf, base);
    put_bytes(buf, change);
    seal(buf, start);
}

/// Appends an encoded `Edit` record to `buf`; `numbers` are ref, seq and base.
fn encode_edit(
    buf: &mut Vec<u8>,
    session: &str,
    author: &str,
    numbers: [u64; 3],
    time: i64,
    field: &str,
    splices: &[Splice],
) {
    let start = buf.len();
    buf.extend_from_slice(&[0; HEADER]);
    buf.push(KIND_EDIT);
    put_bytes(buf, session.as_bytes());
    put_bytes(buf, author.as_bytes());
    for n in numbers {
        put_u64(buf, n);
    }
    buf.extend_from_slice(&time.to_le_bytes());
    put_bytes(buf, field.as_bytes());
    put_u32(buf, u32::try_from(splices.len()).unwrap_or(u32::MAX));
    for s in splices {
        put_u64(buf, s.pos as u64);
        put_u64(buf, s.delete as u64);
        put_bytes(buf, s.insert.as_bytes());
    }
    seal(buf, start);
}

/// Fills in the length and checksum of the record that starts at `start` and runs to the end
/// of `buf`.
fn seal(buf: &mut [u8], start: usize) {
    let body = &buf[start + HEADER..];
    let len = u32::try_from(body.len()).unwrap_or(u32::MAX);
    let crc = crc32(body);
    buf[start..start + 4].copy_from_slice(&len.to_le_bytes());
    buf[start + 4..start + 8].copy_from_slice(&crc.to_le_bytes());
}

/// The record starting at `at`: `None` when there is no whole, intact record there (end of
/// file, torn or damaged); `Some(Err)` when the bytes pass the checksum but do not decode (a
/// bug or a different format, never a torn write); otherwise the record and where the next one
/// starts.
fn read_record(bytes: &[u8], at: usize) -> Option<(Result<Record, String>, usize)> {
    let header = bytes.get(at..at.checked_add(HEADER)?)?;
    let len = u32::from_le_bytes([header[0], header[1], header[2], header[3]]) as usize;
    let crc = u32::from_le_bytes([header[4], header[5], header[6], header[7]]);
    if len == 0 || len > MAX_RECORD {
        return None;
    }
    let end = at.checked_add(HEADER)?.checked_add(len)?;
    let body = bytes.get(at + HEADER..end)?;
    if crc32(body) != crc {
        return None;
    }
    Some((decode(body), end))
}

/// Reads fields of a record body in order.
struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        if n > self.bytes.len() {
            return Err(format!("needs {n} more bytes, has {}", self.bytes.len()));
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(head)
    }

    fn u32(&mut self) -> Result<u32, String> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn u64(&mut self) -> Result<u64, String> {
        let b = self.take(8)?;
        let mut a = [0; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }

    fn bytes(&mut self) -> Result<&'a [u8], String> {
        let n = self.u32()? as usize;
        self.take(n)
    }

    fn string(&mut self) -> Result<String, String> {
        String::from_utf8(self.bytes()?.to_vec()).map_err(|_| "a string is not UTF-8".to_string())
    }

    fn end(&self) -> Result<(), String> {
        if self.bytes.is_empty() {
            Ok(())
        } else {
            Err(format!("{} bytes left over", self.bytes.len()))
        }
    }
}

fn decode(body: &[u8]) -> Result<Record, String> {
    let (&kind, rest) = body.split_first().ok_or("empty record")?;
    let mut r = Reader { bytes: rest };
    let record = match kind {
        KIND_INIT => {
            let magic = r.bytes()?;
            if magic != MAGIC {
                return Err(format!(
                    "not a codraft live log (magic {:?})",
                    String::from_utf8_lossy(magic)
                ));
            }
            Record::Init {
                commit: r.string()?,
                doc: r.bytes()?.to_vec(),
            }
        }
        KIND_CHANGE => Record::Change {
            session: r.string()?,
            author: r.string()?,
            edit_ref: r.u64()?,
            seq: r.u64()?,
            base: r.u64()?,
            change: r.bytes()?.to_vec(),
        },
        KIND_EDIT => {
            let session = r.string()?;
            let author = r.string()?;
            let edit_ref = r.u64()?;
            let seq = r.u64()?;
            let base = r.u64()?;
            let time = r.u64()? as i64;
            let field = r.string()?;
            let n = r.u32()? as usize;
            if n > r.bytes.len() / 20 {
                return Err(format!("{n} splices do not fit in the record"));
            }
            let mut splices = Vec::with_capacity(n);
            for _ in 0..n {
                let pos = usize::try_from(r.u64()?).map_err(|_| "a position is too large")?;
                let delete = usize::try_from(r.u64()?).map_err(|_| "a length is too large")?;
                splices.push(Splice {
                    pos,
                    delete,
                    insert: r.string()?,
                });
            }
            Record::Edit {
                session,
                author,
                edit_ref,
                seq,
                base,
                time,
                field,
                splices,
            }
        }
        KIND_CHECKPOINT => Record::Checkpoint {
            commit: r.string()?,
            seq: r.u64()?,
        },
        KIND_EXTERNAL => {
            let commit = r.string()?;
            let seq = r.u64()?;
            let n = r.u32()? as usize;
            if n > r.bytes.len() / 8 {
                return Err(format!("{n} heads do not fit in the record"));
            }
            let heads = (0..n).map(|_| r.u64()).collect::<Result<_, _>>()?;
            Record::External { commit, seq, heads }
        }
        KIND_COMPACTED => {
            let seq = r.u64()?;
            let n = r.u32()? as usize;
            if n > r.bytes.len() / 20 {
                return Err(format!("{n} sessions do not fit in the record"));
            }
            let mut sessions = Vec::with_capacity(n);
            for _ in 0..n {
                sessions.push((r.string()?, r.u64()?, r.u64()?));
            }
            Record::Compacted { seq, sessions }
        }
        other => return Err(format!("unknown record kind {other}")),
    };
    r.end()?;
    Ok(record)
}

/// The CRC-32 table (IEEE polynomial, reflected), built at compile time.
const CRC_TABLE: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
            k += 1;
        }
        table[i] = c;
        i += 1;
    }
    table
};

/// CRC-32 (IEEE 802.3, as zlib, gzip and PNG compute it). Detects every torn write of a
/// record (a cut-off record is short, and garbage passes with probability 2^-32).
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut c = !0u32;
    for &b in bytes {
        c = CRC_TABLE[((c ^ u32::from(b)) & 0xff) as usize] ^ (c >> 8);
    }
    !c
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<Record> {
        vec![
            Record::Init {
                commit: "9f1c".into(),
                doc: vec![1, 2, 3],
            },
            Record::Change {
                session: "s-甲".into(),
                author: "u1".into(),
                edit_ref: 7,
                seq: 1,
                base: 0,
                change: vec![9; 40],
            },
            Record::Change {
                session: "git".into(),
                author: String::new(),
                edit_ref: 0,
                seq: 2,
                base: 1,
                change: Vec::new(),
            },
            Record::Checkpoint {
                commit: "ab12".into(),
                seq: 2,
            },
            Record::External {
                commit: "cd34".into(),
                seq: 2,
                heads: vec![1, 2],
            },
            Record::Edit {
                session: "s-乙".into(),
                author: "u2".into(),
                edit_ref: 9,
                seq: 3,
                base: 1,
                time: 1_790_000_000,
                field: "section.problem.text".into(),
                splices: vec![
                    Splice {
                        pos: 4,
                        delete: 0,
                        insert: "𠀀改".into(),
                    },
                    Splice {
                        pos: 0,
                        delete: 2,
                        insert: String::new(),
                    },
                ],
            },
        ]
    }

    fn write(path: &Path, records: &[Record]) -> Log {
        let mut log = Log::create(path, &records[0]).unwrap();
        for r in &records[1..] {
            log.append(r).unwrap();
        }
        log.sync().unwrap();
        log
    }

    #[test]
    fn crc32_is_the_standard_one() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
        let data = "開放政府 open government".repeat(50);
        let mut reference = flate2::Crc::new();
        reference.update(data.as_bytes());
        assert_eq!(crc32(data.as_bytes()), reference.sum());
    }

    #[test]
    fn records_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("doc.log");
        let log = write(&path, &sample());
        let len = log.len();
        drop(log);
        assert_eq!(fs::metadata(&path).unwrap().len(), len);
        let opened = Log::open(&path).unwrap();
        assert_eq!(opened.records, sample());
        assert_eq!(opened.truncated, 0);
        assert_eq!(opened.log.len(), len);
        assert!(!dir.path().join("doc.log.tmp").exists());
    }

    #[test]
    fn replace_swaps_the_whole_log_and_appends_go_on() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("doc.log");
        let mut log = write(&path, &sample());
        let compacted = vec![
            Record::Init {
                commit: "ab12".into(),
                doc: vec![4, 5],
            },
            Record::Compacted {
                seq: 2,
                sessions: vec![("s-甲".into(), 7, 1), ("s-乙".into(), 3, 2)],
            },
        ];
        assert_eq!(
            log.replace(&sample()[1..]).unwrap_err().kind(),
            io::ErrorKind::InvalidInput
        );
        log.replace(&compacted).unwrap();
        let extra = Record::Checkpoint {
            commit: "ef56".into(),
            seq: 3,
        };
        log.append(&extra).unwrap();
        log.sync().unwrap();
        let len = log.len();
        drop(log);
        assert!(!dir.path().join("doc.log.tmp").exists());
        let opened = Log::open(&path).unwrap();
        let mut all = compacted.clone();
        all.push(extra);
        assert_eq!(opened.records, all);
        assert_eq!(opened.log.len(), len);
        // `Compacted` anywhere but right after `Init` is damage.
        let mut bad = sample();
        bad.push(compacted[1].clone());
        let other = dir.path().join("bad.log");
        write(&other, &bad);
        assert!(matches!(Log::open(&other), Err(LogError::Corrupt { .. })));
    }

    #[test]
    fn create_refuses_an_existing_log_and_a_non_init_first_record() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("doc.log");
        write(&path, &sample());
        let e = Log::create(&path, &sample()[0]).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::AlreadyExists);
        let e = Log::create(&dir.path().join("b.log"), &sample()[1]).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
    }

    #[test]
    fn every_torn_tail_is_cut_off_and_appends_continue_cleanly() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("doc.log");
        let records = sample();
        write(&path, &records);
        let full = fs::read(&path).unwrap();
        // Where each record ends.
        let mut ends = Vec::new();
        let mut at = 0;
        while let Some((_, next)) = read_record(&full, at) {
            ends.push(next);
            at = next;
        }
        assert_eq!(ends.len(), records.len());
        // Cut the file at every byte after the Init record.
        for cut in ends[0]..full.len() {
            fs::write(&path, &full[..cut]).unwrap();
            let opened = Log::open(&path).unwrap();
            let whole = ends.iter().filter(|&&e| e <= cut).count();
            assert_eq!(opened.records, records[..whole], "cut at {cut}");
            assert_eq!(opened.truncated as usize, cut - ends[whole - 1]);
            assert_eq!(fs::metadata(&path).unwrap().len() as usize, ends[whole - 1]);
        }
        // Garbage after a good log, then an append: the append follows the last good record.
        fs::write(&path, &full).unwrap();
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(&[0x55; 37]).unwrap();
        drop(f);
        let mut opened = Log::open(&path).unwrap();
        assert_eq!(opened.truncated, 37);
        let extra = Record::Checkpoint {
            commit: "ef56".into(),
            seq: 2,
        };
        opened.log.append(&extra).unwrap();
        opened.log.sync().unwrap();
        drop(opened);
        let mut all = records.clone();
        all.push(extra);
        assert_eq!(Log::open(&path).unwrap().records, all);
    }

    #[test]
    fn a_flipped_bit_stops_reading_there() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("doc.log");
        write(&path, &sample());
        let mut bytes = fs::read(&path).unwrap();
        let last = bytes.len() - 3;
        bytes[last] ^= 0x10;
        fs::write(&path, &bytes).unwrap();
        let opened = Log::open(&path).unwrap();
        assert_eq!(opened.records, sample()[..sample().len() - 1]);
    }

    #[test]
    fn a_damaged_or_foreign_start_is_corrupt() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("doc.log");
        fs::write(&path, b"").unwrap();
        assert!(matches!(Log::open(&path), Err(LogError::Corrupt { .. })));
        fs::write(&path, b"hello, this is not a log at all").unwrap();
        assert!(matches!(Log::open(&path), Err(LogError::Corrupt { .. })));
        // A well-formed record with the wrong magic.
        let mut buf = Vec::new();
        encode(
            &Record::Checkpoint {
                commit: "x".into(),
                seq: 1,
            },
            &mut buf,
        );
        fs::write(&path, &buf).unwrap();
        assert!(matches!(Log::open(&path), Err(LogError::Corrupt { .. })));
        let mut buf = Vec::new();
        let body = [&[KIND_INIT][..], &5u32.to_le_bytes(), b"other"].concat();
        buf.extend_from_slice(&(body.len() as u32).to_le_bytes());
        buf.extend_from_slice(&crc32(&body).to_le_bytes());
        buf.extend_from_slice(&body);
        fs::write(&path, &buf).unwrap();
        let e = Log::open(&path).unwrap_err();
        assert!(e.to_string().contains("not a codraft live log"), "{e}");
        assert!(matches!(
            Log::open(&dir.path().join("missing.log")),
            Err(LogError::Io(_))
        ));
    }

    #[test]
    fn decoding_odd_bodies_does_not_panic() {
        let mut rng = 0x1234_5678_9abc_def0u64;
        for _ in 0..2000 {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            let len = (rng % 40) as usize;
            let body: Vec<u8> = (0..len)
                .map(|i| (rng.rotate_left(i as u32 * 5) & 0xff) as u8)
                .map(|b| if len > 0 && b % 7 == 0 { b % 5 } else { b })
                .collect();
            let _ = decode(&body);
        }
        let heads = [&[KIND_EXTERNAL][..], &[0; 12], &u32::MAX.to_le_bytes()].concat();
        assert!(decode(&heads).is_err());
    }
}
