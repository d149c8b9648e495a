//! The pages of forum rounds: the list (`/rounds`), scheduling one (`/rounds/new`), a round
//! (`/rounds/{name}`: agenda, warnings, the version voted on, the roll with every vote and
//! reason, the tally against the quorum, the outcome and its tag, the minutes) and its forms:
//! open the vote, vote, close, publish the minutes, propose a correction to them.
//!
//! Handlers are thin: every form goes to the same [`Rounds`] call as the JSON API
//! ([`super::rounds_api`]), which checks every right and every input again. Pages only choose
//! which forms to offer. A form's refusal comes back as the page with the message and the
//! person's input kept, with the error's status; success redirects (303) to the round.
//!
//! [`Rounds`]: crate::workflow::rounds::Rounds

use axum::extract::rejection::FormRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::{Deserialize, Serialize};

use crate::auth::{Role, User};
use crate::doc::Member;
use crate::workflow::consensus::{Choice, SectorTally};
use crate::workflow::proposal::{may_correct_minutes, DocumentChange};
use crate::workflow::rounds::{MinutesState, NewRound, RoundDetail, RoundRecord, RoundState};
use crate::workflow::{round_tags, WorkflowError};

use super::error::ApiError;
use super::markdown;
use super::pages::{encode, Ctx, Q};
use super::proposals::{accept, to_login, CsrfForm};
use super::{AppState, DEFAULT_REF};

/// `YYYY-MM-DD HH:MM UTC`.
fn utc(seconds: i64) -> String {
    format!("{} UTC", super::views::format_time(seconds, 0).1)
}

fn round_url(c: &Ctx, name: &str) -> String {
    format!("/rounds/{}?lang={}", encode(name), c.lang.code())
}

/// Whether `user` is a convener or co-convener in `forum/members.toml` on `main` (where a
/// round with the default candidate is scheduled). Only decides whether a page offers the
/// form; the workflow decides.
async fn convener_on_main(state: &AppState, user: &User) -> bool {
    match state.plan.at(DEFAULT_REF).await {
        Ok(s) => s.forum.member(&user.id).is_some_and(Member::is_convener),
        Err(_) => false,
    }
}

async fn may_schedule(state: &AppState, user: Option<&User>) -> bool {
    match user {
        Some(u) => u.has(Role::Admin) || convener_on_main(state, u).await,
        None => false,
    }
}

// ---- the list

#[derive(Serialize)]
struct RoundRow<'a> {
    #[serde(flatten)]
    record: &'a RoundRecord,
    url: String,
}

pub async fn list(State(state): State<AppState>, q: Q, headers: HeaderMap, uri: Uri) -> Response {
    let c = Ctx::new(&state, q, &headers, &uri);
    let rounds = match state.rounds.list().await {
        Ok(r) => r,
        Err(e) => return c.error(&state, e.into()),
    };
    let rows: Vec<RoundRow> = rounds
        .iter()
        .map(|r| RoundRow {
            record: r,
            url: round_url(&c, &r.name),
        })
        .collect();
    let mut ctx = tera::Context::new();
    ctx.insert("rounds", &rows);
    ctx.insert(
        "may_schedule",
        &may_schedule(&state, c.viewer.as_ref().map(|v| &v.user)).await,
    );
    ctx.insert("json_url", "/api/rounds");
    c.render(&state, "rounds.html", ctx)
}

// ---- scheduling

/// The schedule form's fields, as typed (kept when the form comes back with an error).
#[derive(Deserialize, Serialize, Default, Clone)]
pub struct ScheduleForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    place: String,
    #[serde(default)]
    link: String,
    #[serde(default)]
    agenda: String,
    #[serde(default)]
    candidate: String,
    #[serde(default, skip_serializing)]
    csrf: String,
}

impl CsrfForm for ScheduleForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// An error's message in the UI language when there are words for its code (`rp_err_<code>`),
/// else the workflow's (English) message; `true` when it is the English one.
fn message(c: &Ctx, e: &ApiError) -> (String, bool) {
    match c.lang.strings().get(format!("rp_err_{}", e.code).as_str()) {
        Some(m) => (m.to_string(), false),
        None => (e.message.clone(), true),
    }
}

