//! Translations kept in sync with the master: where a translation stands unit by unit against
//! `main` or a round ([`Translations::status`]), marking units synced
//! ([`Translations::mark_synced`]) and the plan-wide dashboard ([`Translations::dashboard`]).
//! The record format is [`crate::doc::sync`], the per-unit rule [`super::sync::status`].
//!
//! **Baselines**: `main`, `latest-round` (the newest `rounds/*` tag) or `rounds/<name>`.
//! The baseline gives the master; the translation and its record are always `main`'s.
//! Translators finishing the version the forum approved mark units synced against a round:
//! the record then holds the round's master, so those units are up to date against that
//! round and stale against `main` wherever the master changed since.
//!
//! **Marking synced** — who: translators and the secretariat (admin). The request names the
//! master commit the translator worked from; it must be the **latest commit that touched the
//! master file** on `main` (or at the round, for a round baseline) — not `main`'s head:
//! unrelated commits do not make a translator retry — else it is refused with 409
//! `master_moved`. The translation is always the one on `main`. Units must be units of the master (400
//! `unknown_unit`) and be translated (400 `not_translated`); a unit whose translated text is
//! the same as at its previous sync needs a reason (400 `reason_required`). The record is
//! written as one compare-and-swap commit on `main` authored by the translator, in one job on
//! the store's writer thread; nothing is written on any refusal.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::auth::{Role, User};
use crate::diff::{diff_text, granularity_for, TextDiff};
use crate::doc::sync::{record_path, unit_hash, units, SyncEntry, SyncRecord};
use crate::doc::{Commitment, Problems};
use crate::store::{git, FileChange, Oid, Store, StoreError};

use super::plan::{self, CommitFiles, PlanReader, PlanSnapshot, COMMITMENTS_DIR};
use super::proposal::{signature, MAIN};
use super::sync::{status as sync_status, SyncStatus, UnitState};
use super::{round_tags, Clock, WorkflowError};

const DIFF_TIMEOUT: Duration = Duration::from_millis(500);

/// One master unit in a status report: its state, and for a stale unit the diff of the master
/// text from the synced commit to the baseline.
#[derive(Debug, Clone, Serialize)]
pub struct UnitReport {
    pub key: String,
    #[serde(flatten)]
    pub state: UnitState,
    /// The translation has (non-empty) text for this unit: it may be marked synced.
    pub translated: bool,
    /// The master's text of the unit at the baseline (normalized; a section is its heading, a
    /// blank line and its body).
    pub text: String,
    /// The translation's text of the unit, if any.
    pub translation: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diff: Option<TextDiff>,
}

/// How many units are in each state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub up_to_date: usize,
    pub stale: usize,
    pub missing: usize,
    pub orphaned: usize,
}

impl Counts {
    fn of(s: &SyncStatus) -> Counts {
        let mut c = Counts {
            orphaned: s.orphaned.len(),
            ..Counts::default()
        };
        for u in &s.units {
            match u.state {
                UnitState::UpToDate => c.up_to_date += 1,
                UnitState::Stale { .. } => c.stale += 1,
                UnitState::Missing => c.missing += 1,
            }
        }
        c
    }
}

/// A translation's status against a baseline.
#[derive(Debug, Clone, Serialize)]
pub struct TranslationStatus {
    pub commitment: String,
    pub lang: String,
    /// The baseline as asked (`main`, `rounds/<name>`).
    pub baseline: String,
    /// The commit the baseline resolved to.
    pub commit: String,
    /// The latest commit at or before the baseline that touched the master file: the
    /// `master_commit` to send when marking units synced against `main`.
    pub master_commit: Option<String>,
    /// Commits touching the master file since the oldest synced commit of the record (`None`:
    /// no record).
    pub master_changes_since_sync: Option<usize>,
    pub counts: Counts,
    pub units: Vec<UnitReport>,
    pub orphaned: Vec<String>,
}

/// What a successful mark-synced wrote.
#[derive(Debug, Clone, Serialize)]
pub struct Synced {
    /// The commit on `main` holding the new record.
    pub commit: String,
    pub units: Vec<String>,
    pub master_commit: String,
}

