//! Forum rounds: one meeting of the multi-stakeholder forum and its vote on one version of the
//! plan. A convener (or the secretariat) schedules a round — name, title, date, place or
//! link, agenda, candidate ref — and opens its vote, which pins the candidate to the one
//! commit it names at that moment: later commits to `main` do not change what is voted on.
//! Each forum member votes agree / abstain / disagree / block (a reason is required for
//! disagree and block) and may change the vote until a convener closes the round. Closing
//! applies the consensus rule ([`super::consensus`]); on consensus the pinned commit gets the
//! annotated tag `rounds/<name>`, tagged by the closing convener, whose message
//! ([`tag_message`]) records the meeting, the conveners, the outcome and every vote with its
//! reason. Minutes (`rounds/<name>.md` on `main`) are published once and are a draft for
//! `[rounds] correction_days`; members correct them with proposals; afterwards they are final
//! and proposals touching them are refused ([`guard_round_paths`]).
//!
//! ```text
//! records branch                          main
//!   rounds/<name>/round.toml                rounds/<name>.md        (the minutes)
//!   rounds/<name>/votes/<member>.toml     tag rounds/<name>         (on the pinned commit)
//! ```
//!
//! Who: the roll (voters, their sectors) and the conveners come from `forum/members.toml` at
//! the pinned commit (before the vote opens: at the candidate's current commit); a member id is
//! an account id. Scheduling, opening and publishing minutes: a convener or co-convener there,
//! or the secretariat (admin). Closing: conveners only. Voting: members on the roll only.
//! The consensus rule is `plan.toml` `[consensus]` at the pinned commit (what `codraft check`
//! regenerates the tag message from); notice and correction periods are `main`'s `[rounds]`.
//!
//! Every write is one job on the store's writer thread: the checks and the commits of one
//! request are not interleaved with another's, the records branch and `main` move by
//! compare-and-swap, and every refusal happens before anything is written. The job functions
//! (`*_job`) are public so the demo builder can replay the forum's history at its real dates.

use serde::{Deserialize, Serialize};

use crate::auth::{Role, Sector, User};
use crate::doc::{Forum, Member, PlanConfig, Problem};
use crate::store::{git, FileChange, Oid, Signature, Store, StoreError};

use super::consensus::{self, Choice, ConsensusStatus};
use super::proposal::MAIN;
use super::records;
use super::{Clock, WorkflowError};

mod jobs;
mod tag;

pub use jobs::{close_job, open_vote_job, publish_minutes_job, schedule_job, vote_job};
use tag::*;
pub use tag::{check_tags, tag_message};

/// Round records on the records branch, minutes on `main`, round tags: all under this name.
pub const ROUNDS_DIR: &str = "rounds";
const MAX_NAME_CHARS: usize = 64;
const MAX_TITLE_CHARS: usize = 200;
const MAX_PLACE_CHARS: usize = 200;
const MAX_LINK_CHARS: usize = 500;
const MAX_AGENDA_CHARS: usize = 20_000;
const MAX_REASON_CHARS: usize = 5_000;
/// The largest minutes file.
pub const MAX_MINUTES_BYTES: usize = 256 * 1024;
const DAY: i64 = 86_400;

/// Where a round is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoundState {
    /// Announced; the vote is not open yet.
    Scheduled,
    /// The candidate is pinned; members vote.
    Voting,
    Closed,
}

/// How a closed round ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Consensus,
    NoConsensus,
}

