//! Export: the whole plan at one ref (`main`, a round tag `rounds/<name>`, a commit) as ONE
//! document in one language, for submission and review. [`load`] resolves the ref and gathers
//! what the document needs (the snapshot, which version it is, the stale units of each
//! translated commitment); [`build`] turns that into an [`ExportDoc`] with every label in the
//! document's language (plain data, serializable: the web layer renders it as HTML with a tera
//! template); [`to_markdown`] writes it as Markdown.
//!
//! A translation's document includes a commitment that has no (valid) version in that language
//! from the master, with a note in both languages; a translated unit whose master changed since
//! it was synced carries the same notice as the public translation page
//! ([`super::translation::Translations::stale_notes`]).
//!
//! Labels come from the caller as a map of UI strings (the web layer's i18n table, keyed the
//! same way), so this module knows no HTTP. Chinese text is never split or joined with spaces:
//! separators and colons come from the labels (`、`, `：` in Chinese).

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;

use crate::doc::Commitment;
use crate::store::{git, Oid, StoreError};

use super::plan::{PlanReader, PlanSnapshot};
use super::round_tags;
use super::translation::{StaleNote, Translations};
use super::WorkflowError;

/// UI strings by key, in one language (the web layer's i18n table).
pub type Strings = BTreeMap<&'static str, &'static str>;

/// The two formats an export is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Markdown,
    Html,
}

impl Format {
    /// `md` (or `markdown`) and `html`.
    pub fn parse(s: &str) -> Option<Format> {
        match s {
            "md" | "markdown" => Some(Format::Markdown),
            "html" => Some(Format::Html),
            _ => None,
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Format::Markdown => "md",
            Format::Html => "html",
        }
    }
}