/// One commitment on the dashboard: counts per translation language.
#[derive(Debug, Clone, Serialize)]
pub struct DashboardRow {
    pub commitment: String,
    pub number: Option<u32>,
    pub title: Option<String>,
    pub languages: BTreeMap<String, LanguageRow>,
}

/// One translation of one commitment on the dashboard.
#[derive(Debug, Clone, Default, Serialize)]
pub struct LanguageRow {
    #[serde(flatten)]
    pub counts: Counts,
    /// Commits that changed the master since the oldest sync of the record (`None`: no
    /// record).
    pub master_changes_since_sync: Option<usize>,
}

/// The dashboard: every commitment against one baseline.
#[derive(Debug, Clone, Serialize)]
pub struct Dashboard {
    pub baseline: String,
    /// The master language (the titles' language).
    pub master_language: String,
    pub commit: String,
    pub languages: Vec<String>,
    pub rows: Vec<DashboardRow>,
}

/// A stale unit as a translation's public page notes it.
#[derive(Debug, Clone, Serialize)]
pub struct StaleNote {
    /// The master commit the unit was synced with, abbreviated.
    pub synced_commit: String,
    /// The date (`YYYY-MM-DD`, in the commit's own offset) of the first commit after the
    /// synced one that changed the master file.
    pub changed_on: Option<String>,
}

/// Reads and writes translations' sync records. Cheap to clone.
#[derive(Clone)]
pub struct Translations {
    store: Store,
    plan: PlanReader,
    clock: Clock,
}

fn master_path(id: &str, lang: &str) -> String {
    format!("{COMMITMENTS_DIR}/{id}/{lang}.md")
}

fn read_record(
    repo: &git2::Repository,
    at: Oid,
    path: &str,
) -> Result<Option<SyncRecord>, WorkflowError> {
    match git::read_file(repo, at, path)? {
        None => Ok(None),
        Some(bytes) => {
            let text = String::from_utf8(bytes).map_err(|_| {
                WorkflowError::Invalid(Problems(vec![crate::doc::Problem::new(
                    path,
                    1,
                    "file",
                    "not UTF-8 text",
                )]))
            })?;
            SyncRecord::parse(path, &text)
                .map(Some)
                .map_err(WorkflowError::Invalid)
        }
    }
}

/// The latest commit reachable from `head` that touched `path`.
fn last_touch(
    repo: &git2::Repository,
    head: Oid,
    path: &str,
) -> Result<Option<String>, StoreError> {
    Ok(git::history(repo, head, path, 1)?
        .into_iter()
        .next()
        .map(|c| c.id))
}

/// The parsed entry, translation and master language of `id`/`lang` in `snap`.
fn check_lang(snap: &PlanSnapshot, id: &str, lang: &str) -> Result<(), WorkflowError> {
    if !snap.config.plan.translations.iter().any(|l| l == lang) {
        return Err(WorkflowError::NotFound(format!(
            "\"{lang}\" is not a translation language of this plan"
        )));
    }
    if snap.commitment(id).is_none() {
        return Err(WorkflowError::NotFound(format!("no commitment \"{id}\"")));
    }
    Ok(())
}

fn master_of<'s>(snap: &'s PlanSnapshot, id: &str) -> Result<&'s Commitment, WorkflowError> {
    snap.commitment(id)
        .and_then(|e| e.master(snap.master_language()))
        .map(|c| c.as_ref())
        .ok_or_else(|| {
            WorkflowError::rejected("invalid_master", format!("the master of {id} is not valid"))
        })
}

impl Translations {
    pub fn new(store: Store, plan: PlanReader) -> Translations {
        Translations::with_clock(store, plan, super::system_clock())
    }

    pub fn with_clock(store: Store, plan: PlanReader, clock: Clock) -> Translations {
        Translations { store, plan, clock }
    }

