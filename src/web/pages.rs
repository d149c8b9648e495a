//! HTML pages: the plan home, a commitment, its history. Readable without JavaScript; each
//! links to its JSON twin and to itself in the other UI language.

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use std::sync::Arc;

use crate::workflow::PlanSnapshot;

use super::error::{ApiError, PageError};
use super::i18n::{Lang, COOKIE};
use super::views;
use super::{AppState, DEFAULT_REF};

#[derive(Deserialize, Default)]
pub struct PageQuery {
    /// UI language.
    lang: Option<String>,
    #[serde(rename = "ref")]
    rev: Option<String>,
    /// Document language on a commitment page.
    doc: Option<String>,
}

/// What every page handler works out first.
pub(super) struct Ctx {
    pub(super) lang: Lang,
    set_cookie: bool,
    rev: String,
    /// `rev` was given explicitly (the page shows a "you are reading an old version" note).
    pinned: bool,
    pub(super) doc: Option<String>,
    path: String,
    /// The signed-in person, if any.
    pub(super) viewer: Option<super::session::Viewer>,
    /// Extra query pairs this page keeps when switching UI language.
    pub(super) keep: Vec<(String, String)>,
}

impl Ctx {
    pub(super) fn new(
        state: &AppState,
        q: Result<Query<PageQuery>, axum::extract::rejection::QueryRejection>,
        headers: &HeaderMap,
        uri: &Uri,
    ) -> Ctx {
        let q = q.map(|Query(q)| q).unwrap_or_default();
        let query_lang = q.lang.as_deref().and_then(Lang::from_tag);
        Ctx {
            lang: Lang::negotiate(q.lang.as_deref(), headers),
            set_cookie: query_lang.is_some(),
            pinned: q.rev.is_some(),
            rev: q.rev.unwrap_or_else(|| DEFAULT_REF.to_string()),
            doc: q.doc,
            path: uri.path().to_string(),
            viewer: super::session::Viewer::of(state, headers),
            keep: Vec::new(),
        }
    }

    /// This page's URL with the given UI language, keeping `ref` and `doc`.
    fn url_in(&self, lang: Lang) -> String {
        let mut url = format!("{}?lang={}", self.path, lang.code());
        if self.pinned {
            url.push_str(&format!("&ref={}", encode(&self.rev)));
        }
        if let Some(doc) = &self.doc {
            url.push_str(&format!("&doc={}", encode(doc)));
        }
        for (k, v) in &self.keep {
            url.push_str(&format!("&{k}={}", encode(v)));
        }
        url
    }

    /// The plan at the requested ref, or the error page to answer with.
    pub(super) async fn snapshot(&self, state: &AppState) -> Result<Arc<PlanSnapshot>, Response> {
        state
            .plan
            .at(&self.rev)
            .await
            .map_err(|e| self.error(state, e.into()))
    }

    pub(super) fn error(&self, state: &AppState, error: ApiError) -> Response {
        PageError {
            lang: self.lang,
            error,
            render: state.render.clone(),
            switch_url: self.url_in(self.lang.other()),
        }
        .into_response()
    }

    pub(super) fn render(&self, state: &AppState, name: &str, ctx: tera::Context) -> Response {
        self.render_status(state, name, ctx, StatusCode::OK)
    }

    pub(super) fn render_status(
        &self,
        state: &AppState,
        name: &str,
        mut ctx: tera::Context,
        status: StatusCode,
    ) -> Response {
        ctx.insert("rev", &self.rev);
        ctx.insert("pinned", &self.pinned);
        if let Some(v) = &self.viewer {
            ctx.insert("me", &v.user);
            ctx.insert("csrf", &v.csrf);
        }
        ctx.insert("here", &self.url_in(self.lang));
        match state
            .render
            .page(name, self.lang, ctx, &self.url_in(self.lang.other()))
        {
            Ok(html) => {
                let mut response = (status, Html(html)).into_response();
                if self.set_cookie {
                    let cookie = format!(
                        "{COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax",
                        self.lang.code()
                    );
                    if let Ok(v) = cookie.parse() {
                        response.headers_mut().insert(header::SET_COOKIE, v);
                    }
                }
                response.headers_mut().insert(
                    header::VARY,
                    header::HeaderValue::from_static("cookie, accept-language"),
                );
                response
            }
            Err(e) => {
                tracing::error!(error = ?e, template = name, "render failed");
                self.error(
                    state,
                    ApiError::new(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "internal",
                        "the page could not be rendered",
                    ),
                )
            }
        }
    }
}

