//! The JSON API of translation sync ([`crate::workflow::translation`]): a translation's status
//! unit by unit against `main` or a round, marking units synced, and the dashboard of every
//! commitment. Reads are public; marking synced needs `Authorization: Bearer <token>`
//! ([`ApiUser`]) and is checked again by the workflow. Bad input gets
//! `{"error":{"code","message"}}` and writes nothing.

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;

use crate::workflow::translation::{Dashboard, TranslationStatus};

use super::error::ApiError;
use super::proposals_api::body;
use super::session::ApiUser;
use super::AppState;

#[derive(Deserialize)]
pub struct BaselineQuery {
    baseline: Option<String>,
}

pub async fn status(
    State(state): State<AppState>,
    Path((id, lang)): Path<(String, String)>,
    Query(q): Query<BaselineQuery>,
) -> Result<Json<TranslationStatus>, ApiError> {
    let baseline = q.baseline.unwrap_or_else(|| "main".into());
    Ok(Json(
        state.translations.status(&id, &lang, &baseline).await?,
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyncInput {
    units: Vec<String>,
    master_commit: String,
    #[serde(default)]
    reason: Option<String>,
    /// `main` (the default) or a round: the master `master_commit` belongs to.
    #[serde(default)]
    baseline: Option<String>,
}

pub async fn sync(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((id, lang)): Path<(String, String)>,
    json: Result<Json<SyncInput>, JsonRejection>,
) -> Result<Response, ApiError> {
    let input = body(json)?;
    let synced = state
        .translations
        .mark_synced(
            user,
            &id,
            &lang,
            input.units,
            input.master_commit,
            input.reason,
            input.baseline.as_deref().unwrap_or("main"),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(synced)).into_response())
}

pub async fn dashboard(
    State(state): State<AppState>,
    Query(q): Query<BaselineQuery>,
) -> Result<Json<Dashboard>, ApiError> {
    let baseline = q.baseline.unwrap_or_else(|| "main".into());
    Ok(Json(state.translations.dashboard(&baseline).await?))
}
