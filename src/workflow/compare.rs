//! What changed in the plan between two commits: the commitments whose files differ, each
//! diffed per language and per section ([`crate::diff`]), and the other files that changed.
//! Used for a proposal against its base and for any two refs (branches, tags, commits).

use std::time::{Duration, Instant};

use serde::Serialize;

use crate::diff::{self, DocumentDiff};
use crate::store::{git, Oid};

use super::plan::{PlanReader, PlanSnapshot, COMMITMENTS_DIR};
use super::WorkflowError;

/// How long one comparison may spend diffing before it settles for coarser diffs.
pub const DIFF_TIMEOUT: Duration = Duration::from_millis(500);

/// The plan-wide diff between two commits.
#[derive(Debug, Clone, Serialize)]
pub struct PlanDiff {
    pub from: String,
    pub to: String,
    pub commitments: Vec<CommitmentDiff>,
    /// Changed files outside `commitments/` (plan.toml, forum/…).
    pub other_files: Vec<String>,
    /// Some diff hit the time limit and is coarser than usual.
    pub timed_out: bool,
}

/// One commitment's changes, per language (master first).
#[derive(Debug, Clone, Serialize)]
pub struct CommitmentDiff {
    pub id: String,
    pub number: Option<u32>,
    /// The title on the newer side (or the older, when deleted).
    pub title: String,
    pub documents: Vec<LanguageDiff>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LanguageDiff {
    pub lang: String,
    pub diff: Option<DocumentDiff>,
    /// The document is invalid on one side (no diff; the problems are on its page).
    pub invalid: bool,
}

/// Diffs the plan at `from` against the plan at `to`.
pub async fn compare(reader: &PlanReader, from: Oid, to: Oid) -> Result<PlanDiff, WorkflowError> {
    let old = reader.at(&from.to_string()).await?;
    let new = reader.at(&to.to_string()).await?;
    let paths = reader
        .store()
        .read(move |repo| git::changed_paths(repo, from, to))
        .await?;
    let deadline = Instant::now() + DIFF_TIMEOUT;
    let mut ids: Vec<String> = Vec::new();
    let mut other_files = Vec::new();
    for path in &paths {
        match path.strip_prefix(&format!("{COMMITMENTS_DIR}/")) {
            Some(rest) if !rest.starts_with('_') => {
                let id = rest.split('/').next().unwrap_or(rest).to_string();
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
            _ => other_files.push(path.clone()),
        }
    }
    let master = new.master_language().to_string();
    let mut commitments = Vec::new();
    let mut timed_out = false;
    for id in ids {
        if let Some(c) = commitment_diff(&old, &new, &id, &master, deadline) {
            timed_out |= c
                .documents
                .iter()
                .any(|d| d.diff.as_ref().is_some_and(|d| d.timed_out));
            commitments.push(c);
        }
    }
    commitments.sort_by_key(|c| (c.number.unwrap_or(u32::MAX), c.id.clone()));
    Ok(PlanDiff {
        from: from.to_string(),
        to: to.to_string(),
        commitments,
        other_files,
        timed_out,
    })
}

/// One commitment's changes between two snapshots, per language (master first); `None` when
/// none of its documents changed.
fn commitment_diff(
    old: &PlanSnapshot,
    new: &PlanSnapshot,
    id: &str,
    master: &str,
    deadline: Instant,
) -> Option<CommitmentDiff> {
    let (o, n) = (old.commitment(id), new.commitment(id));
    let mut langs: Vec<String> = o
        .iter()
        .chain(n.iter())
        .flat_map(|e| e.versions.keys().cloned())
        .collect();
    langs.sort_by_key(|l| (l != master, l.clone()));
    langs.dedup();
    let mut documents = Vec::new();
    for lang in langs {
        let before = o.and_then(|e| e.versions.get(&lang));
        let after = n.and_then(|e| e.versions.get(&lang));
        let invalid = matches!(before, Some(Err(_))) || matches!(after, Some(Err(_)));
        let diff = if invalid {
            None
        } else {
            let before = before.and_then(|v| v.as_ref().ok()).map(|c| c.as_ref());
            let after = after.and_then(|v| v.as_ref().ok()).map(|c| c.as_ref());
            let d = diff::diff_commitments(before, after, &lang, deadline);
            if d.status == diff::Status::Unchanged {
                continue;
            }
            Some(d)
        };
        documents.push(LanguageDiff {
            lang,
            diff,
            invalid,
        });
    }
    if documents.is_empty() {
        return None;
    }
    let master_doc = n
        .and_then(|e| e.master(master))
        .or_else(|| o.and_then(|e| e.master(master)));
    Some(CommitmentDiff {
        number: master_doc.map(|c| c.front.number),
        title: master_doc.map_or_else(|| id.to_string(), |c| c.front.title.clone()),
        id: id.to_string(),
        documents,
    })
}

/// One commitment's changes between the plan at `from` and at `to` (`None`: unchanged).
pub async fn compare_commitment(
    reader: &PlanReader,
    from: Oid,
    to: Oid,
    id: &str,
) -> Result<Option<CommitmentDiff>, WorkflowError> {
    let old = reader.at(&from.to_string()).await?;
    let new = reader.at(&to.to_string()).await?;
    let master = new.master_language().to_string();
    Ok(commitment_diff(
        &old,
        &new,
        id,
        &master,
        Instant::now() + DIFF_TIMEOUT,
    ))
}
