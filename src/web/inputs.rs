//! The pages of public input: the list with what waits for an answer per agency (`/inputs`),
//! the form anyone may send (`/inputs/new`, no account needed), and one input with its route,
//! its reasoned response and what took it in (`/inputs/{n}`), with the forms of those who act
//! on it: the secretariat routes and hides, someone of an assigned agency answers.
//!
//! Handlers are thin: they call the same [`Inputs`] methods as the JSON API
//! ([`super::inputs_api`]), which check every right and input again. A refused form comes back
//! as the page with the message and the person's input kept, with the error's status; success
//! redirects (303) to the input. A signed-in sender's form carries the session's CSRF token;
//! a form sent without a session needs none (it speaks for no one), and is limited per address.
//!
//! [`Inputs`]: crate::workflow::inputs::Inputs

use std::collections::BTreeSet;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};

use crate::auth::Role;
use crate::workflow::inputs::{AdoptedBy, Answer, InputRecord, NewInput, NEW_COMMITMENT_FIELDS};
use crate::workflow::PlanSnapshot;

use super::error::ApiError;
use super::markdown;
use super::pages::{encode, Ctx, Q};
use super::proposals::{field, pairs_of, poster, FormPairs};
use super::session::ClientAddr;
use super::{AppState, DEFAULT_REF};

fn date(seconds: i64) -> String {
    super::views::format_time(seconds, 8 * 60)
        .1
        .get(..10)
        .unwrap_or("")
        .to_string()
}

/// `number. title` of every commitment on `main`, for selects and labels.
fn commitment_options(snap: &PlanSnapshot) -> Vec<serde_json::Value> {
    snap.commitments
        .iter()
        .filter_map(|e| {
            let m = e.master(snap.master_language())?;
            Some(serde_json::json!({
                "id": e.id,
                "label": format!("{}. {}", m.front.number, m.front.title),
                "sections": m.sections.iter().map(|s| serde_json::json!({"id": s.id, "heading": s.heading})).collect::<Vec<_>>(),
                "lead_agencies": m.front.lead_agencies,
            }))
        })
        .collect()
}

/// An input as pages show it.
#[derive(Serialize)]
struct InputView {
    #[serde(flatten)]
    record: InputRecord,
    url: String,
    date: String,
    commitment_label: Option<String>,
    section_heading: Option<String>,
    text_html: String,
    fields_html: Vec<(String, String)>,
    days_waiting: Option<i64>,
    answered_date: Option<String>,
    reasons_html: Option<String>,
    adopted_url: Option<String>,
    adopted_label: Option<String>,
}

/// `parent`: the first parent of the commit an adopted input names, for a link to its diff.
fn view(r: &InputRecord, snap: &PlanSnapshot, now: i64, parent: Option<&str>) -> InputView {
    let r = r.public();
    let master = r
        .commitment
        .as_deref()
        .and_then(|id| snap.commitment(id))
        .and_then(|e| e.master(snap.master_language()));
    let (adopted_url, adopted_label) = match r.response.as_ref().and_then(|a| a.adopted_by.as_ref())
    {
        Some(AdoptedBy::Proposal { number }) => (
            Some(format!("/proposals/{number}")),
            Some(format!("#{number}")),
        ),
        Some(AdoptedBy::Round { name }) => (
            Some(format!("/rounds/{}", encode(name))),
            Some(name.clone()),
        ),
        Some(AdoptedBy::Commit { id }) => (
            Some(match parent {
                Some(p) => format!("/compare?from={}&to={}", encode(p), encode(id)),
                None => format!("/?ref={}", encode(id)),
            }),
            Some(id.get(..10).unwrap_or(id).to_string()),
        ),
        None => (None, None),
    };
    InputView {
        url: format!("/inputs/{}", r.number),
        date: date(r.submitted_at),
        commitment_label: master.map(|m| format!("{}. {}", m.front.number, m.front.title)),
        section_heading: r.section.as_deref().and_then(|s| {
            master.and_then(|m| {
                m.sections
                    .iter()
                    .find(|x| x.id == s)
                    .map(|x| x.heading.clone())
            })
        }),
        text_html: markdown::to_html(&r.text),
        fields_html: NEW_COMMITMENT_FIELDS
            .iter()
            .filter_map(|k| {
                r.fields
                    .get(*k)
                    .map(|v| (k.to_string(), markdown::to_html(v)))
            })
            .collect(),
        days_waiting: r.waiting().then(|| (now - r.submitted_at).max(0) / 86_400),
        answered_date: r.response.as_ref().map(|a| date(a.at)),
        reasons_html: r.response.as_ref().map(|a| markdown::to_html(&a.reasons)),
        adopted_url,
        adopted_label,
        record: r,
    }
}

