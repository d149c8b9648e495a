//! Public input on the plan and the reasoned response to each: anyone, signed in or not, sends
//! a new commitment (the fields of the commitment form of seeds 002/003), a change to a
//! commitment or one of its sections, or a deletion; each input gets a number and is routed to
//! the lead agencies of the commitment it concerns (the secretariat routes new-commitment
//! input); someone of an assigned agency answers it — adopted, partly adopted or not adopted,
//! with the reasons, and for adopted input what took it in (a proposal, a round, a commit);
//! the secretariat may hide an input with a public reason.
//!
//! **Where it lives**: each input is `inputs/<n>.toml` on the `records` branch (one commit per
//! event, authored by whoever acted, so `git log` on the file is the input's log). The contact
//! the sender gives is **not** in the repository: it is kept in `<data>/private/inputs/<n>.toml`
//! beside the accounts, for the secretariat only.
//!
//! Owns: the input record, its validation and limits, routing, answering, moderation. Knows
//! nothing of HTTP (the per-address rate limit is the web layer's).

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::auth::{Role, User};
use crate::store::{git, FileChange, Oid, Signature, Store, StoreError};

use super::plan::{self, CommitFiles};
use super::proposal::{signature, MAIN};
use super::records::{self, read_toml, to_toml};
use super::rounds::Now;
use super::{round_tags, Clock, WorkflowError};

/// `user`'s signature at `now`.
fn signature_at(user: &User, now: Now) -> Signature {
    let mut sig = signature(user);
    sig.seconds = now.seconds;
    sig.offset_minutes = now.offset_minutes;
    sig
}

pub const MAX_TITLE_CHARS: usize = 200;
pub const MAX_TEXT_CHARS: usize = 20_000;
pub const MAX_NAME_CHARS: usize = 100;
pub const MAX_CONTACT_CHARS: usize = 200;
pub const MAX_REASON_CHARS: usize = 10_000;

/// The fields of a new-commitment input: the commitment form of seeds 002/003
/// (「我國開放政府行動方案承諾事項建議表」), each optional free text.
pub const NEW_COMMITMENT_FIELDS: &[&str] = &[
    "agencies",
    "problem",
    "commitment",
    "contribution",
    "ogp_relevance",
    "milestones",
    "other",
];

/// What an input asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InputKind {
    NewCommitment,
    Change,
    Deletion,
}

impl InputKind {
    pub fn parse(s: &str) -> Option<InputKind> {
        match s {
            "new_commitment" => Some(InputKind::NewCommitment),
            "change" => Some(InputKind::Change),
            "deletion" => Some(InputKind::Deletion),
            _ => None,
        }
    }
}

/// How an agency answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Adopted,
    PartlyAdopted,
    NotAdopted,
}

impl Outcome {
    pub fn parse(s: &str) -> Option<Outcome> {
        match s {
            "adopted" => Some(Outcome::Adopted),
            "partly_adopted" => Some(Outcome::PartlyAdopted),
            "not_adopted" => Some(Outcome::NotAdopted),
            _ => None,
        }
    }
}

/// What took an adopted input in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AdoptedBy {
    Proposal { number: u32 },
    Round { name: String },
    Commit { id: String },
}

/// Who routed the input where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assignment {
    pub agencies: Vec<String>,
    /// The secretariat member's id, or empty when routed on arrival (the commitment's lead
    /// agencies).
    #[serde(default)]
    pub by: String,
    pub at: i64,
}

/// The reasoned response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Response {
    pub outcome: Outcome,
    pub reasons: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adopted_by: Option<AdoptedBy>,
    pub by: String,
    pub by_name: String,
    pub agency: String,
    pub at: i64,
}

/// A moderator's decision to hide an input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Moderation {
    pub reason: String,
    pub by: String,
    pub at: i64,
}

/// One input as recorded on the trail (public: no contact).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputRecord {
    pub number: u32,
    pub kind: InputKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commitment: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub section: Option<String>,
    pub title: String,
    /// The change asked for, the reasons for a deletion, or a new commitment's description.
    #[serde(default)]
    pub text: String,
    /// A new commitment's form fields ([`NEW_COMMITMENT_FIELDS`]).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<String, String>,
    /// The sender's name and organisation, as they gave them (public).
    pub name: String,
    #[serde(default)]
    pub organisation: String,
    /// The sender's account, when signed in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    pub submitted_at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignment: Option<Assignment>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<Response>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hidden: Option<Moderation>,
}

