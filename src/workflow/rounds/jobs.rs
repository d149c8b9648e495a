//! The writes of forum rounds, one job each, run on the store's writer thread: schedule, open
//! the vote (pin the candidate), vote, close (the consensus rule, then the tag and the record),
//! publish the minutes. Each checks everything before it writes, and moves the records branch
//! and `main` by compare-and-swap. Public so the demo builder replays the forum's history
//! through them at its real dates.

use super::*;

pub(super) fn save(
    repo: &git2::Repository,
    record: &RoundRecord,
    extra: Vec<FileChange>,
    author: &Signature,
    message: &str,
) -> Result<Oid, WorkflowError> {
    let mut changes = vec![FileChange {
        path: round_path(&record.name),
        content: Some(records::to_toml(record)),
    }];
    changes.extend(extra);
    records::commit(repo, changes, author, message)
}

/// Schedules a round (see the module comment for who may).
pub fn schedule_job(
    repo: &git2::Repository,
    user: &User,
    new: NewRound,
    now: Now,
) -> Result<RoundRecord, WorkflowError> {
    check_new_round(&new, now.seconds)?;
    if find_round(repo, &new.name)?.is_some() {
        return Err(WorkflowError::conflict(
            "round_exists",
            format!("a round named \"{}\" exists already", new.name),
        ));
    }
    let tag = tag_name(&new.name);
    if git::tag(repo, &tag)?.is_some() {
        return Err(WorkflowError::conflict(
            "tag_exists",
            format!("the tag {tag} exists already; choose another name"),
        ));
    }
    let candidate = new.candidate.unwrap_or_else(|| MAIN.to_string());
    let at = git::resolve(repo, &candidate)?;
    require_convener_or_secretariat(&forum_at(repo, at)?, user, "schedule a round")?;
    let record = RoundRecord {
        name: new.name,
        title: new.title.trim().to_string(),
        date: new.date,
        place: new.place.filter(|p| !p.trim().is_empty()),
        link: new.link.filter(|l| !l.is_empty()),
        agenda: new.agenda,
        candidate,
        state: RoundState::Scheduled,
        scheduled_by: user.id.clone(),
        scheduled_by_name: user.name.clone(),
        scheduled_at: now.seconds,
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
    };
    save(
        repo,
        &record,
        Vec::new(),
        &signature_at(user, now),
        &format!(
            "Round {} scheduled: {} ({})",
            record.name, record.title, record.date
        ),
    )?;
    Ok(record)
}

/// Opens the vote: pins the candidate to the commit it names now.
pub fn open_vote_job(
    repo: &git2::Repository,
    user: &User,
    name: &str,
    now: Now,
) -> Result<RoundRecord, WorkflowError> {
    let mut record = load_round(repo, name)?;
    match record.state {
        RoundState::Scheduled => {}
        RoundState::Voting => {
            return Err(WorkflowError::conflict(
                "vote_open",
                format!("the vote of round \"{name}\" is open already"),
            ))
        }
        RoundState::Closed => return Err(closed(name)),
    }
    let pin = git::resolve(repo, &record.candidate)?;
    let forum = forum_at(repo, pin)?;
    require_convener_or_secretariat(&forum, user, "open a round's vote")?;
    config_at(repo, pin)?; // the rule the round will be judged by must be readable
    record.state = RoundState::Voting;
    record.commit = Some(pin.to_string());
    record.opened_by = Some(user.id.clone());
    record.opened_by_name = Some(user.name.clone());
    record.opened_at = Some(now.seconds);
    save(
        repo,
        &record,
        Vec::new(),
        &signature_at(user, now),
        &format!(
            "Round {name}: vote opened on {pin} ({} as it stood)",
            record.candidate
        ),
    )?;
    Ok(record)
}

pub(super) fn closed(name: &str) -> WorkflowError {
    WorkflowError::conflict("round_closed", format!("round \"{name}\" is closed"))
}

