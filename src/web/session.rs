//! Who is asking: a signed-in person on the site (session cookie, with its CSRF token) or a
//! program on the API (`Authorization: Bearer <token>`). Sign-in and sign-out pages live here
//! too. Accounts, hashes, sessions and the login limiter are [`crate::auth`]'s; this module
//! only speaks HTTP for them.

use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;

use crate::auth::User;

use super::error::ApiError;
use super::AppState;

pub const SESSION_COOKIE: &str = "codraft_session";
const LOGIN_CSRF_COOKIE: &str = "codraft_login";

/// Reads one cookie.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A person signed in on the site, with the CSRF token every form of theirs must carry.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub user: User,
    pub csrf: String,
}

impl Viewer {
    /// The signed-in person of a page request, if any.
    pub fn of(state: &AppState, headers: &HeaderMap) -> Option<Viewer> {
        let token = cookie(headers, SESSION_COOKIE)?;
        let session = state.sessions.get(token)?;
        let user = state.accounts.user(&session.user_id)?;
        Some(Viewer {
            user,
            csrf: session.csrf,
        })
    }

    /// Whether a submitted form's CSRF token is this session's.
    pub fn csrf_ok(&self, given: &str) -> bool {
        crate::auth::csrf_matches(&self.csrf, given)
    }
}

/// The user of an API request that changes something: a valid bearer token is required.
/// Cookies are ignored on the API, so a page from elsewhere cannot use a browser's session.
pub struct ApiUser(pub User);

impl FromRequestParts<AppState> for ApiUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<ApiUser, ApiError> {
        let unauthorized = |m: &str| ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", m);
        let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
            return Err(unauthorized(
                "this request needs an API token: Authorization: Bearer <token> (codraft user add prints one)",
            ));
        };
        let token = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty() && t.len() <= 200)
            .ok_or_else(|| unauthorized("the Authorization header must be \"Bearer <token>\""))?;
        state
            .accounts
            .user_for_token(token)
            .map(ApiUser)
            .ok_or_else(|| unauthorized("unknown or revoked API token"))
    }
}

/// The address a request came from (the peer of the TCP connection when the server was
/// started with connect info, as `serve` does; loopback otherwise).
pub struct ClientAddr(pub std::net::IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<ClientAddr, Self::Rejection> {
        Ok(ClientAddr(
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map_or(std::net::IpAddr::from([127, 0, 0, 1]), |c| c.0.ip()),
        ))
    }
}

fn random_token() -> String {
    let mut bytes = [0u8; 16];
    if getrandom::fill(&mut bytes).is_err() {
        return String::new();
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The key that signs sign-in form tokens: random per process (a restart only makes open
/// sign-in forms stale); `None` if the system has no randomness, and then no token is valid.
fn login_key() -> Option<&'static [u8; 32]> {
    static KEY: std::sync::OnceLock<Option<[u8; 32]>> = std::sync::OnceLock::new();
    KEY.get_or_init(|| crate::auth::secret::random_bytes::<32>().ok())
        .as_ref()
}

fn login_mac(key: &[u8; 32], nonce: &str) -> String {
    use hmac::{KeyInit, Mac};
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key).expect("HMAC takes any key");
    mac.update(nonce.as_bytes());
    crate::auth::secret::hex(&mac.finalize().into_bytes())
}

/// A sign-in form's token, `<nonce>.<HMAC of the nonce>`, sent both as a cookie and in the form.
/// Double submit alone would accept any cookie that matches its form, including one planted by
/// someone who can set cookies for this host (plain HTTP, a sibling subdomain): the MAC makes
/// only tokens this server issued count.
fn login_token() -> String {
    let nonce = random_token();
    match login_key() {
        Some(key) if !nonce.is_empty() => format!("{nonce}.{}", login_mac(key, &nonce)),
        _ => String::new(),
    }
}

fn login_token_issued_here(token: &str) -> bool {
    match (login_key(), token.split_once('.')) {
        (Some(key), Some((nonce, mac))) => {
            nonce.len() == 32 && crate::auth::csrf_matches(&login_mac(key, nonce), mac)
        }
        _ => false,
    }
}

#[derive(Deserialize, Default)]
pub struct LoginQuery {
    next: Option<String>,
    lang: Option<String>,
}

/// Only local paths are followed after sign-in.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.into(),
        _ => "/proposals".into(),
    }
}

