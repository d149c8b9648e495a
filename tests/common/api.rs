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
        let mut req = self.client.post(format!("{}{path}", self.base)).json(&body);
        if let Some(id) = who {
            req = req.bearer_auth(self.accounts.new_token(id).unwrap());
        }
        let res = req.send().await.unwrap();
        let status = res.status();
        (status, res.json().await.unwrap_or(Value::Null))
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
