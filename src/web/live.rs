//! Live editing over HTTP: the editor page (`/edit`) and the WebSocket (`/live`) of
//! `docs/live-protocol.md`. Who may connect is decided here (session cookie with a same-origin
//! check, or a bearer token; drafting rights on the document); everything else is the hub's
//! ([`crate::workflow::live`]).

use std::time::Duration;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::auth::User;
use crate::doc::form::CommitmentForm;
use crate::workflow::live::{decode_client_message, Connection, DocKey, ToClient};
use crate::workflow::proposal::{self, MAIN};
use crate::workflow::records::ProposalState;
use crate::workflow::WorkflowError;

use super::error::ApiError;
use super::pages::{encode, Ctx, Q};
use super::session::Viewer;
use super::AppState;

#[derive(Deserialize)]
pub struct LiveQuery {
    branch: String,
    commitment: String,
    lang: String,
    #[serde(default)]
    session: String,
}

fn valid_session(s: &str) -> bool {
    (16..=64).contains(&s.len())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// The user of a socket: a bearer token, or a session cookie from a page of this server.
fn socket_user(state: &AppState, headers: &HeaderMap) -> Result<User, ApiError> {
    let unauthorized = |m: &str| ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", m);
    if let Some(value) = headers.get(header::AUTHORIZATION) {
        let token = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .unwrap_or("");
        return state
            .accounts
            .user_for_token(token)
            .ok_or_else(|| unauthorized("unknown or revoked API token"));
    }
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let origin = headers.get(header::ORIGIN).and_then(|h| h.to_str().ok());
    let same_origin = match (host, origin) {
        (Some(host), Some(origin)) => origin
            .split_once("://")
            .is_some_and(|(_, rest)| rest.eq_ignore_ascii_case(host)),
        _ => false,
    };
    if !same_origin {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "a live-editing socket opened with a session cookie must come from a page of this server",
        ));
    }
    Viewer::of(state, headers)
        .map(|v| v.user)
        .ok_or_else(|| unauthorized("sign in first"))
}

/// May `user` edit this document live? The branch must be `main` or an open proposal, the
/// document must exist there, and the user must be allowed to draft it.
async fn check_rights(state: &AppState, user: &User, key: &DocKey) -> Result<(), ApiError> {
    // Live edits to main would reach the consensus draft unapproved: only the secretariat may
    // (e.g. a typo fixed during a forum meeting); everyone else co-edits a proposal.
    if key.branch == MAIN && !user.has(crate::auth::Role::Admin) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "main changes only through approved proposals: open a proposal and edit it live there",
        ));
    }
    if key.branch != MAIN {
        let open = state
            .proposals
            .list()
            .await?
            .into_iter()
            .any(|p| p.branch == key.branch && p.state == ProposalState::Open);
        if !open {
            return Err(ApiError::not_found(format!(
                "{} is neither main nor an open proposal",
                key.branch
            )));
        }
    }
    let snapshot = state.plan.at(&key.branch).await?;
    let exists = snapshot
        .commitment(&key.commitment)
        .is_some_and(|e| e.versions.contains_key(&key.lang));
    if !exists {
        return Err(ApiError::not_found(format!(
            "no {} on {}",
            key.path(),
            key.branch
        )));
    }
    if !proposal::may_draft(
        user,
        &key.commitment,
        &key.lang,
        snapshot.master_language(),
        true,
    ) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!("{} may not edit {} live", user.name, key.path()),
        ));
    }
    Ok(())
}

pub async fn socket(
    State(state): State<AppState>,
    q: Result<Query<LiveQuery>, axum::extract::rejection::QueryRejection>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Result<Response, ApiError> {
    let Query(q) = q.map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_query",
            format!(
                "{} (give branch, commitment, lang and session)",
                e.body_text()
            ),
        )
    })?;
    if !valid_session(&q.session) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_query",
            "session must be 16–64 characters of A-Z, a-z, 0-9, '-' and '_'",
        ));
    }
    let user = socket_user(&state, &headers)?;
    let key = DocKey {
        branch: q.branch,
        commitment: q.commitment,
        lang: q.lang,
    };
    check_rights(&state, &user, &key).await?;
    let connection = state.live.join(key, user, q.session).await?;
    Ok(ws
        .max_message_size(1 << 20)
        .on_upgrade(move |socket| talk(socket, connection)))
}

