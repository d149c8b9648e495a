//! Setting up plan repositories: `codraft init` (the files of `repo-template/`, committed
//! first) and the demo plan (Taiwan's 2021–2024 action plan from `demo/`, with a realistic
//! history replayed from `demo/history.toml`: the commits to `main`, and the forum's rounds —
//! scheduled, voted, closed and tagged, minutes published — at their dates, through the same
//! jobs the server runs). Both are compiled into the binary.

use std::path::{Path, PathBuf};

use include_dir::{include_dir, Dir};
use serde::Deserialize;

use crate::auth::{NewUser, User};
use crate::doc::Forum;
use crate::store::{git, FileChange, Oid, Signature, StoreError};

use super::consensus::Choice;
use super::rounds::{self, NewRound, Now};

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
    /// Forum rounds, replayed among the commits at their dates.
    #[serde(default)]
    round: Vec<RoundStep>,
    /// Public input, sent, routed and answered among the commits at their dates.
    #[serde(default)]
    input: Vec<InputStep>,
    /// Progress reports by lead agencies, among the commits at their dates.
    #[serde(default)]
    progress: Vec<ProgressStep>,
}

/// One progress report of the demo's history.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProgressStep {
    at: String,
    by: String,
    commitment: String,
    milestone: String,
    period: String,
    status: String,
    text: String,
    #[serde(default)]
    evidence: Vec<String>,
}

fn run_progress(
    repo: &git2::Repository,
    users: &[User],
    p: &ProgressStep,
) -> Result<(), SetupError> {
    let fail = |e: String| {
        SetupError::History(format!(
            "progress {} {} {}: {e}",
            p.commitment, p.milestone, p.period
        ))
    };
    let user = users
        .iter()
        .find(|u| u.id == p.by)
        .ok_or_else(|| fail(format!("no demo account \"{}\"", p.by)))?;
    let checked = super::progress::check(&super::progress::NewReport {
        milestone: p.milestone.clone(),
        period: p.period.clone(),
        status: p.status.clone(),
        text: p.text.clone(),
        evidence: p.evidence.clone(),
    })
    .map_err(|e| fail(e.to_string()))?;
    super::progress::report_job(repo, user, &p.commitment, checked, moment(&p.at)?)
        .map(drop)
        .map_err(|e| fail(e.to_string()))
}

/// One public input of the demo's history: sent at `at` (no contact is kept), optionally routed
/// by the secretariat and answered by someone of the agency, each at its own time.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InputStep {
    at: String,
    kind: String,
    commitment: Option<String>,
    section: Option<String>,
    title: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    fields: std::collections::BTreeMap<String, String>,
    name: String,
    #[serde(default)]
    organisation: String,
    route: Option<RouteStep>,
    answer: Option<AnswerStep>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RouteStep {
    at: String,
    by: String,
    agency: String,
}

/// An answer; what took adopted input in is a proposal, a round, or the commit on `main` whose
/// summary is `commit_summary`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AnswerStep {
    at: String,
    by: String,
    outcome: String,
    reasons: String,
    proposal: Option<u32>,
    round: Option<String>,
    commit_summary: Option<String>,
}

enum InputAction {
    Send,
    Route,
    Answer,
}

struct InputEvent<'h> {
    at: Now,
    input: &'h InputStep,
    action: InputAction,
}

/// Every input event, in time order.
fn input_events(steps: &[InputStep]) -> Result<Vec<InputEvent<'_>>, SetupError> {
    let mut events = Vec::new();
    for i in steps {
        events.push(InputEvent {
            at: moment(&i.at)?,
            input: i,
            action: InputAction::Send,
        });
        if let Some(r) = &i.route {
            events.push(InputEvent {
                at: moment(&r.at)?,
                input: i,
                action: InputAction::Route,
            });
        }
        if let Some(a) = &i.answer {
            events.push(InputEvent {
                at: moment(&a.at)?,
                input: i,
                action: InputAction::Answer,
            });
        }
    }
    events.sort_by_key(|e| e.at.seconds);
    Ok(events)
}

