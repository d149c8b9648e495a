//! Synchronous git operations on a bare repository (git2). Called from the blocking pool or
//! the writer thread by [`super::Store`], or directly by command-line code that runs no async
//! runtime.

use std::path::Path;

use git2::{ErrorCode, FileMode, ObjectType, Oid, Repository, Sort};
use serde::Serialize;

use super::StoreError;

/// Who wrote a commit, and when (seconds since the epoch, offset from UTC in minutes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    pub name: String,
    pub email: String,
    pub seconds: i64,
    pub offset_minutes: i32,
}

impl Signature {
    /// `name <email>` now, in UTC.
    pub fn now(name: &str, email: &str) -> Signature {
        let seconds = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        Signature {
            name: name.to_string(),
            email: email.to_string(),
            seconds,
            offset_minutes: 0,
        }
    }

    fn to_git(&self) -> Result<git2::Signature<'static>, git2::Error> {
        git2::Signature::new(
            &self.name,
            &self.email,
            &git2::Time::new(self.seconds, self.offset_minutes),
        )
    }
}

/// One file to write (`Some(bytes)`) or delete (`None`) in a commit.
#[derive(Debug, Clone)]
pub struct FileChange {
    pub path: String,
    pub content: Option<Vec<u8>>,
}

/// A commit as history pages show it.
#[derive(Debug, Clone, Serialize)]
pub struct CommitInfo {
    pub id: String,
    pub short_id: String,
    pub author_name: String,
    pub author_email: String,
    /// Seconds since the epoch.
    pub time: i64,
    /// Offset from UTC of the author's clock, in minutes.
    pub offset_minutes: i32,
    pub summary: String,
    pub message: String,
    pub parents: Vec<String>,
}

impl CommitInfo {
    fn of(commit: &git2::Commit<'_>) -> CommitInfo {
        let author = commit.author();
        let id = commit.id().to_string();
        CommitInfo {
            short_id: id[..10].to_string(),
            id,
            author_name: String::from_utf8_lossy(author.name_bytes()).into_owned(),
            author_email: String::from_utf8_lossy(author.email_bytes()).into_owned(),
            time: author.when().seconds(),
            offset_minutes: author.when().offset_minutes(),
            summary: String::from_utf8_lossy(commit.summary_bytes().unwrap_or_default())
                .into_owned(),
            message: String::from_utf8_lossy(commit.message_bytes()).into_owned(),
            parents: commit.parent_ids().map(|p| p.to_string()).collect(),
        }
    }
}

/// Creates a bare repository whose HEAD names `refs/heads/main`.
pub fn init_bare(path: &Path) -> Result<Repository, StoreError> {
    let mut opts = git2::RepositoryInitOptions::new();
    opts.bare(true).initial_head("main").mkpath(true);
    Ok(Repository::init_opts(path, &opts)?)
}

/// A rev as people write it: a branch (`main`, `proposals/3-budget`), a tag (`rounds/2021-04`),
/// a full ref (`refs/heads/main`) or a commit id (full or at least 7 hex digits).
/// Anything else, including revision expressions such as `main~1`, is refused.
pub fn resolve(repo: &Repository, rev: &str) -> Result<Oid, StoreError> {
    let unknown = || StoreError::UnknownRef(rev.to_string());
    let plain = !rev.is_empty()
        && rev.len() <= 200
        && rev
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))
        && !rev.contains("..")
        && !rev.starts_with('/')
        && !rev.ends_with('/');
    if !plain {
        return Err(unknown());
    }
    let candidates = if rev.starts_with("refs/") {
        vec![rev.to_string()]
    } else {
        vec![format!("refs/heads/{rev}"), format!("refs/tags/{rev}")]
    };
    for name in candidates {
        match repo.find_reference(&name) {
            Ok(r) => return Ok(r.peel_to_commit()?.id()),
            Err(e) if matches!(e.code(), ErrorCode::NotFound | ErrorCode::InvalidSpec) => {}
            Err(e) => return Err(e.into()),
        }
    }
    if rev.len() >= 7 && rev.len() <= 40 && rev.chars().all(|c| c.is_ascii_hexdigit()) {
        let object = match repo.revparse_single(rev) {
            Ok(o) => o,
            Err(e)
                if matches!(
                    e.code(),
                    ErrorCode::NotFound | ErrorCode::Ambiguous | ErrorCode::InvalidSpec
                ) =>
            {
                return Err(unknown())
            }
            Err(e) => return Err(e.into()),
        };
        return object
            .peel_to_commit()
            .map(|c| c.id())
            .map_err(|_| unknown());
    }
    Err(unknown())
}