    /// The commit a baseline names: `main`, `latest-round` or `rounds/<name>`.
    async fn baseline(&self, baseline: &str) -> Result<(String, Oid), WorkflowError> {
        if baseline == MAIN {
            return Ok((MAIN.into(), self.store.resolve(MAIN).await?));
        }
        let rounds = round_tags::list(&self.store).await?;
        let tag = if baseline == "latest-round" {
            rounds
                .last()
                .ok_or_else(|| WorkflowError::NotFound("no round has been tagged yet".into()))?
        } else if baseline.starts_with(round_tags::TAG_PREFIX) {
            round_tags::find(&rounds, baseline)?
        } else {
            return Err(WorkflowError::bad_input(
                "bad_baseline",
                "baseline is main, latest-round or rounds/<name>",
            ));
        };
        let commit = Oid::from_str(&tag.commit)
            .map_err(|_| WorkflowError::NotFound(format!("round {} has no commit", tag.name)))?;
        Ok((tag.tag.clone(), commit))
    }

    /// The round tags a baseline may name, oldest first.
    pub async fn rounds(&self) -> Result<Vec<round_tags::RoundTag>, WorkflowError> {
        round_tags::list(&self.store).await
    }

    /// Where `lang` of `commitment` stands against `baseline` (see the module doc).
    pub async fn status(
        &self,
        commitment: &str,
        lang: &str,
        baseline: &str,
    ) -> Result<TranslationStatus, WorkflowError> {
        let (baseline, commit) = self.baseline(baseline).await?;
        let snap = self.plan.at(&commit.to_string()).await?;
        check_lang(&snap, commitment, lang)?;
        let current = self.plan.at(MAIN).await?;
        let (id, lang) = (commitment.to_string(), lang.to_string());
        self.store
            .read(move |repo| Ok(report(repo, &snap, &current, &id, &lang, baseline)))
            .await?
    }

    /// The stale units of `lang` of `id` in `snap`, by unit key, for the public page (empty
    /// when the translation has no sync record or the master is invalid).
    pub async fn stale_notes(
        &self,
        snap: std::sync::Arc<PlanSnapshot>,
        id: &str,
        lang: &str,
    ) -> Result<BTreeMap<String, StaleNote>, WorkflowError> {
        let (id, lang) = (id.to_string(), lang.to_string());
        self.store
            .read(move |repo| Ok(stale_notes(repo, &snap, &id, &lang)))
            .await?
    }

    /// Every commitment with its counts per state for each translation language of the plan,
    /// against `baseline`, most stale first (most stale units, then most master changes since
    /// the sync, then most missing units; plan order among equals).
    pub async fn dashboard(&self, baseline: &str) -> Result<Dashboard, WorkflowError> {
        let (baseline, commit) = self.baseline(baseline).await?;
        let snap = self.plan.at(&commit.to_string()).await?;
        let current = self.plan.at(MAIN).await?;
        let languages = snap.config.plan.translations.clone();
        let master_language = snap.master_language().to_string();
        let mut rows = self
            .store
            .read(move |repo| {
                let mut rows = Vec::new();
                for e in &snap.commitments {
                    let master = e.master(snap.master_language());
                    let path = master_path(&e.id, snap.master_language());
                    let mut languages = BTreeMap::new();
                    for lang in &snap.config.plan.translations {
                        let row = match master {
                            None => LanguageRow::default(),
                            Some(m) => {
                                // The translation and its record as they are on main.
                                let tr = current
                                    .commitment(&e.id)
                                    .and_then(|c| c.versions.get(lang))
                                    .and_then(|v| v.as_ref().ok());
                                let record =
                                    read_record(repo, current.commit, &record_path(&e.id, lang))
                                        .ok()
                                        .flatten();
                                LanguageRow {
                                    counts: Counts::of(&sync_status(
                                        m,
                                        tr.map(|t| t.as_ref()),
                                        record.as_ref(),
                                    )),
                                    master_changes_since_sync: record
                                        .as_ref()
                                        .map(|r| changes_since(repo, r, snap.commit, &path)),
                                }
                            }
                        };
                        languages.insert(lang.clone(), row);
                    }
                    rows.push(DashboardRow {
                        commitment: e.id.clone(),
                        number: master.map(|m| m.front.number),
                        title: master.map(|m| m.front.title.clone()),
                        languages,
                    });
                }
                Ok(rows)
            })
            .await?;
        let key = |r: &DashboardRow| {
            let sum = |f: fn(&LanguageRow) -> usize| -> usize { r.languages.values().map(f).sum() };
            (
                std::cmp::Reverse(sum(|l| l.counts.stale)),
                std::cmp::Reverse(sum(|l| l.master_changes_since_sync.unwrap_or(0))),
                std::cmp::Reverse(sum(|l| l.counts.missing)),
            )
        };
        rows.sort_by_key(key); // stable: plan order among equals
        Ok(Dashboard {
            baseline,
            master_language,
            commit: commit.to_string(),
            languages,
            rows,
        })
    }

