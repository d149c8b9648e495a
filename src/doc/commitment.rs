//! A commitment document: the NDC form 「承諾事項建議表」 as Markdown.
//!
//! ```text
//! +++                      <- TOML front matter: the structured fields
//! id = "c04-information-access"
//! ...
//! +++
//!
//! ## 承諾事項為何？ {#commitment}   <- narrative fields: `##` sections with stable ids
//! ...
//! ```
//!
//! [`Commitment::parse`] checks everything that can be checked from the file alone and reports
//! each problem with its line; [`Commitment::to_text`] writes the canonical form, so that
//! `parse(text).to_text() == text` for every canonical file. Section bodies are kept verbatim.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

use super::month::YearMonth;
use super::problem::{Problem, Problems};
use super::toml_text;

/// The OGP core values a commitment may be relevant to, in their canonical order.
pub const OGP_VALUES: [&str; 3] = ["transparency", "participation", "accountability"];

/// Sections every commitment must have.
const REQUIRED_SECTIONS: [&str; 3] = ["description", "problem", "commitment"];

const DELIMITER: &str = "+++";

/// A parsed, valid commitment document (one language version of it).
#[derive(Debug, Clone)]
pub struct Commitment {
    pub front: FrontMatter,
    /// Text between the front matter and the first section: blank lines only.
    pub preamble: String,
    pub sections: Vec<Section>,
    /// Where each field and section starts (1-based line), for later messages.
    lines: BTreeMap<String, usize>,
}

impl PartialEq for Commitment {
    fn eq(&self, other: &Commitment) -> bool {
        self.front == other.front
            && self.preamble == other.preamble
            && self.sections == other.sections
    }
}

/// The structured fields of the form.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FrontMatter {
    /// Stable id, equal to the folder name: `c04-information-access`.
    pub id: String,
    /// The number in the plan (1-based).
    pub number: u32,
    /// Area id, one of `plan.toml`'s areas.
    pub area: String,
    pub title: String,
    pub period_start: YearMonth,
    pub period_end: YearMonth,
    pub lead_agencies: Vec<String>,
    pub co_agencies: Vec<String>,
    /// A subset of [`OGP_VALUES`].
    pub ogp_values: Vec<String>,
    /// Sustainable Development Goals, 1–17.
    pub sdgs: Vec<u8>,
    pub contact: Contact,
    pub participants: Participants,
    pub milestones: Vec<Milestone>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Contact {
    pub name: String,
    pub title: String,
    pub unit: String,
    pub email: String,
    pub phone: String,
}

/// Other participants: government agencies; civil society, private sector, working groups.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Participants {
    pub government: Vec<String>,
    pub civil_society: Vec<String>,
}

/// A verifiable milestone (可量化或驗證之衡量指標) with its start and end month.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Milestone {
    /// Stable id (`m1`, `m2`, ...), shared by every language version.
    pub id: String,
    pub text: String,
    pub start: YearMonth,
    pub end: YearMonth,
}

/// A narrative field: `## heading {#id}` and the Markdown below it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Section {
    /// Stable id, shared by every language version and kept across edits.
    pub id: String,
    pub heading: String,
    /// The Markdown after the heading line, verbatim (blank lines included).
    pub body: String,
}

impl Section {
    /// The section's text without the blank lines around it.
    pub fn text(&self) -> &str {
        self.body.trim_matches('\n')
    }
}

