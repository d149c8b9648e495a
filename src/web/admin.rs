//! The secretariat's admin page (`/admin`) and its JSON (`/api/admin/mirrors`,
//! `/api/admin/webhooks`): the push mirrors and the webhooks, how each stands (last success,
//! the last failure and how many in a row, deliveries waiting or failed), and the button that
//! sends a failed webhook delivery again.

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use serde::Deserialize;

use crate::auth::{Role, User};
use crate::store::mirror::MirrorStatus;
use crate::webhooks::{RedeliverError, WebhookStatus};

use super::error::ApiError;
use super::pages::{encode, Ctx, Q};
use super::proposals::{field, pairs_of, poster, to_login, FormPairs};
use super::proposals_api::body;
use super::session::ApiUser;
use super::AppState;

fn display_time(t: Option<i64>) -> String {
    t.map(|t| super::views::format_time(t, 0).1 + " UTC")
        .unwrap_or_default()
}

fn require_admin(user: &User, what: &str) -> Result<(), ApiError> {
    if user.has(Role::Admin) {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!("{what} are the secretariat's"),
        ))
    }
}

pub async fn page(State(state): State<AppState>, q: Q, headers: HeaderMap, uri: Uri) -> Response {
    let c = Ctx::new(&state, q, &headers, &uri);
    let Some(viewer) = &c.viewer else {
        return to_login(&c, &uri);
    };
    if !viewer.user.has(Role::Admin) {
        return c.error(
            &state,
            ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "the admin page is the secretariat's",
            ),
        );
    }
    let mirrors: Vec<serde_json::Value> = state
        .mirrors
        .status()
        .into_iter()
        .map(|m| {
            let mut v = serde_json::to_value(&m).unwrap_or_default();
            v["last_ok_display"] = display_time(m.last_ok_at).into();
            v
        })
        .collect();
    let webhooks: Vec<serde_json::Value> = state
        .webhooks
        .status()
        .into_iter()
        .map(|w| {
            let mut v = serde_json::to_value(&w).unwrap_or_default();
            v["last_ok_display"] = display_time(w.last_ok_at).into();
            for (i, d) in w.failed.iter().enumerate() {
                v["failed"][i]["queued_display"] = display_time(Some(d.queued_at)).into();
            }
            for (i, d) in w.recent.iter().enumerate() {
                v["recent"][i]["at_display"] = display_time(Some(d.at)).into();
            }
            v
        })
        .collect();
    let mut ctx = tera::Context::new();
    ctx.insert("mirrors", &mirrors);
    ctx.insert("webhooks", &webhooks);
    ctx.insert("kinds", crate::workflow::activity::KINDS);
    ctx.insert("json_url", "/api/admin/webhooks");
    c.render(&state, "admin.html", ctx)
}

pub async fn mirrors_api(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
) -> Result<Json<Vec<MirrorStatus>>, ApiError> {
    require_admin(&user, "mirrors")?;
    Ok(Json(state.mirrors.status()))
}

/// `GET /api/admin/webhooks`: each webhook with its pending, failed and recent deliveries.
pub async fn webhooks_api(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
) -> Result<Json<Vec<WebhookStatus>>, ApiError> {
    require_admin(&user, "webhooks")?;
    Ok(Json(state.webhooks.status()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RedeliverInput {
    id: String,
}

fn redeliver_error(e: RedeliverError) -> ApiError {
    match e {
        RedeliverError::UnknownHook => {
            ApiError::new(StatusCode::NOT_FOUND, "unknown_webhook", e.to_string())
        }
        RedeliverError::UnknownDelivery => {
            ApiError::new(StatusCode::NOT_FOUND, "unknown_delivery", e.to_string())
        }
        RedeliverError::Save(_) => ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "outbox_unwritable",
            e.to_string(),
        ),
    }
}

/// `POST /api/admin/webhooks/{name}/redeliver` `{"id": "<delivery id>"}`: queues a failed
/// delivery again and tries it at once; answers with the webhook's status.
pub async fn redeliver_api(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(name): Path<String>,
    json: Result<Json<RedeliverInput>, JsonRejection>,
) -> Result<Json<WebhookStatus>, ApiError> {
    require_admin(&user, "webhooks")?;
    let input = body(json)?;
    state
        .webhooks
        .redeliver(&name, &input.id)
        .await
        .map_err(redeliver_error)?;
    let status = state.webhooks.status().into_iter().find(|w| w.name == name);
    status
        .map(Json)
        .ok_or_else(|| redeliver_error(RedeliverError::UnknownHook))
}

/// `POST /admin/webhooks/{name}/redeliver`: `csrf`, `id`.
pub async fn redeliver_form(
    State(state): State<AppState>,
    Path(name): Path<String>,
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
    if let Err(e) = require_admin(&viewer.user, "webhooks") {
        return c.error(&state, e);
    }
    match state.webhooks.redeliver(&name, &field(&pairs, "id")).await {
        Ok(()) => Redirect::to(&format!(
            "/admin?lang={}#webhook-{}",
            c.lang.code(),
            encode(&name)
        ))
        .into_response(),
        Err(e) => c.error(&state, redeliver_error(e)),
    }
}
