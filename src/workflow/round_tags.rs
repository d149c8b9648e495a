//! The forum's rounds as git records them: a round that reached consensus is an annotated tag
//! `rounds/<name>` on the commit the forum voted on (message: the round's record; tagger
//! date: when it closed). Everything here reads only those tags, so it holds whatever else a
//! round keeps elsewhere: which rounds approved a version of a commitment, what changed since
//! the last one, and the plan-wide diff between two rounds.

use serde::Serialize;

use crate::store::git::{self, TagInfo};
use crate::store::{Oid, Store};

use super::compare::{self, CommitmentDiff, PlanDiff};
use super::plan::{PlanReader, PlanSnapshot, COMMITMENTS_DIR};
use super::WorkflowError;

/// Round tags are `refs/tags/rounds/<name>`.
pub const TAG_PREFIX: &str = "rounds/";

/// One round tag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RoundTag {
    /// The round's name: the tag without `rounds/`.
    pub name: String,
    /// The whole tag name, `rounds/<name>`: a ref every page and `git` accept.
    pub tag: String,
    /// The commit the forum approved.
    pub commit: String,
    /// When the round closed (seconds since the epoch): the tagger date, or for a lightweight
    /// tag the tagged commit's date.
    pub time: i64,
    /// Offset from UTC of that date, in minutes.
    pub offset_minutes: i32,
    /// Who tagged (empty for a lightweight tag).
    pub tagger: String,
    /// The first line of the tag message.
    pub summary: String,
    /// The whole tag message: the round's record.
    pub message: String,
    /// False for a lightweight tag (no record, no closing date of its own).
    pub annotated: bool,
}

impl RoundTag {
    fn of(tag: TagInfo) -> Option<RoundTag> {
        let name = tag.name.strip_prefix(TAG_PREFIX)?.to_string();
        let (time, offset_minutes, tagger) = match &tag.tagger {
            Some(s) => (s.seconds, s.offset_minutes, s.name.clone()),
            None => (tag.commit_time, 0, String::new()),
        };
        Some(RoundTag {
            name,
            commit: tag.commit.to_string(),
            time,
            offset_minutes,
            tagger,
            summary: tag.message.lines().next().unwrap_or("").trim().to_string(),
            annotated: tag.tagger.is_some(),
            message: tag.message,
            tag: tag.name,
        })
    }

    fn oid(&self) -> Result<Oid, WorkflowError> {
        Oid::from_str(&self.commit)
            .map_err(|_| WorkflowError::NotFound(format!("round {} has no commit", self.name)))
    }
}

/// Every round tag, oldest first (by closing date, then name).
pub async fn list(store: &Store) -> Result<Vec<RoundTag>, WorkflowError> {
    let tags = store.read(|repo| git::tags(repo, TAG_PREFIX)).await?;
    Ok(ordered(tags))
}

fn ordered(tags: Vec<TagInfo>) -> Vec<RoundTag> {
    let mut rounds: Vec<RoundTag> = tags.into_iter().filter_map(RoundTag::of).collect();
    rounds.sort_by(|a, b| a.time.cmp(&b.time).then_with(|| a.name.cmp(&b.name)));
    rounds
}

/// The round called `name` (`msf-1` or `rounds/msf-1`) among `rounds`.
pub fn find<'a>(rounds: &'a [RoundTag], name: &str) -> Result<&'a RoundTag, WorkflowError> {
    let name = name.strip_prefix(TAG_PREFIX).unwrap_or(name);
    rounds
        .iter()
        .find(|r| r.name == name)
        .ok_or_else(|| WorkflowError::NotFound(format!("no round is called \"{name}\"")))
}

/// What the version a round votes on is best compared with: the round before it, else the
/// commit the voted commit was made on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Baseline {
    /// The last round tag made before the round closed (while it is open: the last one), not
    /// the round's own.
    pub previous: Option<RoundTag>,
    /// The voted commit's first parent (`None` for a root commit).
    pub parent: Option<String>,
}

