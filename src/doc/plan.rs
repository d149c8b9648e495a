//! `plan.toml` (title, period, languages, areas, the approval rule, the forum's rounds and its
//! consensus rule) and `forum/members.toml` (the multi-stakeholder forum and the working
//! groups).

use serde::{Deserialize, Serialize};

use super::commitment::is_valid_id;
use super::month::YearMonth;
use super::problem::{Problem, Problems};
use super::toml_text::{key_on_line, line_at};

/// Text in the master language and its translations: `{ zh-TW = "…", en = "…" }`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocalizedText(pub std::collections::BTreeMap<String, String>);

impl LocalizedText {
    /// The text in `lang`, else in the master language, else any.
    pub fn get<'a>(&'a self, lang: &str, master: &str) -> &'a str {
        self.0
            .get(lang)
            .or_else(|| self.0.get(master))
            .or_else(|| self.0.values().next())
            .map(String::as_str)
            .unwrap_or("")
    }
}

/// Deserializes a TOML file; a syntax or type error becomes a problem at its line, named by
/// the key written on that line.
fn from_toml<T: serde::de::DeserializeOwned>(path: &str, text: &str) -> Result<T, Problems> {
    toml::from_str(text).map_err(|e| {
        let (line, field) = match e.span() {
            Some(span) => (line_at(text, span.start), key_on_line(text, span.start)),
            None => (1, String::new()),
        };
        let field = if field.is_empty() {
            path.to_string()
        } else {
            field
        };
        Problems(vec![Problem::new(path, line, field, e.message().trim())])
    })
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanConfig {
    pub plan: PlanInfo,
    #[serde(default)]
    pub areas: Vec<Area>,
    #[serde(default)]
    pub approval: ApprovalRule,
    /// `[rounds]`: notice and correction periods of the forum's meetings (optional).
    #[serde(default)]
    pub rounds: RoundsConfig,
    /// `[consensus]`: when a round's vote reaches consensus (optional).
    #[serde(default)]
    pub consensus: ConsensusRule,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanInfo {
    pub title: LocalizedText,
    pub period: PlanPeriod,
    pub master_language: String,
    #[serde(default)]
    pub translations: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanPeriod {
    pub start: String,
    pub end: String,
}

/// An area (範疇) of the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Area {
    pub id: String,
    pub title: LocalizedText,
}

/// How many approvals from each sector a proposal needs, per commitment it touches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ApprovalRule {
    pub government_approvals: u32,
    pub civil_society_approvals: u32,
    pub block_on_request_changes: bool,
}

impl Default for ApprovalRule {
    fn default() -> ApprovalRule {
        ApprovalRule {
            government_approvals: 1,
            civil_society_approvals: 1,
            block_on_request_changes: true,
        }
    }
}

/// `[rounds]`: how far ahead a forum meeting should be announced, and how long its minutes
/// stay open to corrections after they are published.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RoundsConfig {
    /// A round announced fewer days before its meeting carries a warning.
    pub notice_days: u32,
    /// Days after publication during which members may propose corrections to the minutes;
    /// after that the minutes are final.
    pub correction_days: u32,
}

impl Default for RoundsConfig {
    fn default() -> RoundsConfig {
        RoundsConfig {
            notice_days: 14,
            correction_days: 10,
        }
    }
}

/// `[consensus]`: a round reaches consensus when no member blocks (with `block_vetoes`) and in
/// each sector at least `ceil(quorum × that sector's members on the roll)` members (and at
/// least one) voted agree.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConsensusRule {
    /// The share of each sector's members who must agree, in (0, 1].
    pub quorum: f64,
    pub block_vetoes: bool,
}

// `quorum` is checked to be a number in (0, 1] when plan.toml is parsed (never NaN), so
// equality is an equivalence.
impl Eq for ConsensusRule {}

impl Default for ConsensusRule {
    fn default() -> ConsensusRule {
        ConsensusRule {
            quorum: 0.5,
            block_vetoes: true,
        }
    }
}

/// The longest period `[rounds]` accepts, in days.
const MAX_DAYS: u32 = 366;

impl PlanConfig {
    pub const PATH: &'static str = "plan.toml";