// ---- the shape serde reads; every field optional so that we, not serde, name what is missing

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFront {
    id: Option<Spanned<String>>,
    number: Option<Spanned<i64>>,
    area: Option<Spanned<String>>,
    title: Option<Spanned<String>>,
    period: Option<Spanned<RawPeriod>>,
    lead_agencies: Option<Spanned<Vec<String>>>,
    co_agencies: Option<Vec<String>>,
    ogp_values: Option<Spanned<Vec<Spanned<String>>>>,
    sdgs: Option<Vec<Spanned<i64>>>,
    contact: Option<Spanned<RawContact>>,
    participants: Option<Participants>,
    milestones: Option<Vec<Spanned<RawMilestone>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawContact {
    #[serde(default)]
    name: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    unit: String,
    email: Option<Spanned<String>>,
    #[serde(default)]
    phone: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPeriod {
    start: Option<Spanned<String>>,
    end: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMilestone {
    id: Option<Spanned<String>>,
    text: Option<Spanned<String>>,
    start: Option<Spanned<String>>,
    end: Option<Spanned<String>>,
}

/// Turns byte offsets of the front matter into file lines and collects problems.
struct Reader<'a> {
    path: &'a str,
    /// The whole file.
    text: &'a str,
    /// Byte offset of the front matter within the file.
    front_offset: usize,
    problems: Vec<Problem>,
    lines: BTreeMap<String, usize>,
}

impl Reader<'_> {
    fn line_at(&self, file_offset: usize) -> usize {
        toml_text::line_at(self.text, file_offset)
    }

    fn line_of(&self, span: Range<usize>) -> usize {
        self.line_at(self.front_offset + span.start)
    }

    fn problem(&mut self, line: usize, field: impl Into<String>, message: impl Into<String>) {
        self.problems
            .push(Problem::new(self.path, line, field, message));
    }

    fn note(&mut self, field: impl Into<String>, span: Range<usize>) -> usize {
        let line = self.line_of(span);
        self.lines.insert(field.into(), line);
        line
    }

    /// A required field: its value, or a problem on the front matter's first line.
    fn required<T>(&mut self, value: Option<Spanned<T>>, field: &str) -> Option<(T, usize)> {
        match value {
            Some(v) => {
                let line = self.note(field, v.span());
                Some((v.into_inner(), line))
            }
            None => {
                self.problem(1, field, format!("required field \"{field}\" is missing"));
                None
            }
        }
    }

    fn month(
        &mut self,
        value: Option<Spanned<String>>,
        field: &str,
        line: usize,
    ) -> Option<YearMonth> {
        let Some(value) = value else {
            self.problem(
                line,
                field,
                format!("required field \"{field}\" is missing"),
            );
            return None;
        };
        let line = self.note(field, value.span());
        match value.get_ref().parse::<YearMonth>() {
            Ok(m) => Some(m),
            Err(e) => {
                self.problem(line, field, e);
                None
            }
        }
    }

    fn non_empty_text(
        &mut self,
        value: Option<Spanned<String>>,
        field: &str,
        line: usize,
    ) -> Option<String> {
        match value {
            Some(v) if !v.get_ref().trim().is_empty() => {
                self.note(field, v.span());
                Some(v.into_inner())
            }
            Some(v) => {
                let line = self.line_of(v.span());
                self.problem(line, field, format!("\"{field}\" must not be empty"));
                None
            }
            None => {
                self.problem(
                    line,
                    field,
                    format!("required field \"{field}\" is missing"),
                );
                None
            }
        }
    }
}

/// A stable id: ASCII lowercase letters, digits, `-` and `_`, starting with a letter or digit.
pub fn is_valid_id(id: &str) -> bool {
    let mut chars = id.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase() || c.is_ascii_digit())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
        && id.len() <= 80
}

impl Commitment {
    /// Parses and validates one commitment file. `path` only names the file in problems.
    pub fn parse(path: &str, text: &str) -> Result<Commitment, Problems> {
        let mut r = Reader {
            path,
            text,
            front_offset: 0,
            problems: Vec::new(),
            lines: BTreeMap::new(),
        };
        if let Some(pos) = text.find('\r') {
            let line = r.line_at(pos);
            r.problem(
                line,
                "file",
                "line endings must be LF (\\n), not CRLF or CR",
            );
            return Err(Problems(r.problems));
        }
        let Some((front_text, body, body_offset)) = split_front_matter(text) else {
            r.problem(
                1,
                "front matter",
                "a commitment starts with a line \"+++\", its fields in TOML, and a closing line \"+++\"",
            );
            return Err(Problems(r.problems));
        };
        r.front_offset = DELIMITER.len() + 1;
        let front = read_front(&mut r, front_text);
        let (preamble, sections) = read_sections(&mut r, body, body_offset);
        match front {
            Some(front) if r.problems.is_empty() => Ok(Commitment {
                front,
                preamble,
                sections,
                lines: r.lines,
            }),
            _ => {
                r.problems.sort_by_key(|p| p.line);
                Err(Problems(r.problems))
            }
        }
    }

