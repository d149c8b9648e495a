//! Proposals: a change to the plan on a branch `proposals/<n>-<slug>`, reviewed, and merged
//! into `main` only when the approval rule holds for its current head.
//!
//! Owns who may draft what, opening and updating proposals (documents validated against the
//! whole plan before anything is written), reviews bound to a head, and the merge: when `main`
//! moved since the proposal branched off, both sides are merged file by file with the CRDT
//! three-way merge ([`crate::live::merge`]). If the two sides changed overlapping text, nothing
//! reaches `main`: the proposal is brought up to date with `main` instead (a merge commit on
//! the proposal branch, whose diff the approvers then see) and needs approving again.
//!
//! Every write runs as one job on the store's writer thread, so numbering, checks and commits
//! of one request are not interleaved with another's; branch moves are compare-and-swap, so a
//! `git push` in between is refused rather than overwritten.
//!
//! Who may do what (also in README.md):
//! - draft (open or update a proposal that writes a document): the secretariat (admin) for any
//!   commitment; a drafter for the commitments of their working groups, and any new
//!   commitment; a translator for translations (not the master) of existing commitments.
//! - delete a commitment: the secretariat, or a drafter of its working group.
//! - approve / request changes: a member of the working group of a commitment the proposal
//!   touches (for an added commitment: a forum member or convener) — never the proposal's own
//!   author, whose approval would let one person speak for their sector about their own text.
//! - comment: anyone signed in with a role other than public.
//! - merge: the author, a convener or the secretariat, once the rule holds.
//! - close: the author or the secretariat.
//! - correct a round's minutes (`rounds/<name>.md`): a forum member, a convener or the
//!   secretariat, while the minutes are a draft ([`super::rounds::guard_round_paths`]); the
//!   forum's members and conveners approve it, as for any file outside `commitments/`.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::auth::{Role, User};
use crate::doc::{Commitment, PlanConfig, Problem, Problems};
use crate::live::merge::merge3;
use crate::store::{git, FileChange, Oid, Signature, Store};

use super::approval::{self, ApprovalStatus};
use super::plan::{self, CommitFiles, Files, Overlay, COMMITMENTS_DIR};
use super::records::{
    self, CloseRecord, MergeRecord, ProposalRecord, ProposalState, ReviewRecord, Verdict,
};
use super::{rounds, Clock, WorkflowError};

/// The branch proposals merge into.
pub const MAIN: &str = "main";
/// The largest document a proposal may write.
pub const MAX_DOCUMENT_BYTES: usize = 256 * 1024;
const MAX_TITLE_CHARS: usize = 200;
const MAX_TEXT_CHARS: usize = 20_000;
const MERGE_TIMEOUT: Duration = Duration::from_secs(2);

/// One change a proposal makes to the plan's documents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DocumentChange {
    /// New full text of `commitments/<commitment>/<lang>.md` (created when absent).
    Write {
        commitment: String,
        lang: String,
        text: String,
    },
    /// Delete a commitment: every language version of it.
    Delete { commitment: String },
    /// New full text of a round's minutes, `rounds/<round>.md` (a correction, while the
    /// minutes are a draft).
    Minutes { round: String, text: String },
}

impl DocumentChange {
    /// What the change touches: a commitment id, or the minutes' path.
    pub fn key(&self) -> String {
        match self {
            DocumentChange::Write { commitment, .. } | DocumentChange::Delete { commitment } => {
                commitment.clone()
            }
            DocumentChange::Minutes { round, .. } => rounds::minutes_path(round),
        }
    }

    /// The repository path a change to minutes writes.
    fn minutes_path(&self) -> Option<String> {
        match self {
            DocumentChange::Minutes { round, .. } => Some(rounds::minutes_path(round)),
            _ => None,
        }
    }
}

/// May `user` propose corrections to a round's minutes? Forum members, conveners, the
/// secretariat.
pub fn may_correct_minutes(user: &User) -> bool {
    user.has(Role::Admin) || user.has(Role::Convener) || user.has(Role::ForumMember)
}

/// What a proposal touches: a commitment (or, for a change outside `commitments/`, the file),
/// and whether the forum rather than a working group approves it (an added commitment, or a
/// plan-level file).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Touched {
    pub commitment: String,
    pub added: bool,
}

/// A proposal as it stands now.
#[derive(Debug, Clone, Serialize)]
pub struct ProposalDetail {
    #[serde(flatten)]
    pub record: ProposalRecord,
    /// The branch head (for a merged proposal: the head that was merged).
    pub head: String,
    /// Where the proposal's diff starts: the merge base with `main` (for a merged proposal,
    /// the first parent of its merge commit).
    pub base: String,
    /// `main` has commits the proposal does not have.
    pub behind_main: bool,
    pub touched: Vec<Touched>,
    pub approval: ApprovalStatus,
}

