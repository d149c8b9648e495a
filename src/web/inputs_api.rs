//! The JSON API of public input ([`crate::workflow::inputs`]): sending input (no account
//! needed; limited per address), reading inputs and the waiting list, and — with
//! `Authorization: Bearer <token>` — routing, answering and hiding. Hidden inputs are served
//! without their text. Bad input gets `{"error":{"code","message"}}` and writes nothing.

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;

use crate::auth::User;
use crate::workflow::inputs::{Answer, InputRecord, NewInput, WaitingGroup};

use super::error::ApiError;
use super::session::{ApiUser, ClientAddr};
use super::AppState;

/// Largest request body the input endpoints read (the text limits fit well inside).
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// A JSON body, with an oversized one said as such (413).
pub(super) fn body<T>(json: Result<Json<T>, JsonRejection>) -> Result<T, ApiError> {
    json.map(|Json(v)| v).map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                format!("the request body is larger than {MAX_BODY_BYTES} bytes"),
            )
        } else {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad_json",
                format!(
                    "the request body is not the JSON this endpoint takes: {}",
                    e.body_text()
                ),
            )
        }
    })
}

/// The per-address limit on sending input, as a 429.
/// Checked before an input is recorded; [`counted`] after it was.
pub(super) fn rate_limit(state: &AppState, addr: std::net::IpAddr) -> Result<(), ApiError> {
    state
        .input_limiter
        .peek(addr, std::time::Instant::now())
        .map_err(|wait| {
            ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                format!(
                    "too much input from this address lately: try again in {} minutes",
                    wait.as_secs().div_ceil(60)
                ),
            )
        })
}

/// Counts a recorded input against its address.
pub(super) fn counted(state: &AppState, addr: std::net::IpAddr) {
    let _ = state.input_limiter.take(addr, std::time::Instant::now());
}

/// The bearer token's user when one is sent (a bad token is refused, not ignored).
fn optional_user(state: &AppState, headers: &HeaderMap) -> Result<Option<User>, ApiError> {
    let Some(value) = headers.get(axum::http::header::AUTHORIZATION) else {
        return Ok(None);
    };
    let token = value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .unwrap_or("");
    state
        .accounts
        .user_for_token(token)
        .map(Some)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "unknown or revoked API token",
            )
        })
}

pub async fn submit(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    headers: HeaderMap,
    json: Result<Json<NewInput>, JsonRejection>,
) -> Result<Response, ApiError> {
    let user = optional_user(&state, &headers)?;
    let input = state.inputs.check(body(json)?, user.as_ref())?;
    rate_limit(&state, addr)?;
    let record = state.inputs.submit(input).await?;
    counted(&state, addr);
    Ok((StatusCode::CREATED, Json(record)).into_response())
}

pub async fn list(State(state): State<AppState>) -> Result<Json<Vec<InputRecord>>, ApiError> {
    let list = state.inputs.list().await?;
    Ok(Json(list.iter().map(InputRecord::public).collect()))
}

pub async fn waiting(State(state): State<AppState>) -> Result<Json<Vec<WaitingGroup>>, ApiError> {
    Ok(Json(state.inputs.waiting().await?))
}

pub async fn get(
    State(state): State<AppState>,
    Path(number): Path<u32>,
) -> Result<Json<InputRecord>, ApiError> {
    Ok(Json(state.inputs.get(number).await?.public()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssignInput {
    agency: String,
}

pub async fn assign(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(number): Path<u32>,
    json: Result<Json<AssignInput>, JsonRejection>,
) -> Result<Json<InputRecord>, ApiError> {
    let input = body(json)?;
    Ok(Json(state.inputs.assign(user, number, input.agency).await?))
}

pub async fn answer(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(number): Path<u32>,
    json: Result<Json<Answer>, JsonRejection>,
) -> Result<Json<InputRecord>, ApiError> {
    let input = body(json)?;
    Ok(Json(state.inputs.answer(user, number, input).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HideInput {
    reason: String,
}

pub async fn hide(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(number): Path<u32>,
    json: Result<Json<HideInput>, JsonRejection>,
) -> Result<Json<InputRecord>, ApiError> {
    let input = body(json)?;
    Ok(Json(
        state
            .inputs
            .hide(user, number, input.reason)
            .await?
            .public(),
    ))
}
