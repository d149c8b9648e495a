//! Tests of the diff layer: exact reconstruction (random inputs and the demo plan's real
//! history), granularity per language, cleanup, section matching, field changes, deadlines.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use super::*;
use crate::doc::Commitment;

fn later() -> Instant {
    Instant::now() + Duration::from_secs(60)
}

fn segments(diff: &TextDiff) -> Vec<(SegmentKind, &str)> {
    diff.segments
        .iter()
        .map(|s| (s.kind, s.text.as_str()))
        .collect()
}

/// Everything a `TextDiff` promises about itself.
fn check(old: &str, new: &str, diff: &TextDiff) {
    assert_eq!(diff.old_text(), old, "old side of {diff:?}");
    assert_eq!(diff.new_text(), new, "new side of {diff:?}");
    assert!(diff.segments.iter().all(|s| !s.text.is_empty()), "{diff:?}");
    assert!(
        diff.segments.windows(2).all(|w| w[0].kind != w[1].kind),
        "{diff:?}"
    );
    let count = |kind| -> usize {
        diff.segments
            .iter()
            .filter(|s| s.kind == kind)
            .map(|s| s.text.chars().count())
            .sum()
    };
    assert_eq!(diff.inserted, count(SegmentKind::Insert));
    assert_eq!(diff.deleted, count(SegmentKind::Delete));
    assert_eq!(diff.is_unchanged(), old == new);
}

use SegmentKind::{Delete, Equal, Insert};

#[test]
fn granularity_follows_the_language() {
    for (lang, g) in [
        ("en", Granularity::Words),
        ("en-GB", Granularity::Words),
        ("FR", Granularity::Words),
        ("zh-TW", Granularity::Graphemes),
        ("zh", Granularity::Graphemes),
        ("ja", Granularity::Graphemes),
        ("", Granularity::Graphemes),
        ("x-unknown", Granularity::Graphemes),
    ] {
        assert_eq!(granularity_for(lang), g, "{lang}");
    }
}

#[test]
fn chinese_is_compared_by_grapheme_not_split_on_spaces() {
    let d = diff_text(
        "承諾事項 甲",
        "承諾事項 乙",
        Granularity::Graphemes,
        later(),
    );
    assert_eq!(
        segments(&d),
        [(Equal, "承諾事項 "), (Delete, "甲"), (Insert, "乙")]
    );
    assert_eq!((d.deleted, d.inserted), (1, 1));
    // A space-separated chunk is not a unit: only the changed characters are marked.
    let d = diff_text(
        "開放 資料平臺",
        "開放 數據平臺",
        Granularity::Graphemes,
        later(),
    );
    assert_eq!(
        segments(&d),
        [
            (Equal, "開放 "),
            (Delete, "資料"),
            (Insert, "數據"),
            (Equal, "平臺")
        ]
    );
}

#[test]
fn english_is_compared_by_word() {
    let d = diff_text(
        "the open data platform",
        "the national open data platform",
        Granularity::Words,
        later(),
    );
    assert_eq!(
        segments(&d),
        [
            (Equal, "the "),
            (Insert, "national "),
            (Equal, "open data platform")
        ]
    );
    // Without sliding to word starts this reads `open government, open| budgets, open| data`.
    let d = diff_text(
        "open government, open data",
        "open government, open budgets, open data",
        Granularity::Words,
        later(),
    );
    assert_eq!(
        segments(&d),
        [
            (Equal, "open government, "),
            (Insert, "open budgets, "),
            (Equal, "open data")
        ]
    );
    let d = diff_text(
        "Publish the data.",
        "Publish the datasets.",
        Granularity::Words,
        later(),
    );
    assert_eq!(
        segments(&d),
        [
            (Equal, "Publish the "),
            (Delete, "data"),
            (Insert, "datasets"),
            (Equal, ".")
        ]
    );
    let d = diff_text("a data platform", "a", Granularity::Words, later());
    assert_eq!(segments(&d), [(Equal, "a"), (Delete, " data platform")]);
}

#[test]
fn a_grapheme_cluster_is_never_split() {
    // e + combining acute accent vs plain e; a family emoji (ZWJ sequence) vs another.
    let d = diff_text("cafe\u{301}", "cafe", Granularity::Graphemes, later());
    assert_eq!(
        segments(&d),
        [(Equal, "caf"), (Delete, "e\u{301}"), (Insert, "e")]
    );
    let d = diff_text(
        "家庭👨\u{200d}👩\u{200d}👧",
        "家庭👨\u{200d}👩\u{200d}👦",
        Granularity::Graphemes,
        later(),
    );
    assert_eq!(
        segments(&d),
        [
            (Equal, "家庭"),
            (Delete, "👨\u{200d}👩\u{200d}👧"),
            (Insert, "👨\u{200d}👩\u{200d}👦")
        ]
    );
    assert_eq!((d.deleted, d.inserted), (5, 5));
}

