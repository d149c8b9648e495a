//! The plan's calendar: its period, the forum's rounds and every commitment's milestones by
//! the month they are due. Rounds come in as a plain list ([`TimelineRound`]) so that any
//! source can add to it — the round tags today ([`rounds_from_tags`]), scheduled rounds from
//! the round records with one more [`merge_rounds`] call.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::doc::PlanPeriod;

use super::plan::PlanSnapshot;
use super::round_tags::RoundTag;
use super::rounds::{Outcome, RoundRecord, RoundState};

/// The state of a round that reached consensus and was tagged.
pub const APPROVED: &str = "approved";

/// One forum round on the timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TimelineRound {
    /// The round's name (`rounds/<name>` is its tag once it reached consensus).
    pub name: String,
    /// What to call it (a tag's first message line; a record's title).
    pub title: String,
    /// `YYYY-MM-DD` when known (a tag: the day it closed, in the tagger's offset).
    pub date: Option<String>,
    /// `approved` for a tagged round; other sources bring their own (`scheduled`, …).
    pub state: String,
}

/// Rounds from their tags, in the order given (oldest first).
pub fn rounds_from_tags(tags: &[RoundTag]) -> Vec<TimelineRound> {
    tags.iter()
        .map(|t| TimelineRound {
            name: t.name.clone(),
            title: if t.summary.is_empty() {
                t.name.clone()
            } else {
                t.summary.clone()
            },
            date: day(t.time, t.offset_minutes),
            state: APPROVED.to_string(),
        })
        .collect()
}

/// `YYYY-MM-DD` of a moment in a fixed offset.
fn day(seconds: i64, offset_minutes: i32) -> Option<String> {
    let ts = jiff::Timestamp::from_second(seconds).ok()?;
    let offset = jiff::tz::Offset::from_seconds(offset_minutes * 60).ok()?;
    Some(
        ts.to_zoned(jiff::tz::TimeZone::fixed(offset))
            .strftime("%Y-%m-%d")
            .to_string(),
    )
}

/// `a` and `b` together, one entry per name (`a`'s wins: pass the tags first, since a tag is
/// what the forum approved), ordered by date (undated last), then name.
/// Rounds as their records on the `records` branch say: scheduled, voting (`open`) or closed,
/// dated by the meeting. A round that reached consensus is also a tag; [`merge_rounds`] keeps
/// the tag's entry.
pub fn rounds_from_records(records: &[RoundRecord]) -> Vec<TimelineRound> {
    records
        .iter()
        .map(|r| TimelineRound {
            name: r.name.clone(),
            title: r.title.clone(),
            date: Some(r.date.clone()),
            state: match (r.state, r.outcome) {
                (_, Some(Outcome::Consensus)) => APPROVED,
                (RoundState::Scheduled, _) => "scheduled",
                (RoundState::Voting, _) => "open",
                (RoundState::Closed, _) => "closed",
            }
            .to_string(),
        })
        .collect()
}

pub fn merge_rounds(a: Vec<TimelineRound>, b: Vec<TimelineRound>) -> Vec<TimelineRound> {
    let mut out = a;
    for r in b {
        if !out.iter().any(|o| o.name == r.name) {
            out.push(r);
        }
    }
    out.sort_by(|x, y| {
        (x.date.is_none(), &x.date, &x.name).cmp(&(y.date.is_none(), &y.date, &y.name))
    });
    out
}

/// A milestone of one commitment.
#[derive(Debug, Clone, Serialize)]
pub struct TimelineMilestone {
    pub commitment: String,
    pub number: u32,
    /// The commitment's title in `language`.
    pub title: String,
    /// The document language the texts are in.
    pub language: String,
    pub id: String,
    pub text: String,
    pub start: String,
    pub end: String,
    /// It ends before the plan's period starts or after it ends.
    pub outside_period: bool,
}