fn now() -> i64 {
    (crate::workflow::system_clock())()
}

// ---- the list

#[derive(Deserialize, Default)]
pub struct ListQuery {
    commitment: Option<String>,
}

pub async fn list(
    State(state): State<AppState>,
    lq: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
    q: Q,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let mut c = Ctx::new(&state, q, &headers, &uri);
    let lq = lq.map(|q| q.0).unwrap_or_default();
    let filter = lq.commitment.filter(|s| !s.is_empty());
    if let Some(f) = &filter {
        c.keep.push(("commitment".into(), f.clone()));
    }
    let (inputs, waiting, snap) = match tokio::try_join!(
        state.inputs.list(),
        state.inputs.waiting(),
        state.plan.at(DEFAULT_REF)
    ) {
        Ok(x) => x,
        Err(e) => return c.error(&state, e.into()),
    };
    let now = now();
    let rows: Vec<InputView> = inputs
        .iter()
        .filter(|r| filter.is_none() || r.commitment == filter)
        .map(|r| view(r, &snap, now, None))
        .collect();
    let mut ctx = tera::Context::new();
    ctx.insert("inputs", &rows);
    ctx.insert("waiting", &waiting);
    ctx.insert("filter", &filter);
    ctx.insert(
        "filter_label",
        &filter.as_deref().and_then(|id| {
            commitment_options(&snap)
                .into_iter()
                .find(|o| o["id"] == id)
                .map(|o| o["label"].as_str().unwrap_or("").to_string())
        }),
    );
    ctx.insert("json_url", "/api/inputs");
    c.render(&state, "inputs.html", ctx)
}

// ---- sending input

#[derive(Deserialize, Default)]
pub struct NewQuery {
    commitment: Option<String>,
    section: Option<String>,
    kind: Option<String>,
}

/// What the form shows again after a refusal.
#[derive(Serialize, Default)]
struct Kept {
    kind: String,
    commitment: String,
    section: String,
    title: String,
    text: String,
    name: String,
    organisation: String,
    contact: String,
    fields: std::collections::BTreeMap<String, String>,
    message: String,
}

async fn render_form(state: &AppState, c: &Ctx, mut kept: Kept, status: StatusCode) -> Response {
    for f in NEW_COMMITMENT_FIELDS {
        kept.fields.entry(f.to_string()).or_default();
    }
    let snap = match state.plan.at(DEFAULT_REF).await {
        Ok(s) => s,
        Err(e) => return c.error(state, e.into()),
    };
    let options = commitment_options(&snap);
    let sections = options
        .iter()
        .find(|o| o["id"] == kept.commitment.as_str())
        .map(|o| o["sections"].clone())
        .unwrap_or_else(|| serde_json::json!([]));
    let mut ctx = tera::Context::new();
    ctx.insert("commitments", &options);
    ctx.insert("sections", &sections);
    ctx.insert("new_fields", NEW_COMMITMENT_FIELDS);
    ctx.insert("kept", &kept);
    c.render_status(state, "input_new.html", ctx, status)
}

pub async fn new_form(
    State(state): State<AppState>,
    nq: Result<Query<NewQuery>, axum::extract::rejection::QueryRejection>,
    q: Q,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let c = Ctx::new(&state, q, &headers, &uri);
    let nq = nq.map(|q| q.0).unwrap_or_default();
    let kept = Kept {
        kind: nq.kind.unwrap_or_else(|| {
            if nq.commitment.is_some() {
                "change".into()
            } else {
                "new_commitment".into()
            }
        }),
        commitment: nq.commitment.unwrap_or_default(),
        section: nq.section.unwrap_or_default(),
        name: c
            .viewer
            .as_ref()
            .map(|v| v.user.name.clone())
            .unwrap_or_default(),
        ..Kept::default()
    };
    render_form(&state, &c, kept, StatusCode::OK).await
}