/// What a merge request did.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum MergeOutcome {
    /// The proposal is in `main`: `commit` is the merge commit.
    Merged { commit: String },
    /// Both sides changed overlapping text: the proposal was brought up to date with `main`
    /// (its new head is `head`) and must be approved again.
    BroughtUpToDate {
        head: String,
        overlaps: Vec<OverlapNote>,
    },
}

/// Where both sides changed the same text.
#[derive(Debug, Clone, Serialize)]
pub struct OverlapNote {
    pub path: String,
    pub base: String,
    pub main: String,
    pub proposal: String,
}

/// Opens, updates, reviews and merges proposals. Cheap to clone.
#[derive(Clone)]
pub struct Proposals {
    store: Store,
    clock: Clock,
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// The signature of a user's commits.
pub fn signature(user: &User) -> Signature {
    let email = user
        .email
        .clone()
        .unwrap_or_else(|| format!("{}@users.codraft.invalid", user.id));
    Signature::now(&user.name, &email)
}

fn doc_path(commitment: &str, lang: &str) -> String {
    format!("{COMMITMENTS_DIR}/{commitment}/{lang}.md")
}

/// May `user` write `lang` of `commitment` (`exists`: it is in the plan already)?
pub fn may_draft(user: &User, commitment: &str, lang: &str, master: &str, exists: bool) -> bool {
    if user.has(Role::Admin) {
        return true;
    }
    if user.has(Role::Drafter) && (!exists || user.in_working_group(commitment)) {
        return true;
    }
    user.has(Role::Translator) && exists && lang != master
}

/// May `user` delete `commitment`?
pub fn may_delete(user: &User, commitment: &str) -> bool {
    user.has(Role::Admin) || (user.has(Role::Drafter) && user.in_working_group(commitment))
}

/// A branch-name slug from a title: lowercase ASCII words joined by `-`, or `fallback`.
fn slug(title: &str, fallback: &str) -> String {
    let mut out = String::new();
    for word in title
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        if out.len() + word.len() > 40 {
            break;
        }
        if !out.is_empty() {
            out.push('-');
        }
        out.push_str(&word.to_ascii_lowercase());
    }
    if out.is_empty() {
        fallback.to_string()
    } else {
        out
    }
}

fn check_text(field: &str, text: &str, max: usize, required: bool) -> Result<(), WorkflowError> {
    if required && text.trim().is_empty() {
        return Err(WorkflowError::rejected(
            "missing_field",
            format!("{field} is required"),
        ));
    }
    if text.chars().count() > max {
        return Err(WorkflowError::rejected(
            "too_long",
            format!("{field} is longer than {max} characters"),
        ));
    }
    if text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(WorkflowError::rejected(
            "bad_text",
            format!("{field} holds control characters"),
        ));
    }
    Ok(())
}

/// Checks `changes` against the plan at `at` and turns them into file changes: ids, languages,
/// rights, each document valid on its own and within the plan (numbers unique, areas known).
/// Changes that change nothing are dropped.
fn prepare(
    repo: &git2::Repository,
    at: Oid,
    user: &User,
    changes: &[DocumentChange],
) -> Result<Vec<FileChange>, WorkflowError> {
    let files = CommitFiles { repo, commit: at };
    let before = plan::load(&files, at)?;
    let master = before.master_language().to_string();
    let mut out: Vec<FileChange> = Vec::new();
    for change in changes {
        if let DocumentChange::Minutes { round, text } = change {
            out.extend(prepare_minutes(&files, user, round, text)?);
            continue;
        }
        let id = &change.key();
        if !crate::doc::commitment::is_valid_id(id) {
            return Err(WorkflowError::rejected(
                "bad_id",
                format!("\"{id}\" is not a commitment id (a-z, 0-9, '-', '_')"),
            ));
        }
        let exists = before.commitment(id).is_some();
        match change {
            DocumentChange::Write {
                commitment,
                lang,
                text,
            } => {
                if !before.config.languages().any(|l| l == lang) {
                    return Err(WorkflowError::rejected(
                        "unknown_language",
                        format!(
                            "\"{lang}\" is not a language of this plan ({})",
                            before.config.languages().collect::<Vec<_>>().join(", ")
                        ),
                    ));
                }
                if !may_draft(user, commitment, lang, &master, exists) {
                    return Err(WorkflowError::Forbidden(format!(
                        "{} may not write the {lang} text of {commitment}",
                        user.name
                    )));
                }
                if text.len() > MAX_DOCUMENT_BYTES {
                    return Err(WorkflowError::rejected(
                        "too_large",
                        format!("a document may hold at most {MAX_DOCUMENT_BYTES} bytes"),
                    ));
                }
                let path = doc_path(commitment, lang);
                let doc = Commitment::parse(&path, text).map_err(WorkflowError::Invalid)?;
                let found =
                    crate::doc::check_in_plan(&doc, &path, commitment, lang, &before.config);
                if !found.is_empty() {
                    return Err(WorkflowError::Invalid(Problems(found)));
                }
                let canonical = doc.to_text().into_bytes();
                if files.read(&path)?.as_deref() != Some(&canonical[..]) {
                    out.push(FileChange {
                        path,
                        content: Some(canonical),
                    });
                }
            }
            DocumentChange::Minutes { .. } => {}
            DocumentChange::Delete { commitment } => {
                if !exists {
                    return Err(WorkflowError::NotFound(format!(
                        "no commitment \"{commitment}\" to delete"
                    )));
                }
                if !may_delete(user, commitment) {
                    return Err(WorkflowError::Forbidden(format!(
                        "{} may not delete {commitment}",
                        user.name
                    )));
                }
                let dir = format!("{COMMITMENTS_DIR}/{commitment}");
                for name in git::list_dir(repo, at, &dir)? {
                    out.push(FileChange {
                        path: format!("{dir}/{name}"),
                        content: None,
                    });
                }
            }
        }
    }
    check_plan_after(&files, at, &before.problems, &out)?;
    Ok(out)
}