    /// Marks `units` of `lang` of `commitment` synced with `master_commit`, the master as of
    /// `baseline` (see the module doc).
    #[allow(clippy::too_many_arguments)]
    pub async fn mark_synced(
        &self,
        user: User,
        commitment: &str,
        lang: &str,
        units_wanted: Vec<String>,
        master_commit: String,
        reason: Option<String>,
        baseline: &str,
    ) -> Result<Synced, WorkflowError> {
        if !(user.has(Role::Translator) || user.has(Role::Admin)) {
            return Err(WorkflowError::Forbidden(
                "only translators and the secretariat may mark translations synced".into(),
            ));
        }
        if units_wanted.is_empty() {
            return Err(WorkflowError::bad_input(
                "no_units",
                "name at least one unit",
            ));
        }
        let reason = reason
            .map(|r| r.trim().to_string())
            .filter(|r| !r.is_empty());
        if reason.as_ref().is_some_and(|r| r.chars().count() > 2000) {
            return Err(WorkflowError::bad_input(
                "bad_reason",
                "the reason is too long",
            ));
        }
        let wanted: BTreeSet<String> = units_wanted.into_iter().collect();
        // A round's commit never moves; `main` is resolved again inside the write job.
        let round = match baseline {
            MAIN => None,
            other => Some(self.baseline(other).await?),
        };
        let (id, lang) = (commitment.to_string(), lang.to_string());
        let now = (self.clock)();
        self.store
            .write(move |repo| {
                Ok(mark(
                    repo,
                    &user,
                    &id,
                    &lang,
                    &wanted,
                    &master_commit,
                    reason,
                    round,
                    now,
                ))
            })
            .await?
    }
}

/// `snap` is the baseline (the master's version), `current` is `main` (the translation and
/// its record: translators work there, also when they finish a round's version first).
fn report(
    repo: &git2::Repository,
    snap: &PlanSnapshot,
    current: &PlanSnapshot,
    id: &str,
    lang: &str,
    baseline: String,
) -> Result<TranslationStatus, WorkflowError> {
    let master = master_of(snap, id)?;
    let translation = current
        .commitment(id)
        .and_then(|e| e.versions.get(lang))
        .and_then(|v| v.as_ref().ok());
    let record = read_record(repo, current.commit, &record_path(id, lang))?;
    let status = sync_status(master, translation.map(|t| t.as_ref()), record.as_ref());
    let translated_units: HashMap<String, String> = translation
        .map(|t| units(t).into_iter().collect())
        .unwrap_or_default();
    let path = master_path(id, snap.master_language());
    let now_units: HashMap<String, String> = units(master).into_iter().collect();
    let granularity = granularity_for(snap.master_language());
    let deadline = Instant::now() + DIFF_TIMEOUT;
    let mut old_units: HashMap<String, HashMap<String, String>> = HashMap::new();
    let mut out = Vec::new();
    for u in &status.units {
        let diff = match &u.state {
            UnitState::Stale { synced_commit } => {
                if !old_units.contains_key(synced_commit) {
                    let old = Oid::from_str(synced_commit)
                        .ok()
                        .and_then(|c| git::read_file(repo, c, &path).ok().flatten())
                        .and_then(|b| String::from_utf8(b).ok())
                        .and_then(|t| Commitment::parse(&path, &t).ok())
                        .map(|c| units(&c).into_iter().collect())
                        .unwrap_or_default();
                    old_units.insert(synced_commit.clone(), old);
                }
                let old = old_units[synced_commit]
                    .get(&u.key)
                    .map_or("", String::as_str);
                let new = now_units.get(&u.key).map_or("", String::as_str);
                Some(diff_text(old, new, granularity, deadline))
            }
            _ => None,
        };
        out.push(UnitReport {
            key: u.key.clone(),
            state: u.state.clone(),
            translated: translated_units.contains_key(&u.key),
            text: now_units.get(&u.key).cloned().unwrap_or_default(),
            translation: translated_units.get(&u.key).cloned(),
            diff,
        });
    }
    let master_changes_since_sync = record
        .as_ref()
        .map(|r| changes_since(repo, r, snap.commit, &path));
    Ok(TranslationStatus {
        commitment: id.to_string(),
        lang: lang.to_string(),
        baseline,
        commit: snap.commit.to_string(),
        master_commit: last_touch(repo, snap.commit, &path)?,
        master_changes_since_sync,
        counts: Counts::of(&status),
        units: out,
        orphaned: status.orphaned,
    })
}