    /// The canonical text of this document.
    pub fn to_text(&self) -> String {
        let mut out = String::with_capacity(4096);
        let f = &self.front;
        let s = toml_text::string;
        let a = toml_text::string_array;
        out.push_str("+++\n");
        let _ = writeln!(out, "id = {}", s(&f.id));
        let _ = writeln!(out, "number = {}", f.number);
        let _ = writeln!(out, "area = {}", s(&f.area));
        let _ = writeln!(out, "title = {}", s(&f.title));
        let _ = writeln!(
            out,
            "period = {{ start = \"{}\", end = \"{}\" }}",
            f.period_start, f.period_end
        );
        let _ = writeln!(out, "lead_agencies = {}", a(&f.lead_agencies));
        let _ = writeln!(out, "co_agencies = {}", a(&f.co_agencies));
        let _ = writeln!(out, "ogp_values = {}", a(&f.ogp_values));
        let sdgs: Vec<String> = f.sdgs.iter().map(u8::to_string).collect();
        let _ = writeln!(out, "sdgs = [{}]", sdgs.join(", "));
        let c = &f.contact;
        let _ = write!(
            out,
            "\n[contact]\nname = {}\ntitle = {}\nunit = {}\nemail = {}\nphone = {}\n",
            s(&c.name),
            s(&c.title),
            s(&c.unit),
            s(&c.email),
            s(&c.phone)
        );
        let _ = write!(
            out,
            "\n[participants]\ngovernment = {}\ncivil_society = {}\n",
            a(&f.participants.government),
            a(&f.participants.civil_society)
        );
        for m in &f.milestones {
            let _ = write!(
                out,
                "\n[[milestones]]\nid = {}\ntext = {}\nstart = \"{}\"\nend = \"{}\"\n",
                s(&m.id),
                s(&m.text),
                m.start,
                m.end
            );
        }
        out.push_str("+++\n");
        out.push_str(&self.preamble);
        for section in &self.sections {
            let _ = writeln!(out, "## {} {{#{}}}", section.heading, section.id);
            out.push_str(&section.body);
        }
        out
    }

    /// The line a field (`id`, `area`, `milestones[1].end`...) or a section (`section problem`)
    /// started on when this document was parsed; 1 when unknown.
    pub fn line_of(&self, field: &str) -> usize {
        self.lines.get(field).copied().unwrap_or(1)
    }

    pub fn section(&self, id: &str) -> Option<&Section> {
        self.sections.iter().find(|s| s.id == id)
    }
}

/// Splits `+++\n<front>+++\n<body>`; returns the front text, the body and the body's offset.
fn split_front_matter(text: &str) -> Option<(&str, &str, usize)> {
    let rest = text.strip_prefix("+++\n")?;
    let mut offset = 0;
    for line in rest.split_inclusive('\n') {
        if line.trim_end_matches('\n') == DELIMITER {
            let body_start = 4 + offset + line.len();
            return Some((&rest[..offset], &text[body_start..], body_start));
        }
        offset += line.len();
    }
    None
}

