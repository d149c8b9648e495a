//! Comments on a commitment or one of its sections by signed-in people. A comment names its
//! section by the section's stable id (`{#problem}`), so it stays with the section across every
//! edit of its text; a comment whose section was later removed is still listed, as such.
//!
//! **Where it lives**: `comments/<commitment>/<n>.toml` on the `records` branch (numbered per
//! commitment; one commit per comment, authored by the commenter; the secretariat may hide a
//! comment with a public reason, a commit too). Owns: the comment record, its validation and
//! who may write or hide. Knows nothing of HTTP.

use serde::{Deserialize, Serialize};

use crate::auth::{Role, Sector, User};
use crate::store::{git, FileChange, Store, StoreError};

use super::plan::{self, CommitFiles};
use super::proposal::{signature, MAIN};
use super::records::{self, read_toml, to_toml};
use super::{Clock, WorkflowError};

pub const MAX_BODY_CHARS: usize = 5_000;

/// A moderator's decision to hide a comment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hidden {
    pub reason: String,
    pub by: String,
    pub at: i64,
}

/// One comment as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommentRecord {
    pub number: u32,
    pub commitment: String,
    /// The section's stable id; none for the commitment as a whole.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub section: Option<String>,
    pub body: String,
    pub author: String,
    pub author_name: String,
    pub author_sector: Sector,
    pub at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hidden: Option<Hidden>,
}

impl CommentRecord {
    /// As the public sees it: a hidden comment without its body.
    pub fn public(&self) -> CommentRecord {
        let mut c = self.clone();
        if c.hidden.is_some() {
            c.body = String::new();
        }
        c
    }
}

fn dir(commitment: &str) -> String {
    format!("comments/{commitment}")
}

fn path(commitment: &str, number: u32) -> String {
    format!("comments/{commitment}/{number}.toml")
}

/// Comments on commitments. Cheap to clone.
#[derive(Clone)]
pub struct Comments {
    store: Store,
    clock: Clock,
}

impl Comments {
    pub fn new(store: Store, clock: Clock) -> Comments {
        Comments { store, clock }
    }

    /// Every comment on `commitment`, oldest first (hidden ones included; show
    /// [`CommentRecord::public`]).
    pub async fn list(&self, commitment: &str) -> Result<Vec<CommentRecord>, WorkflowError> {
        let id = commitment.to_string();
        Ok(self.store.read(move |repo| all(repo, &id)).await?)
    }

    /// Adds a comment by a signed-in person on `commitment` (and `section`) as it is on `main`.
    pub async fn add(
        &self,
        user: User,
        commitment: &str,
        section: Option<String>,
        body: String,
    ) -> Result<CommentRecord, WorkflowError> {
        let body = body.replace("\r\n", "\n").trim().to_string();
        if body.is_empty() {
            return Err(WorkflowError::bad_input(
                "missing_field",
                "the comment is empty",
            ));
        }
        if body.chars().count() > MAX_BODY_CHARS {
            return Err(WorkflowError::bad_input(
                "too_long",
                format!("a comment is at most {MAX_BODY_CHARS} characters"),
            ));
        }
        if body
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t')
        {
            return Err(WorkflowError::bad_input(
                "bad_text",
                "the comment holds control characters",
            ));
        }
        let section = section
            .map(|s| s.trim().trim_start_matches('#').to_string())
            .filter(|s| !s.is_empty());
        let id = commitment.to_string();
        let at = (self.clock)();
        self.store
            .write(move |repo| {
                Ok((|| {
                    let head = git::resolve(repo, MAIN)?;
                    let snap = plan::load(&CommitFiles { repo, commit: head }, head)?;
                    let master = snap
                        .commitment(&id)
                        .ok_or_else(|| WorkflowError::NotFound(format!("no commitment \"{id}\"")))?
                        .master(snap.master_language())
                        .ok_or_else(|| {
                            WorkflowError::rejected(
                                "invalid_master",
                                format!("the master of {id} is not valid"),
                            )
                        })?;
                    if let Some(s) = &section {
                        if !master.sections.iter().any(|x| &x.id == s) {
                            return Err(WorkflowError::NotFound(format!(
                                "commitment {id} has no section \"{s}\""
                            )));
                        }
                    }
                    let number = all(repo, &id)?.last().map_or(1, |c| c.number + 1);
                    let record = CommentRecord {
                        number,
                        commitment: id.clone(),
                        section: section.clone(),
                        body: body.clone(),
                        author: user.id.clone(),
                        author_name: user.name.clone(),
                        author_sector: user.sector,
                        at,
                        hidden: None,
                    };
                    let place = section.as_ref().map_or(String::new(), |s| format!("#{s}"));
                    save(
                        repo,
                        &record,
                        &signature(&user),
                        &format!("Comment {number} on {id}{place}"),
                    )?;
                    Ok(record)
                })())
            })
            .await?
    }

    /// The secretariat hides a comment with a public reason.
    pub async fn hide(
        &self,
        user: User,
        commitment: &str,
        number: u32,
        reason: String,
    ) -> Result<CommentRecord, WorkflowError> {
        if !user.has(Role::Admin) {
            return Err(WorkflowError::Forbidden(
                "only the secretariat moderates comments".into(),
            ));
        }
        let reason = reason.trim().to_string();
        if reason.is_empty() || reason.chars().count() > 1000 {
            return Err(WorkflowError::bad_input(
                "missing_field",
                "give a public reason (at most 1,000 characters)",
            ));
        }
        let id = commitment.to_string();
        let at = (self.clock)();
        self.store
            .write(move |repo| {
                Ok((|| {
                    let mut c: CommentRecord = match records::head(repo)? {
                        Some(h) => read_toml(repo, h, &path(&id, number))?,
                        None => None,
                    }
                    .ok_or_else(|| {
                        WorkflowError::NotFound(format!("no comment {number} on {id}"))
                    })?;
                    if c.hidden.is_some() {
                        return Err(WorkflowError::conflict(
                            "hidden",
                            format!("comment {number} is hidden already"),
                        ));
                    }
                    c.hidden = Some(Hidden {
                        reason: reason.clone(),
                        by: user.id.clone(),
                        at,
                    });
                    save(
                        repo,
                        &c,
                        &signature(&user),
                        &format!("Comment {number} on {id} hidden: {reason}"),
                    )?;
                    Ok(c)
                })())
            })
            .await?
    }
}

fn all(repo: &git2::Repository, commitment: &str) -> Result<Vec<CommentRecord>, StoreError> {
    let Some(head) = records::head(repo)? else {
        return Ok(Vec::new());
    };
    let mut numbers: Vec<u32> = git::list_dir(repo, head, &dir(commitment))?
        .iter()
        .filter_map(|n| n.strip_suffix(".toml")?.parse().ok())
        .collect();
    numbers.sort_unstable();
    let mut out = Vec::new();
    for n in numbers {
        if let Some(c) = read_toml(repo, head, &path(commitment, n))? {
            out.push(c);
        }
    }
    Ok(out)
}

fn save(
    repo: &git2::Repository,
    c: &CommentRecord,
    sig: &crate::store::Signature,
    message: &str,
) -> Result<(), WorkflowError> {
    records::commit(
        repo,
        vec![FileChange {
            path: path(&c.commitment, c.number),
            content: Some(to_toml(c)),
        }],
        sig,
        message,
    )?;
    Ok(())
}
