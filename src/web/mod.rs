//! The web layer (axum): server-rendered pages (tera), their JSON twins under `/api`, static
//! files. Handlers are thin: they read the request, ask [`crate::workflow`], and render.
//!
//! Templates and CSS are compiled into the binary, so `codraft` runs from any folder.

mod admin;
mod api;
mod comments;
mod diff_view;
mod error;
pub mod export;
mod forum;
mod git_http;
pub mod i18n;
mod inputs;
mod inputs_api;
mod live;
pub mod markdown;
mod openapi;
mod pages;
mod progress;
mod proposals;
mod proposals_api;
mod round_changes;
mod rounds;
mod rounds_api;
pub mod session;
pub mod site;
mod timeline;
mod translations;
mod translations_api;
mod views;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderValue};
use axum::routing::{get, post};
use axum::Router;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use crate::auth::{Accounts, LoginLimiter, Sessions};
use crate::store::mirror::Mirrors;
use crate::workflow::comments::Comments;
use crate::workflow::inputs::Inputs;
use crate::workflow::live::LiveHub;
use crate::workflow::progress::Progress;
use crate::workflow::proposal::Proposals;
use crate::workflow::rounds::Rounds;
use crate::workflow::translation::Translations;
use crate::workflow::PlanReader;
use i18n::Lang;

/// The branch pages show when no `?ref=` is given.
pub const DEFAULT_REF: &str = "main";

const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../../templates/base.html")),
    ("home.html", include_str!("../../templates/home.html")),
    (
        "commitment.html",
        include_str!("../../templates/commitment.html"),
    ),
    ("history.html", include_str!("../../templates/history.html")),
    ("error.html", include_str!("../../templates/error.html")),
    ("login.html", include_str!("../../templates/login.html")),
    ("diff.html", include_str!("../../templates/diff.html")),
    ("sync.html", include_str!("../../templates/sync.html")),
    (
        "comments.html",
        include_str!("../../templates/comments.html"),
    ),
    ("export.html", include_str!("../../templates/export.html")),
    (
        "export_index.html",
        include_str!("../../templates/export_index.html"),
    ),
    (
        "translations.html",
        include_str!("../../templates/translations.html"),
    ),
    ("inputs.html", include_str!("../../templates/inputs.html")),
    ("admin.html", include_str!("../../templates/admin.html")),
    ("input.html", include_str!("../../templates/input.html")),
    (
        "input_new.html",
        include_str!("../../templates/input_new.html"),
    ),
    (
        "progress.html",
        include_str!("../../templates/progress.html"),
    ),
    (
        "commitment_progress.html",
        include_str!("../../templates/commitment_progress.html"),
    ),
    (
        "translation.html",
        include_str!("../../templates/translation.html"),
    ),
    (
        "proposals.html",
        include_str!("../../templates/proposals.html"),
    ),
    (
        "proposal.html",
        include_str!("../../templates/proposal.html"),
    ),
    (
        "proposal_new.html",
        include_str!("../../templates/proposal_new.html"),
    ),
    (
        "proposal_edit.html",
        include_str!("../../templates/proposal_edit.html"),
    ),
    ("compare.html", include_str!("../../templates/compare.html")),
    ("editor.html", include_str!("../../templates/editor.html")),
    ("forum.html", include_str!("../../templates/forum.html")),
    (
        "forum_change.html",
        include_str!("../../templates/forum_change.html"),
    ),
    (
        "timeline.html",
        include_str!("../../templates/timeline.html"),
    ),
    (
        "rounds_compare.html",
        include_str!("../../templates/rounds_compare.html"),
    ),
    ("rounds.html", include_str!("../../templates/rounds.html")),
    ("round.html", include_str!("../../templates/round.html")),
    (
        "round_new.html",
        include_str!("../../templates/round_new.html"),
    ),
    (
        "round_correction.html",
        include_str!("../../templates/round_correction.html"),
    ),
];

