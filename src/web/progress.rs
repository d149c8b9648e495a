//! Implementation tracking ([`crate::workflow::progress`]): the plan's progress (`/progress`),
//! one commitment's milestones × reporting periods with the lead agency's report form
//! (`/commitments/{id}/progress`), and their JSON twins, including reporting with a bearer
//! token (`POST /api/commitments/{id}/progress`).
//!
//! Handlers are thin: the page form and the API call the same [`Progress::report`], which
//! checks every right and value. A refused form comes back as the page with the message and
//! the person's input kept, with the error's status; success redirects (303) to the page.
//!
//! [`Progress::report`]: crate::workflow::progress::Progress::report

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use serde::Serialize;

use crate::workflow::progress::{
    self, CommitmentProgress, NewReport, PlanProgress, Report, Status,
};

use super::error::ApiError;
use super::pages::{Ctx, Q};
use super::proposals::{field, pairs_of, poster, FormPairs};
use super::session::ApiUser;
use super::{AppState, DEFAULT_REF};

fn date(seconds: i64) -> String {
    super::views::format_time(seconds, 8 * 60)
        .1
        .get(..10)
        .unwrap_or("")
        .to_string()
}

fn status_names() -> Vec<&'static str> {
    Status::ALL.iter().map(|s| s.as_str()).collect()
}

// ---- the plan

pub async fn plan_page(
    State(state): State<AppState>,
    q: Q,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let c = Ctx::new(&state, q, &headers, &uri);
    let summary = match state.progress.plan().await {
        Ok(s) => s,
        Err(e) => return c.error(&state, e.into()),
    };
    let mut ctx = tera::Context::new();
    ctx.insert("p", &summary);
    ctx.insert("statuses", &status_names());
    ctx.insert("json_url", "/api/progress");
    c.render(&state, "progress.html", ctx)
}

pub async fn plan_api(State(state): State<AppState>) -> Result<Json<PlanProgress>, ApiError> {
    Ok(Json(state.progress.plan().await?))
}

// ---- one commitment

/// A report as a cell shows it.
#[derive(Serialize)]
struct Cell {
    #[serde(flatten)]
    report: Report,
    date: String,
}

#[derive(Serialize)]
struct Row {
    id: String,
    text: String,
    start: String,
    end: String,
    /// One per period of the plan, in order.
    cells: Vec<Option<Cell>>,
    latest: Option<String>,
}

/// What the form shows again after a refusal.
#[derive(Serialize, Default)]
struct Kept {
    milestone: String,
    period: String,
    status: String,
    text: String,
    evidence: String,
    message: String,
}

async fn render_commitment(
    state: &AppState,
    c: &Ctx,
    id: &str,
    kept: Kept,
    status: StatusCode,
) -> Response {
    let (snap, reports) =
        match tokio::try_join!(state.plan.at(DEFAULT_REF), state.progress.commitment(id)) {
            Ok(x) => x,
            Err(e) => return c.error(state, e.into()),
        };
    let Some(master) = snap
        .commitment(id)
        .and_then(|e| e.master(snap.master_language()))
    else {
        return c.error(
            state,
            ApiError::not_found(format!("no valid commitment \"{id}\"")),
        );
    };
    let periods: Vec<String> = progress::plan_periods(&snap)
        .iter()
        .map(ToString::to_string)
        .collect();
    let rows: Vec<Row> = master
        .front
        .milestones
        .iter()
        .map(|m| Row {
            id: m.id.clone(),
            text: m.text.clone(),
            start: m.start.to_string(),
            end: m.end.to_string(),
            cells: periods
                .iter()
                .map(|p| {
                    reports
                        .periods
                        .iter()
                        .find(|f| &f.period == p)
                        .and_then(|f| f.reports.iter().find(|r| r.milestone == m.id))
                        .map(|r| Cell {
                            report: r.clone(),
                            date: date(r.at),
                        })
                })
                .collect(),
            latest: reports
                .latest
                .get(&m.id)
                .map(|d| d.report.status.as_str().to_string()),
        })
        .collect();
    let can_report = c
        .viewer
        .as_ref()
        .is_some_and(|v| progress::may_report(&v.user, &snap, id));
    let mut ctx = tera::Context::new();
    ctx.insert("id", id);
    ctx.insert("number", &master.front.number);
    ctx.insert("title", &master.front.title);
    ctx.insert("lead_agencies", &master.front.lead_agencies);
    ctx.insert("periods", &periods);
    ctx.insert("rows", &rows);
    ctx.insert("statuses", &status_names());
    ctx.insert("can_report", &can_report);
    ctx.insert("kept", &kept);
    ctx.insert("json_url", &format!("/api/commitments/{id}/progress"));
    c.render_status(state, "commitment_progress.html", ctx, status)
}

pub async fn commitment_page(
    State(state): State<AppState>,
    Path(id): Path<String>,
    q: Q,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let c = Ctx::new(&state, q, &headers, &uri);
    render_commitment(&state, &c, &id, Kept::default(), StatusCode::OK).await
}

pub async fn report_form(
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
    let get = |k: &str| field(&pairs, k);
    let viewer = match poster(&c, &state, &get("csrf")) {
        Ok(v) => v,
        Err(page) => return *page,
    };
    let new = NewReport {
        milestone: get("milestone"),
        period: get("period"),
        status: get("status"),
        text: get("text"),
        evidence: get("evidence").lines().map(str::to_string).collect(),
    };
    let mut kept = Kept {
        milestone: get("milestone"),
        period: get("period"),
        status: get("status"),
        text: get("text"),
        evidence: get("evidence"),
        message: String::new(),
    };
    match state.progress.report(viewer.user, id.clone(), new).await {
        Ok(d) => Redirect::to(&format!(
            "/commitments/{id}/progress?lang={}#{}",
            c.lang.code(),
            d.report.milestone
        ))
        .into_response(),
        Err(e) => {
            let e: ApiError = e.into();
            if e.status == StatusCode::NOT_FOUND && e.message.starts_with("no commitment") {
                return c.error(&state, e);
            }
            kept.message = e.message;
            render_commitment(&state, &c, &id, kept, e.status).await
        }
    }
}

pub async fn commitment_api(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<CommitmentProgress>, ApiError> {
    Ok(Json(state.progress.commitment(&id).await?))
}

pub async fn report_api(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<String>,
    json: Result<Json<NewReport>, JsonRejection>,
) -> Result<Response, ApiError> {
    let new = super::inputs_api::body(json)?;
    let d = state.progress.report(user, id, new).await?;
    Ok((StatusCode::CREATED, Json(d)).into_response())
}
