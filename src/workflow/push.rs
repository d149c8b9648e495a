//! Pushes over git's HTTP protocol: what a push may change, checked before any ref moves
//! ([`check_push`], run by the repository's `pre-receive` hook through `codraft hook
//! pre-receive`), and the proposal a pushed branch becomes once it moved ([`adopt_branch`]).
//!
//! **Rules** (for pushes made through codraft's HTTP server, which names the pusher):
//! - `main` moves only by merging an approved proposal, `records` only through codraft, and
//!   tags are never pushed (round tags are written when a round closes): refused.
//! - Deleting a branch is refused (a proposal is closed, not deleted).
//! - A branch of a merged or closed proposal is refused.
//! - Any other branch: the pushed commit's plan must load, and every document the branch
//!   changes (against its merge base with `main`) must be valid; the pusher must be allowed to
//!   write each changed document (the same rule as proposals: [`may_draft`], [`may_delete`]);
//!   files outside `commitments/` are for the secretariat.
//!
//! Knows nothing of HTTP; reads git through git2 (the hook runs in git's own process, with the
//! pushed objects in a quarantine directory that is added as an alternate).

use std::collections::BTreeSet;

use crate::auth::{Role, User};
use crate::store::{git, Oid, StoreError};

use super::plan::{self, CommitFiles, COMMITMENTS_DIR};
use super::proposal::{may_delete, may_draft, signature, MAIN};
use super::records::{self, ProposalRecord, ProposalState, RECORDS_BRANCH};
use super::WorkflowError;

/// One line of what `pre-receive` reads: old and new object ids and the ref.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefUpdate {
    pub old: String,
    pub new: String,
    pub name: String,
}

const ZERO: &str = "0000000000000000000000000000000000000000";

/// Parses `pre-receive`'s standard input.
pub fn parse_updates(input: &str) -> Vec<RefUpdate> {
    input
        .lines()
        .filter_map(|l| {
            let mut parts = l.split_whitespace();
            Some(RefUpdate {
                old: parts.next()?.to_string(),
                new: parts.next()?.to_string(),
                name: parts.next()?.to_string(),
            })
        })
        .collect()
}

/// Why each refused update is refused (empty: the push may go ahead).
pub fn check_push(repo: &git2::Repository, user: &User, updates: &[RefUpdate]) -> Vec<String> {
    let mut refusals = Vec::new();
    for u in updates {
        if let Err(why) = check_update(repo, user, u) {
            refusals.push(format!("{}: {why}", u.name));
        }
    }
    refusals
}