    /// Parses and validates `plan.toml`.
    pub fn parse(text: &str) -> Result<PlanConfig, Problems> {
        let path = Self::PATH;
        let line_at = |offset: usize| line_at(text, offset);
        let config: PlanConfig = from_toml(path, text)?;
        let mut problems = Vec::new();
        let line_of = |needle: &str| text.find(needle).map_or(1, line_at);
        for (field, value) in [
            ("plan.period.start", &config.plan.period.start),
            ("plan.period.end", &config.plan.period.end),
        ] {
            if let Err(e) = value.parse::<YearMonth>() {
                problems.push(Problem::new(path, line_of("period"), field, e));
            }
        }
        if !config
            .plan
            .title
            .0
            .contains_key(&config.plan.master_language)
        {
            problems.push(Problem::new(
                path,
                line_of("title"),
                "plan.title",
                format!(
                    "the title needs a text in the master language \"{}\"",
                    config.plan.master_language
                ),
            ));
        }
        for (i, area) in config.areas.iter().enumerate() {
            let line = line_of(&format!("\"{}\"", area.id));
            if !is_valid_id(&area.id) {
                problems.push(Problem::new(
                    path,
                    line,
                    format!("areas[{}].id", i + 1),
                    format!(
                        "area id \"{}\" may only hold a-z, 0-9, '-' and '_'",
                        area.id
                    ),
                ));
            }
            if config.areas[..i].iter().any(|a| a.id == area.id) {
                problems.push(Problem::new(
                    path,
                    line,
                    format!("areas[{}].id", i + 1),
                    format!("area id \"{}\" is used twice", area.id),
                ));
            }
        }
        let quorum = config.consensus.quorum;
        if !(quorum > 0.0 && quorum <= 1.0) {
            problems.push(Problem::new(
                path,
                line_of("quorum"),
                "consensus.quorum",
                format!("quorum {quorum} must be a share greater than 0 and at most 1 (e.g. 0.5)"),
            ));
        }
        for (field, key, value) in [
            (
                "rounds.notice_days",
                "notice_days",
                config.rounds.notice_days,
            ),
            (
                "rounds.correction_days",
                "correction_days",
                config.rounds.correction_days,
            ),
        ] {
            if value > MAX_DAYS {
                problems.push(Problem::new(
                    path,
                    line_of(key),
                    field,
                    format!("{value} days is more than the {MAX_DAYS} days allowed"),
                ));
            }
        }
        if problems.is_empty() {
            Ok(config)
        } else {
            Err(Problems(problems))
        }
    }

    /// The master language first, then the translations.
    pub fn languages(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.plan.master_language.as_str())
            .chain(self.plan.translations.iter().map(String::as_str))
    }

    pub fn area(&self, id: &str) -> Option<&Area> {
        self.areas.iter().find(|a| a.id == id)
    }
}

/// `forum/members.toml`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Forum {
    #[serde(default)]
    pub members: Vec<Member>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Member {
    pub id: String,
    pub name: String,
    /// `government` or `civil_society`.
    pub sector: String,
    /// `convener`, `co-convener` or `member`.
    pub role: String,
    #[serde(default)]
    pub organization: String,
    #[serde(default)]
    pub email: String,
    /// Commitment ids whose working group this person belongs to.
    #[serde(default)]
    pub working_groups: Vec<String>,
}

impl Member {
    /// A convener or co-convener.
    pub fn is_convener(&self) -> bool {
        self.role == "convener" || self.role == "co-convener"
    }
}