pub async fn create(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    q: Q,
    headers: HeaderMap,
    uri: Uri,
    form: FormPairs,
) -> Response {
    let c = Ctx::new(&state, q, &headers, &uri);
    let pairs = match pairs_of(&c, &state, form) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let get = |k: &str| field(&pairs, k);
    // Signed in: the input carries the person's account, so the form must be theirs.
    let user = if c.viewer.is_some() {
        match poster(&c, &state, &get("csrf")) {
            Ok(v) => Some(v.user),
            Err(page) => return *page,
        }
    } else {
        None
    };
    let kind = get("kind");
    let mut fields = std::collections::BTreeMap::new();
    if kind == "new_commitment" {
        for f in NEW_COMMITMENT_FIELDS {
            let v = get(&format!("field_{f}"));
            if !v.trim().is_empty() {
                fields.insert(f.to_string(), v);
            }
        }
    }
    let opt = |s: String| Some(s).filter(|s| !s.trim().is_empty());
    let (commitment, section) = if kind == "new_commitment" {
        (None, None)
    } else {
        (opt(get("commitment")), opt(get("section")))
    };
    let new = NewInput {
        kind: kind.clone(),
        commitment,
        section,
        title: get("title"),
        text: get("text"),
        fields: fields.clone(),
        name: get("name"),
        organisation: get("organisation"),
        contact: get("contact"),
    };
    let kept = Kept {
        kind,
        commitment: get("commitment"),
        section: get("section"),
        title: get("title"),
        text: get("text"),
        name: get("name"),
        organisation: get("organisation"),
        contact: get("contact"),
        fields,
        message: String::new(),
    };
    let refused = |e: ApiError, mut kept: Kept| {
        kept.message = e.message.clone();
        (e.status, kept)
    };
    let checked = match state.inputs.check(new, user.as_ref()) {
        Ok(x) => x,
        Err(e) => {
            let (status, kept) = refused(e.into(), kept);
            return render_form(&state, &c, kept, status).await;
        }
    };
    if let Err(e) = super::inputs_api::rate_limit(&state, addr) {
        let (status, kept) = refused(e, kept);
        return render_form(&state, &c, kept, status).await;
    }
    match state.inputs.submit(checked).await {
        Ok(r) => {
            super::inputs_api::counted(&state, addr);
            Redirect::to(&format!(
                "/inputs/{}?lang={}&sent=1",
                r.number,
                c.lang.code()
            ))
            .into_response()
        }
        Err(e) => {
            let (status, kept) = refused(e.into(), kept);
            render_form(&state, &c, kept, status).await
        }
    }
}

// ---- one input

#[derive(Deserialize, Default)]
pub struct ShowQuery {
    sent: Option<u8>,
}

/// A refused form on the input page.
struct Refused {
    form: &'static str,
    status: StatusCode,
    message: String,
    fields: Vec<(String, String)>,
}

