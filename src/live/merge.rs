//! The CRDT three-way merge of one text file (`merge3`), the character splices it is built on
//! (`splices`), and the overlap check that decides whether a merge needs re-approval.
//!
//! Every position here counts Unicode scalar values (`char`s), never bytes or UTF-16 units.
//! The automerge documents are created with `TextEncoding::UnicodeCodePoint` explicitly (it is
//! only the default when automerge's `utf8-indexing`/`utf16-indexing` features are off), and
//! byte offsets are only ever computed here, from a char → byte table.

use std::time::Instant;

use automerge::transaction::{CommitOptions, Transactable};
use automerge::{ActorId, AutoCommit, ObjId, ObjType, ReadDoc, TextEncoding, ROOT};
use similar::{DiffOp, TextDiff};

/// One edit: in the old text, delete `delete` chars at char offset `pos`, insert `insert` there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Splice {
    pub pos: usize,
    pub delete: usize,
    pub insert: String,
}

/// A base range that both sides changed (or touched) differently.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overlap {
    /// Start of the range in `base`, in chars.
    pub base_start: usize,
    /// End (exclusive) of the range in `base`, in chars; equal to `base_start` for an insertion.
    pub base_end: usize,
    /// The base text of the range.
    pub base_text: String,
    /// What ours turned the range into.
    pub ours: String,
    /// What theirs turned the range into.
    pub theirs: String,
}

/// The merged text, always produced (never with conflict markers), and the overlaps found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Merged {
    pub text: String,
    pub overlaps: Vec<Overlap>,
}

impl Merged {
    /// True when no change of one side touches a change of the other side.
    pub fn is_clean(&self) -> bool {
        self.overlaps.is_empty()
    }

