//! What pages and their JSON twins show: serializable views built from a plan snapshot.
//! The API returns these as they are; pages render the same values with tera.

use serde::Serialize;

use crate::doc::{Commitment, Contact, Milestone, Participants};
use crate::store::CommitInfo;
use crate::workflow::PlanSnapshot;

#[derive(Serialize)]
pub struct AreaView {
    pub id: String,
    pub title: String,
    pub commitments: Vec<CommitmentSummary>,
}

#[derive(Serialize, Clone)]
pub struct CommitmentSummary {
    pub id: String,
    pub number: u32,
    pub title: String,
    pub area: String,
    pub lead_agencies: Vec<String>,
    pub co_agencies: Vec<String>,
    pub languages: Vec<String>,
}

#[derive(Serialize)]
pub struct PlanView {
    pub commit: String,
    pub title: String,
    pub titles: std::collections::BTreeMap<String, String>,
    pub period: crate::doc::PlanPeriod,
    pub master_language: String,
    pub translations: Vec<String>,
    pub areas: Vec<AreaView>,
    pub commitment_count: usize,
    pub problems: Vec<crate::doc::Problem>,
}

/// The languages a commitment can be read in: the master first, then its valid translations.
fn languages(entry: &crate::workflow::CommitmentEntry, master: &str) -> Vec<String> {
    let mut out: Vec<String> = entry
        .versions
        .iter()
        .filter(|(_, v)| v.is_ok())
        .map(|(lang, _)| lang.clone())
        .collect();
    out.sort_by_key(|lang| lang != master);
    out
}

/// A commitment's summary from its master version (`None` when that version is invalid).
pub fn summaries(snapshot: &PlanSnapshot) -> Vec<CommitmentSummary> {
    let master = snapshot.master_language();
    snapshot
        .commitments
        .iter()
        .filter_map(|entry| {
            let c = entry.master(master)?;
            Some(CommitmentSummary {
                id: entry.id.clone(),
                number: c.front.number,
                title: c.front.title.clone(),
                area: c.front.area.clone(),
                lead_agencies: c.front.lead_agencies.clone(),
                co_agencies: c.front.co_agencies.clone(),
                languages: languages(entry, master),
            })
        })
        .collect()
}

/// The plan with its areas, titles in `lang` where the plan has them.
pub fn plan(snapshot: &PlanSnapshot, lang: &str) -> PlanView {
    let master = snapshot.master_language();
    let all = summaries(snapshot);
    let areas = snapshot
        .config
        .areas
        .iter()
        .map(|area| AreaView {
            id: area.id.clone(),
            title: area.title.get(lang, master).to_string(),
            commitments: all.iter().filter(|c| c.area == area.id).cloned().collect(),
        })
        .collect();
    let info = &snapshot.config.plan;
    PlanView {
        commit: snapshot.commit.to_string(),
        title: info.title.get(lang, master).to_string(),
        titles: info.title.0.clone(),
        period: info.period.clone(),
        master_language: info.master_language.clone(),
        translations: info.translations.clone(),
        areas,
        commitment_count: all.len(),
        problems: snapshot.problems.clone(),
    }
}

#[derive(Serialize)]
pub struct SectionView {
    pub id: String,
    pub heading: String,
    pub markdown: String,
    /// Sanitized HTML (pages only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub html: Option<String>,
}

#[derive(Serialize)]
pub struct CommitmentView {
    pub id: String,
    pub commit: String,
    pub language: String,
    pub languages: Vec<String>,
    pub number: u32,
    pub title: String,
    pub area: String,
    pub area_title: String,
    pub period: Period,
    pub lead_agencies: Vec<String>,
    pub co_agencies: Vec<String>,
    pub ogp_values: Vec<String>,
    pub sdgs: Vec<u8>,
    pub milestones: Vec<Milestone>,
    pub contact: Contact,
    pub participants: Participants,
    pub sections: Vec<SectionView>,
}

#[derive(Serialize)]
pub struct Period {
    pub start: String,
    pub end: String,
}

pub fn commitment(
    snapshot: &PlanSnapshot,
    doc: &Commitment,
    language: &str,
    ui_lang: &str,
    with_html: bool,
) -> CommitmentView {
    let f = &doc.front;
    let entry = snapshot.commitment(&f.id);
    CommitmentView {
        id: f.id.clone(),
        commit: snapshot.commit.to_string(),
        language: language.to_string(),
        languages: entry
            .map(|e| languages(e, snapshot.master_language()))
            .unwrap_or_default(),
        number: f.number,
        title: f.title.clone(),
        area: f.area.clone(),
        area_title: snapshot
            .config
            .area(&f.area)
            .map(|a| a.title.get(ui_lang, snapshot.master_language()).to_string())
            .unwrap_or_default(),
        period: Period {
            start: f.period_start.to_string(),
            end: f.period_end.to_string(),
        },
        lead_agencies: f.lead_agencies.clone(),
        co_agencies: f.co_agencies.clone(),
        ogp_values: f.ogp_values.clone(),
        sdgs: f.sdgs.clone(),
        milestones: f.milestones.clone(),
        contact: f.contact.clone(),
        participants: f.participants.clone(),
        sections: doc
            .sections
            .iter()
            .map(|s| SectionView {
                id: s.id.clone(),
                heading: s.heading.clone(),
                markdown: s.text().to_string(),
                html: with_html.then(|| super::markdown::to_html(s.text())),
            })
            .collect(),
    }
}

#[derive(Serialize)]
pub struct CommitView {
    pub id: String,
    pub short_id: String,
    pub author_name: String,
    pub author_email: String,
    /// `government`, `civil_society` or empty when the author is not a forum member.
    pub author_sector: String,
    /// RFC 3339 with the author's offset.
    pub time: String,
    /// `2020-11-18 15:20` in the author's offset, for people.
    pub time_display: String,
    pub summary: String,
    /// The message after its summary line.
    pub body: String,
}

pub fn commits(snapshot: &PlanSnapshot, commits: Vec<CommitInfo>) -> Vec<CommitView> {
    commits
        .into_iter()
        .map(|c| {
            let (time, time_display) = format_time(c.time, c.offset_minutes);
            let body = c
                .message
                .split_once('\n')
                .map_or("", |(_, rest)| rest)
                .trim()
                .to_string();
            CommitView {
                author_sector: snapshot
                    .forum
                    .by_email(&c.author_email)
                    .map(|m| m.sector.clone())
                    .unwrap_or_default(),
                id: c.id,
                short_id: c.short_id,
                author_name: c.author_name,
                author_email: c.author_email,
                time,
                time_display,
                summary: c.summary,
                body,
            }
        })
        .collect()
}

pub(super) fn format_time(seconds: i64, offset_minutes: i32) -> (String, String) {
    let Ok(ts) = jiff::Timestamp::from_second(seconds) else {
        return (seconds.to_string(), seconds.to_string());
    };
    let offset =
        jiff::tz::Offset::from_seconds(offset_minutes * 60).unwrap_or(jiff::tz::Offset::UTC);
    let zoned = ts.to_zoned(jiff::tz::TimeZone::fixed(offset));
    (
        zoned.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string(),
        zoned.strftime("%Y-%m-%d %H:%M").to_string(),
    )
}
