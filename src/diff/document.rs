//! Document diffs: two versions of one commitment (one language) → what changed, said as data.
//! Sections are matched by their stable ids and compared as text; structured fields become
//! [`FieldChange`]s — a stable field key and the values — which the web layer turns into a
//! sentence in the reader's UI language ("lead agency: 內政部 → 數位發展部"). Milestones are
//! matched by id.

use std::time::Instant;

use crate::doc::{Commitment, FrontMatter, Milestone, Section, YearMonth};

use super::text::{diff_text, granularity_for, Granularity, TextDiff};

/// What happened to a document or a section between two versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Added,
    Deleted,
    Changed,
    Unchanged,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DocumentDiff {
    pub status: Status,
    /// Front-matter changes, in the order of the form. Empty when the document was added or
    /// deleted: the document itself says everything then.
    pub fields: Vec<FieldChange>,
    /// Added, deleted and changed sections: the new document's order, a deleted section after
    /// the section it followed (first when it was first).
    pub sections: Vec<SectionDiff>,
    /// Sections present and equal in both versions (left out of `sections`).
    pub unchanged_sections: usize,
    /// Some text diff hit the deadline: still exact, but coarser.
    pub timed_out: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SectionDiff {
    /// The stable id (`{#problem}`).
    pub id: String,
    /// Added, Deleted or Changed.
    pub status: Status,
    pub old_heading: Option<String>,
    pub new_heading: Option<String>,
    /// Set when the section is in both versions and its heading text changed.
    pub heading: Option<TextDiff>,
    /// The section's text ([`Section::text`]: surrounding blank lines do not count). All
    /// Insert for an added section, all Delete for a deleted one.
    pub body: TextDiff,
}

/// One change of a structured field. `field` is a stable key: `id`, `title`, `number`, `area`,
/// `period.start`, `period.end`, `lead_agencies`, `co_agencies`, `ogp_values`, `sdgs`,
/// `contact.name`, `contact.title`, `contact.unit`, `contact.email`, `contact.phone`,
/// `participants.government`, `participants.civil_society`, `milestone`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldChange {
    pub field: &'static str,
    pub change: Change,
}

/// Serialized with a `kind` tag: `{"kind": "set", "old": "內政部", "new": "數位發展部"}`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Change {
    /// A value replaced; also a one-item list whose item was replaced.
    Set {
        old: String,
        new: String,
    },
    /// An item added to a list.
    Added {
        value: String,
    },
    /// An item removed from a list.
    Removed {
        value: String,
    },
    /// Same items, another order (lists; for milestones, their ids).
    Reordered {
        old: Vec<String>,
        new: Vec<String>,
    },
    MilestoneAdded {
        id: String,
        text: String,
        start: YearMonth,
        end: YearMonth,
    },
    MilestoneRemoved {
        id: String,
        text: String,
    },
    MilestoneText {
        id: String,
        diff: TextDiff,
    },
    MilestoneDates {
        id: String,
        old_start: YearMonth,
        old_end: YearMonth,
        new_start: YearMonth,
        new_end: YearMonth,
    },
}

/// Compares two versions of a commitment in language `lang` (which picks the text
/// granularity). `None` on one side: the commitment was added or deleted. Text diffs share
/// `deadline`.
pub fn diff_commitments(
    old: Option<&Commitment>,
    new: Option<&Commitment>,
    lang: &str,
    deadline: Instant,
) -> DocumentDiff {
    let g = granularity_for(lang);
    let fields = match (old, new) {
        (Some(old), Some(new)) => field_changes(&old.front, &new.front, g, deadline),
        _ => Vec::new(),
    };
    let (sections, unchanged_sections) = section_diffs(
        old.map_or(&[], |d| &d.sections),
        new.map_or(&[], |d| &d.sections),
        g,
        deadline,
    );
    let status = match (old, new) {
        (None, Some(_)) => Status::Added,
        (Some(_), None) => Status::Deleted,
        _ if fields.is_empty() && sections.is_empty() => Status::Unchanged,
        _ => Status::Changed,
    };
    let timed_out = sections
        .iter()
        .flat_map(|s| s.heading.iter().chain([&s.body]))
        .chain(fields.iter().filter_map(|f| match &f.change {
            Change::MilestoneText { diff, .. } => Some(diff),
            _ => None,
        }))
        .any(|d| d.timed_out);
    DocumentDiff {
        status,
        fields,
        sections,
        unchanged_sections,
        timed_out,
    }
}

fn section_diffs(
    old: &[Section],
    new: &[Section],
    g: Granularity,
    deadline: Instant,
) -> (Vec<SectionDiff>, usize) {
    // Every id in display order: the new document's, each deleted section after the old
    // section before it (which is already placed, deleted or not).
    let mut order: Vec<&str> = new.iter().map(|s| s.id.as_str()).collect();
    for (i, section) in old.iter().enumerate() {
        if new.iter().any(|s| s.id == section.id) {
            continue;
        }
        let at = match i.checked_sub(1) {
            Some(prev) => order
                .iter()
                .position(|id| *id == old[prev].id)
                .map_or(order.len(), |p| p + 1),
            None => 0,
        };
        order.insert(at, &section.id);
    }

    let mut diffs = Vec::new();
    let mut unchanged = 0;
    for id in order {
        let before = old.iter().find(|s| s.id == id);
        let after = new.iter().find(|s| s.id == id);
        let body = diff_text(
            before.map_or("", Section::text),
            after.map_or("", Section::text),
            g,
            deadline,
        );
        let heading = match (before, after) {
            (Some(b), Some(a)) if b.heading != a.heading => {
                Some(diff_text(&b.heading, &a.heading, g, deadline))
            }
            _ => None,
        };
        let status = match (before, after) {
            (None, _) => Status::Added,
            (_, None) => Status::Deleted,
            _ if heading.is_none() && body.is_unchanged() => {
                unchanged += 1;
                continue;
            }
            _ => Status::Changed,
        };
        diffs.push(SectionDiff {
            id: id.to_string(),
            status,
            old_heading: before.map(|s| s.heading.clone()),
            new_heading: after.map(|s| s.heading.clone()),
            heading,
            body,
        });
    }
    (diffs, unchanged)
}