/// A round as recorded on the records branch (`rounds/<name>/round.toml`). Times are seconds
/// since the epoch; people are account ids (= forum member ids) with their names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoundRecord {
    /// `[a-z0-9-]`, 1–64 characters; the round's tag is `rounds/<name>`.
    pub name: String,
    pub title: String,
    /// The meeting's date, `YYYY-MM-DD`.
    pub date: String,
    pub place: Option<String>,
    pub link: Option<String>,
    /// Markdown.
    #[serde(default)]
    pub agenda: String,
    /// The ref the vote will be on (a branch, tag or commit; usually `main`).
    pub candidate: String,
    pub state: RoundState,
    pub scheduled_by: String,
    pub scheduled_by_name: String,
    pub scheduled_at: i64,
    /// The commit voted on: the candidate as it was when the vote opened.
    pub commit: Option<String>,
    pub opened_by: Option<String>,
    pub opened_by_name: Option<String>,
    pub opened_at: Option<i64>,
    pub closed_by: Option<String>,
    pub closed_by_name: Option<String>,
    pub closed_at: Option<i64>,
    pub outcome: Option<Outcome>,
    /// `rounds/<name>`, when the round closed with consensus.
    pub tag: Option<String>,
    pub minutes_published_at: Option<i64>,
    pub minutes_published_by: Option<String>,
    pub minutes_published_by_name: Option<String>,
    /// The commit on `main` that published the minutes.
    pub minutes_commit: Option<String>,
}

impl RoundRecord {
    /// The round's tag name, `rounds/<name>`.
    pub fn tag_name(&self) -> String {
        tag_name(&self.name)
    }

    /// The minutes' path on `main`, `rounds/<name>.md`.
    pub fn minutes_path(&self) -> String {
        minutes_path(&self.name)
    }
}

/// One member's vote (`rounds/<name>/votes/<member>.toml`), overwritten when it changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoteRecord {
    /// The member's id in `forum/members.toml` (= their account id).
    pub member: String,
    pub name: String,
    pub sector: Sector,
    pub choice: Choice,
    #[serde(default)]
    pub reason: String,
    pub at: i64,
    /// The pinned commit the vote is about.
    pub commit: String,
}

/// What a convener gives to schedule a round.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewRound {
    pub name: String,
    pub title: String,
    pub date: String,
    pub place: Option<String>,
    pub link: Option<String>,
    pub agenda: String,
    /// `None`: `main`.
    pub candidate: Option<String>,
}

/// Something about a round that people should know (not an error).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Warning {
    /// `short_notice`, `no_place`, `candidate_moved`.
    pub code: &'static str,
    /// In English; pages word it in the reader's language from the code and the numbers.
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub days_ahead: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notice_days: Option<u32>,
}

/// Whether the minutes may still be corrected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MinutesState {
    /// Not published yet.
    None,
    /// Published; members may propose corrections until `final_at`.
    Draft,
    Final,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MinutesStatus {
    pub path: String,
    pub state: MinutesState,
    pub published_at: Option<i64>,
    /// When the correction window ends (or ended).
    pub final_at: Option<i64>,
    pub correction_days: u32,
}

/// A member on a round's roll, with their current vote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RollEntry {
    pub id: String,
    pub name: String,
    pub sector: String,
    pub role: String,
    pub choice: Option<Choice>,
}

/// A round as it stands now.
#[derive(Debug, Clone, Serialize)]
pub struct RoundDetail {
    #[serde(flatten)]
    pub record: RoundRecord,
    /// The commit the roll and the conveners are read from: the pinned commit, or before the
    /// vote opens the candidate's current commit (`None` when the candidate is gone).
    pub roll_commit: Option<String>,
    pub roll: Vec<RollEntry>,
    /// Names of the conveners and co-conveners on the roll.
    pub conveners: Vec<String>,
    /// In roll order (votes by anyone not on the roll last).
    pub votes: Vec<VoteRecord>,
    /// The consensus rule applied to the votes as they stand (`None` before the vote opens):
    /// the tally per sector and whether consensus would be reached if the round closed now.
    pub consensus: Option<ConsensusStatus>,
    pub warnings: Vec<Warning>,
    pub minutes: MinutesStatus,
}

/// A moment, with the UTC offset commits made then should carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Now {
    pub seconds: i64,
    pub offset_minutes: i32,
}

impl Now {
    pub fn utc(seconds: i64) -> Now {
        Now {
            seconds,
            offset_minutes: 0,
        }
    }
}

/// `rounds/<name>`.
pub fn tag_name(name: &str) -> String {
    format!("{ROUNDS_DIR}/{name}")
}

/// `rounds/<name>.md`.
pub fn minutes_path(name: &str) -> String {
    format!("{ROUNDS_DIR}/{name}.md")
}