/// The field an error code is about, so the form can point at it.
fn field_of(code: &str) -> &'static str {
    match code {
        "bad_name" | "round_exists" | "tag_exists" => "name",
        "bad_date" => "date",
        "bad_link" => "link",
        "bad_ref" | "not_found" => "candidate",
        "reason_required" => "reason",
        "bad_choice" => "choice",
        _ => "",
    }
}

fn render_new(
    state: &AppState,
    c: &Ctx,
    form: &ScheduleForm,
    error: Option<&ApiError>,
    status: StatusCode,
) -> Response {
    let mut ctx = tera::Context::new();
    ctx.insert("form", form);
    ctx.insert("error_field", error.map_or("", |e| field_of(e.code)));
    if let Some(e) = error {
        let (message, english) = message(c, e);
        ctx.insert("error", &message);
        ctx.insert("error_en", &english);
    }
    ctx.insert(
        "today",
        &jiff::Timestamp::now()
            .to_zoned(jiff::tz::TimeZone::UTC)
            .date()
            .to_string(),
    );
    c.render_status(state, "round_new.html", ctx, status)
}

pub async fn new_form(
    State(state): State<AppState>,
    q: Q,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let c = Ctx::new(&state, q, &headers, &uri);
    let Some(v) = &c.viewer else {
        return to_login(&c, &uri);
    };
    if !may_schedule(&state, Some(&v.user)).await {
        return c.error(
            &state,
            ApiError::new(
                StatusCode::FORBIDDEN,
                "not_convener",
                c.lang.strings()["rp_schedule_denied"],
            ),
        );
    }
    let form = ScheduleForm {
        candidate: "main".into(),
        ..ScheduleForm::default()
    };
    render_new(&state, &c, &form, None, StatusCode::OK)
}

fn given(s: &str) -> Option<String> {
    Some(s.trim().to_string()).filter(|s| !s.is_empty())
}

pub async fn schedule(
    State(state): State<AppState>,
    q: Q,
    headers: HeaderMap,
    uri: Uri,
    form: Result<Form<ScheduleForm>, FormRejection>,
) -> Response {
    let c = Ctx::new(&state, q, &headers, &uri);
    let (form, v) = match accept(&c, &state, form) {
        Ok(accepted) => accepted,
        Err(r) => return *r,
    };
    let new = NewRound {
        name: form.name.trim().to_string(),
        title: form.title.clone(),
        date: form.date.trim().to_string(),
        place: given(&form.place),
        link: given(&form.link),
        // Browsers send CRLF line ends; the repository keeps LF.
        agenda: form.agenda.replace("\r\n", "\n"),
        candidate: given(&form.candidate),
    };
    match state.rounds.schedule(v.user, new).await {
        Ok(detail) => Redirect::to(&round_url(&c, &detail.record.name)).into_response(),
        Err(e @ (WorkflowError::Denied { .. } | WorkflowError::Forbidden(_))) => {
            c.error(&state, e.into())
        }
        Err(e) => {
            let api: ApiError = e.into();
            let status = api.status;
            render_new(&state, &c, &form, Some(&api), status)
        }
    }
}

// ---- one round

/// What the page offers the viewer (the workflow checks again).
#[derive(Serialize, Default)]
struct Can {
    open: bool,
    vote: bool,
    close: bool,
    publish: bool,
    correct: bool,
}

fn rights(d: &RoundDetail, user: Option<&User>) -> Can {
    let Some(u) = user else {
        return Can::default();
    };
    let on_roll = d.roll.iter().find(|m| m.id == u.id);
    let convener = on_roll.is_some_and(|m| m.role == "convener" || m.role == "co-convener");
    let admin = u.has(Role::Admin);
    let state = d.record.state;
    Can {
        open: state == RoundState::Scheduled && (convener || admin),
        vote: state == RoundState::Voting && on_roll.is_some(),
        close: state == RoundState::Voting && convener,
        publish: d.minutes.state == MinutesState::None && (convener || admin),
        correct: d.minutes.state == MinutesState::Draft && may_correct_minutes(u),
    }
}

#[derive(Serialize)]
struct MemberView<'a> {
    id: &'a str,
    name: &'a str,
    role: &'a str,
    choice: Option<&'static str>,
    reason: &'a str,
    me: bool,
}

