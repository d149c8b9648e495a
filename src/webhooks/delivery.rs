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
//! is a failure the caller retries.

use std::time::Duration;

use hmac::{KeyInit, Mac};

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

/// A client for webhook requests: rustls with the system's root certificates, no redirects.
pub fn client() -> Result<reqwest::Client, String> {
    // reqwest is built without a crypto provider of its own choosing: ring is installed once
    // (an error means one is installed already, which is as good).
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("codraft/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| e.to_string())
}

/// POSTs one delivery; `Err` says why it failed (HTTP status and the start of the answer, or
/// the connection error).
pub async fn send(
    client: &reqwest::Client,
    url: &str,
    secret: &str,
    kind: &str,
    id: &str,
    body: &str,
) -> Result<u16, String> {
    let response = client
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header("X-Codraft-Event", kind)
        .header("X-Codraft-Delivery", id)
        .header("X-Codraft-Signature-256", sign(secret, body.as_bytes()))
        .body(body.to_string())
        .send()
        .await
        .map_err(|e| {
            // reqwest's Display leaves out the cause ("error sending request"): add it.
            let e = e.without_url();
            let mut msg = e.to_string();
            let mut source = std::error::Error::source(&e);
            while let Some(s) = source {
                msg.push_str(": ");
                msg.push_str(&s.to_string());
                source = s.source();
            }
            msg
        })?;
    let status = response.status();
    if status.is_success() {
        return Ok(status.as_u16());
    }
    let text = response.text().await.unwrap_or_default();
    let text: String = text.chars().take(200).collect();
    Err(format!("HTTP {}: {}", status.as_u16(), text.trim()))
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
