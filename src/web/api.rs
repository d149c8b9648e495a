//! The JSON API: the twins of the pages. Errors are `{"error":{"code","message"}}`.

use axum::extract::{Path, Query, State};
use axum::Json;
use serde::Deserialize;

use super::error::ApiError;
use super::views;
use super::{AppState, DEFAULT_REF};

#[derive(Deserialize)]
pub struct RefQuery {
    #[serde(rename = "ref")]
    rev: Option<String>,
    /// The document language (`zh-TW`, `en`); the plan's master language by default.
    lang: Option<String>,
    limit: Option<usize>,
}

type Q = Result<Query<RefQuery>, axum::extract::rejection::QueryRejection>;

fn query(q: Q) -> Result<RefQuery, ApiError> {
    q.map(|Query(q)| q).map_err(|e| {
        ApiError::new(
            axum::http::StatusCode::BAD_REQUEST,
            "bad_query",
            e.body_text(),
        )
    })
}

pub async fn healthz(State(state): State<AppState>) -> Result<Json<serde_json::Value>, ApiError> {
    let snapshot = state.plan.at(DEFAULT_REF).await?;
    Ok(Json(
        serde_json::json!({"status": "ok", "main": snapshot.commit.to_string()}),
    ))
}

pub async fn plan(State(state): State<AppState>, q: Q) -> Result<Json<views::PlanView>, ApiError> {
    let q = query(q)?;
    let snapshot = state
        .plan
        .at(q.rev.as_deref().unwrap_or(DEFAULT_REF))
        .await?;
    let lang = q
        .lang
        .unwrap_or_else(|| snapshot.master_language().to_string());
    Ok(Json(views::plan(&snapshot, &lang)))
}

pub async fn commitments(
    State(state): State<AppState>,
    q: Q,
) -> Result<Json<Vec<views::CommitmentSummary>>, ApiError> {
    let q = query(q)?;
    let snapshot = state
        .plan
        .at(q.rev.as_deref().unwrap_or(DEFAULT_REF))
        .await?;
    Ok(Json(views::summaries(&snapshot)))
}

pub async fn commitment(
    State(state): State<AppState>,
    Path(id): Path<String>,
    q: Q,
) -> Result<Json<serde_json::Value>, ApiError> {
    let q = query(q)?;
    let rev = q.rev.as_deref().unwrap_or(DEFAULT_REF);
    let snapshot = state.plan.at(rev).await?;
    let entry = snapshot
        .commitment(&id)
        .ok_or_else(|| ApiError::not_found(format!("no commitment \"{id}\" at {rev}")))?;
    let lang = q
        .lang
        .unwrap_or_else(|| snapshot.master_language().to_string());
    let doc = entry
        .versions
        .get(&lang)
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "commitment \"{id}\" has no \"{lang}\" version at {rev}"
            ))
        })?
        .as_ref()
        .map_err(|p| {
            ApiError::new(
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_document",
                p.to_string(),
            )
        })?;
    let view = views::commitment(&snapshot, doc, &lang, &lang, false);
    let mut json = serde_json::to_value(&view).unwrap_or_default();
    json["to_fill"] = serde_json::to_value(crate::doc::completeness::gaps(doc)).unwrap_or_default();
    if lang != snapshot.master_language() {
        // A translation: its stale units (unit key → since when), as the page notes them.
        let stale = state
            .translations
            .stale_notes(snapshot.clone(), &id, &lang)
            .await
            .unwrap_or_default();
        json["stale"] = serde_json::to_value(stale).unwrap_or_default();
    }
    Ok(Json(json))
}

pub async fn history(
    State(state): State<AppState>,
    Path(id): Path<String>,
    q: Q,
) -> Result<Json<serde_json::Value>, ApiError> {
    let q = query(q)?;
    let rev = q.rev.as_deref().unwrap_or(DEFAULT_REF);
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    let snapshot = state.plan.at(rev).await?;
    let commits = state.plan.commitment_history(&snapshot, &id, limit).await?;
    let leads = crate::workflow::lead_history::lead_history(&state.plan, &snapshot, &id).await?;
    Ok(Json(serde_json::json!({
        "id": id,
        "commits": views::commits(&snapshot, commits),
        "lead_agencies": leads,
    })))
}
