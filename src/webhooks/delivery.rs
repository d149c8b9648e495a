//! One webhook request: the JSON body an event becomes, its HMAC signature, and the POST.
//!
//! **The request**: `POST <url>` with `Content-Type: application/json` and
//! - `X-Codraft-Event: proposal.merged` (one of [`crate::workflow::activity::KINDS`]);
//! - `X-Codraft-Delivery: <event id>` (the same on every retry: receivers drop duplicates);
//! - `X-Codraft-Signature-256: sha256=<hex>`, the HMAC-SHA256 of the body's exact bytes with
//!   the hook's shared secret (GitHub's scheme, so existing verifiers work).
//!
//! **The body**: `{id, event, at, actor, url, text, summary: {zh-TW, en}, data}` where `text`
//! is a Slack-compatible message (Slack, Mattermost, Rocket.Chat and Discord's Slack endpoint
//! show it as is) and `data` the record the event is about.
//!
//! Any 2xx answer is a success; anything else, a timeout (10 s) or a redirect (not followed)
//! is a failure the caller retries. The client is hyper's with rustls: reqwest would bring its
//! TLS provider choice into every test's client too.

use std::time::Duration;

use bytes::Bytes;
use hmac::{KeyInit, Mac};
use http_body_util::{BodyExt, Full};

use crate::workflow::activity::Event;

/// How long a receiver may take to answer.
pub const TIMEOUT: Duration = Duration::from_secs(10);

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// `sha256=<hex>`: the HMAC-SHA256 of `body` keyed by `secret`, as sent in
/// `X-Codraft-Signature-256`.
pub fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac = HmacSha256::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    let mut out = String::with_capacity(7 + 64);
    out.push_str("sha256=");
    for b in digest {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// The JSON body for `event`; links are `base_url` + the event's path (relative without one).
pub fn body(event: &Event, base_url: &str) -> String {
    let url = format!("{}{}", base_url.trim_end_matches('/'), event.path);
    let text = format!("{}\n{}\n{url}", event.summary_zh, event.summary_en);
    let at_iso = jiff::Timestamp::from_second(event.at)
        .map(|t| t.to_string())
        .unwrap_or_default();
    serde_json::json!({
        "id": event.id,
        "event": event.kind,
        "at": event.at,
        "at_iso": at_iso,
        "actor": { "id": event.actor, "name": event.actor_name },
        "url": url,
        "text": text,
        "summary": { "zh-TW": event.summary_zh, "en": event.summary_en },
        "data": event.data,
    })
    .to_string()
}

/// The HTTP(S) client webhooks are sent with.
pub type Client = hyper_util::client::legacy::Client<
    hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>,
    Full<Bytes>,
>;

/// A client for webhook requests: HTTP/1.1, TLS by rustls (ring) trusting Mozilla's root
/// certificates (`webpki-roots`: the same on every machine, no system bundle needed). It
/// follows no redirect.
pub fn client() -> Result<Client, String> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let tls = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| e.to_string())?
    .with_root_certificates(roots)
    .with_no_client_auth();
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http()
        .enable_http1()
        .build();
    Ok(
        hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
            .build(https),
    )
}

/// An error and its causes, one after the other (hyper's own message is often just "client
/// error (Connect)").
fn chain(e: &dyn std::error::Error) -> String {
    let mut msg = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        source = s.source();
    }
    msg
}

/// POSTs one delivery; `Ok` is the receiver's 2xx status, `Err` says why it failed (HTTP
/// status and the start of the answer, the connection error, or the timeout).
pub async fn send(
    client: &Client,
    url: &str,
    secret: &str,
    kind: &str,
    id: &str,
    body: &str,
) -> Result<u16, String> {
    let request = http::Request::post(url)
        .header(http::header::CONTENT_TYPE, "application/json")
        .header(
            http::header::USER_AGENT,
            concat!("codraft/", env!("CARGO_PKG_VERSION")),
        )
        .header("X-Codraft-Event", kind)
        .header("X-Codraft-Delivery", id)
        .header("X-Codraft-Signature-256", sign(secret, body.as_bytes()))
        .body(Full::new(Bytes::from(body.to_string())))
        .map_err(|e| e.to_string())?;
    let exchange = async {
        let response = client.request(request).await.map_err(|e| chain(&e))?;
        let status = response.status();
        if status.is_success() {
            return Ok(status.as_u16());
        }
        let answer = response
            .into_body()
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        let text: String = String::from_utf8_lossy(&answer).chars().take(200).collect();
        Err(format!("HTTP {}: {}", status.as_u16(), text.trim()))
    };
    tokio::time::timeout(TIMEOUT, exchange)
        .await
        .unwrap_or_else(|_| Err(format!("no answer within {} s", TIMEOUT.as_secs())))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 4231 test case 2.
    #[test]
    fn signature_is_hmac_sha256_hex() {
        assert_eq!(
            sign("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
