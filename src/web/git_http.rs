//! The plan repository over git's smart HTTP protocol at `/plan.git`: anyone clones and fetches;
//! a drafter pushes a branch (HTTP basic auth, the password being their API token) and it
//! becomes or updates a proposal.
//!
//! The protocol is git's own: each request runs `git http-backend` (CGI) on the data directory,
//! with the request body on its standard input and its output relayed as the response. A push
//! is checked before any ref moves by the repository's `pre-receive` hook (installed by
//! [`install_hook`], running `codraft hook pre-receive`, see [`crate::workflow::push`]); once
//! refs moved, each pushed branch is adopted as a proposal. Pushes that do not come through
//! here (someone with shell access to the data directory) are the operator's and are not
//! checked.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use axum::body::{Body, Bytes};
use axum::extract::{Path as UrlPath, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use tokio::io::AsyncWriteExt;

use crate::auth::{Role, User};
use crate::store::git;

use super::session::ClientAddr;
use super::AppState;

/// Largest request body (a pushed pack) the server reads.
pub const MAX_PUSH_BYTES: usize = 256 * 1024 * 1024;

/// Where the repository lives and which program the hook runs.
#[derive(Clone)]
pub struct GitHttp {
    /// The data directory (absolute): `plan.git` is in it.
    pub data: PathBuf,
    /// The `codraft` executable the `pre-receive` hook runs (`CODRAFT_EXE`, else this program).
    pub exe: PathBuf,
}

impl GitHttp {
    pub fn new(data: &Path) -> GitHttp {
        let data = data.canonicalize().unwrap_or_else(|_| data.to_path_buf());
        let exe = std::env::var_os("CODRAFT_EXE")
            .map(PathBuf::from)
            .or_else(|| std::env::current_exe().ok())
            .unwrap_or_else(|| PathBuf::from("codraft"));
        GitHttp { data, exe }
    }
}

/// The `pre-receive` hook: a push through codraft's HTTP server (which sets `CODRAFT_USER`)
/// is checked by `codraft hook pre-receive`; other pushes pass.
const HOOK: &str = "#!/bin/sh\n\
# Installed by codraft: checks pushes made through its HTTP server (see `codraft hook`).\n\
[ -n \"$CODRAFT_USER\" ] || exit 0\n\
exec \"$CODRAFT_EXE\" hook pre-receive\n";

/// Writes the `pre-receive` hook into the repository (idempotent).
pub fn install_hook(repo: &Path) -> std::io::Result<()> {
    let dir = repo.join("hooks");
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("pre-receive");
    if std::fs::read_to_string(&path).ok().as_deref() != Some(HOOK) {
        std::fs::write(&path, HOOK)?;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))?;
    }
    Ok(())
}

fn plain(status: StatusCode, text: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!("{text}\n"),
    )
        .into_response()
}

/// The pusher named by HTTP basic auth (any user name; the password is an API token).
fn pusher(state: &AppState, headers: &HeaderMap) -> Result<User, Box<Response>> {
    let ask = || {
        let mut r = Box::new(plain(
            StatusCode::UNAUTHORIZED,
            "pushing needs your codraft account: user name = your id, password = an API token \
             (codraft user token)",
        ));
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"codraft\""),
        );
        r
    };
    let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
    else {
        return Err(ask());
    };
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(value.trim())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(ask)?;
    let (_, token) = decoded.split_once(':').ok_or_else(ask)?;
    let user = state
        .accounts
        .user_for_token(token.trim())
        .ok_or_else(ask)?;
    if !(user.has(Role::Admin) || user.has(Role::Drafter) || user.has(Role::Translator)) {
        return Err(Box::new(plain(
            StatusCode::FORBIDDEN,
            &format!("{} has no drafting rights: pushes are refused", user.id),
        )));
    }
    Ok(user)
}

/// Branch heads (not `main`, not `records`) as `(name, commit)`.
async fn branch_heads(state: &AppState) -> Vec<(String, String)> {
    state
        .plan
        .store()
        .read(|repo| git::branches(repo, ""))
        .await
        .map(|b| {
            b.into_iter()
                .filter(|(n, _)| n != "main" && n != "records")
                .map(|(n, o)| (n, o.to_string()))
                .collect()
        })
        .unwrap_or_default()
}

