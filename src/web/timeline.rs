//! The timeline page (`/timeline`) and its JSON twin: the plan's period, the forum's rounds
//! and every milestone by the month it is due.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use axum::Json;
use serde::{Deserialize, Serialize};

use crate::workflow::timeline::{self, Timeline, TimelineRound};
use crate::workflow::{round_tags, PlanSnapshot, WorkflowError};

use super::error::ApiError;
use super::forum::{bad_query, page_query};
use super::pages::{encode, Q};
use super::{AppState, DEFAULT_REF};

#[derive(Deserialize, Default)]
pub struct TimelineQuery {
    #[serde(rename = "ref")]
    rev: Option<String>,
    /// The document language of milestone texts (API; pages use the UI language).
    lang: Option<String>,
}

/// The rounds to show: today the round tags. Scheduled rounds from the round records join
/// here with [`timeline::merge_rounds`].
async fn rounds(state: &AppState) -> Result<Vec<TimelineRound>, WorkflowError> {
    let tags = round_tags::list(state.plan.store()).await?;
    let records = state.rounds.list().await?;
    Ok(timeline::merge_rounds(
        timeline::rounds_from_tags(&tags),
        timeline::rounds_from_records(&records),
    ))
}

async fn build(
    state: &AppState,
    snapshot: &PlanSnapshot,
    lang: &str,
) -> Result<Timeline, WorkflowError> {
    Ok(timeline::build(snapshot, rounds(state).await?, lang))
}

/// A round as the page shows it: with the link to what changed since the round before.
#[derive(Serialize)]
struct RoundView<'a> {
    #[serde(flatten)]
    round: &'a TimelineRound,
    compare_url: String,
}

fn round_views<'a>(rounds: &'a [TimelineRound]) -> Vec<RoundView<'a>> {
    let mut previous: Option<&str> = None;
    rounds
        .iter()
        .map(|r| {
            let approved = r.state == timeline::APPROVED;
            let compare_url = match (approved, previous) {
                (true, Some(p)) => {
                    format!("/rounds/compare?from={}&to={}", encode(p), encode(&r.name))
                }
                (true, None) => format!("/rounds/compare?to={}", encode(&r.name)),
                (false, _) => String::new(),
            };
            if approved {
                previous = Some(&r.name);
            }
            RoundView {
                round: r,
                compare_url,
            }
        })
        .collect()
}

pub async fn page(
    State(state): State<AppState>,
    tq: Result<Query<TimelineQuery>, QueryRejection>,
    q: Q,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let (c, _) = match page_query(&state, tq, q, &headers, &uri) {
        Ok(found) => found,
        Err(page) => return *page,
    };
    let snapshot = match c.snapshot(&state).await {
        Ok(s) => s,
        Err(page) => return page,
    };
    let tl = match build(&state, &snapshot, c.lang.code()).await {
        Ok(t) => t,
        Err(e) => return c.error(&state, e.into()),
    };
    let months = tl.months();
    let mut ctx = tera::Context::new();
    ctx.insert("period", &tl.period);
    ctx.insert("rounds", &round_views(&tl.rounds));
    ctx.insert("months", &months);
    ctx.insert("milestone_count", &tl.milestones.len());
    ctx.insert(
        "plan_title",
        snapshot
            .config
            .plan
            .title
            .get(c.lang.code(), snapshot.master_language()),
    );
    ctx.insert("plan_master", snapshot.master_language());
    ctx.insert("json_url", "/api/timeline");
    c.render(&state, "timeline.html", ctx)
}

pub async fn api(
    State(state): State<AppState>,
    tq: Result<Query<TimelineQuery>, QueryRejection>,
) -> Result<Json<Timeline>, ApiError> {
    let tq = tq.map(|Query(q)| q).map_err(|e| bad_query(&e))?;
    let snapshot = state
        .plan
        .at(tq.rev.as_deref().unwrap_or(DEFAULT_REF))
        .await?;
    let lang = tq
        .lang
        .unwrap_or_else(|| snapshot.master_language().to_string());
    Ok(Json(build(&state, &snapshot, &lang).await?))
}
