//! Export over HTTP (and for `codraft export`): `/export` lists every document (language ×
//! `main` and each round tag × Markdown and HTML); `/export?lang=&ref=&format=` returns one.
//! The document itself is [`crate::workflow::export`]'s; this module only labels it with the
//! i18n strings and renders the HTML (`templates/export.html`, its own print stylesheet, section
//! Markdown through [`super::markdown`]).

use std::collections::BTreeMap;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::workflow::export::{self, ExportDoc, Format, Source, Strings};
use crate::workflow::translation::Translations;
use crate::workflow::{PlanReader, WorkflowError};

use super::error::ApiError;
use super::i18n::Lang;
use super::pages::{Ctx, Q};
use super::{AppState, Renderer, DEFAULT_REF};

/// The labels for a document language: the UI strings of the closest UI language (English for
/// a language the UI does not have).
pub fn strings_for(lang: &str) -> Strings {
    Lang::from_tag(lang).unwrap_or(Lang::En).strings()
}

/// A rendered document.
pub struct Rendered {
    pub body: String,
    pub file_name: String,
    pub format: Format,
}

/// Why a document could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Workflow(#[from] WorkflowError),
    #[error("the document could not be rendered: {0}")]
    Render(#[from] tera::Error),
}

/// The labelled document of `source`.
pub fn build(source: &Source) -> ExportDoc {
    export::build(
        source,
        &strings_for(&source.lang),
        &strings_for(source.master_language()),
    )
}

/// The document as a standalone HTML page with its own print stylesheet.
pub fn html(render: &Renderer, doc: &ExportDoc) -> Result<String, tera::Error> {
    let html: BTreeMap<&str, String> = doc
        .areas
        .iter()
        .flat_map(|a| &a.commitments)
        .flat_map(|c| &c.sections)
        .map(|s| (s.anchor.as_str(), super::markdown::to_html(&s.markdown)))
        .collect();
    let mut ctx = tera::Context::new();
    ctx.insert("d", doc);
    ctx.insert("html", &html);
    render.tera.render("export.html", &ctx)
}

/// The plan at `rev` in `lang` (default: the master) as one document in `format`: what both
/// `/export` and `codraft export` answer.
pub async fn document(
    plan: &PlanReader,
    translations: &Translations,
    render: &Renderer,
    rev: &str,
    lang: Option<&str>,
    format: Format,
) -> Result<Rendered, ExportError> {
    let source = export::load(plan, translations, rev, lang).await?;
    let doc = build(&source);
    let body = match format {
        Format::Markdown => export::to_markdown(&doc),
        Format::Html => html(render, &doc)?,
    };
    Ok(Rendered {
        file_name: export::file_name(rev, &source.lang, format),
        body,
        format,
    })
}

#[derive(Deserialize, Default)]
pub struct ExportQuery {
    /// Document language (with `ref` or `format`); the UI language on the list page.
    lang: Option<String>,
    #[serde(rename = "ref")]
    rev: Option<String>,
    format: Option<String>,
}

/// `GET /export`: the list page, or with `ref` or `format` one document.
pub async fn export(
    State(state): State<AppState>,
    q: Q,
    eq: Result<Query<ExportQuery>, QueryRejection>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let eq = match eq {
        Ok(Query(eq)) => eq,
        Err(e) => {
            return ApiError::new(StatusCode::BAD_REQUEST, "bad_query", e.body_text())
                .into_response()
        }
    };
    if eq.rev.is_none() && eq.format.is_none() {
        return list(&state, Ctx::new(&state, q, &headers, &uri)).await;
    }
    let format = match eq
        .format
        .as_deref()
        .map_or(Some(Format::Markdown), Format::parse)
    {
        Some(f) => f,
        None => {
            return ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad_format",
                "format is md or html",
            )
            .into_response()
        }
    };
    let rev = eq.rev.as_deref().unwrap_or(DEFAULT_REF);
    match document(
        &state.plan,
        &state.translations,
        &state.render,
        rev,
        eq.lang.as_deref(),
        format,
    )
    .await
    {
        Ok(doc) => respond(doc),
        Err(ExportError::Workflow(e)) => ApiError::from(e).into_response(),
        Err(ExportError::Render(e)) => {
            tracing::error!(error = ?e, "export render failed");
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "the document could not be rendered",
            )
            .into_response()
        }
    }
}

fn respond(doc: Rendered) -> Response {
    let content_type = match doc.format {
        Format::Markdown => "text/markdown; charset=utf-8",
        Format::Html => "text/html; charset=utf-8",
    };
    let mut response = (
        [(header::CONTENT_TYPE, HeaderValue::from_static(content_type))],
        doc.body,
    )
        .into_response();
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&format!("inline; filename=\"{}\"", doc.file_name)) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    if doc.format == Format::Html {
        // The page's own inline stylesheet; nothing else may load or run.
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'none'; style-src 'unsafe-inline'; img-src data:; \
                 base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
            ),
        );
    }
    response
}

async fn list(state: &AppState, c: Ctx) -> Response {
    let targets = match export::targets(&state.plan).await {
        Ok(t) => t,
        Err(e) => return c.error(state, e.into()),
    };
    let mut ctx = tera::Context::new();
    ctx.insert("targets", &targets);
    c.render(state, "export_index.html", ctx)
}