/// A correction of a round's minutes as a file change (none when the text is the same).
fn prepare_minutes(
    files: &CommitFiles<'_>,
    user: &User,
    round: &str,
    text: &str,
) -> Result<Option<FileChange>, WorkflowError> {
    if !rounds::is_valid_name(round) {
        return Err(WorkflowError::rejected(
            "bad_id",
            format!("\"{round}\" is not a round name (a-z, 0-9, '-')"),
        ));
    }
    if !may_correct_minutes(user) {
        return Err(WorkflowError::Forbidden(format!(
            "{} may not correct minutes (forum members, conveners and the secretariat may)",
            user.name
        )));
    }
    if text.len() > rounds::MAX_MINUTES_BYTES {
        return Err(WorkflowError::rejected(
            "too_large",
            format!(
                "minutes may hold at most {} bytes",
                rounds::MAX_MINUTES_BYTES
            ),
        ));
    }
    check_text("the minutes", text, usize::MAX, true)?;
    let path = rounds::minutes_path(round);
    if files.read(&path)?.as_deref() == Some(text.as_bytes()) {
        return Ok(None);
    }
    Ok(Some(FileChange {
        path,
        content: Some(text.as_bytes().to_vec()),
    }))
}

/// Refuses a proposal that changes `paths` under `rounds/` unless they are minutes still open
/// to corrections (by `main`'s `[rounds] correction_days`).
fn guard_rounds(repo: &git2::Repository, paths: &[String], now: i64) -> Result<(), WorkflowError> {
    if !paths
        .iter()
        .any(|p| p.starts_with(&format!("{}/", rounds::ROUNDS_DIR)))
    {
        return Ok(());
    }
    let main = branch_head(repo, MAIN)?;
    let days = plan_config(repo, main)?.rounds.correction_days;
    rounds::guard_round_paths(repo, paths, days, now)
}

/// Refuses `changes` if the plan would have problems it does not have now (e.g. a number used
/// twice, a translation without its master).
fn check_plan_after(
    files: &dyn Files,
    at: Oid,
    problems_before: &[Problem],
    changes: &[FileChange],
) -> Result<(), WorkflowError> {
    let after = plan::load(
        &Overlay {
            base: files,
            changes,
        },
        at,
    )?;
    let new: Vec<Problem> = after
        .problems
        .into_iter()
        .filter(|p| !problems_before.contains(p))
        .collect();
    if new.is_empty() {
        Ok(())
    } else {
        Err(WorkflowError::Invalid(Problems(new)))
    }
}

/// The commitments (or plan files) changed between `base` and `head`.
fn touched(repo: &git2::Repository, base: Oid, head: Oid) -> Result<Vec<Touched>, WorkflowError> {
    let mut out: Vec<Touched> = Vec::new();
    let mut seen = BTreeSet::new();
    for path in git::changed_paths(repo, base, head)? {
        let key = match path.strip_prefix(&format!("{COMMITMENTS_DIR}/")) {
            Some(rest) => rest.split('/').next().unwrap_or(rest).to_string(),
            None => path.clone(),
        };
        if !seen.insert(key.clone()) {
            continue;
        }
        let added = if key == path {
            true // plan.toml, forum/…: the forum approves
        } else {
            git::list_dir(repo, base, &format!("{COMMITMENTS_DIR}/{key}"))?.is_empty()
        };
        out.push(Touched {
            commitment: key,
            added,
        });
    }
    Ok(out)
}