fn check_update(repo: &git2::Repository, user: &User, u: &RefUpdate) -> Result<(), String> {
    let Some(branch) = u.name.strip_prefix("refs/heads/") else {
        return Err(if u.name.starts_with("refs/tags/") {
            "tags are not pushed: a round's tag is written when the forum closes the round".into()
        } else {
            "only branches are pushed".into()
        });
    };
    if branch == MAIN {
        return Err(
            "main moves only by merging an approved proposal: push a branch of your own and \
             it becomes a proposal"
                .into(),
        );
    }
    if branch == RECORDS_BRANCH {
        return Err("the records branch is written by codraft only".into());
    }
    if u.new == ZERO {
        return Err("branches are not deleted by push: close the proposal instead".into());
    }
    if !(user.has(Role::Admin) || user.has(Role::Drafter) || user.has(Role::Translator)) {
        return Err(format!(
            "{} has no drafting rights (drafter, translator or secretariat)",
            user.id
        ));
    }
    let err = |e: StoreError| e.to_string();
    if let Some(p) = proposal_of(repo, branch).map_err(err)? {
        if p.state != ProposalState::Open {
            return Err(format!(
                "proposal #{} on this branch is {}: push a new branch",
                p.number,
                match p.state {
                    ProposalState::Merged => "merged",
                    _ => "closed",
                }
            ));
        }
    }
    let new = Oid::from_str(&u.new).map_err(|e| e.to_string())?;
    let main = git::resolve(repo, MAIN).map_err(err)?;
    let base = git::merge_base(repo, main, new)
        .map_err(err)?
        .ok_or("the branch shares no history with main: clone the plan and branch from it")?;
    let after = plan::load(&CommitFiles { repo, commit: new }, new).map_err(|e| e.to_string())?;
    let before =
        plan::load(&CommitFiles { repo, commit: base }, base).map_err(|e| e.to_string())?;
    let master = before.master_language().to_string();
    let changed = git::changed_paths(repo, base, new).map_err(err)?;
    let changed_set: BTreeSet<&str> = changed.iter().map(String::as_str).collect();
    let mut why = Vec::new();
    for p in after
        .problems
        .iter()
        .filter(|p| changed_set.contains(p.file.as_str()))
    {
        why.push(p.to_string());
    }
    let mut deleted: BTreeSet<String> = BTreeSet::new();
    for path in &changed {
        let parts: Vec<&str> = path.split('/').collect();
        match parts.as_slice() {
            [dir, id, file] if *dir == COMMITMENTS_DIR && file.ends_with(".md") => {
                let lang = file.trim_end_matches(".md");
                let exists_before = before.commitment(id).is_some();
                let exists_after = after.commitment(id).is_some();
                if exists_before && !exists_after {
                    if deleted.insert(id.to_string()) && !may_delete(user, id) {
                        why.push(format!("{} may not delete commitment {id}", user.id));
                    }
                } else if !may_draft(user, id, lang, &master, exists_before) {
                    why.push(format!("{} may not write {path}", user.id));
                }
            }
            _ if user.has(Role::Admin) => {}
            _ => why.push(format!(
                "{path}: only the secretariat changes files outside the commitments' documents"
            )),
        }
    }
    if changed.is_empty() {
        why.push("the branch changes nothing against main".into());
    }
    if why.is_empty() {
        Ok(())
    } else {
        Err(why.join("\n  "))
    }
}

/// The proposal whose branch is `branch`, if any.
fn proposal_of(
    repo: &git2::Repository,
    branch: &str,
) -> Result<Option<ProposalRecord>, StoreError> {
    Ok(records::proposals(repo)?
        .into_iter()
        .find(|p| p.branch == branch))
}

/// After a push moved `branch`: the proposal it is (an existing open one: unchanged), or a new
/// one opened by `user`, titled by the head commit's summary and described by its body.
pub fn adopt_branch(
    repo: &git2::Repository,
    user: &User,
    branch: &str,
    now: i64,
) -> Result<(ProposalRecord, bool), WorkflowError> {
    if let Some(p) = proposal_of(repo, branch)? {
        return Ok((p, false));
    }
    let head = git::branch_head(repo, branch)?
        .ok_or_else(|| WorkflowError::NotFound(format!("no branch {branch}")))?;
    let main = git::resolve(repo, MAIN)?;
    let base = git::merge_base(repo, main, head)?.unwrap_or(main);
    let info = git::commit_info(repo, head)?;
    let body = info
        .message
        .split_once('\n')
        .map(|(_, b)| b.trim().to_string())
        .unwrap_or_default();
    let touched: BTreeSet<String> = git::changed_paths(repo, base, head)?
        .iter()
        .filter_map(|p| {
            let mut parts = p.split('/');
            (parts.next() == Some(COMMITMENTS_DIR))
                .then(|| parts.next().map(str::to_string))
                .flatten()
        })
        .collect();
    let record = ProposalRecord {
        number: records::next_number(repo)?,
        branch: branch.to_string(),
        title: info.summary.chars().take(200).collect(),
        description: body,
        author: user.id.clone(),
        author_name: user.name.clone(),
        author_sector: user.sector,
        commitments: touched.into_iter().collect(),
        state: ProposalState::Open,
        opened_at: now,
        base: base.to_string(),
        merged: None,
        closed: None,
    };
    records::save_proposal(
        repo,
        &record,
        &signature(user),
        &format!(
            "Proposal #{} opened by push: {}",
            record.number, record.title
        ),
    )?;
    Ok((record, true))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pre_receive_input() {
        let u = parse_updates(&format!("{ZERO} {} refs/heads/x\n\nbad\n", "a".repeat(40)));
        assert_eq!(u.len(), 1);
        assert_eq!(u[0].name, "refs/heads/x");
    }
}
