//! The approval trail: proposals and their reviews, kept as TOML files on the `records` branch
//! of the plan repository, one commit per event, authored by the person who acted. A plain
//! `git clone` carries the branch, so anyone can audit who proposed what, who approved which
//! head, and what was merged. Forum rounds keep their records on the same branch
//! ([`super::rounds`]).
//!
//! ```text
//! records branch
//!   README.md
//!   proposals/3/proposal.toml        <- title, author, branch, state, merge
//!   proposals/3/reviews/0001.toml    <- one file per review, never rewritten
//!   rounds/msf-2/round.toml          <- a forum round: agenda, pinned commit, outcome
//!   rounds/msf-2/votes/<member>.toml <- one file per member, overwritten when the vote changes
//! ```
//!
//! The functions here are synchronous and take a `git2::Repository`: writes run on the
//! store's writer thread (so numbering is race-free), reads on the blocking pool.

use serde::{Deserialize, Serialize};

use crate::auth::Sector;
use crate::store::{git, FileChange, Oid, Signature, StoreError};

use super::WorkflowError;

/// The branch that holds the trail.
pub const RECORDS_BRANCH: &str = "records";

const README: &str = "# The approval trail / 審查紀錄\n\n\
This branch is written by codraft. `proposals/<n>/proposal.toml` describes proposal n \
(a branch `proposals/<n>-<slug>` of this repository); `proposals/<n>/reviews/` holds every \
review given on it, each bound to the proposal head it was given on. Merges into `main` \
name their approvers in `Approved-by:` trailers. `rounds/<name>/round.toml` describes a \
forum round (a meeting and its vote on one pinned commit) and `rounds/<name>/votes/` holds \
each member's vote; a round that reached consensus is the annotated tag `rounds/<name>`.\n\n\
本分支由 codraft 寫入：每一項修正提案的說明，以及每一次審查（綁定於當時的提案版本）；\
每一次論壇會議的議程、表決版本與每位委員的表決。\n";

/// Where a proposal is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProposalState {
    Open,
    Merged,
    Closed,
}

/// A proposal as recorded on the trail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProposalRecord {
    pub number: u32,
    /// `proposals/<n>-<slug>`.
    pub branch: String,
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// The author's login id, name and sector.
    pub author: String,
    pub author_name: String,
    pub author_sector: Sector,
    /// The commitments the proposal touches, as of its last update through codraft.
    #[serde(default)]
    pub commitments: Vec<String>,
    pub state: ProposalState,
    /// Seconds since the epoch.
    pub opened_at: i64,
    /// `main` when the proposal was opened.
    pub base: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merged: Option<MergeRecord>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed: Option<CloseRecord>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MergeRecord {
    /// The merge commit on `main`.
    pub commit: String,
    /// The proposal head that was merged.
    pub head: String,
    pub by: String,
    pub by_name: String,
    pub at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CloseRecord {
    pub by: String,
    pub by_name: String,
    pub at: i64,
}

/// What a reviewer says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Approve,
    RequestChanges,
    Comment,
}

impl std::str::FromStr for Verdict {
    type Err = String;
    fn from_str(s: &str) -> Result<Verdict, String> {
        match s {
            "approve" => Ok(Verdict::Approve),
            "request_changes" => Ok(Verdict::RequestChanges),
            "comment" => Ok(Verdict::Comment),
            _ => Err(format!(
                "\"{s}\" is not a verdict (approve, request_changes or comment)"
            )),
        }
    }
}

/// One review, bound to the proposal head it was given on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewRecord {
    /// 1-based, in the order given.
    pub number: u32,
    pub reviewer: String,
    pub reviewer_name: String,
    pub reviewer_sector: Sector,
    pub verdict: Verdict,
    /// The proposal head the reviewer saw.
    pub head: String,
    /// `<commitment id>#<section id>` (or just a commitment id) the review points at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub section: Option<String>,
    #[serde(default)]
    pub body: String,
    pub at: i64,
}

fn proposal_path(number: u32) -> String {
    format!("proposals/{number}/proposal.toml")
}

fn review_path(proposal: u32, review: u32) -> String {
    format!("proposals/{proposal}/reviews/{review:04}.toml")
}

pub(super) fn corrupt(path: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Git(git2::Error::from_str(&format!(
        "records branch: {path} is unreadable: {e}"
    )))
}