#[test]
fn a_single_unchanged_character_inside_a_change_is_folded_into_it() {
    let d = diff_text(
        "由內政部主辦",
        "由數位部協辦",
        Granularity::Graphemes,
        later(),
    );
    assert_eq!(
        segments(&d),
        [
            (Equal, "由"),
            (Delete, "內政部主"),
            (Insert, "數位部協"),
            (Equal, "辦")
        ]
    );
    let d = diff_text("foo bar", "baz qux", Granularity::Words, later());
    assert_eq!(segments(&d), [(Delete, "foo bar"), (Insert, "baz qux")]);
}

#[test]
fn an_insertion_that_could_slide_past_the_end_keeps_every_token() {
    // Found by the random test: `🇹🇼` + `.🇹🇼` equals `🇹🇼.` + `🇹🇼`, with nothing after.
    let (old, new) = ("the🇹🇼", "the🇹🇼.🇹🇼");
    for g in [Granularity::Words, Granularity::Graphemes] {
        check(old, new, &diff_text(old, new, g, later()));
    }
}

#[test]
fn empty_and_equal_texts() {
    let g = Granularity::Graphemes;
    assert_eq!(segments(&diff_text("", "", g, later())), []);
    assert_eq!(
        segments(&diff_text("甲", "甲", g, later())),
        [(Equal, "甲")]
    );
    assert_eq!(segments(&diff_text("", "乙", g, later())), [(Insert, "乙")]);
    assert_eq!(segments(&diff_text("甲", "", g, later())), [(Delete, "甲")]);
    let d = diff_text("甲乙", "甲丙", g, later());
    assert_eq!(d.old_side(), d.segments[..2].to_vec());
    assert_eq!(d.new_side(), [d.segments[0].clone(), d.segments[2].clone()]);
}

/// A deterministic generator, so that a failure reproduces.
struct Random(u64);

impl Random {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) as usize % n
    }

    fn piece(&mut self) -> &'static str {
        const PIECES: [&str; 20] = [
            "承",
            "諾",
            "事",
            "項",
            "資料",
            "開放",
            "，",
            "。",
            " ",
            " ",
            "\n",
            "the",
            "data",
            "open",
            ".",
            ",",
            "e\u{301}",
            "👨\u{200d}👩\u{200d}👧",
            "🇹🇼",
            "a",
        ];
        PIECES[self.below(PIECES.len())]
    }

    /// Up to `max` random pieces.
    fn text(&mut self, max: usize) -> String {
        let len = self.below(max + 1);
        (0..len).map(|_| self.piece()).collect()
    }

    /// `text` with a few random pieces replaced, inserted or removed.
    fn edit(&mut self, text: &str) -> String {
        let mut chars: Vec<String> = text.chars().map(String::from).collect();
        for _ in 0..1 + self.below(4) {
            let at = self.below(chars.len() + 1);
            let end = (at + self.below(4)).min(chars.len());
            let piece = self.text(2);
            chars.splice(at..end, [piece]);
        }
        chars.concat()
    }
}

#[test]
fn segments_rebuild_both_texts_for_random_inputs() {
    let mut r = Random(0x2021_0105);
    for round in 0..3000 {
        let old = r.text(40);
        let new = if round % 5 == 0 {
            r.text(40)
        } else {
            r.edit(&old)
        };
        for g in [Granularity::Graphemes, Granularity::Words] {
            check(&old, &new, &diff_text(&old, &new, g, later()));
        }
    }
}

/// The demo plan's history (`demo/history.toml`) replayed on the first drafts in `demo/`:
/// every commit's before and after of every file it touches.
fn demo_history() -> Vec<(String, Option<String>, String)> {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/demo/");
    let read = |path: &str| std::fs::read_to_string(format!("{root}{path}")).expect(path);
    let history: toml::Value = toml::from_str(&read("history.toml")).expect("history.toml");
    let mut files: BTreeMap<String, String> = BTreeMap::new();
    let mut out = Vec::new();
    let steps = history
        .get("commit")
        .and_then(|c| c.as_array())
        .expect("commits");
    for step in steps {
        let mut touched: BTreeMap<String, Option<String>> = BTreeMap::new();
        let table = |key: &str| step.get(key).and_then(|e| e.as_array()).cloned();
        for edit in table("edit").unwrap_or_default() {
            let field = |k: &str| edit.get(k).and_then(|v| v.as_str()).expect(k).to_string();
            let file = field("file");
            let current = files.entry(file.clone()).or_insert_with(|| read(&file));
            touched.entry(file).or_insert_with(|| Some(current.clone()));
            *current = current.replacen(&field("find"), &field("replace"), 1);
        }
        for add in table("add").unwrap_or_default() {
            let file = add.get("file").and_then(|v| v.as_str()).expect("file");
            files.insert(file.to_string(), read(&format!("later/{file}")));
            touched.insert(file.to_string(), None);
        }
        for (file, before) in touched {
            out.push((file.clone(), before, files[&file].clone()));
        }
    }
    out
}

