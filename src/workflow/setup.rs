//! Setting up plan repositories: `codraft init` (the files of `repo-template/`, committed
//! first) and the demo plan (Taiwan's 2021–2024 action plan from `demo/`, with a realistic
//! history replayed from `demo/history.toml`). Both are compiled into the binary.

use std::path::{Path, PathBuf};

use include_dir::{include_dir, Dir};
use serde::Deserialize;

use crate::store::{git, FileChange, Oid, Signature, StoreError};

/// The bare repository's folder inside a data directory.
pub const REPO_DIR: &str = "plan.git";

static TEMPLATE: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/repo-template");
static DEMO: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/demo");

#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("{0} already holds a plan repository")]
    AlreadyExists(PathBuf),
    #[error("demo/history.toml: {0}")]
    History(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The repository of a data directory.
pub fn repo_path(data_dir: &Path) -> PathBuf {
    data_dir.join(REPO_DIR)
}

/// Every file of an embedded folder, with paths relative to it.
fn files_of(dir: &'static Dir<'static>, skip: &[&str]) -> Vec<FileChange> {
    let mut out = Vec::new();
    let mut stack = vec![dir];
    while let Some(d) = stack.pop() {
        stack.extend(d.dirs());
        for f in d.files() {
            let path = f.path().to_string_lossy().replace('\\', "/");
            if !skip.contains(&path.as_str()) {
                out.push(FileChange {
                    path,
                    content: Some(f.contents().to_vec()),
                });
            }
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

/// `codraft init`: a new bare repository in `data_dir/plan.git` whose first commit on `main`
/// holds `repo-template/`. Returns that commit.
pub fn init(data_dir: &Path, author: &Signature) -> Result<Oid, SetupError> {
    let path = repo_path(data_dir);
    if path.exists() {
        return Err(SetupError::AlreadyExists(path));
    }
    let repo = git::init_bare(&path)?;
    let message =
        "建立行動方案儲存庫 Create the plan repository\n\nFiles from codraft's repo-template.\n";
    Ok(git::commit(
        &repo,
        "main",
        None,
        &files_of(&TEMPLATE, &[]),
        author,
        message,
    )?)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct History {
    import: Step,
    #[serde(default)]
    commit: Vec<Step>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Step {
    author: String,
    email: String,
    /// RFC 3339 with an offset: `2020-11-18T15:20:00+08:00`.
    date: String,
    message: String,
    #[serde(default)]
    edit: Vec<Edit>,
    /// Files this commit adds, taken from `demo/later/<file>`.
    #[serde(default)]
    add: Vec<Add>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Add {
    file: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Edit {
    file: String,
    find: String,
    replace: String,
}

fn signature(step: &Step) -> Result<Signature, SetupError> {
    let bad = |e: String| SetupError::History(format!("date \"{}\": {e}", step.date));
    let ts: jiff::Timestamp = step
        .date
        .parse()
        .map_err(|e: jiff::Error| bad(e.to_string()))?;
    let offset = step
        .date
        .get(step.date.len().saturating_sub(6)..)
        .unwrap_or("");
    let sign = if offset.starts_with('-') { -1 } else { 1 };
    let hours: i32 = offset
        .get(1..3)
        .and_then(|h| h.parse().ok())
        .ok_or_else(|| bad("needs an offset such as +08:00".into()))?;
    let minutes: i32 = offset
        .get(4..6)
        .and_then(|m| m.parse().ok())
        .ok_or_else(|| bad("needs an offset such as +08:00".into()))?;
    Ok(Signature {
        name: step.author.clone(),
        email: step.email.clone(),
        seconds: ts.as_second(),
        offset_minutes: sign * (hours * 60 + minutes),
    })
}

/// Creates the demo plan in `data_dir` unless it is already there. Returns whether it built it.
pub fn demo(data_dir: &Path) -> Result<bool, SetupError> {
    if repo_path(data_dir).exists() {
        return Ok(false);
    }
    let history_text = DEMO
        .get_file("history.toml")
        .and_then(|f| f.contents_utf8())
        .ok_or_else(|| SetupError::History("missing".into()))?;
    let history: History =
        toml::from_str(history_text).map_err(|e| SetupError::History(e.to_string()))?;

    // Build in a temporary folder and rename, so that a failed build leaves nothing behind.
    std::fs::create_dir_all(data_dir)
        .map_err(|e| SetupError::History(format!("{}: {e}", data_dir.display())))?;
    let building = data_dir.join(format!("{REPO_DIR}.building"));
    let _ = std::fs::remove_dir_all(&building);
    let result = build_demo(&building, &history);
    match result {
        Ok(()) => {
            std::fs::rename(building.join(REPO_DIR), repo_path(data_dir)).map_err(|e| {
                SetupError::History(format!("cannot move the demo repository in place: {e}"))
            })?;
            let _ = std::fs::remove_dir_all(&building);
            Ok(true)
        }
        Err(e) => {
            let _ = std::fs::remove_dir_all(&building);
            Err(e)
        }
    }
}

/// Files under `demo/later/` are not imported; history commits add them (`[[commit.add]]`).
const LATER: &str = "later/";

fn build_demo(dir: &Path, history: &History) -> Result<(), SetupError> {
    let mut first = signature(&history.import)?;
    first.seconds -= 3600;
    let mut head = init(dir, &first)?;
    let repo = git2::Repository::open_bare(repo_path(dir)).map_err(StoreError::from)?;

    let import: Vec<FileChange> = files_of(&DEMO, &["history.toml"])
        .into_iter()
        .filter(|f| !f.path.starts_with(LATER))
        .collect();
    head = git::commit(
        &repo,
        "main",
        Some(head),
        &import,
        &signature(&history.import)?,
        &history.import.message,
    )?;

    for (n, step) in history.commit.iter().enumerate() {
        let mut changes: Vec<FileChange> = Vec::new();
        for edit in &step.edit {
            let current = match changes.iter().find(|c| c.path == edit.file) {
                Some(c) => c.content.clone(),
                None => git::read_file(&repo, head, &edit.file)?,
            };
            let text = current
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| {
                    SetupError::History(format!("commit {}: no file {}", n + 1, edit.file))
                })?;
            if text.matches(edit.find.as_str()).count() != 1 {
                return Err(SetupError::History(format!(
                    "commit {}: \"{}\" must occur exactly once in {}",
                    n + 1,
                    edit.find,
                    edit.file
                )));
            }
            let text = text.replacen(&edit.find, &edit.replace, 1).into_bytes();
            changes.retain(|c| c.path != edit.file);
            changes.push(FileChange {
                path: edit.file.clone(),
                content: Some(text),
            });
        }
        for add in &step.add {
            let source = DEMO
                .get_file(format!("{LATER}{}", add.file))
                .ok_or_else(|| {
                    SetupError::History(format!(
                        "commit {}: no file demo/{LATER}{}",
                        n + 1,
                        add.file
                    ))
                })?;
            changes.push(FileChange {
                path: add.file.clone(),
                content: Some(source.contents().to_vec()),
            });
        }
        if changes.is_empty() {
            return Err(SetupError::History(format!(
                "commit {} changes nothing",
                n + 1
            )));
        }
        head = git::commit(
            &repo,
            "main",
            Some(head),
            &changes,
            &signature(step)?,
            &step.message,
        )?;
    }
    Ok(())
}