/// Commits reachable from `head` that changed `path` since the oldest synced commit of
/// `record` (on a linear history, the largest count over its commits).
fn changes_since(repo: &git2::Repository, record: &SyncRecord, head: Oid, path: &str) -> usize {
    let commits: BTreeSet<&str> = record.units.values().map(|e| e.commit.as_str()).collect();
    commits
        .into_iter()
        .filter_map(|c| Oid::from_str(c).ok())
        .filter_map(|c| git::commits_touching_since(repo, head, c, path).ok())
        .max()
        .unwrap_or(0)
}

fn stale_notes(
    repo: &git2::Repository,
    snap: &PlanSnapshot,
    id: &str,
    lang: &str,
) -> Result<BTreeMap<String, StaleNote>, WorkflowError> {
    let mut out = BTreeMap::new();
    let (Some(entry), Ok(master)) = (snap.commitment(id), master_of(snap, id)) else {
        return Ok(out);
    };
    let Some(record) = read_record(repo, snap.commit, &record_path(id, lang))? else {
        return Ok(out);
    };
    let translation = entry.versions.get(lang).and_then(|v| v.as_ref().ok());
    let status = sync_status(master, translation.map(|t| t.as_ref()), Some(&record));
    let path = master_path(id, snap.master_language());
    let mut first_change: HashMap<String, Option<String>> = HashMap::new();
    for u in status.units {
        let UnitState::Stale { synced_commit } = u.state else {
            continue;
        };
        if !first_change.contains_key(&synced_commit) {
            let date = first_change_after(repo, snap.commit, &synced_commit, &path)?;
            first_change.insert(synced_commit.clone(), date);
        }
        out.insert(
            u.key,
            StaleNote {
                changed_on: first_change[&synced_commit].clone(),
                synced_commit: synced_commit[..synced_commit.len().min(7)].to_string(),
            },
        );
    }
    Ok(out)
}

/// The date of the oldest commit reachable from `head` but not from `since` that changed
/// `path`.
fn first_change_after(
    repo: &git2::Repository,
    head: Oid,
    since: &str,
    path: &str,
) -> Result<Option<String>, StoreError> {
    let Ok(since) = Oid::from_str(since) else {
        return Ok(None);
    };
    let mut oldest = None;
    for c in git::history(repo, head, path, 1000)? {
        let Ok(oid) = Oid::from_str(&c.id) else {
            continue;
        };
        if oid == since || git::is_ancestor(repo, oid, since).unwrap_or(false) {
            continue;
        }
        oldest = Some(c);
    }
    Ok(oldest.and_then(|c| {
        jiff::Timestamp::from_second(c.time + i64::from(c.offset_minutes) * 60)
            .ok()
            .map(|t| t.strftime("%Y-%m-%d").to_string())
    }))
}

