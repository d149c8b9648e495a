//! The JSON API of proposals, reviews, merges and diffs. Reads are public; every write needs
//! `Authorization: Bearer <token>` ([`ApiUser`]) and is checked again by the workflow, which
//! owns the rules. Bad input gets `{"error":{"code","message"}}` and writes nothing.

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;

use crate::store::Oid;
use crate::workflow::compare::{self, PlanDiff};
use crate::workflow::proposal::{DocumentChange, MergeOutcome, ProposalDetail};
use crate::workflow::records::{ProposalRecord, ReviewRecord, Verdict};

use super::error::ApiError;
use super::session::ApiUser;
use super::AppState;

pub(super) fn body<T>(json: Result<Json<T>, JsonRejection>) -> Result<T, ApiError> {
    json.map(|Json(v)| v).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_json",
            format!(
                "the request body is not the JSON this endpoint takes: {}",
                e.body_text()
            ),
        )
    })
}

/// A commit id the client saw (full hex).
pub fn parse_head(field: &str, value: &str) -> Result<Oid, ApiError> {
    if value.len() != 40 || !value.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_head",
            format!("{field} must be a full commit id (40 hex digits)"),
        ));
    }
    Oid::from_str(value).map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_head",
            format!("{field} is not a commit id"),
        )
    })
}

/// One document change as the API takes it: `{commitment, lang?, text}`,
/// `{commitment, delete: true}` or `{minutes: ROUND, text}` (a correction of a round's minutes).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentInput {
    #[serde(default)]
    commitment: Option<String>,
    #[serde(default)]
    minutes: Option<String>,
    lang: Option<String>,
    text: Option<String>,
    #[serde(default)]
    delete: bool,
}

fn changes(docs: Vec<DocumentInput>, master: &str) -> Result<Vec<DocumentChange>, ApiError> {
    if docs.len() > 100 {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "too_many",
            "at most 100 documents per request",
        ));
    }
    docs.into_iter().map(|d| change(d, master)).collect()
}

fn change(d: DocumentInput, master: &str) -> Result<DocumentChange, ApiError> {
    let bad = |m: &str| ApiError::new(StatusCode::BAD_REQUEST, "bad_document", m.to_string());
    let commitment = match (d.commitment, d.minutes) {
        (Some(c), None) => c,
        (None, Some(round)) => {
            return match (d.text, d.lang, d.delete) {
                (Some(text), None, false) => Ok(DocumentChange::Minutes { round, text }),
                _ => Err(bad(
                    "a correction of minutes is {\"minutes\": ROUND, \"text\": TEXT}",
                )),
            };
        }
        _ => {
            return Err(bad(
                "each document names either a \"commitment\" or the \"minutes\" of a round",
            ))
        }
    };
    match (d.delete, d.text) {
        (true, None) if d.lang.is_none() => Ok(DocumentChange::Delete { commitment }),
        (true, _) => Err(bad(
            "a deletion names only the commitment: {\"commitment\": ID, \"delete\": true}",
        )),
        (false, Some(text)) => Ok(DocumentChange::Write {
            commitment,
            lang: d.lang.unwrap_or_else(|| master.to_string()),
            text,
        }),
        (false, None) => Err(bad("each document needs \"text\" (or \"delete\": true)")),
    }
}

async fn master_language(state: &AppState) -> Result<String, ApiError> {
    Ok(state
        .plan
        .at(super::DEFAULT_REF)
        .await?
        .master_language()
        .to_string())
}

pub async fn list(State(state): State<AppState>) -> Result<Json<Vec<ProposalRecord>>, ApiError> {
    Ok(Json(state.proposals.list().await?))
}