/// One month with something in it.
#[derive(Debug, Clone, Serialize)]
pub struct TimelineMonth {
    /// `YYYY-MM`.
    pub month: String,
    /// The month is before the plan's period or after it.
    pub outside_period: bool,
    pub rounds: Vec<TimelineRound>,
    /// The milestones due (ending) this month.
    pub milestones_due: Vec<TimelineMilestone>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Timeline {
    pub period: PlanPeriod,
    /// Oldest first.
    pub rounds: Vec<TimelineRound>,
    /// By end month, then start month, then commitment number and milestone order.
    pub milestones: Vec<TimelineMilestone>,
}

/// The timeline of the plan at `snapshot` with `rounds`. Milestone texts are taken from the
/// `language` version of each commitment where it is valid, else from the master.
pub fn build(snapshot: &PlanSnapshot, rounds: Vec<TimelineRound>, language: &str) -> Timeline {
    let master = snapshot.master_language();
    let period = snapshot.config.plan.period.clone();
    let mut milestones = Vec::new();
    for entry in &snapshot.commitments {
        let Some(master_doc) = entry.master(master) else {
            continue;
        };
        let (doc, lang) = match entry.versions.get(language) {
            Some(Ok(doc)) => (doc, language),
            _ => (master_doc, master),
        };
        for m in &doc.front.milestones {
            let end = m.end.to_string();
            milestones.push(TimelineMilestone {
                commitment: entry.id.clone(),
                number: master_doc.front.number,
                title: doc.front.title.clone(),
                language: lang.to_string(),
                id: m.id.clone(),
                text: m.text.clone(),
                start: m.start.to_string(),
                outside_period: end < period.start || end > period.end,
                end,
            });
        }
    }
    // Stable: milestones of one commitment keep their order within a month.
    milestones.sort_by(|a, b| {
        (&a.end, &a.start, a.number, &a.commitment).cmp(&(
            &b.end,
            &b.start,
            b.number,
            &b.commitment,
        ))
    });
    Timeline {
        period,
        rounds,
        milestones,
    }
}

impl Timeline {
    /// The months that have a round or a milestone due, in order.
    pub fn months(&self) -> Vec<TimelineMonth> {
        let mut out: BTreeMap<String, TimelineMonth> = BTreeMap::new();
        for r in &self.rounds {
            if let Some(m) = r.date.as_deref().and_then(|d| d.get(..7)) {
                out.entry(m.to_string())
                    .or_insert_with(|| self.empty_month(m))
                    .rounds
                    .push(r.clone());
            }
        }
        for ms in &self.milestones {
            out.entry(ms.end.clone())
                .or_insert_with(|| self.empty_month(&ms.end))
                .milestones_due
                .push(ms.clone());
        }
        out.into_values().collect()
    }

    fn empty_month(&self, month: &str) -> TimelineMonth {
        TimelineMonth {
            month: month.to_string(),
            outside_period: month < self.period.start.as_str() || month > self.period.end.as_str(),
            rounds: Vec::new(),
            milestones_due: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round(name: &str, date: Option<&str>, state: &str) -> TimelineRound {
        TimelineRound {
            name: name.into(),
            title: name.into(),
            date: date.map(Into::into),
            state: state.into(),
        }
    }

    #[test]
    fn merged_rounds_are_unique_and_dated_first() {
        let tags = vec![
            round("msf-2", Some("2021-08-02"), APPROVED),
            round("msf-1", Some("2021-04-01"), APPROVED),
        ];
        let records = vec![
            round("msf-2", Some("2021-08-01"), "closed"),
            round("msf-4", None, "scheduled"),
            round("msf-3", Some("2021-12-01"), "scheduled"),
        ];
        let merged = merge_rounds(tags, records);
        let got: Vec<(&str, &str)> = merged
            .iter()
            .map(|r| (r.name.as_str(), r.state.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("msf-1", APPROVED),
                ("msf-2", APPROVED),
                ("msf-3", "scheduled"),
                ("msf-4", "scheduled")
            ]
        );
    }

    #[test]
    fn days_in_the_taggers_offset() {
        // 2021-04-30 20:00 UTC is already May 1st in Taipei.
        let t = 1_619_812_800;
        assert_eq!(day(t, 0).as_deref(), Some("2021-04-30"));
        assert_eq!(day(t, 480).as_deref(), Some("2021-05-01"));
    }
}
