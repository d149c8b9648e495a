//! The plan as it stands at one commit: `plan.toml`, the forum, every commitment in every
//! language, each parsed and checked. A [`PlanSnapshot`] is immutable, so [`PlanReader`] keeps
//! the recent ones by commit id and a page read costs one ref lookup and a map hit.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::doc::{self, Commitment, Forum, PlanConfig, Problem, Problems};
use crate::store::{git, CommitInfo, Oid, Store, StoreError};

use super::WorkflowError;

/// Where commitments live in a plan repository.
pub const COMMITMENTS_DIR: &str = "commitments";

/// Somewhere a plan's files can be read from: a commit of the repository, or a working tree.
pub trait Files {
    fn read(&self, path: &str) -> Result<Option<Vec<u8>>, StoreError>;
    /// Names of the entries of a folder (empty when there is no such folder).
    fn list(&self, dir: &str) -> Result<Vec<String>, StoreError>;
}

/// The files of one commit.
pub struct CommitFiles<'r> {
    pub repo: &'r git2::Repository,
    pub commit: Oid,
}

impl Files for CommitFiles<'_> {
    fn read(&self, path: &str) -> Result<Option<Vec<u8>>, StoreError> {
        git::read_file(self.repo, self.commit, path)
    }
    fn list(&self, dir: &str) -> Result<Vec<String>, StoreError> {
        git::list_dir(self.repo, self.commit, dir)
    }
}

/// The files of a commit with some changes applied on top, not yet committed: what a
/// proposal's documents would be, so they can be checked before anything is written.
pub struct Overlay<'a> {
    pub base: &'a dyn Files,
    pub changes: &'a [crate::store::FileChange],
}

impl Files for Overlay<'_> {
    fn read(&self, path: &str) -> Result<Option<Vec<u8>>, StoreError> {
        match self.changes.iter().rev().find(|c| c.path == path) {
            Some(change) => Ok(change.content.clone()),
            None => self.base.read(path),
        }
    }
    fn list(&self, dir: &str) -> Result<Vec<String>, StoreError> {
        let mut names = self.base.list(dir)?;
        let prefix = format!("{dir}/");
        for change in self.changes {
            let Some(rest) = change.path.strip_prefix(&prefix) else {
                continue;
            };
            let name = rest.split('/').next().unwrap_or(rest).to_string();
            let is_file = !rest.contains('/');
            match (&change.content, is_file) {
                (Some(_), _) => names.push(name),
                (None, true) => names.retain(|n| *n != name),
                (None, false) => {}
            }
        }
        names.sort();
        names.dedup();
        // A folder whose files were all deleted disappears.
        let mut kept = Vec::new();
        for name in names {
            let path = format!("{prefix}{name}");
            let deleted_folder = self
                .changes
                .iter()
                .any(|c| c.content.is_none() && c.path.starts_with(&format!("{path}/")));
            if deleted_folder && self.list(&path)?.is_empty() {
                continue;
            }
            kept.push(name);
        }
        Ok(kept)
    }
}

/// The files of a folder on disk (a clone's working tree).
pub struct DirFiles(pub PathBuf);

impl Files for DirFiles {
    fn read(&self, path: &str) -> Result<Option<Vec<u8>>, StoreError> {
        match std::fs::read(self.0.join(path)) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) if e.kind() == std::io::ErrorKind::IsADirectory => Ok(None),
            Err(e) => Err(StoreError::Git(git2::Error::from_str(&format!(
                "{path}: {e}"
            )))),
        }
    }
    fn list(&self, dir: &str) -> Result<Vec<String>, StoreError> {
        let Ok(entries) = std::fs::read_dir(self.0.join(dir)) else {
            return Ok(Vec::new());
        };
        let mut names: Vec<String> = entries
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        Ok(names)
    }
}

/// One commitment folder: its language versions, each parsed or with its problems.
#[derive(Debug, Clone)]
pub struct CommitmentEntry {
    pub id: String,
    pub versions: BTreeMap<String, Result<Arc<Commitment>, Problems>>,
}

impl CommitmentEntry {
    /// The master version, when it is valid.
    pub fn master(&self, master_lang: &str) -> Option<&Arc<Commitment>> {
        self.versions.get(master_lang).and_then(|v| v.as_ref().ok())
    }
}

/// The plan at one commit.
#[derive(Debug, Clone)]
pub struct PlanSnapshot {
    pub commit: Oid,
    pub config: PlanConfig,
    pub forum: Forum,
    /// Ordered by number, then id.
    pub commitments: Vec<CommitmentEntry>,
    /// Everything wrong with the documents, in file order.
    pub problems: Vec<Problem>,
}

impl PlanSnapshot {
    pub fn commitment(&self, id: &str) -> Option<&CommitmentEntry> {
        self.commitments.iter().find(|c| c.id == id)
    }

    pub fn master_language(&self) -> &str {
        &self.config.plan.master_language
    }
}

