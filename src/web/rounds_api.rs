//! The JSON API of forum rounds: schedule, open the vote, vote, close, publish minutes. Reads
//! are public; every write needs `Authorization: Bearer <token>` ([`ApiUser`]) and is checked
//! again by the workflow ([`crate::workflow::rounds`]), which owns the rules. Bad input gets
//! `{"error":{"code","message"}}` and writes nothing.

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;

use crate::workflow::consensus::Choice;
use crate::workflow::rounds::{NewRound, RoundDetail, RoundRecord};

use super::error::ApiError;
use super::proposals_api::body;
use super::session::ApiUser;
use super::AppState;

pub async fn list(State(state): State<AppState>) -> Result<Json<Vec<RoundRecord>>, ApiError> {
    Ok(Json(state.rounds.list().await?))
}

pub async fn get(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<RoundDetail>, ApiError> {
    Ok(Json(state.rounds.get(&name).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleInput {
    name: String,
    title: String,
    date: String,
    #[serde(default)]
    place: Option<String>,
    #[serde(default)]
    link: Option<String>,
    #[serde(default)]
    agenda: String,
    #[serde(default)]
    candidate: Option<String>,
}

pub async fn schedule(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    json: Result<Json<ScheduleInput>, JsonRejection>,
) -> Result<Response, ApiError> {
    let input = body(json)?;
    let new = NewRound {
        name: input.name,
        title: input.title,
        date: input.date,
        place: input.place,
        link: input.link.filter(|l| !l.trim().is_empty()),
        agenda: input.agenda,
        candidate: input.candidate.filter(|c| !c.trim().is_empty()),
    };
    let detail = state.rounds.schedule(user, new).await?;
    Ok((StatusCode::CREATED, Json(detail)).into_response())
}

pub async fn open(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(name): Path<String>,
) -> Result<Json<RoundDetail>, ApiError> {
    Ok(Json(state.rounds.open_vote(user, &name).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VoteInput {
    choice: String,
    #[serde(default)]
    reason: String,
}

pub async fn vote(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(name): Path<String>,
    json: Result<Json<VoteInput>, JsonRejection>,
) -> Result<Response, ApiError> {
    let input = body(json)?;
    let choice: Choice = input
        .choice
        .parse()
        .map_err(|m: String| ApiError::new(StatusCode::BAD_REQUEST, "bad_choice", m))?;
    let vote = state.rounds.vote(user, &name, choice, input.reason).await?;
    Ok((StatusCode::CREATED, Json(vote)).into_response())
}

pub async fn close(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(name): Path<String>,
) -> Result<Json<RoundDetail>, ApiError> {
    Ok(Json(state.rounds.close(user, &name).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MinutesInput {
    text: String,
}

pub async fn minutes(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(name): Path<String>,
    json: Result<Json<MinutesInput>, JsonRejection>,
) -> Result<Response, ApiError> {
    let input = body(json)?;
    let detail = state
        .rounds
        .publish_minutes(user, &name, input.text)
        .await?;
    Ok((StatusCode::CREATED, Json(detail)).into_response())
}