/// How often the server pings a quiet client; browsers answer pings by themselves.
const PING: Duration = Duration::from_secs(20);
/// A client silent this long (not even a pong) is gone: its connection is dropped, so it
/// leaves the presence list instead of showing up forever after a silent network loss.
const SILENT: Duration = Duration::from_secs(65);

/// Relays between the socket and the live document until either side ends.
async fn talk(mut socket: WebSocket, mut connection: Connection) {
    let reply = |m: &ToClient| Message::Text(serde_json::to_string(m).unwrap_or_default().into());
    let mut ping = tokio::time::interval(PING);
    ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut heard = tokio::time::Instant::now();
    loop {
        tokio::select! {
            _ = ping.tick() => {
                if heard.elapsed() >= SILENT {
                    break;
                }
                if socket.send(Message::Ping(Default::default())).await.is_err() {
                    break;
                }
            }
            incoming = socket.recv() => {
                heard = tokio::time::Instant::now();
                let text = match incoming {
                    Some(Ok(Message::Text(text))) => text,
                    Some(Ok(Message::Binary(_))) => {
                        let e = ToClient::error(None, "bad_message", "messages are JSON text frames");
                        if socket.send(reply(&e)).await.is_err() { break }
                        continue;
                    }
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                    Some(Ok(_)) => continue,
                };
                match decode_client_message(&text) {
                    Ok(message) => {
                        if !connection.send(message) {
                            break;
                        }
                    }
                    Err(e) => {
                        if socket.send(reply(&e)).await.is_err() { break }
                    }
                }
            }
            outgoing = connection.incoming.recv() => {
                let Some(message) = outgoing else { break };
                if socket.send(reply(&message)).await.is_err() {
                    break;
                }
            }
        }
    }
}

// ---- the editor page

#[derive(Deserialize, Default)]
pub struct EditorQuery {
    branch: Option<String>,
    commitment: Option<String>,
    doc: Option<String>,
}

#[derive(Serialize)]
struct FieldView {
    key: String,
    label: String,
    text: String,
    multiline: bool,
    group: &'static str,
}

/// The label and group of a live field, in the reader's UI language.
pub(super) fn describe(
    key: &str,
    c: &Ctx,
    section_headings: &[(String, String)],
) -> (String, bool, &'static str) {
    let t = c.lang.strings();
    let s = |k: &str| t.get(k).copied().unwrap_or(k).to_string();
    match key {
        "title" => (s("field_title"), false, "basic"),
        "number" => (s("number"), false, "basic"),
        "area" => (s("area"), false, "basic"),
        "period.start" => (s("field_period_start"), false, "basic"),
        "period.end" => (s("field_period_end"), false, "basic"),
        "lead_agencies" => (s("lead_agencies"), true, "basic"),
        "co_agencies" => (s("co_agencies"), true, "basic"),
        "ogp_values" => (s("ogp_values"), true, "basic"),
        "sdgs" => (s("sdgs"), false, "basic"),
        "contact.name" => (s("contact_name"), false, "contact"),
        "contact.title" => (s("field_contact_title"), false, "contact"),
        "contact.unit" => (s("field_contact_unit"), false, "contact"),
        "contact.email" => (s("field_contact_email"), false, "contact"),
        "contact.phone" => (s("field_contact_phone"), false, "contact"),
        "participants.government" => (s("participants_government"), true, "participants"),
        "participants.civil_society" => (s("participants_civil_society"), true, "participants"),
        other => {
            let parts: Vec<&str> = other.splitn(3, '.').collect();
            match parts.as_slice() {
                ["milestone", id, "text"] => {
                    (format!("{} {id}", s("milestone")), true, "milestones")
                }
                ["milestone", id, "start"] => (
                    format!("{} {id} · {}", s("milestone"), s("start")),
                    false,
                    "milestones",
                ),
                ["milestone", id, "end"] => (
                    format!("{} {id} · {}", s("milestone"), s("end")),
                    false,
                    "milestones",
                ),
                ["section", id, "heading"] => {
                    (format!("{} #{id}", s("section_heading")), false, "sections")
                }
                ["section", id, "text"] => {
                    let heading = section_headings
                        .iter()
                        .find(|(i, _)| i == id)
                        .map_or(format!("#{id}"), |(_, h)| h.clone());
                    (heading, true, "sections")
                }
                _ => (other.to_string(), true, "basic"),
            }
        }
    }
}