fn round_path(name: &str) -> String {
    format!("{ROUNDS_DIR}/{name}/round.toml")
}

fn votes_dir(name: &str) -> String {
    format!("{ROUNDS_DIR}/{name}/votes")
}

fn vote_path(name: &str, member: &str) -> String {
    format!("{}/{member}.toml", votes_dir(name))
}

/// A round name: `[a-z0-9-]`, 1–64 characters, not starting or ending with `-`.
pub fn is_valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_NAME_CHARS
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.starts_with('-')
        && !name.ends_with('-')
}

/// Names a new round may not take: the site's own addresses under `/rounds/`.
pub const RESERVED_NAMES: [&str; 2] = ["new", "compare"];

fn check_name(name: &str) -> Result<(), WorkflowError> {
    if RESERVED_NAMES.contains(&name) {
        Err(WorkflowError::bad_input(
            "bad_name",
            format!("\"{name}\" is reserved (the address /rounds/{name} is a page of its own)"),
        ))
    } else if is_valid_name(name) {
        Ok(())
    } else {
        Err(WorkflowError::bad_input(
            "bad_name",
            format!(
                "\"{name}\" is not a round name: 1–{MAX_NAME_CHARS} characters a-z, 0-9 and '-', not starting or ending with '-'"
            ),
        ))
    }
}

/// The day number (days since 1970-01-01) of a `YYYY-MM-DD` date.
fn day_of_date(date: &str) -> Option<i64> {
    let well_formed = date.len() == 10
        && date.char_indices().all(|(i, c)| match i {
            4 | 7 => c == '-',
            _ => c.is_ascii_digit(),
        });
    if !well_formed {
        return None;
    }
    let d: jiff::civil::Date = date.parse().ok()?;
    let ts = d.to_zoned(jiff::tz::TimeZone::UTC).ok()?.timestamp();
    Some(ts.as_second().div_euclid(DAY))
}

/// Checks a piece of text a person typed: required or not, at most `max` characters, no
/// control characters but newlines and tabs.
fn check_text(field: &str, text: &str, max: usize, required: bool) -> Result<(), WorkflowError> {
    if required && text.trim().is_empty() {
        return Err(WorkflowError::bad_input(
            "missing_field",
            format!("{field} is required"),
        ));
    }
    if text.chars().count() > max {
        return Err(WorkflowError::bad_input(
            "too_long",
            format!("{field} is longer than {max} characters"),
        ));
    }
    if text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(WorkflowError::bad_input(
            "bad_text",
            format!("{field} holds control characters"),
        ));
    }
    Ok(())
}

fn check_new_round(new: &NewRound, now: i64) -> Result<(), WorkflowError> {
    check_name(&new.name)?;
    check_text("title", &new.title, MAX_TITLE_CHARS, true)?;
    if new.title.contains('\n') {
        return Err(WorkflowError::bad_input(
            "bad_text",
            "the title is one line",
        ));
    }
    let Some(day) = day_of_date(&new.date) else {
        return Err(WorkflowError::bad_input(
            "bad_date",
            format!(
                "\"{}\" is not a date: give the meeting's date as YYYY-MM-DD",
                new.date
            ),
        ));
    };
    if day < now.div_euclid(DAY) {
        return Err(WorkflowError::bad_input(
            "bad_date",
            format!("the meeting date {} is in the past", new.date),
        ));
    }
    if let Some(place) = &new.place {
        check_text("place", place, MAX_PLACE_CHARS, false)?;
        if place.contains('\n') {
            return Err(WorkflowError::bad_input(
                "bad_text",
                "the place is one line",
            ));
        }
    }
    if let Some(link) = &new.link {
        let ok = (link.starts_with("https://") || link.starts_with("http://"))
            && link.len() > "https://".len()
            && link.len() <= MAX_LINK_CHARS
            && !link.chars().any(|c| c.is_whitespace() || c.is_control());
        if !ok {
            return Err(WorkflowError::bad_input(
                "bad_link",
                "the link must be an http:// or https:// address without spaces",
            ));
        }
    }
    check_text("agenda", &new.agenda, MAX_AGENDA_CHARS, false)?;
    if let Some(c) = &new.candidate {
        check_text("candidate", c, 200, true)?;
    }
    Ok(())
}

