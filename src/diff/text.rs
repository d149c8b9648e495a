//! Text diffs: two strings → a list of equal / inserted / deleted segments, at the granularity a
//! language reads in. Chinese is compared grapheme by grapheme and never split on spaces;
//! English word by word. similar computes the edit script under a deadline; this file owns
//! the tokens' cleanup (word-aligned insertions, no single-character islands inside a change)
//! and the promise that the segments give back both texts exactly.

use std::time::Instant;

use similar::ChangeTag;

/// The unit a text is compared in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Granularity {
    /// User-perceived characters (UAX #29 grapheme clusters): for Chinese and any language not
    /// written with spaces between words.
    Graphemes,
    /// UAX #29 words, with spaces and punctuation as their own tokens.
    Words,
}

/// Primary language subtags of languages written with spaces between words.
const SPACED_LANGUAGES: [&str; 11] = [
    "en", "fr", "de", "es", "pt", "it", "nl", "id", "ms", "vi", "tl",
];

/// `en` (and other languages written with spaces between words) → words; `zh-TW` and
/// anything unknown → graphemes, which is correct for every script, only finer.
pub fn granularity_for(lang: &str) -> Granularity {
    let primary = lang.split(['-', '_']).next().unwrap_or_default();
    if SPACED_LANGUAGES
        .iter()
        .any(|l| l.eq_ignore_ascii_case(primary))
    {
        Granularity::Words
    } else {
        Granularity::Graphemes
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SegmentKind {
    Equal,
    Insert,
    Delete,
}

/// A run of text that is in both versions (`Equal`), only in the new one or only in the old.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Segment {
    pub kind: SegmentKind,
    pub text: String,
}

/// The difference between two texts. Equal + Delete segments, in order, are the old text;
/// Equal + Insert the new one. No segment is empty and no two neighbours have the same kind.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TextDiff {
    pub segments: Vec<Segment>,
    /// Characters (Unicode scalar values) in Insert segments.
    pub inserted: usize,
    /// Characters in Delete segments.
    pub deleted: usize,
    /// The deadline passed while comparing: the segments are exact but may be coarser than
    /// they could be (at worst one Delete of all the old text and one Insert of the new).
    pub timed_out: bool,
}

impl TextDiff {
    /// The old text's side of a side-by-side view: Equal and Delete segments.
    pub fn old_side(&self) -> Vec<Segment> {
        self.side(SegmentKind::Delete)
    }

    /// The new text's side: Equal and Insert segments.
    pub fn new_side(&self) -> Vec<Segment> {
        self.side(SegmentKind::Insert)
    }

    /// The old text, rebuilt from the segments.
    pub fn old_text(&self) -> String {
        self.old_side().into_iter().map(|s| s.text).collect()
    }

    /// The new text, rebuilt from the segments.
    pub fn new_text(&self) -> String {
        self.new_side().into_iter().map(|s| s.text).collect()
    }

    pub fn is_unchanged(&self) -> bool {
        self.segments.iter().all(|s| s.kind == SegmentKind::Equal)
    }

    fn side(&self, changed: SegmentKind) -> Vec<Segment> {
        self.segments
            .iter()
            .filter(|s| s.kind == SegmentKind::Equal || s.kind == changed)
            .cloned()
            .collect()
    }

    fn from_segments(segments: Vec<Segment>, timed_out: bool) -> TextDiff {
        let count = |kind| {
            segments
                .iter()
                .filter(|s| s.kind == kind)
                .map(|s| s.text.chars().count())
                .sum()
        };
        TextDiff {
            inserted: count(SegmentKind::Insert),
            deleted: count(SegmentKind::Delete),
            segments,
            timed_out,
        }
    }
}

