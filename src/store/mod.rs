//! The git store: one bare repository per plan, the system of record.
//!
//! [`git`] holds the synchronous operations on a `git2::Repository` (resolve a ref, read a
//! file at a commit, a folder's history, write a commit without a worktree, compare-and-swap a
//! branch). [`Store`] is how async code uses them: reads run on tokio's blocking pool with a
//! pooled repository handle; every write goes through one dedicated writer thread, in order.
//! No git2 call ever runs on the async runtime's worker threads.
//!
//! Nothing above this module sees a git2 type: ids are [`Oid`]s (re-exported), authors are
//! [`Signature`]s, errors are [`StoreError`]s.

pub mod git;
pub mod mirror;

use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc, Mutex};

pub use git::{CommitInfo, FileChange, Signature, TagInfo};
pub use git2::Oid;

/// What can go wrong in the store. `UnknownRef`, `StaleHead`, `BranchExists`, `TagExists` and
/// `BadPath`
/// are the caller's fault (4xx); the rest are ours (5xx).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("no branch, tag or commit is called \"{0}\"")]
    UnknownRef(String),
    #[error("branch {branch} moved: expected {expected}, found {actual}")]
    StaleHead {
        branch: String,
        expected: String,
        actual: String,
    },
    #[error("branch {0} already exists")]
    BranchExists(String),
    #[error("tag {0} already exists (tags are never moved or replaced)")]
    TagExists(String),
    #[error("invalid path \"{0}\"")]
    BadPath(String),
    #[error("git: {0}")]
    Git(#[from] git2::Error),
    #[error("the store is shut down")]
    Closed,
    /// A file codraft keeps beside the repository (e.g. public input's contacts).
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
}

type Job = Box<dyn FnOnce(&git2::Repository) + Send>;

/// A handle on the plan repository; cheap to clone.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    readers: Mutex<Vec<git2::Repository>>,
    writer: Mutex<mpsc::Sender<Job>>,
}

impl Store {
    /// Opens an existing bare repository and starts its writer thread.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let writer_repo = git2::Repository::open_bare(path)?;
        let (tx, rx) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("codraft-git-writer".into())
            .spawn(move || {
                for job in rx {
                    job(&writer_repo);
                }
            })
            .map_err(|e| git2::Error::from_str(&format!("cannot start the writer thread: {e}")))?;
        Ok(Store {
            inner: Arc::new(Inner {
                path: path.to_path_buf(),
                readers: Mutex::new(Vec::new()),
                writer: Mutex::new(tx),
            }),
        })
    }

    /// Runs `f` with a repository handle on the blocking pool.
    pub async fn read<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        F: FnOnce(&git2::Repository) -> Result<R, StoreError> + Send + 'static,
        R: Send + 'static,
    {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let pooled = inner.readers.lock().map(|mut p| p.pop()).unwrap_or(None);
            let repo = match pooled {
                Some(repo) => repo,
                None => git2::Repository::open_bare(&inner.path)?,
            };
            let result = f(&repo);
            if let Ok(mut pool) = inner.readers.lock() {
                if pool.len() < 16 {
                    pool.push(repo);
                }
            }
            result
        })
        .await
        .map_err(|_| StoreError::Closed)?
    }

    /// Runs `f` on the writer thread, after every write queued before it.
    pub async fn write<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        F: FnOnce(&git2::Repository) -> Result<R, StoreError> + Send + 'static,
        R: Send + 'static,
    {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |repo| {
            let _ = tx.send(f(repo));
        });
        self.inner
            .writer
            .lock()
            .map_err(|_| StoreError::Closed)?
            .send(job)
            .map_err(|_| StoreError::Closed)?;
        rx.await.map_err(|_| StoreError::Closed)?
    }

    /// Resolves a branch, tag or commit id to a commit.
    pub async fn resolve(&self, rev: &str) -> Result<Oid, StoreError> {
        let rev = rev.to_string();
        self.read(move |repo| git::resolve(repo, &rev)).await
    }

    /// A file's bytes at a commit; `None` when the path holds no file there.
    pub async fn read_file(&self, commit: Oid, path: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let path = path.to_string();
        self.read(move |repo| git::read_file(repo, commit, &path))
            .await
    }

    /// Commits `changes` on `branch` if its head is still `expected` (`None`: the branch must
    /// not exist yet). A stale `expected` is refused with [`StoreError::StaleHead`].
    pub async fn commit(
        &self,
        branch: &str,
        expected: Option<Oid>,
        changes: Vec<FileChange>,
        author: Signature,
        message: &str,
    ) -> Result<Oid, StoreError> {
        let branch = branch.to_string();
        let message = message.to_string();
        self.write(move |repo| git::commit(repo, &branch, expected, &changes, &author, &message))
            .await
    }
}