/// `plan.toml` at a commit, without reading the rest of the plan.
fn plan_config(repo: &git2::Repository, commit: Oid) -> Result<PlanConfig, WorkflowError> {
    let text = git::read_file(repo, commit, PlanConfig::PATH)?
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| {
            WorkflowError::NotFound(format!("no readable {} at {commit}", PlanConfig::PATH))
        })?;
    PlanConfig::parse(&text).map_err(WorkflowError::Invalid)
}

fn load_record(repo: &git2::Repository, number: u32) -> Result<ProposalRecord, WorkflowError> {
    records::proposal(repo, number)?
        .ok_or_else(|| WorkflowError::NotFound(format!("no proposal #{number}")))
}

fn require_open(record: &ProposalRecord) -> Result<(), WorkflowError> {
    match record.state {
        ProposalState::Open => Ok(()),
        ProposalState::Merged => Err(WorkflowError::conflict(
            "not_open",
            format!("proposal #{} is already merged", record.number),
        )),
        ProposalState::Closed => Err(WorkflowError::conflict(
            "not_open",
            format!("proposal #{} is closed", record.number),
        )),
    }
}

fn branch_head(repo: &git2::Repository, branch: &str) -> Result<Oid, WorkflowError> {
    git::branch_head(repo, branch)?
        .ok_or_else(|| WorkflowError::NotFound(format!("the branch {branch} does not exist")))
}

/// A proposal as it stands: head, base, what it touches, the rule applied to its head.
fn detail(
    repo: &git2::Repository,
    record: ProposalRecord,
    users: &[User],
) -> Result<ProposalDetail, WorkflowError> {
    let main = branch_head(repo, MAIN)?;
    let (head, base) = match &record.merged {
        Some(m) => {
            let merge = repo
                .find_commit(Oid::from_str(&m.commit).map_err(crate::store::StoreError::from)?)
                .map_err(crate::store::StoreError::from)?;
            let first_parent = merge.parent_id(0).map_err(crate::store::StoreError::from)?;
            (
                Oid::from_str(&m.head).map_err(crate::store::StoreError::from)?,
                first_parent,
            )
        }
        None => {
            let head = branch_head(repo, &record.branch)?;
            let base = git::merge_base(repo, main, head)?.unwrap_or(main);
            (head, base)
        }
    };
    let touched = touched(repo, base, head)?;
    // The rule is main's: a proposal cannot change the rule it is judged by.
    let config = plan_config(repo, main)?;
    let reviews = records::reviews(repo, record.number)?;
    let pairs: Vec<(String, bool)> = touched
        .iter()
        .map(|t| (t.commitment.clone(), t.added))
        .collect();
    let approval = approval::evaluate(
        &config.approval,
        &head.to_string(),
        &record.author,
        &pairs,
        &reviews,
        users,
    );
    let behind_main = record.state == ProposalState::Open && !git::is_ancestor(repo, main, head)?;
    Ok(ProposalDetail {
        head: head.to_string(),
        base: base.to_string(),
        behind_main,
        touched,
        approval,
        record,
    })
}

/// The result of combining `main` and a proposal: the final content of every path either side
/// changed since their merge base.
struct Combined {
    /// Changes to `main`'s tree that give the combined tree.
    onto_main: Vec<FileChange>,
    /// Changes to the proposal head's tree that give the combined tree.
    onto_head: Vec<FileChange>,
    overlaps: Vec<OverlapNote>,
}

fn combine(repo: &git2::Repository, main: Oid, head: Oid) -> Result<Combined, WorkflowError> {
    let base = git::merge_base(repo, main, head)?.ok_or_else(|| {
        WorkflowError::conflict("unrelated", "the proposal shares no history with main")
    })?;
    let ours: BTreeSet<String> = git::changed_paths(repo, base, main)?.into_iter().collect();
    let theirs: BTreeSet<String> = git::changed_paths(repo, base, head)?.into_iter().collect();
    let deadline = Instant::now() + MERGE_TIMEOUT;
    let mut combined = Combined {
        onto_main: Vec::new(),
        onto_head: Vec::new(),
        overlaps: Vec::new(),
    };
    for path in ours.union(&theirs) {
        let b = git::read_file(repo, base, path)?;
        let o = git::read_file(repo, main, path)?;
        let t = git::read_file(repo, head, path)?;
        let result = if !theirs.contains(path) || o == t {
            o.clone()
        } else if !ours.contains(path) {
            t.clone()
        } else {
            let text =
                |v: &Option<Vec<u8>>| v.as_ref().map(|b| String::from_utf8_lossy(b).into_owned());
            match (text(&b), text(&o), text(&t)) {
                (b, Some(o_text), Some(t_text)) => {
                    let b_text = b.unwrap_or_default();
                    let merged = merge3(&b_text, &o_text, &t_text, deadline).map_err(|e| {
                        WorkflowError::conflict("merge_failed", format!("{path}: {e}"))
                    })?;
                    for ov in &merged.overlaps {
                        combined.overlaps.push(OverlapNote {
                            path: path.clone(),
                            base: ov.base_text.clone(),
                            main: ov.ours.clone(),
                            proposal: ov.theirs.clone(),
                        });
                    }
                    Some(merged.text.into_bytes())
                }
                // One side deleted the file, the other changed it: keep the proposal's side
                // and let the approvers look again.
                (b, o_text, t_text) => {
                    combined.overlaps.push(OverlapNote {
                        path: path.clone(),
                        base: b.unwrap_or_default(),
                        main: o_text.unwrap_or_default(),
                        proposal: t_text.unwrap_or_default(),
                    });
                    t.clone()
                }
            }
        };
        if result != o {
            combined.onto_main.push(FileChange {
                path: path.clone(),
                content: result.clone(),
            });
        }
        if result != t {
            combined.onto_head.push(FileChange {
                path: path.clone(),
                content: result,
            });
        }
    }
    Ok(combined)
}