#[test]
fn the_demo_history_diffs_exactly() {
    let history = demo_history();
    assert!(history.len() >= 15, "{}", history.len());
    for (file, before, after) in &history {
        let lang = file.rsplit('/').next().and_then(|f| f.strip_suffix(".md"));
        let lang = lang.expect("a language file");
        let new = Commitment::parse(file, after).expect("valid after");
        let old = before
            .as_deref()
            .map(|b| Commitment::parse(file, b).expect("valid before"));
        if let Some(before) = before {
            for g in [Granularity::Graphemes, Granularity::Words] {
                check(before, after, &diff_text(before, after, g, later()));
            }
        }
        let d = diff_commitments(old.as_ref(), Some(&new), lang, later());
        assert!(!d.timed_out);
        match &old {
            None => assert_eq!(d.status, Status::Added, "{file}"),
            Some(_) => assert_eq!(d.status, Status::Changed, "{file}"),
        }
        let old_sections = old.as_ref().map_or(&[][..], |o| &o.sections);
        assert_eq!(
            d.sections.len() + d.unchanged_sections,
            new.sections.len()
                + old_sections
                    .iter()
                    .filter(|s| new.section(&s.id).is_none())
                    .count(),
            "{file}"
        );
        for s in &d.sections {
            fn text<'a>(c: Option<&'a Commitment>, id: &str) -> &'a str {
                c.and_then(|c| c.section(id)).map_or("", |s| s.text())
            }
            assert_eq!(
                s.body.old_text(),
                text(old.as_ref(), &s.id),
                "{file} {}",
                s.id
            );
            assert_eq!(
                s.body.new_text(),
                text(Some(&new), &s.id),
                "{file} {}",
                s.id
            );
            assert_eq!(
                s.body.is_unchanged() && s.heading.is_none(),
                s.status == Status::Unchanged
            );
        }
    }
}

const TEMPLATE: &str = include_str!("../../repo-template/commitments/_template/zh-TW.md");

/// The blank form with some replacements, each of which must apply.
fn form(edits: &[(&str, &str)]) -> Commitment {
    let mut text = TEMPLATE.to_string();
    for (find, replace) in edits {
        assert!(text.contains(find), "{find}");
        text = text.replacen(find, replace, 1);
    }
    Commitment::parse("c.md", &text).expect("valid form")
}

const MILESTONE_1: &str =
    "[[milestones]]\nid = \"m1\"\ntext = \"可量化或驗證之衡量指標\"\nstart = \"2021-01\"\nend = \"2021-12\"\n";

#[test]
fn an_unchanged_document() {
    let doc = form(&[]);
    let d = diff_commitments(Some(&doc), Some(&doc), "zh-TW", later());
    assert_eq!(d.status, Status::Unchanged);
    assert!(d.fields.is_empty() && d.sections.is_empty());
    assert_eq!(d.unchanged_sections, 8);
}