fn read_front(r: &mut Reader<'_>, front_text: &str) -> Option<FrontMatter> {
    let raw: RawFront = match toml::from_str(front_text) {
        Ok(raw) => raw,
        Err(e) => {
            let (line, field) = match e.span() {
                Some(span) => {
                    let line = r.line_of(span.clone());
                    (line, toml_text::key_on_line(front_text, span.start))
                }
                None => (1, String::new()),
            };
            // An error on a line without a key (e.g. at the end of an unclosed string) still
            // names a field, as plan.toml's and sync records' problems do.
            let field = if field.is_empty() {
                "front matter".to_string()
            } else {
                field
            };
            let message = e.message().trim().to_string();
            r.problem(line, field, message);
            return None;
        }
    };

    let id = r.required(raw.id, "id");
    if let Some((id, line)) = &id {
        if !is_valid_id(id) {
            r.problem(
                *line,
                "id",
                format!(
                    "id \"{id}\" may only hold a-z, 0-9, '-' and '_' (e.g. c04-information-access)"
                ),
            );
        }
    }
    let number = match r.required(raw.number, "number") {
        Some((n, _)) if (1..=9999).contains(&n) => Some(n as u32),
        Some((n, line)) => {
            r.problem(
                line,
                "number",
                format!("number {n} must be between 1 and 9999"),
            );
            None
        }
        None => None,
    };
    let area = r.required(raw.area, "area").map(|(a, _)| a);
    let title = match r.required(raw.title, "title") {
        Some((t, line)) if t.trim().is_empty() => {
            r.problem(line, "title", "title must not be empty");
            None
        }
        other => other.map(|(t, _)| t),
    };

    let mut period = None;
    if let Some((p, line)) = r.required(raw.period, "period") {
        let start = r.month(p.start, "period.start", line);
        let end = r.month(p.end, "period.end", line);
        if let (Some(start), Some(end)) = (start, end) {
            if end < start {
                r.problem(
                    line,
                    "period",
                    format!("period ends ({end}) before it starts ({start})"),
                );
            } else {
                period = Some((start, end));
            }
        }
    }

    let lead_agencies = match r.required(raw.lead_agencies, "lead_agencies") {
        Some((list, line)) if list.iter().all(|a| a.trim().is_empty()) => {
            r.problem(
                line,
                "lead_agencies",
                "at least one lead agency (主辦機關) is required",
            );
            None
        }
        other => other.map(|(l, _)| l),
    };

    let mut ogp_values = Vec::new();
    if let Some(values) = raw.ogp_values {
        r.note("ogp_values", values.span());
        for v in values.into_inner() {
            let line = r.line_of(v.span());
            let v = v.into_inner();
            if !OGP_VALUES.contains(&v.as_str()) {
                r.problem(
                    line,
                    "ogp_values",
                    format!(
                        "unknown OGP value \"{v}\" (known: {})",
                        OGP_VALUES.join(", ")
                    ),
                );
            } else if ogp_values.contains(&v) {
                r.problem(
                    line,
                    "ogp_values",
                    format!("OGP value \"{v}\" is listed twice"),
                );
            } else {
                ogp_values.push(v);
            }
        }
    }

    let mut sdgs = Vec::new();
    for goal in raw.sdgs.unwrap_or_default() {
        let line = r.line_of(goal.span());
        match u8::try_from(*goal.get_ref()) {
            Ok(g) if (1..=17).contains(&g) => sdgs.push(g),
            _ => r.problem(
                line,
                "sdgs",
                format!(
                    "{} is not a Sustainable Development Goal (1–17)",
                    goal.get_ref()
                ),
            ),
        }
    }

    let contact = match raw.contact {
        Some(c) => {
            r.note("contact", c.span());
            let c = c.into_inner();
            let email = match c.email {
                Some(email) if !email.get_ref().is_empty() && !email.get_ref().contains('@') => {
                    let line = r.line_of(email.span());
                    r.problem(
                        line,
                        "contact.email",
                        format!("\"{}\" is not an email address", email.get_ref()),
                    );
                    email.into_inner()
                }
                Some(email) => email.into_inner(),
                None => String::new(),
            };
            Contact {
                name: c.name,
                title: c.title,
                unit: c.unit,
                email,
                phone: c.phone,
            }
        }
        None => Contact::default(),
    };

    let mut milestones: Vec<Milestone> = Vec::new();
    for (i, m) in raw.milestones.unwrap_or_default().into_iter().enumerate() {
        let n = i + 1;
        let line = r.note(format!("milestones[{n}]"), m.span());
        let m = m.into_inner();
        let field = |name: &str| format!("milestones[{n}].{name}");
        let id = r.non_empty_text(m.id, &field("id"), line);
        let text = r.non_empty_text(m.text, &field("text"), line);
        let start = r.month(m.start, &field("start"), line);
        let end = r.month(m.end, &field("end"), line);
        if let Some(id) = &id {
            if !is_valid_id(id) {
                let line = r.line_of_field(&field("id"), line);
                r.problem(
                    line,
                    field("id"),
                    format!("milestone id \"{id}\" may only hold a-z, 0-9, '-' and '_'"),
                );
            } else if milestones.iter().any(|other| &other.id == id) {
                let line = r.line_of_field(&field("id"), line);
                r.problem(
                    line,
                    field("id"),
                    format!("milestone id \"{id}\" is used twice"),
                );
            }
        }
        if let (Some(start), Some(end)) = (start, end) {
            if end < start {
                let line = r.line_of_field(&field("end"), line);
                r.problem(
                    line,
                    field("end"),
                    format!(
                        "milestone {} ends ({end}) before it starts ({start})",
                        id.as_deref().unwrap_or("?")
                    ),
                );
            }
        }
        if let (Some(id), Some(text), Some(start), Some(end)) = (id, text, start, end) {
            milestones.push(Milestone {
                id,
                text,
                start,
                end,
            });
        }
    }

    let (id, _) = id?;
    let (period_start, period_end) = period?;
    Some(FrontMatter {
        id,
        number: number?,
        area: area?,
        title: title?,
        period_start,
        period_end,
        lead_agencies: lead_agencies?,
        co_agencies: raw.co_agencies.unwrap_or_default(),
        ogp_values,
        sdgs,
        contact,
        participants: raw.participants.unwrap_or_default(),
        milestones,
    })
}

