//! Comments on commitments and their sections ([`crate::workflow::comments`]): the comments a
//! commitment page shows under each section, its comment form and the secretariat's hide form,
//! and the JSON API. Handlers are thin; the workflow checks every right and input.

use std::collections::BTreeMap;

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use serde::{Deserialize, Serialize};

use crate::workflow::comments::CommentRecord;
use crate::workflow::PlanSnapshot;

use super::error::ApiError;
use super::markdown;
use super::pages::{encode, Ctx, Q};
use super::proposals::{field, pairs_of, poster, FormPairs};
use super::proposals_api::body;
use super::session::ApiUser;
use super::AppState;

/// A comment as the commitment page shows it.
#[derive(Serialize)]
pub struct CommentView {
    #[serde(flatten)]
    record: CommentRecord,
    html: String,
    date: String,
}

/// A commitment's comments as its page shows them: by section id, on the whole commitment,
/// and on sections the commitment no longer has.
#[derive(Serialize, Default)]
pub struct CommentsSection {
    pub by_section: BTreeMap<String, Vec<CommentView>>,
    pub general: Vec<CommentView>,
    pub removed: Vec<CommentView>,
    pub count: usize,
}

/// The comments of `id` for its page (`None` when they cannot be read: the page still shows).
pub async fn section(
    state: &AppState,
    snapshot: &PlanSnapshot,
    id: &str,
) -> Option<CommentsSection> {
    let list = state.comments.list(id).await.ok()?;
    let sections: Vec<String> = snapshot
        .commitment(id)
        .and_then(|e| e.master(snapshot.master_language()))
        .map(|m| m.sections.iter().map(|s| s.id.clone()).collect())
        .unwrap_or_default();
    let mut out = CommentsSection {
        count: list.len(),
        ..CommentsSection::default()
    };
    for c in list {
        let c = c.public();
        let view = CommentView {
            html: markdown::to_html(&c.body),
            date: super::views::format_time(c.at, 8 * 60).1,
            record: c,
        };
        match view.record.section.clone() {
            None => out.general.push(view),
            Some(s) if sections.contains(&s) => out.by_section.entry(s).or_default().push(view),
            Some(_) => out.removed.push(view),
        }
    }
    Some(out)
}

/// `POST /commitments/{id}/comments`: `csrf`, `section` (empty: the whole commitment), `body`.
pub async fn add_form(
    State(state): State<AppState>,
    Path(id): Path<String>,
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
    let viewer = match poster(&c, &state, &field(&pairs, "csrf")) {
        Ok(v) => v,
        Err(page) => return *page,
    };
    let section = Some(field(&pairs, "section")).filter(|s| !s.is_empty());
    match state
        .comments
        .add(viewer.user, &id, section, field(&pairs, "body"))
        .await
    {
        Ok(r) => Redirect::to(&format!(
            "/commitments/{}?lang={}#comment-{}",
            encode(&id),
            c.lang.code(),
            r.number
        ))
        .into_response(),
        Err(e) => c.error(&state, e.into()),
    }
}

/// `POST /commitments/{id}/comments/{n}/hide`: `csrf`, `reason`.
pub async fn hide_form(
    State(state): State<AppState>,
    Path((id, number)): Path<(String, u32)>,
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
    let viewer = match poster(&c, &state, &field(&pairs, "csrf")) {
        Ok(v) => v,
        Err(page) => return *page,
    };
    match state
        .comments
        .hide(viewer.user, &id, number, field(&pairs, "reason"))
        .await
    {
        Ok(_) => Redirect::to(&format!(
            "/commitments/{}?lang={}#comment-{number}",
            encode(&id),
            c.lang.code()
        ))
        .into_response(),
        Err(e) => c.error(&state, e.into()),
    }
}

pub async fn list_api(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Vec<CommentRecord>>, ApiError> {
    let snap = state.plan.at(super::DEFAULT_REF).await?;
    if snap.commitment(&id).is_none() {
        return Err(ApiError::not_found(format!("no commitment \"{id}\"")));
    }
    let list = state.comments.list(&id).await?;
    Ok(Json(list.iter().map(CommentRecord::public).collect()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommentInput {
    #[serde(default)]
    section: Option<String>,
    body: String,
}

pub async fn add_api(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<String>,
    json: Result<Json<CommentInput>, JsonRejection>,
) -> Result<Response, ApiError> {
    let input = body(json)?;
    let r = state
        .comments
        .add(user, &id, input.section, input.body)
        .await?;
    Ok((StatusCode::CREATED, Json(r)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HideInput {
    reason: String,
}

pub async fn hide_api(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((id, number)): Path<(String, u32)>,
    json: Result<Json<HideInput>, JsonRejection>,
) -> Result<Json<CommentRecord>, ApiError> {
    let input = body(json)?;
    Ok(Json(
        state
            .comments
            .hide(user, &id, number, input.reason)
            .await?
            .public(),
    ))
}
