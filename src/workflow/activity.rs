//! What happened in the plan, read back from git: proposals opened, updated, reviewed, merged or
//! closed; forum rounds scheduled and closed; public input received and answered. Webhooks
//! ([`crate::webhooks`]) deliver these events.
//!
//! Events are **derived from the repository**, not emitted by the services that act: every way
//! of acting (a web form, the API, a `git push`, the live editor's save, another codraft
//! process on the same data) ends in a commit on the `records` branch or a moved proposal
//! branch, so comparing two [`Snapshot`]s of those refs finds every event, and a server that
//! was down finds on restart what happened while it was. Each event's id is derived from the
//! commit or record that caused it, so a receiver can drop a redelivered event.
//!
//! The price: `proposal.updated` is a branch seen at two looks with different heads, so
//! edits between two looks are one update (with the head at the second look), a proposal
//! edited in the moment it was opened is just opened, and one merged or closed by the next
//! look is not reported as updated. Records are never lost that way: every new or changed
//! record file gives its events.
//!
//! Owns nothing: synchronous functions over a `git2::Repository` (run them on the blocking
//! pool, e.g. through [`crate::store::Store::read`]).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::store::{git, Oid, StoreError};

use super::inputs::InputRecord;
use super::records::{self, ProposalRecord, ProposalState, ReviewRecord, Verdict};
use super::rounds::{Outcome, RoundRecord, RoundState};

/// Every kind of event, as webhook configurations name them.
pub const KINDS: &[&str] = &[
    "proposal.opened",
    "proposal.updated",
    "proposal.reviewed",
    "proposal.merged",
    "proposal.closed",
    "round.scheduled",
    "round.closed",
    "input.received",
    "input.answered",
];

/// The refs events are read from, as they stood at one moment.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// The head of the `records` branch.
    pub records: Option<String>,
    /// Every other branch (a proposal's: `proposals/<n>-<slug>`, or any name a `git push`
    /// gave it) → head.
    pub branches: BTreeMap<String, String>,
}

/// One thing that happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Stable across redeliveries and restarts, e.g. `proposal.merged:3:1f0c…`.
    pub id: String,
    /// One of [`KINDS`].
    pub kind: String,
    /// When it happened (seconds since the epoch), from the record.
    pub at: i64,
    /// Who acted: account id and name, when the record says.
    pub actor: Option<String>,
    pub actor_name: Option<String>,
    /// The page that shows it, e.g. `/proposals/3` (prefix the server's base URL).
    pub path: String,
    /// One line in Chinese and one in English, for chat messages.
    pub summary_zh: String,
    pub summary_en: String,
    /// The record itself (proposal, review with its proposal, round, input), as the API
    /// serves it.
    pub data: serde_json::Value,
}

/// The refs now.
pub fn snapshot(repo: &git2::Repository) -> Result<Snapshot, StoreError> {
    Ok(Snapshot {
        records: records::head(repo)?.map(|o| o.to_string()),
        branches: git::branches(repo, "")?
            .into_iter()
            .filter(|(name, _)| name != "main" && name != records::RECORDS_BRANCH)
            .map(|(name, oid)| (name, oid.to_string()))
            .collect(),
    })
}

fn oid(s: &str) -> Result<Oid, StoreError> {
    Oid::from_str(s).map_err(StoreError::from)
}

/// The events between two snapshots, in a stable order (records first, by path, then moved
/// proposal branches). A record added and changed between the two (an input received and
/// answered within a second) gives both events.
pub fn between(
    repo: &git2::Repository,
    old: &Snapshot,
    new: &Snapshot,
) -> Result<Vec<Event>, StoreError> {
    let mut events = Vec::new();
    if let Some(new_head) = new
        .records
        .as_deref()
        .filter(|h| Some(*h) != old.records.as_deref())
    {
        let new_head = oid(new_head)?;
        let old_head = old.records.as_deref().map(oid).transpose()?;
        let paths = match old_head {
            Some(old_head) => git::changed_paths(repo, old_head, new_head)?,
            None => all_paths(repo, new_head)?,
        };
        for path in paths {
            record_events(repo, old_head, new_head, &path, &mut events)?;
        }
    }
    let moved: Vec<(&String, &String, &String)> = new
        .branches
        .iter()
        .filter_map(|(branch, new_oid)| {
            let old_oid = old.branches.get(branch)?;
            (old_oid != new_oid).then_some((branch, old_oid, new_oid))
        })
        .collect();
    let open: BTreeMap<String, ProposalRecord> = if moved.is_empty() {
        BTreeMap::new()
    } else {
        records::proposals(repo)?
            .into_iter()
            .filter(|p| p.state == ProposalState::Open)
            .map(|p| (p.branch.clone(), p))
            .collect()
    };
    for (branch, old_oid, new_oid) in moved {
        let Some(p) = open.get(branch) else { continue };
        let number = p.number;
        let commit = git::commit_info(repo, oid(new_oid)?)?;
        let summary = commit.summary;
        let name = commit.author_name;
        let mut data = serde_json::to_value(p).unwrap_or_default();
        data["head"] = new_oid.clone().into();
        data["previous_head"] = old_oid.clone().into();
        data["commit_summary"] = summary.clone().into();
        events.push(Event {
            id: format!("proposal.updated:{number}:{new_oid}"),
            kind: "proposal.updated".into(),
            at: commit.time,
            actor: None,
            actor_name: Some(name.clone()),
            path: format!("/proposals/{number}"),
            summary_zh: format!(
                "修正提案 #{number}「{}」已更新（{name}）：{summary}",
                p.title
            ),
            summary_en: format!(
                "Proposal #{number} \"{}\" updated by {name}: {summary}",
                p.title
            ),
            data,
        });
    }
    Ok(events)
}

