//! Implementation tracking: for each milestone of a commitment, a progress report per
//! reporting period (half-years, `2021-H1`, `2021-H2` …, within the plan's period), with a
//! status on the OGP IRM's scale (not started, limited, substantial, complete), a short text
//! and evidence links. Someone of a lead agency of the commitment (as `main` names them) or
//! the secretariat reports; everyone reads.
//!
//! **Where it lives**: `progress/<commitment>/<period>.toml` on the `records` branch holds
//! every milestone's report for that period; each submitted report is one commit authored by
//! the reporter. A report for the same milestone and period replaces the earlier one in the
//! file (`git log` on the file keeps every version).
//!
//! Owns: the report record, its validation, who may report, the latest status per milestone
//! and the plan's summary. Knows nothing of HTTP.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::auth::{Role, User};
use crate::doc::YearMonth;
use crate::store::{git, FileChange, Store, StoreError};

use super::plan::{self, CommitFiles};
use super::proposal::{signature, MAIN};
use super::records::{self, read_toml, to_toml};
use super::rounds::Now;
use super::{Clock, PlanReader, PlanSnapshot, WorkflowError};

pub const MAX_TEXT_CHARS: usize = 2_000;
pub const MAX_LINKS: usize = 10;
pub const MAX_LINK_CHARS: usize = 500;

/// How far a milestone has come (the OGP Independent Reporting Mechanism's scale).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    NotStarted,
    Limited,
    Substantial,
    Complete,
}

impl Status {
    pub const ALL: [Status; 4] = [
        Status::NotStarted,
        Status::Limited,
        Status::Substantial,
        Status::Complete,
    ];

    pub fn parse(s: &str) -> Option<Status> {
        match s {
            "not_started" => Some(Status::NotStarted),
            "limited" => Some(Status::Limited),
            "substantial" => Some(Status::Substantial),
            "complete" => Some(Status::Complete),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Status::NotStarted => "not_started",
            Status::Limited => "limited",
            Status::Substantial => "substantial",
            Status::Complete => "complete",
        }
    }
}

/// A reporting period: one half of a year, written `YYYY-H1` or `YYYY-H2`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Period {
    pub year: u16,
    /// 1 or 2.
    pub half: u8,
}

impl Period {
    pub fn parse(s: &str) -> Option<Period> {
        let b = s.as_bytes();
        if b.len() != 7 || !b[..4].iter().all(u8::is_ascii_digit) || &b[4..6] != b"-H" {
            return None;
        }
        let half = match b[6] {
            b'1' => 1,
            b'2' => 2,
            _ => return None,
        };
        Some(Period {
            year: s[..4].parse().ok()?,
            half,
        })
    }

    fn first_month(self) -> YearMonth {
        YearMonth {
            year: self.year,
            month: if self.half == 1 { 1 } else { 7 },
        }
    }

    fn next(self) -> Period {
        if self.half == 1 {
            Period {
                year: self.year,
                half: 2,
            }
        } else {
            Period {
                year: self.year + 1,
                half: 1,
            }
        }
    }

    fn of(month: YearMonth) -> Period {
        Period {
            year: month.year,
            half: if month.month <= 6 { 1 } else { 2 },
        }
    }
}

impl std::fmt::Display for Period {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-H{}", self.year, self.half)
    }
}

/// The half-years the plan's period touches, oldest first (empty when the plan's period is
/// unreadable).
pub fn plan_periods(snap: &PlanSnapshot) -> Vec<Period> {
    let period = &snap.config.plan.period;
    let (Ok(start), Ok(end)) = (
        period.start.parse::<YearMonth>(),
        period.end.parse::<YearMonth>(),
    ) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut p = Period::of(start);
    while p.first_month() <= end && out.len() < 100 {
        out.push(p);
        p = p.next();
    }
    out
}

/// One milestone's report for one period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub milestone: String,
    pub status: Status,
    pub text: String,
    #[serde(default)]
    pub evidence: Vec<String>,
    /// The reporter's id, name and agency (empty for the secretariat without one).
    pub by: String,
    pub by_name: String,
    #[serde(default)]
    pub agency: String,
    /// Seconds since the epoch.
    pub at: i64,
}

/// `progress/<commitment>/<period>.toml`: every milestone's report for one period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeriodFile {
    pub commitment: String,
    pub period: String,
    #[serde(default)]
    pub reports: Vec<Report>,
}

/// What a reporter submits.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewReport {
    pub milestone: String,
    pub period: String,
    pub status: String,
    pub text: String,
    #[serde(default)]
    pub evidence: Vec<String>,
}