#[derive(Serialize)]
struct SectorView<'a> {
    sector: &'static str,
    members: Vec<MemberView<'a>>,
    tally: Option<&'a SectorTally>,
}

/// The roll grouped by sector (government first), each member with their vote and reason.
fn sectors<'a>(d: &'a RoundDetail, me: Option<&str>) -> Vec<SectorView<'a>> {
    ["government", "civil_society"]
        .into_iter()
        .map(|sector| SectorView {
            sector,
            members: d
                .roll
                .iter()
                .filter(|m| m.sector == sector)
                .map(|m| MemberView {
                    id: &m.id,
                    name: &m.name,
                    role: &m.role,
                    choice: m.choice.map(Choice::as_str),
                    reason: d
                        .votes
                        .iter()
                        .find(|v| v.member == m.id)
                        .map_or("", |v| v.reason.as_str()),
                    me: me == Some(m.id.as_str()),
                })
                .collect(),
            tally: d
                .consensus
                .as_ref()
                .and_then(|s| s.tally.iter().find(|t| t.sector.as_str() == sector)),
        })
        .collect()
}

/// Links to what the version voted on changed.
#[derive(Serialize, Default)]
struct Links {
    /// `/compare` from the round before (or the commit's parent) to the voted commit.
    compare: Option<String>,
    /// The round before, when the diff is against it.
    previous: Option<String>,
    /// `/rounds/compare` from the round before to this one (both tagged).
    rounds_compare: Option<String>,
}

async fn links(state: &AppState, c: &Ctx, d: &RoundDetail) -> Links {
    let Some(commit) = d.record.commit.as_deref() else {
        return Links::default();
    };
    let Ok(oid) = crate::store::Oid::from_str(commit) else {
        return Links::default();
    };
    let Ok(base) =
        round_tags::baseline(state.plan.store(), &d.record.name, oid, d.record.closed_at).await
    else {
        return Links::default();
    };
    let lang = c.lang.code();
    let from = match (&base.previous, &base.parent) {
        (Some(p), _) => Some(p.tag.clone()),
        (None, Some(parent)) => Some(parent.clone()),
        (None, None) => None,
    };
    Links {
        compare: from.map(|f| {
            format!(
                "/compare?from={}&to={}&lang={lang}",
                encode(&f),
                encode(commit)
            )
        }),
        previous: base.previous.as_ref().map(|p| p.name.clone()),
        rounds_compare: match (&base.previous, &d.record.tag) {
            (Some(p), Some(_)) => Some(format!(
                "/rounds/compare?from={}&to={}&lang={lang}",
                encode(&p.name),
                encode(&d.record.name)
            )),
            _ => None,
        },
    }
}

/// What a form sent back with an error shows again.
#[derive(Serialize, Default)]
struct Kept {
    /// `vote`, `minutes` or `` (the error is shown at the top).
    form: &'static str,
    message: String,
    /// `message` is the workflow's English text.
    message_en: bool,
    field: &'static str,
    choice: String,
    reason: String,
    minutes: String,
}

async fn render_round(
    state: &AppState,
    c: &Ctx,
    name: &str,
    kept: Option<Kept>,
    status: StatusCode,
) -> Response {
    let d = match state.rounds.get(name).await {
        Ok(d) => d,
        Err(e) => return c.error(state, e.into()),
    };
    let me = c.viewer.as_ref().map(|v| &v.user);
    let can = rights(&d, me);
    let mine = me.and_then(|u| d.votes.iter().find(|v| v.member == u.id));
    let minutes_html = if d.minutes.state == MinutesState::None {
        None
    } else {
        minutes_text(state, name)
            .await
            .map(|text| markdown::to_html(&text))
    };
    let mut ctx = tera::Context::new();
    ctx.insert("r", &d);
    ctx.insert("can", &can);
    ctx.insert("sectors", &sectors(&d, me.map(|u| u.id.as_str())));
    ctx.insert("links", &links(state, c, &d).await);
    ctx.insert("agenda_html", &markdown::to_html(&d.record.agenda));
    ctx.insert("minutes_html", &minutes_html);
    ctx.insert("scheduled_display", &utc(d.record.scheduled_at));
    ctx.insert("opened_display", &d.record.opened_at.map(utc));
    ctx.insert("closed_display", &d.record.closed_at.map(utc));
    ctx.insert("published_display", &d.minutes.published_at.map(utc));
    ctx.insert("final_display", &d.minutes.final_at.map(utc));
    ctx.insert(
        "quorum_percent",
        &d.consensus
            .as_ref()
            .map(|s| (s.rule.quorum * 100.0).round() as i64),
    );
    let mut kept = kept.unwrap_or_default();
    if kept.form != "vote" {
        // The vote form starts from the person's current vote.
        kept.choice = mine.map_or("", |v| v.choice.as_str()).to_string();
        kept.reason = mine.map_or(String::new(), |v| v.reason.clone());
    }
    // The error of a form the page does not offer this person goes on top.
    if (kept.form == "vote" && !can.vote) || (kept.form == "minutes" && !can.publish) {
        kept.form = "";
    }
    ctx.insert("my_choice", &mine.map(|v| v.choice.as_str()));
    ctx.insert("kept", &kept);
    ctx.insert("choices", &Choice::ALL.map(Choice::as_str));
    ctx.insert("json_url", &format!("/api/rounds/{}", encode(name)));
    c.render_status(state, "round.html", ctx, status)
}