impl InputRecord {
    /// Waiting for an answer: routed or not, not answered, not hidden.
    pub fn waiting(&self) -> bool {
        self.response.is_none() && self.hidden.is_none()
    }

    /// The record as the public sees it: a hidden input keeps its number, kind, commitment,
    /// sender and the moderator's reason; its title and text are withheld.
    pub fn public(&self) -> InputRecord {
        let mut r = self.clone();
        if r.hidden.is_some() {
            r.title = String::new();
            r.text = String::new();
            r.fields.clear();
        }
        r
    }
}

/// What a sender submits.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewInput {
    pub kind: String,
    #[serde(default)]
    pub commitment: Option<String>,
    #[serde(default)]
    pub section: Option<String>,
    pub title: String,
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
    pub name: String,
    #[serde(default)]
    pub organisation: String,
    /// Kept out of the repository.
    #[serde(default)]
    pub contact: String,
}

/// An input whose own fields are valid ([`Inputs::check`]).
#[derive(Debug, Clone)]
pub struct CheckedInput {
    record: InputRecord,
    contact: String,
}

/// What an agency answers.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Answer {
    pub outcome: String,
    pub reasons: String,
    #[serde(default)]
    pub proposal: Option<u32>,
    #[serde(default)]
    pub round: Option<String>,
    #[serde(default)]
    pub commit: Option<String>,
}

/// Inputs waiting for an answer, per agency.
#[derive(Debug, Clone, Serialize)]
pub struct WaitingGroup {
    /// The agency, or empty for input the secretariat has not routed yet.
    pub agency: String,
    /// Number and age in days, oldest first.
    pub inputs: Vec<WaitingInput>,
}

#[derive(Debug, Clone, Serialize)]
pub struct WaitingInput {
    pub number: u32,
    pub title: String,
    pub days: i64,
}

fn input_path(number: u32) -> String {
    format!("inputs/{number}.toml")
}

fn check_text(
    field: &'static str,
    value: &str,
    max: usize,
    required: bool,
) -> Result<(), WorkflowError> {
    if required && value.trim().is_empty() {
        return Err(WorkflowError::bad_input(
            "missing_field",
            format!("{field} is required"),
        ));
    }
    if value.chars().count() > max {
        return Err(WorkflowError::bad_input(
            "too_long",
            format!("{field} is longer than {max} characters"),
        ));
    }
    if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err(WorkflowError::bad_input(
            "bad_text",
            format!("{field} holds control characters"),
        ));
    }
    Ok(())
}

fn clean(s: &str) -> String {
    s.replace("\r\n", "\n").trim().to_string()
}

/// Public input and the answers to it. Cheap to clone.
#[derive(Clone)]
pub struct Inputs {
    store: Store,
    /// `<data>/private/inputs`: senders' contacts.
    private: PathBuf,
    clock: Clock,
}

impl Inputs {
    pub fn new(store: Store, data_dir: &std::path::Path, clock: Clock) -> Inputs {
        Inputs {
            store,
            private: data_dir.join("private").join("inputs"),
            clock,
        }
    }

    /// Every input, newest first (hidden ones included; callers show [`InputRecord::public`]).
    pub async fn list(&self) -> Result<Vec<InputRecord>, WorkflowError> {
        Ok(self.store.read(all).await?)
    }

    pub async fn get(&self, number: u32) -> Result<InputRecord, WorkflowError> {
        self.store
            .read(move |repo| one(repo, number))
            .await?
            .ok_or_else(|| WorkflowError::NotFound(format!("no input #{number}")))
    }

    /// The contact a sender left (secretariat only).
    pub async fn contact(&self, user: &User, number: u32) -> Result<String, WorkflowError> {
        if !user.has(Role::Admin) {
            return Err(WorkflowError::Forbidden(
                "only the secretariat may read senders' contacts".into(),
            ));
        }
        let path = self.private.join(format!("{number}.txt"));
        tokio::task::spawn_blocking(move || std::fs::read_to_string(path).unwrap_or_default())
            .await
            .map_err(|e| WorkflowError::Store(StoreError::Io(std::io::Error::other(e))))
    }

