//! The OpenAPI 3.1 description of the JSON API, served at `GET /api/openapi.json`.
//!
//! The document is the hand-maintained file `static/openapi.json`, compiled in. It describes
//! every route under `/api/` and `/healthz`: parameters, the body each write takes (every field
//! its input struct accepts, since most refuse unknown fields), the success answer, the shared
//! error shape and which routes need `Authorization: Bearer <token>`. `tests/openapi.rs` checks
//! it against the route table of [`super::router`] both ways, and against a running server.

use axum::http::header;
use axum::response::IntoResponse;

const DOCUMENT: &str = include_str!("../../static/openapi.json");

/// `GET /api/openapi.json`
pub async fn document() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        DOCUMENT,
    )
}
