//! The multi-stakeholder forum as the repository holds it: its members
//! (`forum/members.toml`, already parsed into every [`PlanSnapshot`]), its rules
//! (`forum/rules.md`), and every change to either — who changed what, when, line by line.

use std::time::{Duration, Instant};

use serde::Serialize;

use crate::diff::lines::{diff_lines, LineDiff};
use crate::doc::{Forum, Member};
use crate::store::{git, CommitInfo, Oid};

use super::plan::{PlanReader, PlanSnapshot};
use super::WorkflowError;

/// Where the forum's files live.
pub const FORUM_DIR: &str = "forum";
/// The forum's operating rules (Markdown).
pub const RULES_PATH: &str = "forum/rules.md";

/// Unchanged lines shown around each change of a forum file.
const CONTEXT_LINES: usize = 3;
/// How long the line diffs of one change may take before they settle for coarser ones.
const DIFF_TIMEOUT: Duration = Duration::from_millis(300);

/// The members of one sector, conveners first.
#[derive(Debug, Clone, Serialize)]
pub struct SectorMembers<'a> {
    /// `government` or `civil_society`.
    pub sector: &'static str,
    pub members: Vec<&'a Member>,
}

/// The forum's members by sector (government, then civil society), each sector ordered by
/// role (convener, co-convener, member) and then as the file lists them. Members of an
/// unknown sector are left out (the plan's checks report them).
pub fn by_sector(forum: &Forum) -> Vec<SectorMembers<'_>> {
    Forum::SECTORS
        .iter()
        .map(|&sector| {
            let mut members: Vec<&Member> = forum
                .members
                .iter()
                .filter(|m| m.sector == sector)
                .collect();
            members.sort_by_key(|m| {
                Forum::ROLES
                    .iter()
                    .position(|r| *r == m.role)
                    .unwrap_or(Forum::ROLES.len())
            });
            SectorMembers { sector, members }
        })
        .collect()
}

/// A commit that changed the forum's files.
#[derive(Debug, Clone, Serialize)]
pub struct ForumCommit {
    pub commit: CommitInfo,
    /// The files under `forum/` it changed (against its first parent).
    pub files: Vec<String>,
}

/// The forum's rules (`None` when the plan has no `forum/rules.md`) and the commits reachable
/// from the snapshot's commit that changed `forum/`, newest first, at most `limit`.
pub async fn rules_and_history(
    reader: &PlanReader,
    snapshot: &PlanSnapshot,
    limit: usize,
) -> Result<(Option<String>, Vec<ForumCommit>), WorkflowError> {
    let commit = snapshot.commit;
    let commits = reader.path_history(commit, FORUM_DIR, limit).await?;
    Ok(reader
        .store()
        .read(move |repo| {
            let rules = git::read_file(repo, commit, RULES_PATH)?
                .map(|bytes| String::from_utf8_lossy(&bytes).into_owned());
            let mut history = Vec::new();
            for info in commits.iter().cloned() {
                let oid = Oid::from_str(&info.id)?;
                let parent = info.parents.first().map(|p| Oid::from_str(p)).transpose()?;
                history.push(ForumCommit {
                    files: changed_forum_files(repo, parent, oid)?,
                    commit: info,
                });
            }
            Ok((rules, history))
        })
        .await?)
}

/// The forum files that differ between `parent` (none: an empty tree) and `commit`.
fn changed_forum_files(
    repo: &git2::Repository,
    parent: Option<Oid>,
    commit: Oid,
) -> Result<Vec<String>, crate::store::StoreError> {
    let prefix = format!("{FORUM_DIR}/");
    Ok(match parent {
        Some(parent) => git::changed_paths(repo, parent, commit)?
            .into_iter()
            .filter(|p| p.starts_with(&prefix))
            .collect(),
        None => git::list_dir(repo, commit, FORUM_DIR)?
            .into_iter()
            .map(|name| format!("{prefix}{name}"))
            .collect(),
    })
}

/// One forum file's change in a commit.
#[derive(Debug, Clone, Serialize)]
pub struct FileChange {
    pub path: String,
    /// `added`, `deleted` or `changed`.
    pub status: &'static str,
    pub diff: LineDiff,
}

/// What one commit changed in the forum's files, line by line.
#[derive(Debug, Clone, Serialize)]
pub struct ForumChange {
    pub commit: CommitInfo,
    /// The first parent it is compared with (none for the first commit).
    pub parent: Option<String>,
    pub files: Vec<FileChange>,
}

/// The forum files' changes in commit `commit` against its first parent. `NotFound` when the
/// commit changed nothing under `forum/`.
pub async fn change(reader: &PlanReader, commit: Oid) -> Result<ForumChange, WorkflowError> {
    let found = reader
        .store()
        .read(move |repo| {
            let info = git::commit_info(repo, commit)?;
            let parent = info.parents.first().map(|p| Oid::from_str(p)).transpose()?;
            let deadline = Instant::now() + DIFF_TIMEOUT;
            let mut files = Vec::new();
            for path in changed_forum_files(repo, parent, commit)? {
                let read = |at: Option<Oid>| -> Result<Option<String>, crate::store::StoreError> {
                    Ok(match at {
                        Some(at) => git::read_file(repo, at, &path)?
                            .map(|b| String::from_utf8_lossy(&b).into_owned()),
                        None => None,
                    })
                };
                let (old, new) = (read(parent)?, read(Some(commit))?);
                let status = match (&old, &new) {
                    (None, Some(_)) => "added",
                    (Some(_), None) => "deleted",
                    (Some(_), Some(_)) => "changed",
                    (None, None) => continue, // a folder, not a file
                };
                files.push(FileChange {
                    diff: diff_lines(
                        old.as_deref().unwrap_or(""),
                        new.as_deref().unwrap_or(""),
                        CONTEXT_LINES,
                        deadline,
                    ),
                    path,
                    status,
                });
            }
            Ok(ForumChange {
                commit: info,
                parent: parent.map(|p| p.to_string()),
                files,
            })
        })
        .await?;
    match found {
        change if !change.files.is_empty() => Ok(change),
        _ => Err(WorkflowError::NotFound(format!(
            "commit {commit} did not change the forum's files"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(id: &str, sector: &str, role: &str) -> Member {
        Member {
            id: id.into(),
            name: id.into(),
            sector: sector.into(),
            role: role.into(),
            organization: String::new(),
            email: String::new(),
            working_groups: Vec::new(),
        }
    }

    #[test]
    fn sectors_in_order_conveners_first_file_order_kept() {
        let forum = Forum {
            members: vec![
                member("cs1", "civil_society", "member"),
                member("g1", "government", "member"),
                member("cs2", "civil_society", "co-convener"),
                member("g2", "government", "convener"),
                member("cs3", "civil_society", "member"),
                member("x", "press", "member"),
            ],
        };
        let groups = by_sector(&forum);
        let ids: Vec<(&str, Vec<&str>)> = groups
            .iter()
            .map(|g| (g.sector, g.members.iter().map(|m| m.id.as_str()).collect()))
            .collect();
        assert_eq!(
            ids,
            vec![
                ("government", vec!["g2", "g1"]),
                ("civil_society", vec!["cs2", "cs1", "cs3"]),
            ]
        );
    }
}