/// The head of a branch, or `None` when it does not exist.
pub fn branch_head(repo: &Repository, branch: &str) -> Result<Option<Oid>, StoreError> {
    match repo.find_reference(&format!("refs/heads/{branch}")) {
        Ok(r) => Ok(Some(r.peel_to_commit()?.id())),
        Err(e) if e.code() == ErrorCode::NotFound => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// A file's bytes at a commit; `None` when nothing or a folder is at that path.
pub fn read_file(
    repo: &Repository,
    commit: Oid,
    path: &str,
) -> Result<Option<Vec<u8>>, StoreError> {
    let tree = repo.find_commit(commit)?.tree()?;
    let entry = match tree.get_path(Path::new(path)) {
        Ok(entry) => entry,
        Err(e) if e.code() == ErrorCode::NotFound => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    if entry.kind() != Some(ObjectType::Blob) {
        return Ok(None);
    }
    Ok(Some(repo.find_blob(entry.id())?.content().to_vec()))
}

/// The names of the entries of a folder at a commit (files and folders), sorted by git.
pub fn list_dir(repo: &Repository, commit: Oid, path: &str) -> Result<Vec<String>, StoreError> {
    let tree = repo.find_commit(commit)?.tree()?;
    let sub = if path.is_empty() {
        tree
    } else {
        match tree.get_path(Path::new(path)) {
            Ok(entry) if entry.kind() == Some(ObjectType::Tree) => repo.find_tree(entry.id())?,
            Ok(_) => return Ok(Vec::new()),
            Err(e) if e.code() == ErrorCode::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e.into()),
        }
    };
    Ok(sub
        .iter()
        .map(|e| String::from_utf8_lossy(e.name_bytes()).into_owned())
        .collect())
}

/// The object id at `path` in a commit's tree (`""`: the root), if any.
fn entry_id(commit: &git2::Commit<'_>, path: &str) -> Result<Option<Oid>, StoreError> {
    if path.is_empty() {
        return Ok(Some(commit.tree_id()));
    }
    match commit.tree()?.get_path(Path::new(path)) {
        Ok(entry) => Ok(Some(entry.id())),
        Err(e) if e.code() == ErrorCode::NotFound => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Commits reachable from `from` that changed `path` (a file or a folder), newest first, at
/// most `limit`. A merge counts when `path` differs from its first parent.
pub fn history(
    repo: &Repository,
    from: Oid,
    path: &str,
    limit: usize,
) -> Result<Vec<CommitInfo>, StoreError> {
    let mut walk = repo.revwalk()?;
    walk.set_sorting(Sort::TOPOLOGICAL | Sort::TIME)?;
    walk.push(from)?;
    let mut out = Vec::new();
    // The walk mostly visits a commit right after its child: the path's id looked up in a
    // first parent is kept for its turn (half the tree lookups on a long linear history).
    let mut parent_seen: Option<(Oid, Option<Oid>)> = None;
    for oid in walk {
        if out.len() >= limit {
            break;
        }
        let oid = oid?;
        let commit = repo.find_commit(oid)?;
        let here = match parent_seen.take() {
            Some((seen, id)) if seen == oid => id,
            _ => entry_id(&commit, path)?,
        };
        // A merge counts when it changed the path on its first parent's line: that is the
        // moment a proposal's change reached the branch (its own commits count too).
        let changed = match commit.parent(0) {
            Err(_) => here.is_some(),
            Ok(first) => {
                let there = entry_id(&first, path)?;
                parent_seen = Some((first.id(), there));
                there != here
            }
        };
        if changed {
            out.push(CommitInfo::of(&commit));
        }
    }
    Ok(out)
}

/// A path inside the repository: relative, `/`-separated, no empty, `.` or `..` parts, not
/// into `.git`.
pub fn check_path(path: &str) -> Result<(), StoreError> {
    let ok = !path.is_empty()
        && path.len() <= 1024
        && !path.contains('\0')
        && !path.contains('\\')
        && path.split('/').all(|part| {
            !part.is_empty() && part != "." && part != ".." && !part.eq_ignore_ascii_case(".git")
        });
    if ok {
        Ok(())
    } else {
        Err(StoreError::BadPath(path.to_string()))
    }
}

/// Writes `changes` as one commit on top of `branch`, without a worktree, then moves the
/// branch by compare-and-swap from `expected` (`None`: the branch must not exist yet).
pub fn commit(
    repo: &Repository,
    branch: &str,
    expected: Option<Oid>,
    changes: &[FileChange],
    author: &Signature,
    message: &str,
) -> Result<Oid, StoreError> {
    commit_with_parents(repo, branch, expected, &[], changes, author, message)
}

/// A merge commit on `branch`: its tree is the head's tree with `changes` applied, its parents
/// the head (`expected`, compare-and-swap as in [`commit`]) and then `other_parents`.
pub fn commit_merge(
    repo: &Repository,
    branch: &str,
    expected: Oid,
    other_parents: &[Oid],
    changes: &[FileChange],
    author: &Signature,
    message: &str,
) -> Result<Oid, StoreError> {
    commit_with_parents(
        repo,
        branch,
        Some(expected),
        other_parents,
        changes,
        author,
        message,
    )
}

fn commit_with_parents(
    repo: &Repository,
    branch: &str,
    expected: Option<Oid>,
    other_parents: &[Oid],
    changes: &[FileChange],
    author: &Signature,
    message: &str,
) -> Result<Oid, StoreError> {
    let refname = format!("refs/heads/{branch}");
    if !git2::Reference::is_valid_name(&refname) {
        return Err(StoreError::UnknownRef(branch.to_string()));
    }
    for change in changes {
        check_path(&change.path)?;
    }
    let current = branch_head(repo, branch)?;
    if current != expected {
        return Err(match (expected, current) {
            (None, Some(_)) => StoreError::BranchExists(branch.to_string()),
            (expected, actual) => StoreError::StaleHead {
                branch: branch.to_string(),
                expected: expected.map_or("nothing".into(), |o| o.to_string()),
                actual: actual.map_or("nothing".into(), |o| o.to_string()),
            },
        });
    }
    let parent = expected.map(|oid| repo.find_commit(oid)).transpose()?;
    let base_tree = match &parent {
        Some(p) => p.tree()?,
        None => repo.find_tree(repo.treebuilder(None)?.write()?)?,
    };
    let mut update = git2::build::TreeUpdateBuilder::new();
    for change in changes {
        match &change.content {
            Some(bytes) => {
                let blob = repo.blob(bytes)?;
                update.upsert(change.path.as_str(), blob, FileMode::Blob);
            }
            None => {
                update.remove(change.path.as_str());
            }
        }
    }
    let tree = repo.find_tree(update.create_updated(repo, &base_tree)?)?;
    let sig = author.to_git()?;
    let others = other_parents
        .iter()
        .map(|oid| repo.find_commit(*oid))
        .collect::<Result<Vec<_>, _>>()?;
    let parents: Vec<&git2::Commit<'_>> = parent.iter().chain(others.iter()).collect();
    let oid = repo.commit(None, &sig, &sig, message, &tree, &parents)?;
    let log = format!("codraft: {}", message.lines().next().unwrap_or(""));
    let moved = match expected {
        Some(old) => repo.reference_matching(&refname, oid, true, old, &log),
        None => repo.reference(&refname, oid, false, &log),
    };
    match moved {
        Ok(_) => Ok(oid),
        // Another writer (e.g. a push) moved the branch between our check and our update.
        Err(e)
            if matches!(
                e.code(),
                ErrorCode::Modified | ErrorCode::Exists | ErrorCode::Locked
            ) =>
        {
            let actual = branch_head(repo, branch)?;
            Err(StoreError::StaleHead {
                branch: branch.to_string(),
                expected: expected.map_or("nothing".into(), |o| o.to_string()),
                actual: actual.map_or("nothing".into(), |o| o.to_string()),
            })
        }
        Err(e) => Err(e.into()),
    }
}

/// Removes the lock files a killed writer left in the bare repository at `repo_path`: `*.lock`
/// under `refs/` and `logs/`, and `packed-refs.lock`. Returns their paths.
///
/// A ref is locked only for the instant of its update, but a process killed in that instant
/// (SIGKILL, power loss) leaves the lock behind. Every later update of that ref then fails,
/// with git's own "Unable to create '….lock': File exists" as well. Only for a process that
/// owns the repository's writes, when it starts: `codraft serve` calls it before serving.
pub fn remove_stale_locks(repo_path: &Path) -> std::io::Result<Vec<std::path::PathBuf>> {
    fn walk(dir: &Path, found: &mut Vec<std::path::PathBuf>) -> std::io::Result<()> {
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e),
        };
        for entry in entries {
            let entry = entry?;
            let path = entry.path();
            if entry.file_type()?.is_dir() {
                walk(&path, found)?;
            } else if path.extension().is_some_and(|e| e == "lock") {
                found.push(path);
            }
        }
        Ok(())
    }
    let mut found = Vec::new();
    walk(&repo_path.join("refs"), &mut found)?;
    walk(&repo_path.join("logs"), &mut found)?;
    let packed = repo_path.join("packed-refs.lock");
    if packed.exists() {
        found.push(packed);
    }
    for path in &found {
        std::fs::remove_file(path)?;
    }
    Ok(found)
}

/// Creates `branch` at commit `at`; refused with [`StoreError::BranchExists`] when it exists.
pub fn create_branch(repo: &Repository, branch: &str, at: Oid) -> Result<(), StoreError> {
    let refname = format!("refs/heads/{branch}");
    if !git2::Reference::is_valid_name(&refname) {
        return Err(StoreError::UnknownRef(branch.to_string()));
    }
    repo.find_commit(at)?;
    match repo.reference(&refname, at, false, "codraft: create branch") {
        Ok(_) => Ok(()),
        Err(e) if e.code() == ErrorCode::Exists => Err(StoreError::BranchExists(branch.into())),
        Err(e) => Err(e.into()),
    }
}

/// The best common ancestor of two commits, if they share history.
pub fn merge_base(repo: &Repository, a: Oid, b: Oid) -> Result<Option<Oid>, StoreError> {
    match repo.merge_base(a, b) {
        Ok(oid) => Ok(Some(oid)),
        Err(e) if e.code() == ErrorCode::NotFound => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Whether `ancestor` is `descendant` or one of its ancestors.
pub fn is_ancestor(repo: &Repository, ancestor: Oid, descendant: Oid) -> Result<bool, StoreError> {
    Ok(ancestor == descendant || repo.graph_descendant_of(descendant, ancestor)?)
}

/// The paths of the files that differ between two commits' trees (added, deleted or
/// modified), sorted.
pub fn changed_paths(repo: &Repository, from: Oid, to: Oid) -> Result<Vec<String>, StoreError> {
    let old = repo.find_commit(from)?.tree()?;
    let new = repo.find_commit(to)?.tree()?;
    let diff = repo.diff_tree_to_tree(Some(&old), Some(&new), None)?;
    let mut paths: Vec<String> = diff
        .deltas()
        .flat_map(|d| [d.old_file().path(), d.new_file().path()])
        .flatten()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    paths.sort();
    paths.dedup();
    Ok(paths)
}

/// The branches whose names start with `prefix`, with their heads.
pub fn branches(repo: &Repository, prefix: &str) -> Result<Vec<(String, Oid)>, StoreError> {
    let mut out = Vec::new();
    for r in repo.references_glob(&format!("refs/heads/{prefix}*"))? {
        let r = r?;
        if let (Ok(name), Some(oid)) = (r.name(), r.target()) {
            out.push((name.trim_start_matches("refs/heads/").to_string(), oid));
        }
    }
    Ok(out)
}

/// A tag as round pages show it (see [`tags`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagInfo {
    /// The tag's name without `refs/tags/`, e.g. `rounds/2021-04`.
    pub name: String,
    /// The commit the tag points at (annotated tags peeled).
    pub commit: Oid,
    /// An annotated tag (a tag object), not a lightweight one (a bare ref).
    pub annotated: bool,
    /// Who made the tag and when; `None` for a lightweight tag.
    pub tagger: Option<Signature>,
    /// The tag's message (empty for a lightweight tag).
    pub message: String,
    /// When the tagged commit was committed (seconds since the epoch): the date a lightweight
    /// tag is ordered by.
    pub commit_time: i64,
}

/// The tags whose names start with `prefix` (e.g. `rounds/`), annotated or lightweight, in
/// name order. Tags that point at something other than a commit are left out.
pub fn tags(repo: &Repository, prefix: &str) -> Result<Vec<TagInfo>, StoreError> {
    let mut out = Vec::new();
    for r in repo.references_glob(&format!("refs/tags/{prefix}*"))? {
        let r = r?;
        let Some(name) = r.name().ok().and_then(|n| n.strip_prefix("refs/tags/")) else {
            continue;
        };
        if !name.starts_with(prefix) {
            continue;
        }
        if let Some(info) = tag_info(repo, name, &r) {
            out.push(info);
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// The tag `name` as the reference `r` holds it; `None` when it points at something other
/// than a commit.
fn tag_info(repo: &Repository, name: &str, r: &git2::Reference<'_>) -> Option<TagInfo> {
    let commit = r.peel_to_commit().ok()?;
    let tag = r.target().and_then(|oid| repo.find_tag(oid).ok());
    let (tagger, message) = match &tag {
        Some(tag) => (
            tag.tagger().map(|s| Signature {
                name: String::from_utf8_lossy(s.name_bytes()).into_owned(),
                email: String::from_utf8_lossy(s.email_bytes()).into_owned(),
                seconds: s.when().seconds(),
                offset_minutes: s.when().offset_minutes(),
            }),
            String::from_utf8_lossy(tag.message_bytes().unwrap_or_default()).into_owned(),
        ),
        None => (None, String::new()),
    };
    Some(TagInfo {
        name: name.to_string(),
        commit: commit.id(),
        annotated: tag.is_some(),
        tagger,
        message,
        commit_time: commit.time().seconds(),
    })
}

/// The id of the object at `path` in a commit's tree (a blob for a file, a tree for a
/// folder), or `None` when nothing is there: two commits hold the same version of a path
/// exactly when these ids are equal.
pub fn path_id(repo: &Repository, commit: Oid, path: &str) -> Result<Option<Oid>, StoreError> {
    entry_id(&repo.find_commit(commit)?, path)
}

/// One commit as history pages show it.
pub fn commit_info(repo: &Repository, commit: Oid) -> Result<CommitInfo, StoreError> {
    Ok(CommitInfo::of(&repo.find_commit(commit)?))
}

/// Creates the annotated tag `name` (e.g. `rounds/2021-04`) on commit `target`, with
/// `tagger` and `message`. Refused with [`StoreError::TagExists`] when a tag of that name
/// exists: tags are never moved or replaced (nor deleted: there is no function for it).
pub fn create_tag(
    repo: &Repository,
    name: &str,
    target: Oid,
    tagger: &Signature,
    message: &str,
) -> Result<Oid, StoreError> {
    let refname = format!("refs/tags/{name}");
    if !git2::Reference::is_valid_name(&refname) {
        return Err(StoreError::UnknownRef(name.to_string()));
    }
    if tag(repo, name)?.is_some() {
        return Err(StoreError::TagExists(name.to_string()));
    }
    let object = repo.find_object(target, Some(ObjectType::Commit))?;
    // force = false: libgit2 refuses (Exists) if the tag appeared since our look.
    match repo.tag(name, &object, &tagger.to_git()?, message, false) {
        Ok(oid) => Ok(oid),
        Err(e) if e.code() == ErrorCode::Exists => Err(StoreError::TagExists(name.to_string())),
        Err(e) => Err(e.into()),
    }
}

/// The tag `name`, if it exists (and points at a commit).
pub fn tag(repo: &Repository, name: &str) -> Result<Option<TagInfo>, StoreError> {
    let reference = match repo.find_reference(&format!("refs/tags/{name}")) {
        Ok(r) => r,
        Err(e) if matches!(e.code(), ErrorCode::NotFound | ErrorCode::InvalidSpec) => {
            return Ok(None)
        }
        Err(e) => return Err(e.into()),
    };
    Ok(tag_info(repo, name, &reference))
}

/// The names of the tags that start with `prefix` (e.g. `rounds/`), sorted.
pub fn tag_names(repo: &Repository, prefix: &str) -> Result<Vec<String>, StoreError> {
    let mut out = Vec::new();
    for r in repo.references_glob(&format!("refs/tags/{prefix}*"))? {
        let r = r?;
        if let Ok(name) = r.name() {
            out.push(name.trim_start_matches("refs/tags/").to_string());
        }
    }
    out.sort();
    Ok(out)
}

/// The commit on `head`'s first-parent line whose first parent is `parent`, with its message,
/// looking at most `limit` commits back; `None` when `parent` is not on that line that close.
/// How the live editor finds the checkpoint commit it wrote just before a crash.
pub fn first_parent_child(
    repo: &Repository,
    head: Oid,
    parent: Oid,
    limit: usize,
) -> Result<Option<(Oid, String)>, StoreError> {
    let mut commit = repo.find_commit(head)?;
    for _ in 0..limit {
        let Ok(first) = commit.parent(0) else {
            return Ok(None);
        };
        if first.id() == parent {
            let message = String::from_utf8_lossy(commit.message_bytes()).into_owned();
            return Ok(Some((commit.id(), message)));
        }
        commit = first;
    }
    Ok(None)
}

/// How many commits on the line from `head` (commits `since` does not reach) changed `path`:
/// a commit counts when the path's blob differs from its first parent's (or, for a root
/// commit, when the path exists). What "the master changed N times since it was synced" counts.
pub fn commits_touching_since(
    repo: &Repository,
    head: Oid,
    since: Oid,
    path: &str,
) -> Result<usize, StoreError> {
    let mut walk = repo.revwalk()?;
    walk.push(head)?;
    walk.hide(since)?;
    let mut count = 0;
    for oid in walk {
        let commit = repo.find_commit(oid?)?;
        let here = entry_id(&commit, path)?;
        let changed = match commit.parent(0) {
            Err(_) => here.is_some(),
            Ok(first) => entry_id(&first, path)? != here,
        };
        if changed {
            count += 1;
        }
    }
    Ok(count)
}
