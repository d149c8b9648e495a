//! Diffs as pages show them: [`crate::workflow::compare::PlanDiff`] turned into what the
//! templates iterate over — per section the inline segments and the two sides of the
//! side-by-side view, and structured-field changes said in a sentence in the reader's UI
//! language ("主辦機關：內政部 → 數位發展部", "Milestone m3 added: …").

use serde::Serialize;

use crate::diff::{Change, DocumentDiff, FieldChange, Segment, Status};
use crate::workflow::compare::{CommitmentDiff, PlanDiff};

use super::i18n::Lang;

#[derive(Debug, Serialize)]
pub struct PlanDiffView {
    pub from: String,
    pub to: String,
    pub commitments: Vec<CommitmentDiffView>,
    pub other_files: Vec<String>,
    pub timed_out: bool,
}

#[derive(Debug, Serialize)]
pub struct CommitmentDiffView {
    pub id: String,
    pub number: Option<u32>,
    pub title: String,
    pub documents: Vec<DocumentDiffView>,
}

#[derive(Debug, Serialize)]
pub struct DocumentDiffView {
    pub lang: String,
    pub status: &'static str,
    pub invalid: bool,
    pub fields: Vec<FieldLine>,
    pub sections: Vec<SectionView>,
    pub unchanged_sections: usize,
}

/// One structured-field change: a sentence, and for a milestone's text its inline diff.
#[derive(Debug, Serialize)]
pub struct FieldLine {
    pub text: String,
    pub segments: Option<Vec<Segment>>,
}

#[derive(Debug, Serialize)]
pub struct SectionView {
    pub id: String,
    pub heading: String,
    pub status: &'static str,
    pub heading_changed: Option<String>,
    pub inline: Vec<Segment>,
    pub old: Vec<Segment>,
    pub new: Vec<Segment>,
    pub inserted: usize,
    pub deleted: usize,
}

fn status(s: Status) -> &'static str {
    match s {
        Status::Added => "added",
        Status::Deleted => "deleted",
        Status::Changed => "changed",
        Status::Unchanged => "unchanged",
    }
}

pub fn plan(diff: &PlanDiff, lang: Lang) -> PlanDiffView {
    PlanDiffView {
        from: diff.from.clone(),
        to: diff.to.clone(),
        commitments: diff
            .commitments
            .iter()
            .map(|c| commitment(c, lang))
            .collect(),
        other_files: diff.other_files.clone(),
        timed_out: diff.timed_out,
    }
}

/// One commitment's changes.
pub fn commitment(c: &CommitmentDiff, lang: Lang) -> CommitmentDiffView {
    CommitmentDiffView {
        id: c.id.clone(),
        number: c.number,
        title: c.title.clone(),
        documents: c
            .documents
            .iter()
            .map(|d| match &d.diff {
                Some(diff) => document(&d.lang, diff, lang),
                None => DocumentDiffView {
                    lang: d.lang.clone(),
                    status: "invalid",
                    invalid: true,
                    fields: Vec::new(),
                    sections: Vec::new(),
                    unchanged_sections: 0,
                },
            })
            .collect(),
    }
}

fn document(doc_lang: &str, d: &DocumentDiff, lang: Lang) -> DocumentDiffView {
    DocumentDiffView {
        lang: doc_lang.to_string(),
        status: status(d.status),
        invalid: false,
        fields: d.fields.iter().map(|f| field_line(f, lang)).collect(),
        sections: d
            .sections
            .iter()
            .map(|s| SectionView {
                id: s.id.clone(),
                heading: s
                    .new_heading
                    .clone()
                    .or_else(|| s.old_heading.clone())
                    .unwrap_or_default(),
                status: status(s.status),
                heading_changed: s
                    .heading
                    .as_ref()
                    .map(|_| s.old_heading.clone().unwrap_or_default()),
                inline: s.body.segments.clone(),
                old: s.body.old_side(),
                new: s.body.new_side(),
                inserted: s.body.inserted,
                deleted: s.body.deleted,
            })
            .collect(),
        unchanged_sections: d.unchanged_sections,
    }
}

/// The UI label of a field key.
fn label(field: &str, lang: Lang) -> String {
    let key = match field {
        "id" => "field_id",
        "title" => "field_title",
        "number" => "number",
        "area" => "area",
        "period.start" => "field_period_start",
        "period.end" => "field_period_end",
        "lead_agencies" => "lead_agency",
        "co_agencies" => "co_agency",
        "ogp_values" => "ogp_values",
        "sdgs" => "sdgs",
        "contact.name" => "contact_name",
        "contact.title" => "field_contact_title",
        "contact.unit" => "field_contact_unit",
        "contact.email" => "field_contact_email",
        "contact.phone" => "field_contact_phone",
        "participants.government" => "participants_government",
        "participants.civil_society" => "participants_civil_society",
        "milestone" => "milestone",
        other => return other.to_string(),
    };
    lang.strings().get(key).copied().unwrap_or(key).to_string()
}

/// A value as readers know it: OGP values by their name.
fn value(field: &str, v: &str, lang: Lang) -> String {
    if field == "ogp_values" {
        if let Some(name) = lang.strings().get(format!("ogp_{v}").as_str()) {
            return name.to_string();
        }
    }
    v.to_string()
}

fn field_line(f: &FieldChange, lang: Lang) -> FieldLine {
    let zh = lang == Lang::ZhTw;
    let l = label(f.field, lang);
    let v = |s: &str| value(f.field, s, lang);
    let (text, segments) = match &f.change {
        Change::Set { old, new } => (
            if zh {
                format!("{l}：{} → {}", v(old), v(new))
            } else {
                format!("{l}: {} → {}", v(old), v(new))
            },
            None,
        ),
        Change::Added { value } => (
            if zh {
                format!("{l}：新增「{}」", v(value))
            } else {
                format!("{l}: added “{}”", v(value))
            },
            None,
        ),
        Change::Removed { value } => (
            if zh {
                format!("{l}：刪除「{}」", v(value))
            } else {
                format!("{l}: removed “{}”", v(value))
            },
            None,
        ),
        Change::Reordered { old, new } => {
            let sep = if zh { "、" } else { ", " };
            let join = |xs: &[String]| xs.iter().map(|x| v(x)).collect::<Vec<_>>().join(sep);
            (
                if zh {
                    format!("{l}：順序調整 {} → {}", join(old), join(new))
                } else {
                    format!("{l}: reordered {} → {}", join(old), join(new))
                },
                None,
            )
        }
        Change::MilestoneAdded {
            id,
            text,
            start,
            end,
        } => (
            if zh {
                format!("新增指標 {id}：{text}（{start}–{end}）")
            } else {
                format!("Milestone {id} added: {text} ({start}–{end})")
            },
            None,
        ),
        Change::MilestoneRemoved { id, text } => (
            if zh {
                format!("刪除指標 {id}：{text}")
            } else {
                format!("Milestone {id} removed: {text}")
            },
            None,
        ),
        Change::MilestoneText { id, diff } => (
            if zh {
                format!("指標 {id} 文字修改：")
            } else {
                format!("Milestone {id} reworded: ")
            },
            Some(diff.segments.clone()),
        ),
        Change::MilestoneDates {
            id,
            old_start,
            old_end,
            new_start,
            new_end,
        } => (
            if zh {
                format!("指標 {id} 期程：{old_start}–{old_end} → {new_start}–{new_end}")
            } else {
                format!("Milestone {id} dates: {old_start}–{old_end} → {new_start}–{new_end}")
            },
            None,
        ),
    };
    FieldLine { text, segments }
}