impl Forum {
    pub const PATH: &'static str = "forum/members.toml";
    pub const SECTORS: [&'static str; 2] = ["government", "civil_society"];
    pub const ROLES: [&'static str; 3] = ["convener", "co-convener", "member"];

    pub fn parse(text: &str) -> Result<Forum, Problems> {
        let path = Self::PATH;
        let line_at = |offset: usize| line_at(text, offset);
        let forum: Forum = from_toml(path, text)?;
        let mut problems = Vec::new();
        for (i, m) in forum.members.iter().enumerate() {
            let line = text.find(&format!("\"{}\"", m.id)).map_or(1, line_at);
            let field = |f: &str| format!("members[{}].{f}", i + 1);
            if !is_valid_id(&m.id) {
                problems.push(Problem::new(
                    path,
                    line,
                    field("id"),
                    format!("member id \"{}\" may only hold a-z, 0-9, '-' and '_'", m.id),
                ));
            }
            if forum.members[..i].iter().any(|o| o.id == m.id) {
                problems.push(Problem::new(
                    path,
                    line,
                    field("id"),
                    format!("member id \"{}\" is used twice", m.id),
                ));
            }
            if !Self::SECTORS.contains(&m.sector.as_str()) {
                problems.push(Problem::new(
                    path,
                    line,
                    field("sector"),
                    format!(
                        "sector \"{}\" must be government or civil_society",
                        m.sector
                    ),
                ));
            }
            if !Self::ROLES.contains(&m.role.as_str()) {
                problems.push(Problem::new(
                    path,
                    line,
                    field("role"),
                    format!(
                        "role \"{}\" must be convener, co-convener or member",
                        m.role
                    ),
                ));
            }
        }
        if problems.is_empty() {
            Ok(forum)
        } else {
            Err(Problems(problems))
        }
    }

    /// The member whose id is `id` (forum member ids are account ids).
    pub fn member(&self, id: &str) -> Option<&Member> {
        self.members.iter().find(|m| m.id == id)
    }

    /// The conveners and co-conveners, in file order.
    pub fn conveners(&self) -> impl Iterator<Item = &Member> {
        self.members.iter().filter(|m| m.is_convener())
    }

    /// The member whose email is `email` (commit authors are matched this way).
    pub fn by_email(&self, email: &str) -> Option<&Member> {
        self.members
            .iter()
            .find(|m| !m.email.is_empty() && m.email.eq_ignore_ascii_case(email))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
[plan]
title = { zh-TW = "方案" }
period = { start = "2021-01", end = "2024-05" }
master_language = "zh-TW"
"#;

    #[test]
    fn rounds_and_consensus_default_when_absent() {
        let c = PlanConfig::parse(MINIMAL).unwrap();
        assert_eq!(c.rounds, RoundsConfig::default());
        assert_eq!((c.rounds.notice_days, c.rounds.correction_days), (14, 10));
        assert_eq!(c.consensus.quorum, 0.5);
        assert!(c.consensus.block_vetoes);
    }

    #[test]
    fn rounds_and_consensus_are_read_and_checked() {
        let text = format!(
            "{MINIMAL}\n[rounds]\ncorrection_days = 0\n\n[consensus]\nquorum = 1.0\nblock_vetoes = false\n"
        );
        let c = PlanConfig::parse(&text).unwrap();
        assert_eq!((c.rounds.notice_days, c.rounds.correction_days), (14, 0));
        assert_eq!(c.consensus.quorum, 1.0);
        assert!(!c.consensus.block_vetoes);

        for (bad, field, line) in [
            ("[consensus]\nquorum = 0.0\n", "consensus.quorum", 8),
            ("[consensus]\nquorum = 1.5\n", "consensus.quorum", 8),
            ("[consensus]\nquorum = nan\n", "consensus.quorum", 8),
            ("[rounds]\nnotice_days = 400\n", "rounds.notice_days", 8),
        ] {
            let p = PlanConfig::parse(&format!("{MINIMAL}\n{bad}"))
                .unwrap_err()
                .0;
            assert_eq!(
                (p[0].field.as_str(), p[0].line),
                (field, line),
                "{bad}: {p:?}"
            );
        }
        // Unknown keys are still refused, naming the line.
        let p = PlanConfig::parse(&format!("{MINIMAL}\n[rounds]\nnotice = 3\n"))
            .unwrap_err()
            .0;
        assert_eq!(p[0].line, 8, "{p:?}");
        assert!(p[0].message.contains("notice"), "{p:?}");
        let p = PlanConfig::parse(&format!("{MINIMAL}\n[rounds]\nnotice_days = -1\n"))
            .unwrap_err()
            .0;
        assert_eq!(p[0].line, 8, "{p:?}");
    }
}
