//! The edit form of a commitment: every structured field and every section as plain text
//! values, so that no one has to write front matter by hand.
//!
//! [`CommitmentForm::from_commitment`] fills the form from a document; [`CommitmentForm::to_text`]
//! writes the values back as a document's text, which the caller then parses (so the form is
//! validated by exactly the rules every document obeys, with the same messages). Lists are
//! one item per line; SDGs are numbers separated by commas or spaces. Line endings from
//! browsers (`\r\n`) become `\n`. A section whose text did not change keeps its original
//! spacing, so editing one field does not touch the rest of the file.

use std::fmt::Write as _;

use super::commitment::{Commitment, Section};
use super::problem::{Problem, Problems};
use super::toml_text::{string, string_array};

/// One milestone row of the form.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct MilestoneRow {
    pub id: String,
    pub text: String,
    pub start: String,
    pub end: String,
}

/// One section of the form.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct SectionRow {
    pub id: String,
    pub heading: String,
    pub text: String,
}

/// A commitment as form values.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct CommitmentForm {
    pub id: String,
    pub number: String,
    pub area: String,
    pub title: String,
    pub period_start: String,
    pub period_end: String,
    /// One per line.
    pub lead_agencies: String,
    pub co_agencies: String,
    pub ogp_values: Vec<String>,
    /// `5, 16`
    pub sdgs: String,
    pub contact_name: String,
    pub contact_title: String,
    pub contact_unit: String,
    pub contact_email: String,
    pub contact_phone: String,
    pub participants_government: String,
    pub participants_civil_society: String,
    pub milestones: Vec<MilestoneRow>,
    pub sections: Vec<SectionRow>,
}

fn lines(list: &[String]) -> String {
    list.join("\n")
}