impl Reader<'_> {
    fn line_of_field(&self, field: &str, fallback: usize) -> usize {
        self.lines.get(field).copied().unwrap_or(fallback)
    }
}

/// Splits the Markdown after the front matter into the preamble and `##` sections.
fn read_sections(r: &mut Reader<'_>, body: &str, body_offset: usize) -> (String, Vec<Section>) {
    let mut preamble = String::new();
    let mut sections: Vec<Section> = Vec::new();
    let mut fence: Option<&str> = None;
    let mut offset = body_offset;
    for line in body.split_inclusive('\n') {
        let line_no = r.line_at(offset);
        offset += line.len();
        let trimmed = line.trim_start();
        if let Some(open) = fence {
            if trimmed.starts_with(open) {
                fence = None;
            }
        } else if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            fence = Some(&trimmed[..3]);
        } else if line.starts_with("## ") || line.trim_end() == "##" {
            let content = line.trim_end_matches('\n').get(3..).unwrap_or("");
            let (heading, id) = split_heading(content);
            match id {
                None => r.problem(
                    line_no,
                    "section",
                    format!("section heading \"{content}\" needs a stable id at its end, e.g. \"## 標題 {{#problem}}\""),
                ),
                Some(id) if !is_valid_id(id) => r.problem(
                    line_no,
                    format!("section {id}"),
                    format!("section id \"{id}\" may only hold a-z, 0-9, '-' and '_'"),
                ),
                Some(id) if sections.iter().any(|s| s.id == id) => {
                    let first = r.lines.get(&format!("section {id}")).copied().unwrap_or(1);
                    r.problem(
                        line_no,
                        format!("section {id}"),
                        format!("section id \"{id}\" is used twice (first on line {first})"),
                    )
                }
                Some(_) if heading.trim().is_empty() => {
                    r.problem(line_no, "section", "section heading has no text")
                }
                Some(id) => {
                    r.lines.insert(format!("section {id}"), line_no);
                }
            }
            sections.push(Section {
                id: id.unwrap_or_default().to_string(),
                heading: heading.to_string(),
                body: String::new(),
            });
            continue;
        }
        match sections.last_mut() {
            Some(section) => section.body.push_str(line),
            None => {
                if !line.trim().is_empty() {
                    r.problem(
                        line_no,
                        "section",
                        "text before the first section belongs to no section: start it with a heading such as \"## 承諾事項之描述 {#description}\"",
                    );
                }
                preamble.push_str(line);
            }
        }
    }
    for required in REQUIRED_SECTIONS {
        if !sections.iter().any(|s| s.id == required) {
            let line = r.line_at(body_offset);
            r.problem(
                line,
                format!("section {required}"),
                format!("required section {{#{required}}} is missing"),
            );
        }
    }
    (preamble, sections)
}

