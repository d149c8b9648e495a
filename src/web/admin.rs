//! The secretariat's admin page (`/admin`) and its JSON (`/api/admin/mirrors`): the push
//! mirrors and how each stands (last success, the last failure and how many in a row).

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use axum::Json;

use crate::auth::Role;
use crate::store::mirror::MirrorStatus;

use super::error::ApiError;
use super::pages::{Ctx, Q};
use super::proposals::to_login;
use super::session::ApiUser;
use super::AppState;

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
            v["last_ok_display"] = m
                .last_ok_at
                .map(|t| super::views::format_time(t, 0).1 + " UTC")
                .unwrap_or_default()
                .into();
            v
        })
        .collect();
    let mut ctx = tera::Context::new();
    ctx.insert("mirrors", &mirrors);
    ctx.insert("json_url", "/api/admin/mirrors");
    c.render(&state, "admin.html", ctx)
}

pub async fn mirrors_api(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
) -> Result<Json<Vec<MirrorStatus>>, ApiError> {
    if !user.has(Role::Admin) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "mirrors are the secretariat's",
        ));
    }
    Ok(Json(state.mirrors.status()))
}