/// The last of `rounds` (oldest first) other than `name` tagged at or before `before`
/// (`None`: any time).
pub fn previous_round<'a>(
    rounds: &'a [RoundTag],
    name: &str,
    before: Option<i64>,
) -> Option<&'a RoundTag> {
    let name = name.strip_prefix(TAG_PREFIX).unwrap_or(name);
    rounds
        .iter()
        .rev()
        .find(|r| r.name != name && before.is_none_or(|t| r.time <= t))
}

/// The [`Baseline`] of round `name`, which voted on `commit` and closed at `closed_at`.
pub async fn baseline(
    store: &Store,
    name: &str,
    commit: Oid,
    closed_at: Option<i64>,
) -> Result<Baseline, WorkflowError> {
    let rounds = list(store).await?;
    let previous = previous_round(&rounds, name, closed_at).cloned();
    let parent = store
        .read(move |repo| git::commit_info(repo, commit))
        .await?
        .parents
        .into_iter()
        .next();
    Ok(Baseline { previous, parent })
}

/// How a commitment stands against the rounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SinceLastRound {
    /// No round approved any version of it.
    NotApproved,
    /// Its master text is the one the last round approved.
    Unchanged,
    /// Its master text changed since the last round that approved it.
    Changed,
}

/// A distinct version of a commitment's master file and the rounds that approved it.
#[derive(Debug, Clone, Serialize)]
pub struct ApprovedVersion {
    /// The file's git blob id: equal ids, equal text.
    pub blob: String,
    /// Names of the rounds that approved this version, oldest first.
    pub rounds: Vec<String>,
    /// This is the version at the compared commit.
    pub current: bool,
}

/// The rounds that approved a version of one commitment, and what changed since the last.
#[derive(Debug, Clone, Serialize)]
pub struct CommitmentRounds {
    pub id: String,
    /// The file the rounds are compared on: the master version, `commitments/<id>/<master>.md`.
    pub path: String,
    /// The commit compared with the last round (the page's ref, `main` by default).
    pub commit: String,
    /// The rounds whose tagged commit holds the file, oldest first.
    pub rounds: Vec<RoundTag>,
    /// Distinct versions in the order they were first approved.
    pub versions: Vec<ApprovedVersion>,
    /// The last of `rounds`.
    pub last_round: Option<RoundTag>,
    pub status: SinceLastRound,
    /// The master document's diff from the last round's text to the compared commit's, when
    /// `status` is `changed`.
    pub diff: Option<CommitmentDiff>,
}

/// Which rounds approved a version of commitment `id`, compared at `snapshot`'s commit.
/// Versions are told apart by the master file's blob: the forum approves the master text.
pub async fn commitment_rounds(
    reader: &PlanReader,
    snapshot: &PlanSnapshot,
    id: &str,
) -> Result<CommitmentRounds, WorkflowError> {
    if snapshot.commitment(id).is_none() {
        return Err(WorkflowError::NotFound(format!(
            "no commitment \"{id}\" at {}",
            snapshot.commit
        )));
    }
    let master = snapshot.master_language().to_string();
    let path = format!("{COMMITMENTS_DIR}/{id}/{master}.md");
    let commit = snapshot.commit;
    let (tags, blobs, current) = {
        let path = path.clone();
        reader
            .store()
            .read(move |repo| {
                let tags = git::tags(repo, TAG_PREFIX)?;
                let rounds = ordered(tags);
                let mut blobs = Vec::with_capacity(rounds.len());
                for r in &rounds {
                    let oid = Oid::from_str(&r.commit)?;
                    blobs.push(git::path_id(repo, oid, &path)?);
                }
                let current = git::path_id(repo, commit, &path)?;
                Ok((rounds, blobs, current))
            })
            .await?
    };
    let mut rounds = Vec::new();
    let mut versions: Vec<ApprovedVersion> = Vec::new();
    let mut last_blob = None;
    for (round, blob) in tags.into_iter().zip(blobs) {
        let Some(blob) = blob else { continue };
        match versions.iter_mut().find(|v| v.blob == blob.to_string()) {
            Some(v) => v.rounds.push(round.name.clone()),
            None => versions.push(ApprovedVersion {
                blob: blob.to_string(),
                rounds: vec![round.name.clone()],
                current: Some(blob) == current,
            }),
        }
        last_blob = Some(blob);
        rounds.push(round);
    }
    let last_round = rounds.last().cloned();
    let (status, diff) = match (&last_round, last_blob) {
        (None, _) | (_, None) => (SinceLastRound::NotApproved, None),
        (Some(_), Some(blob)) if Some(blob) == current => (SinceLastRound::Unchanged, None),
        (Some(last), Some(_)) => {
            let diff = compare::compare_commitment(reader, last.oid()?, commit, id)
                .await?
                .map(|mut d| {
                    d.documents.retain(|doc| doc.lang == master);
                    d
                });
            (SinceLastRound::Changed, diff)
        }
    };
    Ok(CommitmentRounds {
        id: id.to_string(),
        path,
        commit: commit.to_string(),
        rounds,
        versions,
        last_round,
        status,
        diff,
    })
}