#[test]
fn sections_are_matched_by_id() {
    let old = form(&[]);
    let new = form(&[
        // Heading and body of {#problem} changed.
        ("將涉及哪些公共問題？ {#problem}", "要解決的公共問題 {#problem}"),
        ("盡可能提供", "並提供"),
        // {#transparency} deleted, {#budget} added after {#accountability}.
        (
            "## 與OGP核心價值「透明」之關聯 {#transparency}\n\n承諾事項如果有利於揭露更多資訊、提升所揭露資訊之品質、促使更多社會大眾獲取這些資訊，或是提升了民眾的資訊權，即是與透明相關。\n\n",
            "",
        ),
        ("## 其他資訊 {#other-info}", "## 預算 {#budget}\n\n新台幣一億元。\n\n## 其他資訊 {#other-info}"),
    ]);
    let d = diff_commitments(Some(&old), Some(&new), "zh-TW", later());
    assert_eq!(d.status, Status::Changed);
    assert!(d.fields.is_empty());
    let got: Vec<(&str, Status)> = d
        .sections
        .iter()
        .map(|s| (s.id.as_str(), s.status))
        .collect();
    assert_eq!(
        got,
        [
            ("problem", Status::Changed),
            ("transparency", Status::Deleted),
            ("budget", Status::Added)
        ]
    );
    assert_eq!(d.unchanged_sections, 6);

    let problem = &d.sections[0];
    assert_eq!(
        problem.old_heading.as_deref(),
        Some("承諾事項將涉及哪些公共問題？")
    );
    assert_eq!(
        problem.new_heading.as_deref(),
        Some("承諾事項要解決的公共問題")
    );
    assert!(problem.heading.as_ref().is_some_and(|h| !h.is_unchanged()));
    assert_eq!(
        segments(&problem.body)
            .into_iter()
            .filter(|(k, _)| *k != Equal)
            .collect::<Vec<_>>(),
        [(Delete, "盡可能"), (Insert, "並")]
    );

    let deleted = &d.sections[1];
    assert_eq!(
        (deleted.new_heading.as_deref(), &deleted.heading),
        (None, &None)
    );
    assert!(deleted.body.segments.iter().all(|s| s.kind == Delete));
    let added = &d.sections[2];
    assert_eq!(segments(&added.body), [(Insert, "新台幣一億元。")]);
}

#[test]
fn a_deleted_section_is_listed_after_the_section_it_followed() {
    let statuses = |d: &DocumentDiff| -> Vec<(String, Status)> {
        d.sections
            .iter()
            .map(|s| (s.id.clone(), s.status))
            .collect()
    };
    let other_info = TEMPLATE
        .find("## 其他資訊 {#other-info}")
        .map(|at| &TEMPLATE[at..])
        .expect("other-info");
    let old = form(&[]);
    let new = form(&[("簡述", "概述"), (other_info, "")]);
    let d = diff_commitments(Some(&old), Some(&new), "zh-TW", later());
    assert_eq!(
        statuses(&d),
        [
            ("description".into(), Status::Changed),
            ("other-info".into(), Status::Deleted)
        ]
    );
    // A deleted first section stays first.
    let old = form(&[(
        "## 承諾事項之描述 {#description}",
        "## 前言 {#preface}\n\n舊的前言。\n\n## 承諾事項之描述 {#description}",
    )]);
    let d = diff_commitments(Some(&old), Some(&new), "zh-TW", later());
    assert_eq!(
        statuses(&d),
        [
            ("preface".into(), Status::Deleted),
            ("description".into(), Status::Changed),
            ("other-info".into(), Status::Deleted)
        ]
    );
}

#[test]
fn added_and_deleted_documents() {
    let doc = form(&[]);
    let d = diff_commitments(None, Some(&doc), "zh-TW", later());
    assert_eq!(d.status, Status::Added);
    assert!(d.fields.is_empty());
    assert_eq!(d.sections.len(), 8);
    assert!(
        d.sections
            .iter()
            .all(|s| s.status == Status::Added
                && s.body.segments.iter().all(|seg| seg.kind == Insert))
    );
    let d = diff_commitments(Some(&doc), None, "zh-TW", later());
    assert_eq!(d.status, Status::Deleted);
    assert!(d
        .sections
        .iter()
        .all(|s| s.status == Status::Deleted && s.body.inserted == 0));
}

fn fields(old: &Commitment, new: &Commitment) -> Vec<FieldChange> {
    let d = diff_commitments(Some(old), Some(new), "zh-TW", later());
    assert_eq!(d.status, Status::Changed);
    assert!(d.sections.is_empty());
    d.fields
}

fn set(field: &'static str, old: &str, new: &str) -> FieldChange {
    FieldChange {
        field,
        change: Change::Set {
            old: old.into(),
            new: new.into(),
        },
    }
}

#[test]
fn a_replaced_lead_agency_is_a_set() {
    let old = form(&[("[\"主辦機關\"]", "[\"內政部\"]")]);
    let new = form(&[("[\"主辦機關\"]", "[\"數位發展部\"]")]);
    assert_eq!(
        fields(&old, &new),
        [set("lead_agencies", "內政部", "數位發展部")]
    );
    let json = serde_json::to_value(&fields(&old, &new)[0]).expect("json");
    assert_eq!(
        json,
        serde_json::json!({"field": "lead_agencies",
            "change": {"kind": "set", "old": "內政部", "new": "數位發展部"}})
    );
}

