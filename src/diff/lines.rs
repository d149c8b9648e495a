//! Line diffs of plain files (the forum's `members.toml` and `rules.md`), as `git diff` shows
//! them: hunks of changed lines with a few unchanged lines of context, under a deadline.
//! Commitments have their own per-section diff ([`super::diff_commitments`]); this is for
//! files that have no sections.

use std::time::Instant;

use serde::Serialize;
use similar::ChangeTag;

use super::SegmentKind;

/// One line of a hunk: unchanged (`Equal`), only in the new file or only in the old one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Line {
    pub kind: SegmentKind,
    /// 1-based line number in the old file (none for an inserted line).
    pub old_line: Option<usize>,
    /// 1-based line number in the new file (none for a deleted line).
    pub new_line: Option<usize>,
    /// The line without its line ending.
    pub text: String,
}

/// A run of changed lines with their context.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hunk {
    pub lines: Vec<Line>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LineDiff {
    pub hunks: Vec<Hunk>,
    /// Lines only in the new file.
    pub inserted: usize,
    /// Lines only in the old file.
    pub deleted: usize,
    /// The deadline passed: the hunks are exact but may be coarser than they could be.
    pub timed_out: bool,
}

/// The line diff of `old` and `new` with `context` unchanged lines around each change.
pub fn diff_lines(old: &str, new: &str, context: usize, deadline: Instant) -> LineDiff {
    let diff = similar::TextDiff::configure()
        .deadline(deadline)
        .diff_lines(old, new);
    let mut out = LineDiff {
        hunks: Vec::new(),
        inserted: 0,
        deleted: 0,
        timed_out: Instant::now() >= deadline,
    };
    for group in diff.grouped_ops(context) {
        let mut lines = Vec::new();
        for op in &group {
            for change in diff.iter_changes(op) {
                let kind = match change.tag() {
                    ChangeTag::Equal => SegmentKind::Equal,
                    ChangeTag::Insert => {
                        out.inserted += 1;
                        SegmentKind::Insert
                    }
                    ChangeTag::Delete => {
                        out.deleted += 1;
                        SegmentKind::Delete
                    }
                };
                let text = change.value();
                let text = text.strip_suffix('\n').unwrap_or(text);
                let text = text.strip_suffix('\r').unwrap_or(text);
                lines.push(Line {
                    kind,
                    old_line: change.old_index().map(|i| i + 1),
                    new_line: change.new_index().map(|i| i + 1),
                    text: text.to_string(),
                });
            }
        }
        if !lines.is_empty() {
            out.hunks.push(Hunk { lines });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn far() -> Instant {
        Instant::now() + Duration::from_secs(5)
    }

    #[test]
    fn changed_lines_with_context_and_numbers() {
        let old = "a\nb\nc\nd\ne\nf\ng\nh\n";
        let new = "a\nb\nc\nD\ne\nf\ng\nh\ni\n";
        let d = diff_lines(old, new, 1, far());
        assert_eq!((d.inserted, d.deleted), (2, 1));
        assert_eq!(d.hunks.len(), 2);
        let first: Vec<(SegmentKind, Option<usize>, Option<usize>, &str)> = d.hunks[0]
            .lines
            .iter()
            .map(|l| (l.kind, l.old_line, l.new_line, l.text.as_str()))
            .collect();
        assert_eq!(
            first,
            vec![
                (SegmentKind::Equal, Some(3), Some(3), "c"),
                (SegmentKind::Delete, Some(4), None, "d"),
                (SegmentKind::Insert, None, Some(4), "D"),
                (SegmentKind::Equal, Some(5), Some(5), "e"),
            ]
        );
        assert_eq!(d.hunks[1].lines.last().unwrap().text, "i");
    }

    #[test]
    fn equal_files_have_no_hunks_and_chinese_lines_stay_whole() {
        assert!(diff_lines("同一行\n", "同一行\n", 3, far())
            .hunks
            .is_empty());
        let d = diff_lines("", "召集人 周明哲\r\n", 3, far());
        assert_eq!(d.hunks[0].lines[0].text, "召集人 周明哲");
        assert_eq!(d.hunks[0].lines[0].new_line, Some(1));
    }
}