/// Percent-encodes a query value.
pub(super) fn encode(value: &str) -> String {
    let mut out = String::new();
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

pub(super) type Q = Result<Query<PageQuery>, axum::extract::rejection::QueryRejection>;

pub async fn home(State(state): State<AppState>, q: Q, headers: HeaderMap, uri: Uri) -> Response {
    let c = Ctx::new(&state, q, &headers, &uri);
    let snapshot = match c.snapshot(&state).await {
        Ok(s) => s,
        Err(page) => return page,
    };
    let mut ctx = tera::Context::new();
    ctx.insert("plan", &views::plan(&snapshot, c.lang.code()));
    ctx.insert("json_url", "/api/plan");
    c.render(&state, "home.html", ctx)
}

pub async fn commitment(
    State(state): State<AppState>,
    Path(id): Path<String>,
    q: Q,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let c = Ctx::new(&state, q, &headers, &uri);
    let snapshot = match c.snapshot(&state).await {
        Ok(s) => s,
        Err(page) => return page,
    };
    let Some(entry) = snapshot.commitment(&id) else {
        return c.error(
            &state,
            ApiError::not_found(format!("no commitment \"{id}\" at {}", c.rev)),
        );
    };
    let doc_lang = c
        .doc
        .clone()
        .unwrap_or_else(|| snapshot.master_language().to_string());
    let mut ctx = tera::Context::new();
    ctx.insert(
        "plan_title",
        snapshot
            .config
            .plan
            .title
            .get(c.lang.code(), snapshot.master_language()),
    );
    ctx.insert("id", &id);
    ctx.insert("doc_lang", &doc_lang);
    ctx.insert(
        "json_url",
        &format!("/api/commitments/{id}?lang={}", encode(&doc_lang)),
    );
    let mut languages: Vec<&String> = entry.versions.keys().collect();
    languages.sort_by_key(|lang| lang.as_str() != snapshot.master_language());
    ctx.insert("languages", &languages);
    match entry.versions.get(&doc_lang) {
        None => {
            return c.error(
                &state,
                ApiError::not_found(format!("commitment \"{id}\" has no \"{doc_lang}\" version")),
            )
        }
        Some(Err(problems)) => {
            ctx.insert("problems", &problems.0);
            ctx.insert("title", &id);
        }
        Some(Ok(doc)) => {
            let view = views::commitment(&snapshot, doc, &doc_lang, c.lang.code(), true);
            ctx.insert("title", &view.title);
            ctx.insert("c", &view);
            // What is still to be filled in (through proposals), labelled in the UI language.
            let headings: Vec<(String, String)> = doc
                .sections
                .iter()
                .map(|s| (s.id.clone(), s.heading.clone()))
                .collect();
            let to_fill: Vec<serde_json::Value> = crate::doc::completeness::gaps(doc)
                .into_iter()
                .map(|g| {
                    let label = if g.label.is_empty() {
                        let field = match g.key.strip_prefix("section.") {
                            Some(id) => format!("section.{id}.text"),
                            None => g.key.clone(),
                        };
                        super::live::describe(&field, &c, &headings).0
                    } else {
                        g.label.clone()
                    };
                    serde_json::json!({"key": g.key, "label": label, "state": g.state, "text": g.text})
                })
                .collect();
            ctx.insert("to_fill", &to_fill);
        }
    }
    if doc_lang != snapshot.master_language() {
        // Stale units of this translation: a notice on each (an unreadable record: none).
        let stale = state
            .translations
            .stale_notes(snapshot.clone(), &id, &doc_lang)
            .await
            .unwrap_or_default();
        ctx.insert("master_lang", snapshot.master_language());
        ctx.insert(
            "stale_other",
            &stale
                .keys()
                .any(|k| !k.starts_with("section.") && !k.starts_with("milestone.")),
        );
        ctx.insert("stale", &stale);
    }
    if let Some(comments) = super::comments::section(&state, &snapshot, &id).await {
        ctx.insert("comments", &comments);
    }
    if let Some(rounds) =
        super::round_changes::commitment_section(&state, &snapshot, &id, c.lang).await
    {
        ctx.insert("rounds", &rounds);
    }
    c.render(&state, "commitment.html", ctx)
}

pub async fn history(
    State(state): State<AppState>,
    Path(id): Path<String>,
    q: Q,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let c = Ctx::new(&state, q, &headers, &uri);
    let snapshot = match c.snapshot(&state).await {
        Ok(s) => s,
        Err(page) => return page,
    };
    let commits = match state.plan.commitment_history(&snapshot, &id, 500).await {
        Ok(commits) => commits,
        Err(e) => return c.error(&state, e.into()),
    };
    let title = snapshot
        .commitment(&id)
        .and_then(|e| e.master(snapshot.master_language()))
        .map_or(id.clone(), |d| d.front.title.clone());
    let mut ctx = tera::Context::new();
    ctx.insert("id", &id);
    ctx.insert("title", &title);
    ctx.insert("commits", &views::commits(&snapshot, commits));
    let leads = crate::workflow::lead_history::lead_history(&state.plan, &snapshot, &id)
        .await
        .unwrap_or_default();
    ctx.insert("leads", &leads);
    ctx.insert("json_url", &format!("/api/commitments/{id}/history"));
    c.render(&state, "history.html", ctx)
}

/// Unknown paths: JSON under `/api`, a page elsewhere.
pub async fn fallback(State(state): State<AppState>, headers: HeaderMap, uri: Uri) -> Response {
    let error = ApiError::not_found(format!("no page at {}", uri.path()));
    if uri.path().starts_with("/api/") || uri.path() == "/api" {
        return error.into_response();
    }
    let c = Ctx::new(&state, Ok(Query(PageQuery::default())), &headers, &uri);
    c.error(&state, error)
}
