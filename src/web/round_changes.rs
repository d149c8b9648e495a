//! What changed between forum rounds, from the round tags: on a commitment's page, the rounds
//! that approved a version of it and its changes since the last one
//! (`/api/commitments/{id}/rounds`); the plan-wide diff between two rounds
//! (`/rounds/compare`, `/api/rounds/compare`).

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use axum::Json;
use serde::{Deserialize, Serialize};

use crate::workflow::round_tags::{self, CommitmentRounds, RoundTag, RoundsDiff, SinceLastRound};
use crate::workflow::PlanSnapshot;

use super::diff_view::{self, CommitmentDiffView};
use super::error::ApiError;
use super::forum::{bad_query, page_query};
use super::i18n::Lang;
use super::pages::{encode, Q};
use super::{AppState, DEFAULT_REF};

/// A round as pages show it.
#[derive(Serialize)]
pub struct RoundView {
    pub name: String,
    pub tag: String,
    pub commit: String,
    /// `YYYY-MM-DD` in the tagger's offset.
    pub date: String,
    /// RFC 3339.
    pub time: String,
    pub tagger: String,
    pub summary: String,
}

pub(super) fn round_view(r: &RoundTag) -> RoundView {
    let (time, display) = super::views::format_time(r.time, r.offset_minutes);
    RoundView {
        name: r.name.clone(),
        tag: r.tag.clone(),
        commit: r.commit.clone(),
        date: display.get(..10).unwrap_or(&display).to_string(),
        time,
        tagger: r.tagger.clone(),
        summary: r.summary.clone(),
    }
}

/// The commitment page's "approved at rounds" section.
#[derive(Serialize)]
pub struct CommitmentRoundsView {
    /// `not_approved`, `unchanged` or `changed`.
    pub status: SinceLastRound,
    pub rounds: Vec<RoundView>,
    pub versions: Vec<VersionView>,
    pub last_round: Option<RoundView>,
    /// The master document's changes since the last round.
    pub diff: Option<CommitmentDiffView>,
    /// The whole plan's diff from the last round to this version.
    pub compare_url: Option<String>,
}

#[derive(Serialize)]
pub struct VersionView {
    pub blob: String,
    /// The rounds that approved it, oldest first.
    pub rounds: Vec<RoundView>,
    pub current: bool,
}

fn commitment_view(cr: &CommitmentRounds, lang: Lang) -> CommitmentRoundsView {
    let by_name = |name: &String| cr.rounds.iter().find(|r| &r.name == name).map(round_view);
    CommitmentRoundsView {
        status: cr.status,
        rounds: cr.rounds.iter().map(round_view).collect(),
        versions: cr
            .versions
            .iter()
            .map(|v| VersionView {
                blob: v.blob.clone(),
                rounds: v.rounds.iter().filter_map(by_name).collect(),
                current: v.current,
            })
            .collect(),
        last_round: cr.last_round.as_ref().map(round_view),
        diff: cr.diff.as_ref().map(|d| diff_view::commitment(d, lang)),
        compare_url: cr
            .last_round
            .as_ref()
            .map(|r| format!("/compare?from={}&to={}", encode(&r.tag), encode(&cr.commit))),
    }
}

/// The section for commitment `id` at `snapshot`, or `None` (logged) when it cannot be worked
/// out: the commitment page itself must not fail because of it.
pub(super) async fn commitment_section(
    state: &AppState,
    snapshot: &PlanSnapshot,
    id: &str,
    lang: Lang,
) -> Option<CommitmentRoundsView> {
    match round_tags::commitment_rounds(&state.plan, snapshot, id).await {
        Ok(cr) => Some(commitment_view(&cr, lang)),
        Err(e) => {
            tracing::warn!(error = %e, commitment = id, "rounds of a commitment");
            None
        }
    }
}

#[derive(Deserialize, Default)]
pub struct RefQuery {
    #[serde(rename = "ref")]
    rev: Option<String>,
}

/// `GET /api/commitments/{id}/rounds?ref=`
pub async fn commitment_api(
    State(state): State<AppState>,
    Path(id): Path<String>,
    q: Result<Query<RefQuery>, QueryRejection>,
) -> Result<Json<CommitmentRounds>, ApiError> {
    let q = q.map(|Query(q)| q).map_err(|e| bad_query(&e))?;
    let snapshot = state
        .plan
        .at(q.rev.as_deref().unwrap_or(DEFAULT_REF))
        .await?;
    Ok(Json(
        round_tags::commitment_rounds(&state.plan, &snapshot, &id).await?,
    ))
}

#[derive(Deserialize, Default)]
pub struct RoundsCompareQuery {
    from: Option<String>,
    to: Option<String>,
    /// `inline` (default) or `split` (pages).
    view: Option<String>,
}

fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// `GET /rounds/compare?from=NAME&to=NAME`: a form to pick two rounds, and their diff.
pub async fn compare_page(
    State(state): State<AppState>,
    rq: Result<Query<RoundsCompareQuery>, QueryRejection>,
    q: Q,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let (mut c, rq) = match page_query(&state, rq, q, &headers, &uri) {
        Ok(found) => found,
        Err(page) => return *page,
    };
    let rounds = match round_tags::list(state.plan.store()).await {
        Ok(r) => r,
        Err(e) => return c.error(&state, e.into()),
    };
    let (from, to) = (given(&rq.from), given(&rq.to));
    let mut ctx = tera::Context::new();
    ctx.insert(
        "rounds",
        &rounds.iter().rev().map(round_view).collect::<Vec<_>>(),
    );
    // Unless asked otherwise, the form offers the last two rounds.
    let n = rounds.len();
    let default_from = n.checked_sub(2).map(|i| rounds[i].name.as_str());
    let default_to = rounds.last().map(|r| r.name.as_str());
    ctx.insert("from", &from.or(default_from));
    ctx.insert("to", &to.or(default_to));
    let view = if rq.view.as_deref() == Some("split") {
        "split"
    } else {
        "inline"
    };
    ctx.insert("view", view);
    if let (Some(from), Some(to)) = (from, to) {
        c.keep.push(("from".into(), from.to_string()));
        c.keep.push(("to".into(), to.to_string()));
        let diff = match round_tags::compare_rounds(&state.plan, &rounds, from, to).await {
            Ok(d) => d,
            Err(e) => return c.error(&state, e.into()),
        };
        ctx.insert("from_round", &round_view(&diff.from_round));
        ctx.insert("to_round", &round_view(&diff.to_round));
        ctx.insert("diff", &diff_view::plan(&diff.diff, c.lang));
        ctx.insert(
            "json_url",
            &format!(
                "/api/rounds/compare?from={}&to={}",
                encode(from),
                encode(to)
            ),
        );
    }
    c.render(&state, "rounds_compare.html", ctx)
}

/// `GET /api/rounds/compare?from=NAME&to=NAME`
pub async fn compare_api(
    State(state): State<AppState>,
    rq: Result<Query<RoundsCompareQuery>, QueryRejection>,
) -> Result<Json<RoundsDiff>, ApiError> {
    let rq = rq.map(|Query(q)| q).map_err(|e| bad_query(&e))?;
    let (Some(from), Some(to)) = (given(&rq.from), given(&rq.to)) else {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_query",
            "give two rounds: ?from=NAME&to=NAME (names as in rounds/NAME)",
        ));
    };
    let rounds = round_tags::list(state.plan.store()).await?;
    Ok(Json(
        round_tags::compare_rounds(&state.plan, &rounds, from, to).await?,
    ))
}