/// A report with the period it is for.
#[derive(Debug, Clone, Serialize)]
pub struct Dated {
    pub period: String,
    #[serde(flatten)]
    pub report: Report,
}

/// One commitment's progress.
#[derive(Debug, Clone, Serialize)]
pub struct CommitmentProgress {
    pub commitment: String,
    /// Every period with reports, oldest first, each with its reports in milestone order.
    pub periods: Vec<PeriodFile>,
    /// Per milestone (id), its report of the latest period it was reported for.
    pub latest: BTreeMap<String, Dated>,
}

/// One commitment's line in the plan's summary.
#[derive(Debug, Clone, Serialize)]
pub struct CommitmentSummary {
    pub id: String,
    pub number: u32,
    pub title: String,
    pub milestones: usize,
    /// Milestones per latest status (every status present, zero included).
    pub counts: BTreeMap<Status, usize>,
    /// Milestones with no report yet.
    pub not_reported: usize,
    /// The latest period anything was reported for.
    pub last_period: Option<String>,
}

/// The plan's summary.
#[derive(Debug, Clone, Serialize)]
pub struct PlanProgress {
    pub periods: Vec<String>,
    pub commitments: Vec<CommitmentSummary>,
    /// Over the whole plan.
    pub counts: BTreeMap<Status, usize>,
    pub not_reported: usize,
    pub milestones: usize,
}

fn file_path(commitment: &str, period: Period) -> String {
    format!("progress/{commitment}/{period}.toml")
}

/// Orders `m2` before `m10`.
fn milestone_key(id: &str) -> (u32, String) {
    let n = id
        .trim_start_matches(|c: char| !c.is_ascii_digit())
        .parse()
        .unwrap_or(u32::MAX);
    (n, id.to_string())
}

fn clean(s: &str) -> String {
    s.replace("\r\n", "\n").trim().to_string()
}

/// A valid evidence link: http or https, a host, no spaces or control characters.
fn check_link(link: &str) -> Result<(), WorkflowError> {
    if link.chars().count() > MAX_LINK_CHARS {
        return Err(WorkflowError::bad_input(
            "bad_evidence",
            format!("an evidence link is longer than {MAX_LINK_CHARS} characters"),
        ));
    }
    let lower = link.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"));
    let ok = rest.is_some_and(|r| {
        let host = r.split(['/', '?', '#']).next().unwrap_or("");
        !host.is_empty()
    }) && !link
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | '"'));
    if !ok {
        return Err(WorkflowError::bad_input(
            "bad_evidence",
            format!("\"{link}\" is not an http or https link"),
        ));
    }
    Ok(())
}

/// A report whose own fields are valid, ready to check against the plan and record.
#[derive(Debug, Clone)]
pub struct CheckedReport {
    pub milestone: String,
    pub period: Period,
    pub status: Status,
    pub text: String,
    pub evidence: Vec<String>,
}

/// Checks a report's own fields (status, period format, text, links).
pub fn check(new: &NewReport) -> Result<CheckedReport, WorkflowError> {
    let status = Status::parse(new.status.trim()).ok_or_else(|| {
        WorkflowError::bad_input(
            "bad_status",
            "status is not_started, limited, substantial or complete",
        )
    })?;
    let period = Period::parse(new.period.trim()).ok_or_else(|| {
        WorkflowError::bad_input(
            "bad_period",
            format!(
                "\"{}\" is not a reporting period written YYYY-H1 or YYYY-H2",
                new.period
            ),
        )
    })?;
    let milestone = new.milestone.trim().to_string();
    if milestone.is_empty() {
        return Err(WorkflowError::bad_input(
            "missing_field",
            "milestone is required",
        ));
    }
    let text = clean(&new.text);
    if text.is_empty() {
        return Err(WorkflowError::bad_input(
            "missing_field",
            "text is required",
        ));
    }
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err(WorkflowError::bad_input(
            "too_long",
            format!("text is longer than {MAX_TEXT_CHARS} characters"),
        ));
    }
    if text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(WorkflowError::bad_input(
            "bad_text",
            "text holds control characters",
        ));
    }
    let evidence: Vec<String> = new
        .evidence
        .iter()
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .collect();
    if evidence.len() > MAX_LINKS {
        return Err(WorkflowError::bad_input(
            "bad_evidence",
            format!("at most {MAX_LINKS} evidence links"),
        ));
    }
    for l in &evidence {
        check_link(l)?;
    }
    Ok(CheckedReport {
        milestone,
        period,
        status,
        text,
        evidence,
    })
}