impl Proposals {
    pub fn new(store: Store) -> Proposals {
        Proposals::with_clock(store, super::system_clock())
    }

    /// With another clock (tests): it decides whether a round's minutes are still a draft.
    pub fn with_clock(store: Store, clock: Clock) -> Proposals {
        Proposals { store, clock }
    }

    /// Every proposal, newest first.
    pub async fn list(&self) -> Result<Vec<ProposalRecord>, WorkflowError> {
        Ok(self.store.read(records::proposals).await?)
    }

    /// One proposal as it stands now.
    pub async fn get(
        &self,
        number: u32,
        users: Vec<User>,
    ) -> Result<ProposalDetail, WorkflowError> {
        self.store
            .read(move |repo| Ok(load_record(repo, number).and_then(|r| detail(repo, r, &users))))
            .await?
    }

    /// After a push through the git HTTP server moved `branch`: the proposal it is, opened by
    /// `user` when it is new (see [`super::push::adopt_branch`]); `true` when it was opened now.
    pub async fn adopt_pushed_branch(
        &self,
        user: User,
        branch: String,
    ) -> Result<(ProposalRecord, bool), WorkflowError> {
        let now = (self.clock)();
        self.store
            .write(move |repo| Ok(super::push::adopt_branch(repo, &user, &branch, now)))
            .await?
    }

    /// Opens a proposal: a branch from `main` with `changes` (which may be empty: the web
    /// form opens the proposal first and edits it next).
    /// The branch is named from the title's ASCII words, else from `topic` (e.g. the
    /// commitment the author is about to edit), else from the first change's commitment.
    pub async fn open(
        &self,
        user: User,
        title: String,
        description: String,
        changes: Vec<DocumentChange>,
        topic: Option<String>,
    ) -> Result<ProposalRecord, WorkflowError> {
        let only_minutes = !changes.is_empty()
            && changes
                .iter()
                .all(|c| matches!(c, DocumentChange::Minutes { .. }));
        if !(user.has(Role::Admin)
            || user.has(Role::Drafter)
            || user.has(Role::Translator)
            || (only_minutes && may_correct_minutes(&user)))
        {
            return Err(WorkflowError::Forbidden(format!(
                "{} has no drafting rights (drafter, translator or secretariat)",
                user.name
            )));
        }
        check_text("title", &title, MAX_TITLE_CHARS, true)?;
        check_text("description", &description, MAX_TEXT_CHARS, false)?;
        let clock_now = (self.clock)();
        self.store
            .write(move |repo| {
                Ok((|| {
                    let main = branch_head(repo, MAIN)?;
                    let minutes: Vec<String> = changes
                        .iter()
                        .filter_map(DocumentChange::minutes_path)
                        .collect();
                    guard_rounds(repo, &minutes, clock_now)?;
                    let files = prepare(repo, main, &user, &changes)?;
                    let number = records::next_number(repo)?;
                    let fallback = topic
                        .filter(|t| crate::doc::commitment::is_valid_id(t))
                        .or_else(|| match changes.first() {
                            Some(DocumentChange::Minutes { round, .. }) => {
                                Some(format!("minutes-{round}"))
                            }
                            Some(c) => Some(c.key()),
                            None => None,
                        })
                        .unwrap_or_else(|| "change".to_string());
                    let branch = format!("proposals/{number}-{}", slug(&title, &fallback));
                    git::create_branch(repo, &branch, main)?;
                    let sig = signature(&user);
                    if !files.is_empty() {
                        git::commit(repo, &branch, Some(main), &files, &sig, &title)?;
                    }
                    let record = ProposalRecord {
                        number,
                        branch,
                        title: title.clone(),
                        description,
                        author: user.id.clone(),
                        author_name: user.name.clone(),
                        author_sector: user.sector,
                        commitments: touched_ids(&changes),
                        state: ProposalState::Open,
                        opened_at: now(),
                        base: main.to_string(),
                        merged: None,
                        closed: None,
                    };
                    records::save_proposal(
                        repo,
                        &record,
                        &sig,
                        &format!("Proposal #{number} opened: {title}"),
                    )?;
                    Ok(record)
                })())
            })
            .await?
    }