#[allow(clippy::too_many_arguments)]
fn mark(
    repo: &git2::Repository,
    user: &User,
    id: &str,
    lang: &str,
    wanted: &BTreeSet<String>,
    master_commit: &str,
    reason: Option<String>,
    round: Option<(String, Oid)>,
    now: i64,
) -> Result<Synced, WorkflowError> {
    let head = git::resolve(repo, MAIN)?;
    let snap = plan::load(&CommitFiles { repo, commit: head }, head)?;
    check_lang(&snap, id, lang)?;
    // The master as of the baseline: main's head, or the round's commit.
    let round_snap = match &round {
        None => None,
        Some((_, commit)) => {
            let s = plan::load(
                &CommitFiles {
                    repo,
                    commit: *commit,
                },
                *commit,
            )?;
            check_lang(&s, id, lang)?;
            Some(s)
        }
    };
    let base = round_snap.as_ref().unwrap_or(&snap);
    let at = round.as_ref().map_or(head, |(_, c)| *c);
    let master = master_of(base, id)?;
    let path = master_path(id, snap.master_language());
    let current = last_touch(repo, at, &path)?.unwrap_or_default();
    if master_commit != current {
        let place = round.as_ref().map_or("main", |(name, _)| name.as_str());
        return Err(WorkflowError::conflict(
            "master_moved",
            format!(
                "the master on {place} was last changed in {current}, not {master_commit}: \
                 look at what changed, update the translation, and sync against {current}"
            ),
        ));
    }
    let master_units: HashMap<String, String> = units(master).into_iter().collect();
    let translated: HashMap<String, String> = snap
        .commitment(id)
        .and_then(|e| e.versions.get(lang))
        .and_then(|v| v.as_ref().ok())
        .map(|t| units(t).into_iter().collect())
        .unwrap_or_default();
    let rpath = record_path(id, lang);
    let mut record = read_record(repo, head, &rpath)?.unwrap_or_default();
    for key in wanted {
        let Some(text) = master_units.get(key) else {
            return Err(WorkflowError::bad_input(
                "unknown_unit",
                format!("\"{key}\" is not a unit of the master of {id}"),
            ));
        };
        let Some(tr) = translated.get(key) else {
            return Err(WorkflowError::bad_input(
                "not_translated",
                format!("\"{key}\" is not translated in {lang}.md yet"),
            ));
        };
        let tr_hash = unit_hash(tr);
        let unchanged = record
            .units
            .get(key)
            .is_some_and(|e| e.translation_sha256.as_deref() == Some(tr_hash.as_str()));
        if unchanged && reason.is_none() {
            return Err(WorkflowError::bad_input(
                "reason_required",
                format!(
                    "the translation of \"{key}\" did not change since it was last synced: say why it still fits"
                ),
            ));
        }
        record.units.insert(
            key.clone(),
            SyncEntry {
                commit: master_commit.to_string(),
                master_sha256: unit_hash(text),
                translation_sha256: Some(tr_hash),
                by: user.id.clone(),
                at: now,
                reason: reason.clone(),
            },
        );
    }
    let names: Vec<String> = wanted.iter().cloned().collect();
    let mut message = format!(
        "Translation sync: {id} {lang}: {} synced with master {}",
        names.join(", "),
        &master_commit[..master_commit.len().min(12)]
    );
    message.push_str(&format!("\n\nMaster commit: {master_commit}\n"));
    if let Some((name, _)) = &round {
        message.push_str(&format!("Baseline: {name}\n"));
    }
    if let Some(r) = &reason {
        message.push_str(&format!("Reason: {r}\n"));
    }
    let commit = git::commit(
        repo,
        MAIN,
        Some(head),
        &[FileChange {
            path: rpath,
            content: Some(record.to_text().into_bytes()),
        }],
        &signature(user),
        &message,
    )?;
    Ok(Synced {
        commit: commit.to_string(),
        units: names,
        master_commit: master_commit.to_string(),
    })
}
