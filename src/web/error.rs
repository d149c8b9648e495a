//! Errors as the two audiences see them: the API answers `{"error":{"code","message"}}` with a
//! 4xx/5xx status; pages answer a readable page in the reader's language.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::Json;

use crate::workflow::WorkflowError;

use super::i18n::Lang;

/// An error of the JSON API.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }

    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", message)
    }
}

impl From<WorkflowError> for ApiError {
    fn from(e: WorkflowError) -> ApiError {
        match e {
            WorkflowError::NotFound(m) => ApiError::not_found(m),
            WorkflowError::BadRef(m) => ApiError::new(StatusCode::BAD_REQUEST, "bad_ref", m),
            WorkflowError::Invalid(p) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_document",
                p.to_string(),
            ),
            WorkflowError::Forbidden(m) => ApiError::new(StatusCode::FORBIDDEN, "forbidden", m),
            WorkflowError::Denied { code, message } => {
                ApiError::new(StatusCode::FORBIDDEN, code, message)
            }
            WorkflowError::BadInput { code, message } => {
                ApiError::new(StatusCode::BAD_REQUEST, code, message)
            }
            WorkflowError::Rejected { code, message } => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
            }
            WorkflowError::Conflict { code, message } => {
                ApiError::new(StatusCode::CONFLICT, code, message)
            }
            WorkflowError::Store(e) => {
                tracing::error!(error = %e, "store error");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "the repository could not be read or written; the error is logged",
                )
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({"error": {"code": self.code, "message": self.message}});
        (self.status, Json(body)).into_response()
    }
}

/// An error shown as a page.
pub struct PageError {
    pub lang: Lang,
    pub error: ApiError,
    pub render: super::Renderer,
    /// The failed page in the other UI language.
    pub switch_url: String,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let t = self.lang.strings();
        let title_key = match self.error.status.as_u16() {
            404 => "not_found",
            400..=499 => "bad_request",
            _ => "server_error",
        };
        let mut ctx = tera::Context::new();
        ctx.insert("title", t[title_key]);
        ctx.insert("message", &self.error.message);
        match self
            .render
            .page("error.html", self.lang, ctx, &self.switch_url)
        {
            Ok(html) => (self.error.status, Html(html)).into_response(),
            Err(_) => (self.error.status, self.error.message).into_response(),
        }
    }
}
