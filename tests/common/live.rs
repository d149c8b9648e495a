//! A live-editing client over a real WebSocket (`docs/live-protocol.md`) and the people who use
//! it, shared by the tests that type live (`live.rs`, `crash.rs`, `concurrency.rs`). Included
//! with `#[path = "common/live.rs"] mod live_client;` by those files only, so the other test
//! binaries do not build it.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

use codraft::auth::{Accounts, NewUser, Role, Sector};

pub const C04: &str = "c04-information-access";
pub const C04_PATH: &str = "commitments/c04-information-access/zh-TW.md";
pub const PROBLEM: &str = "section.problem.text";

pub type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// One editor: its socket and the text it holds (snapshot + every op, in order).
pub struct Editor {
    pub ws: Ws,
    pub seq: u64,
    /// Every field as characters (code points), so applying an op is one splice.
    pub texts: BTreeMap<String, Vec<char>>,
    pub next_ref: u64,
    /// Apply ops as they come (off for a replay that only checks the server's final text).
    pub track: bool,
}

pub fn apply_splices(chars: &mut Vec<char>, splices: &Value) {
    for s in splices.as_array().unwrap() {
        let pos = s[0].as_u64().unwrap() as usize;
        let del = s[1].as_u64().unwrap() as usize;
        chars.splice(pos..pos + del, s[2].as_str().unwrap().chars());
    }
}

/// Why a connection could not be opened.
#[derive(Debug)]
pub enum ConnectError {
    /// The server answered the upgrade with this HTTP status.
    Status(u16),
    /// No answer (refused, reset, closed before the snapshot).
    Io(String),
}

/// Opens a live socket on commitment 4's Chinese on `branch` as `token`'s user and reads the
/// snapshot; any failure is returned, never a panic (the server may be dying).
pub async fn try_connect(
    base: &str,
    token: &str,
    branch: &str,
    session: &str,
) -> Result<Editor, ConnectError> {
    let url = format!(
        "{}/live?branch={branch}&commitment={C04}&lang=zh-TW&session={session}",
        base.replace("http://", "ws://")
    );
    let mut request = url.into_client_request().unwrap();
    request
        .headers_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    let (mut ws, _) = match tokio_tungstenite::connect_async(request).await {
        Ok(ok) => ok,
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            return Err(ConnectError::Status(response.status().as_u16()))
        }
        Err(e) => return Err(ConnectError::Io(e.to_string())),
    };
    let snapshot = try_read(&mut ws, Duration::from_secs(20))
        .await
        .ok_or_else(|| ConnectError::Io("closed before the snapshot".into()))?;
    assert_eq!(snapshot["type"], "snapshot", "{snapshot}");
    let texts = snapshot["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f[0].as_str().unwrap().to_string(),
                f[1].as_str().unwrap().chars().collect(),
            )
        })
        .collect();
    Ok(Editor {
        ws,
        seq: snapshot["seq"].as_u64().unwrap(),
        texts,
        next_ref: 1,
        track: true,
    })
}

/// [`try_connect`] where only a refused upgrade is expected: its status, else a panic.
pub async fn connect(base: &str, token: &str, branch: &str, session: &str) -> Result<Editor, u16> {
    match try_connect(base, token, branch, session).await {
        Ok(editor) => Ok(editor),
        Err(ConnectError::Status(status)) => Err(status),
        Err(ConnectError::Io(e)) => panic!("{e}"),
    }
}

/// The next text message, or `None` when the socket closed, failed or stayed silent for
/// `timeout`.
pub async fn try_read(ws: &mut Ws, timeout: Duration) -> Option<Value> {
    loop {
        let message = tokio::time::timeout(timeout, ws.next()).await.ok()??.ok()?;
        if let Message::Text(text) = message {
            return Some(serde_json::from_str(&text).unwrap());
        }
    }
}

pub async fn read(ws: &mut Ws) -> Value {
    try_read(ws, Duration::from_secs(20))
        .await
        .expect("a message within 20 s on an open socket")
}

impl Editor {
    /// Sends an edit against `base` (default: what this editor has seen) and returns its ref.
    pub async fn edit(&mut self, field: &str, splices: Value, base: Option<u64>) -> u64 {
        let edit_ref = self.next_ref;
        self.next_ref += 1;
        let message = json!({"type": "edit", "ref": edit_ref, "base": base.unwrap_or(self.seq), "field": field, "splices": splices});
        self.send(message).await;
        edit_ref
    }

    pub async fn send(&mut self, message: Value) {
        self.ws
            .send(Message::Text(message.to_string().into()))
            .await
            .unwrap();
    }

    /// [`Editor::send`] that reports a dead socket instead of panicking.
    pub async fn try_send(&mut self, message: Value) -> bool {
        self.ws
            .send(Message::Text(message.to_string().into()))
            .await
            .is_ok()
    }

    /// Applies an `op` to the text this editor holds.
    pub fn take_op(&mut self, m: &Value) {
        if m["type"] == "op" {
            if self.track {
                let field = m["field"].as_str().unwrap().to_string();
                apply_splices(self.texts.entry(field).or_default(), &m["splices"]);
            }
            self.seq = m["seq"].as_u64().unwrap();
        }
    }

    /// Reads messages, applying ops, until one satisfies `done`; returns it.
    pub async fn until(&mut self, done: impl Fn(&Value) -> bool) -> Value {
        loop {
            let m = read(&mut self.ws).await;
            self.take_op(&m);
            if done(&m) {
                return m;
            }
        }
    }

    pub async fn until_seq(&mut self, seq: u64) {
        if self.seq < seq {
            self.until(|m| m["type"] == "op" && m["seq"].as_u64() == Some(seq))
                .await;
        }
    }

    pub fn text(&self, field: &str) -> String {
        self.texts[field].iter().collect()
    }
}

pub use crate::common::open_proposal;

/// Accounts for live editing commitment 4 (`gov`, `gov2`, `ngo`, `ngo2` drafters of its
/// working group), an `outsider` drafter of c05, a forum `member` and an `admin`; their API
/// tokens by id.
pub fn add_people(dir: &std::path::Path) -> BTreeMap<&'static str, String> {
    let accounts = Accounts::open(dir).unwrap();
    let mut tokens = BTreeMap::new();
    for (id, sector, roles, wg) in [
        ("gov", Sector::Government, vec![Role::Drafter], vec![C04]),
        ("gov2", Sector::Government, vec![Role::Drafter], vec![C04]),
        ("ngo", Sector::CivilSociety, vec![Role::Drafter], vec![C04]),
        ("ngo2", Sector::CivilSociety, vec![Role::Drafter], vec![C04]),
        (
            "outsider",
            Sector::CivilSociety,
            vec![Role::Drafter],
            vec!["c05-environmental-information"],
        ),
        (
            "member",
            Sector::CivilSociety,
            vec![Role::ForumMember],
            vec![],
        ),
        ("admin", Sector::Government, vec![Role::Admin], vec![]),
    ] {
        let (_, token) = accounts
            .add_user(NewUser {
                id: id.into(),
                name: format!("{id} 名"),
                email: Some(format!("{id}@example.org")),
                sector,
                roles: roles.into_iter().collect(),
                commitments: wg.into_iter().map(String::from).collect::<BTreeSet<_>>(),
                agency: None,
                password: None,
            })
            .unwrap();
        tokens.insert(id, token);
    }
    tokens
}