pub(super) fn read_toml<T: serde::de::DeserializeOwned>(
    repo: &git2::Repository,
    head: Oid,
    path: &str,
) -> Result<Option<T>, StoreError> {
    let Some(bytes) = git::read_file(repo, head, path)? else {
        return Ok(None);
    };
    let text = String::from_utf8(bytes).map_err(|e| corrupt(path, e))?;
    toml::from_str(&text)
        .map(Some)
        .map_err(|e| corrupt(path, e))
}

pub(super) fn to_toml<T: Serialize>(value: &T) -> Vec<u8> {
    toml::to_string(value)
        .expect("records serialize to TOML")
        .into_bytes()
}

/// The head of the records branch, if anything was recorded yet.
pub fn head(repo: &git2::Repository) -> Result<Option<Oid>, StoreError> {
    git::branch_head(repo, RECORDS_BRANCH)
}

/// Every proposal, newest first.
pub fn proposals(repo: &git2::Repository) -> Result<Vec<ProposalRecord>, StoreError> {
    let Some(head) = head(repo)? else {
        return Ok(Vec::new());
    };
    let mut numbers: Vec<u32> = git::list_dir(repo, head, "proposals")?
        .iter()
        .filter_map(|n| n.parse().ok())
        .collect();
    numbers.sort_unstable_by(|a, b| b.cmp(a));
    let mut out = Vec::new();
    for n in numbers {
        if let Some(p) = read_toml(repo, head, &proposal_path(n))? {
            out.push(p);
        }
    }
    Ok(out)
}

/// One proposal, if it exists.
pub fn proposal(
    repo: &git2::Repository,
    number: u32,
) -> Result<Option<ProposalRecord>, StoreError> {
    match head(repo)? {
        Some(head) => read_toml(repo, head, &proposal_path(number)),
        None => Ok(None),
    }
}

/// The reviews of a proposal, oldest first.
pub fn reviews(repo: &git2::Repository, number: u32) -> Result<Vec<ReviewRecord>, StoreError> {
    let Some(head) = head(repo)? else {
        return Ok(Vec::new());
    };
    let dir = format!("proposals/{number}/reviews");
    let mut out = Vec::new();
    for name in git::list_dir(repo, head, &dir)? {
        if let Some(r) = read_toml(repo, head, &format!("{dir}/{name}"))? {
            out.push(r);
        }
    }
    out.sort_by_key(|r: &ReviewRecord| r.number);
    Ok(out)
}

/// The number the next proposal gets.
pub fn next_number(repo: &git2::Repository) -> Result<u32, StoreError> {
    let Some(head) = head(repo)? else {
        return Ok(1);
    };
    Ok(git::list_dir(repo, head, "proposals")?
        .iter()
        .filter_map(|n| n.parse::<u32>().ok())
        .max()
        .unwrap_or(0)
        + 1)
}

/// Commits `changes` to the records branch (creating it with its README on first use).
pub(super) fn commit(
    repo: &git2::Repository,
    mut changes: Vec<FileChange>,
    author: &Signature,
    message: &str,
) -> Result<Oid, WorkflowError> {
    let current = head(repo)?;
    if current.is_none() {
        changes.push(FileChange {
            path: "README.md".into(),
            content: Some(README.as_bytes().to_vec()),
        });
    }
    Ok(git::commit(
        repo,
        RECORDS_BRANCH,
        current,
        &changes,
        author,
        message,
    )?)
}

/// Writes a proposal's record (new or updated).
pub fn save_proposal(
    repo: &git2::Repository,
    record: &ProposalRecord,
    author: &Signature,
    message: &str,
) -> Result<Oid, WorkflowError> {
    commit(
        repo,
        vec![FileChange {
            path: proposal_path(record.number),
            content: Some(to_toml(record)),
        }],
        author,
        message,
    )
}

/// Adds a review; its number is the next one of the proposal.
pub fn add_review(
    repo: &git2::Repository,
    proposal: u32,
    mut review: ReviewRecord,
    author: &Signature,
) -> Result<ReviewRecord, WorkflowError> {
    review.number = reviews(repo, proposal)?.last().map_or(1, |r| r.number + 1);
    let short = &review.head[..review.head.len().min(10)];
    let verdict = match review.verdict {
        Verdict::Approve => "approve",
        Verdict::RequestChanges => "request changes",
        Verdict::Comment => "comment",
    };
    commit(
        repo,
        vec![FileChange {
            path: review_path(proposal, review.number),
            content: Some(to_toml(&review)),
        }],
        author,
        &format!("Review of proposal #{proposal}: {verdict} (head {short})"),
    )?;
    Ok(review)
}
