//! Whether a translation is in sync with its master, unit by unit (units and their hashes:
//! [`crate::doc::sync`]). Pure: it takes the documents as they are now and the sync record,
//! and reads no git — it lives here, not in `doc`, because it is a rule of the workflow (like
//! `approval`) that later steps combine with git (the synced commit to diff from,
//! [`crate::store::git::commits_touching_since`] to count the master's changes since).
//!
//! A unit is **up to date** when the record's hash equals the hash of the master unit now: a
//! master change that is reverted clears itself, and editing only the translation never
//! changes the answer. It is **stale** when the hashes differ, **missing** when the
//! translation lacks the unit (or its text is empty) or the record has no entry for it.
//! **Orphaned** units are in the translation or the record but no longer in the master.

use std::collections::{BTreeSet, HashSet};

use serde::Serialize;

use crate::doc::sync::{unit_hash, units, SyncRecord};
use crate::doc::Commitment;

/// The state of one master unit in a translation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum UnitState {
    UpToDate,
    /// The master unit changed since `synced_commit`, the master commit it was synced with.
    Stale {
        synced_commit: String,
    },
    Missing,
}

/// One master unit and its state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnitStatus {
    /// The unit key (`title`, `milestone.m1.text`, `section.problem`, …).
    pub key: String,
    #[serde(flatten)]
    pub state: UnitState,
}

/// A translation's sync status: every master unit in master order, and the orphaned keys
/// (sorted).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SyncStatus {
    pub units: Vec<UnitStatus>,
    pub orphaned: Vec<String>,
}

impl SyncStatus {
    /// The state of unit `key`, if the master has it.
    pub fn state(&self, key: &str) -> Option<&UnitState> {
        self.units.iter().find(|u| u.key == key).map(|u| &u.state)
    }
}