const STYLE_CSS: &str = include_str!("../../static/style.css");
const LIVE_JS: &str = include_str!("../../static/live.js");

/// The tera templates, shared by every handler.
#[derive(Clone)]
pub struct Renderer {
    tera: Arc<tera::Tera>,
}

impl Renderer {
    pub fn new() -> Result<Renderer, tera::Error> {
        let mut tera = tera::Tera::default();
        tera.add_raw_templates(TEMPLATES.iter().copied())?;
        tera.autoescape_on(vec![".html"]);
        tera.set_escape_fn(escape_html);
        // tera's own `urlencode` needs its "builtins" feature (and its dependencies).
        tera.register_filter("urlencode", |v: &tera::Value, _: &_| {
            let s = tera::try_get_value!("urlencode", "value", String, v);
            Ok(tera::Value::String(pages::encode(&s)))
        });
        tera.register_filter("short_id", |v: &tera::Value, _: &_| {
            let s = tera::try_get_value!("short_id", "value", String, v);
            Ok(tera::Value::String(s.chars().take(10).collect()))
        });
        Ok(Renderer {
            tera: Arc::new(tera),
        })
    }

    /// Renders a page. `switch_url` is this page in the other UI language.
    pub fn page(
        &self,
        name: &str,
        lang: Lang,
        mut ctx: tera::Context,
        switch_url: &str,
    ) -> Result<String, tera::Error> {
        ctx.insert("t", &lang.strings());
        ctx.insert("lang", lang.code());
        ctx.insert("switch_url", switch_url);
        self.tera.render(name, &ctx)
    }
}

/// Escapes text for HTML text and quoted attributes. Unlike tera's default it leaves `/` as
/// it is, so URLs in `href` stay readable.
fn escape_html(input: &str) -> String {
    let mut out = String::with_capacity(input.len() + 16);
    for c in input.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
    out
}