fn text_of(path: &str, bytes: Vec<u8>) -> Result<String, Problems> {
    String::from_utf8(bytes).map_err(|e| {
        Problems(vec![Problem::new(
            path,
            1,
            "file",
            format!("not UTF-8 text (byte {})", e.utf8_error().valid_up_to()),
        )])
    })
}

/// Reads and checks a whole plan. `Err` only when `plan.toml` or `forum/members.toml` cannot
/// be used; problems in commitments are kept in the snapshot.
pub fn load(files: &dyn Files, commit: Oid) -> Result<PlanSnapshot, WorkflowError> {
    let plan_text = files.read(PlanConfig::PATH)?.ok_or_else(|| {
        WorkflowError::Invalid(Problems(vec![Problem::new(
            PlanConfig::PATH,
            1,
            "file",
            "plan.toml is missing: is this a plan repository?",
        )]))
    })?;
    let config = text_of(PlanConfig::PATH, plan_text)
        .and_then(|t| PlanConfig::parse(&t))
        .map_err(WorkflowError::Invalid)?;
    let forum = match files.read(Forum::PATH)? {
        Some(bytes) => text_of(Forum::PATH, bytes)
            .and_then(|t| Forum::parse(&t))
            .map_err(WorkflowError::Invalid)?,
        None => Forum::default(),
    };

    let mut problems = Vec::new();
    let mut commitments = Vec::new();
    for folder in files.list(COMMITMENTS_DIR)? {
        if folder.starts_with('_') || folder.starts_with('.') {
            continue; // `_template` and the like are forms, not commitments
        }
        let dir = format!("{COMMITMENTS_DIR}/{folder}");
        let mut versions = BTreeMap::new();
        for name in files.list(&dir)? {
            if name.ends_with(".sync.toml") {
                // A translation's sync record (`doc::sync`): checked, not a version.
                let path = format!("{dir}/{name}");
                let lang = name.trim_end_matches(".sync.toml");
                if !config.plan.translations.iter().any(|l| l == lang) {
                    problems.push(Problem::new(
                        &path,
                        1,
                        "file",
                        format!(
                            "a sync record for \"{lang}\", which is not a translation language \
                             of this plan (plan.toml [plan] translations)"
                        ),
                    ));
                    continue;
                }
                if let Some(bytes) = files.read(&path)? {
                    if let Err(p) = text_of(&path, bytes)
                        .and_then(|text| doc::sync::SyncRecord::parse(&path, &text))
                    {
                        problems.extend(p.0);
                    }
                }
                continue;
            }
            let Some(lang) = name.strip_suffix(".md") else {
                continue;
            };
            let path = format!("{dir}/{name}");
            let Some(bytes) = files.read(&path)? else {
                continue;
            };
            let parsed = text_of(&path, bytes)
                .and_then(|text| Commitment::parse(&path, &text))
                .and_then(|c| {
                    let found = doc::check_in_plan(&c, &path, &folder, lang, &config);
                    if found.is_empty() {
                        Ok(Arc::new(c))
                    } else {
                        Err(Problems(found))
                    }
                });
            if let Err(p) = &parsed {
                problems.extend(p.0.iter().cloned());
            }
            versions.insert(lang.to_string(), parsed);
        }
        if versions.is_empty() {
            continue;
        }
        if !versions.contains_key(config.plan.master_language.as_str()) {
            problems.push(Problem::new(
                format!("{dir}/{}.md", config.plan.master_language),
                1,
                "file",
                format!(
                    "commitment {folder} has no master version ({}.md)",
                    config.plan.master_language
                ),
            ));
        }
        commitments.push(CommitmentEntry {
            id: folder,
            versions,
        });
    }
    let number = |e: &CommitmentEntry| {
        e.master(&config.plan.master_language)
            .map_or(u32::MAX, |c| c.front.number)
    };
    commitments.sort_by(|a, b| number(a).cmp(&number(b)).then_with(|| a.id.cmp(&b.id)));
    for pair in commitments.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        if number(a) == number(b) && number(a) != u32::MAX {
            let path = format!(
                "{COMMITMENTS_DIR}/{}/{}.md",
                b.id, config.plan.master_language
            );
            let line = b
                .master(&config.plan.master_language)
                .map_or(1, |c| c.line_of("number"));
            problems.push(Problem::new(
                path,
                line,
                "number",
                format!("number {} is also used by {}", number(b), a.id),
            ));
        }
    }
    Ok(PlanSnapshot {
        commit,
        config,
        forum,
        commitments,
        problems,
    })
}

/// Reads the plan from the store, keeping recent snapshots by commit id, and recent path
/// histories by (commit, path, limit): both are fixed once the commit exists, and a history
/// walks the whole graph (hundreds of ms at 20,000 commits, `benches/scale.rs`).
#[derive(Clone)]
pub struct PlanReader {
    store: Store,
    cache: Arc<Recent<Oid, Arc<PlanSnapshot>>>,
    histories: Arc<Recent<HistoryKey, Arc<Vec<CommitInfo>>>>,
}