/// Every file on the records branch at `head` (the first snapshot after the branch appeared).
fn all_paths(repo: &git2::Repository, head: Oid) -> Result<Vec<String>, StoreError> {
    let tree = repo.find_commit(head)?.tree()?;
    let mut out = Vec::new();
    tree.walk(git2::TreeWalkMode::PreOrder, |dir, entry| {
        if entry.kind() == Some(git2::ObjectType::Blob) {
            out.push(format!("{dir}{}", entry.name().unwrap_or("")));
        }
        git2::TreeWalkResult::Ok
    })?;
    out.sort();
    Ok(out)
}

fn read<T: serde::de::DeserializeOwned>(
    repo: &git2::Repository,
    head: Option<Oid>,
    path: &str,
) -> Result<Option<T>, StoreError> {
    match head {
        Some(h) => records::read_toml(repo, h, path),
        None => Ok(None),
    }
}

fn verdict_words(v: Verdict) -> (&'static str, &'static str) {
    match v {
        Verdict::Approve => ("核可", "approved"),
        Verdict::RequestChanges => ("要求修改", "requested changes on"),
        Verdict::Comment => ("留言於", "commented on"),
    }
}

/// The events one changed file of the records branch stands for.
fn record_events(
    repo: &git2::Repository,
    old_head: Option<Oid>,
    new_head: Oid,
    path: &str,
    out: &mut Vec<Event>,
) -> Result<(), StoreError> {
    let parts: Vec<&str> = path.split('/').collect();
    match parts.as_slice() {
        ["proposals", n, "proposal.toml"] => {
            let Ok(number) = n.parse::<u32>() else {
                return Ok(());
            };
            let Some(new) = read::<ProposalRecord>(repo, Some(new_head), path)? else {
                return Ok(());
            };
            let old = read::<ProposalRecord>(repo, old_head, path)?;
            let data = serde_json::to_value(&new).unwrap_or_default();
            let t = &new.title;
            if old.is_none() {
                out.push(Event {
                    id: format!("proposal.opened:{number}"),
                    kind: "proposal.opened".into(),
                    at: new.opened_at,
                    actor: Some(new.author.clone()),
                    actor_name: Some(new.author_name.clone()),
                    path: format!("/proposals/{number}"),
                    summary_zh: format!("{} 提出修正提案 #{number}「{t}」", new.author_name),
                    summary_en: format!("{} opened proposal #{number} \"{t}\"", new.author_name),
                    data: data.clone(),
                });
            }
            let was = old.as_ref().map(|o| o.state);
            if new.state == ProposalState::Merged && was != Some(ProposalState::Merged) {
                if let Some(m) = &new.merged {
                    out.push(Event {
                        id: format!("proposal.merged:{number}:{}", m.commit),
                        kind: "proposal.merged".into(),
                        at: m.at,
                        actor: Some(m.by.clone()),
                        actor_name: Some(m.by_name.clone()),
                        path: format!("/proposals/{number}"),
                        summary_zh: format!("{} 將修正提案 #{number}「{t}」併入草案", m.by_name),
                        summary_en: format!(
                            "{} merged proposal #{number} \"{t}\" into the plan",
                            m.by_name
                        ),
                        data: data.clone(),
                    });
                }
            }
            if new.state == ProposalState::Closed && was != Some(ProposalState::Closed) {
                if let Some(c) = &new.closed {
                    out.push(Event {
                        id: format!("proposal.closed:{number}:{}", c.at),
                        kind: "proposal.closed".into(),
                        at: c.at,
                        actor: Some(c.by.clone()),
                        actor_name: Some(c.by_name.clone()),
                        path: format!("/proposals/{number}"),
                        summary_zh: format!("{} 撤回修正提案 #{number}「{t}」", c.by_name),
                        summary_en: format!("{} closed proposal #{number} \"{t}\"", c.by_name),
                        data,
                    });
                }
            }
        }
        ["proposals", n, "reviews", file] => {
            let Ok(number) = n.parse::<u32>() else {
                return Ok(());
            };
            if read::<ReviewRecord>(repo, old_head, path)?.is_some() {
                return Ok(()); // reviews are never rewritten
            }
            let Some(review) = read::<ReviewRecord>(repo, Some(new_head), path)? else {
                return Ok(());
            };
            let proposal: Option<ProposalRecord> = read(
                repo,
                Some(new_head),
                &format!("proposals/{number}/proposal.toml"),
            )?;
            let title = proposal.as_ref().map_or("", |p| p.title.as_str());
            let (zh, en) = verdict_words(review.verdict);
            let mut data = serde_json::json!({ "review": review, "proposal": proposal });
            data["review"]["proposal"] = number.into();
            out.push(Event {
                id: format!(
                    "proposal.reviewed:{number}:{}",
                    file.trim_end_matches(".toml")
                ),
                kind: "proposal.reviewed".into(),
                at: review.at,
                actor: Some(review.reviewer.clone()),
                actor_name: Some(review.reviewer_name.clone()),
                path: format!("/proposals/{number}"),
                summary_zh: format!("{} {zh}修正提案 #{number}「{title}」", review.reviewer_name),
                summary_en: format!(
                    "{} {en} proposal #{number} \"{title}\"",
                    review.reviewer_name
                ),
                data,
            });
        }
        ["rounds", name, "round.toml"] => {
            let Some(new) = read::<RoundRecord>(repo, Some(new_head), path)? else {
                return Ok(());
            };
            let old = read::<RoundRecord>(repo, old_head, path)?;
            let data = serde_json::to_value(&new).unwrap_or_default();
            let t = &new.title;
            if old.is_none() {
                out.push(Event {
                    id: format!("round.scheduled:{name}"),
                    kind: "round.scheduled".into(),
                    at: new.scheduled_at,
                    actor: Some(new.scheduled_by.clone()),
                    actor_name: Some(new.scheduled_by_name.clone()),
                    path: format!("/rounds/{name}"),
                    summary_zh: format!("論壇會議「{t}」排定於 {}", new.date),
                    summary_en: format!("Forum round \"{t}\" scheduled for {}", new.date),
                    data: data.clone(),
                });
            }
            let was_closed = old.as_ref().is_some_and(|o| o.state == RoundState::Closed);
            if new.state == RoundState::Closed && !was_closed {
                let (zh, en) = match new.outcome {
                    Some(Outcome::Consensus) => (
                        format!("達成共識，版本標記為 {}", new.tag.as_deref().unwrap_or("")),
                        format!(
                            "consensus reached, tagged {}",
                            new.tag.as_deref().unwrap_or("")
                        ),
                    ),
                    _ => ("未達共識".to_string(), "no consensus".to_string()),
                };
                out.push(Event {
                    id: format!("round.closed:{name}"),
                    kind: "round.closed".into(),
                    at: new.closed_at.unwrap_or(new.scheduled_at),
                    actor: new.closed_by.clone(),
                    actor_name: new.closed_by_name.clone(),
                    path: format!("/rounds/{name}"),
                    summary_zh: format!("論壇會議「{t}」結束：{zh}"),
                    summary_en: format!("Forum round \"{t}\" closed: {en}"),
                    data,
                });
            }
        }
        ["inputs", file] => {
            let Some(number) = file
                .strip_suffix(".toml")
                .and_then(|n| n.parse::<u32>().ok())
            else {
                return Ok(());
            };
            let Some(new) = read::<InputRecord>(repo, Some(new_head), path)? else {
                return Ok(());
            };
            let old = read::<InputRecord>(repo, old_head, path)?;
            // A hidden input is not announced (its text is withheld from the public pages).
            let shown = new.public();
            let data = serde_json::to_value(&shown).unwrap_or_default();
            let t = &shown.title;
            if old.is_none() && new.hidden.is_none() {
                out.push(Event {
                    id: format!("input.received:{number}"),
                    kind: "input.received".into(),
                    at: new.submitted_at,
                    actor: new.user.clone(),
                    actor_name: Some(new.name.clone()),
                    path: format!("/inputs/{number}"),
                    summary_zh: format!("收到公眾意見 #{number}「{t}」（{}）", new.name),
                    summary_en: format!(
                        "Public input #{number} \"{t}\" received from {}",
                        new.name
                    ),
                    data: data.clone(),
                });
            }
            let was_answered = old.as_ref().is_some_and(|o| o.response.is_some());
            if let (Some(r), false) = (&new.response, was_answered) {
                out.push(Event {
                    id: format!("input.answered:{number}"),
                    kind: "input.answered".into(),
                    at: r.at,
                    actor: Some(r.by.clone()),
                    actor_name: Some(r.by_name.clone()),
                    path: format!("/inputs/{number}"),
                    summary_zh: format!(
                        "{}（{}）回應了公眾意見 #{number}「{t}」",
                        r.by_name, r.agency
                    ),
                    summary_en: format!(
                        "{} ({}) answered public input #{number} \"{t}\"",
                        r.by_name, r.agency
                    ),
                    data,
                });
            }
        }
        _ => {}
    }
    Ok(())
}