/// The signature of `user`'s commits (and tags) at `now`.
fn signature_at(user: &User, now: Now) -> Signature {
    let mut sig = super::proposal::signature(user);
    sig.seconds = now.seconds;
    sig.offset_minutes = now.offset_minutes;
    sig
}

// ---------------------------------------------------------------------------------------------
// Reading records

/// The records branch rounds are read from and written to.
fn records_head(repo: &git2::Repository) -> Result<Option<Oid>, StoreError> {
    records::head(repo)
}

/// The records branch to check against: `records`, or in a clone `origin/records`.
fn records_head_to_check(repo: &git2::Repository) -> Result<Option<Oid>, StoreError> {
    if let Some(head) = records::head(repo)? {
        return Ok(Some(head));
    }
    match repo.find_reference(&format!("refs/remotes/origin/{}", records::RECORDS_BRANCH)) {
        Ok(r) => Ok(Some(r.peel_to_commit()?.id())),
        Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(None),
        Err(e) => Err(e.into()),
    }
}

fn read_round(
    repo: &git2::Repository,
    head: Option<Oid>,
    name: &str,
) -> Result<Option<RoundRecord>, StoreError> {
    match head {
        Some(head) if is_valid_name(name) => records::read_toml(repo, head, &round_path(name)),
        _ => Ok(None),
    }
}

fn read_votes(
    repo: &git2::Repository,
    head: Option<Oid>,
    name: &str,
) -> Result<Vec<VoteRecord>, StoreError> {
    let Some(head) = head else {
        return Ok(Vec::new());
    };
    let dir = votes_dir(name);
    let mut out = Vec::new();
    for file in git::list_dir(repo, head, &dir)? {
        if !file.ends_with(".toml") {
            continue;
        }
        if let Some(v) = records::read_toml::<VoteRecord>(repo, head, &format!("{dir}/{file}"))? {
            out.push(v);
        }
    }
    Ok(out)
}

/// Every round, newest meeting first.
pub fn list_rounds(repo: &git2::Repository) -> Result<Vec<RoundRecord>, StoreError> {
    rounds_at(repo, records_head(repo)?)
}

fn rounds_at(repo: &git2::Repository, head: Option<Oid>) -> Result<Vec<RoundRecord>, StoreError> {
    let Some(h) = head else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for name in git::list_dir(repo, h, ROUNDS_DIR)? {
        if let Some(r) = read_round(repo, head, &name)? {
            out.push(r);
        }
    }
    out.sort_by(|a, b| b.date.cmp(&a.date).then_with(|| b.name.cmp(&a.name)));
    Ok(out)
}

/// One round, if it exists.
pub fn find_round(repo: &git2::Repository, name: &str) -> Result<Option<RoundRecord>, StoreError> {
    read_round(repo, records_head(repo)?, name)
}

fn load_round(repo: &git2::Repository, name: &str) -> Result<RoundRecord, WorkflowError> {
    find_round(repo, name)?.ok_or_else(|| WorkflowError::NotFound(format!("no round \"{name}\"")))
}

fn parse_at<T>(
    repo: &git2::Repository,
    commit: Oid,
    path: &str,
    parse: impl Fn(&str) -> Result<T, crate::doc::Problems>,
) -> Result<Option<T>, WorkflowError> {
    let Some(bytes) = git::read_file(repo, commit, path)? else {
        return Ok(None);
    };
    let text = String::from_utf8(bytes).map_err(|_| {
        WorkflowError::Invalid(crate::doc::Problems(vec![Problem::new(
            path,
            1,
            "file",
            "not UTF-8 text",
        )]))
    })?;
    parse(&text).map(Some).map_err(WorkflowError::Invalid)
}

/// `forum/members.toml` at a commit (empty when absent).
fn forum_at(repo: &git2::Repository, commit: Oid) -> Result<Forum, WorkflowError> {
    Ok(parse_at(repo, commit, Forum::PATH, Forum::parse)?.unwrap_or_default())
}