    /// Inputs waiting for an answer grouped by agency (unrouted first), oldest first.
    pub async fn waiting(&self) -> Result<Vec<WaitingGroup>, WorkflowError> {
        let now = (self.clock)();
        let list = self.list().await?;
        let mut groups: BTreeMap<String, Vec<WaitingInput>> = BTreeMap::new();
        for r in list.iter().rev().filter(|r| r.waiting()) {
            let agencies = r
                .assignment
                .as_ref()
                .map(|a| a.agencies.clone())
                .filter(|a| !a.is_empty())
                .unwrap_or_else(|| vec![String::new()]);
            for a in agencies {
                groups.entry(a).or_default().push(WaitingInput {
                    number: r.number,
                    title: r.title.clone(),
                    days: (now - r.submitted_at).max(0) / 86_400,
                });
            }
        }
        Ok(groups
            .into_iter()
            .map(|(agency, inputs)| WaitingGroup { agency, inputs })
            .collect())
    }

    /// Checks an input's own fields (kinds, lengths, characters), before anything is counted
    /// or written; [`Inputs::submit`] then checks it against the plan and records it.
    pub fn check(&self, new: NewInput, user: Option<&User>) -> Result<CheckedInput, WorkflowError> {
        check_input(new, user, (self.clock)())
    }

    /// Records a checked input (see the module doc): the commitment and section must exist
    /// on `main`; it is routed to the commitment's lead agencies.
    pub async fn submit(&self, input: CheckedInput) -> Result<InputRecord, WorkflowError> {
        let private = self.private.clone();
        self.store
            .write(move |repo| Ok(submit_job(repo, input, &private, 0)))
            .await?
    }

    /// The secretariat routes an input to an agency (new-commitment input, or a re-routing).
    pub async fn assign(
        &self,
        user: User,
        number: u32,
        agency: String,
    ) -> Result<InputRecord, WorkflowError> {
        let now = Now::utc((self.clock)());
        self.store
            .write(move |repo| Ok(route_job(repo, &user, number, agency, now)))
            .await?
    }

    /// Someone of an assigned agency answers (once).
    pub async fn answer(
        &self,
        user: User,
        number: u32,
        answer: Answer,
    ) -> Result<InputRecord, WorkflowError> {
        let now = Now::utc((self.clock)());
        self.store
            .write(move |repo| Ok(answer_job(repo, &user, number, answer, now)))
            .await?
    }

    /// The secretariat hides an input, with a public reason.
    pub async fn hide(
        &self,
        user: User,
        number: u32,
        reason: String,
    ) -> Result<InputRecord, WorkflowError> {
        if !user.has(Role::Admin) {
            return Err(WorkflowError::Forbidden(
                "only the secretariat moderates input".into(),
            ));
        }
        check_text("reason", &reason, MAX_REASON_CHARS, true)?;
        let now = (self.clock)();
        self.store
            .write(move |repo| {
                Ok((|| {
                    let mut r = load(repo, number)?;
                    if r.hidden.is_some() {
                        return Err(WorkflowError::conflict(
                            "hidden",
                            format!("input #{number} is hidden already"),
                        ));
                    }
                    let reason = clean(&reason);
                    r.hidden = Some(Moderation {
                        reason: reason.clone(),
                        by: user.id.clone(),
                        at: now,
                    });
                    save(
                        repo,
                        &r,
                        &signature(&user),
                        &format!("Input #{number} hidden: {reason}"),
                    )?;
                    Ok(r)
                })())
            })
            .await?
    }
}