#[test]
fn lists_and_values_are_said_per_item() {
    let old = form(&[("co_agencies = []", "co_agencies = [\"甲部\", \"乙部\"]")]);
    let new = form(&[
        ("co_agencies = []", "co_agencies = [\"乙部\", \"丙部\"]"),
        ("sdgs = []", "sdgs = [16]"),
        ("title = \"承諾事項名稱\"", "title = \"新名稱\""),
        ("end = \"2024-05\"", "end = \"2024-08\""),
        ("email = \"\"", "email = \"a@b.tw\""),
        (
            "ogp_values = [\"transparency\", \"participation\", \"accountability\"]",
            "ogp_values = [\"transparency\", \"accountability\"]",
        ),
    ]);
    let removed = |field, value: &str| FieldChange {
        field,
        change: Change::Removed {
            value: value.into(),
        },
    };
    let added = |field, value: &str| FieldChange {
        field,
        change: Change::Added {
            value: value.into(),
        },
    };
    assert_eq!(
        fields(&old, &new),
        [
            set("title", "承諾事項名稱", "新名稱"),
            set("period.end", "2024-05", "2024-08"),
            removed("co_agencies", "甲部"),
            added("co_agencies", "丙部"),
            removed("ogp_values", "participation"),
            added("sdgs", "16"),
            set("contact.email", "", "a@b.tw"),
        ]
    );
    let swapped = form(&[("co_agencies = []", "co_agencies = [\"乙部\", \"甲部\"]")]);
    assert_eq!(
        fields(&old, &swapped),
        [FieldChange {
            field: "co_agencies",
            change: Change::Reordered {
                old: vec!["甲部".into(), "乙部".into()],
                new: vec!["乙部".into(), "甲部".into()],
            },
        }]
    );
}

#[test]
fn milestones_are_matched_by_id() {
    let two = format!(
        "{MILESTONE_1}\n[[milestones]]\nid = \"m2\"\ntext = \"舉辦說明會\"\nstart = \"2021-06\"\nend = \"2021-12\"\n"
    );
    let old = form(&[(MILESTONE_1, &two)]);
    let new = form(&[(
        MILESTONE_1,
        "[[milestones]]\nid = \"m1\"\ntext = \"可驗證之衡量指標\"\nstart = \"2021-03\"\nend = \"2021-12\"\n\n[[milestones]]\nid = \"m3\"\ntext = \"公開成果報告\"\nstart = \"2022-01\"\nend = \"2022-06\"\n",
    )]);
    let month = |s: &str| s.parse().expect("month");
    let got = fields(&old, &new);
    assert_eq!(got.len(), 4, "{got:?}");
    assert!(got.iter().all(|f| f.field == "milestone"));
    assert_eq!(
        got[0].change,
        Change::MilestoneRemoved {
            id: "m2".into(),
            text: "舉辦說明會".into()
        }
    );
    let Change::MilestoneText { id, diff } = &got[1].change else {
        panic!("{got:?}");
    };
    assert_eq!(id, "m1");
    assert_eq!(
        segments(diff),
        [(Equal, "可"), (Delete, "量化或"), (Equal, "驗證之衡量指標")]
    );
    assert_eq!(
        got[2].change,
        Change::MilestoneDates {
            id: "m1".into(),
            old_start: month("2021-01"),
            old_end: month("2021-12"),
            new_start: month("2021-03"),
            new_end: month("2021-12"),
        }
    );
    assert_eq!(
        got[3].change,
        Change::MilestoneAdded {
            id: "m3".into(),
            text: "公開成果報告".into(),
            start: month("2022-01"),
            end: month("2022-06"),
        }
    );
}

#[test]
fn a_passed_deadline_gives_an_exact_coarse_diff() {
    let mut r = Random(7);
    let old: String = (0..4000).map(|_| r.piece()).collect();
    let edited = r.edit(&old);
    let new = r.edit(&edited) + &(0..2000).map(|_| r.piece()).collect::<String>();
    let d = diff_text(&old, &new, Granularity::Graphemes, Instant::now());
    assert!(d.timed_out);
    check(&old, &new, &d);
    let d = diff_text(&old, &new, Granularity::Graphemes, later());
    assert!(!d.timed_out);
    check(&old, &new, &d);
}

#[test]
fn segments_serialize_in_lowercase() {
    let d = diff_text("甲", "乙", Granularity::Graphemes, later());
    let json = serde_json::to_value(&d).expect("json");
    assert_eq!(json["segments"][0]["kind"], "delete");
    assert_eq!(json["segments"][1]["kind"], "insert");
    assert_eq!(
        serde_json::to_value(Status::Unchanged).expect("json"),
        "unchanged"
    );
}