/// `plan.toml` at a commit.
fn config_at(repo: &git2::Repository, commit: Oid) -> Result<PlanConfig, WorkflowError> {
    parse_at(repo, commit, PlanConfig::PATH, PlanConfig::parse)?
        .ok_or_else(|| WorkflowError::NotFound(format!("no {} at {commit}", PlanConfig::PATH)))
}

fn pinned(record: &RoundRecord) -> Result<Option<Oid>, WorkflowError> {
    record
        .commit
        .as_deref()
        .map(|c| Oid::from_str(c).map_err(|e| WorkflowError::Store(e.into())))
        .transpose()
}

/// The commit a round's roll is read from: the pinned commit, else the candidate now.
fn roll_commit(
    repo: &git2::Repository,
    record: &RoundRecord,
) -> Result<Option<Oid>, WorkflowError> {
    if let Some(c) = pinned(record)? {
        return Ok(Some(c));
    }
    match git::resolve(repo, &record.candidate) {
        Ok(c) => Ok(Some(c)),
        Err(StoreError::UnknownRef(_)) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

fn is_convener(forum: &Forum, user: &User) -> bool {
    forum.member(&user.id).is_some_and(Member::is_convener)
}

/// Conveners and the secretariat may schedule, open and publish minutes.
fn require_convener_or_secretariat(
    forum: &Forum,
    user: &User,
    what: &str,
) -> Result<(), WorkflowError> {
    if user.has(Role::Admin) || is_convener(forum, user) {
        Ok(())
    } else {
        Err(WorkflowError::denied(
            "not_convener",
            format!(
                "only a convener or co-convener of the forum (forum/members.toml) or the secretariat may {what}; {} is neither",
                user.name
            ),
        ))
    }
}

/// The minutes' state at `now` when the correction window is `correction_days`.
pub fn minutes_status(record: &RoundRecord, correction_days: u32, now: i64) -> MinutesStatus {
    let final_at = record
        .minutes_published_at
        .map(|p| p + i64::from(correction_days) * DAY);
    let state = match final_at {
        None => MinutesState::None,
        Some(end) if now < end => MinutesState::Draft,
        Some(_) => MinutesState::Final,
    };
    MinutesStatus {
        path: record.minutes_path(),
        state,
        published_at: record.minutes_published_at,
        final_at,
        correction_days,
    }
}

/// How many days before its meeting a round was announced (days counted in UTC).
pub fn days_ahead(record: &RoundRecord) -> Option<i64> {
    day_of_date(&record.date).map(|d| d - record.scheduled_at.div_euclid(DAY))
}

fn warnings(
    repo: &git2::Repository,
    record: &RoundRecord,
    notice_days: u32,
) -> Result<Vec<Warning>, WorkflowError> {
    let mut out = Vec::new();
    if let Some(days) = days_ahead(record) {
        if days < i64::from(notice_days) {
            out.push(Warning {
                code: "short_notice",
                message: format!(
                    "announced {days} day(s) before the meeting; the plan asks for {notice_days}"
                ),
                days_ahead: Some(days),
                notice_days: Some(notice_days),
            });
        }
    }
    if record.place.is_none() && record.link.is_none() {
        out.push(Warning {
            code: "no_place",
            message: "neither a place nor a link is given".into(),
            days_ahead: None,
            notice_days: None,
        });
    }
    if record.state == RoundState::Voting {
        if let (Some(pin), Ok(now)) = (pinned(record)?, git::resolve(repo, &record.candidate)) {
            if pin != now {
                out.push(Warning {
                    code: "candidate_moved",
                    message: format!(
                        "{} has moved on since the vote opened; the vote is on {pin}",
                        record.candidate
                    ),
                    days_ahead: None,
                    notice_days: None,
                });
            }
        }
    }
    Ok(out)
}

/// Votes in roll order; votes by anyone not on the roll last, by id.
fn in_roll_order(forum: &Forum, mut votes: Vec<VoteRecord>) -> Vec<VoteRecord> {
    let position = |id: &str| {
        forum
            .members
            .iter()
            .position(|m| m.id == id)
            .unwrap_or(usize::MAX)
    };
    votes.sort_by(|a, b| {
        position(&a.member)
            .cmp(&position(&b.member))
            .then_with(|| a.member.cmp(&b.member))
    });
    votes
}

/// A round as it stands at `now`.
pub fn detail(
    repo: &git2::Repository,
    record: RoundRecord,
    now: i64,
) -> Result<RoundDetail, WorkflowError> {
    let main = git::branch_head(repo, MAIN)?
        .ok_or_else(|| WorkflowError::NotFound("the branch main does not exist".into()))?;
    let main_config = config_at(repo, main)?;
    let roll_at = roll_commit(repo, &record)?;
    let forum = match roll_at {
        Some(c) => forum_at(repo, c)?,
        None => Forum::default(),
    };
    let votes = in_roll_order(&forum, read_votes(repo, records_head(repo)?, &record.name)?);
    let consensus = match pinned(&record)? {
        Some(pin) => Some(consensus::evaluate(
            &config_at(repo, pin)?.consensus,
            &forum.members,
            &votes,
        )),
        None => None,
    };
    let roll = forum
        .members
        .iter()
        .map(|m| RollEntry {
            id: m.id.clone(),
            name: m.name.clone(),
            sector: m.sector.clone(),
            role: m.role.clone(),
            choice: votes.iter().find(|v| v.member == m.id).map(|v| v.choice),
        })
        .collect();
    Ok(RoundDetail {
        roll_commit: roll_at.map(|c| c.to_string()),
        roll,
        conveners: forum.conveners().map(|m| m.name.clone()).collect(),
        consensus,
        warnings: warnings(repo, &record, main_config.rounds.notice_days)?,
        minutes: minutes_status(&record, main_config.rounds.correction_days, now),
        votes,
        record,
    })
}

// ---------------------------------------------------------------------------------------------
// Proposals on minutes

/// Refuses a proposal (open, update or merge) that changes `paths` under `rounds/` unless each
/// is the minutes of a round whose minutes are published and still a draft at `now`:
/// 409 `minutes_final` after the correction window, 409 `minutes_not_published` when there are
/// no published minutes of that round to correct.
pub fn guard_round_paths(
    repo: &git2::Repository,
    paths: &[String],
    correction_days: u32,
    now: i64,
) -> Result<(), WorkflowError> {
    for path in paths {
        let Some(rest) = path.strip_prefix(&format!("{ROUNDS_DIR}/")) else {
            continue;
        };
        let name = match rest.strip_suffix(".md") {
            Some(name) if is_valid_name(name) => name,
            _ => {
                return Err(WorkflowError::rejected(
                    "bad_path",
                    format!(
                        "{path}: {ROUNDS_DIR}/ holds only the minutes of rounds ({ROUNDS_DIR}/<name>.md)"
                    ),
                ))
            }
        };
        let record = find_round(repo, name)?;
        let status = record
            .as_ref()
            .map(|r| minutes_status(r, correction_days, now));
        match status.as_ref().map(|s| s.state) {
            Some(MinutesState::Draft) => {}
            Some(MinutesState::Final) => {
                let end = status.and_then(|s| s.final_at).unwrap_or(0);
                return Err(WorkflowError::conflict(
                    "minutes_final",
                    format!(
                        "the minutes {path} are final: their {correction_days}-day correction window ended {}",
                        format_time(end)
                    ),
                ));
            }
            _ => {
                return Err(WorkflowError::conflict(
                    "minutes_not_published",
                    format!(
                        "{path}: round \"{name}\" has no published minutes to correct (a convener or the secretariat publishes them first)"
                    ),
                ))
            }
        }
    }
    Ok(())
}

fn format_time(seconds: i64) -> String {
    jiff::Timestamp::from_second(seconds)
        .map(|t| t.strftime("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_else(|_| seconds.to_string())
}

// ---------------------------------------------------------------------------------------------
// The service

/// Schedules rounds, records votes, closes rounds and publishes minutes. Cheap to clone.
#[derive(Clone)]
pub struct Rounds {
    store: Store,
    clock: Clock,
}

impl Rounds {
    pub fn new(store: Store) -> Rounds {
        Rounds::with_clock(store, super::system_clock())
    }

    /// With another clock (tests).
    pub fn with_clock(store: Store, clock: Clock) -> Rounds {
        Rounds { store, clock }
    }

    fn now(&self) -> Now {
        Now::utc((self.clock)())
    }

    /// Every round, newest meeting first.
    pub async fn list(&self) -> Result<Vec<RoundRecord>, WorkflowError> {
        Ok(self.store.read(list_rounds).await?)
    }

    /// One round as it stands now.
    pub async fn get(&self, name: &str) -> Result<RoundDetail, WorkflowError> {
        let name = name.to_string();
        let now = self.now().seconds;
        self.store
            .read(move |repo| Ok(load_round(repo, &name).and_then(|r| detail(repo, r, now))))
            .await?
    }

    async fn write<F>(&self, job: F) -> Result<RoundDetail, WorkflowError>
    where
        F: FnOnce(&git2::Repository, Now) -> Result<RoundRecord, WorkflowError> + Send + 'static,
    {
        let now = self.now();
        self.store
            .write(move |repo| Ok(job(repo, now).and_then(|r| detail(repo, r, now.seconds))))
            .await?
    }

    pub async fn schedule(&self, user: User, new: NewRound) -> Result<RoundDetail, WorkflowError> {
        self.write(move |repo, now| schedule_job(repo, &user, new, now))
            .await
    }

    pub async fn open_vote(&self, user: User, name: &str) -> Result<RoundDetail, WorkflowError> {
        let name = name.to_string();
        self.write(move |repo, now| open_vote_job(repo, &user, &name, now))
            .await
    }

    pub async fn vote(
        &self,
        user: User,
        name: &str,
        choice: Choice,
        reason: String,
    ) -> Result<VoteRecord, WorkflowError> {
        let name = name.to_string();
        let now = self.now();
        self.store
            .write(move |repo| Ok(vote_job(repo, &user, &name, choice, reason, now)))
            .await?
    }

    pub async fn close(&self, user: User, name: &str) -> Result<RoundDetail, WorkflowError> {
        let name = name.to_string();
        self.write(move |repo, now| close_job(repo, &user, &name, now))
            .await
    }

    pub async fn publish_minutes(
        &self,
        user: User,
        name: &str,
        text: String,
    ) -> Result<RoundDetail, WorkflowError> {
        let name = name.to_string();
        self.write(move |repo, now| publish_minutes_job(repo, &user, &name, text, now))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(date: &str, scheduled_at: i64) -> RoundRecord {
        RoundRecord {
            name: "r1".into(),
            title: "第1次會議".into(),
            date: date.into(),
            place: Some("台北".into()),
            link: None,
            agenda: String::new(),
            candidate: "main".into(),
            state: RoundState::Scheduled,
            scheduled_by: "c".into(),
            scheduled_by_name: "C".into(),
            scheduled_at,
            commit: None,
            opened_by: None,
            opened_by_name: None,
            opened_at: None,
            closed_by: None,
            closed_by_name: None,
            closed_at: None,
            outcome: None,
            tag: None,
            minutes_published_at: None,
            minutes_published_by: None,
            minutes_published_by_name: None,
            minutes_commit: None,
        }
    }

    #[test]
    fn records_round_trip_through_toml() {
        let mut r = record("2020-11-20", 5);
        r.agenda = "1. 報告\n2. 討論「草案」\n".into();
        let text = String::from_utf8(records::to_toml(&r)).unwrap();
        assert!(!text.contains("commit"), "None fields are left out: {text}");
        assert_eq!(toml::from_str::<RoundRecord>(&text).unwrap(), r);
        r.commit = Some("a".repeat(40));
        r.outcome = Some(Outcome::NoConsensus);
        let text = String::from_utf8(records::to_toml(&r)).unwrap();
        assert!(text.contains("outcome = \"no_consensus\""), "{text}");
        assert_eq!(toml::from_str::<RoundRecord>(&text).unwrap(), r);
    }

    #[test]
    fn names_and_dates() {
        for ok in ["msf-1", "2021-04", "a", &"x".repeat(64)] {
            assert!(is_valid_name(ok), "{ok}");
        }
        for bad in [
            "",
            "-a",
            "a-",
            "A",
            "a_b",
            "a/b",
            "a.b",
            "回合",
            &"x".repeat(65),
        ] {
            assert!(!is_valid_name(bad), "{bad}");
        }
        assert_eq!(day_of_date("1970-01-02"), Some(1));
        for bad in ["2021-02-30", "2021-2-3", "20210203", "2021-02-03x", "x"] {
            assert_eq!(day_of_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn short_notice_is_counted_in_days() {
        // Scheduled on 2020-11-06 (UTC) for 2020-11-20: 14 days, no warning at 14.
        let at = day_of_date("2020-11-06").unwrap() * DAY + 3600;
        let r = record("2020-11-20", at);
        assert_eq!(days_ahead(&r), Some(14));
        let r = record("2020-11-19", at);
        assert_eq!(days_ahead(&r), Some(13));
    }

    #[test]
    fn minutes_are_a_draft_for_the_correction_window_then_final() {
        let mut r = record("2020-11-20", 0);
        assert_eq!(minutes_status(&r, 10, 100).state, MinutesState::None);
        r.minutes_published_at = Some(1_000);
        let s = minutes_status(&r, 10, 1_000);
        assert_eq!(s.state, MinutesState::Draft);
        assert_eq!(s.final_at, Some(1_000 + 10 * DAY));
        assert_eq!(
            minutes_status(&r, 10, 1_000 + 10 * DAY - 1).state,
            MinutesState::Draft
        );
        assert_eq!(
            minutes_status(&r, 10, 1_000 + 10 * DAY).state,
            MinutesState::Final
        );
        assert_eq!(minutes_status(&r, 0, 1_000).state, MinutesState::Final);
    }

    #[test]
    fn the_tag_message_lists_every_member_and_indents_reasons() {
        let forum = Forum::parse(
            r#"
[[members]]
id = "g"
name = "政府"
sector = "government"
role = "convener"

[[members]]
id = "n"
name = "民間"
sector = "civil_society"
role = "co-convener"

[[members]]
id = "m"
name = "委員"
sector = "civil_society"
role = "member"
"#,
        )
        .unwrap();
        let mut r = record("2020-11-20", 0);
        r.commit = Some("a".repeat(40));
        let votes = vec![
            VoteRecord {
                member: "g".into(),
                name: "政府".into(),
                sector: Sector::Government,
                choice: Choice::Agree,
                reason: String::new(),
                at: 1,
                commit: "a".repeat(40),
            },
            VoteRecord {
                member: "n".into(),
                name: "民間".into(),
                sector: Sector::CivilSociety,
                choice: Choice::Disagree,
                reason: "第一行\n第二行".into(),
                at: 2,
                commit: "a".repeat(40),
            },
        ];
        let status = consensus::evaluate(&Default::default(), &forum.members, &votes);
        let m = tag_message(&r, &forum, &votes, &status);
        assert!(
            m.starts_with("第1次會議 (2020-11-20)\n\nRound: rounds/r1\n"),
            "{m}"
        );
        assert!(m.contains("Place: 台北\n"), "{m}");
        assert!(!m.contains("Link:"), "{m}");
        assert!(
            m.contains(
                "Conveners: 政府 (convener, government); 民間 (co-convener, civil_society)\n"
            ),
            "{m}"
        );
        assert!(m.contains("Outcome: no consensus\n"), "{m}");
        assert!(m.ends_with(
            "Votes:\n- 政府 (g, government): agree\n- 民間 (n, civil_society): disagree\n  Reason: 第一行\n    第二行\n- 委員 (m, civil_society): no vote\n"
        ), "{m}");
        assert_eq!(first_difference("a\nb\n", "a\nc\n").0, 2);
    }
}
