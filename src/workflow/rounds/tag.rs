//! A round's tag `rounds/<name>`: the one function that writes its message ([`tag_message`])
//! and the check that every round tag agrees with its records ([`check_tags`], what `codraft
//! check` adds). Reads only; the tag is created by closing (`super::close_job`).

use super::*;

/// The message of the tag `rounds/<name>`: the meeting, the conveners, the outcome and every
/// vote with its reason, in a fixed format. The one function that writes it, so `codraft
/// check` can regenerate it from the records and compare.
pub fn tag_message(
    record: &RoundRecord,
    forum: &Forum,
    votes: &[VoteRecord],
    status: &ConsensusStatus,
) -> String {
    let mut m = String::new();
    m.push_str(&format!("{} ({})\n\n", record.title, record.date));
    m.push_str(&format!("Round: {}\n", record.tag_name()));
    m.push_str(&format!("Title: {}\n", record.title));
    m.push_str(&format!("Date: {}\n", record.date));
    if let Some(place) = &record.place {
        m.push_str(&format!("Place: {place}\n"));
    }
    if let Some(link) = &record.link {
        m.push_str(&format!("Link: {link}\n"));
    }
    let conveners: Vec<String> = forum
        .conveners()
        .map(|c| format!("{} ({}, {})", c.name, c.role, c.sector))
        .collect();
    m.push_str(&format!("Conveners: {}\n", conveners.join("; ")));
    m.push_str(&format!("Candidate: {}\n", record.candidate));
    m.push_str(&format!(
        "Commit: {}\n",
        record.commit.as_deref().unwrap_or("")
    ));
    m.push_str(&format!(
        "Outcome: {}\n",
        if status.reached {
            "consensus"
        } else {
            "no consensus"
        }
    ));
    m.push_str(&format!(
        "Rule: in each sector at least {} of the members agree; {}\n",
        status.rule.quorum,
        if status.rule.block_vetoes {
            "a block vetoes"
        } else {
            "a block does not veto"
        }
    ));
    for t in &status.tally {
        m.push_str(&format!(
            "Tally {}: {} agree (of {} needed), {} abstain, {} disagree, {} block, {} no vote; {} members\n",
            t.sector, t.agree, t.need, t.abstain, t.disagree, t.block, t.not_voted, t.members
        ));
    }
    m.push_str("\nVotes:\n");
    for member in &forum.members {
        match votes.iter().find(|v| v.member == member.id) {
            Some(v) => {
                m.push_str(&format!(
                    "- {} ({}, {}): {}\n",
                    member.name, member.id, member.sector, v.choice
                ));
                push_reason(&mut m, &v.reason);
            }
            None => m.push_str(&format!(
                "- {} ({}, {}): no vote\n",
                member.name, member.id, member.sector
            )),
        }
    }
    for v in votes.iter().filter(|v| forum.member(&v.member).is_none()) {
        m.push_str(&format!(
            "- {} ({}, not on the roll): {}\n",
            v.name, v.member, v.choice
        ));
        push_reason(&mut m, &v.reason);
    }
    m
}

pub(super) fn push_reason(m: &mut String, reason: &str) {
    let reason = reason.trim();
    if reason.is_empty() {
        return;
    }
    for (i, line) in reason.lines().enumerate() {
        let label = if i == 0 { "  Reason: " } else { "    " };
        m.push_str(label);
        m.push_str(line.trim_end());
        m.push('\n');
    }
}

/// What a round's tag must say, from the records and the plan at the pinned commit.
pub(super) fn expected_tag_message(
    repo: &git2::Repository,
    records_at: Option<Oid>,
    record: &RoundRecord,
    pin: Oid,
) -> Result<(String, ConsensusStatus), WorkflowError> {
    let forum = forum_at(repo, pin)?;
    let rule = config_at(repo, pin)?.consensus;
    let votes = in_roll_order(&forum, read_votes(repo, records_at, &record.name)?);
    let status = consensus::evaluate(&rule, &forum.members, &votes);
    Ok((tag_message(record, &forum, &votes, &status), status))
}

/// Every round tag that disagrees with its recorded round (for `codraft check`): a tag with
/// no round, or whose round did not close with consensus; a lightweight tag; a tag on another
/// commit than the one voted on; a message that is not the one regenerated from the recorded
/// votes. And every round that closed with consensus but whose tag is missing.
pub fn check_tags(repo: &git2::Repository) -> Result<Vec<Problem>, WorkflowError> {
    let records_at = records_head_to_check(repo)?;
    let mut problems = Vec::new();
    let names = git::tag_names(repo, &format!("{ROUNDS_DIR}/"))?;
    for tag in &names {
        let file = format!("refs/tags/{tag}");
        let problem = |line: usize, message: String| Problem::new(&file, line, "tag", message);
        let name = &tag[ROUNDS_DIR.len() + 1..];
        let Some(record) = read_round(repo, records_at, name)? else {
            problems.push(problem(
                1,
                format!("no round \"{name}\" is recorded on the records branch, so nothing was voted for this tag"),
            ));
            continue;
        };
        if record.state != RoundState::Closed || record.outcome != Some(Outcome::Consensus) {
            problems.push(problem(
                1,
                format!(
                    "round \"{name}\" did not close with consensus (it is {}), yet it is tagged",
                    match (record.state, record.outcome) {
                        (RoundState::Closed, _) => "closed without consensus",
                        (RoundState::Voting, _) => "still voting",
                        (RoundState::Scheduled, _) => "only scheduled",
                    }
                ),
            ));
            continue;
        }
        let Some(info) = git::tag(repo, tag)? else {
            continue;
        };
        let Some(pin) = pinned(&record)? else {
            problems.push(problem(
                1,
                format!("round \"{name}\" records no pinned commit"),
            ));
            continue;
        };
        if info.commit != pin {
            problems.push(problem(
                1,
                format!(
                    "the tag points at {} but the round voted on {pin}",
                    info.commit
                ),
            ));
        }
        if !info.annotated {
            problems.push(problem(
                1,
                "a lightweight tag: a round's tag is annotated and records its votes".into(),
            ));
            continue;
        }
        let (expected, _) = expected_tag_message(repo, records_at, &record, pin)?;
        if info.message != expected {
            let (line, got, want) = first_difference(&info.message, &expected);
            problems.push(problem(
                line,
                format!(
                    "the tag message disagrees with the round's recorded votes: line {line} is \"{got}\", the records give \"{want}\""
                ),
            ));
        }
    }
    for record in rounds_at(repo, records_at)? {
        if record.outcome == Some(Outcome::Consensus) && !names.contains(&record.tag_name()) {
            problems.push(Problem::new(
                format!("refs/tags/{}", record.tag_name()),
                1,
                "tag",
                format!(
                    "round \"{}\" closed with consensus but its tag {} is missing",
                    record.name,
                    record.tag_name()
                ),
            ));
        }
    }
    Ok(problems)
}

/// The first line (1-based) where two texts differ, and that line in each.
pub(super) fn first_difference(got: &str, want: &str) -> (usize, String, String) {
    let mut g = got.lines();
    let mut w = want.lines();
    let mut n = 1;
    loop {
        match (g.next(), w.next()) {
            (Some(a), Some(b)) if a == b => n += 1,
            (None, None) => return (n, String::new(), "(a final newline)".into()),
            (a, b) => {
                return (
                    n,
                    a.unwrap_or("(end of message)").to_string(),
                    b.unwrap_or("(end of message)").to_string(),
                )
            }
        }
    }
}