    fn clean(text: &str) -> Self {
        Merged {
            text: text.to_owned(),
            overlaps: Vec::new(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    #[error("automerge: {0}")]
    Automerge(#[from] automerge::AutomergeError),
    #[error("a splice deletes too many characters ({0})")]
    TooLong(usize),
}

/// The edits turning `old` into `new`, by a character diff (similar, Myers, stopped at
/// `deadline`: after it the diff is coarser but still exact). Positions are chars in `old`
/// coordinates, ascending; two splices are always separated by at least one unchanged char.
pub fn splices(old: &str, new: &str, deadline: Instant) -> Vec<Splice> {
    if old == new {
        return Vec::new();
    }
    let diff = TextDiff::configure()
        .deadline(deadline)
        .diff_chars(old, new);
    let new_at = char_starts(new);
    let mut out = Vec::new();
    // (old start, old end, new start, new end) of the change being grouped.
    let mut pending: Option<(usize, usize, usize, usize)> = None;
    let mut flush = |p: Option<(usize, usize, usize, usize)>| {
        if let Some((os, oe, ns, ne)) = p {
            out.push(Splice {
                pos: os,
                delete: oe - os,
                insert: new[new_at[ns]..new_at[ne]].to_owned(),
            });
        }
    };
    for op in diff.ops() {
        let (old_r, new_r) = (op.old_range(), op.new_range());
        match op {
            DiffOp::Equal { len: 0, .. } => {}
            DiffOp::Equal { .. } => flush(pending.take()),
            _ => {
                pending = Some(match pending {
                    Some((os, _, ns, _)) => (os, old_r.end, ns, new_r.end),
                    None => (old_r.start, old_r.end, new_r.start, new_r.end),
                })
            }
        }
    }
    flush(pending);
    out
}

/// Three-way merge of one text through automerge.
///
/// `base` goes into a document (actor `codraft-base`), which is forked twice; the splices
/// base→ours are applied on one fork (actor `codraft-ours`), base→theirs on the other
/// (`codraft-theirs`), and the forks are merged. The actors and change times are fixed, so the
/// same inputs always give the same text (automerge orders concurrent inserts at one point by
/// op id, not by chance).
///
/// Overlaps: each side's splices are ranges of `base` (an insertion is an empty range). A
/// range of ours and one of theirs overlap when they intersect or touch, so two insertions at
/// the same point overlap, and so does an insertion at the edge of the other side's change.
/// Touching ranges are reported together as one `Overlap` over their union.
///
/// The same change made on both sides (an identical splice) is not an overlap: it is dropped
/// from theirs before applying, so the merged text contains it once (automerge would otherwise
/// insert its text twice).
///
/// Fast paths: `ours == theirs` → ours; `ours == base` → theirs; `theirs == base` → ours.
pub fn merge3(
    base: &str,
    ours: &str,
    theirs: &str,
    deadline: Instant,
) -> Result<Merged, MergeError> {
    if ours == theirs || theirs == base {
        return Ok(Merged::clean(ours));
    }
    if ours == base {
        return Ok(Merged::clean(theirs));
    }
    let ours_s = splices(base, ours, deadline);
    let mut theirs_s = splices(base, theirs, deadline);
    // Positions within one side are unique (splices never touch), so a binary search finds
    // the only candidate for "the same change".
    theirs_s.retain(|t| match ours_s.binary_search_by_key(&t.pos, |o| o.pos) {
        Ok(i) => ours_s[i] != *t,
        Err(_) => true,
    });
    let overlaps = overlaps(base, &ours_s, &theirs_s);
    let text = crdt_merge(base, &ours_s, &theirs_s)?;
    Ok(Merged { text, overlaps })
}

fn crdt_merge(base: &str, ours: &[Splice], theirs: &[Splice]) -> Result<String, MergeError> {
    let mut doc = AutoCommit::new_with_encoding(TextEncoding::UnicodeCodePoint)
        .with_actor(ActorId::from(b"codraft-base"));
    let text = doc.put_object(ROOT, "text", ObjType::Text)?;
    doc.splice_text(&text, 0, 0, base)?;
    doc.commit_with(CommitOptions::default().with_time(0));
    let mut a = doc.fork().with_actor(ActorId::from(b"codraft-ours"));
    let mut b = doc.fork().with_actor(ActorId::from(b"codraft-theirs"));
    apply(&mut a, &text, ours)?;
    apply(&mut b, &text, theirs)?;
    a.merge(&mut b)?;
    Ok(a.text(&text)?)
}

/// Applies ascending, non-overlapping splices (in base coordinates) from the end backwards, so
/// each position is still a base position when it is used.
fn apply(doc: &mut AutoCommit, text: &ObjId, splices: &[Splice]) -> Result<(), MergeError> {
    for s in splices.iter().rev() {
        let delete = isize::try_from(s.delete).map_err(|_| MergeError::TooLong(s.delete))?;
        doc.splice_text(text, s.pos, delete, &s.insert)?;
    }
    doc.commit_with(CommitOptions::default().with_time(0));
    Ok(())
}

#[derive(Clone, Copy, PartialEq)]
enum Side {
    Ours,
    Theirs,
}

fn overlaps(base: &str, ours: &[Splice], theirs: &[Splice]) -> Vec<Overlap> {
    let mut hunks: Vec<(Side, &Splice)> = ours
        .iter()
        .map(|s| (Side::Ours, s))
        .chain(theirs.iter().map(|s| (Side::Theirs, s)))
        .collect();
    hunks.sort_by_key(|(_, s)| (s.pos, s.pos + s.delete));
    let base_at = char_starts(base);
    let mut out = Vec::new();
    // Splices of one side never touch, so a group of two or more has both sides in it.
    let mut group: Vec<(Side, &Splice)> = Vec::new();
    let mut group_end = 0;
    let mut close = |group: &mut Vec<(Side, &Splice)>, end: usize| {
        if group.len() >= 2 {
            let start = group[0].1.pos;
            let side = |side| {
                let mine: Vec<&Splice> = group
                    .iter()
                    .filter(|(s, _)| *s == side)
                    .map(|(_, s)| *s)
                    .collect();
                rewrite(base, &base_at, start, end, &mine)
            };
            out.push(Overlap {
                base_start: start,
                base_end: end,
                base_text: base[base_at[start]..base_at[end]].to_owned(),
                ours: side(Side::Ours),
                theirs: side(Side::Theirs),
            });
        }
        group.clear();
    };
    for (side, s) in hunks {
        if !group.is_empty() && s.pos > group_end {
            close(&mut group, group_end);
        }
        group_end = if group.is_empty() {
            s.pos + s.delete
        } else {
            group_end.max(s.pos + s.delete)
        };
        group.push((side, s));
    }
    close(&mut group, group_end);
    out
}

/// The base range `start..end` with the given splices (all inside it, ascending) applied.
fn rewrite(base: &str, at: &[usize], start: usize, end: usize, splices: &[&Splice]) -> String {
    let mut out = String::new();
    let mut cursor = start;
    for s in splices {
        out.push_str(&base[at[cursor]..at[s.pos]]);
        out.push_str(&s.insert);
        cursor = s.pos + s.delete;
    }
    out.push_str(&base[at[cursor]..at[end]]);
    out
}

/// Byte offset of every char of `s`, plus `s.len()` at the end (so `at[chars]` is valid).
fn char_starts(s: &str) -> Vec<usize> {
    s.char_indices()
        .map(|(i, _)| i)
        .chain(std::iter::once(s.len()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn later() -> Instant {
        Instant::now() + Duration::from_secs(5)
    }

    fn merge(base: &str, ours: &str, theirs: &str) -> Merged {
        merge3(base, ours, theirs, later()).unwrap()
    }

    use crate::live::TestRng as Rng;

    const ALPHABET: &[&str] = &[
        "a",
        "b",
        " ",
        "\n",
        "\r\n",
        "的",
        "之",
        "開",
        "放",
        "政",
        "府",
        "。",
        "，",
        "𠀀",
        "😀",
        "👩‍👩‍👧",
        "e\u{301}",
        "#",
        "+++",
    ];

    fn random_text(rng: &mut Rng, max: usize) -> String {
        (0..rng.below(max + 1))
            .map(|_| ALPHABET[rng.below(ALPHABET.len())])
            .collect()
    }

    /// `old` with a few random replacements (positions in chars).
    fn random_edit(rng: &mut Rng, old: &str, edits: usize) -> String {
        let mut chars: Vec<char> = old.chars().collect();
        for _ in 0..edits {
            let at = rng.below(chars.len() + 1);
            let del = rng.below(6).min(chars.len() - at);
            let ins: Vec<char> = random_text(rng, 4).chars().collect();
            chars.splice(at..at + del, ins);
        }
        chars.into_iter().collect()
    }

    fn apply_splices(old: &str, splices: &[Splice]) -> String {
        let at = char_starts(old);
        let mut out = String::new();
        let mut cursor = 0;
        for s in splices {
            assert!(s.pos >= cursor, "splices ascending and apart: {splices:?}");
            out.push_str(&old[at[cursor]..at[s.pos]]);
            out.push_str(&s.insert);
            cursor = s.pos + s.delete;
        }
        out.push_str(&old[at[cursor]..]);
        out
    }

    #[test]
    fn splices_rebuild_the_new_text() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        for case in 0..400 {
            let old = random_text(&mut rng, 40);
            let new = if case % 4 == 0 {
                random_text(&mut rng, 40)
            } else {
                let edits = 1 + rng.below(4);
                random_edit(&mut rng, &old, edits)
            };
            let s = splices(&old, &new, later());
            assert_eq!(
                apply_splices(&old, &s),
                new,
                "case {case}: {old:?} → {new:?}"
            );
            assert!(s.windows(2).all(|w| w[0].pos + w[0].delete < w[1].pos));
            assert!(s.iter().all(|s| s.delete > 0 || !s.insert.is_empty()));
        }
        // A deadline already past gives a coarser diff, still exact.
        let (old, new) = ("開放政府國家行動方案", "開放政府第三期國家行動方案草案");
        let s = splices(old, new, Instant::now());
        assert_eq!(apply_splices(old, &s), new);
    }

    #[test]
    fn splices_count_chars_not_bytes() {
        let s = splices("𠀀a😀b", "𠀀a😀Xb", later());
        assert_eq!(
            s,
            vec![Splice {
                pos: 3,
                delete: 0,
                insert: "X".into()
            }]
        );
    }

    #[test]
    fn the_documents_count_code_points() {
        let doc = AutoCommit::new_with_encoding(TextEncoding::UnicodeCodePoint);
        assert_eq!(doc.text_encoding(), TextEncoding::UnicodeCodePoint);
        // 𠀀 is 4 bytes and 2 UTF-16 units; a wrong unit would put the edit elsewhere.
        let m = merge("𠀀𠀀甲乙丙", "𠀀𠀀甲X乙丙", "𠀀𠀀甲乙丙Y");
        assert_eq!(m.text, "𠀀𠀀甲X乙丙Y");
        assert!(m.is_clean());
    }

    const PARAGRAPH: &str = "政府數位服務與資料運用日益普遍，機關蒐集個人資料之情形隨之增加。\
        民眾對自己的資料被如何使用，普遍缺乏了解。機關在規劃新的資料運用時，也缺少事前評估隱私風險的共同方法。";

    #[test]
    fn different_sentences_of_one_paragraph_merge_clean() {
        let ours = PARAGRAPH.replace("日益普遍", "已經十分普遍");
        let theirs = PARAGRAPH.replace("共同方法", "共同方法與工具");
        let m = merge(PARAGRAPH, &ours, &theirs);
        assert!(m.is_clean(), "{:?}", m.overlaps);
        assert_eq!(
            m.text,
            PARAGRAPH
                .replace("日益普遍", "已經十分普遍")
                .replace("共同方法", "共同方法與工具")
        );
    }

    #[test]
    fn same_sentence_changed_differently_is_an_overlap() {
        let ours = PARAGRAPH.replace("普遍缺乏了解", "多半不甚了解");
        let theirs = PARAGRAPH.replace("普遍缺乏了解", "幾乎一無所知");
        let m = merge(PARAGRAPH, &ours, &theirs);
        assert_eq!(m.overlaps.len(), 1, "{:?}", m.overlaps);
        let o = &m.overlaps[0];
        let start = PARAGRAPH.chars().count()
            - PARAGRAPH
                .split("普遍缺乏了解")
                .nth(1)
                .unwrap()
                .chars()
                .count()
            - 6;
        assert_eq!((o.base_start, o.base_end), (start, start + 6));
        assert_eq!(o.base_text, "普遍缺乏了解");
        assert_eq!(
            (o.ours.as_str(), o.theirs.as_str()),
            ("多半不甚了解", "幾乎一無所知")
        );
        // Still a merged text: automerge keeps both insertions, no markers.
        assert!(m.text.contains("多半不甚") && m.text.contains("幾乎一無所知"));
        assert!(!m.text.contains("<<<"));
    }

    #[test]
    fn insertions_at_the_same_point_overlap() {
        let ours = PARAGRAPH.replacen("。", "。（甲）", 1);
        let theirs = PARAGRAPH.replacen("。", "。（乙）", 1);
        let m = merge(PARAGRAPH, &ours, &theirs);
        assert_eq!(m.overlaps.len(), 1, "{:?}", m.overlaps);
        let o = &m.overlaps[0];
        assert_eq!(o.base_start, o.base_end);
        assert_eq!(o.base_text, "");
        // The diff may place the insertion around the shared "（" / "）"; the texts still show it.
        assert!(o.ours.contains('甲') && o.theirs.contains('乙'));
        assert!(m.text.contains('甲') && m.text.contains('乙'));
    }

    #[test]
    fn insertion_at_the_edge_of_a_replacement_overlaps() {
        let m = merge("甲乙丙丁戊", "甲乙X丙丁戊", "甲乙YY丁戊");
        assert_eq!(m.overlaps.len(), 1, "{:?}", m.overlaps);
        assert_eq!((m.overlaps[0].base_start, m.overlaps[0].base_end), (2, 3));
        assert_eq!(m.overlaps[0].ours, "X丙");
        assert_eq!(m.overlaps[0].theirs, "YY");
    }

    #[test]
    fn the_same_change_on_both_sides_is_clean_and_once() {
        let both = |s: &str| s.replace("日益普遍", "日益普及而多元");
        let ours = both(PARAGRAPH).replace("了解", "瞭解");
        let theirs = both(PARAGRAPH).replace("共同方法", "共同方法與工具");
        let m = merge(PARAGRAPH, &ours, &theirs);
        assert!(m.is_clean(), "{:?}", m.overlaps);
        assert_eq!(m.text.matches("普及而多元").count(), 1, "{}", m.text);
        assert_eq!(
            m.text,
            both(PARAGRAPH)
                .replace("了解", "瞭解")
                .replace("共同方法", "共同方法與工具")
        );
    }

    #[test]
    fn deleting_a_paragraph_the_other_side_edits_overlaps() {
        let base = "## 一 {#a}\n\n第一段文字。\n\n第二段文字，談資料開放。\n\n第三段文字。\n";
        let ours = base.replace("第二段文字，談資料開放。\n\n", "");
        let theirs = base.replace("談資料開放", "談資料開放與個資保護");
        let m = merge(base, &ours, &theirs);
        assert_eq!(m.overlaps.len(), 1, "{:?}", m.overlaps);
        let o = &m.overlaps[0];
        assert!(o.base_text.contains("資料開放"), "{o:?}");
        assert!(o.theirs.contains("與個資保護"), "{o:?}");
        assert!(!o.ours.contains("資料開放"), "{o:?}");
    }

    const COMMITMENT: &str = r#"+++
id = "c03-digital-privacy"
number = 3
title = "強化數位隱私與個資保障"

[[milestones]]
id = "m1"
text = "盤點個資當事人行使查詢、更正、刪除等權利之程序"
start = "2021-01"
end = "2021-12"

[[milestones]]
id = "m2"
text = "訂定公務機關個人資料保護影響評估作業指引"
start = "2021-07"
end = "2022-06"
+++

## 承諾事項之描述 {#description}

在推動資料開放與數位服務的同時，強化個資當事人之權利保障。

## 承諾事項將涉及哪些公共問題？ {#problem}

民眾對自己的資料被如何使用，普遍缺乏了解。
"#;

    #[test]
    fn milestone_and_section_edits_of_one_commitment_merge_clean() {
        let ours = COMMITMENT.replace("作業指引\"", "作業指引並公開\"");
        let theirs = COMMITMENT.replace("普遍缺乏了解。", "普遍缺乏了解，程序亦不一致。");
        let m = merge(COMMITMENT, &ours, &theirs);
        assert!(m.is_clean(), "{:?}", m.overlaps);
        assert!(m.text.contains("作業指引並公開\""));
        assert!(m.text.contains("程序亦不一致。"));
        assert_eq!(
            m.text.len(),
            COMMITMENT.len() + "並公開，程序亦不一致".len()
        );
    }

    #[test]
    fn fast_paths() {
        assert_eq!(merge("a", "b", "b"), Merged::clean("b"));
        assert_eq!(merge("a", "a", "c"), Merged::clean("c"));
        assert_eq!(merge("a", "d", "a"), Merged::clean("d"));
    }

    #[test]
    fn odd_inputs_do_not_panic() {
        let cases = [
            ("", "甲", "乙"),
            ("甲乙丙", "", "甲丙"),
            ("甲乙丙", "", ""),
            ("甲乙丙", "丁戊", "己"),
            ("a\r\nb\r\n", "a\nb\n", "a\r\nb\r\nc"),
            ("e\u{301}👩‍👩‍👧", "e👩‍👧", "e\u{301}\u{302}👩‍👩‍👧𠀀"),
            ("𠀀𠀁𠀂", "𠀂𠀁𠀀", "𠀀X𠀂"),
        ];
        for (base, ours, theirs) in cases {
            let m = merge(base, ours, theirs);
            // A clean merge does not depend on which side is ours.
            if m.is_clean() {
                assert_eq!(m.text, merge(base, theirs, ours).text);
            }
            // A deadline in the past still merges.
            merge3(base, ours, theirs, Instant::now()).unwrap();
        }
    }

    #[test]
    fn random_clean_merges_contain_both_sides() {
        let mut rng = Rng(42);
        for case in 0..200 {
            let base = random_text(&mut rng, 30);
            let ours = random_edit(&mut rng, &base, 2);
            let theirs = random_edit(&mut rng, &base, 2);
            let m = merge(&base, &ours, &theirs);
            if m.is_clean() {
                // Clean merge = each side's splices applied to base together.
                let mut all = splices(&base, &ours, later());
                for t in splices(&base, &theirs, later()) {
                    if !all.contains(&t) {
                        all.push(t);
                    }
                }
                all.sort_by_key(|s| s.pos);
                assert_eq!(m.text, apply_splices(&base, &all), "case {case}");
            }
        }
    }

    #[test]
    fn merging_is_deterministic() {
        let ours = PARAGRAPH.replacen("。", "。（甲）", 1);
        let theirs = PARAGRAPH.replacen("。", "。（乙）", 1);
        let first = merge(PARAGRAPH, &ours, &theirs);
        for _ in 0..5 {
            assert_eq!(merge(PARAGRAPH, &ours, &theirs), first);
        }
    }

    /// `cargo test --release --lib live::merge::tests::timing -- --ignored --nocapture`
    /// Measured: 5,000 chars of the demo's Chinese, 20 random edits per side: 8–12 ms per
    /// merge in release (about 1 ms of it the two diffs, the rest automerge), ~130–280 ms in a
    /// debug build, on a loaded 2-core machine.
    #[test]
    #[ignore]
    fn timing() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/demo/commitments");
        let mut base = String::new();
        let mut dirs: Vec<_> = std::fs::read_dir(dir).unwrap().flatten().collect();
        dirs.sort_by_key(|d| d.path());
        for d in dirs {
            if base.chars().count() >= 5000 {
                break;
            }
            base.push_str(&std::fs::read_to_string(d.path().join("zh-TW.md")).unwrap());
        }
        let base: String = base.chars().take(5000).collect();
        let mut rng = Rng(7);
        let ours = random_edit(&mut rng, &base, 20);
        let theirs = random_edit(&mut rng, &base, 20);
        let runs = 20;
        let start = Instant::now();
        let mut overlaps = 0;
        for _ in 0..runs {
            overlaps = merge(&base, &ours, &theirs).overlaps.len();
        }
        let merge_time = start.elapsed() / runs;
        let start = Instant::now();
        for _ in 0..runs {
            splices(&base, &ours, later());
            splices(&base, &theirs, later());
        }
        println!(
            "merge3: {} chars, 20 edits per side, {overlaps} overlaps: {merge_time:?} per merge \
             (of which the two diffs {:?})",
            base.chars().count(),
            start.elapsed() / runs
        );
    }
}