/// `標題 {#problem}` → (`標題`, Some(`problem`)); no id → (content, None).
fn split_heading(content: &str) -> (&str, Option<&str>) {
    let Some(inner) = content.strip_suffix('}') else {
        return (content, None);
    };
    match inner.rfind("{#") {
        Some(pos) => {
            let heading = &inner[..pos];
            (
                heading.strip_suffix(' ').unwrap_or(heading),
                Some(&inner[pos + 2..]),
            )
        }
        None => (content, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEMPLATE: &str = include_str!("../../repo-template/commitments/_template/zh-TW.md");

    fn template_with(from: &str, to: &str) -> String {
        assert!(TEMPLATE.contains(from), "{from}");
        TEMPLATE.replacen(from, to, 1)
    }

    fn problems(text: &str) -> Vec<Problem> {
        Commitment::parse("c.md", text)
            .expect_err("should be invalid")
            .0
    }

    #[test]
    fn the_template_round_trips() {
        for text in [
            TEMPLATE,
            include_str!("../../repo-template/commitments/_template/en.md"),
        ] {
            let doc = Commitment::parse("t.md", text).unwrap();
            assert_eq!(doc.to_text(), text);
            assert_eq!(doc.sections.len(), 8);
            assert_eq!(doc.front.milestones[0].id, "m1");
        }
    }

    /// Found by `cargo fuzz run document`: a TOML error at the end of an unclosed multi-line
    /// string falls on a line without a key, and the problem named no field.
    #[test]
    fn a_toml_error_on_a_line_without_a_key_names_the_front_matter() {
        let p = problems("+++\nid = \"\"\"c04\n\n+++\n\n## A {#a}\n");
        assert_eq!(p[0].field, "front matter", "{p:?}");
        assert!(p[0].message.contains("string"), "{p:?}");
        assert!(p.iter().all(|p| !p.field.is_empty()), "{p:?}");
    }

    #[test]
    fn a_heading_inside_a_code_fence_is_not_a_section() {
        let text = template_with("簡述承諾事項。", "```\n## not a heading\n```");
        let doc = Commitment::parse("t.md", &text).unwrap();
        assert!(doc
            .section("description")
            .unwrap()
            .body
            .contains("## not a heading"));
        assert_eq!(doc.to_text(), text);
    }

    #[test]
    fn never_panics_on_truncations_of_a_valid_file() {
        for (i, _) in TEMPLATE.char_indices() {
            let _ = Commitment::parse("t.md", &TEMPLATE[..i]);
        }
        for junk in [
            "",
            "+++",
            "+++\n",
            "+++\n+++",
            "+++\n+++\n",
            "\u{feff}+++\n",
            "+++\nid = \n+++\n",
            "+++\n[[milestones]]\n+++\n",
        ] {
            assert!(Commitment::parse("t.md", junk).is_err(), "{junk:?}");
        }
    }

    /// Thousands of small random edits of a valid file (a deterministic generator, so a
    /// failure reproduces): parsing never panics, and whatever parses serializes to text that
    /// parses to the same document.
    #[test]
    fn never_panics_on_mutations_of_a_valid_file() {
        const PIECES: [&str; 16] = [
            "+++",
            "\n",
            "\n## ",
            " {#",
            "}",
            "\"",
            "[",
            "]",
            "[[milestones]]\n",
            "=",
            "#",
            "é",
            "承",
            "\\",
            "```\n",
            "",
        ];
        let mut seed: u64 = 0x2021_0105;
        let mut next = |n: usize| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) as usize % n
        };
        let chars: Vec<(usize, char)> = TEMPLATE.char_indices().collect();
        for _ in 0..3000 {
            let mut text = TEMPLATE.to_string();
            for _ in 0..1 + next(3) {
                let (at, _) = chars[next(chars.len())];
                let at = at.min(text.len());
                if !text.is_char_boundary(at) {
                    continue;
                }
                let end = (at + next(8)).min(text.len());
                let end = (end..=text.len())
                    .find(|&e| text.is_char_boundary(e))
                    .unwrap_or(text.len());
                text.replace_range(at..end, PIECES[next(PIECES.len())]);
            }
            if let Ok(doc) = Commitment::parse("m.md", &text) {
                let again =
                    Commitment::parse("m.md", &doc.to_text()).expect("canonical text parses");
                assert_eq!(again, doc);
            }
        }
    }

    #[test]
    fn crlf_is_refused_with_a_line() {
        let text = TEMPLATE.replace('\n', "\r\n");
        let p = problems(&text);
        assert_eq!((p[0].line, p[0].field.as_str()), (1, "file"));
    }

    #[test]
    fn a_type_error_names_the_field_and_line() {
        let p = problems(&template_with("number = 1", "number = \"four\""));
        assert_eq!(p.len(), 1);
        assert_eq!((p[0].line, p[0].field.as_str()), (3, "number"));
    }

    #[test]
    fn id_must_be_a_slug() {
        let p = problems(&template_with("id = \"c00-example\"", "id = \"C 00\""));
        assert_eq!((p[0].line, p[0].field.as_str()), (2, "id"));
    }

    #[test]
    fn number_zero_is_refused() {
        let p = problems(&template_with("number = 1", "number = 0"));
        assert_eq!((p[0].line, p[0].field.as_str()), (3, "number"));
    }
}