/// May `user` report on a commitment led by `lead_agencies`? The agency recorded with it.
fn reporter_agency(user: &User, lead_agencies: &[String]) -> Option<String> {
    if let Some(a) = user.agency.as_ref().filter(|a| lead_agencies.contains(a)) {
        return Some(a.clone());
    }
    user.has(Role::Admin)
        .then(|| user.agency.clone().unwrap_or_default())
}

/// Whether `user` may report on commitment `id` of `snap` (for pages deciding on a form).
pub fn may_report(user: &User, snap: &PlanSnapshot, id: &str) -> bool {
    snap.commitment(id)
        .and_then(|e| e.master(snap.master_language()))
        .is_some_and(|m| reporter_agency(user, &m.front.lead_agencies).is_some())
}

/// Progress reports. Cheap to clone.
#[derive(Clone)]
pub struct Progress {
    store: Store,
    plan: PlanReader,
    clock: Clock,
}

impl Progress {
    pub fn new(store: Store, plan: PlanReader, clock: Clock) -> Progress {
        Progress { store, plan, clock }
    }

    /// Records a report (see the module doc), checked against `main` in the same write job.
    pub async fn report(
        &self,
        user: User,
        commitment: String,
        new: NewReport,
    ) -> Result<Dated, WorkflowError> {
        let checked = check(&new)?;
        let now = (self.clock)();
        self.store
            .write(move |repo| Ok(report_job(repo, &user, &commitment, checked, Now::utc(now))))
            .await?
    }

    /// One commitment's reports (404 when `main` has no such commitment).
    pub async fn commitment(&self, id: &str) -> Result<CommitmentProgress, WorkflowError> {
        let snap = self.plan.at(MAIN).await?;
        if snap.commitment(id).is_none() {
            return Err(WorkflowError::NotFound(format!("no commitment \"{id}\"")));
        }
        let id = id.to_string();
        Ok(self
            .store
            .read(move |repo| read_commitment(repo, &id))
            .await?)
    }

    /// The plan's summary: every commitment on `main` with its milestones per latest status.
    pub async fn plan(&self) -> Result<PlanProgress, WorkflowError> {
        let snap = self.plan.at(MAIN).await?;
        let ids: Vec<String> = snap.commitments.iter().map(|e| e.id.clone()).collect();
        let all = self
            .store
            .read(move |repo| {
                ids.iter()
                    .map(|id| read_commitment(repo, id))
                    .collect::<Result<Vec<_>, _>>()
            })
            .await?;
        Ok(summary(&snap, &all))
    }
}

fn summary(snap: &PlanSnapshot, all: &[CommitmentProgress]) -> PlanProgress {
    let zero = || -> BTreeMap<Status, usize> { Status::ALL.iter().map(|s| (*s, 0)).collect() };
    let mut total = zero();
    let mut total_not_reported = 0;
    let mut total_milestones = 0;
    let mut commitments = Vec::new();
    for (entry, progress) in snap.commitments.iter().zip(all) {
        let Some(m) = entry.master(snap.master_language()) else {
            continue;
        };
        let mut counts = zero();
        let mut not_reported = 0;
        for ms in &m.front.milestones {
            match progress.latest.get(&ms.id) {
                Some(d) => {
                    *counts.entry(d.report.status).or_default() += 1;
                    *total.entry(d.report.status).or_default() += 1;
                }
                None => not_reported += 1,
            }
        }
        total_not_reported += not_reported;
        total_milestones += m.front.milestones.len();
        commitments.push(CommitmentSummary {
            id: entry.id.clone(),
            number: m.front.number,
            title: m.front.title.clone(),
            milestones: m.front.milestones.len(),
            counts,
            not_reported,
            last_period: progress.periods.last().map(|p| p.period.clone()),
        });
    }
    PlanProgress {
        periods: plan_periods(snap).iter().map(Period::to_string).collect(),
        commitments,
        counts: total,
        not_reported: total_not_reported,
        milestones: total_milestones,
    }
}

fn read_commitment(repo: &git2::Repository, id: &str) -> Result<CommitmentProgress, StoreError> {
    let mut out = CommitmentProgress {
        commitment: id.to_string(),
        periods: Vec::new(),
        latest: BTreeMap::new(),
    };
    let Some(head) = records::head(repo)? else {
        return Ok(out);
    };
    let dir = format!("progress/{id}");
    let mut periods: Vec<Period> = git::list_dir(repo, head, &dir)?
        .iter()
        .filter_map(|n| Period::parse(n.strip_suffix(".toml")?))
        .collect();
    periods.sort();
    for p in periods {
        if let Some(file) = read_toml::<PeriodFile>(repo, head, &file_path(id, p))? {
            for r in &file.reports {
                out.latest.insert(
                    r.milestone.clone(),
                    Dated {
                        period: file.period.clone(),
                        report: r.clone(),
                    },
                );
            }
            out.periods.push(file);
        }
    }
    Ok(out)
}

