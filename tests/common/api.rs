//! The demo plan with its accounts behind a real server, driven through the JSON API with each
//! person's own token.

use reqwest::StatusCode;
use serde_json::Value;

use codraft::auth::Accounts;
use codraft::workflow::setup;

/// The demo plan and accounts, a server on a real port, and API calls as any demo person.
pub struct DemoApi {
    pub dir: tempfile::TempDir,
    pub base: String,
    pub client: reqwest::Client,
    pub accounts: Accounts,
}

impl DemoApi {
    pub async fn new() -> DemoApi {
        DemoApi::new_with(|_| {}).await
    }

    /// [`DemoApi::new`] with `prepare` run on the data directory before the server starts
    /// (e.g. to write `webhooks.toml`).
    #[allow(dead_code)]
    pub async fn new_with(prepare: impl FnOnce(&std::path::Path)) -> DemoApi {
        let dir = super::web::demo_with_accounts();
        prepare(dir.path());
        let base = super::start_server(dir.path()).await;
        DemoApi {
            accounts: Accounts::open(dir.path()).unwrap(),
            dir,
            base,
            client: reqwest::Client::new(),
        }
    }

    /// POSTs `body` as `who` (their bearer token) or signed out.
    pub async fn post(&self, who: Option<&str>, path: &str, body: Value) -> (StatusCode, Value) {
        post_as(&self.base, &self.accounts, who, path, body).await
    }

    /// GETs JSON that must answer 200.
    pub async fn get(&self, path: &str) -> Value {
        let (s, v) = super::get_json(&format!("{}{path}", self.base)).await;
        assert_eq!(s, StatusCode::OK, "{path}: {v}");
        v
    }

    /// `git` in the plan repository.
    pub fn git(&self, args: &[&str]) -> String {
        super::git(&setup::repo_path(self.dir.path()), args)
    }

    /// Every ref and where it points: unchanged after a refusal.
    pub fn refs(&self) -> String {
        self.git(&["for-each-ref", "--format=%(refname) %(objectname)"])
    }
}

/// POSTs `body` to the server at `base` as `who` (a fresh bearer token of theirs) or signed out.
pub async fn post_as(
    base: &str,
    accounts: &Accounts,
    who: Option<&str>,
    path: &str,
    body: Value,
) -> (StatusCode, Value) {
    let mut req = reqwest::Client::new()
        .post(format!("{base}{path}"))
        .json(&body);
    if let Some(id) = who {
        req = req.bearer_auth(accounts.new_token(id).unwrap());
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// A change to one commitment through the whole proposal path of the demo: the secretariat
/// opens a proposal titled `title` with `text` as `commitment`'s Chinese document, the two
/// drafters of its working group (郭淑芬, government; 李佳穎, civil society) approve its head,
/// and the secretariat merges that head. Returns the proposal's number.
#[allow(dead_code)]
pub async fn propose_approve_merge(
    base: &str,
    accounts: &Accounts,
    title: &str,
    commitment: &str,
    text: &str,
) -> u64 {
    let body = serde_json::json!({
        "title": title,
        "documents": [{"commitment": commitment, "text": text}],
    });
    let (st, p) = post_as(base, accounts, Some("secretariat"), "/api/proposals", body).await;
    assert_eq!(st, StatusCode::CREATED, "{p}");
    let n = p["number"].as_u64().unwrap();
    let (_, d) = super::get_json(&format!("{base}/api/proposals/{n}")).await;
    let head = d["head"].as_str().unwrap().to_string();
    for who in ["shufen-kuo", "chiaying-li"] {
        let verdict = serde_json::json!({"verdict": "approve", "head": head});
        let path = format!("/api/proposals/{n}/reviews");
        let (st, v) = post_as(base, accounts, Some(who), &path, verdict).await;
        assert_eq!(st, StatusCode::CREATED, "{who}: {v}");
    }
    let merge = serde_json::json!({"expected_head": head});
    let path = format!("/api/proposals/{n}/merge");
    let (st, v) = post_as(base, accounts, Some("secretariat"), &path, merge).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    n
}