/// Checks an input's own fields (kinds, lengths, characters), before anything is counted
/// or written; [`Inputs::submit`] then checks it against the plan and records it.
pub fn check_input(
    new: NewInput,
    user: Option<&User>,
    now: i64,
) -> Result<CheckedInput, WorkflowError> {
    let kind = InputKind::parse(&new.kind).ok_or_else(|| {
        WorkflowError::bad_input("bad_kind", "kind is new_commitment, change or deletion")
    })?;
    check_text("title", &new.title, MAX_TITLE_CHARS, true)?;
    check_text("name", &new.name, MAX_NAME_CHARS, true)?;
    if new.name.contains(['<', '>', '\n', '\r']) {
        return Err(WorkflowError::bad_input(
            "bad_name",
            "a name is one line without < or >",
        ));
    }
    check_text("organisation", &new.organisation, MAX_NAME_CHARS * 2, false)?;
    check_text("contact", &new.contact, MAX_CONTACT_CHARS, false)?;
    check_text(
        "text",
        &new.text,
        MAX_TEXT_CHARS,
        kind != InputKind::NewCommitment,
    )?;
    let mut fields = BTreeMap::new();
    let mut total = new.text.chars().count();
    for (k, v) in &new.fields {
        let Some(key) = NEW_COMMITMENT_FIELDS.iter().find(|f| **f == k.as_str()) else {
            return Err(WorkflowError::bad_input(
                "unknown_field",
                format!(
                    "\"{k}\" is not a field of the commitment form ({})",
                    NEW_COMMITMENT_FIELDS.join(", ")
                ),
            ));
        };
        check_text(key, v, MAX_TEXT_CHARS, false)?;
        total += v.chars().count();
        if !v.trim().is_empty() {
            fields.insert(key.to_string(), clean(v));
        }
    }
    if total > MAX_TEXT_CHARS * 2 {
        return Err(WorkflowError::bad_input(
            "too_long",
            format!("the input is longer than {} characters", MAX_TEXT_CHARS * 2),
        ));
    }
    let commitment = new
        .commitment
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty());
    let section = new
        .section
        .map(|c| c.trim().trim_start_matches('#').to_string())
        .filter(|c| !c.is_empty());
    match kind {
        InputKind::NewCommitment if commitment.is_some() || section.is_some() => {
            return Err(WorkflowError::bad_input(
                "bad_input_kind",
                "a new commitment names no existing commitment or section",
            ))
        }
        InputKind::NewCommitment if fields.is_empty() && new.text.trim().is_empty() => {
            return Err(WorkflowError::bad_input(
                "missing_field",
                "describe the commitment you propose",
            ))
        }
        InputKind::Change | InputKind::Deletion if commitment.is_none() => {
            return Err(WorkflowError::bad_input(
                "missing_field",
                "name the commitment this input is about",
            ))
        }
        InputKind::Deletion if section.is_some() => {
            return Err(WorkflowError::bad_input(
                "bad_input_kind",
                "a deletion is of a whole commitment",
            ))
        }
        _ => {}
    }
    let record = InputRecord {
        number: 0,
        kind,
        commitment,
        section,
        title: clean(&new.title),
        text: clean(&new.text),
        fields,
        name: clean(&new.name),
        organisation: clean(&new.organisation),
        user: user.map(|u| u.id.clone()),
        submitted_at: now,
        assignment: None,
        response: None,
        hidden: None,
    };
    Ok(CheckedInput {
        record,
        contact: clean(&new.contact),
    })
}

/// The answer of `user` to input `number` at `now` (see [`Inputs::answer`]), on the writer
/// thread (public so the demo replays its history through it).
pub fn answer_job(
    repo: &git2::Repository,
    user: &User,
    number: u32,
    answer: Answer,
    now: Now,
) -> Result<InputRecord, WorkflowError> {
    let outcome = Outcome::parse(&answer.outcome).ok_or_else(|| {
        WorkflowError::bad_input(
            "bad_outcome",
            "outcome is adopted, partly_adopted or not_adopted",
        )
    })?;
    check_text("reasons", &answer.reasons, MAX_REASON_CHARS, true)?;
    let given = [
        answer.proposal.map(|n| AdoptedBy::Proposal { number: n }),
        answer
            .round
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| AdoptedBy::Round {
                name: s.trim_start_matches(round_tags::TAG_PREFIX).to_string(),
            }),
        answer
            .commit
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| AdoptedBy::Commit { id: s.to_string() }),
    ];
    let mut given: Vec<AdoptedBy> = given.into_iter().flatten().collect();
    if given.len() > 1 {
        return Err(WorkflowError::bad_input(
            "bad_link",
            "name one proposal, round or commit that took the input in",
        ));
    }
    let adopted_by = given.pop();
    if outcome != Outcome::NotAdopted && adopted_by.is_none() {
        return Err(WorkflowError::bad_input(
            "link_required",
            "adopted input names the proposal, round or commit that took it in",
        ));
    }
    let mut r = load(repo, number)?;
    if r.hidden.is_some() {
        return Err(WorkflowError::conflict(
            "hidden",
            format!("input #{number} is hidden"),
        ));
    }
    if r.response.is_some() {
        return Err(WorkflowError::conflict(
            "already_answered",
            format!("input #{number} is answered already"),
        ));
    }
    let agencies = r
        .assignment
        .as_ref()
        .map(|a| a.agencies.clone())
        .unwrap_or_default();
    let Some(agency) = user
        .agency
        .clone()
        .filter(|a| agencies.iter().any(|x| x == a))
    else {
        return Err(WorkflowError::Denied {
            code: "not_assigned_agency",
            message: if agencies.is_empty() {
                format!(
                    "input #{number} is not routed to an agency yet: the \
                     secretariat routes it first"
                )
            } else {
                format!(
                    "input #{number} is for {}; only someone of that agency \
                     answers it",
                    agencies.join("、")
                )
            },
        });
    };
    if let Some(link) = &adopted_by {
        check_link(repo, link)?;
    }
    r.response = Some(Response {
        outcome,
        reasons: clean(&answer.reasons),
        adopted_by: adopted_by.clone(),
        by: user.id.clone(),
        by_name: user.name.clone(),
        agency: agency.clone(),
        at: now.seconds,
    });
    let word = match outcome {
        Outcome::Adopted => "adopted",
        Outcome::PartlyAdopted => "partly adopted",
        Outcome::NotAdopted => "not adopted",
    };
    save(
        repo,
        &r,
        &signature_at(user, now),
        &format!("Input #{number} answered by {agency}: {word}"),
    )?;
    Ok(r)
}

