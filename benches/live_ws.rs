//! Live editing over real WebSockets on loopback: N editors (1, 10, 50) typing into the same
//! section of one commitment on a release build of the server, in-process.
//!
//! `cargo bench --bench live_ws` prints, for each N and each pace:
//! - edits per second acknowledged (durable) by the server,
//! - p50 / p99 / max time from an edit being sent to it being seen (as an `op`) by every other
//!   editor (for N = 1: by the sender itself).
//!
//! Paces: "flat out" (each editor sends its next edit as soon as the previous one is acked) and
//! "human" (each editor types 5 characters a second).

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

use codraft::auth::{Accounts, NewUser, Role, Sector};

const FIELD: &str = "section.problem.text";

#[derive(Default)]
struct Log {
    /// (editor, ref) → when sent.
    sent: HashMap<(usize, u64), Instant>,
    /// (editor, ref) → seq.
    acked: HashMap<(usize, u64), u64>,
    /// seq → when each editor saw it.
    seen: HashMap<u64, Vec<Instant>>,
}

// One editor of the benchmark; every knob is a parameter.
#[allow(clippy::too_many_arguments)]
async fn editor(
    base: String,
    branch: String,
    token: String,
    i: usize,
    n: usize,
    pace: Option<Duration>,
    until: Instant,
    log: Arc<Mutex<Log>>,
) {
    let url = format!(
        "{}/live?branch={branch}&commitment=c04-information-access&lang=zh-TW&session=bench-editor-{i:06}-{}",
        base.replace("http://", "ws://"),
        n * 1000 + usize::from(pace.is_some())
    );
    let mut request = url.into_client_request().unwrap();
    request
        .headers_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    let (ws, _) = tokio_tungstenite::connect_async_with_config(request, None, true)
        .await
        .unwrap();
    let (mut tx, mut rx) = ws.split();
    let snapshot: Value = match rx.next().await {
        Some(Ok(Message::Text(t))) => serde_json::from_str(&t).unwrap(),
        other => panic!("{other:?}"),
    };
    let mut seq = snapshot["seq"].as_u64().unwrap();
    let mut next_ref = 1u64;
    let mut waiting = false;
    let mut tick = tokio::time::interval(pace.unwrap_or(Duration::from_millis(1)));
    let _ = n;
    loop {
        let now = Instant::now();
        if now >= until && !waiting {
            break;
        }
        tokio::select! {
            _ = tick.tick(), if pace.is_some() && now < until => {
                let r = next_ref;
                next_ref += 1;
                log.lock().unwrap().sent.insert((i, r), Instant::now());
                let m = json!({"type": "edit", "ref": r, "base": seq, "field": FIELD, "splices": [[0, 0, "字"]]});
                tx.send(Message::Text(m.to_string().into())).await.unwrap();
            }
            message = rx.next() => {
                let Some(Ok(Message::Text(t))) = message else { break };
                let m: Value = serde_json::from_str(&t).unwrap();
                match m["type"].as_str() {
                    Some("op") => {
                        seq = m["seq"].as_u64().unwrap();
                        log.lock().unwrap().seen.entry(seq).or_default().push(Instant::now());
                    }
                    Some("ack") => {
                        let r = m["ref"].as_u64().unwrap();
                        log.lock().unwrap().acked.insert((i, r), m["seq"].as_u64().unwrap());
                        waiting = false;
                    }
                    Some("error") => panic!("{m}"),
                    _ => {}
                }
            }
            _ = tokio::time::sleep(Duration::from_millis(0)), if pace.is_none() && !waiting && now < until => {
                let r = next_ref;
                next_ref += 1;
                log.lock().unwrap().sent.insert((i, r), Instant::now());
                let m = json!({"type": "edit", "ref": r, "base": seq, "field": FIELD, "splices": [[0, 0, "字"]]});
                tx.send(Message::Text(m.to_string().into())).await.unwrap();
                waiting = true;
            }
        }
    }
    // Drain what is still coming for a moment so others' late ops are seen.
    let drain_until = Instant::now() + Duration::from_millis(500);
    while let Ok(Some(Ok(Message::Text(t)))) = tokio::time::timeout(
        drain_until.saturating_duration_since(Instant::now()),
        rx.next(),
    )
    .await
    {
        let m: Value = serde_json::from_str(&t).unwrap();
        if m["type"] == "op" {
            log.lock()
                .unwrap()
                .seen
                .entry(m["seq"].as_u64().unwrap())
                .or_default()
                .push(Instant::now());
        }
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    assert!(codraft::workflow::setup::demo(dir.path()).unwrap());
    let accounts = Accounts::open(dir.path()).unwrap();
    let mut tokens = Vec::new();
    for i in 0..50 {
        let (_, token) = accounts
            .add_user(NewUser {
                id: format!("editor{i}"),
                name: format!("editor {i}"),
                email: None,
                sector: if i % 2 == 0 {
                    Sector::Government
                } else {
                    Sector::CivilSociety
                },
                roles: [Role::Drafter].into_iter().collect(),
                commitments: ["c04-information-access".to_string()]
                    .into_iter()
                    .collect::<BTreeSet<_>>(),
                agency: None,
                password: None,
            })
            .unwrap();
        tokens.push(token);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let app = codraft::web::app(dir.path()).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
            let _ = tcp.set_nodelay(true);
        });
        tokio::spawn(async move {
            axum::serve(
                listener,
                app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
            )
            .await
            .unwrap()
        });
        // Live edits go to a proposal (main is the secretariat's).
        let proposal: Value = reqwest::Client::new()
            .post(format!("{base}/api/proposals"))
            .bearer_auth(&tokens[0])
            .json(&json!({"title": "Benchmark"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let branch = proposal["branch"].as_str().unwrap().to_string();
        println!("live editing over WebSockets on loopback, one section, release build\n");
        println!(
            "{:>8} {:>10} {:>12} {:>10} {:>10} {:>10}",
            "editors", "pace", "edits/s", "p50", "p99", "max"
        );
        for (pace_name, pace) in [
            ("flat out", None),
            ("5 char/s", Some(Duration::from_millis(200))),
        ] {
            for n in [1usize, 10, 50] {
                let log = Arc::new(Mutex::new(Log::default()));
                let seconds = if pace.is_some() { 10 } else { 5 };
                let start = Instant::now();
                let until = start + Duration::from_secs(seconds);
                let tasks: Vec<_> = (0..n)
                    .map(|i| {
                        tokio::spawn(editor(
                            base.clone(),
                            branch.clone(),
                            tokens[i].clone(),
                            i,
                            n,
                            pace,
                            until,
                            log.clone(),
                        ))
                    })
                    .collect();
                for t in tasks {
                    t.await.unwrap();
                }
                let log = log.lock().unwrap();
                let mut latencies = Vec::new();
                for (key, seq) in &log.acked {
                    let sent = log.sent[key];
                    let seen = log.seen.get(seq).cloned().unwrap_or_default();
                    // Seen by all: the last editor that saw it (every editor gets every op).
                    if seen.len() >= n {
                        if let Some(last) = seen.iter().max() {
                            latencies.push(last.saturating_duration_since(sent));
                        }
                    }
                }
                latencies.sort();
                let rate = log.acked.len() as f64 / seconds as f64;
                println!(
                    "{n:>8} {pace_name:>10} {rate:>12.0} {:>10.2?} {:>10.2?} {:>10.2?}",
                    percentile(&latencies, 0.5),
                    percentile(&latencies, 0.99),
                    latencies.last().copied().unwrap_or_default()
                );
            }
        }
    });
}