/// Public input one address may send per [`INPUT_WINDOW`].
pub const INPUTS_PER_ADDRESS: usize = 5;
pub const INPUT_WINDOW: std::time::Duration = std::time::Duration::from_secs(10 * 60);

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub plan: PlanReader,
    pub render: Renderer,
    pub proposals: Proposals,
    pub rounds: Rounds,
    pub translations: Translations,
    pub inputs: Inputs,
    pub comments: Comments,
    pub git: git_http::GitHttp,
    pub mirrors: Mirrors,
    pub webhooks: crate::webhooks::Webhooks,
    pub progress: Progress,
    pub accounts: Accounts,
    pub sessions: Arc<Sessions>,
    pub limiter: Arc<LoginLimiter>,
    /// Public input per address: [`INPUTS_PER_ADDRESS`] per [`INPUT_WINDOW`].
    pub input_limiter: Arc<LoginLimiter>,
    pub live: LiveHub,
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(pages::home))
        .route("/commitments/{id}", get(pages::commitment))
        .route("/commitments/{id}/history", get(pages::history))
        .route("/static/style.css", get(style))
        .route("/static/live.js", get(live_js))
        .route("/edit", get(live::editor))
        .route("/live", get(live::socket))
        .route("/api/openapi.json", get(openapi::document))
        .route("/healthz", get(api::healthz))
        .route("/admin", get(admin::page))
        .route("/api/admin/mirrors", get(admin::mirrors_api))
        .route("/api/admin/webhooks", get(admin::webhooks_api))
        .route(
            "/api/admin/webhooks/{name}/redeliver",
            post(admin::redeliver_api),
        )
        .route(
            "/admin/webhooks/{name}/redeliver",
            post(admin::redeliver_form),
        )
        .route(
            "/plan.git/{*rest}",
            get(git_http::serve)
                .post(git_http::serve)
                .layer(DefaultBodyLimit::max(git_http::MAX_PUSH_BYTES)),
        )
        .route("/api/plan", get(api::plan))
        .route("/api/commitments", get(api::commitments))
        .route("/api/commitments/{id}", get(api::commitment))
        .route("/api/commitments/{id}/history", get(api::history))
        .route(
            "/api/commitments/{id}/comments",
            get(comments::list_api).post(comments::add_api),
        )
        .route(
            "/api/commitments/{id}/comments/{n}/hide",
            post(comments::hide_api),
        )
        .route("/commitments/{id}/comments", post(comments::add_form))
        .route(
            "/commitments/{id}/comments/{n}/hide",
            post(comments::hide_form),
        )
        .route("/login", get(session::login_page).post(session::login))
        .route("/logout", post(session::logout))
        .route("/proposals", get(proposals::list).post(proposals::create))
        .route("/proposals/new", get(proposals::new_form))
        .route("/proposals/{n}", get(proposals::show))
        .route(
            "/proposals/{n}/edit",
            get(proposals::edit_form).post(proposals::edit),
        )
        .route("/proposals/{n}/delete", post(proposals::delete_commitment))
        .route("/proposals/{n}/reviews", post(proposals::review))
        .route("/proposals/{n}/merge", post(proposals::merge))
        .route("/proposals/{n}/update", post(proposals::update_from_main))
        .route("/proposals/{n}/close", post(proposals::close))
        .route("/compare", get(proposals::compare_page))
        .route(
            "/api/proposals",
            get(proposals_api::list).post(proposals_api::open),
        )
        .route("/api/proposals/{n}", get(proposals_api::get))
        .route("/api/proposals/{n}/diff", get(proposals_api::diff))
        .route("/api/proposals/{n}/commits", post(proposals_api::update))
        .route("/api/proposals/{n}/reviews", post(proposals_api::review))
        .route("/api/proposals/{n}/merge", post(proposals_api::merge))
        .route(
            "/api/proposals/{n}/update-from-main",
            post(proposals_api::update_from_main),
        )
        .route("/api/proposals/{n}/close", post(proposals_api::close))
        .route("/api/compare", get(proposals_api::compare_refs))
        .route("/api/me", get(proposals_api::me))
        .route("/forum", get(forum::page))
        .route("/forum/changes/{commit}", get(forum::change_page))
        .route("/api/forum", get(forum::api))
        .route("/api/forum/changes/{commit}", get(forum::change_api))
        .route("/timeline", get(timeline::page))
        .route("/api/timeline", get(timeline::api))
        .route(
            "/api/commitments/{id}/rounds",
            get(round_changes::commitment_api),
        )
        .route("/rounds/compare", get(round_changes::compare_page))
        .route("/rounds", get(rounds::list).post(rounds::schedule))
        .route("/rounds/new", get(rounds::new_form))
        .route("/rounds/{name}", get(rounds::show))
        .route("/rounds/{name}/open", post(rounds::open))
        .route("/rounds/{name}/votes", post(rounds::vote))
        .route("/rounds/{name}/close", post(rounds::close))
        .route("/rounds/{name}/minutes", post(rounds::minutes))
        .route(
            "/rounds/{name}/correction",
            get(rounds::correction_form).post(rounds::correct),
        )
        .route("/api/rounds/compare", get(round_changes::compare_api))
        .route(
            "/api/rounds",
            get(rounds_api::list).post(rounds_api::schedule),
        )
        .route("/api/rounds/{name}", get(rounds_api::get))
        .route("/api/rounds/{name}/open", post(rounds_api::open))
        .route("/api/rounds/{name}/votes", post(rounds_api::vote))
        .route("/api/rounds/{name}/close", post(rounds_api::close))
        .route("/api/rounds/{name}/minutes", post(rounds_api::minutes))
        .route(
            "/api/inputs",
            get(inputs_api::list)
                .post(inputs_api::submit)
                .layer(DefaultBodyLimit::max(inputs_api::MAX_BODY_BYTES)),
        )
        .route(
            "/inputs",
            get(inputs::list)
                .post(inputs::create)
                .layer(DefaultBodyLimit::max(inputs_api::MAX_BODY_BYTES)),
        )
        .route("/inputs/new", get(inputs::new_form))
        .route("/inputs/{n}", get(inputs::show))
        .route("/inputs/{n}/{action}", post(inputs::act))
        .route("/api/inputs/waiting", get(inputs_api::waiting))
        .route("/api/inputs/{n}", get(inputs_api::get))
        .route("/api/inputs/{n}/assign", post(inputs_api::assign))
        .route("/api/inputs/{n}/answer", post(inputs_api::answer))
        .route("/api/inputs/{n}/hide", post(inputs_api::hide))
        // ---- progress
        .route("/progress", get(progress::plan_page))
        .route(
            "/commitments/{id}/progress",
            get(progress::commitment_page).post(progress::report_form),
        )
        .route("/api/progress", get(progress::plan_api))
        .route(
            "/api/commitments/{id}/progress",
            get(progress::commitment_api).post(progress::report_api),
        )
        .route("/translations", get(translations::dashboard))
        .route("/translations/{id}/{lang}", get(translations::view))
        .route("/translations/{id}/{lang}/sync", post(translations::sync))
        .route("/api/translations", get(translations_api::dashboard))
        .route(
            "/api/commitments/{id}/translations/{lang}",
            get(translations_api::status),
        )
        .route(
            "/api/commitments/{id}/translations/{lang}/sync",
            post(translations_api::sync),
        )
        // ---- export
        .route("/export", get(export::export))
        .fallback(pages::fallback)
        .with_state(state)
        .layer(axum::middleware::from_fn(api_errors_as_json))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'self'; img-src 'self' data:; object-src 'none'; frame-ancestors 'none'"),
        ))
        .layer(TraceLayer::new_for_http())
}