    /// Commits `changes` to a proposal whose head is still `expected_head`.
    pub async fn update(
        &self,
        user: User,
        number: u32,
        expected_head: Oid,
        changes: Vec<DocumentChange>,
        message: String,
    ) -> Result<String, WorkflowError> {
        check_text("message", &message, MAX_TEXT_CHARS, false)?;
        let clock_now = (self.clock)();
        self.store
            .write(move |repo| {
                Ok((|| {
                    let mut record = load_record(repo, number)?;
                    require_open(&record)?;
                    let head = branch_head(repo, &record.branch)?;
                    let main = branch_head(repo, MAIN)?;
                    let base = git::merge_base(repo, main, head)?.unwrap_or(main);
                    let mut paths = git::changed_paths(repo, base, head)?;
                    paths.extend(changes.iter().filter_map(DocumentChange::minutes_path));
                    guard_rounds(repo, &paths, clock_now)?;
                    if head != expected_head {
                        return Err(WorkflowError::conflict(
                            "stale_head",
                            format!(
                                "proposal #{number} moved: you edited {expected_head}, it is now at {head}; reload and try again"
                            ),
                        ));
                    }
                    let files = prepare(repo, head, &user, &changes)?;
                    if files.is_empty() {
                        return Err(WorkflowError::rejected(
                            "no_change",
                            "the new text is the same as the proposal's",
                        ));
                    }
                    let message = if message.trim().is_empty() {
                        format!("Update {} (proposal #{number})", touched_ids(&changes).join(", "))
                    } else {
                        message
                    };
                    let sig = signature(&user);
                    let new_head = git::commit(repo, &record.branch, Some(head), &files, &sig, &message)?;
                    let mut ids: BTreeSet<String> = record.commitments.iter().cloned().collect();
                    ids.extend(touched_ids(&changes));
                    if ids.len() != record.commitments.len() {
                        record.commitments = ids.into_iter().collect();
                        records::save_proposal(repo, &record, &sig,
                            &format!("Proposal #{number} now touches {}", record.commitments.join(", ")),
                        )?;
                    }
                    Ok(new_head.to_string())
                })())
            })
            .await?
    }

    /// Records a review of the proposal at `head` (which must be its current head).
    pub async fn review(
        &self,
        user: User,
        number: u32,
        verdict: Verdict,
        head: String,
        section: Option<String>,
        body: String,
    ) -> Result<ReviewRecord, WorkflowError> {
        if !user.is_staff() {
            return Err(WorkflowError::Forbidden(format!(
                "{} may not review proposals",
                user.name
            )));
        }
        check_text("review", &body, MAX_TEXT_CHARS, verdict == Verdict::Comment)?;
        if let Some(s) = &section {
            let ok = s.len() <= 200
                && s.split('#').count() <= 2
                && s.split('#').all(crate::doc::commitment::is_valid_id);
            if !ok {
                return Err(WorkflowError::rejected(
                    "bad_section",
                    "a review points at \"<commitment id>\" or \"<commitment id>#<section id>\"",
                ));
            }
        }
        self.store
            .write(move |repo| {
                Ok((|| {
                    let record = load_record(repo, number)?;
                    require_open(&record)?;
                    let current = branch_head(repo, &record.branch)?;
                    if head != current.to_string() {
                        return Err(WorkflowError::conflict(
                            "stale_head",
                            format!(
                                "proposal #{number} changed since you looked at it (you reviewed {head}, it is now at {current}); look at the new version"
                            ),
                        ));
                    }
                    if verdict != Verdict::Comment {
                        if record.author == user.id {
                            return Err(WorkflowError::Forbidden(
                                "you cannot approve or request changes on your own proposal: another member of your sector must review it".into(),
                            ));
                        }
                        let main = branch_head(repo, MAIN)?;
                        let base = git::merge_base(repo, main, current)?.unwrap_or(main);
                        let touched = touched(repo, base, current)?;
                        if !touched.iter().any(|t| approval::eligible(&user, &t.commitment, t.added)) {
                            let ids: Vec<&str> = touched.iter().map(|t| t.commitment.as_str()).collect();
                            return Err(WorkflowError::Forbidden(format!(
                                "{} is not in the working group of {} and so may not approve or request changes (comments are welcome)",
                                user.name,
                                if ids.is_empty() { "anything this proposal touches".to_string() } else { ids.join(", ") }
                            )));
                        }
                    }
                    let review = ReviewRecord {
                        number: 0,
                        reviewer: user.id.clone(),
                        reviewer_name: user.name.clone(),
                        reviewer_sector: user.sector,
                        verdict,
                        head,
                        section,
                        body,
                        at: now(),
                    };
                    records::add_review(repo, number, review, &signature(&user))
                })())
            })
            .await?
    }