/// [`Inputs::assign`] on the writer thread, at `now` (public so the demo replays its history
/// through it).
pub fn route_job(
    repo: &git2::Repository,
    user: &User,
    number: u32,
    agency: String,
    now: Now,
) -> Result<InputRecord, WorkflowError> {
    if !user.has(Role::Admin) {
        return Err(WorkflowError::Forbidden(
            "only the secretariat routes input".into(),
        ));
    }
    let agency = agency.trim().to_string();
    check_text("agency", &agency, MAX_NAME_CHARS, true)?;
    let mut r = load(repo, number)?;
    if r.response.is_some() {
        return Err(WorkflowError::conflict(
            "already_answered",
            format!("input #{number} is answered already"),
        ));
    }
    r.assignment = Some(Assignment {
        agencies: vec![agency.clone()],
        by: user.id.clone(),
        at: now.seconds,
    });
    save(
        repo,
        &r,
        &signature_at(user, now),
        &format!("Input #{number} routed to {agency}"),
    )?;
    Ok(r)
}

fn all(repo: &git2::Repository) -> Result<Vec<InputRecord>, StoreError> {
    let Some(head) = records::head(repo)? else {
        return Ok(Vec::new());
    };
    let mut numbers: Vec<u32> = git::list_dir(repo, head, "inputs")?
        .iter()
        .filter_map(|n| n.strip_suffix(".toml")?.parse().ok())
        .collect();
    numbers.sort_unstable_by(|a, b| b.cmp(a));
    let mut out = Vec::new();
    for n in numbers {
        if let Some(r) = read_toml(repo, head, &input_path(n))? {
            out.push(r);
        }
    }
    Ok(out)
}

fn one(repo: &git2::Repository, number: u32) -> Result<Option<InputRecord>, StoreError> {
    match records::head(repo)? {
        Some(head) => read_toml(repo, head, &input_path(number)),
        None => Ok(None),
    }
}

fn load(repo: &git2::Repository, number: u32) -> Result<InputRecord, WorkflowError> {
    one(repo, number)?.ok_or_else(|| WorkflowError::NotFound(format!("no input #{number}")))
}

fn save(
    repo: &git2::Repository,
    r: &InputRecord,
    sig: &Signature,
    message: &str,
) -> Result<Oid, WorkflowError> {
    records::commit(
        repo,
        vec![FileChange {
            path: input_path(r.number),
            content: Some(to_toml(r)),
        }],
        sig,
        message,
    )
}