/// axum's own rejections — a path segment that is not a number (`/api/proposals/abc`), a body
/// an extractor could not read (`Option<Json<_>>` on merge) — are plain text. On the API every
/// error must be `{"error":{"code","message"}}`, so those become that shape here.
async fn api_errors_as_json(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let api = request.uri().path().starts_with("/api/");
    let response = next.run(request).await;
    let status = response.status();
    let plain = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.starts_with("text/plain"));
    if !api || !plain || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let text = axum::body::to_bytes(response.into_body(), 64 * 1024)
        .await
        .unwrap_or_default();
    let code = match status.as_u16() {
        404 => "not_found",
        413 => "too_large",
        415 | 422 => "bad_json",
        s if s >= 500 => "internal",
        _ => "bad_request",
    };
    error::ApiError::new(
        status,
        code,
        String::from_utf8_lossy(&text).trim().to_string(),
    )
    .into_response()
}

async fn style() -> impl axum::response::IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        STYLE_CSS,
    )
}

async fn live_js() -> impl axum::response::IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        LIVE_JS,
    )
}

/// What an operator sets when starting the server (`codraft serve`'s flags): how live
/// documents checkpoint and compact, and how long a web session lasts.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    pub live: crate::workflow::live::Limits,
    /// A session ends after this long without a request…
    pub session_idle: std::time::Duration,
    /// …and this long after sign-in in any case.
    pub session_max: std::time::Duration,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            live: crate::workflow::live::Limits::default(),
            session_idle: crate::auth::session::IDLE_TIMEOUT,
            session_max: crate::auth::session::ABSOLUTE_TIMEOUT,
        }
    }
}

impl From<crate::workflow::live::Limits> for Settings {
    fn from(live: crate::workflow::live::Limits) -> Settings {
        Settings {
            live,
            ..Settings::default()
        }
    }
}

/// The whole application for the data directory `data` (its `plan.git` and, beside it, the
/// accounts file).
pub fn app(data: &std::path::Path) -> anyhow_like::Result<Router> {
    app_with(data, crate::workflow::live::Limits::default())
}

/// [`app`] whose live documents checkpoint, unload and compact by other [`Limits`] (tests).
///
/// [`Limits`]: crate::workflow::live::Limits
pub fn app_with(
    data: &std::path::Path,
    live_limits: crate::workflow::live::Limits,
) -> anyhow_like::Result<Router> {
    Ok(build(data, live_limits.into())?.0)
}