/// The status of `translation` (None: not written yet) against `master`, as `record` (None:
/// no record yet) says they were synced. Takes parsed documents: snapshots already hold them,
/// and an invalid document has its problems reported where it is parsed.
pub fn status(
    master: &Commitment,
    translation: Option<&Commitment>,
    record: Option<&SyncRecord>,
) -> SyncStatus {
    let master_units = units(master);
    let translated: Vec<String> = translation
        .map(|t| units(t).into_iter().map(|(k, _)| k).collect())
        .unwrap_or_default();
    let translated_set: HashSet<&str> = translated.iter().map(String::as_str).collect();
    let units_out = master_units
        .iter()
        .map(|(key, text)| {
            let entry = record.and_then(|r| r.units.get(key));
            let state = match entry {
                _ if !translated_set.contains(key.as_str()) => UnitState::Missing,
                None => UnitState::Missing,
                Some(e) if e.master_sha256 == unit_hash(text) => UnitState::UpToDate,
                Some(e) => UnitState::Stale {
                    synced_commit: e.commit.clone(),
                },
            };
            UnitStatus {
                key: key.clone(),
                state,
            }
        })
        .collect();
    let in_master: HashSet<&str> = master_units.iter().map(|(k, _)| k.as_str()).collect();
    let orphaned: BTreeSet<String> = translated
        .iter()
        .chain(record.into_iter().flat_map(|r| r.units.keys()))
        .filter(|k| !in_master.contains(k.as_str()))
        .cloned()
        .collect();
    SyncStatus {
        units: units_out,
        orphaned: orphaned.into_iter().collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doc::sync::SyncEntry;
    use crate::doc::Section;
    use crate::store::git::{self, FileChange, Signature};

    const ZH: &str = include_str!("../../repo-template/commitments/_template/zh-TW.md");
    const EN: &str = include_str!("../../repo-template/commitments/_template/en.md");
    const PROBLEM_ZH: &str = "描述承諾事項將涉及的社會";

    fn doc(text: &str) -> Commitment {
        Commitment::parse("c.md", text).unwrap()
    }

    /// A record saying every unit of `master` was synced at commit `c…c`.
    fn synced(master: &Commitment) -> SyncRecord {
        let mut r = SyncRecord::default();
        for (key, text) in units(master) {
            r.units.insert(
                key,
                SyncEntry {
                    commit: "c".repeat(40),
                    master_sha256: unit_hash(&text),
                    translation_sha256: None,
                    by: "alice".into(),
                    at: 0,
                    reason: None,
                },
            );
        }
        r
    }

    fn states(s: &SyncStatus) -> Vec<(&str, &UnitState)> {
        s.units.iter().map(|u| (u.key.as_str(), &u.state)).collect()
    }

    #[test]
    fn units_use_form_keys_and_skip_empty_fields() {
        let keys: Vec<String> = units(&doc(ZH)).into_iter().map(|(k, _)| k).collect();
        assert_eq!(&keys[..3], ["title", "lead_agencies", "milestone.m1.text"]);
        assert!(keys.contains(&"section.problem".to_string()));
        assert!(!keys.contains(&"co_agencies".to_string()));
    }

    #[test]
    fn a_master_change_makes_exactly_that_unit_stale_and_reverting_clears_it() {
        let master = doc(ZH);
        let record = synced(&master);
        let en = doc(EN);
        let now = status(&master, Some(&en), Some(&record));
        assert!(now.units.iter().all(|u| u.state == UnitState::UpToDate));
        assert!(now.orphaned.is_empty());

        let changed = doc(&ZH.replace(PROBLEM_ZH, "描述承諾事項將涉及的經濟"));
        let s = status(&changed, Some(&en), Some(&record));
        for (key, state) in states(&s) {
            if key == "section.problem" {
                assert_eq!(
                    state,
                    &UnitState::Stale {
                        synced_commit: "c".repeat(40)
                    }
                );
            } else {
                assert_eq!(state, &UnitState::UpToDate, "{key}");
            }
        }
        // An English-only change neither clears the stale unit nor makes others stale.
        let en_edited = doc(&EN
            .replace("Describe the social", "Describe, newly, the social")
            .replace("Commitment title", "A new title"));
        assert_eq!(
            status(&changed, Some(&en_edited), Some(&record)),
            s,
            "English edits change nothing"
        );
        // Reverting the master clears it.
        assert_eq!(status(&doc(ZH), Some(&en), Some(&record)), now);
    }

    #[test]
    fn normalization_does_not_make_units_stale() {
        let master = doc(ZH);
        let record = synced(&master);
        // Documents are LF-only, but units are hashed as normalized text whatever reaches them.
        let mut noisy = master.clone();
        for sec in &mut noisy.sections {
            sec.body = format!(
                "\r\n\n{}  \t\r\n\r\n",
                sec.body.trim().replace('\n', " \r\n")
            );
        }
        noisy.front.title.push_str("  ");
        let s = status(&noisy, Some(&doc(EN)), Some(&record));
        assert!(
            s.units.iter().all(|u| u.state == UnitState::UpToDate),
            "{s:?}"
        );
    }

    #[test]
    fn missing_and_orphaned_units() {
        let mut master = doc(ZH);
        master.sections.push(Section {
            id: "extra".into(),
            heading: "附加".into(),
            body: "\n只在此版。\n".into(),
        });
        let mut record = synced(&master);
        // No translation, no record: everything is missing.
        let s = status(&master, None, None);
        assert!(s.units.iter().all(|u| u.state == UnitState::Missing));
        // A translation without a section, one with an empty section, a record without an entry.
        let mut en = doc(EN);
        en.sections.retain(|s| s.id != "problem");
        en.sections
            .iter_mut()
            .find(|s| s.id == "commitment")
            .unwrap()
            .body = "\n\n".into();
        en.sections.push(Section {
            id: "extra".into(),
            heading: "Extra".into(),
            body: "Only here.\n".into(),
        });
        record.units.remove("title");
        let s = status(&master, Some(&en), Some(&record));
        assert_eq!(s.state("section.problem"), Some(&UnitState::Missing));
        assert_eq!(s.state("section.commitment"), Some(&UnitState::Missing));
        assert_eq!(s.state("title"), Some(&UnitState::Missing));
        assert_eq!(s.state("section.description"), Some(&UnitState::UpToDate));
        assert_eq!(s.state("section.extra"), Some(&UnitState::UpToDate));
        assert!(s.orphaned.is_empty());
        // The section leaves the master: orphaned (in the translation and the record), and a
        // record entry for a unit no one has any more is orphaned too.
        master.sections.retain(|s| s.id != "extra");
        record.units.insert(
            "milestone.m9.text".into(),
            record.units["lead_agencies"].clone(),
        );
        let s = status(&master, Some(&en), Some(&record));
        assert_eq!(s.state("section.extra"), None);
        assert_eq!(s.orphaned, ["milestone.m9.text", "section.extra"]);
    }

    #[test]
    fn commits_touching_the_master_since_a_commit() {
        let dir = tempfile::tempdir().unwrap();
        let repo = git::init_bare(&dir.path().join("p.git")).unwrap();
        let sig = Signature {
            name: "t".into(),
            email: "t@example.org".into(),
            seconds: 1_700_000_000,
            offset_minutes: 0,
        };
        let master = "commitments/c1/zh-TW.md";
        let mut head = None;
        let mut put = |path: &str, text: &str| {
            let id = git::commit(
                &repo,
                "main",
                head,
                &[FileChange {
                    path: path.into(),
                    content: Some(text.as_bytes().to_vec()),
                }],
                &sig,
                "c",
            )
            .unwrap();
            head = Some(id);
            id
        };
        let synced_at = put(master, "一");
        put("commitments/c1/en.md", "one");
        put(master, "二");
        put(master, "一"); // reverted: still a commit that touched it
        let last = put("plan.toml", "x");
        let count = |since| git::commits_touching_since(&repo, last, since, master).unwrap();
        assert_eq!(count(synced_at), 2);
        assert_eq!(count(last), 0);
    }
}
