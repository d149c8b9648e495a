//! The sync record of a translation: `commitments/<id>/<lang>.sync.toml`, committed beside
//! `<lang>.md`. It says, for each **unit** of the master (`zh-TW.md`), which master commit the
//! translation of that unit was last brought in line with, a SHA-256 of the unit's master text
//! then (and, since the sync API, of its translated text then), who said so and when, and
//! optionally why. `translation_sha256` is optional so older records still parse.
//!
//! This module owns the record's format (parse with problems, canonical serialize), the units
//! of a commitment and their normalized text and hash. Whether a unit is up to date is
//! decided in `workflow::sync`.
//!
//! **Unit keys** are the edit form's field keys (`form::CommitmentForm::to_fields`) for the
//! fields a translator translates — `title`, `lead_agencies`, `co_agencies`, `contact.name`,
//! `contact.title`, `contact.unit`, `participants.government`, `participants.civil_society`,
//! `milestone.<id>.text` — and `section.<id>` for each `##` section (its heading and its text
//! together; a section with an empty body is not a unit). Language-independent fields (number, area, dates, OGP values, SDGs, e-mail,
//! phone) are not units. A field whose master text is empty is not a unit (nothing to
//! translate). Texts are compared whole: nothing is split on spaces.
//!
//! **Normalized text** (what is hashed): line endings become `\n`, each line loses its
//! trailing whitespace, leading and trailing blank lines are dropped. A section's text is its
//! heading, a blank line, then its body so normalized. No Unicode normalization (NFC) is done.
//!
//! Example (keys sorted, one table per unit, `reason` only when given):
//!
//! ```toml
//! [units."section.problem"]
//! commit = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
//! master_sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
//! translation_sha256 = "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae"
//! by = "alice"
//! at = "2024-05-01T10:00:00Z"
//! reason = "punctuation only"
//! ```

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Deserialize;
use sha2::{Digest, Sha256};
use toml::Spanned;

use super::commitment::{is_valid_id, Commitment};
use super::form::CommitmentForm;
use super::problem::{Problem, Problems};
use super::toml_text::{key_on_line, line_at, string};

/// The form field keys that are translated text (besides `milestone.<id>.text`).
pub const TEXT_FIELDS: [&str; 8] = [
    "title",
    "lead_agencies",
    "co_agencies",
    "contact.name",
    "contact.title",
    "contact.unit",
    "participants.government",
    "participants.civil_society",
];

/// The path of the sync record of `commitments/<id>/<lang>.md`.
pub fn record_path(id: &str, lang: &str) -> String {
    format!("commitments/{id}/{lang}.sync.toml")
}

/// Whether `key` is a unit key this record may hold (see the module doc).
pub fn is_unit_key(key: &str) -> bool {
    if TEXT_FIELDS.contains(&key) {
        return true;
    }
    if let Some(id) = key.strip_prefix("section.") {
        return is_valid_id(id);
    }
    if let Some(id) = key
        .strip_prefix("milestone.")
        .and_then(|r| r.strip_suffix(".text"))
    {
        return is_valid_id(id);
    }
    false
}

/// `text` normalized for hashing (see the module doc).
pub fn normalize(text: &str) -> String {
    let unix = text.replace("\r\n", "\n").replace('\r', "\n");
    let lines: Vec<&str> = unix.lines().map(str::trim_end).collect();
    let first = lines.iter().position(|l| !l.is_empty());
    let last = lines.iter().rposition(|l| !l.is_empty());
    match (first, last) {
        (Some(a), Some(b)) => lines[a..=b].join("\n"),
        _ => String::new(),
    }
}

/// SHA-256 of the normalized `text`, lowercase hex.
pub fn unit_hash(text: &str) -> String {
    Sha256::digest(normalize(text).as_bytes())
        .iter()
        .fold(String::with_capacity(64), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// The units of a commitment in document order: key and normalized text, empty ones left out.
pub fn units(c: &Commitment) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (key, value) in CommitmentForm::from_commitment(c).to_fields() {
        let wanted = TEXT_FIELDS.contains(&key.as_str())
            || (key.starts_with("milestone.") && key.ends_with(".text"));
        let text = normalize(&value);
        if wanted && !text.is_empty() {
            out.push((key, text));
        }
    }
    for s in &c.sections {
        let body = normalize(s.text());
        let heading = normalize(&s.heading);
        if body.is_empty() {
            continue;
        }
        out.push((format!("section.{}", s.id), format!("{heading}\n\n{body}")));
    }
    out
}

/// One unit's entry: the master as it was when the translation of this unit was synced.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SyncEntry {
    /// The master commit it was synced with (40 lowercase hex digits).
    pub commit: String,
    /// [`unit_hash`] of the unit's master text at that commit.
    pub master_sha256: String,
    /// [`unit_hash`] of the unit's translated text when it was synced (absent in records
    /// written before it was kept): a sync of an unchanged translation needs a reason.
    pub translation_sha256: Option<String>,
    /// The account id of who synced it.
    pub by: String,
    /// When, in seconds since the epoch (written as RFC 3339, UTC).
    pub at: i64,
    /// Why it was marked synced (expected when the translation was not changed).
    pub reason: Option<String>,
}