pub(super) fn not_open(name: &str) -> WorkflowError {
    WorkflowError::conflict(
        "vote_not_open",
        format!("the vote of round \"{name}\" has not opened yet"),
    )
}

/// Records `user`'s vote (replacing their earlier one).
pub fn vote_job(
    repo: &git2::Repository,
    user: &User,
    name: &str,
    choice: Choice,
    reason: String,
    now: Now,
) -> Result<VoteRecord, WorkflowError> {
    check_vote(choice, &reason)?;
    let record = load_round(repo, name)?;
    match record.state {
        RoundState::Scheduled => return Err(not_open(name)),
        RoundState::Closed => return Err(closed(name)),
        RoundState::Voting => {}
    }
    let pin = pinned(&record)?.ok_or_else(|| not_open(name))?;
    let forum = forum_at(repo, pin)?;
    let Some(member) = forum.member(&user.id) else {
        return Err(WorkflowError::denied(
            "not_member",
            format!(
                "{} ({}) is not a member of the forum in forum/members.toml at the commit voted on, so may not vote",
                user.name, user.id
            ),
        ));
    };
    let reason = reason.trim().to_string();
    let existing = read_votes(repo, records_head(repo)?, name)?
        .into_iter()
        .find(|v| v.member == member.id);
    if let Some(v) = existing {
        if v.choice == choice && v.reason == reason {
            return Ok(v);
        }
    }
    let vote = VoteRecord {
        member: member.id.clone(),
        name: member.name.clone(),
        sector: member
            .sector
            .parse()
            .map_err(|e: String| WorkflowError::rejected("bad_member", e))?,
        choice,
        reason,
        at: now.seconds,
        commit: pin.to_string(),
    };
    let mut message = format!("Round {name}: {} votes {choice}", vote.name);
    if !vote.reason.is_empty() {
        message.push_str(&format!("\n\n{}", vote.reason));
    }
    records::commit(
        repo,
        vec![FileChange {
            path: vote_path(name, &vote.member),
            content: Some(records::to_toml(&vote)),
        }],
        &signature_at(user, now),
        &message,
    )?;
    Ok(vote)
}

pub(super) fn check_vote(choice: Choice, reason: &str) -> Result<(), WorkflowError> {
    if choice.needs_reason() && reason.trim().is_empty() {
        return Err(WorkflowError::bad_input(
            "reason_required",
            format!("a {choice} vote must give its reason"),
        ));
    }
    check_text("reason", reason, MAX_REASON_CHARS, false)
}

/// Closes the round (conveners only): applies the consensus rule; on consensus tags the pinned
/// commit `rounds/<name>`.
pub fn close_job(
    repo: &git2::Repository,
    user: &User,
    name: &str,
    now: Now,
) -> Result<RoundRecord, WorkflowError> {
    let mut record = load_round(repo, name)?;
    match record.state {
        RoundState::Scheduled => return Err(not_open(name)),
        RoundState::Closed => return Err(closed(name)),
        RoundState::Voting => {}
    }
    let pin = pinned(&record)?.ok_or_else(|| not_open(name))?;
    if !is_convener(&forum_at(repo, pin)?, user) {
        return Err(WorkflowError::denied(
            "not_convener",
            format!(
                "only a convener or co-convener of the forum may close a round; {} is not one",
                user.name
            ),
        ));
    }
    let (message, status) = expected_tag_message(repo, records_head(repo)?, &record, pin)?;
    let sig = signature_at(user, now);
    let tag = record.tag_name();
    if status.reached {
        match git::tag(repo, &tag)? {
            None => {
                git::create_tag(repo, &tag, pin, &sig, &message)?;
            }
            // Tagged by an earlier close whose record was then lost (e.g. to a crash between
            // the two writes): the same tag on the same commit with the same votes is ours.
            Some(t) if t.commit == pin && t.annotated && t.message == message => {}
            Some(_) => {
                return Err(WorkflowError::conflict(
                    "tag_exists",
                    format!("the tag {tag} exists already (tags are never moved or replaced); nothing was written"),
                ))
            }
        }
    }
    record.state = RoundState::Closed;
    record.closed_by = Some(user.id.clone());
    record.closed_by_name = Some(user.name.clone());
    record.closed_at = Some(now.seconds);
    let summary = if status.reached {
        record.outcome = Some(Outcome::Consensus);
        record.tag = Some(tag.clone());
        format!("Round {name} closed: consensus, tagged {tag} on {pin}")
    } else {
        record.outcome = Some(Outcome::NoConsensus);
        format!(
            "Round {name} closed without consensus\n\n{}",
            status.missing_summary()
        )
    };
    save(repo, &record, Vec::new(), &sig, &summary)?;
    Ok(record)
}