/// Records a checked report by `user` at `now` on the writer thread (public so the demo
/// replays its history through it).
pub fn report_job(
    repo: &git2::Repository,
    user: &User,
    id: &str,
    r: CheckedReport,
    now: Now,
) -> Result<Dated, WorkflowError> {
    let mut sig = signature(user);
    sig.seconds = now.seconds;
    sig.offset_minutes = now.offset_minutes;
    let now = now.seconds;
    let head = git::resolve(repo, MAIN)?;
    let snap = plan::load(&CommitFiles { repo, commit: head }, head)?;
    let master = snap
        .commitment(id)
        .ok_or_else(|| WorkflowError::NotFound(format!("no commitment \"{id}\"")))?
        .master(snap.master_language())
        .ok_or_else(|| {
            WorkflowError::rejected("invalid_master", format!("the master of {id} is not valid"))
        })?;
    let Some(agency) = reporter_agency(user, &master.front.lead_agencies) else {
        return Err(WorkflowError::denied(
            "not_lead_agency",
            format!(
                "progress on {id} is reported by its lead agency ({}) or the secretariat",
                master.front.lead_agencies.join("、")
            ),
        ));
    };
    if !master.front.milestones.iter().any(|m| m.id == r.milestone) {
        return Err(WorkflowError::NotFound(format!(
            "commitment {id} has no milestone \"{}\"",
            r.milestone
        )));
    }
    let periods = plan_periods(&snap);
    if !periods.contains(&r.period) {
        return Err(WorkflowError::bad_input(
            "bad_period",
            format!(
                "{} is outside the plan's period ({} – {})",
                r.period, snap.config.plan.period.start, snap.config.plan.period.end
            ),
        ));
    }
    let path = file_path(id, r.period);
    let mut file = match records::head(repo)? {
        Some(h) => read_toml::<PeriodFile>(repo, h, &path)?,
        None => None,
    }
    .unwrap_or_else(|| PeriodFile {
        commitment: id.to_string(),
        period: r.period.to_string(),
        reports: Vec::new(),
    });
    let report = Report {
        milestone: r.milestone.clone(),
        status: r.status,
        text: r.text,
        evidence: r.evidence,
        by: user.id.clone(),
        by_name: user.name.clone(),
        agency,
        at: now,
    };
    file.reports.retain(|x| x.milestone != report.milestone);
    file.reports.push(report.clone());
    file.reports.sort_by_key(|x| milestone_key(&x.milestone));
    records::commit(
        repo,
        vec![FileChange {
            path,
            content: Some(to_toml(&file)),
        }],
        &sig,
        &format!(
            "Progress {id} {} {}: {}",
            r.milestone,
            r.period,
            r.status.as_str()
        ),
    )?;
    Ok(Dated {
        period: r.period.to_string(),
        report,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_parse_and_order() {
        assert_eq!(Period::parse("2021-H1").unwrap().to_string(), "2021-H1");
        assert!(Period::parse("2021-H2") > Period::parse("2021-H1"));
        assert!(Period::parse("2022-H1") > Period::parse("2021-H2"));
        for bad in [
            "2021-Q1",
            "2021-H3",
            "2021-h1",
            "21-H1",
            "2021H1",
            "",
            "２０２１-H1",
        ] {
            assert!(Period::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn links_are_http_only() {
        assert!(check_link("https://www.moj.gov.tw/a?b=1").is_ok());
        assert!(check_link("http://example.org").is_ok());
        for bad in [
            "javascript:alert(1)",
            "https://",
            "ftp://x",
            "https://a b",
            "//x.org",
            "data:text/html,x",
        ] {
            assert!(check_link(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_period_file_round_trips() {
        let f = PeriodFile {
            commitment: "c04-information-access".into(),
            period: "2021-H1".into(),
            reports: vec![Report {
                milestone: "m1".into(),
                status: Status::Substantial,
                text: "課程已規劃".into(),
                evidence: vec!["https://example.org/a".into()],
                by: "shufen-kuo".into(),
                by_name: "郭淑芬".into(),
                agency: "法務部".into(),
                at: 1,
            }],
        };
        let text = String::from_utf8(to_toml(&f)).unwrap();
        assert_eq!(toml::from_str::<PeriodFile>(&text).unwrap(), f);
        assert!(milestone_key("m2") < milestone_key("m10"));
    }
}
