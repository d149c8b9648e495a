//! The live-editing hub: one task per open live document (a commitment's file on a branch),
//! owning its [`LiveDoc`], its connected clients, and its checkpoints to git. Implements the
//! server side of `docs/live-protocol.md` apart from the socket itself (that is `web::live`).
//!
//! - Edits arriving together are applied in one batch off the async threads, the document's
//!   log is fsynced once, and only then are they acked and broadcast (group commit).
//! - Checkpoints commit the live text to the branch as a valid document, with a
//!   `Co-authored-by:` trailer for everyone who typed since the previous one: on `save`, after
//!   [`QUIET`] without edits, and when [`LiveHub::checkpoint_branch`] is asked (before a review
//!   or a merge). A commit that reached the branch another way is merged into the live document
//!   (automerge keeps unsaved live edits); the hub looks for one every [`POLL`] while clients are
//!   connected and before every checkpoint.
//! - A document nobody has open is unloaded after [`QUIET`]; its log keeps every acked edit.
//!   It is compacted first ([`LiveDoc::compact`]: checkpoint, history dropped), and so is an
//!   open document whose memory estimate passes [`MEMORY_LIMIT`]: memory per loaded document
//!   is bounded by the limit plus one batch of edits.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio::sync::{mpsc, oneshot};

use crate::auth::{Accounts, Sector, User};
use crate::doc::form::{CommitmentForm, Field};
use crate::doc::{self, Commitment, PlanConfig, Problems};
use crate::live::doc::{Applied, LiveDoc, LiveError, Outcome};
use crate::live::{transform, Splice};
use crate::store::{git, FileChange, Oid, Signature, Store, StoreError};

use super::WorkflowError;

/// Edits older than this with no new one: checkpoint (and unload if nobody is connected).
pub const QUIET: Duration = Duration::from_secs(30);
/// How often an open document looks for commits that reached its branch another way.
pub const POLL: Duration = Duration::from_secs(1);
/// How many times a checkpoint is tried when other writers keep moving the branch.
const CHECKPOINT_TRIES: usize = 5;
/// The trailer of a checkpoint's commit message: `Live-Checkpoint: <seq> <path>`, the live
/// text of which document, at which seq, the commit holds. After a kill between the commit
/// and its log record, it lets the restarted document know the commit as its own checkpoint
/// instead of merging the same edits in a second time.
const CHECKPOINT_TRAILER: &str = "Live-Checkpoint";
/// How far back from the branch head an unrecorded checkpoint is looked for.
const CHECKPOINT_LOOKBACK: usize = 64;
/// The largest message a client may send.
pub const MAX_MESSAGE: usize = 64 * 1024;
/// A live document whose memory estimate passes this is checkpointed and compacted at once
/// (otherwise it is compacted when it unloads): about 30,000 keystrokes of history.
pub const MEMORY_LIMIT: usize = 8 << 20;

/// When a live document checkpoints, unloads and compacts. [`Limits::default`] is what the
/// server uses; tests shorten them.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// No edit for this long: checkpoint, and unload (compacted) if nobody is connected.
    pub quiet: Duration,
    /// Memory estimate of one document above which it is checkpointed and compacted.
    pub memory: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            quiet: QUIET,
            memory: MEMORY_LIMIT,
        }
    }
}

/// Which document: a commitment's file in one language on one branch.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DocKey {
    pub branch: String,
    pub commitment: String,
    pub lang: String,
}

impl DocKey {
    pub fn path(&self) -> String {
        format!("commitments/{}/{}.md", self.commitment, self.lang)
    }

    fn log_name(&self) -> String {
        let digest = Sha256::digest(format!("{}\n{}", self.branch, self.path()).as_bytes());
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        format!("{}.log", &hex[..32])
    }
}

/// A message to a client (see the protocol).
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ToClient {
    Snapshot {
        seq: u64,
        fields: Vec<Field>,
        you: Person,
        peers: Vec<Presence>,
        checkpoint: CheckpointRef,
    },
    Ack {
        #[serde(rename = "ref")]
        edit_ref: u64,
        seq: u64,
    },
    Op {
        seq: u64,
        client: u64,
        /// The sending session's rank: who goes first where two insert at one place.
        rank: u32,
        field: String,
        splices: Vec<(usize, usize, String)>,
    },
    Presence(Presence),
    Left {
        client: u64,
    },
    Fields {
        seq: u64,
        fields: Vec<Field>,
    },
    Saved {
        #[serde(rename = "ref")]
        save_ref: u64,
        commit: String,
        seq: u64,
    },
    Checkpoint(CheckpointRef),
    Error {
        #[serde(rename = "ref", skip_serializing_if = "Option::is_none")]
        edit_ref: Option<u64>,
        code: &'static str,
        message: String,
        fatal: bool,
    },
}