fn field_changes(
    old: &FrontMatter,
    new: &FrontMatter,
    g: Granularity,
    deadline: Instant,
) -> Vec<FieldChange> {
    let mut out = Vec::new();
    let mut value = |field: &'static str, old: String, new: String| {
        if old != new {
            out.push(FieldChange {
                field,
                change: Change::Set { old, new },
            });
        }
    };
    value("id", old.id.clone(), new.id.clone());
    value("number", old.number.to_string(), new.number.to_string());
    value("area", old.area.clone(), new.area.clone());
    value("title", old.title.clone(), new.title.clone());
    value(
        "period.start",
        old.period_start.to_string(),
        new.period_start.to_string(),
    );
    value(
        "period.end",
        old.period_end.to_string(),
        new.period_end.to_string(),
    );
    list(
        &mut out,
        "lead_agencies",
        &old.lead_agencies,
        &new.lead_agencies,
    );
    list(&mut out, "co_agencies", &old.co_agencies, &new.co_agencies);
    list(&mut out, "ogp_values", &old.ogp_values, &new.ogp_values);
    let numbers = |sdgs: &[u8]| sdgs.iter().map(u8::to_string).collect::<Vec<_>>();
    list(&mut out, "sdgs", &numbers(&old.sdgs), &numbers(&new.sdgs));
    let (a, b) = (&old.contact, &new.contact);
    for (field, old, new) in [
        ("contact.name", &a.name, &b.name),
        ("contact.title", &a.title, &b.title),
        ("contact.unit", &a.unit, &b.unit),
        ("contact.email", &a.email, &b.email),
        ("contact.phone", &a.phone, &b.phone),
    ] {
        if old != new {
            out.push(FieldChange {
                field,
                change: Change::Set {
                    old: old.clone(),
                    new: new.clone(),
                },
            });
        }
    }
    let (a, b) = (&old.participants, &new.participants);
    list(
        &mut out,
        "participants.government",
        &a.government,
        &b.government,
    );
    list(
        &mut out,
        "participants.civil_society",
        &a.civil_society,
        &b.civil_society,
    );
    milestones(&mut out, &old.milestones, &new.milestones, g, deadline);
    out
}

/// One item replaced in a one-item list → `Set`; otherwise `Removed` / `Added` per item, or
/// `Reordered` when only the order changed.
fn list(out: &mut Vec<FieldChange>, field: &'static str, old: &[String], new: &[String]) {
    if old == new {
        return;
    }
    let mut push = |change| out.push(FieldChange { field, change });
    if let ([old], [new]) = (old, new) {
        return push(Change::Set {
            old: old.clone(),
            new: new.clone(),
        });
    }
    let removed: Vec<&String> = old.iter().filter(|v| !new.contains(v)).collect();
    let added: Vec<&String> = new.iter().filter(|v| !old.contains(v)).collect();
    if removed.is_empty() && added.is_empty() {
        return push(Change::Reordered {
            old: old.to_vec(),
            new: new.to_vec(),
        });
    }
    for value in removed {
        push(Change::Removed {
            value: value.clone(),
        });
    }
    for value in added {
        push(Change::Added {
            value: value.clone(),
        });
    }
}

fn milestones(
    out: &mut Vec<FieldChange>,
    old: &[Milestone],
    new: &[Milestone],
    g: Granularity,
    deadline: Instant,
) {
    let field = "milestone";
    let find = |list: &'_ [Milestone], id: &str| list.iter().position(|m| m.id == id);
    for m in old.iter().filter(|m| find(new, &m.id).is_none()) {
        out.push(FieldChange {
            field,
            change: Change::MilestoneRemoved {
                id: m.id.clone(),
                text: m.text.clone(),
            },
        });
    }
    for m in new {
        let Some(before) = find(old, &m.id).map(|i| &old[i]) else {
            out.push(FieldChange {
                field,
                change: Change::MilestoneAdded {
                    id: m.id.clone(),
                    text: m.text.clone(),
                    start: m.start,
                    end: m.end,
                },
            });
            continue;
        };
        if before.text != m.text {
            out.push(FieldChange {
                field,
                change: Change::MilestoneText {
                    id: m.id.clone(),
                    diff: diff_text(&before.text, &m.text, g, deadline),
                },
            });
        }
        if (before.start, before.end) != (m.start, m.end) {
            out.push(FieldChange {
                field,
                change: Change::MilestoneDates {
                    id: m.id.clone(),
                    old_start: before.start,
                    old_end: before.end,
                    new_start: m.start,
                    new_end: m.end,
                },
            });
        }
    }
    let kept = |list: &[Milestone], other: &[Milestone]| -> Vec<String> {
        list.iter()
            .filter(|m| find(other, &m.id).is_some())
            .map(|m| m.id.clone())
            .collect()
    };
    let (old_order, new_order) = (kept(old, new), kept(new, old));
    if old_order != new_order {
        out.push(FieldChange {
            field,
            change: Change::Reordered {
                old: old_order,
                new: new_order,
            },
        });
    }
}