/// Publishes the minutes: commits `rounds/<name>.md` to `main` (once; corrections are
/// proposals) and records when, which starts the correction window.
pub fn publish_minutes_job(
    repo: &git2::Repository,
    user: &User,
    name: &str,
    text: String,
    now: Now,
) -> Result<RoundRecord, WorkflowError> {
    if text.trim().is_empty() {
        return Err(WorkflowError::bad_input(
            "missing_field",
            "the minutes' text is required",
        ));
    }
    if text.len() > MAX_MINUTES_BYTES {
        return Err(WorkflowError::bad_input(
            "too_large",
            format!("minutes may hold at most {MAX_MINUTES_BYTES} bytes"),
        ));
    }
    check_text("the minutes", &text, usize::MAX, true)?;
    let mut record = load_round(repo, name)?;
    if let Some(c) = roll_commit(repo, &record)? {
        require_convener_or_secretariat(&forum_at(repo, c)?, user, "publish minutes")?;
    } else if !user.has(Role::Admin) {
        return Err(WorkflowError::denied(
            "not_convener",
            "only the secretariat may publish minutes of a round whose candidate is gone",
        ));
    }
    let path = record.minutes_path();
    if record.minutes_published_at.is_some() {
        return Err(WorkflowError::conflict(
            "minutes_exist",
            format!(
                "the minutes {path} are published already; corrections are proposals on {path}"
            ),
        ));
    }
    let main = git::branch_head(repo, MAIN)?
        .ok_or_else(|| WorkflowError::NotFound("the branch main does not exist".into()))?;
    let correction_days = config_at(repo, main)?.rounds.correction_days;
    let sig = signature_at(user, now);
    let commit = match git::read_file(repo, main, &path)? {
        None => git::commit(
            repo,
            MAIN,
            Some(main),
            &[FileChange {
                path: path.clone(),
                content: Some(text.into_bytes()),
            }],
            &sig,
            &format!(
                "會議紀錄 Minutes: {} ({})\n\n{path} 公開為草案，{correction_days} 日內委員得以修正提案更正。\n\
                 Published as a draft: members may propose corrections for {correction_days} day(s).\n",
                record.title, record.date
            ),
        )?,
        // Published by an earlier request whose record was then lost: record that commit.
        Some(existing) if existing == text.as_bytes() => {
            match git::history(repo, main, &path, 1)?.first() {
                Some(c) => Oid::from_str(&c.id).map_err(StoreError::from)?,
                None => main,
            }
        }
        Some(_) => {
            return Err(WorkflowError::conflict(
                "minutes_exist",
                format!("{path} exists on main already; corrections are proposals on it"),
            ))
        }
    };
    record.minutes_published_at = Some(now.seconds);
    record.minutes_published_by = Some(user.id.clone());
    record.minutes_published_by_name = Some(user.name.clone());
    record.minutes_commit = Some(commit.to_string());
    save(
        repo,
        &record,
        Vec::new(),
        &sig,
        &format!("Round {name}: minutes published on main as {commit}"),
    )?;
    Ok(record)
}