/// The minutes as they stand on `main` (`rounds/<name>.md`).
async fn minutes_text(state: &AppState, name: &str) -> Option<String> {
    let store = state.plan.store();
    let main = store.resolve(DEFAULT_REF).await.ok()?;
    let bytes = store
        .read_file(main, &crate::workflow::rounds::minutes_path(name))
        .await
        .ok()??;
    String::from_utf8(bytes).ok()
}

pub async fn show(
    State(state): State<AppState>,
    Path(name): Path<String>,
    q: Q,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let c = Ctx::new(&state, q, &headers, &uri);
    render_round(&state, &c, &name, None, StatusCode::OK).await
}

/// After a form on the round's page: back to the round (303), or the page with the error.
async fn after<T>(
    state: &AppState,
    c: &Ctx,
    name: &str,
    result: Result<T, WorkflowError>,
    kept: Kept,
) -> Response {
    match result {
        Ok(_) => Redirect::to(&round_url(c, name)).into_response(),
        Err(WorkflowError::NotFound(m)) => c.error(state, ApiError::not_found(m)),
        Err(e) => {
            let api: ApiError = e.into();
            let (message, message_en) = message(c, &api);
            let kept = Kept {
                message,
                message_en,
                field: field_of(api.code),
                ..kept
            };
            render_round(state, c, name, Some(kept), api.status).await
        }
    }
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

#[derive(Deserialize)]
pub struct VoteForm {
    #[serde(default)]
    choice: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    csrf: String,
}

#[derive(Deserialize)]
pub struct MinutesForm {
    #[serde(default)]
    text: String,
    #[serde(default)]
    csrf: String,
}

impl CsrfForm for CsrfOnly {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

impl CsrfForm for VoteForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

impl CsrfForm for MinutesForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

pub async fn open(
    State(state): State<AppState>,
    Path(name): Path<String>,
    q: Q,
    headers: HeaderMap,
    uri: Uri,
    form: Result<Form<CsrfOnly>, FormRejection>,
) -> Response {
    let c = Ctx::new(&state, q, &headers, &uri);
    let (_, v) = match accept(&c, &state, form) {
        Ok(accepted) => accepted,
        Err(r) => return *r,
    };
    let result = state.rounds.open_vote(v.user, &name).await;
    after(&state, &c, &name, result, Kept::default()).await
}

pub async fn vote(
    State(state): State<AppState>,
    Path(name): Path<String>,
    q: Q,
    headers: HeaderMap,
    uri: Uri,
    form: Result<Form<VoteForm>, FormRejection>,
) -> Response {
    let c = Ctx::new(&state, q, &headers, &uri);
    let (form, v) = match accept(&c, &state, form) {
        Ok(accepted) => accepted,
        Err(r) => return *r,
    };
    let reason = form.reason.replace("\r\n", "\n");
    let result = match form.choice.parse::<Choice>() {
        Ok(choice) => {
            state
                .rounds
                .vote(v.user, &name, choice, reason.clone())
                .await
        }
        Err(m) => Err(WorkflowError::bad_input("bad_choice", m)),
    };
    let kept = Kept {
        form: "vote",
        choice: form.choice,
        reason,
        ..Kept::default()
    };
    after(&state, &c, &name, result, kept).await
}

pub async fn close(
    State(state): State<AppState>,
    Path(name): Path<String>,
    q: Q,
    headers: HeaderMap,
    uri: Uri,
    form: Result<Form<CsrfOnly>, FormRejection>,
) -> Response {
    let c = Ctx::new(&state, q, &headers, &uri);
    let (_, v) = match accept(&c, &state, form) {
        Ok(accepted) => accepted,
        Err(r) => return *r,
    };
    let result = state.rounds.close(v.user, &name).await;
    after(&state, &c, &name, result, Kept::default()).await
}

pub async fn minutes(
    State(state): State<AppState>,
    Path(name): Path<String>,
    q: Q,
    headers: HeaderMap,
    uri: Uri,
    form: Result<Form<MinutesForm>, FormRejection>,
) -> Response {
    let c = Ctx::new(&state, q, &headers, &uri);
    let (form, v) = match accept(&c, &state, form) {
        Ok(accepted) => accepted,
        Err(r) => return *r,
    };
    let text = form.text.replace("\r\n", "\n");
    let result = state
        .rounds
        .publish_minutes(v.user, &name, text.clone())
        .await;
    let kept = Kept {
        form: "minutes",
        minutes: text,
        ..Kept::default()
    };
    after(&state, &c, &name, result, kept).await
}

// ---- a correction of the minutes: a proposal on `rounds/<name>.md`

#[derive(Deserialize, Serialize, Default)]
pub struct CorrectionForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    text: String,
    #[serde(default, skip_serializing)]
    csrf: String,
}

impl CsrfForm for CorrectionForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

fn render_correction(
    state: &AppState,
    c: &Ctx,
    d: &RoundDetail,
    form: &CorrectionForm,
    error: Option<&ApiError>,
    status: StatusCode,
) -> Response {
    let mut ctx = tera::Context::new();
    ctx.insert("r", d);
    ctx.insert("form", form);
    if let Some(e) = error {
        let (message, english) = message(c, e);
        ctx.insert("error", &message);
        ctx.insert("error_en", &english);
    }
    ctx.insert("final_display", &d.minutes.final_at.map(utc));
    c.render_status(state, "round_correction.html", ctx, status)
}

pub async fn correction_form(
    State(state): State<AppState>,
    Path(name): Path<String>,
    q: Q,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let c = Ctx::new(&state, q, &headers, &uri);
    if c.viewer.is_none() {
        return to_login(&c, &uri);
    }
    let d = match state.rounds.get(&name).await {
        Ok(d) => d,
        Err(e) => return c.error(&state, e.into()),
    };
    let form = CorrectionForm {
        title: c.lang.strings()["rp_correction_default_title"].replace("{name}", &name),
        text: minutes_text(&state, &name).await.unwrap_or_default(),
        ..CorrectionForm::default()
    };
    render_correction(&state, &c, &d, &form, None, StatusCode::OK)
}

pub async fn correct(
    State(state): State<AppState>,
    Path(name): Path<String>,
    q: Q,
    headers: HeaderMap,
    uri: Uri,
    form: Result<Form<CorrectionForm>, FormRejection>,
) -> Response {
    let c = Ctx::new(&state, q, &headers, &uri);
    let (mut form, v) = match accept(&c, &state, form) {
        Ok(accepted) => accepted,
        Err(r) => return *r,
    };
    let d = match state.rounds.get(&name).await {
        Ok(d) => d,
        Err(e) => return c.error(&state, e.into()),
    };
    form.text = form.text.replace("\r\n", "\n");
    let change = DocumentChange::Minutes {
        round: name.clone(),
        text: form.text.clone(),
    };
    match state
        .proposals
        .open(
            v.user,
            form.title.clone(),
            form.description.clone(),
            vec![change],
            None,
        )
        .await
    {
        Ok(p) => {
            Redirect::to(&format!("/proposals/{}?lang={}", p.number, c.lang.code())).into_response()
        }
        Err(e) => {
            let api: ApiError = e.into();
            render_correction(&state, &c, &d, &form, Some(&api), api.status)
        }
    }
}