impl ToClient {
    pub fn error(
        edit_ref: Option<u64>,
        code: &'static str,
        message: impl Into<String>,
    ) -> ToClient {
        ToClient::Error {
            edit_ref,
            code,
            message: message.into(),
            fatal: false,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Person {
    pub client: u64,
    /// This session's rank (see `ToClient::Op`).
    pub rank: u32,
    pub name: String,
    pub sector: Sector,
}

#[derive(Debug, Clone, Serialize)]
pub struct Presence {
    pub client: u64,
    pub name: String,
    pub sector: Sector,
    pub field: Option<String>,
    pub pos: Option<usize>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CheckpointRef {
    pub commit: String,
    pub seq: u64,
}

/// A message from a client (see the protocol).
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum FromClient {
    Edit {
        #[serde(rename = "ref")]
        edit_ref: u64,
        base: u64,
        field: String,
        splices: Vec<(usize, usize, String)>,
        #[serde(default)]
        resend: bool,
    },
    /// `field: null` when the person left every field.
    Cursor {
        field: Option<String>,
        #[serde(default)]
        pos: usize,
    },
    Save {
        #[serde(rename = "ref")]
        save_ref: u64,
    },
}

/// Decodes one text frame from a client: at most [`MAX_MESSAGE`] bytes of JSON that is a
/// [`FromClient`]. What the socket answers otherwise is the `Err`: `too_large`, or
/// `bad_message` (with the message's `ref` when it has one). Pure, so that the fuzz targets
/// and `tests/fuzz_corpus.rs` check the very decoder the socket uses.
// The error is the very reply the socket sends, built once per refused frame: not boxed.
#[allow(clippy::result_large_err)]
pub fn decode_client_message(text: &str) -> Result<FromClient, ToClient> {
    if text.len() > MAX_MESSAGE {
        return Err(ToClient::error(
            None,
            "too_large",
            format!("a message may hold at most {MAX_MESSAGE} bytes"),
        ));
    }
    serde_json::from_str::<FromClient>(text).map_err(|e| {
        let edit_ref = serde_json::from_str::<serde_json::Value>(text)
            .ok()
            .and_then(|v| v.get("ref").and_then(|r| r.as_u64()));
        ToClient::error(
            edit_ref,
            "bad_message",
            format!("not a message of the live-editing protocol: {e}"),
        )
    })
}

enum Command {
    Join {
        user: User,
        session: String,
        reply: oneshot::Sender<Result<Connection, WorkflowError>>,
    },
    Message {
        client: u64,
        message: FromClient,
    },
    Leave {
        client: u64,
    },
    Checkpoint {
        reply: oneshot::Sender<Result<(), WorkflowError>>,
    },
}

/// One client's end of a live document: what the server sends it, and a way to send.
pub struct Connection {
    pub client: u64,
    pub incoming: mpsc::UnboundedReceiver<ToClient>,
    doc: mpsc::UnboundedSender<Command>,
}

impl Connection {
    /// Hands a client's message to its document.
    pub fn send(&self, message: FromClient) -> bool {
        self.doc
            .send(Command::Message {
                client: self.client,
                message,
            })
            .is_ok()
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        let _ = self.doc.send(Command::Leave {
            client: self.client,
        });
    }
}

/// Every open live document of a data directory. Cheap to clone.
#[derive(Clone)]
pub struct LiveHub {
    inner: Arc<HubInner>,
}

struct HubInner {
    store: Store,
    accounts: Accounts,
    dir: PathBuf,
    limits: Limits,
    docs: Mutex<HashMap<DocKey, mpsc::UnboundedSender<Command>>>,
    next_client: AtomicU64,
}

impl LiveHub {
    /// Live documents of the plan in `store`, their logs in `dir` (`<data>/live`).
    pub fn new(store: Store, accounts: Accounts, dir: PathBuf) -> LiveHub {
        LiveHub::with_limits(store, accounts, dir, Limits::default())
    }

    /// [`LiveHub::new`] with other [`Limits`].
    pub fn with_limits(store: Store, accounts: Accounts, dir: PathBuf, limits: Limits) -> LiveHub {
        LiveHub {
            inner: Arc::new(HubInner {
                store,
                accounts,
                dir,
                limits,
                docs: Mutex::new(HashMap::new()),
                next_client: AtomicU64::new(1),
            }),
        }
    }

    /// The task of `key`, started (document loaded or created) when needed.
    fn doc(&self, key: &DocKey) -> mpsc::UnboundedSender<Command> {
        let mut docs = self.inner.docs.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(tx) = docs.get(key) {
            if !tx.is_closed() {
                return tx.clone();
            }
        }
        let (tx, rx) = mpsc::unbounded_channel();
        docs.insert(key.clone(), tx.clone());
        tokio::spawn(run(self.inner.clone(), key.clone(), tx.clone(), rx));
        tx
    }

    /// Joins a live document as `user` with the page's `session` id; the first message on
    /// the connection is the snapshot. Rights are the caller's to check.
    pub async fn join(
        &self,
        key: DocKey,
        user: User,
        session: String,
    ) -> Result<Connection, WorkflowError> {
        for _ in 0..2 {
            let (reply, rx) = oneshot::channel();
            let sent = self.doc(&key).send(Command::Join {
                user: user.clone(),
                session: session.clone(),
                reply,
            });
            if sent.is_ok() {
                if let Ok(result) = rx.await {
                    return result;
                }
            }
            // The task was just unloading; start it again.
        }
        Err(WorkflowError::conflict(
            "busy",
            "the live document is restarting; try again",
        ))
    }

    /// Commits every open live document of `branch` that has unsaved edits (before a review
    /// or a merge, so they act on exactly what was shown).
    pub async fn checkpoint_branch(&self, branch: &str) -> Result<(), WorkflowError> {
        let open: Vec<mpsc::UnboundedSender<Command>> = {
            let docs = self.inner.docs.lock().unwrap_or_else(|e| e.into_inner());
            docs.iter()
                .filter(|(k, _)| k.branch == branch)
                .map(|(_, tx)| tx.clone())
                .collect()
        };
        for tx in open {
            let (reply, rx) = oneshot::channel();
            if tx.send(Command::Checkpoint { reply }).is_ok() {
                if let Ok(result) = rx.await {
                    result?;
                }
            }
        }
        Ok(())
    }

    /// How many live documents are loaded.
    pub fn open_documents(&self) -> usize {
        self.inner
            .docs
            .lock()
            .map(|d| d.values().filter(|tx| !tx.is_closed()).count())
            .unwrap_or(0)
    }
}

struct Client {
    user: User,
    session: String,
    tx: mpsc::UnboundedSender<ToClient>,
    field: Option<String>,
    pos: Option<usize>,
}

/// The live document's task state.
struct Task {
    hub: Arc<HubInner>,
    key: DocKey,
    self_tx: mpsc::UnboundedSender<Command>,
    doc: Option<LiveDoc>,
    clients: BTreeMap<u64, Client>,
    last_edit: Instant,
}

fn fields_of(commit_text: &str, path: &str) -> Result<(Commitment, Vec<Field>), WorkflowError> {
    let doc = Commitment::parse(path, commit_text).map_err(WorkflowError::Invalid)?;
    let fields = CommitmentForm::from_commitment(&doc).to_fields();
    Ok((doc, fields))
}

fn live_err(e: LiveError) -> WorkflowError {
    WorkflowError::Store(StoreError::Git(git2::Error::from_str(&format!(
        "live document: {e}"
    ))))
}

impl Task {
    fn store(&self) -> &Store {
        &self.hub.store
    }

    /// The branch head and the document's text there.
    async fn at_head(&self) -> Result<(Oid, String), WorkflowError> {
        let branch = self.key.branch.clone();
        let path = self.key.path();
        self.store()
            .read(move |repo| {
                let head = git::branch_head(repo, &branch)?
                    .ok_or_else(|| StoreError::UnknownRef(branch.clone()))?;
                let text = git::read_file(repo, head, &path)?;
                Ok((head, text))
            })
            .await
            .map_err(WorkflowError::from)
            .and_then(|(head, text)| {
                let text = text
                    .and_then(|b| String::from_utf8(b).ok())
                    .ok_or_else(|| {
                        WorkflowError::NotFound(format!(
                            "no {} on {}",
                            self.key.path(),
                            self.key.branch
                        ))
                    })?;
                Ok((head, text))
            })
    }

    async fn text_at(&self, commit: &str) -> Result<Option<String>, WorkflowError> {
        let Ok(oid) = Oid::from_str(commit) else {
            return Ok(None);
        };
        let path = self.key.path();
        Ok(self
            .store()
            .read(move |repo| git::read_file(repo, oid, &path))
            .await?
            .and_then(|b| String::from_utf8(b).ok()))
    }

    /// Loads the document from its log, or creates it from the branch head.
    async fn load(&mut self) -> Result<(), WorkflowError> {
        if self.doc.is_some() {
            return Ok(());
        }
        let log = self.hub.dir.join(self.key.log_name());
        let doc = if log.exists() {
            tokio::task::spawn_blocking(move || LiveDoc::open(&log))
                .await
                .map_err(|_| WorkflowError::Store(StoreError::Closed))?
                .map_err(live_err)?
        } else {
            let (head, text) = self.at_head().await?;
            let (_, fields) = fields_of(&text, &self.key.path())?;
            let dir = self.hub.dir.clone();
            let commit = head.to_string();
            tokio::task::spawn_blocking(move || {
                std::fs::create_dir_all(&dir).map_err(LiveError::Io)?;
                LiveDoc::create(&log, &fields, &commit)
            })
            .await
            .map_err(|_| WorkflowError::Store(StoreError::Closed))?
            .map_err(live_err)?
        };
        self.doc = Some(doc);
        self.follow_branch().await?;
        Ok(())
    }

    /// Runs `f` on the document off the async threads.
    async fn with_doc<R: Send + 'static>(
        &mut self,
        f: impl FnOnce(&mut LiveDoc) -> R + Send + 'static,
    ) -> Result<R, WorkflowError> {
        let mut doc = self.doc.take().ok_or_else(|| {
            WorkflowError::conflict("not_loaded", "the live document is not loaded")
        })?;
        let (doc, result) = tokio::task::spawn_blocking(move || {
            let r = f(&mut doc);
            (doc, r)
        })
        .await
        .map_err(|_| WorkflowError::Store(StoreError::Closed))?;
        self.doc = Some(doc);
        Ok(result)
    }

    fn broadcast(&self, message: &ToClient) {
        for client in self.clients.values() {
            let _ = client.tx.send(message.clone());
        }
    }

    fn broadcast_ops(&self, ops: &[Applied], client_of: &HashMap<String, u64>) {
        for op in ops {
            self.broadcast(&ToClient::Op {
                seq: op.seq,
                client: client_of.get(&op.session).copied().unwrap_or(0),
                rank: transform::rank(&op.session),
                field: op.field.clone(),
                splices: op
                    .splices
                    .iter()
                    .map(|s| (s.pos, s.delete, s.insert.clone()))
                    .collect(),
            });
        }
    }

    fn sessions(&self) -> HashMap<String, u64> {
        self.clients
            .iter()
            .map(|(id, c)| (c.session.clone(), *id))
            .collect()
    }

    /// Merges a commit that reached the branch another way into the live document.
    async fn follow_branch(&mut self) -> Result<(), WorkflowError> {
        let Some(doc) = &self.doc else {
            return Ok(());
        };
        let (synced, _) = doc.checkpoint();
        let (head, new_text) = self.at_head().await?;
        if head.to_string() == synced {
            return Ok(());
        }
        let synced = match self.adopt_unrecorded_checkpoint(head, &synced).await? {
            Some(adopted) if adopted == head.to_string() => return Ok(()),
            Some(adopted) => adopted,
            None => synced,
        };
        let path = self.key.path();
        let base_text = self.text_at(&synced).await?.unwrap_or_default();
        let base_fields = fields_of(&base_text, &path)
            .map(|(_, f)| f)
            .unwrap_or_default();
        let Ok((_, new_fields)) = fields_of(&new_text, &path) else {
            // An invalid document reached the branch: nothing to merge live until it is fixed.
            return Ok(());
        };
        let commit = head.to_string();
        let (ops, changed) = self
            .with_doc(move |d| d.merge_external(&commit, &base_fields, &new_fields))
            .await?
            .map_err(live_err)?;
        self.with_doc(|d| d.sync()).await?.map_err(live_err)?;
        self.broadcast_ops(&ops, &self.sessions());
        if changed {
            let doc = self.doc.as_ref().expect("loaded");
            self.broadcast(&ToClient::Fields {
                seq: doc.seq(),
                fields: doc.fields(),
            });
        }
        Ok(())
    }

    /// A checkpoint commit this document wrote whose log record was lost (the server was
    /// killed between the two): the commit on the branch's first-parent line right after the
    /// last checkpoint or sync point, carrying this document's [`CHECKPOINT_TRAILER`] for a
    /// seq whose live text is exactly the commit's. It is recorded as the checkpoint it is,
    /// and its id returned; without this, following the branch would merge the edits it holds
    /// into the live text a second time. Any other commit is left to the merge.
    async fn adopt_unrecorded_checkpoint(
        &mut self,
        head: Oid,
        synced: &str,
    ) -> Result<Option<String>, WorkflowError> {
        let Ok(parent) = Oid::from_str(synced) else {
            return Ok(None);
        };
        let found = self
            .store()
            .read(move |repo| git::first_parent_child(repo, head, parent, CHECKPOINT_LOOKBACK))
            .await?;
        let Some((commit, message)) = found else {
            return Ok(None);
        };
        let path = self.key.path();
        let Some(seq) = message.lines().find_map(|line| {
            let (seq, at) = line
                .strip_prefix(CHECKPOINT_TRAILER)?
                .strip_prefix(": ")?
                .split_once(' ')?;
            (at == path).then(|| seq.parse::<u64>().ok())?
        }) else {
            return Ok(None);
        };
        let Some(text) = self.text_at(&commit.to_string()).await? else {
            return Ok(None);
        };
        let Ok((_, fields)) = fields_of(&text, &path) else {
            return Ok(None);
        };
        let committed: BTreeMap<String, String> = fields.into_iter().collect();
        let id = commit.to_string();
        let adopted = self
            .with_doc(move |d| -> Result<bool, LiveError> {
                if seq < d.checkpoint().1 || d.fields_at(seq)?.as_ref() != Some(&committed) {
                    return Ok(false);
                }
                d.mark_checkpoint(&id, seq)?;
                Ok(true)
            })
            .await?
            .map_err(live_err)?;
        if !adopted {
            return Ok(None);
        }
        tracing::warn!(
            commit = %commit,
            seq,
            path = %path,
            "a checkpoint commit without its log record (killed in between) is taken as the checkpoint"
        );
        let reference = CheckpointRef {
            commit: commit.to_string(),
            seq,
        };
        self.broadcast(&ToClient::Checkpoint(reference));
        Ok(Some(commit.to_string()))
    }

    /// Commits the live text if it changed since the last checkpoint. Another writer (the API,
    /// a push, a merge from `main`) may move the branch between following it and committing:
    /// the compare-and-swap refuses the commit, and the new head is followed and the commit
    /// made again, up to [`CHECKPOINT_TRIES`] times.
    async fn checkpoint(&mut self) -> Result<Option<CheckpointRef>, WorkflowError> {
        let mut tries = 1;
        loop {
            match self.checkpoint_once().await {
                Err(WorkflowError::Conflict {
                    code: "stale_head", ..
                }) if tries < CHECKPOINT_TRIES => tries += 1,
                done => return done,
            }
        }
    }

    async fn checkpoint_once(&mut self) -> Result<Option<CheckpointRef>, WorkflowError> {
        self.follow_branch().await?;
        let Some(doc) = &self.doc else {
            return Ok(None);
        };
        if !doc.dirty() {
            let (commit, seq) = doc.checkpoint();
            return Ok(Some(CheckpointRef { commit, seq }));
        }
        let seq = doc.seq();
        let fields = doc.fields();
        let authors = doc.authors_since_checkpoint();
        let (synced, _) = doc.checkpoint();
        let path = self.key.path();
        let original = self
            .text_at(&synced)
            .await?
            .and_then(|t| Commitment::parse(&path, &t).ok());
        let form = CommitmentForm::from_fields(&self.key.commitment, &fields);
        let text = form
            .to_text(&path, original.as_ref())
            .map_err(WorkflowError::Invalid)?;
        let parsed = Commitment::parse(&path, &text).map_err(WorkflowError::Invalid)?;
        let people: Vec<User> = authors
            .iter()
            .filter_map(|id| self.hub.accounts.user(id))
            .collect();
        let mut message = format!(
            "Live edits to {} ({})\n\n",
            self.key.commitment, self.key.lang
        );
        for p in &people {
            message.push_str(&format!(
                "Co-authored-by: {} <{}>\n",
                p.name,
                super::proposal::signature(p).email
            ));
        }
        message.push_str(&format!("{CHECKPOINT_TRAILER}: {seq} {path}\n"));
        let author = people
            .first()
            .map(super::proposal::signature)
            .unwrap_or_else(|| Signature::now("codraft", "codraft@localhost"));
        let branch = self.key.branch.clone();
        let lang = self.key.lang.clone();
        let commitment = self.key.commitment.clone();
        let expected = Oid::from_str(&synced).map_err(StoreError::from)?;
        let commit = self
            .store()
            .write(move |repo| {
                Ok((|| {
                    let config_text = git::read_file(repo, expected, PlanConfig::PATH)?
                        .and_then(|b| String::from_utf8(b).ok())
                        .unwrap_or_default();
                    let config = PlanConfig::parse(&config_text).map_err(WorkflowError::Invalid)?;
                    let problems = doc::check_in_plan(&parsed, &path, &commitment, &lang, &config);
                    if !problems.is_empty() {
                        return Err(WorkflowError::Invalid(Problems(problems)));
                    }
                    Ok(git::commit(
                        repo,
                        &branch,
                        Some(expected),
                        &[FileChange {
                            path: path.clone(),
                            content: Some(text.into_bytes()),
                        }],
                        &author,
                        &message,
                    )?)
                })())
            })
            .await??;
        let commit = commit.to_string();
        let c = commit.clone();
        self.with_doc(move |d| d.mark_checkpoint(&c, seq))
            .await?
            .map_err(live_err)?;
        let reference = CheckpointRef { commit, seq };
        self.broadcast(&ToClient::Checkpoint(reference.clone()));
        Ok(Some(reference))
    }

    async fn join(&mut self, user: User, session: String) -> Result<Connection, WorkflowError> {
        self.load().await?;
        let client = self.hub.next_client.fetch_add(1, Ordering::Relaxed);
        let (tx, incoming) = mpsc::unbounded_channel();
        let doc = self.doc.as_ref().expect("loaded");
        let (commit, cseq) = doc.checkpoint();
        let peers = self
            .clients
            .iter()
            .map(|(id, c)| Presence {
                client: *id,
                name: c.user.name.clone(),
                sector: c.user.sector,
                field: c.field.clone(),
                pos: c.pos,
            })
            .collect();
        let _ = tx.send(ToClient::Snapshot {
            seq: doc.seq(),
            fields: doc.fields(),
            you: Person {
                client,
                rank: transform::rank(&session),
                name: user.name.clone(),
                sector: user.sector,
            },
            peers,
            checkpoint: CheckpointRef { commit, seq: cseq },
        });
        self.clients.insert(
            client,
            Client {
                user,
                session,
                tx,
                field: None,
                pos: None,
            },
        );
        Ok(Connection {
            client,
            incoming,
            doc: self.self_tx.clone(),
        })
    }

    /// Applies a batch of edits, syncs once, then acks and broadcasts.
    async fn edits(&mut self, batch: Vec<(u64, u64, u64, String, Vec<Splice>)>) {
        let mut jobs = Vec::new();
        for (client, edit_ref, base, field, splices) in batch {
            let Some(c) = self.clients.get(&client) else {
                continue;
            };
            jobs.push((
                client,
                c.session.clone(),
                c.user.id.clone(),
                edit_ref,
                base,
                field,
                splices,
            ));
        }
        let result = self
            .with_doc(move |d| {
                let mut out = Vec::new();
                for (client, session, author, edit_ref, base, field, splices) in jobs {
                    let r = d.apply(&session, &author, edit_ref, base, &field, &splices);
                    out.push((client, edit_ref, r));
                }
                let synced = d.sync();
                (out, synced)
            })
            .await;
        let (results, synced) = match result {
            Ok(r) => r,
            Err(e) => {
                self.broadcast(&ToClient::error(None, "internal", e.to_string()));
                return;
            }
        };
        if let Err(e) = synced {
            tracing::error!(error = %e, "live log sync failed");
            for (client, edit_ref, _) in &results {
                if let Some(c) = self.clients.get(client) {
                    let _ = c.tx.send(ToClient::error(
                        Some(*edit_ref),
                        "internal",
                        "the edit could not be saved on the server; it will be sent again",
                    ));
                }
            }
            return;
        }
        let sessions = self.sessions();
        for (client, edit_ref, r) in results {
            match r {
                Ok(Outcome::Applied(applied)) => {
                    self.last_edit = Instant::now();
                    self.broadcast_ops(std::slice::from_ref(&applied), &sessions);
                    if let Some(c) = self.clients.get(&client) {
                        let _ = c.tx.send(ToClient::Ack {
                            edit_ref,
                            seq: applied.seq,
                        });
                    }
                }
                Ok(Outcome::Duplicate { seq }) => {
                    if let Some(c) = self.clients.get(&client) {
                        let _ = c.tx.send(ToClient::Ack { edit_ref, seq });
                    }
                }
                Err(e) => {
                    let code = match e {
                        LiveError::UnknownField(_) => "unknown_field",
                        LiveError::OutOfRange { .. } => "out_of_range",
                        LiveError::StaleBase { .. }
                        | LiveError::Compacted { .. }
                        | LiveError::AfterRefused { .. } => "stale_base",
                        _ => "internal",
                    };
                    if let Some(c) = self.clients.get(&client) {
                        let _ =
                            c.tx.send(ToClient::error(Some(edit_ref), code, e.to_string()));
                    }
                }
            }
        }
        let limit = self.hub.limits.memory;
        if self
            .doc
            .as_ref()
            .is_some_and(|d| d.memory_estimate() > limit)
        {
            self.compact().await;
        }
    }

    /// Checkpoints, then drops the document's history ([`LiveDoc::compact`]): memory and log
    /// shrink to about the text. Clients' edits against older seqs are refused from then on
    /// (`stale_base`: they reload and send them against the new text).
    async fn compact(&mut self) {
        if let Err(e) = self.checkpoint().await {
            tracing::warn!(error = %e, doc = ?self.key, "checkpoint before compaction failed");
            return;
        }
        let before = self.doc.as_ref().map_or(0, |d| d.memory_estimate());
        match self
            .with_doc(|d| d.compact().map(|done| (done, d.memory_estimate())))
            .await
        {
            Ok(Ok((true, after))) => {
                tracing::debug!(doc = ?self.key, before, after, "live document compacted")
            }
            Ok(Ok((false, _))) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, doc = ?self.key, "compaction failed"),
            Err(e) => tracing::warn!(error = %e, doc = ?self.key, "compaction failed"),
        }
    }

    fn presence(&mut self, client: u64, field: Option<String>, pos: usize) {
        let Some(c) = self.clients.get_mut(&client) else {
            return;
        };
        let pos = field.as_ref().map(|_| pos);
        c.field = field.clone();
        c.pos = pos;
        let message = ToClient::Presence(Presence {
            client,
            name: c.user.name.clone(),
            sector: c.user.sector,
            field,
            pos,
        });
        for (id, other) in &self.clients {
            if *id != client {
                let _ = other.tx.send(message.clone());
            }
        }
    }

    async fn save(&mut self, client: u64, save_ref: u64) {
        let result = self.checkpoint().await;
        let Some(c) = self.clients.get(&client) else {
            return;
        };
        let message = match result {
            Ok(Some(r)) => ToClient::Saved {
                save_ref,
                commit: r.commit,
                seq: r.seq,
            },
            Ok(None) => ToClient::error(Some(save_ref), "internal", "nothing to save"),
            Err(WorkflowError::Invalid(p)) => ToClient::error(
                Some(save_ref),
                "invalid_document",
                format!("the text cannot be saved as it stands:\n{p}"),
            ),
            Err(e) => ToClient::error(Some(save_ref), "internal", e.to_string()),
        };
        let _ = c.tx.send(message);
    }
}

async fn run(
    hub: Arc<HubInner>,
    key: DocKey,
    self_tx: mpsc::UnboundedSender<Command>,
    mut rx: mpsc::UnboundedReceiver<Command>,
) {
    let mut task = Task {
        hub: hub.clone(),
        key: key.clone(),
        self_tx,
        doc: None,
        clients: BTreeMap::new(),
        last_edit: Instant::now(),
    };
    drop(hub);
    let mut tick = tokio::time::interval(POLL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            command = rx.recv() => {
                let Some(command) = command else { break };
                let mut batch = Vec::new();
                let mut later = Vec::new();
                let mut next = Some(command);
                while let Some(command) = next.take() {
                    match command {
                        Command::Message { client, message: FromClient::Edit { edit_ref, base, field, splices, .. } } => {
                            let splices = splices.into_iter().map(|(pos, delete, insert)| Splice { pos, delete, insert }).collect();
                            batch.push((client, edit_ref, base, field, splices));
                        }
                        other => later.push(other),
                    }
                    if batch.len() < 256 {
                        next = rx.try_recv().ok();
                    }
                }
                if !batch.is_empty() {
                    task.edits(batch).await;
                }
                for command in later {
                    match command {
                        Command::Join { user, session, reply } => {
                            let _ = reply.send(task.join(user, session).await);
                        }
                        Command::Message { client, message: FromClient::Cursor { field, pos } } => task.presence(client, field, pos),
                        Command::Message { client, message: FromClient::Save { save_ref } } => task.save(client, save_ref).await,
                        Command::Message { .. } => {}
                        Command::Leave { client } => {
                            if task.clients.remove(&client).is_some() {
                                task.broadcast(&ToClient::Left { client });
                            }
                        }
                        Command::Checkpoint { reply } => {
                            let _ = reply.send(task.checkpoint().await.map(|_| ()));
                        }
                    }
                }
            }
            _ = tick.tick() => {
                if task.doc.is_none() {
                    if task.clients.is_empty() { break } else { continue }
                }
                if !task.clients.is_empty() {
                    if let Err(e) = task.follow_branch().await {
                        tracing::warn!(error = %e, branch = %key.branch, "following the branch failed");
                    }
                }
                if task.last_edit.elapsed() >= task.hub.limits.quiet {
                    if task.clients.is_empty() {
                        // Unloading: checkpoint and compact, so the log reopens fast.
                        task.compact().await;
                        break;
                    }
                    if let Err(e) = task.checkpoint().await {
                        tracing::warn!(error = %e, "quiet checkpoint failed");
                    }
                }
            }
        }
    }
    // Unloading: leave the map first (a new join starts a fresh task), then refuse what is
    // still queued (a join waiting here retries and reaches the fresh task).
    if let Ok(mut docs) = task.hub.docs.lock() {
        if docs
            .get(&key)
            .is_some_and(|tx| tx.same_channel(&task.self_tx))
        {
            docs.remove(&key);
        }
    }
    rx.close();
    while rx.try_recv().is_ok() {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workflow::setup;

    const C04: &str = "c04-information-access";
    const FIELD: &str = "section.problem.text";

    async fn next(conn: &mut Connection) -> ToClient {
        tokio::time::timeout(Duration::from_secs(20), conn.incoming.recv())
            .await
            .expect("a message within 20 s")
            .expect("the connection is open")
    }

    #[test]
    fn decoding_client_messages() {
        let edit = r#"{"type": "edit", "ref": 17, "base": 120, "field": "title", "splices": [[42, 0, "而"]]}"#;
        assert!(matches!(
            decode_client_message(edit),
            Ok(FromClient::Edit {
                edit_ref: 17,
                base: 120,
                ..
            })
        ));
        let error = |r: Result<FromClient, ToClient>| match r {
            Err(ToClient::Error { edit_ref, code, .. }) => (edit_ref, code),
            other => panic!("{other:?}"),
        };
        let unknown =
            r#"{"type": "edit", "ref": 18, "base": 1, "field": "title", "splices": [], "x": 1}"#;
        assert_eq!(
            error(decode_client_message(unknown)),
            (Some(18), "bad_message")
        );
        assert_eq!(error(decode_client_message("[")), (None, "bad_message"));
        let big = format!(
            r#"{{"type": "save", "ref": 1, "x": "{}"}}"#,
            "a".repeat(MAX_MESSAGE)
        );
        assert_eq!(error(decode_client_message(&big)), (None, "too_large"));
    }

    /// What a client of the test knows: the field's text at `seq`, the last checkpoint seen.
    struct Seen {
        text: Vec<char>,
        seq: u64,
        checkpoint: Option<u64>,
    }

    /// Waits for the ack or error of `edit_ref`, applying every op; returns the error code, if
    /// any.
    async fn answer(conn: &mut Connection, edit_ref: u64, seen: &mut Seen) -> Option<&'static str> {
        loop {
            match next(conn).await {
                ToClient::Checkpoint(c) => seen.checkpoint = Some(c.seq),
                ToClient::Op {
                    seq,
                    field,
                    splices,
                    ..
                } => {
                    seen.seq = seq;
                    if field == FIELD {
                        for (pos, delete, insert) in splices {
                            seen.text.splice(pos..pos + delete, insert.chars());
                        }
                    }
                }
                ToClient::Ack { edit_ref: r, .. } if r == edit_ref => return None,
                ToClient::Error {
                    edit_ref: Some(r),
                    code,
                    ..
                } if r == edit_ref => return Some(code),
                _ => {}
            }
        }
    }

    /// A document past its memory limit is checkpointed and compacted while people type; an
    /// edit against a seq before that is refused as `stale_base`, later ones go on; when the
    /// last person leaves it is compacted again and unloaded, and reloads as it was.
    #[tokio::test]
    async fn a_large_live_document_is_compacted_and_stays_bounded() {
        let dir = tempfile::tempdir().unwrap();
        assert!(setup::demo(dir.path()).unwrap());
        let store = Store::open(&setup::repo_path(dir.path())).unwrap();
        let accounts = Accounts::open(dir.path()).unwrap();
        let (user, _) = accounts
            .add_user(crate::auth::NewUser {
                id: "gov".into(),
                name: "郭淑芬".into(),
                email: None,
                sector: Sector::Government,
                roles: [crate::auth::Role::Drafter].into_iter().collect(),
                commitments: [C04.to_string()].into_iter().collect(),
                agency: None,
                password: None,
            })
            .unwrap();
        let limits = Limits {
            quiet: Duration::from_millis(300),
            memory: 160 * 1024,
        };
        let hub = LiveHub::with_limits(store, accounts, dir.path().join("live"), limits);
        let key = DocKey {
            branch: "main".into(),
            commitment: C04.into(),
            lang: "zh-TW".into(),
        };
        let mut conn = hub
            .join(key.clone(), user.clone(), "s1".into())
            .await
            .unwrap();
        let ToClient::Snapshot { seq, fields, .. } = next(&mut conn).await else {
            panic!("first a snapshot");
        };
        let mut seen = Seen {
            text: fields
                .iter()
                .find(|(k, _)| k == FIELD)
                .map(|(_, t)| t.chars().collect())
                .unwrap(),
            seq,
            checkpoint: None,
        };
        let first_seq = seq;
        for r in 1..=2_000u64 {
            let pos = (r as usize * 7) % (seen.text.len() + 1);
            conn.send(FromClient::Edit {
                edit_ref: r,
                base: seen.seq,
                field: FIELD.into(),
                splices: vec![(pos, 0, "字".into())],
                resend: false,
            });
            assert_eq!(answer(&mut conn, r, &mut seen).await, None);
        }
        let floor = seen.checkpoint.expect("compacted before 2,000 edits");
        let seq = seen.seq;
        assert!(
            floor > first_seq && floor < seq,
            "{floor} in {first_seq}..{seq}"
        );
        // An edit against a seq before the compaction: refused, nothing written.
        conn.send(FromClient::Edit {
            edit_ref: 5_000,
            base: floor - 1,
            field: FIELD.into(),
            splices: vec![(0, 0, "舊".into())],
            resend: false,
        });
        assert_eq!(
            answer(&mut conn, 5_000, &mut seen).await,
            Some("stale_base")
        );
        // An edit sent again from before the compaction is acked, not applied twice.
        conn.send(FromClient::Edit {
            edit_ref: 3,
            base: floor,
            field: FIELD.into(),
            splices: vec![(0, 0, "重".into())],
            resend: true,
        });
        assert_eq!(answer(&mut conn, 3, &mut seen).await, None);
        assert_eq!(seen.seq, seq, "nothing applied");
        let expected: String = seen.text.iter().collect();
        assert!(!expected.contains('舊') && !expected.contains('重'));
        // The log holds the text, not 2,000 keystrokes.
        let logs: Vec<_> = std::fs::read_dir(dir.path().join("live"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert_eq!(logs.len(), 1, "{logs:?}");
        let log_len = std::fs::metadata(&logs[0]).unwrap().len();
        drop(conn);
        // Unloaded once quiet, compacted again: the log is about the size of the document.
        for _ in 0..100 {
            if hub.open_documents() == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(hub.open_documents(), 0, "unloaded");
        let unloaded_len = std::fs::metadata(&logs[0]).unwrap().len();
        assert!(unloaded_len < log_len, "{unloaded_len} < {log_len}");
        assert!(unloaded_len < 64 * 1024, "{unloaded_len}");
        // Reloaded: the same text at the same seq; main holds it (checkpointed).
        let mut conn = hub.join(key, user, "s2".into()).await.unwrap();
        let ToClient::Snapshot {
            seq: again, fields, ..
        } = next(&mut conn).await
        else {
            panic!("first a snapshot");
        };
        assert_eq!(again, seq);
        let now = fields.iter().find(|(k, _)| k == FIELD).unwrap().1.clone();
        assert_eq!(now, expected);
    }
}