fn run_input_event(
    repo: &git2::Repository,
    dir: &Path,
    users: &[User],
    steps: &[InputStep],
    event: &InputEvent<'_>,
) -> Result<(), SetupError> {
    let i = event.input;
    let fail = |e: String| SetupError::History(format!("input \"{}\": {e}", i.title));
    let number = steps
        .iter()
        .position(|s| std::ptr::eq(s, i))
        .map_or(0, |n| n as u32 + 1);
    let user = |id: &str| {
        users
            .iter()
            .find(|u| u.id == id)
            .ok_or_else(|| fail(format!("no demo account \"{id}\"")))
    };
    let result = match event.action {
        InputAction::Send => {
            let new = super::inputs::NewInput {
                kind: i.kind.clone(),
                commitment: i.commitment.clone(),
                section: i.section.clone(),
                title: i.title.clone(),
                text: i.text.clone(),
                fields: i.fields.clone(),
                name: i.name.clone(),
                organisation: i.organisation.clone(),
                contact: String::new(),
            };
            super::inputs::check_input(new, None, event.at.seconds)
                .and_then(|checked| {
                    super::inputs::submit_job(
                        repo,
                        checked,
                        &dir.join("private").join("inputs"),
                        event.at.offset_minutes,
                    )
                })
                .and_then(|r| {
                    if r.number == number {
                        Ok(())
                    } else {
                        Err(super::WorkflowError::rejected(
                            "order",
                            "the demo's inputs must be sent in file order",
                        ))
                    }
                })
        }
        InputAction::Route => {
            let r = i.route.as_ref().expect("a route event has a route");
            super::inputs::route_job(repo, user(&r.by)?, number, r.agency.clone(), event.at)
                .map(drop)
        }
        InputAction::Answer => {
            let a = i.answer.as_ref().expect("an answer event has an answer");
            let commit =
                match &a.commit_summary {
                    None => None,
                    Some(summary) => Some(commit_with_summary(repo, summary).ok_or_else(|| {
                        fail(format!("no commit on main is called \"{summary}\""))
                    })?),
                };
            let answer = super::inputs::Answer {
                outcome: a.outcome.clone(),
                reasons: a.reasons.clone(),
                proposal: a.proposal,
                round: a.round.clone(),
                commit,
            };
            super::inputs::answer_job(repo, user(&a.by)?, number, answer, event.at).map(drop)
        }
    };
    result.map_err(|e| fail(e.to_string()))
}

/// The commit on `main` whose summary line is `summary`.
fn commit_with_summary(repo: &git2::Repository, summary: &str) -> Option<String> {
    let mut walk = repo.revwalk().ok()?;
    walk.push(git::resolve(repo, "main").ok()?).ok()?;
    walk.filter_map(Result::ok)
        .filter_map(|oid| repo.find_commit(oid).ok())
        .find(|c| c.summary().ok().flatten() == Some(summary))
        .map(|c| c.id().to_string())
}

/// One forum round of the demo's history: every event at its own time (RFC 3339 with an
/// offset), by a member (or `secretariat`) of the demo's accounts.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RoundStep {
    name: String,
    title: String,
    date: String,
    place: Option<String>,
    link: Option<String>,
    agenda: String,
    scheduled_by: String,
    scheduled_at: String,
    /// The vote pins `main` as it stands at this time.
    opened_by: String,
    opened_at: String,
    /// Cast in order, one minute apart from the opening; a member voting twice changes
    /// their vote.
    vote: Vec<VoteStep>,
    closed_by: String,
    closed_at: String,
    minutes_by: String,
    minutes_at: String,
    /// The minutes, from `demo/later/<minutes>`.
    minutes: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VoteStep {
    member: String,
    choice: String,
    #[serde(default)]
    reason: String,
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
    /// Sync records this commit writes (after its edits and adds).
    #[serde(default)]
    sync: Vec<SyncStep>,
}

/// A translation's sync record written by the demo's history: every unit the translation
/// (as this commit leaves it) has is marked synced with the master as it stood at the
/// commit round `round` voted on; hashes are computed here, never written by hand.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SyncStep {
    commitment: String,
    lang: String,
    round: String,
    /// The account id recorded as having synced it.
    by: String,
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
    let at = moment(&step.date)?;
    Ok(Signature {
        name: step.author.clone(),
        email: step.email.clone(),
        seconds: at.seconds,
        offset_minutes: at.offset_minutes,
    })
}