/// [`app_with`] for a server that keeps running: removes the ref lock files a killed writer
/// left ([`crate::store::git::remove_stale_locks`]: the server owns the repository's writes),
/// and starts pushing to the configured mirrors
/// (`<data>/mirrors.toml`, see [`crate::store::mirror`]) and delivering webhooks
/// (`<data>/webhooks.toml`, see [`crate::webhooks`]). Needs a tokio runtime.
pub fn app_serving(
    data: &std::path::Path,
    settings: impl Into<Settings>,
) -> anyhow_like::Result<Router> {
    let repo = crate::workflow::setup::repo_path(data);
    for lock in crate::store::git::remove_stale_locks(&repo)? {
        tracing::warn!(lock = %lock.display(), "removed a lock file a stopped writer left behind");
    }
    let (router, state) = build(data, settings.into())?;
    state.mirrors.spawn();
    state.webhooks.spawn();
    Ok(router)
}

fn build(data: &std::path::Path, settings: Settings) -> anyhow_like::Result<(Router, AppState)> {
    let repo = crate::workflow::setup::repo_path(data);
    let store = crate::store::Store::open(&repo)?;
    if let Err(e) = git_http::install_hook(&repo) {
        tracing::warn!(error = %e, "the pre-receive hook could not be installed: pushes over HTTP are refused");
    }
    let accounts = Accounts::open(data)?;
    let plan = PlanReader::new(store.clone());
    let mirrors = Mirrors::load(data, &repo).map_err(std::io::Error::other)?;
    let webhooks =
        crate::webhooks::Webhooks::load(data, store.clone()).map_err(std::io::Error::other)?;
    let state = AppState {
        mirrors,
        webhooks,
        translations: Translations::new(store.clone(), plan.clone()),
        inputs: Inputs::new(store.clone(), data, crate::workflow::system_clock()),
        comments: Comments::new(store.clone(), crate::workflow::system_clock()),
        git: git_http::GitHttp::new(data),
        progress: Progress::new(store.clone(), plan.clone(), crate::workflow::system_clock()),
        plan,
        render: Renderer::new()?,
        proposals: Proposals::new(store.clone()),
        rounds: Rounds::new(store.clone()),
        live: LiveHub::with_limits(store, accounts.clone(), data.join("live"), settings.live),
        accounts,
        sessions: Arc::new(Sessions::with_timeouts(
            settings.session_idle,
            settings.session_max,
        )),
        limiter: Arc::new(LoginLimiter::default()),
        input_limiter: Arc::new(LoginLimiter::new(INPUTS_PER_ADDRESS, INPUT_WINDOW)),
    };
    Ok((router(state.clone()), state))
}

/// Serves the data directory `data` on `listen` until Ctrl-C.
pub async fn serve(
    data: &std::path::Path,
    listen: SocketAddr,
    settings: Settings,
) -> anyhow_like::Result<()> {
    let app = app_serving(data, settings)?;
    let repo = crate::workflow::setup::repo_path(data);
    let listener = tokio::net::TcpListener::bind(listen).await?;
    let addr = listener.local_addr()?;
    // Live-editing ops are small frames that must leave at once, not wait for Nagle.
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        let _ = tcp.set_nodelay(true);
    });
    println!(
        "codraft is serving {} on http://{addr}/ (Ctrl-C to stop)",
        repo.display()
    );
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    Ok(())
}

/// A boxed error for the command line, without another dependency.
pub mod anyhow_like {
    pub type Result<T> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;
}

#[cfg(test)]
mod tests {
    #[test]
    fn templates_parse() {
        if let Err(e) = super::Renderer::new() {
            let mut msg = e.to_string();
            let mut source = std::error::Error::source(&e);
            while let Some(s) = source {
                msg.push_str(&format!("\n{s}"));
                source = s.source();
            }
            panic!("{msg}");
        }
    }
}