async fn render_input(
    state: &AppState,
    c: &Ctx,
    number: u32,
    sent: bool,
    refused: Option<Refused>,
) -> Response {
    let (record, snap) =
        match tokio::try_join!(state.inputs.get(number), state.plan.at(DEFAULT_REF)) {
            Ok(x) => x,
            Err(e) => return c.error(state, e.into()),
        };
    let me = c.viewer.as_ref().map(|v| &v.user);
    let is_admin = me.is_some_and(|u| u.has(Role::Admin));
    let assigned: Vec<String> = record
        .assignment
        .as_ref()
        .map(|a| a.agencies.clone())
        .unwrap_or_default();
    let open = record.waiting();
    let can = serde_json::json!({
        "route": open && is_admin,
        "hide": record.hidden.is_none() && is_admin,
        "answer": open && me.is_some_and(|u| u.agency.as_ref().is_some_and(|a| assigned.contains(a))),
    });
    let contact = if is_admin {
        match me {
            Some(u) => state.inputs.contact(u, number).await.unwrap_or_default(),
            None => String::new(),
        }
    } else {
        String::new()
    };
    let agencies: BTreeSet<String> = snap
        .commitments
        .iter()
        .filter_map(|e| e.master(snap.master_language()))
        .flat_map(|m| m.front.lead_agencies.iter().cloned())
        .collect();
    let mut ctx = tera::Context::new();
    let parent = match record.response.as_ref().and_then(|a| a.adopted_by.as_ref()) {
        Some(AdoptedBy::Commit { id }) => {
            let id = id.clone();
            state
                .plan
                .store()
                .read(move |repo| {
                    let oid = crate::store::Oid::from_str(&id).map_err(|e| {
                        crate::store::StoreError::Git(git2::Error::from_str(&e.to_string()))
                    })?;
                    crate::store::git::commit_info(repo, oid)
                })
                .await
                .ok()
                .and_then(|c| c.parents.first().cloned())
        }
        _ => None,
    };
    ctx.insert("i", &view(&record, &snap, now(), parent.as_deref()));
    ctx.insert("can", &can);
    ctx.insert("contact", &contact);
    ctx.insert("agencies", &agencies);
    ctx.insert("sent", &sent);
    ctx.insert("json_url", &format!("/api/inputs/{number}"));
    // What the forms show again after a refusal (every key present, empty by default).
    let mut kept: std::collections::BTreeMap<String, String> = [
        "outcome", "reasons", "proposal", "round", "commit", "agency", "reason",
    ]
    .iter()
    .map(|k| (k.to_string(), String::new()))
    .collect();
    let (form, message, status) = match refused {
        Some(r) => {
            for (k, v) in r.fields {
                if k != "csrf" {
                    kept.insert(k, v);
                }
            }
            (r.form, r.message, r.status)
        }
        None => ("none", String::new(), StatusCode::OK),
    };
    ctx.insert("refused_form", form);
    ctx.insert("refused_message", &message);
    ctx.insert("kept", &kept);
    c.render_status(state, "input.html", ctx, status)
}

pub async fn show(
    State(state): State<AppState>,
    Path(number): Path<u32>,
    sq: Result<Query<ShowQuery>, axum::extract::rejection::QueryRejection>,
    q: Q,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let c = Ctx::new(&state, q, &headers, &uri);
    let sent = sq.map(|q| q.0.sent.is_some()).unwrap_or(false);
    render_input(&state, &c, number, sent, None).await
}

/// `POST /inputs/{n}/{route,answer,hide}`: the acting person's form.
pub async fn act(
    State(state): State<AppState>,
    Path((number, action)): Path<(u32, String)>,
    q: Q,
    headers: HeaderMap,
    uri: Uri,
    form: FormPairs,
) -> Response {
    let c = Ctx::new(&state, q, &headers, &uri);
    let pairs = match pairs_of(&c, &state, form) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let get = |k: &str| field(&pairs, k);
    let viewer = match poster(&c, &state, &get("csrf")) {
        Ok(v) => v,
        Err(page) => return *page,
    };
    let (form, result) = match action.as_str() {
        "route" => (
            "route",
            state
                .inputs
                .assign(viewer.user, number, get("agency"))
                .await,
        ),
        "hide" => (
            "hide",
            state.inputs.hide(viewer.user, number, get("reason")).await,
        ),
        "answer" => {
            let proposal = get("proposal");
            let proposal = match proposal.trim().trim_start_matches('#') {
                "" => None,
                n => match n.parse::<u32>() {
                    Ok(n) => Some(n),
                    Err(_) => {
                        let refused = Refused {
                            form: "answer",
                            status: StatusCode::BAD_REQUEST,
                            message: c.lang.strings()["in_bad_proposal"].to_string(),
                            fields: pairs,
                        };
                        return render_input(&state, &c, number, false, Some(refused)).await;
                    }
                },
            };
            let answer = Answer {
                outcome: get("outcome"),
                reasons: get("reasons"),
                proposal,
                round: Some(get("round")),
                commit: Some(get("commit")),
            };
            (
                "answer",
                state.inputs.answer(viewer.user, number, answer).await,
            )
        }
        _ => {
            return c.error(
                &state,
                ApiError::not_found(format!("no such action \"{action}\"")),
            )
        }
    };
    match result {
        Ok(_) => Redirect::to(&format!("/inputs/{number}?lang={}", c.lang.code())).into_response(),
        Err(e) => {
            let e: ApiError = e.into();
            if e.status == StatusCode::NOT_FOUND && e.message.starts_with("no input") {
                return c.error(&state, e);
            }
            let refused = Refused {
                form,
                status: e.status,
                message: e.message,
                fields: pairs,
            };
            render_input(&state, &c, number, false, Some(refused)).await
        }
    }
}