/// Checks the commitment and section against `main`, routes, numbers and records the input,
/// then keeps the contact outside the repository.
pub fn submit_job(
    repo: &git2::Repository,
    input: CheckedInput,
    private: &std::path::Path,
    offset_minutes: i32,
) -> Result<InputRecord, WorkflowError> {
    let (mut record, contact) = (input.record, input.contact.as_str());
    let head = git::resolve(repo, MAIN)?;
    let snap = plan::load(&CommitFiles { repo, commit: head }, head)?;
    if let Some(id) = &record.commitment {
        let master = snap
            .commitment(id)
            .ok_or_else(|| WorkflowError::NotFound(format!("no commitment \"{id}\"")))?
            .master(snap.master_language())
            .ok_or_else(|| {
                WorkflowError::rejected(
                    "invalid_master",
                    format!("the master of {id} is not valid"),
                )
            })?;
        if let Some(section) = &record.section {
            if !master.sections.iter().any(|s| &s.id == section) {
                return Err(WorkflowError::NotFound(format!(
                    "commitment {id} has no section \"{section}\""
                )));
            }
        }
        record.assignment = Some(Assignment {
            agencies: master.front.lead_agencies.clone(),
            by: String::new(),
            at: record.submitted_at,
        });
    }
    let next = all(repo)?.first().map_or(1, |r| r.number + 1);
    record.number = next;
    // The sender's name as author; no e-mail of theirs enters the repository.
    let sig = Signature {
        name: record.name.clone(),
        email: "public-input@codraft.invalid".into(),
        seconds: record.submitted_at,
        offset_minutes,
    };
    save(
        repo,
        &record,
        &sig,
        &format!("Input #{next}: {}", record.title),
    )?;
    if !contact.is_empty() {
        write_private(private, next, contact)
            .map_err(|e| WorkflowError::Store(StoreError::Io(e)))?;
    }
    Ok(record)
}

fn write_private(dir: &std::path::Path, number: u32, contact: &str) -> std::io::Result<()> {
    use std::io::Write;
    std::fs::create_dir_all(dir)?;
    let path = dir.join(format!("{number}.txt"));
    let tmp = dir.join(format!("{number}.txt.tmp"));
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(contact.as_bytes())?;
    f.sync_all()?;
    std::fs::rename(&tmp, &path)?;
    std::fs::File::open(dir)?.sync_all()
}

/// The proposal, round or commit an answer names must exist (a commit: on `main`).
fn check_link(repo: &git2::Repository, link: &AdoptedBy) -> Result<(), WorkflowError> {
    match link {
        AdoptedBy::Proposal { number } => {
            if records::proposal(repo, *number)?.is_none() {
                return Err(WorkflowError::NotFound(format!("no proposal #{number}")));
            }
        }
        AdoptedBy::Round { name } => {
            let tag = format!("{}{name}", round_tags::TAG_PREFIX);
            if !super::rounds::is_valid_name(name) || git::tag(repo, &tag)?.is_none() {
                return Err(WorkflowError::NotFound(format!(
                    "no round \"{name}\" has been tagged"
                )));
            }
        }
        AdoptedBy::Commit { id } => {
            let main = git::resolve(repo, MAIN)?;
            let oid = (id.len() == 40)
                .then(|| Oid::from_str(id).ok())
                .flatten()
                .filter(|o| *o == main || git::is_ancestor(repo, *o, main).unwrap_or(false))
                .ok_or_else(|| {
                    WorkflowError::NotFound(format!("no commit {id} on main (give all 40 digits)"))
                })?;
            let _ = oid;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_inputs_withhold_their_text() {
        let r = InputRecord {
            number: 3,
            kind: InputKind::Change,
            commitment: Some("c04-information-access".into()),
            section: None,
            title: "t".into(),
            text: "x".into(),
            fields: BTreeMap::new(),
            name: "n".into(),
            organisation: String::new(),
            user: None,
            submitted_at: 0,
            assignment: None,
            response: None,
            hidden: Some(Moderation {
                reason: "spam".into(),
                by: "secretariat".into(),
                at: 1,
            }),
        };
        let p = r.public();
        assert!(p.title.is_empty() && p.text.is_empty());
        assert!(!p.waiting());
        let text = String::from_utf8(to_toml(&r)).unwrap();
        let back: InputRecord = toml::from_str(&text).unwrap();
        assert_eq!(back, r);
    }

    #[test]
    fn text_limits() {
        assert!(check_text("title", "", 10, true).is_err());
        assert!(check_text("title", "好", 1, true).is_ok());
        assert!(check_text("title", "好好", 1, true).is_err());
        assert!(check_text("title", "a\u{0}b", 10, true).is_err());
        assert!(check_text("text", "a\nb\tc", 10, true).is_ok());
    }
}