/// A time written as RFC 3339 with an offset: `2020-11-18T15:20:00+08:00`.
fn moment(date: &str) -> Result<Now, SetupError> {
    let bad = |e: String| SetupError::History(format!("date \"{date}\": {e}"));
    let ts: jiff::Timestamp = date.parse().map_err(|e: jiff::Error| bad(e.to_string()))?;
    let offset = date.get(date.len().saturating_sub(6)..).unwrap_or("");
    let sign = if offset.starts_with('-') { -1 } else { 1 };
    let hours: i32 = offset
        .get(1..3)
        .and_then(|h| h.parse().ok())
        .ok_or_else(|| bad("needs an offset such as +08:00".into()))?;
    let minutes: i32 = offset
        .get(4..6)
        .and_then(|m| m.parse().ok())
        .ok_or_else(|| bad("needs an offset such as +08:00".into()))?;
    Ok(Now {
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

    // Rounds, inputs and progress reports, in time order (stable: rounds first on a tie).
    enum Event<'h> {
        Round(RoundEvent<'h>),
        Input(InputEvent<'h>),
        Progress(&'h ProgressStep),
    }
    let mut events: Vec<(i64, Event)> = Vec::new();
    for e in round_events(&history.round)? {
        events.push((e.at.seconds, Event::Round(e)));
    }
    for e in input_events(&history.input)? {
        events.push((e.at.seconds, Event::Input(e)));
    }
    for p in &history.progress {
        events.push((moment(&p.at)?.seconds, Event::Progress(p)));
    }
    events.sort_by_key(|(at, _)| *at);
    let users = demo_users()?;
    let mut next_event = 0;
    // Every event before `until`.
    let mut drain = |until: i64| -> Result<(), SetupError> {
        while let Some((at, event)) = events.get(next_event) {
            if *at >= until {
                break;
            }
            match event {
                Event::Round(r) => run_round_event(&repo, &users, r)?,
                Event::Input(i) => run_input_event(&repo, dir, &users, &history.input, i)?,
                Event::Progress(p) => run_progress(&repo, &users, p)?,
            }
            next_event += 1;
        }
        Ok(())
    };
    for (n, step) in history.commit.iter().enumerate() {
        let at = signature(step)?.seconds;
        drain(at)?;
        head = git::branch_head(&repo, "main")?.unwrap_or(head);
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
        for sync in &step.sync {
            let record = demo_sync_record(&repo, head, &changes, sync, signature(step)?.seconds)
                .map_err(|e| SetupError::History(format!("commit {}: sync: {e}", n + 1)))?;
            changes.push(FileChange {
                path: crate::doc::sync::record_path(&sync.commitment, &sync.lang),
                content: Some(record.into_bytes()),
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
    drain(i64::MAX)
}

/// The text of the sync record `sync` asks for (see [`SyncStep`]): the translation is read
/// from this commit's `changes` or else from `head`, the master (`zh-TW.md`) from the round's
/// tagged commit.
fn demo_sync_record(
    repo: &git2::Repository,
    head: Oid,
    changes: &[FileChange],
    sync: &SyncStep,
    at: i64,
) -> Result<String, String> {
    use crate::doc::sync::{unit_hash, units, SyncEntry, SyncRecord};
    use crate::doc::Commitment;
    let tag = git::tag(repo, &format!("rounds/{}", sync.round))
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("no round tag rounds/{}", sync.round))?;
    let parse = |path: &str, bytes: Option<Vec<u8>>| -> Result<Commitment, String> {
        let text = bytes
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or_else(|| format!("no text file {path}"))?;
        Commitment::parse(path, &text).map_err(|e| format!("{e:?}"))
    };
    let master_path = format!("commitments/{}/zh-TW.md", sync.commitment);
    let master = parse(
        &master_path,
        git::read_file(repo, tag.commit, &master_path).map_err(|e| e.to_string())?,
    )?;
    let tr_path = format!("commitments/{}/{}.md", sync.commitment, sync.lang);
    let tr_bytes = match changes.iter().find(|c| c.path == tr_path) {
        Some(c) => c.content.clone(),
        None => git::read_file(repo, head, &tr_path).map_err(|e| e.to_string())?,
    };
    let translated: std::collections::HashMap<String, String> =
        units(&parse(&tr_path, tr_bytes)?).into_iter().collect();
    let mut record = SyncRecord::default();
    for (key, text) in units(&master) {
        if let Some(tr) = translated.get(&key) {
            record.units.insert(
                key,
                SyncEntry {
                    commit: tag.commit.to_string(),
                    master_sha256: unit_hash(&text),
                    translation_sha256: Some(unit_hash(tr)),
                    by: sync.by.clone(),
                    at,
                    reason: None,
                },
            );
        }
    }
    Ok(record.to_text())
}

/// The demo's accounts as users (the forum's members, the secretariat, the translator).
fn demo_users() -> Result<Vec<User>, SetupError> {
    let text = DEMO
        .get_file(Forum::PATH)
        .and_then(|f| f.contents_utf8())
        .ok_or_else(|| SetupError::History(format!("no demo/{}", Forum::PATH)))?;
    let forum = Forum::parse(text).map_err(|e| SetupError::History(e.to_string()))?;
    let accounts =
        crate::auth::demo::accounts_for(&forum).map_err(|e| SetupError::History(e.to_string()))?;
    Ok(accounts.iter().map(NewUser::user).collect())
}

enum RoundAction<'h> {
    Schedule,
    Open,
    Vote(&'h VoteStep),
    Close,
    Minutes,
}

struct RoundEvent<'h> {
    at: Now,
    by: &'h str,
    round: &'h RoundStep,
    action: RoundAction<'h>,
}

/// Every event of every round, in time order (a round's own events must be in order).
fn round_events(steps: &[RoundStep]) -> Result<Vec<RoundEvent<'_>>, SetupError> {
    let mut events = Vec::new();
    for r in steps {
        let opened = moment(&r.opened_at)?;
        let mut own = vec![
            RoundEvent {
                at: moment(&r.scheduled_at)?,
                by: &r.scheduled_by,
                round: r,
                action: RoundAction::Schedule,
            },
            RoundEvent {
                at: opened,
                by: &r.opened_by,
                round: r,
                action: RoundAction::Open,
            },
        ];
        for (i, v) in r.vote.iter().enumerate() {
            own.push(RoundEvent {
                at: Now {
                    seconds: opened.seconds + 60 * (i as i64 + 1),
                    ..opened
                },
                by: &v.member,
                round: r,
                action: RoundAction::Vote(v),
            });
        }
        own.push(RoundEvent {
            at: moment(&r.closed_at)?,
            by: &r.closed_by,
            round: r,
            action: RoundAction::Close,
        });
        own.push(RoundEvent {
            at: moment(&r.minutes_at)?,
            by: &r.minutes_by,
            round: r,
            action: RoundAction::Minutes,
        });
        if own.windows(2).any(|w| w[0].at.seconds >= w[1].at.seconds) {
            return Err(SetupError::History(format!(
                "round {}: its events (scheduled, opened, votes a minute apart, closed, minutes) are not in time order",
                r.name
            )));
        }
        events.extend(own);
    }
    events.sort_by_key(|e| e.at.seconds);
    Ok(events)
}

fn run_round_event(
    repo: &git2::Repository,
    users: &[User],
    event: &RoundEvent<'_>,
) -> Result<(), SetupError> {
    let r = event.round;
    let fail = |e: String| SetupError::History(format!("round {}: {e}", r.name));
    let user = users
        .iter()
        .find(|u| u.id == event.by)
        .ok_or_else(|| fail(format!("no demo account \"{}\"", event.by)))?;
    let result = match &event.action {
        RoundAction::Schedule => rounds::schedule_job(
            repo,
            user,
            NewRound {
                name: r.name.clone(),
                title: r.title.clone(),
                date: r.date.clone(),
                place: r.place.clone(),
                link: r.link.clone(),
                agenda: r.agenda.clone(),
                candidate: None,
            },
            event.at,
        )
        .map(drop),
        RoundAction::Open => rounds::open_vote_job(repo, user, &r.name, event.at).map(drop),
        RoundAction::Vote(v) => {
            let choice: Choice = v.choice.parse().map_err(fail)?;
            rounds::vote_job(repo, user, &r.name, choice, v.reason.clone(), event.at).map(drop)
        }
        RoundAction::Close => {
            rounds::close_job(repo, user, &r.name, event.at).and_then(|rec| match rec.outcome {
                Some(rounds::Outcome::Consensus) => Ok(()),
                _ => Err(super::WorkflowError::rejected(
                    "no_consensus",
                    "the demo's rounds must reach consensus",
                )),
            })
        }
        RoundAction::Minutes => {
            let text = DEMO
                .get_file(format!("{LATER}{}", r.minutes))
                .and_then(|f| f.contents_utf8())
                .ok_or_else(|| fail(format!("no file demo/{LATER}{}", r.minutes)))?;
            rounds::publish_minutes_job(repo, user, &r.name, text.to_string(), event.at).map(drop)
        }
    };
    result.map_err(|e| fail(e.to_string()))
}