fn items(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

fn unix_newlines(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\r', "\n")
}

impl CommitmentForm {
    /// The form filled from a document.
    pub fn from_commitment(c: &Commitment) -> CommitmentForm {
        let f = &c.front;
        CommitmentForm {
            id: f.id.clone(),
            number: f.number.to_string(),
            area: f.area.clone(),
            title: f.title.clone(),
            period_start: f.period_start.to_string(),
            period_end: f.period_end.to_string(),
            lead_agencies: lines(&f.lead_agencies),
            co_agencies: lines(&f.co_agencies),
            ogp_values: f.ogp_values.clone(),
            sdgs: f
                .sdgs
                .iter()
                .map(u8::to_string)
                .collect::<Vec<_>>()
                .join(", "),
            contact_name: f.contact.name.clone(),
            contact_title: f.contact.title.clone(),
            contact_unit: f.contact.unit.clone(),
            contact_email: f.contact.email.clone(),
            contact_phone: f.contact.phone.clone(),
            participants_government: lines(&f.participants.government),
            participants_civil_society: lines(&f.participants.civil_society),
            milestones: f
                .milestones
                .iter()
                .map(|m| MilestoneRow {
                    id: m.id.clone(),
                    text: m.text.clone(),
                    start: m.start.to_string(),
                    end: m.end.to_string(),
                })
                .collect(),
            sections: c
                .sections
                .iter()
                .map(|s| SectionRow {
                    id: s.id.clone(),
                    heading: s.heading.clone(),
                    text: s.text().to_string(),
                })
                .collect(),
        }
    }

    /// The document text these values make. `original` (the document the form was filled
    /// from, if any) lends its spacing to sections whose text is unchanged. Empty milestone
    /// and section rows are dropped; a milestone without an id gets the next free `m<n>`.
    /// Values that cannot be written at all (a number that is not a number) are problems;
    /// everything else is left to [`Commitment::parse`].
    pub fn to_text(&self, path: &str, original: Option<&Commitment>) -> Result<String, Problems> {
        let mut problems = Vec::new();
        let number = self.number.trim();
        if number.is_empty() || !number.chars().all(|c| c.is_ascii_digit()) || number.len() > 6 {
            problems.push(Problem::new(
                path,
                1,
                "number",
                "the number must be a whole number, e.g. 4",
            ));
        }
        let mut sdgs = Vec::new();
        for part in self
            .sdgs
            .split(|c: char| c == ',' || c == '，' || c.is_whitespace())
            .filter(|p| !p.is_empty())
        {
            match part.parse::<u8>() {
                Ok(n) => sdgs.push(n.to_string()),
                Err(_) => problems.push(Problem::new(
                    path,
                    1,
                    "sdgs",
                    format!("\"{part}\" is not an SDG number (1–17)"),
                )),
            }
        }
        if !problems.is_empty() {
            return Err(Problems(problems));
        }
        let one_line = |s: &str| unix_newlines(s).replace('\n', " ").trim().to_string();
        let mut out = String::with_capacity(4096);
        out.push_str("+++\n");
        let _ = writeln!(out, "id = {}", string(self.id.trim()));
        let _ = writeln!(out, "number = {number}");
        let _ = writeln!(out, "area = {}", string(self.area.trim()));
        let _ = writeln!(out, "title = {}", string(&one_line(&self.title)));
        let _ = writeln!(
            out,
            "period = {{ start = {}, end = {} }}",
            string(self.period_start.trim()),
            string(self.period_end.trim())
        );
        let _ = writeln!(
            out,
            "lead_agencies = {}",
            string_array(&items(&self.lead_agencies))
        );
        let _ = writeln!(
            out,
            "co_agencies = {}",
            string_array(&items(&self.co_agencies))
        );
        let _ = writeln!(out, "ogp_values = {}", string_array(&self.ogp_values));
        let _ = writeln!(out, "sdgs = [{}]", sdgs.join(", "));
        let _ = write!(
            out,
            "\n[contact]\nname = {}\ntitle = {}\nunit = {}\nemail = {}\nphone = {}\n",
            string(&one_line(&self.contact_name)),
            string(&one_line(&self.contact_title)),
            string(&one_line(&self.contact_unit)),
            string(&one_line(&self.contact_email)),
            string(&one_line(&self.contact_phone)),
        );
        let _ = write!(
            out,
            "\n[participants]\ngovernment = {}\ncivil_society = {}\n",
            string_array(&items(&self.participants_government)),
            string_array(&items(&self.participants_civil_society)),
        );
        let mut next = self
            .milestones
            .iter()
            .filter_map(|m| m.id.trim().strip_prefix('m')?.parse::<u32>().ok())
            .max()
            .unwrap_or(0);
        for m in &self.milestones {
            let blank = [&m.id, &m.text, &m.start, &m.end]
                .iter()
                .all(|v| v.trim().is_empty());
            if blank {
                continue;
            }
            let id = if m.id.trim().is_empty() {
                next += 1;
                format!("m{next}")
            } else {
                m.id.trim().to_string()
            };
            let _ = write!(
                out,
                "\n[[milestones]]\nid = {}\ntext = {}\nstart = {}\nend = {}\n",
                string(&id),
                string(&one_line(&m.text)),
                string(m.start.trim()),
                string(m.end.trim()),
            );
        }
        out.push_str("+++\n\n");
        let rows: Vec<&SectionRow> = self
            .sections
            .iter()
            .filter(|s| {
                !(s.id.trim().is_empty() && s.heading.trim().is_empty() && s.text.trim().is_empty())
            })
            .collect();
        for (i, row) in rows.iter().enumerate() {
            let text = unix_newlines(&row.text);
            let text = text.trim_matches('\n');
            let id = row.id.trim();
            let kept: Option<&Section> = original
                .and_then(|o| o.section(id))
                .filter(|s| s.text() == text);
            let _ = writeln!(out, "## {} {{#{id}}}", one_line(&row.heading));
            match kept {
                Some(s) => out.push_str(&s.body),
                None if i + 1 == rows.len() => {
                    let _ = writeln!(out, "\n{text}");
                }
                None => {
                    let _ = write!(out, "\n{text}\n\n");
                }
            }
        }
        Ok(out)
    }
}

/// A field of the live editor: its key (`title`, `section.problem.text`, `milestone.m2.end`…)
/// and its text. See `docs/live-protocol.md`.
pub type Field = (String, String);

impl CommitmentForm {
    /// The form as the live editor's fields, in form order. The id is not a field: it never
    /// changes live.
    pub fn to_fields(&self) -> Vec<Field> {
        let mut out: Vec<Field> = Vec::new();
        let mut put = |k: String, v: &str| out.push((k, v.to_string()));
        put("title".into(), &self.title);
        put("number".into(), &self.number);
        put("area".into(), &self.area);
        put("period.start".into(), &self.period_start);
        put("period.end".into(), &self.period_end);
        put("lead_agencies".into(), &self.lead_agencies);
        put("co_agencies".into(), &self.co_agencies);
        put("ogp_values".into(), &self.ogp_values.join("\n"));
        put("sdgs".into(), &self.sdgs);
        put("contact.name".into(), &self.contact_name);
        put("contact.title".into(), &self.contact_title);
        put("contact.unit".into(), &self.contact_unit);
        put("contact.email".into(), &self.contact_email);
        put("contact.phone".into(), &self.contact_phone);
        put(
            "participants.government".into(),
            &self.participants_government,
        );
        put(
            "participants.civil_society".into(),
            &self.participants_civil_society,
        );
        for m in &self.milestones {
            put(format!("milestone.{}.text", m.id), &m.text);
            put(format!("milestone.{}.start", m.id), &m.start);
            put(format!("milestone.{}.end", m.id), &m.end);
        }
        for s in &self.sections {
            put(format!("section.{}.heading", s.id), &s.heading);
            put(format!("section.{}.text", s.id), &s.text);
        }
        out
    }

    /// The form back from live fields (`id` is given, it is not a field). Milestones and
    /// sections come in the order their first field appears; unknown keys are ignored.
    pub fn from_fields(id: &str, fields: &[Field]) -> CommitmentForm {
        let mut f = CommitmentForm {
            id: id.to_string(),
            ..CommitmentForm::default()
        };
        for (key, value) in fields {
            let v = value.clone();
            match key.as_str() {
                "title" => f.title = v,
                "number" => f.number = v,
                "area" => f.area = v,
                "period.start" => f.period_start = v,
                "period.end" => f.period_end = v,
                "lead_agencies" => f.lead_agencies = v,
                "co_agencies" => f.co_agencies = v,
                "ogp_values" => f.ogp_values = items(&v),
                "sdgs" => f.sdgs = v,
                "contact.name" => f.contact_name = v,
                "contact.title" => f.contact_title = v,
                "contact.unit" => f.contact_unit = v,
                "contact.email" => f.contact_email = v,
                "contact.phone" => f.contact_phone = v,
                "participants.government" => f.participants_government = v,
                "participants.civil_society" => f.participants_civil_society = v,
                other => {
                    let mut parts = other.splitn(3, '.');
                    let (Some(kind), Some(id), Some(part)) =
                        (parts.next(), parts.next(), parts.next())
                    else {
                        continue;
                    };
                    match kind {
                        "milestone" => {
                            let row = match f.milestones.iter().position(|m| m.id == id) {
                                Some(i) => &mut f.milestones[i],
                                None => {
                                    f.milestones.push(MilestoneRow {
                                        id: id.to_string(),
                                        ..MilestoneRow::default()
                                    });
                                    f.milestones.last_mut().expect("just pushed")
                                }
                            };
                            match part {
                                "text" => row.text = v,
                                "start" => row.start = v,
                                "end" => row.end = v,
                                _ => {}
                            }
                        }
                        "section" => {
                            let row = match f.sections.iter().position(|s| s.id == id) {
                                Some(i) => &mut f.sections[i],
                                None => {
                                    f.sections.push(SectionRow {
                                        id: id.to_string(),
                                        ..SectionRow::default()
                                    });
                                    f.sections.last_mut().expect("just pushed")
                                }
                            };
                            match part {
                                "heading" => row.heading = v,
                                "text" => row.text = v,
                                _ => {}
                            }
                        }
                        _ => {}
                    }
                }
            }
        }
        f
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = include_str!("../../demo/commitments/c04-information-access/zh-TW.md");

    #[test]
    fn an_untouched_form_gives_back_the_document_byte_for_byte() {
        let path = "commitments/c04-information-access/zh-TW.md";
        let doc = Commitment::parse(path, DOC).expect("demo document parses");
        let form = CommitmentForm::from_commitment(&doc);
        assert_eq!(form.to_text(path, Some(&doc)).unwrap(), DOC);
    }

    #[test]
    fn edits_from_a_browser_become_a_valid_document() {
        let path = "commitments/c04-information-access/zh-TW.md";
        let doc = Commitment::parse(path, DOC).unwrap();
        let mut form = CommitmentForm::from_commitment(&doc);
        form.lead_agencies = "數位發展部\r\n\r\n".into();
        form.sections[0].text = "第一段。\r\n\r\n第二段。".into();
        form.milestones.push(MilestoneRow {
            id: String::new(),
            text: "新增指標".into(),
            start: "2023-01".into(),
            end: "2023-12".into(),
        });
        form.milestones.push(MilestoneRow::default());
        form.sdgs = "16，5".into();
        let text = form.to_text(path, Some(&doc)).unwrap();
        let edited = Commitment::parse(path, &text).unwrap();
        assert_eq!(edited.front.lead_agencies, ["數位發展部"]);
        assert_eq!(edited.sections[0].text(), "第一段。\n\n第二段。");
        assert_eq!(edited.front.milestones.last().unwrap().id, "m5");
        assert_eq!(edited.front.milestones.len(), 5);
        assert_eq!(edited.front.sdgs, [16, 5]);
        assert_eq!(edited.sections[1], doc.sections[1]);
        // The result is canonical: parsing and writing it again changes nothing.
        assert_eq!(edited.to_text(), text);
    }

    #[test]
    fn live_fields_give_the_document_back() {
        let path = "commitments/c04-information-access/zh-TW.md";
        let doc = Commitment::parse(path, DOC).unwrap();
        let form = CommitmentForm::from_commitment(&doc);
        let fields = form.to_fields();
        assert!(fields.iter().any(|(k, _)| k == "section.problem.text"));
        assert!(fields.iter().any(|(k, _)| k == "milestone.m2.end"));
        let back = CommitmentForm::from_fields(&doc.front.id, &fields);
        assert_eq!(back, form);
        assert_eq!(back.to_text(path, Some(&doc)).unwrap(), DOC);
    }

    #[test]
    fn bad_numbers_are_problems_and_bad_months_are_left_to_the_parser() {
        let path = "commitments/c04-information-access/zh-TW.md";
        let doc = Commitment::parse(path, DOC).unwrap();
        let mut form = CommitmentForm::from_commitment(&doc);
        form.number = "四".into();
        form.sdgs = "16, x".into();
        let problems = form.to_text(path, None).unwrap_err();
        let fields: Vec<&str> = problems.0.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, ["number", "sdgs"]);
        let mut form = CommitmentForm::from_commitment(&doc);
        form.period_end = "2024-13".into();
        let text = form.to_text(path, None).unwrap();
        let problems = Commitment::parse(path, &text).unwrap_err();
        assert!(
            problems.0.iter().any(|p| p.field.contains("period")),
            "{problems}"
        );
    }
}