/// Which version of the plan a document is.
#[derive(Debug, Clone, Serialize)]
pub struct Version {
    /// The ref as asked (`main`, `rounds/msf-2`, a commit id).
    pub rev: String,
    pub commit: String,
    /// `YYYY-MM-DD` of the commit (its own offset).
    pub commit_date: String,
    /// The round whose tag `rev` names: the version the forum approved then.
    pub round: Option<RoundVersion>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RoundVersion {
    pub name: String,
    pub tag: String,
    /// `YYYY-MM-DD` of the tag (when the round closed).
    pub date: String,
}

/// What a document is made from (see [`load`]).
pub struct Source {
    pub snapshot: Arc<PlanSnapshot>,
    /// The document language: the master or one of the plan's translations.
    pub lang: String,
    pub version: Version,
    /// Stale units by commitment id, then unit key (translations only).
    pub stale: BTreeMap<String, BTreeMap<String, StaleNote>>,
}

impl Source {
    pub fn master_language(&self) -> &str {
        self.snapshot.master_language()
    }
}

/// What can be exported: every document language and every ref (`main`, then each round tag,
/// oldest first).
#[derive(Debug, Clone, Serialize)]
pub struct Targets {
    pub languages: Vec<String>,
    pub master_language: String,
    pub refs: Vec<Target>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Target {
    pub rev: String,
    /// The round's name for a round tag.
    pub round: Option<String>,
    /// `YYYY-MM-DD`: the round's date, or for `main` its last commit's.
    pub date: String,
}

fn ymd(seconds: i64, offset_minutes: i32) -> String {
    let Ok(ts) = jiff::Timestamp::from_second(seconds) else {
        return String::new();
    };
    let offset =
        jiff::tz::Offset::from_seconds(offset_minutes * 60).unwrap_or(jiff::tz::Offset::UTC);
    ts.to_zoned(jiff::tz::TimeZone::fixed(offset))
        .strftime("%Y-%m-%d")
        .to_string()
}

/// The languages and refs the plan can be exported in, read from `main` and the round tags.
pub async fn targets(plan: &PlanReader) -> Result<Targets, WorkflowError> {
    let snap = plan.at("main").await?;
    let commit = snap.commit;
    let info = plan
        .store()
        .read(move |repo| git::commit_info(repo, commit))
        .await?;
    let mut refs = vec![Target {
        rev: "main".into(),
        round: None,
        date: ymd(info.time, info.offset_minutes),
    }];
    for r in round_tags::list(plan.store()).await? {
        refs.push(Target {
            date: ymd(r.time, r.offset_minutes),
            rev: r.tag,
            round: Some(r.name),
        });
    }
    let mut languages = vec![snap.master_language().to_string()];
    languages.extend(snap.config.plan.translations.iter().cloned());
    Ok(Targets {
        languages,
        master_language: snap.master_language().to_string(),
        refs,
    })
}

/// Resolves `rev` and reads what the document in `lang` (default: the master) needs. An
/// unknown ref or a language that is neither the master nor a translation of the plan at that
/// ref is [`WorkflowError::NotFound`].
pub async fn load(
    plan: &PlanReader,
    translations: &Translations,
    rev: &str,
    lang: Option<&str>,
) -> Result<Source, WorkflowError> {
    let commit = match plan.store().resolve(rev).await {
        Ok(c) => c,
        Err(StoreError::UnknownRef(_)) => {
            return Err(WorkflowError::NotFound(format!(
                "no branch, tag or commit is called \"{rev}\""
            )))
        }
        Err(e) => return Err(e.into()),
    };
    let snapshot = plan.at(&commit.to_string()).await?;
    let master = snapshot.master_language().to_string();
    let lang = lang.unwrap_or(&master).to_string();
    if lang != master && !snapshot.config.plan.translations.contains(&lang) {
        return Err(WorkflowError::NotFound(format!(
            "\"{lang}\" is not a language of this plan (its languages: {})",
            std::iter::once(master.as_str())
                .chain(snapshot.config.plan.translations.iter().map(String::as_str))
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let info = plan
        .store()
        .read(move |repo| git::commit_info(repo, commit))
        .await?;
    let tag_name = rev.strip_prefix("refs/tags/").unwrap_or(rev);
    let round = if tag_name.starts_with(round_tags::TAG_PREFIX) {
        round_tags::list(plan.store())
            .await?
            .into_iter()
            .find(|r| r.tag == tag_name && Oid::from_str(&r.commit).ok() == Some(commit))
            .map(|r| RoundVersion {
                date: ymd(r.time, r.offset_minutes),
                name: r.name,
                tag: r.tag,
            })
    } else {
        None
    };
    let mut stale = BTreeMap::new();
    if lang != master {
        for entry in &snapshot.commitments {
            if !matches!(entry.versions.get(&lang), Some(Ok(_))) {
                continue;
            }
            let notes = translations
                .stale_notes(snapshot.clone(), &entry.id, &lang)
                .await
                .unwrap_or_default();
            if !notes.is_empty() {
                stale.insert(entry.id.clone(), notes);
            }
        }
    }
    Ok(Source {
        version: Version {
            rev: rev.to_string(),
            commit: commit.to_string(),
            commit_date: ymd(info.time, info.offset_minutes),
            round,
        },
        snapshot,
        lang,
        stale,
    })
}

/// A file name for the document: `plan-<ref>-<lang>.<ext>` (`/` and other characters outside
/// `A-Za-z0-9._-` become `-`).
pub fn file_name(rev: &str, lang: &str, format: Format) -> String {
    let clean = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                    c
                } else {
                    '-'
                }
            })
            .collect()
    };
    format!(
        "plan-{}-{}.{}",
        clean(rev.strip_prefix("refs/tags/").unwrap_or(rev)),
        clean(lang),
        format.extension()
    )
}

/// Every label a document shows, in its language.
#[derive(Debug, Clone, Serialize)]
pub struct Labels {
    pub toc: String,
    pub version: String,
    pub rev: String,
    pub commit: String,
    pub date: String,
    pub period: String,
    pub document_language: String,
    pub number: String,
    pub title: String,
    pub area: String,
    pub lead_agencies: String,
    pub co_agencies: String,
    pub ogp_values: String,
    pub sdgs: String,
    pub milestones: String,
    pub milestone: String,
    pub start: String,
    pub end: String,
    pub contact: String,
    pub contact_name: String,
    pub contact_title: String,
    pub contact_email_phone: String,
    pub participants: String,
    pub participants_government: String,
    pub participants_civil_society: String,
    pub invalid: String,
    /// `：` or `: `.
    pub colon: String,
}

/// A notice on a commitment, a section or a milestone, in `lang`.
#[derive(Debug, Clone, Serialize)]
pub struct Notice {
    pub lang: String,
    pub label: String,
    pub text: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ExportSection {
    pub id: String,
    /// Unique in the document: `<commitment>-<section>`.
    pub anchor: String,
    pub heading: String,
    pub markdown: String,
    pub stale: Option<Notice>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ExportMilestone {
    pub id: String,
    pub text: String,
    pub start: String,
    pub end: String,
    pub stale: Option<Notice>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ExportCommitment {
    pub id: String,
    pub number: u32,
    /// `承諾事項4` / `Commitment 4`.
    pub label: String,
    pub title: String,
    /// The language of the text: the document's, or the master's when not translated yet.
    pub language: String,
    pub translated: bool,
    /// Not translated (both languages) or a stale field outside sections and milestones.
    pub notices: Vec<Notice>,
    pub area_title: String,
    pub period: String,
    pub lead_agencies: String,
    pub co_agencies: String,
    pub ogp_values: String,
    pub sdgs: String,
    pub sections: Vec<ExportSection>,
    pub milestones: Vec<ExportMilestone>,
    pub contact_name: String,
    pub contact_title: String,
    pub contact_email: String,
    pub contact_phone: String,
    pub participants_government: String,
    pub participants_civil_society: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ExportArea {
    pub id: String,
    pub title: String,
    pub commitments: Vec<ExportCommitment>,
}

/// The plan as one document in one language.
#[derive(Debug, Clone, Serialize)]
pub struct ExportDoc {
    pub lang: String,
    pub master_language: String,
    /// The document language's name (`English translation`, `中文（主版本）`).
    pub lang_name: String,
    pub title: String,
    /// One sentence: which version this is.
    pub version_text: String,
    pub version: Version,
    pub period: String,
    pub t: Labels,
    pub areas: Vec<ExportArea>,
    /// Commitments whose master is invalid at this version (left out).
    pub invalid: Vec<String>,
}

fn s(strings: &Strings, key: &str) -> String {
    strings.get(key).copied().unwrap_or(key).to_string()
}

fn is_cjk(lang: &str) -> bool {
    let l = lang.to_ascii_lowercase();
    l == "zh" || l.starts_with("zh-") || l.starts_with("ja") || l.starts_with("ko")
}

/// Joins a list written in `lang`: `、` for Chinese, `, ` otherwise.
fn join(items: &[String], lang: &str) -> String {
    items.join(if is_cjk(lang) { "、" } else { ", " })
}

/// Label and text of a notice: no space after a Chinese label.
fn stale_notice(note: &StaleNote, lang: &str, t: &Strings) -> Notice {
    let text = match &note.changed_on {
        Some(date) => s(t, "ts_stale_on").replace("{date}", date),
        None => s(t, "ts_stale_since").replace("{commit}", &note.synced_commit),
    };
    Notice {
        lang: lang.to_string(),
        label: s(t, "ts_stale_label"),
        text,
    }
}

/// The document from `source`, labelled with `t` (the document language's strings) and, for
/// the not-translated note's second language, `master_t` (the master language's strings).
pub fn build(source: &Source, t: &Strings, master_t: &Strings) -> ExportDoc {
    let snap = &source.snapshot;
    let lang = source.lang.as_str();
    let master = snap.master_language();
    let en_dash = " – ";
    let labels = Labels {
        toc: s(t, "ex_toc"),
        version: s(t, "version"),
        rev: s(t, "ex_ref"),
        commit: s(t, "ex_commit"),
        date: s(t, "ex_date"),
        period: s(t, "period"),
        document_language: s(t, "document_language"),
        number: s(t, "number"),
        title: s(t, "field_title"),
        area: s(t, "area"),
        lead_agencies: s(t, "lead_agencies"),
        co_agencies: s(t, "co_agencies"),
        ogp_values: s(t, "ogp_values"),
        sdgs: s(t, "sdgs"),
        milestones: s(t, "milestones"),
        milestone: s(t, "milestone"),
        start: s(t, "start"),
        end: s(t, "end"),
        contact: s(t, "contact"),
        contact_name: s(t, "contact_name"),
        contact_title: s(t, "contact_title"),
        contact_email_phone: s(t, "contact_email_phone"),
        participants: s(t, "participants"),
        participants_government: s(t, "participants_government"),
        participants_civil_society: s(t, "participants_civil_society"),
        invalid: s(t, "ex_invalid"),
        colon: s(t, "ex_colon"),
    };
    let version = &source.version;
    let version_text = match &version.round {
        Some(r) => s(t, "ex_version_round")
            .replace("{round}", &r.name)
            .replace("{date}", &r.date),
        None => s(t, "ex_version_ref")
            .replace("{ref}", &version.rev)
            .replace("{date}", &version.commit_date),
    };
    let none = s(t, "none");
    let or_none = |v: String| if v.is_empty() { none.clone() } else { v };

    let mut invalid = Vec::new();
    let mut commitments: Vec<(String, ExportCommitment)> = Vec::new();
    for entry in &snap.commitments {
        let Some(master_doc) = entry.master(master) else {
            invalid.push(entry.id.clone());
            continue;
        };
        let translated: Option<&Commitment> = if lang == master {
            Some(master_doc.as_ref())
        } else {
            entry
                .versions
                .get(lang)
                .and_then(|v| v.as_ref().ok())
                .map(|c| c.as_ref())
        };
        let (doc, text_lang) = match translated {
            Some(d) => (d, lang),
            None => (master_doc.as_ref(), master),
        };
        let f = &doc.front;
        let stale = source.stale.get(&entry.id);
        let mut notices = Vec::new();
        if translated.is_none() {
            for (strings, l) in [(t, lang), (master_t, master)] {
                notices.push(Notice {
                    lang: l.to_string(),
                    label: s(strings, "ex_not_translated_label"),
                    text: s(strings, "ex_not_translated"),
                });
            }
        }
        if let Some(note) = stale.and_then(|st| {
            st.iter()
                .find(|(k, _)| !k.starts_with("section.") && !k.starts_with("milestone."))
                .map(|(_, n)| n)
        }) {
            notices.push(stale_notice(note, lang, t));
        }
        let stale_of = |key: String| {
            stale
                .and_then(|st| st.get(&key))
                .map(|n| stale_notice(n, lang, t))
        };
        let ogp: Vec<String> = f
            .ogp_values
            .iter()
            .map(|v| {
                let key = format!("ogp_{v}");
                t.get(key.as_str()).map_or(v.clone(), |x| x.to_string())
            })
            .collect();
        let sdgs: Vec<String> = f.sdgs.iter().map(|g| format!("SDG {g}")).collect();
        let contact_title: Vec<String> = [&f.contact.title, &f.contact.unit]
            .into_iter()
            .filter(|x| !x.is_empty())
            .cloned()
            .collect();
        let area_title = snap
            .config
            .area(&master_doc.front.area)
            .map_or(master_doc.front.area.clone(), |a| {
                a.title.get(lang, master).to_string()
            });
        let c = ExportCommitment {
            id: entry.id.clone(),
            number: master_doc.front.number,
            label: s(t, "ex_commitment_no").replace("{n}", &master_doc.front.number.to_string()),
            title: f.title.clone(),
            language: text_lang.to_string(),
            translated: translated.is_some(),
            notices,
            area_title,
            period: format!("{}{en_dash}{}", f.period_start, f.period_end),
            lead_agencies: or_none(join(&f.lead_agencies, text_lang)),
            co_agencies: or_none(join(&f.co_agencies, text_lang)),
            ogp_values: or_none(join(&ogp, lang)),
            sdgs: or_none(join(&sdgs, lang)),
            sections: doc
                .sections
                .iter()
                .map(|sec| ExportSection {
                    anchor: format!("{}-{}", entry.id, sec.id),
                    id: sec.id.clone(),
                    heading: sec.heading.clone(),
                    markdown: sec.text().trim_end().to_string(),
                    stale: stale_of(format!("section.{}", sec.id)),
                })
                .collect(),
            milestones: f
                .milestones
                .iter()
                .map(|m| ExportMilestone {
                    id: m.id.clone(),
                    text: m.text.clone(),
                    start: m.start.to_string(),
                    end: m.end.to_string(),
                    stale: stale_of(format!("milestone.{}.text", m.id)),
                })
                .collect(),
            contact_name: or_none(f.contact.name.clone()),
            contact_title: or_none(join(&contact_title, text_lang)),
            contact_email: f.contact.email.clone(),
            contact_phone: f.contact.phone.clone(),
            participants_government: or_none(join(&f.participants.government, text_lang)),
            participants_civil_society: or_none(join(&f.participants.civil_society, text_lang)),
        };
        commitments.push((master_doc.front.area.clone(), c));
    }
    // Grouped by area in plan.toml's order; within an area, plan order (by number).
    let mut areas: Vec<ExportArea> = snap
        .config
        .areas
        .iter()
        .map(|a| ExportArea {
            id: a.id.clone(),
            title: a.title.get(lang, master).to_string(),
            commitments: Vec::new(),
        })
        .collect();
    for (area, c) in commitments {
        match areas.iter_mut().find(|a| a.id == area) {
            Some(a) => a.commitments.push(c),
            None => areas.push(ExportArea {
                title: area.clone(),
                id: area,
                commitments: vec![c],
            }),
        }
    }
    areas.retain(|a| !a.commitments.is_empty());
    let period = &snap.config.plan.period;
    ExportDoc {
        lang: lang.to_string(),
        master_language: master.to_string(),
        lang_name: t
            .get(format!("doc_lang_{lang}").as_str())
            .map_or(lang.to_string(), |x| x.to_string()),
        title: snap.config.plan.title.get(lang, master).to_string(),
        version_text,
        version: version.clone(),
        period: format!("{}{en_dash}{}", period.start, period.end),
        t: labels,
        areas,
        invalid,
    }
}

/// Escapes text for one line of Markdown (a table cell, a link text, a list item).
fn inline(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '#' => {
                out.push('\\');
                out.push(c);
            }
            '\r' | '\n' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

fn notice_md(n: &Notice) -> String {
    // No emphasis: CommonMark does not close `**…：**` before a Chinese character.
    format!("> ⚠ {}{}{}", n.label, sep_after(&n.label), inline(&n.text))
}

/// A space after an English label, nothing after a Chinese one.
fn sep_after(label: &str) -> &'static str {
    match label.chars().last() {
        Some(c) if c.is_ascii() => " ",
        _ => "",
    }
}

/// The document as Markdown (CommonMark with GitHub tables).
pub fn to_markdown(d: &ExportDoc) -> String {
    let t = &d.t;
    let colon = &t.colon;
    let mut out = String::new();
    let mut line = |s: &str| {
        out.push_str(s);
        out.push('\n');
    };
    line(&format!("# {}", inline(&d.title)));
    line("");
    line(&inline(&d.version_text));
    line("");
    line(&format!(
        "- {}{colon}`{}`",
        t.rev,
        d.version.rev.replace('`', "")
    ));
    line(&format!("- {}{colon}`{}`", t.commit, d.version.commit));
    let date = d
        .version
        .round
        .as_ref()
        .map_or(&d.version.commit_date, |r| &r.date);
    line(&format!("- {}{colon}{date}", t.date));
    line(&format!("- {}{colon}{}", t.period, d.period));
    line(&format!(
        "- {}{colon}{}",
        t.document_language,
        inline(&d.lang_name)
    ));
    line("");
    line(&format!("## {}", inline(&t.toc)));
    line("");
    line(&format!(
        "| {} | {} | {} | {} |",
        inline(&t.number),
        inline(&t.title),
        inline(&t.area),
        inline(&t.lead_agencies)
    ));
    line("| --- | --- | --- | --- |");
    for a in &d.areas {
        for c in &a.commitments {
            line(&format!(
                "| {} | [{}](#{}) | {} | {} |",
                c.number,
                inline(&c.title),
                c.id,
                inline(&a.title),
                inline(&c.lead_agencies)
            ));
        }
    }
    line("");
    if !d.invalid.is_empty() {
        line(&format!(
            "{}{colon}{}",
            inline(&t.invalid),
            d.invalid.join(", ")
        ));
        line("");
    }
    for a in &d.areas {
        line(&format!("## {}", inline(&a.title)));
        line("");
        for c in &a.commitments {
            line(&format!("<a id=\"{}\"></a>", c.id));
            line("");
            line(&format!("### {}{colon}{}", c.label, inline(&c.title)));
            line("");
            for n in &c.notices {
                line(&notice_md(n));
                line("");
            }
            line(&format!("- {}{colon}{}", t.number, c.number));
            line(&format!("- {}{colon}{}", t.area, inline(&c.area_title)));
            line(&format!("- {}{colon}{}", t.period, c.period));
            line(&format!(
                "- {}{colon}{}",
                t.lead_agencies,
                inline(&c.lead_agencies)
            ));
            line(&format!(
                "- {}{colon}{}",
                t.co_agencies,
                inline(&c.co_agencies)
            ));
            line(&format!(
                "- {}{colon}{}",
                t.ogp_values,
                inline(&c.ogp_values)
            ));
            line(&format!("- {}{colon}{}", t.sdgs, inline(&c.sdgs)));
            line("");
            for sec in &c.sections {
                line(&format!("#### {}", inline(&sec.heading)));
                line("");
                if let Some(n) = &sec.stale {
                    line(&notice_md(n));
                    line("");
                }
                if !sec.markdown.trim().is_empty() {
                    line(&sec.markdown);
                    line("");
                }
            }
            line(&format!("#### {}", inline(&t.milestones)));
            line("");
            line(&format!(
                "| {} | {} | {} | {} |",
                inline(&t.number),
                inline(&t.milestone),
                inline(&t.start),
                inline(&t.end)
            ));
            line("| --- | --- | --- | --- |");
            for m in &c.milestones {
                let note = m.stale.as_ref().map_or(String::new(), |n| {
                    format!(" ⚠ {}{}{}", n.label, sep_after(&n.label), n.text)
                });
                line(&format!(
                    "| {} | {}{} | {} | {} |",
                    inline(&m.id),
                    inline(&m.text),
                    inline(&note),
                    m.start,
                    m.end
                ));
            }
            line("");
            line(&format!("#### {}", inline(&t.contact)));
            line("");
            line(&format!(
                "- {}{colon}{}",
                t.contact_name,
                inline(&c.contact_name)
            ));
            line(&format!(
                "- {}{colon}{}",
                t.contact_title,
                inline(&c.contact_title)
            ));
            let reach: Vec<&str> = [c.contact_email.as_str(), c.contact_phone.as_str()]
                .into_iter()
                .filter(|x| !x.is_empty())
                .collect();
            line(&format!(
                "- {}{colon}{}",
                t.contact_email_phone,
                inline(&reach.join(" "))
            ));
            line("");
            line(&format!("#### {}", inline(&t.participants)));
            line("");
            line(&format!(
                "- {}{colon}{}",
                t.participants_government,
                inline(&c.participants_government)
            ));
            line(&format!(
                "- {}{colon}{}",
                t.participants_civil_society,
                inline(&c.participants_civil_society)
            ));
            line("");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_plain() {
        assert_eq!(
            file_name("rounds/msf-2", "en", Format::Markdown),
            "plan-rounds-msf-2-en.md"
        );
        assert_eq!(
            file_name("refs/tags/a b\"", "zh-TW", Format::Html),
            "plan-a-b--zh-TW.html"
        );
    }

    #[test]
    fn inline_text_cannot_break_a_table_or_a_link() {
        assert_eq!(inline("a|b]\nc"), "a\\|b\\] c");
        assert_eq!(inline("公開資料"), "公開資料");
    }

    #[test]
    fn no_space_after_chinese_labels() {
        assert_eq!(sep_after("翻譯可能已過時："), "");
        assert_eq!(sep_after("The translation may be out of date:"), " ");
    }
}