/// Compares `old` and `new` in units of `g`. similar stops refining at `deadline` and returns
/// a coarser (still exact) script; `timed_out` then says so.
///
/// `inserted` and `deleted` count what the segments show, after cleanup: an unchanged
/// character absorbed into a change (see [`absorb_islands`]) counts as deleted and inserted.
pub fn diff_text(old: &str, new: &str, g: Granularity, deadline: Instant) -> TextDiff {
    if old == new || old.is_empty() || new.is_empty() {
        let segments = [
            (SegmentKind::Equal, if old == new { old } else { "" }),
            (SegmentKind::Delete, if old == new { "" } else { old }),
            (SegmentKind::Insert, if old == new { "" } else { new }),
        ]
        .into_iter()
        .filter(|(_, text)| !text.is_empty())
        .map(|(kind, text)| Segment {
            kind,
            text: text.to_string(),
        })
        .collect();
        return TextDiff::from_segments(segments, false);
    }
    let mut config = similar::TextDiff::configure();
    config.deadline(deadline);
    let script = match g {
        Granularity::Graphemes => config.diff_graphemes(old, new),
        Granularity::Words => config.diff_unicode_words(old, new),
    };
    let timed_out = Instant::now() > deadline;

    let mut runs: Vec<Run<'_>> = Vec::new();
    for change in script.iter_all_changes() {
        let token: &str = change.value();
        match (change.tag(), runs.last_mut()) {
            (ChangeTag::Equal, Some(Run::Equal(tokens))) => tokens.push(token),
            (ChangeTag::Equal, _) => runs.push(Run::Equal(vec![token])),
            (ChangeTag::Delete, Some(Run::Change(c))) => c.deleted.push(token),
            (ChangeTag::Insert, Some(Run::Change(c))) => c.inserted.push(token),
            (tag, _) => {
                let mut c = Change::default();
                match tag {
                    ChangeTag::Delete => c.deleted.push(token),
                    _ => c.inserted.push(token),
                }
                runs.push(Run::Change(c));
            }
        }
    }
    if g == Granularity::Words {
        align_to_words(&mut runs);
    }
    let runs = absorb_islands(runs, g);

    let mut segments: Vec<Segment> = Vec::new();
    let mut push = |kind: SegmentKind, tokens: &[&str]| {
        if tokens.is_empty() {
            return;
        }
        match segments.last_mut() {
            Some(last) if last.kind == kind => last.text.extend(tokens.iter().copied()),
            _ => segments.push(Segment {
                kind,
                text: tokens.concat(),
            }),
        }
    };
    for run in &runs {
        match run {
            Run::Equal(tokens) => push(SegmentKind::Equal, tokens),
            Run::Change(c) => {
                push(SegmentKind::Delete, &c.deleted);
                push(SegmentKind::Insert, &c.inserted);
            }
        }
    }
    TextDiff::from_segments(segments, timed_out)
}

/// Tokens in both texts, or a change: tokens of the old text replaced by tokens of the new.
#[derive(Debug)]
enum Run<'a> {
    Equal(Vec<&'a str>),
    Change(Change<'a>),
}

#[derive(Debug, Default)]
struct Change<'a> {
    deleted: Vec<&'a str>,
    inserted: Vec<&'a str>,
}

fn is_space(token: &str) -> bool {
    token.chars().all(char::is_whitespace)
}

/// A pure insertion or deletion between two equal runs can often slide: `the| national| open`
/// equals `the |national |open`. Slide it to start at a word and end with its space.
fn align_to_words(runs: &mut [Run<'_>]) {
    for i in 1..runs.len().saturating_sub(1) {
        let [Run::Equal(before), Run::Change(c), Run::Equal(after)] = &mut runs[i - 1..=i + 1]
        else {
            continue;
        };
        if c.deleted.is_empty() == c.inserted.is_empty() {
            continue;
        }
        let (before, after) = (std::mem::take(before), std::mem::take(after));
        let moved = if c.deleted.is_empty() {
            &mut c.inserted
        } else {
            &mut c.deleted
        };
        let (start, len) = (before.len(), moved.len());
        let all: Vec<&str> = [before, std::mem::take(moved), after].concat();
        let (mut lo, mut hi) = (start, start);
        while lo > 0 && all[lo - 1] == all[lo - 1 + len] {
            lo -= 1;
        }
        while hi + len < all.len() && all[hi] == all[hi + len] {
            hi += 1;
        }
        let score = |s: usize| {
            let starts_word = (s == 0 || is_space(all[s - 1])) && !is_space(all[s]);
            let ends_space = is_space(all[s + len - 1]);
            2 * usize::from(starts_word) + usize::from(ends_space)
        };
        let best = (lo..=hi).rev().max_by_key(|&s| score(s)).unwrap_or(start);
        *moved = all[best..best + len].to_vec();
        if let [Run::Equal(before), _, Run::Equal(after)] = &mut runs[i - 1..=i + 1] {
            *before = all[..best].to_vec();
            *after = all[best + len..].to_vec();
        }
    }
}

/// Folds a tiny equal run between two changes into one change, so that a changed Chinese word
/// reads as one replacement rather than 「甲」「乙」 islands. Tiny: one grapheme; in word mode one
/// space or punctuation token. Equal runs left empty by [`align_to_words`] disappear.
fn absorb_islands<'a>(runs: Vec<Run<'a>>, g: Granularity) -> Vec<Run<'a>> {
    let tiny = |tokens: &[&str]| match g {
        Granularity::Graphemes => tokens.len() <= 1,
        Granularity::Words => {
            tokens.len() <= 1 && tokens.iter().all(|t| !t.chars().any(char::is_alphanumeric))
        }
    };
    let mut out: Vec<Run<'a>> = Vec::with_capacity(runs.len());
    let mut iter = runs.into_iter().peekable();
    while let Some(run) = iter.next() {
        let next_is_change = matches!(iter.peek(), Some(Run::Change(_)));
        match (run, out.last_mut()) {
            (Run::Equal(tokens), Some(Run::Change(c))) if tiny(&tokens) && next_is_change => {
                c.deleted.extend(&tokens);
                c.inserted.extend(&tokens);
            }
            (Run::Equal(tokens), _) if tokens.is_empty() => {}
            (Run::Change(next), Some(Run::Change(c))) => {
                c.deleted.extend(next.deleted);
                c.inserted.extend(next.inserted);
            }
            (run, _) => out.push(run),
        }
    }
    out
}