pub async fn editor(
    State(state): State<AppState>,
    eq: Result<Query<EditorQuery>, axum::extract::rejection::QueryRejection>,
    q: Q,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let mut c = Ctx::new(&state, q, &headers, &uri);
    let eq = eq.map(|q| q.0).unwrap_or_default();
    let (Some(branch), Some(commitment)) = (eq.branch, eq.commitment) else {
        return c.error(
            &state,
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad_query",
                "give ?branch= and ?commitment=",
            ),
        );
    };
    c.keep.push(("branch".into(), branch.clone()));
    c.keep.push(("commitment".into(), commitment.clone()));
    let Some(viewer) = c.viewer.clone() else {
        let next = uri
            .path_and_query()
            .map_or("/".to_string(), |p| p.to_string());
        return axum::response::Redirect::to(&format!("/login?next={}", encode(&next)))
            .into_response();
    };
    let snapshot = match state.plan.at(&branch).await {
        Ok(s) => s,
        Err(e) => return c.error(&state, e.into()),
    };
    let doc_lang = eq
        .doc
        .unwrap_or_else(|| snapshot.master_language().to_string());
    let key = DocKey {
        branch: branch.clone(),
        commitment: commitment.clone(),
        lang: doc_lang.clone(),
    };
    if let Err(e) = check_rights(&state, &viewer.user, &key).await {
        return c.error(&state, e);
    }
    let Some(Ok(document)) = snapshot
        .commitment(&commitment)
        .and_then(|e| e.versions.get(&doc_lang))
    else {
        return c.error(
            &state,
            WorkflowError::rejected(
                "invalid_document",
                format!(
                    "{} is invalid on {branch}; fix it with the edit form",
                    key.path()
                ),
            )
            .into(),
        );
    };
    let headings: Vec<(String, String)> = document
        .sections
        .iter()
        .map(|s| (s.id.clone(), s.heading.clone()))
        .collect();
    let fields: Vec<FieldView> = CommitmentForm::from_commitment(document)
        .to_fields()
        .into_iter()
        .map(|(key, text)| {
            let (label, multiline, group) = describe(&key, &c, &headings);
            FieldView {
                key,
                label,
                text,
                multiline,
                group,
            }
        })
        .collect();
    let fallback_url = match state.proposals.list().await {
        Ok(list) => list.iter().find(|p| p.branch == branch).map(|p| {
            format!(
                "/proposals/{}/edit?commitment={}&doc={}",
                p.number,
                encode(&commitment),
                encode(&doc_lang)
            )
        }),
        Err(_) => None,
    }
    .unwrap_or_else(|| format!("/proposals/new?commitment={}", encode(&commitment)));
    let mut ctx = tera::Context::new();
    ctx.insert("branch", &branch);
    ctx.insert("commitment", &commitment);
    ctx.insert("doc_lang", &doc_lang);
    ctx.insert("title", &document.front.title);
    ctx.insert(
        "ws_url",
        &format!(
            "/live?branch={}&commitment={}&lang={}",
            encode(&branch),
            encode(&commitment),
            encode(&doc_lang)
        ),
    );
    ctx.insert("fallback_url", &fallback_url);
    ctx.insert("fields", &fields);
    c.render(&state, "editor.html", ctx)
}

/// Commits the unsaved live edits of a proposal's branch, so that a review or a merge acts on
/// exactly what was shown. Unknown proposals are left to the caller's own error.
pub async fn checkpoint_proposal(state: &AppState, number: u32) -> Result<(), ApiError> {
    let branch = state
        .proposals
        .list()
        .await?
        .into_iter()
        .find(|p| p.number == number)
        .map(|p| p.branch);
    if let Some(branch) = branch {
        state.live.checkpoint_branch(&branch).await?;
    }
    Ok(())
}