/// A path's history from a commit, at most so many commits.
type HistoryKey = (Oid, String, usize);

/// The last `capacity` values put, by key (the oldest put goes first).
struct Recent<K, V> {
    capacity: usize,
    inner: Mutex<(HashMap<K, V>, VecDeque<K>)>,
}

impl<K: std::hash::Hash + Eq + Clone, V: Clone> Recent<K, V> {
    fn new(capacity: usize) -> Self {
        Recent {
            capacity,
            inner: Mutex::new((HashMap::new(), VecDeque::new())),
        }
    }

    fn get(&self, key: &K) -> Option<V> {
        self.inner.lock().ok()?.0.get(key).cloned()
    }

    fn put(&self, key: K, value: V) {
        if let Ok(mut guard) = self.inner.lock() {
            let (map, order) = &mut *guard;
            if map.insert(key.clone(), value).is_none() {
                order.push_back(key);
            }
            while order.len() > self.capacity {
                if let Some(old) = order.pop_front() {
                    map.remove(&old);
                }
            }
        }
    }
}

const CACHED_HISTORIES: usize = 256;

const CACHED_SNAPSHOTS: usize = 32;

impl PlanReader {
    pub fn new(store: Store) -> PlanReader {
        PlanReader {
            store,
            cache: Arc::new(Recent::new(CACHED_SNAPSHOTS)),
            histories: Arc::new(Recent::new(CACHED_HISTORIES)),
        }
    }

    /// The store the plan is read from.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The plan at a branch, tag or commit.
    pub async fn at(&self, rev: &str) -> Result<Arc<PlanSnapshot>, WorkflowError> {
        let commit = self.store.resolve(rev).await?;
        if let Some(hit) = self.cache.get(&commit) {
            return Ok(hit);
        }
        let snapshot = self
            .store
            .read(move |repo| Ok(load(&CommitFiles { repo, commit }, commit)))
            .await??;
        let snapshot = Arc::new(snapshot);
        self.cache.put(commit, snapshot.clone());
        Ok(snapshot)
    }

    /// Commits reachable from the snapshot's commit that changed a commitment's folder, newest first.
    pub async fn commitment_history(
        &self,
        snapshot: &PlanSnapshot,
        id: &str,
        limit: usize,
    ) -> Result<Vec<CommitInfo>, WorkflowError> {
        if snapshot.commitment(id).is_none() {
            return Err(WorkflowError::NotFound(format!(
                "no commitment \"{id}\" at {}",
                snapshot.commit
            )));
        }
        let path = format!("{COMMITMENTS_DIR}/{id}");
        Ok(self
            .path_history(snapshot.commit, &path, limit)
            .await?
            .to_vec())
    }

    /// [`git::history`] of `path` from `commit`, at most `limit` commits, kept for the next
    /// caller.
    pub async fn path_history(
        &self,
        commit: Oid,
        path: &str,
        limit: usize,
    ) -> Result<Arc<Vec<CommitInfo>>, StoreError> {
        let key = (commit, path.to_string(), limit);
        if let Some(hit) = self.histories.get(&key) {
            return Ok(hit);
        }
        let owned = path.to_string();
        let history = Arc::new(
            self.store
                .read(move |repo| git::history(repo, commit, &owned, limit))
                .await?,
        );
        self.histories.put(key, history.clone());
        Ok(history)
    }
}

/// Checks the plan found at `path`: a data directory (holding `plan.git`), a bare plan
/// repository (its `main` branch), or a working tree. Returns the snapshot's problems, then
/// the problems of the repository's round tags ([`super::rounds::check_tags`]: a tag that
/// disagrees with its recorded round), or the reason the plan could not be read at all.
pub fn check_path(path: &Path) -> Result<Vec<Problem>, WorkflowError> {
    let data_repo = path.join(super::setup::REPO_DIR);
    let bare = if data_repo.join("HEAD").exists() {
        Some(data_repo)
    } else if path.join("HEAD").exists() && path.join("objects").is_dir() {
        Some(path.to_path_buf())
    } else {
        None
    };
    match bare {
        Some(repo_path) => {
            let repo = git2::Repository::open_bare(&repo_path).map_err(StoreError::from)?;
            let commit = git::resolve(&repo, "main")?;
            let mut problems = load(
                &CommitFiles {
                    repo: &repo,
                    commit,
                },
                commit,
            )?
            .problems;
            problems.extend(super::rounds::check_tags(&repo)?);
            Ok(problems)
        }
        None => {
            let mut problems = load(&DirFiles(path.to_path_buf()), Oid::ZERO_SHA1)?.problems;
            // A clone's working tree: its tags and `origin/records` came with the clone.
            if let Ok(repo) = git2::Repository::open(path) {
                if repo.workdir().is_some_and(|w| same_dir(w, path)) {
                    problems.extend(super::rounds::check_tags(&repo)?);
                }
            }
            Ok(problems)
        }
    }
}

fn same_dir(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}