pub async fn login_page(
    State(state): State<AppState>,
    q: Result<axum::extract::Query<LoginQuery>, axum::extract::rejection::QueryRejection>,
    headers: HeaderMap,
) -> Response {
    let q = q.map(|q| q.0).unwrap_or_default();
    render_login(
        &state,
        &headers,
        q.lang.as_deref(),
        &safe_next(q.next.as_deref()),
        None,
        StatusCode::OK,
    )
}

fn render_login(
    state: &AppState,
    headers: &HeaderMap,
    lang: Option<&str>,
    next: &str,
    error: Option<&str>,
    status: StatusCode,
) -> Response {
    let lang = super::i18n::Lang::negotiate(lang, headers);
    let token = login_token();
    let mut ctx = tera::Context::new();
    ctx.insert("next", next);
    ctx.insert("login_csrf", &token);
    if let Some(key) = error {
        ctx.insert("error", lang.strings().get(key).copied().unwrap_or(key));
    }
    let switch = format!("/login?next={}", super::pages::encode(next));
    match state.render.page("login.html", lang, ctx, &switch) {
        Ok(html) => {
            let cookie = format!(
                "{LOGIN_CSRF_COOKIE}={token}; Path=/login; HttpOnly; SameSite=Strict; Max-Age=3600"
            );
            (
                status,
                [
                    (header::SET_COOKIE, cookie),
                    (header::CACHE_CONTROL, "no-store".into()),
                ],
                axum::response::Html(html),
            )
                .into_response()
        }
        Err(e) => {
            tracing::error!(error = ?e, "login page");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

#[derive(Deserialize)]
pub struct LoginForm {
    login: String,
    password: String,
    #[serde(default)]
    next: String,
    #[serde(default)]
    csrf: String,
}

/// Signs a person in: login CSRF (double submit), the failure limiter, argon2 off the async
/// threads, then a fresh session cookie (HttpOnly, SameSite=Lax).
pub async fn login(
    State(state): State<AppState>,
    client: ClientAddr,
    headers: HeaderMap,
    form: Result<Form<LoginForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return render_login(
            &state,
            &headers,
            None,
            "/proposals",
            Some("login_failed"),
            StatusCode::BAD_REQUEST,
        );
    };
    let next = safe_next(Some(&form.next));
    let expected = cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or("");
    if !login_token_issued_here(expected) || !crate::auth::csrf_matches(expected, &form.csrf) {
        return render_login(
            &state,
            &headers,
            None,
            &next,
            Some("csrf_failed"),
            StatusCode::FORBIDDEN,
        );
    }
    let now = std::time::Instant::now();
    if state.limiter.check(&form.login, client.0, now).is_err() {
        return render_login(
            &state,
            &headers,
            None,
            &next,
            Some("login_limited"),
            StatusCode::TOO_MANY_REQUESTS,
        );
    }
    let accounts = state.accounts.clone();
    let (login, password) = (form.login.clone(), form.password);
    let user = tokio::task::spawn_blocking(move || accounts.verify_password(&login, &password))
        .await
        .ok()
        .flatten();
    let Some(user) = user else {
        state.limiter.failed(&form.login, client.0, now);
        return render_login(
            &state,
            &headers,
            None,
            &next,
            Some("login_failed"),
            StatusCode::UNAUTHORIZED,
        );
    };
    state.limiter.succeeded(&form.login);
    let Ok((token, _csrf)) = state.sessions.create(&user.id) else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let cookie = format!("{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax");
    let clear = format!("{LOGIN_CSRF_COOKIE}=; Path=/login; Max-Age=0");
    let mut response = Redirect::to(&next).into_response();
    if let (Ok(a), Ok(b)) = (cookie.parse(), clear.parse()) {
        response.headers_mut().append(header::SET_COOKIE, a);
        response.headers_mut().append(header::SET_COOKIE, b);
    }
    response
}

#[derive(Deserialize)]
pub struct LogoutForm {
    #[serde(default)]
    csrf: String,
}

pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Result<Form<LogoutForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let viewer = Viewer::of(&state, &headers);
    let csrf = form.map(|f| f.0.csrf).unwrap_or_default();
    if let Some(v) = &viewer {
        if !v.csrf_ok(&csrf) {
            return (
                StatusCode::FORBIDDEN,
                "the form expired; reload the page and try again",
            )
                .into_response();
        }
        if let Some(token) = cookie(&headers, SESSION_COOKIE) {
            state.sessions.remove(token);
        }
    }
    let mut response = Redirect::to("/").into_response();
    if let Ok(v) = format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0").parse() {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    response
}