/// The plan-wide diff between two rounds.
#[derive(Debug, Clone, Serialize)]
pub struct RoundsDiff {
    pub from_round: RoundTag,
    pub to_round: RoundTag,
    #[serde(flatten)]
    pub diff: PlanDiff,
}

/// Everything that changed in the plan from round `from` to round `to` (names as in [`find`]).
pub async fn compare_rounds(
    reader: &PlanReader,
    rounds: &[RoundTag],
    from: &str,
    to: &str,
) -> Result<RoundsDiff, WorkflowError> {
    let (a, b) = (find(rounds, from)?, find(rounds, to)?);
    let diff = compare::compare(reader, a.oid()?, b.oid()?).await?;
    Ok(RoundsDiff {
        from_round: a.clone(),
        to_round: b.clone(),
        diff,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Signature;

    fn tag(name: &str, tagger_time: Option<i64>, commit_time: i64) -> TagInfo {
        TagInfo {
            name: name.into(),
            commit: Oid::ZERO_SHA1,
            annotated: tagger_time.is_some(),
            tagger: tagger_time.map(|t| Signature {
                seconds: t,
                ..Signature::now("秘書處", "s@example.org")
            }),
            message: tagger_time.map_or(String::new(), |_| "第一次會議\n\n共識".into()),
            commit_time,
        }
    }

    #[test]
    fn ordered_by_closing_date_then_name_and_found_with_or_without_prefix() {
        let rounds = ordered(vec![
            tag("rounds/b", Some(300), 1),
            tag("rounds/a", Some(300), 2),
            tag("rounds/light", None, 100),
            tag("other/x", Some(1), 1),
        ]);
        let names: Vec<&str> = rounds.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["light", "a", "b"]);
        assert!(!rounds[0].annotated && rounds[1].annotated);
        assert_eq!(rounds[1].summary, "第一次會議");
        assert_eq!(find(&rounds, "rounds/a").unwrap().name, "a");
        assert_eq!(find(&rounds, "b").unwrap().tag, "rounds/b");
        assert!(matches!(
            find(&rounds, "nope"),
            Err(WorkflowError::NotFound(_))
        ));
    }

    #[test]
    fn the_previous_round_is_the_last_other_tag_before_closing() {
        let rounds = ordered(vec![
            tag("rounds/one", Some(100), 1),
            tag("rounds/two", Some(200), 1),
            tag("rounds/three", Some(300), 1),
        ]);
        let name = |r: Option<&RoundTag>| r.map(|r| r.name.clone());
        // Open (not closed yet): the last tag there is.
        assert_eq!(
            name(previous_round(&rounds, "four", None)),
            Some("three".into())
        );
        // Closed with its own tag: the one before it, whichever way the name is given.
        assert_eq!(
            name(previous_round(&rounds, "three", Some(300))),
            Some("two".into())
        );
        assert_eq!(
            name(previous_round(&rounds, "rounds/three", Some(300))),
            Some("two".into())
        );
        // Closed without a tag at 250: the last tag made by then.
        assert_eq!(
            name(previous_round(&rounds, "x", Some(250))),
            Some("two".into())
        );
        assert_eq!(previous_round(&rounds, "one", Some(100)), None);
    }
}