    /// Merges the proposal into `main` if the approval rule holds for its current head (which
    /// must be `expected_head` when given). See the module comment for what happens when
    /// `main` has moved.
    pub async fn merge(
        &self,
        user: User,
        number: u32,
        expected_head: Option<Oid>,
        users: Vec<User>,
    ) -> Result<MergeOutcome, WorkflowError> {
        let clock_now = (self.clock)();
        self.store
            .write(move |repo| {
                Ok(merge_job(
                    repo,
                    &user,
                    number,
                    expected_head,
                    &users,
                    clock_now,
                ))
            })
            .await?
    }

    /// Brings the proposal up to date with `main` (the same CRDT merge), so its diff and its
    /// approvals are about the text `main` would get.
    pub async fn update_from_main(
        &self,
        user: User,
        number: u32,
    ) -> Result<Option<String>, WorkflowError> {
        self.store
            .write(move |repo| {
                Ok((|| {
                    let record = load_record(repo, number)?;
                    require_open(&record)?;
                    let main = branch_head(repo, MAIN)?;
                    let head = branch_head(repo, &record.branch)?;
                    may_update(repo, &user, &record, main, head)?;
                    if git::is_ancestor(repo, main, head)? {
                        return Ok(None);
                    }
                    let combined = combine(repo, main, head)?;
                    let new_head = bring_up_to_date(repo, &user, &record, main, head, &combined)?;
                    Ok(Some(new_head.to_string()))
                })())
            })
            .await?
    }

    /// Closes (withdraws) a proposal without merging it.
    pub async fn close(&self, user: User, number: u32) -> Result<ProposalRecord, WorkflowError> {
        self.store
            .write(move |repo| {
                Ok((|| {
                    let mut record = load_record(repo, number)?;
                    require_open(&record)?;
                    if !(record.author == user.id || user.has(Role::Admin)) {
                        return Err(WorkflowError::Forbidden(
                            "only the author or the secretariat may close a proposal".into(),
                        ));
                    }
                    record.state = ProposalState::Closed;
                    record.closed = Some(CloseRecord {
                        by: user.id.clone(),
                        by_name: user.name.clone(),
                        at: now(),
                    });
                    records::save_proposal(
                        repo,
                        &record,
                        &signature(&user),
                        &format!("Proposal #{number} closed"),
                    )?;
                    Ok(record)
                })())
            })
            .await?
    }
}

fn touched_ids(changes: &[DocumentChange]) -> Vec<String> {
    let ids: BTreeSet<String> = changes.iter().map(DocumentChange::key).collect();
    ids.into_iter().collect()
}

/// Bringing a proposal up to date rewrites its text, so only someone who may draft everything
/// it touches (or its author, or the secretariat) may do it.
fn may_update(
    repo: &git2::Repository,
    user: &User,
    record: &ProposalRecord,
    main: Oid,
    head: Oid,
) -> Result<(), WorkflowError> {
    if record.author == user.id || user.has(Role::Admin) || user.has(Role::Convener) {
        return Ok(());
    }
    let base = git::merge_base(repo, main, head)?.unwrap_or(main);
    let master = plan_config(repo, head)?.plan.master_language;
    let all = touched(repo, base, head)?
        .iter()
        .all(|t| may_draft(user, &t.commitment, &master, &master, !t.added));
    if all {
        Ok(())
    } else {
        Err(WorkflowError::Forbidden(format!(
            "{} may not update proposal #{}",
            user.name, record.number
        )))
    }
}

fn bring_up_to_date(
    repo: &git2::Repository,
    user: &User,
    record: &ProposalRecord,
    main: Oid,
    head: Oid,
    combined: &Combined,
) -> Result<Oid, WorkflowError> {
    let files = CommitFiles { repo, commit: head };
    let before = plan::load(&files, head)?;
    check_plan_after(&files, head, &before.problems, &combined.onto_head)?;
    let mut message = format!(
        "Bring proposal #{} up to date with main\n\nMerged with main at {main} (CRDT merge).",
        record.number
    );
    if !combined.overlaps.is_empty() {
        message.push_str(" Both sides changed the same text in:\n");
        for o in &combined.overlaps {
            message.push_str(&format!("- {}\n", o.path));
        }
        message.push_str("The proposal needs approving again.");
    }
    Ok(git::commit_merge(
        repo,
        &record.branch,
        head,
        &[main],
        &combined.onto_head,
        &signature(user),
        &message,
    )?)
}