pub async fn get(
    State(state): State<AppState>,
    Path(number): Path<u32>,
) -> Result<Json<ProposalDetail>, ApiError> {
    Ok(Json(
        state.proposals.get(number, state.accounts.users()).await?,
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpenInput {
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    documents: Vec<DocumentInput>,
}

pub async fn open(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    json: Result<Json<OpenInput>, JsonRejection>,
) -> Result<Response, ApiError> {
    let input = body(json)?;
    let changes = changes(input.documents, &master_language(&state).await?)?;
    let record = state
        .proposals
        .open(user, input.title, input.description, changes, None)
        .await?;
    let detail = state
        .proposals
        .get(record.number, state.accounts.users())
        .await?;
    Ok((StatusCode::CREATED, Json(detail)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateInput {
    expected_head: String,
    #[serde(default)]
    message: String,
    documents: Vec<DocumentInput>,
}

pub async fn update(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(number): Path<u32>,
    json: Result<Json<UpdateInput>, JsonRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let input = body(json)?;
    let expected = parse_head("expected_head", &input.expected_head)?;
    let changes = changes(input.documents, &master_language(&state).await?)?;
    let head = state
        .proposals
        .update(user, number, expected, changes, input.message)
        .await?;
    Ok(Json(serde_json::json!({ "number": number, "head": head })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewInput {
    verdict: String,
    head: String,
    #[serde(default)]
    section: Option<String>,
    #[serde(default)]
    body: String,
}

pub async fn review(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(number): Path<u32>,
    json: Result<Json<ReviewInput>, JsonRejection>,
) -> Result<Response, ApiError> {
    let input = body(json)?;
    let verdict: Verdict = input
        .verdict
        .parse()
        .map_err(|m: String| ApiError::new(StatusCode::BAD_REQUEST, "bad_verdict", m))?;
    parse_head("head", &input.head)?;
    let section = input.section.filter(|s| !s.is_empty());
    super::live::checkpoint_proposal(&state, number).await?;
    let review: ReviewRecord = state
        .proposals
        .review(user, number, verdict, input.head, section, input.body)
        .await?;
    Ok((StatusCode::CREATED, Json(review)).into_response())
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct MergeInput {
    expected_head: Option<String>,
}

pub async fn merge(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(number): Path<u32>,
    json: Option<Json<MergeInput>>,
) -> Result<Response, ApiError> {
    let input = json.map(|j| j.0).unwrap_or_default();
    let expected = input
        .expected_head
        .as_deref()
        .map(|h| parse_head("expected_head", h))
        .transpose()?;
    super::live::checkpoint_proposal(&state, number).await?;
    let outcome = state
        .proposals
        .merge(user, number, expected, state.accounts.users())
        .await?;
    Ok(merge_response(outcome))
}

/// A merge that brought the proposal up to date instead is a 409: nothing reached `main`.
fn merge_response(outcome: MergeOutcome) -> Response {
    match outcome {
        MergeOutcome::Merged { .. } => Json(outcome).into_response(),
        MergeOutcome::BroughtUpToDate {
            ref head,
            ref overlaps,
        } => {
            let paths: Vec<&str> = overlaps.iter().map(|o| o.path.as_str()).collect();
            let body = serde_json::json!({
                "error": {
                    "code": "needs_reapproval",
                    "message": format!(
                        "main and the proposal changed the same text ({}); the proposal was brought up to date with main (new head {head}) and must be approved again",
                        paths.join(", ")
                    ),
                },
                "head": head,
                "overlaps": overlaps,
            });
            (StatusCode::CONFLICT, Json(body)).into_response()
        }
    }
}

pub async fn update_from_main(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(number): Path<u32>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let head = state.proposals.update_from_main(user, number).await?;
    Ok(Json(
        serde_json::json!({ "number": number, "updated": head.is_some(), "head": head }),
    ))
}

pub async fn close(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(number): Path<u32>,
) -> Result<Json<ProposalRecord>, ApiError> {
    Ok(Json(state.proposals.close(user, number).await?))
}

pub async fn diff(
    State(state): State<AppState>,
    Path(number): Path<u32>,
) -> Result<Json<PlanDiff>, ApiError> {
    let detail = state.proposals.get(number, state.accounts.users()).await?;
    let (from, to) = (
        parse_head("base", &detail.base)?,
        parse_head("head", &detail.head)?,
    );
    Ok(Json(compare::compare(&state.plan, from, to).await?))
}

#[derive(Deserialize)]
pub struct CompareQuery {
    from: String,
    to: String,
}

pub async fn compare_refs(
    State(state): State<AppState>,
    q: Result<Query<CompareQuery>, QueryRejection>,
) -> Result<Json<PlanDiff>, ApiError> {
    let Query(q) = q.map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_query",
            format!("{} (give ?from=REF&to=REF)", e.body_text()),
        )
    })?;
    let store = state.plan.store();
    let from = store
        .resolve(&q.from)
        .await
        .map_err(crate::workflow::WorkflowError::from)?;
    let to = store
        .resolve(&q.to)
        .await
        .map_err(crate::workflow::WorkflowError::from)?;
    Ok(Json(compare::compare(&state.plan, from, to).await?))
}

pub async fn me(ApiUser(user): ApiUser) -> Json<crate::auth::User> {
    Json(user)
}