/// A translation's sync record: entries by unit key.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct SyncRecord {
    pub units: BTreeMap<String, SyncEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRecord {
    #[serde(default)]
    units: BTreeMap<String, Spanned<RawEntry>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    commit: Spanned<String>,
    master_sha256: Spanned<String>,
    translation_sha256: Option<Spanned<String>>,
    by: Spanned<String>,
    at: Spanned<String>,
    reason: Option<Spanned<String>>,
}

fn is_hex(s: &str, len: usize) -> bool {
    s.len() == len
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

impl SyncRecord {
    /// Parses a record; every problem names the file, the line and the field
    /// (`units."<key>".<field>`).
    pub fn parse(path: &str, text: &str) -> Result<SyncRecord, Problems> {
        let raw: RawRecord = toml::from_str(text).map_err(|e| {
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
        })?;
        let mut problems = Vec::new();
        let mut units = BTreeMap::new();
        for (key, entry) in raw.units {
            let table_line = line_at(text, entry.span().start);
            let entry = entry.into_inner();
            let mut bad = |line: usize, name: &str, message: String| {
                let field = if name.is_empty() {
                    format!("units.\"{key}\"")
                } else {
                    format!("units.\"{key}\".{name}")
                };
                problems.push(Problem::new(path, line, field, message));
            };
            let line = |v: &Spanned<String>| line_at(text, v.span().start);
            let mut ok = true;
            if !is_unit_key(&key) {
                ok = false;
                bad(
                    table_line,
                    "",
                    format!(
                        "\"{key}\" is not a unit key (e.g. title, milestone.m1.text, section.problem)"
                    ),
                );
            }
            if !is_hex(entry.commit.get_ref(), 40) {
                ok = false;
                bad(
                    line(&entry.commit),
                    "commit",
                    "must be a commit id: 40 lowercase hex digits".into(),
                );
            }
            if !is_hex(entry.master_sha256.get_ref(), 64) {
                ok = false;
                bad(
                    line(&entry.master_sha256),
                    "master_sha256",
                    "must be a SHA-256: 64 lowercase hex digits".into(),
                );
            }
            if let Some(t) = &entry.translation_sha256 {
                if !is_hex(t.get_ref(), 64) {
                    ok = false;
                    bad(
                        line(t),
                        "translation_sha256",
                        "must be a SHA-256: 64 lowercase hex digits".into(),
                    );
                }
            }
            let by = entry.by.get_ref();
            if by.is_empty() || by.chars().any(|c| c.is_whitespace() || c.is_control()) {
                ok = false;
                bad(
                    line(&entry.by),
                    "by",
                    "must be an account id (not empty, no spaces)".into(),
                );
            }
            let at = match entry.at.get_ref().parse::<jiff::Timestamp>() {
                Ok(t) => t.as_second(),
                Err(_) => {
                    ok = false;
                    bad(
                        line(&entry.at),
                        "at",
                        "must be an RFC 3339 time, e.g. 2024-05-01T10:00:00Z".into(),
                    );
                    0
                }
            };
            if ok {
                units.insert(
                    key,
                    SyncEntry {
                        commit: entry.commit.into_inner(),
                        master_sha256: entry.master_sha256.into_inner(),
                        translation_sha256: entry.translation_sha256.map(Spanned::into_inner),
                        by: entry.by.into_inner(),
                        at,
                        reason: entry.reason.map(Spanned::into_inner),
                    },
                );
            }
        }
        if problems.is_empty() {
            Ok(SyncRecord { units })
        } else {
            Err(Problems(problems))
        }
    }

    /// The canonical text: one `[units."<key>"]` table per unit, keys sorted, fields in a fixed
    /// order, tables separated by a blank line. `parse(to_text())` gives the record back, and
    /// `to_text(parse(t)) == t` for every canonical `t`.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for (key, e) in &self.units {
            if !out.is_empty() {
                out.push('\n');
            }
            let at = jiff::Timestamp::from_second(e.at)
                .map(|t| t.to_string())
                .unwrap_or_else(|_| "1970-01-01T00:00:00Z".into());
            let _ = writeln!(out, "[units.{}]", string(key));
            let _ = writeln!(out, "commit = {}", string(&e.commit));
            let _ = writeln!(out, "master_sha256 = {}", string(&e.master_sha256));
            if let Some(t) = &e.translation_sha256 {
                let _ = writeln!(out, "translation_sha256 = {}", string(t));
            }
            let _ = writeln!(out, "by = {}", string(&e.by));
            let _ = writeln!(out, "at = {}", string(&at));
            if let Some(reason) = &e.reason {
                let _ = writeln!(out, "reason = {}", string(reason));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const C1: &str = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";
    const H1: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

    fn canonical() -> String {
        format!(
            "[units.\"milestone.m1.text\"]\ncommit = \"{C1}\"\nmaster_sha256 = \"{H1}\"\nby = \"alice\"\nat = \"2024-05-01T10:00:00Z\"\n\n\
             [units.\"section.problem\"]\ncommit = \"{C1}\"\nmaster_sha256 = \"{H1}\"\nby = \"bob\"\nat = \"2024-05-02T00:00:00Z\"\nreason = \"標點「修正」 only\"\n"
        )
    }

    #[test]
    fn canonical_text_round_trips_byte_for_byte() {
        let text = canonical();
        let record = SyncRecord::parse("r.sync.toml", &text).unwrap();
        assert_eq!(record.units.len(), 2);
        let e = &record.units["section.problem"];
        assert_eq!(e.by, "bob");
        assert_eq!(e.at, 1714608000);
        assert_eq!(e.reason.as_deref(), Some("標點「修正」 only"));
        assert_eq!(record.to_text(), text);
        assert_eq!(SyncRecord::parse("r", &record.to_text()).unwrap(), record);
        assert_eq!(SyncRecord::parse("r", "").unwrap(), SyncRecord::default());
        assert_eq!(SyncRecord::default().to_text(), "");
    }

    fn problems(text: &str) -> Vec<String> {
        SyncRecord::parse("c/en.sync.toml", text)
            .unwrap_err()
            .0
            .iter()
            .map(Problem::to_string)
            .collect()
    }

    #[test]
    fn bad_input_is_reported_with_line_and_field() {
        let unknown = canonical().replace("by = \"bob\"", "by = \"bob\"\nwho = \"x\"");
        let p = problems(&unknown);
        assert_eq!(p.len(), 1);
        assert!(
            p[0].starts_with("c/en.sync.toml:11: who: unknown field"),
            "{p:?}"
        );

        let p = problems(&canonical().replacen(C1, "abc", 1));
        assert_eq!(
            p,
            ["c/en.sync.toml:2: units.\"milestone.m1.text\".commit: must be a commit id: 40 lowercase hex digits"]
        );
        let p = problems(&canonical().replacen(H1, &H1.to_uppercase(), 2));
        assert_eq!(p.len(), 2);
        assert!(
            p[1].starts_with(
                "c/en.sync.toml:9: units.\"section.problem\".master_sha256: must be a SHA-256"
            ),
            "{p:?}"
        );
        let p = problems(&canonical().replace("2024-05-01T10:00:00Z", "yesterday"));
        assert!(
            p[0].starts_with("c/en.sync.toml:5: units.\"milestone.m1.text\".at:"),
            "{p:?}"
        );
        let p = problems(&canonical().replace("section.problem", "contact.email"));
        assert!(
            p[0].starts_with("c/en.sync.toml:7: units.\"contact.email\": "),
            "{p:?}"
        );
        let p = problems(&canonical().replace("by = \"alice\"\n", ""));
        assert!(p[0].contains("missing field `by`"), "{p:?}");
        let p = problems("master = \"zh-TW\"\n");
        assert!(
            p[0].starts_with("c/en.sync.toml:1: master: unknown field"),
            "{p:?}"
        );
    }

    #[test]
    fn translation_hash_is_optional_and_round_trips() {
        let h2 = unit_hash("x");
        let text = canonical().replacen(
            &format!("master_sha256 = \"{H1}\"\n"),
            &format!("master_sha256 = \"{H1}\"\ntranslation_sha256 = \"{h2}\"\n"),
            1,
        );
        let record = SyncRecord::parse("r", &text).unwrap();
        assert_eq!(
            record.units["milestone.m1.text"]
                .translation_sha256
                .as_deref(),
            Some(h2.as_str())
        );
        assert_eq!(record.units["section.problem"].translation_sha256, None);
        assert_eq!(record.to_text(), text);
        let p = problems(&text.replace(&h2, "nope"));
        assert!(
            p[0].starts_with("c/en.sync.toml:4: units.\"milestone.m1.text\".translation_sha256:"),
            "{p:?}"
        );
    }

    #[test]
    fn normalization_and_unit_keys() {
        assert_eq!(normalize("\r\n\n  a  \r\nb\t\r\n\n"), "  a\nb");
        assert_eq!(unit_hash("甲 乙 \r\n丙\n\n"), unit_hash("甲 乙\n丙"));
        assert_ne!(unit_hash("甲乙"), unit_hash("甲 乙"));
        for k in [
            "title",
            "section.problem",
            "milestone.m1.text",
            "contact.unit",
        ] {
            assert!(is_unit_key(k), "{k}");
        }
        for k in [
            "number",
            "section.",
            "section.Bad",
            "milestone.m1.end",
            "contact.email",
        ] {
            assert!(!is_unit_key(k), "{k}");
        }
        assert_eq!(record_path("c04", "en"), "commitments/c04/en.sync.toml");
    }
}