/// The merge commit on `main`'s first-parent line whose second parent is `head`, if any
/// (looking back at most 1,000 commits).
fn merged_by(repo: &git2::Repository, main: Oid, head: Oid) -> Result<Option<Oid>, WorkflowError> {
    if main == head || !git::is_ancestor(repo, head, main)? {
        return Ok(None);
    }
    let store_err = crate::store::StoreError::from;
    let mut commit = repo.find_commit(main).map_err(store_err)?;
    for _ in 0..1000 {
        if commit.parent_count() > 1 && commit.parent_id(1).map_err(store_err)? == head {
            return Ok(Some(commit.id()));
        }
        match commit.parent(0) {
            Ok(parent) => commit = parent,
            Err(_) => break,
        }
    }
    Ok(None)
}

fn merge_job(
    repo: &git2::Repository,
    user: &User,
    number: u32,
    expected_head: Option<Oid>,
    users: &[User],
    now: i64,
) -> Result<MergeOutcome, WorkflowError> {
    let mut record = load_record(repo, number)?;
    require_open(&record)?;
    if !(record.author == user.id || user.has(Role::Admin) || user.has(Role::Convener)) {
        return Err(WorkflowError::Forbidden(
            "only the author, a convener or the secretariat may merge a proposal".into(),
        ));
    }
    let head = branch_head(repo, &record.branch)?;
    if let Some(expected) = expected_head {
        if expected != head {
            return Err(WorkflowError::conflict(
                "stale_head",
                format!("proposal #{number} moved: you saw {expected}, it is now at {head}"),
            ));
        }
    }
    let main = branch_head(repo, MAIN)?;
    // Already in main (the trail's update was lost, e.g. to a crash between the two writes):
    // record the merge that is there instead of merging twice.
    if let Some(commit) = merged_by(repo, main, head)? {
        return record_merge(
            repo,
            &mut record,
            commit,
            head,
            user,
            &format!("Proposal #{number} was already merged into main as {commit}"),
        );
    }
    let base = git::merge_base(repo, main, head)?.unwrap_or(main);
    guard_rounds(repo, &git::changed_paths(repo, base, head)?, now)?;
    let status = detail(repo, record.clone(), users)?.approval;
    if !status.satisfied {
        return Err(WorkflowError::conflict(
            "not_approved",
            format!(
                "proposal #{number} may not merge yet: {}",
                status.missing_summary()
            ),
        ));
    }
    let combined = combine(repo, main, head)?;
    if !combined.overlaps.is_empty() {
        let new_head = bring_up_to_date(repo, user, &record, main, head, &combined)?;
        return Ok(MergeOutcome::BroughtUpToDate {
            head: new_head.to_string(),
            overlaps: combined.overlaps,
        });
    }
    let files = CommitFiles { repo, commit: main };
    let before = plan::load(&files, main)?;
    check_plan_after(&files, main, &before.problems, &combined.onto_main)?;
    let mut message = format!(
        "Merge proposal #{number}: {}\n\nProposal: #{number} ({})\nProposal-head: {head}\n",
        record.title, record.branch
    );
    let mut approvers: Vec<(String, &str)> = Vec::new();
    for c in &status.commitments {
        for (list, sector) in [
            (&c.government, "government"),
            (&c.civil_society, "civil_society"),
        ] {
            for r in list {
                if !approvers.iter().any(|(n, _)| *n == r.name) {
                    approvers.push((r.name.clone(), sector));
                }
            }
        }
    }
    for (name, sector) in &approvers {
        message.push_str(&format!("Approved-by: {name} <{sector}>\n"));
    }
    let sig = signature(user);
    let commit = git::commit_merge(
        repo,
        MAIN,
        main,
        &[head],
        &combined.onto_main,
        &sig,
        &message,
    )?;
    record_merge(
        repo,
        &mut record,
        commit,
        head,
        user,
        &format!("Proposal #{number} merged into main as {commit}"),
    )
}

/// Marks the proposal merged by `commit` on the trail.
fn record_merge(
    repo: &git2::Repository,
    record: &mut ProposalRecord,
    commit: Oid,
    head: Oid,
    user: &User,
    message: &str,
) -> Result<MergeOutcome, WorkflowError> {
    record.state = ProposalState::Merged;
    record.merged = Some(MergeRecord {
        commit: commit.to_string(),
        head: head.to_string(),
        by: user.id.clone(),
        by_name: user.name.clone(),
        at: now(),
    });
    records::save_proposal(repo, record, &signature(user), message)?;
    Ok(MergeOutcome::Merged {
        commit: commit.to_string(),
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn slugs_are_ascii_and_short() {
        assert_eq!(
            super::slug("Fix the Budget, 2022!", "x"),
            "fix-the-budget-2022"
        );
        assert_eq!(
            super::slug("修正預算", "c04-information-access"),
            "c04-information-access"
        );
    }
}