/// `GET|POST /plan.git/{*rest}`.
pub async fn serve(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    method: Method,
    UrlPath(rest): UrlPath<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    // Only the repository's own paths: an empty, `.` or `..` segment (`%2F` decodes to `/`),
    // a NUL or a backslash would reach `git http-backend`, which dies on them (a 500) or
    // cannot be started at all.
    if rest.split('/').any(|segment| {
        segment.is_empty() || segment == "." || segment == ".." || segment.contains(['\0', '\\'])
    }) {
        return plain(StatusCode::NOT_FOUND, "no such file in the repository");
    }
    let query = query.unwrap_or_default();
    let push = rest == "git-receive-pack"
        || (rest == "info/refs" && query.split('&').any(|p| p == "service=git-receive-pack"));
    if push
        && std::fs::read_to_string(state.git.data.join("plan.git/hooks/pre-receive")).ok()
            != Some(HOOK.to_string())
    {
        // Without the hook a push would go unchecked.
        return plain(
            StatusCode::SERVICE_UNAVAILABLE,
            "pushes are off: the repository's pre-receive hook is missing (restart codraft serve)",
        );
    }
    let user = if push {
        match pusher(&state, &headers) {
            Ok(u) => Some(u),
            Err(r) => return *r,
        }
    } else {
        None
    };
    let pushing = push && method == Method::POST;
    let before = if pushing {
        branch_heads(&state).await
    } else {
        Vec::new()
    };
    let response = match run_backend(
        &state,
        &method,
        &rest,
        &query,
        &headers,
        body,
        addr,
        user.as_ref(),
    )
    .await
    {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(error = %e, "git http-backend failed");
            return plain(StatusCode::INTERNAL_SERVER_ERROR, "git http-backend failed");
        }
    };
    if let (true, Some(user)) = (pushing && response.status().is_success(), user) {
        // Every branch the push created or moved becomes (or stays) a proposal.
        let after = branch_heads(&state).await;
        for (name, head) in after {
            if before.iter().any(|(n, h)| *n == name && *h == head) {
                continue;
            }
            match state
                .proposals
                .adopt_pushed_branch(user.clone(), name.clone())
                .await
            {
                Ok((p, true)) => {
                    tracing::info!(proposal = p.number, branch = %name, user = %user.id, "proposal opened by push")
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, branch = %name, "adopting a pushed branch failed")
                }
            }
        }
    }
    response
}

#[allow(clippy::too_many_arguments)]
async fn run_backend(
    state: &AppState,
    method: &Method,
    rest: &str,
    query: &str,
    headers: &HeaderMap,
    body: Bytes,
    addr: std::net::IpAddr,
    user: Option<&User>,
) -> std::io::Result<Response> {
    let git = &state.git;
    let mut cmd = tokio::process::Command::new("git");
    cmd.arg("http-backend")
        .env("GIT_PROJECT_ROOT", &git.data)
        .env("GIT_HTTP_EXPORT_ALL", "1")
        .env("PATH_INFO", format!("/plan.git/{rest}"))
        .env("REQUEST_METHOD", method.as_str())
        .env("QUERY_STRING", query)
        .env("REMOTE_ADDR", addr.to_string())
        .env("CONTENT_LENGTH", body.len().to_string())
        .env_remove("CODRAFT_USER")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (name, var) in [
        (header::CONTENT_TYPE, "CONTENT_TYPE"),
        (header::CONTENT_ENCODING, "HTTP_CONTENT_ENCODING"),
    ] {
        if let Some(v) = headers.get(name).and_then(|v| v.to_str().ok()) {
            cmd.env(var, v);
        }
    }
    if let Some(v) = headers.get("git-protocol").and_then(|v| v.to_str().ok()) {
        cmd.env("GIT_PROTOCOL", v);
    }
    if let Some(u) = user {
        // REMOTE_USER enables receive-pack; the hook reads the rest.
        cmd.env("REMOTE_USER", &u.id)
            .env("CODRAFT_USER", &u.id)
            .env("CODRAFT_DATA", &git.data)
            .env("CODRAFT_EXE", &git.exe);
    }
    let mut child = cmd.spawn()?;
    let mut stdin = child.stdin.take().expect("piped");
    let writer = tokio::spawn(async move {
        let _ = stdin.write_all(&body).await;
        let _ = stdin.shutdown().await;
    });
    let output = child.wait_with_output().await?;
    let _ = writer.await;
    if !output.stderr.is_empty() {
        tracing::debug!(stderr = %String::from_utf8_lossy(&output.stderr), "git http-backend");
    }
    Ok(cgi_response(&output.stdout))
}

/// A CGI program's output as an HTTP response: headers (with `Status:`) up to a blank line,
/// then the body.
fn cgi_response(out: &[u8]) -> Response {
    let split = out
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| (i, i + 4))
        .or_else(|| {
            out.windows(2)
                .position(|w| w == b"\n\n")
                .map(|i| (i, i + 2))
        });
    let Some((end, body_start)) = split else {
        return plain(StatusCode::BAD_GATEWAY, "git http-backend gave no headers");
    };
    let head = String::from_utf8_lossy(&out[..end]);
    let mut response = Response::new(Body::from(out[body_start..].to_vec()));
    for line in head.lines() {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("status") {
            if let Some(code) = value
                .split_whitespace()
                .next()
                .and_then(|c| c.parse::<u16>().ok())
                .and_then(|c| StatusCode::from_u16(c).ok())
            {
                *response.status_mut() = code;
            }
        } else if let (Ok(n), Ok(v)) = (
            header::HeaderName::from_bytes(name.trim().as_bytes()),
            HeaderValue::from_str(value),
        ) {
            response.headers_mut().append(n, v);
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cgi_output_becomes_a_response() {
        let r = cgi_response(b"Status: 403 Forbidden\r\nContent-Type: text/plain\r\n\r\nno");
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        assert_eq!(r.headers()[header::CONTENT_TYPE], "text/plain");
        let r = cgi_response(b"Content-Type: application/x-git-upload-pack-advertisement\n\nxx");
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(cgi_response(b"garbage").status(), StatusCode::BAD_GATEWAY);
    }
}
