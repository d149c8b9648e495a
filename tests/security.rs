//! The security review, as tests (issue 9, point 4), on the demo plan behind a real server:
//! every POST route of the router tried by every kind of person (the README's rights table),
//! refusals answered as errors with every ref unchanged, and the test itself failing when a
//! route has no row; CSRF on every form; path traversal in ids, languages, refs and the git
//! route, with a planted secret that is never served; size limits on JSON and form bodies and on
//! live-editing frames; the sign-in limiter and sessions ended by signing out; the security
//! headers on pages, API, static files and errors, and no inline script in any template;
//! script and HTML put into every text field, inert on every page that shows it.

mod common;

use std::collections::{BTreeSet, HashMap};
use std::net::IpAddr;
use std::sync::atomic::{AtomicU32, AtomicU8, Ordering};

use reqwest::StatusCode;
use serde_json::{json, Value};

use codraft::auth::demo::DEMO_PASSWORD;
use codraft::auth::{Accounts, NewUser, Role, Sector};
use common::api::DemoApi;
use common::web::{form_pairs, hidden, set_cookie, Person, Web};

pub const C04: &str = "c04-information-access";
pub const C04_PATH: &str = "commitments/c04-information-access/zh-TW.md";
/// A phrase that occurs once in c04's master text, to change it.
const PHRASE: &str = "常有從寬限制公開之情形";

/// The people every route is tried with: a key for messages and the demo account (`None`:
/// signed out). c04's working group has shufen-kuo (government, 法務部: c04's lead agency) and
/// chiaying-li (civil society); chihwei-hsu and kaiwen-chang are members and drafters of other
/// working groups; mingche-chou convenes the forum; `reader` is an account with no role but
/// `public`, added for this test.
const ROLES: &[(&str, Option<&str>)] = &[
    ("anonymous", None),
    ("reader", Some("reader")),
    ("gov-wg", Some("shufen-kuo")),
    ("cs-wg", Some("chiaying-li")),
    ("gov-member", Some("chihwei-hsu")),
    ("cs-drafter", Some("kaiwen-chang")),
    ("convener", Some("mingche-chou")),
    ("translator", Some("translator")),
    ("secretariat", Some("secretariat")),
];

const EVERYONE: &[&str] = &[
    "anonymous",
    "reader",
    "gov-wg",
    "cs-wg",
    "gov-member",
    "cs-drafter",
    "convener",
    "translator",
    "secretariat",
];
const SIGNED_IN: &[&str] = &[
    "reader",
    "gov-wg",
    "cs-wg",
    "gov-member",
    "cs-drafter",
    "convener",
    "translator",
    "secretariat",
];
/// Anyone with a role (everyone signed in but the reader).
const STAFF: &[&str] = &[
    "gov-wg",
    "cs-wg",
    "gov-member",
    "cs-drafter",
    "convener",
    "translator",
    "secretariat",
];
/// Who may write c04's master text: its working group and the secretariat.
const C04_WRITERS: &[&str] = &["gov-wg", "cs-wg", "secretariat"];
/// The forum's members (the roll of a round): every demo member.
const MEMBERS: &[&str] = &["gov-wg", "cs-wg", "gov-member", "cs-drafter", "convener"];
const CONVENER_OR_SECRETARIAT: &[&str] = &["convener", "secretariat"];
const SECRETARIAT: &[&str] = &["secretariat"];

/// What a row needs before it is tried (made again after every call that got through).
#[derive(Clone, Copy, PartialEq, Debug)]
enum Need {
    Nothing,
    /// An open proposal by gov-wg changing c04.
    Proposal,
    /// … and its edit form as its author sees it.
    ProposalEdit,
    /// A round scheduled by the secretariat.
    Scheduled,
    /// … whose vote is open.
    Voting,
    /// … whose minutes are published (a draft).
    Minutes,
    /// A public input on c04 (routed to 法務部).
    Input,
    /// A comment on c04.
    Comment,
    /// c04's English translation status (master commit and a unit).
    Sync,
}

/// One row of the matrix: the router's pattern, what is tried, what it needs, who may.
struct Row {
    route: &'static str,
    what: &'static str,
    need: Need,
    allowed: &'static [&'static str],
}

const fn row(
    route: &'static str,
    what: &'static str,
    need: Need,
    allowed: &'static [&'static str],
) -> Row {
    Row {
        route,
        what,
        need,
        allowed,
    }
}

/// Every POST route of the router, as README's "Who may do what" says.
const ROWS: &[Row] = &[
    // ---- the JSON API (bearer tokens)
    row(
        "/api/admin/webhooks/{name}/redeliver",
        "api: redeliver a webhook",
        Need::Nothing,
        SECRETARIAT,
    ),
    row(
        "/api/commitments/{id}/comments",
        "api: comment on c04",
        Need::Nothing,
        SIGNED_IN,
    ),
    row(
        "/api/commitments/{id}/comments/{n}/hide",
        "api: hide a comment",
        Need::Comment,
        SECRETARIAT,
    ),
    row(
        "/api/proposals",
        "api: open a proposal on c04",
        Need::Nothing,
        C04_WRITERS,
    ),
    row(
        "/api/proposals",
        "api: open a proposal on c04's English",
        Need::Nothing,
        &["gov-wg", "cs-wg", "translator", "secretariat"],
    ),
    row(
        "/api/proposals/{n}/commits",
        "api: update a proposal on c04",
        Need::Proposal,
        C04_WRITERS,
    ),
    row(
        "/api/proposals/{n}/reviews",
        "api: approve a proposal",
        Need::Proposal,
        // The working group but the author (gov-wg).
        &["cs-wg"],
    ),
    row(
        "/api/proposals/{n}/reviews",
        "api: comment on a proposal",
        Need::Proposal,
        STAFF,
    ),
    row(
        "/api/proposals/{n}/merge",
        "api: merge a proposal",
        Need::Proposal,
        &["gov-wg", "convener", "secretariat"],
    ),
    row(
        "/api/proposals/{n}/update-from-main",
        "api: bring a proposal up to date",
        Need::Proposal,
        &["gov-wg", "cs-wg", "convener", "secretariat"],
    ),
    row(
        "/api/proposals/{n}/close",
        "api: close a proposal",
        Need::Proposal,
        &["gov-wg", "secretariat"],
    ),
    row(
        "/api/rounds",
        "api: schedule a round",
        Need::Nothing,
        CONVENER_OR_SECRETARIAT,
    ),
    row(
        "/api/rounds/{name}/open",
        "api: open a round's vote",
        Need::Scheduled,
        CONVENER_OR_SECRETARIAT,
    ),
    row(
        "/api/rounds/{name}/votes",
        "api: vote",
        Need::Voting,
        MEMBERS,
    ),
    row(
        "/api/rounds/{name}/close",
        "api: close a round",
        Need::Voting,
        &["convener"],
    ),
    row(
        "/api/rounds/{name}/minutes",
        "api: publish minutes",
        Need::Scheduled,
        CONVENER_OR_SECRETARIAT,
    ),
    row("/api/inputs", "api: send input", Need::Nothing, EVERYONE),
    row(
        "/api/inputs/{n}/assign",
        "api: route input",
        Need::Input,
        SECRETARIAT,
    ),
    row(
        "/api/inputs/{n}/answer",
        "api: answer input",
        Need::Input,
        // The account whose agency (法務部) the input is routed to.
        &["gov-wg"],
    ),
    row(
        "/api/inputs/{n}/hide",
        "api: hide input",
        Need::Input,
        SECRETARIAT,
    ),
    row(
        "/api/commitments/{id}/progress",
        "api: report progress",
        Need::Nothing,
        &["gov-wg", "secretariat"],
    ),
    row(
        "/api/commitments/{id}/translations/{lang}/sync",
        "api: mark translation units synced",
        Need::Sync,
        &["translator", "secretariat"],
    ),
    // ---- git over HTTP (basic auth, the password an API token)
    row(
        "/plan.git/{*rest}",
        "git: push (git-receive-pack)",
        Need::Nothing,
        STAFF,
    ),
    row(
        "/plan.git/{*rest}",
        "git: fetch (git-upload-pack)",
        Need::Nothing,
        EVERYONE,
    ),
    // ---- the pages' forms (session cookie and CSRF token)
    row(
        "/admin/webhooks/{name}/redeliver",
        "form: redeliver a webhook",
        Need::Nothing,
        SECRETARIAT,
    ),
    row(
        "/commitments/{id}/comments",
        "form: comment on c04",
        Need::Nothing,
        SIGNED_IN,
    ),
    row(
        "/commitments/{id}/comments/{n}/hide",
        "form: hide a comment",
        Need::Comment,
        SECRETARIAT,
    ),
    row("/login", "form: sign in", Need::Nothing, EVERYONE),
    row("/logout", "form: sign out", Need::Nothing, EVERYONE),
    row(
        "/proposals",
        "form: open a proposal (empty, to edit c04 next)",
        Need::Nothing,
        STAFF,
    ),
    row(
        "/proposals/{n}/edit",
        "form: edit c04 in a proposal",
        Need::ProposalEdit,
        C04_WRITERS,
    ),
    row(
        "/proposals/{n}/delete",
        "form: delete c04 in a proposal",
        Need::Proposal,
        C04_WRITERS,
    ),
    row(
        "/proposals/{n}/reviews",
        "form: approve a proposal",
        Need::Proposal,
        &["cs-wg"],
    ),
    row(
        "/proposals/{n}/merge",
        "form: merge a proposal",
        Need::Proposal,
        &["gov-wg", "convener", "secretariat"],
    ),
    row(
        "/proposals/{n}/update",
        "form: bring a proposal up to date",
        Need::Proposal,
        &["gov-wg", "cs-wg", "convener", "secretariat"],
    ),
    row(
        "/proposals/{n}/close",
        "form: close a proposal",
        Need::Proposal,
        &["gov-wg", "secretariat"],
    ),
    row(
        "/rounds",
        "form: schedule a round",
        Need::Nothing,
        CONVENER_OR_SECRETARIAT,
    ),
    row(
        "/rounds/{name}/open",
        "form: open a round's vote",
        Need::Scheduled,
        CONVENER_OR_SECRETARIAT,
    ),
    row("/rounds/{name}/votes", "form: vote", Need::Voting, MEMBERS),
    row(
        "/rounds/{name}/close",
        "form: close a round",
        Need::Voting,
        &["convener"],
    ),
    row(
        "/rounds/{name}/minutes",
        "form: publish minutes",
        Need::Scheduled,
        CONVENER_OR_SECRETARIAT,
    ),
    row(
        "/rounds/{name}/correction",
        "form: propose a correction to draft minutes",
        Need::Minutes,
        &[
            "gov-wg",
            "cs-wg",
            "gov-member",
            "cs-drafter",
            "convener",
            "secretariat",
        ],
    ),
    row("/inputs", "form: send input", Need::Nothing, EVERYONE),
    row(
        "/inputs/{n}/{action}",
        "form: route input",
        Need::Input,
        SECRETARIAT,
    ),
    row(
        "/inputs/{n}/{action}",
        "form: answer input",
        Need::Input,
        &["gov-wg"],
    ),
    row(
        "/inputs/{n}/{action}",
        "form: hide input",
        Need::Input,
        SECRETARIAT,
    ),
    row(
        "/commitments/{id}/progress",
        "form: report progress",
        Need::Nothing,
        &["gov-wg", "secretariat"],
    ),
    row(
        "/translations/{id}/{lang}/sync",
        "form: mark translation units synced",
        Need::Sync,
        &["translator", "secretariat"],
    ),
];

/// The demo behind a real server with the matrix's people: an API token and a signed-in
/// session each.
pub struct Env {
    pub api: DemoApi,
    pub web: Web,
    tokens: HashMap<&'static str, String>,
    people: HashMap<&'static str, Person>,
    main_text: String,
    counter: AtomicU32,
    /// The last byte of the next loopback address public input is sent from (the server
    /// takes 5 inputs per address per 10 minutes).
    next_addr: AtomicU8,
}

/// How a form's CSRF token is sent.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Csrf {
    /// The session's own.
    Right,
    /// None at all.
    Missing,
    /// A token of the right shape that is nobody's.
    Wrong,
    /// The token of another signed-in person's session.
    Others,
}

/// How a request says who sends it.
enum Auth<'a> {
    None,
    Bearer(&'a str),
    Session(&'a Person, Csrf),
}

enum Payload {
    None,
    Json(Value),
    Form(Vec<(String, String)>),
}

/// An answer: status, content type, body.
pub struct Got {
    pub status: StatusCode,
    pub content_type: String,
    pub body: String,
}

impl Env {
    pub async fn new() -> Env {
        let api = DemoApi::new_with(|dir| {
            Accounts::open(dir)
                .unwrap()
                .add_user(NewUser {
                    id: "reader".into(),
                    name: "讀者 Reader".into(),
                    email: Some("reader@example.org".into()),
                    sector: Sector::CivilSociety,
                    roles: [Role::Public].into(),
                    commitments: BTreeSet::new(),
                    agency: None,
                    password: Some(DEMO_PASSWORD.into()),
                })
                .unwrap();
        })
        .await;
        let web = Web::new(&api.base);
        let mut tokens = HashMap::new();
        let mut people = HashMap::new();
        for (key, id) in ROLES {
            if let Some(id) = id {
                tokens.insert(*key, api.accounts.new_token(id).unwrap());
                people.insert(*key, web.sign_in(id).await);
            }
        }
        let main_text = api.git(&["show", &format!("main:{C04_PATH}")]);
        Env {
            api,
            web,
            tokens,
            people,
            main_text,
            counter: AtomicU32::new(0),
            next_addr: AtomicU8::new(10),
        }
    }

    fn unique(&self) -> u32 {
        self.counter.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// A client whose requests come from a loopback address no other request used.
    fn fresh_client(&self) -> reqwest::Client {
        let last = self.next_addr.fetch_add(1, Ordering::Relaxed);
        assert!(last < 250, "out of loopback addresses");
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .local_address(IpAddr::from([127, 0, 0, last]))
            .build()
            .unwrap()
    }

    pub fn token(&self, role: &str) -> &str {
        &self.tokens[role]
    }

    pub fn person(&self, role: &str) -> &Person {
        &self.people[role]
    }

    /// c04's master text with the phrase changed, unique per call.
    fn c04_changed(&self) -> String {
        let text = &self.main_text;
        assert_eq!(text.matches(PHRASE).count(), 1);
        text.replacen(PHRASE, &format!("{PHRASE}（{}）", self.unique()), 1)
    }

    async fn send(
        &self,
        client: Option<&reqwest::Client>,
        path: &str,
        auth: Auth<'_>,
        payload: Payload,
    ) -> Got {
        let client = client.unwrap_or(&self.web.client);
        let mut req = client.post(format!("{}{path}", self.api.base));
        let mut payload = payload;
        match auth {
            Auth::None => {}
            Auth::Bearer(token) => req = req.bearer_auth(token),
            Auth::Session(person, csrf) => {
                req = req.header("cookie", &person.cookie);
                if let Payload::Form(pairs) = &mut payload {
                    pairs.retain(|(k, _)| k != "csrf");
                    let token = match csrf {
                        Csrf::Right => Some(person.csrf.clone()),
                        Csrf::Missing => None,
                        Csrf::Wrong => Some("0".repeat(64)),
                        Csrf::Others => Some(
                            self.people
                                .values()
                                .find(|p| p.csrf != person.csrf)
                                .unwrap()
                                .csrf
                                .clone(),
                        ),
                    };
                    if let Some(t) = token {
                        pairs.push(("csrf".into(), t));
                    }
                }
            }
        }
        req = match payload {
            Payload::None => req,
            Payload::Json(v) => req.json(&v),
            Payload::Form(pairs) => req.form(&pairs),
        };
        got(req.send().await.unwrap()).await
    }

    /// POSTs JSON as `role` (its token) and returns the answer as JSON.
    pub async fn api(&self, role: &str, path: &str, body: Value) -> (StatusCode, Value) {
        let g = self
            .send(
                None,
                path,
                Auth::Bearer(self.token(role)),
                Payload::Json(body),
            )
            .await;
        (
            g.status,
            serde_json::from_str(&g.body).unwrap_or(Value::Null),
        )
    }

    /// Sends a public input on c04 from a fresh address; returns its number.
    pub async fn input(&self, fields: Value) -> u64 {
        let mut body = json!({
            "kind": "change", "commitment": C04, "title": "請公開理由統計",
            "text": "建議公布統計。", "name": "王小明",
        });
        for (k, v) in fields.as_object().unwrap() {
            body[k] = v.clone();
        }
        let client = self.fresh_client();
        let g = self
            .send(
                Some(&client),
                "/api/inputs",
                Auth::None,
                Payload::Json(body),
            )
            .await;
        assert_eq!(g.status, StatusCode::CREATED, "{}", g.body);
        let v: Value = serde_json::from_str(&g.body).unwrap();
        v["number"].as_u64().unwrap()
    }

    /// An open proposal by gov-wg changing c04: (number, head).
    pub async fn proposal(&self, title: &str) -> (u64, String) {
        let (s, p) = self
            .api(
                "gov-wg",
                "/api/proposals",
                json!({"title": title, "documents": [
                    {"commitment": C04, "lang": "zh-TW", "text": self.c04_changed()}]}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{p}");
        (
            p["number"].as_u64().unwrap(),
            p["head"].as_str().unwrap().to_string(),
        )
    }

    /// A round scheduled by the secretariat, in `need`'s state; returns its name.
    async fn round(&self, need: Need) -> String {
        let name = format!("sec-{}", self.unique());
        let (s, v) = self
            .api(
                "secretariat",
                "/api/rounds",
                json!({"name": name, "title": "第三次會議", "date": "2099-06-01", "place": "臺北"}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        match need {
            Need::Voting => {
                let (s, v) = self
                    .api(
                        "secretariat",
                        &format!("/api/rounds/{name}/open"),
                        json!({}),
                    )
                    .await;
                assert_eq!(s, StatusCode::OK, "{v}");
            }
            Need::Minutes => {
                let (s, v) = self
                    .api(
                        "secretariat",
                        &format!("/api/rounds/{name}/minutes"),
                        json!({"text": "# 會議紀錄\n\n出席：全體委員。\n"}),
                    )
                    .await;
                assert_eq!(s, StatusCode::CREATED, "{v}");
            }
            _ => {}
        }
        name
    }

    /// Whatever `need` names, made fresh.
    async fn fixture(&self, need: Need) -> Fixture {
        let mut fx = Fixture::default();
        match need {
            Need::Nothing => {}
            Need::Proposal | Need::ProposalEdit => {
                (fx.number, fx.head) = self.proposal("修正資訊公開").await;
                if need == Need::ProposalEdit {
                    let page = self
                        .web
                        .get(
                            Some(self.person("gov-wg")),
                            &format!("/proposals/{}/edit?commitment={C04}", fx.number),
                        )
                        .await;
                    assert_eq!(page.status, StatusCode::OK);
                    fx.form = form_pairs(&page.body);
                    let field = fx
                        .form
                        .iter_mut()
                        .find(|(_, v)| v.contains(PHRASE))
                        .expect("the edit form holds c04's text");
                    field.1 = field.1.replacen(PHRASE, &format!("{PHRASE}！"), 1);
                }
            }
            Need::Scheduled | Need::Voting | Need::Minutes => fx.round = self.round(need).await,
            Need::Input => fx.number = self.input(json!({})).await,
            Need::Comment => {
                let (s, v) = self
                    .api(
                        "cs-drafter",
                        &format!("/api/commitments/{C04}/comments"),
                        json!({"body": "離題的留言"}),
                    )
                    .await;
                assert_eq!(s, StatusCode::CREATED, "{v}");
                fx.number = v["number"].as_u64().unwrap();
            }
            Need::Sync => {
                let v = self
                    .api
                    .get(&format!("/api/commitments/{C04}/translations/en"))
                    .await;
                fx.head = v["master_commit"].as_str().unwrap().to_string();
                fx.unit = v["units"][0]["key"].as_str().unwrap().to_string();
            }
        }
        fx
    }

    /// Tries `row` as `role` (`csrf`: how a form sends its token).
    async fn try_row(&self, row: &Row, role: &str, fx: &Fixture, csrf: Csrf) -> Got {
        let n = fx.number;
        let round = &fx.round;
        let token = self.tokens.get(role).map(String::as_str);
        let bearer = token.map_or(Auth::None, Auth::Bearer);
        let session = || match self.people.get(role) {
            Some(p) => Auth::Session(p, csrf),
            None => Auth::None,
        };
        let form = |pairs: &[(&str, &str)]| {
            Payload::Form(
                pairs
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            )
        };
        let json = Payload::Json;
        let head = fx.head.as_str();
        let (path, auth, payload) = match row.what {
            "api: redeliver a webhook" => (
                "/api/admin/webhooks/nohook/redeliver".to_string(),
                bearer,
                json(json!({"id": "nothing"})),
            ),
            "api: comment on c04" => (
                format!("/api/commitments/{C04}/comments"),
                bearer,
                json(json!({"body": "同意這一段"})),
            ),
            "api: hide a comment" => (
                format!("/api/commitments/{C04}/comments/{n}/hide"),
                bearer,
                json(json!({"reason": "離題"})),
            ),
            "api: open a proposal on c04" => (
                "/api/proposals".into(),
                bearer,
                json(json!({"title": "改 c04", "documents": [
                    {"commitment": C04, "lang": "zh-TW", "text": self.c04_changed()}]})),
            ),
            "api: open a proposal on c04's English" => {
                let en = self
                    .api
                    .git(&["show", &format!("main:commitments/{C04}/en.md")]);
                (
                    "/api/proposals".into(),
                    bearer,
                    json(json!({"title": "English", "documents": [
                        {"commitment": C04, "lang": "en",
                         "text": format!("{en}\nMore {}.\n", self.unique())}]})),
                )
            }
            "api: update a proposal on c04" => (
                format!("/api/proposals/{n}/commits"),
                bearer,
                json(json!({"expected_head": head, "documents": [
                    {"commitment": C04, "lang": "zh-TW", "text": self.c04_changed()}]})),
            ),
            "api: approve a proposal" => (
                format!("/api/proposals/{n}/reviews"),
                bearer,
                json(json!({"verdict": "approve", "head": head})),
            ),
            "api: comment on a proposal" => (
                format!("/api/proposals/{n}/reviews"),
                bearer,
                json(json!({"verdict": "comment", "head": head, "body": "看過了"})),
            ),
            "api: merge a proposal" => {
                (format!("/api/proposals/{n}/merge"), bearer, json(json!({})))
            }
            "api: bring a proposal up to date" => (
                format!("/api/proposals/{n}/update-from-main"),
                bearer,
                Payload::None,
            ),
            "api: close a proposal" => (format!("/api/proposals/{n}/close"), bearer, Payload::None),
            "api: schedule a round" => (
                "/api/rounds".into(),
                bearer,
                json(
                    json!({"name": format!("m-{}", self.unique()), "title": "會議",
                            "date": "2099-07-01", "place": "臺北"}),
                ),
            ),
            "api: open a round's vote" => {
                (format!("/api/rounds/{round}/open"), bearer, Payload::None)
            }
            "api: vote" => (
                format!("/api/rounds/{round}/votes"),
                bearer,
                json(json!({"choice": "agree"})),
            ),
            "api: close a round" => (format!("/api/rounds/{round}/close"), bearer, Payload::None),
            "api: publish minutes" => (
                format!("/api/rounds/{round}/minutes"),
                bearer,
                json(json!({"text": "# 紀錄\n\n出席：全體。\n"})),
            ),
            "api: send input" => {
                let client = self.fresh_client();
                let body = json!({"kind": "change", "commitment": C04,
                    "title": "意見", "text": "內容", "name": "王小明"});
                return self
                    .send(Some(&client), "/api/inputs", bearer, json(body))
                    .await;
            }
            "api: route input" => (
                format!("/api/inputs/{n}/assign"),
                bearer,
                json(json!({"agency": "法務部"})),
            ),
            "api: answer input" => (
                format!("/api/inputs/{n}/answer"),
                bearer,
                json(json!({"outcome": "not_adopted", "reasons": "已有其他管道"})),
            ),
            "api: hide input" => (
                format!("/api/inputs/{n}/hide"),
                bearer,
                json(json!({"reason": "含個資"})),
            ),
            "api: report progress" => (
                format!("/api/commitments/{C04}/progress"),
                bearer,
                json(json!({"milestone": "m2", "period": "2022-H1",
                            "status": "limited", "text": "辦理中"})),
            ),
            "api: mark translation units synced" => (
                format!("/api/commitments/{C04}/translations/en/sync"),
                bearer,
                json(json!({"units": [fx.unit], "master_commit": head, "reason": "checked"})),
            ),
            "git: push (git-receive-pack)" | "git: fetch (git-upload-pack)" => {
                let service = if row.what.contains("receive") {
                    "git-receive-pack"
                } else {
                    "git-upload-pack"
                };
                let mut req = self
                    .web
                    .client
                    .post(format!("{}/plan.git/{service}", self.api.base))
                    .header("content-type", format!("application/x-{service}-request"))
                    .body("0000");
                if let (Some(id), Some(token)) = (account(role), token) {
                    req = req.basic_auth(id, Some(token));
                }
                return got(req.send().await.unwrap()).await;
            }
            "form: redeliver a webhook" => (
                "/admin/webhooks/nohook/redeliver".into(),
                session(),
                form(&[("id", "nothing")]),
            ),
            "form: comment on c04" => (
                format!("/commitments/{C04}/comments"),
                session(),
                form(&[("section", ""), ("body", "同意")]),
            ),
            "form: hide a comment" => (
                format!("/commitments/{C04}/comments/{n}/hide"),
                session(),
                form(&[("reason", "離題")]),
            ),
            "form: sign in" => return self.sign_in_form(account(role).unwrap_or("reader")).await,
            "form: sign out" => {
                let Some(id) = account(role) else {
                    return self.send(None, "/logout", Auth::None, form(&[])).await;
                };
                // A session of its own, so the matrix's stays signed in.
                let person = self.web.sign_in(id).await;
                let g = self
                    .send(None, "/logout", Auth::Session(&person, csrf), form(&[]))
                    .await;
                if g.status == StatusCode::SEE_OTHER {
                    let page = self.web.get(Some(&person), "/rounds?lang=en").await;
                    assert!(
                        !page.body.contains(&format!("title=\"{id}\"")),
                        "the session of {id} ended with signing out"
                    );
                }
                return g;
            }
            "form: open a proposal (empty, to edit c04 next)" => (
                "/proposals".into(),
                session(),
                form(&[("title", "改 c04"), ("commitment", C04)]),
            ),
            "form: edit c04 in a proposal" => (
                format!("/proposals/{n}/edit"),
                session(),
                Payload::Form(fx.form.clone()),
            ),
            "form: delete c04 in a proposal" => (
                format!("/proposals/{n}/delete"),
                session(),
                form(&[("head", head), ("commitment", C04)]),
            ),
            "form: approve a proposal" => (
                format!("/proposals/{n}/reviews"),
                session(),
                form(&[("verdict", "approve"), ("head", head)]),
            ),
            "form: merge a proposal" => (
                format!("/proposals/{n}/merge"),
                session(),
                form(&[("head", head)]),
            ),
            "form: bring a proposal up to date" => (
                format!("/proposals/{n}/update"),
                session(),
                form(&[("head", head)]),
            ),
            "form: close a proposal" => (
                format!("/proposals/{n}/close"),
                session(),
                form(&[("head", head)]),
            ),
            "form: schedule a round" => {
                let name = format!("f-{}", self.unique());
                (
                    "/rounds".into(),
                    session(),
                    form(&[
                        ("name", &name),
                        ("title", "會議"),
                        ("date", "2099-08-01"),
                        ("place", "臺北"),
                        ("link", ""),
                        ("agenda", ""),
                        ("candidate", "main"),
                    ]),
                )
            }
            "form: open a round's vote" => (format!("/rounds/{round}/open"), session(), form(&[])),
            "form: vote" => (
                format!("/rounds/{round}/votes"),
                session(),
                form(&[("choice", "agree"), ("reason", "")]),
            ),
            "form: close a round" => (format!("/rounds/{round}/close"), session(), form(&[])),
            "form: publish minutes" => (
                format!("/rounds/{round}/minutes"),
                session(),
                form(&[("text", "# 紀錄\n\n出席：全體。\n")]),
            ),
            "form: propose a correction to draft minutes" => (
                format!("/rounds/{round}/correction"),
                session(),
                form(&[
                    ("title", "更正紀錄"),
                    ("description", ""),
                    ("text", "# 會議紀錄\n\n出席：全體委員及秘書處。\n"),
                ]),
            ),
            "form: send input" => {
                let client = self.fresh_client();
                let auth = session();
                let fields = form(&[
                    ("kind", "change"),
                    ("commitment", C04),
                    ("section", ""),
                    ("title", "意見"),
                    ("text", "內容"),
                    ("name", "王小明"),
                    ("organisation", ""),
                    ("contact", ""),
                ]);
                return self.send(Some(&client), "/inputs", auth, fields).await;
            }
            "form: route input" => (
                format!("/inputs/{n}/route"),
                session(),
                form(&[("agency", "法務部")]),
            ),
            "form: answer input" => (
                format!("/inputs/{n}/answer"),
                session(),
                form(&[
                    ("outcome", "not_adopted"),
                    ("reasons", "已有其他管道"),
                    ("proposal", ""),
                    ("round", ""),
                    ("commit", ""),
                ]),
            ),
            "form: hide input" => (
                format!("/inputs/{n}/hide"),
                session(),
                form(&[("reason", "含個資")]),
            ),
            "form: report progress" => (
                format!("/commitments/{C04}/progress"),
                session(),
                form(&[
                    ("milestone", "m2"),
                    ("period", "2022-H1"),
                    ("status", "limited"),
                    ("text", "辦理中"),
                    ("evidence", ""),
                ]),
            ),
            "form: mark translation units synced" => (
                format!("/translations/{C04}/en/sync"),
                session(),
                form(&[
                    ("unit", &fx.unit),
                    ("master_commit", head),
                    ("baseline", "main"),
                    ("reason", "checked"),
                ]),
            ),
            other => panic!("no request for the row \"{other}\""),
        };
        self.send(None, &path, auth, payload).await
    }

    /// Signs `id` in through the form (login CSRF cookie and token).
    async fn sign_in_form(&self, id: &str) -> Got {
        let res = self
            .web
            .client
            .get(format!("{}/login", self.api.base))
            .send()
            .await
            .unwrap();
        let cookie = set_cookie(&res, "codraft_login");
        let token = hidden(&res.text().await.unwrap(), "csrf");
        let res = self
            .web
            .client
            .post(format!("{}/login", self.api.base))
            .header("cookie", format!("codraft_login={cookie}"))
            .form(&[("login", id), ("password", DEMO_PASSWORD), ("csrf", &token)])
            .send()
            .await
            .unwrap();
        got(res).await
    }
}

#[derive(Default)]
struct Fixture {
    number: u64,
    head: String,
    round: String,
    unit: String,
    form: Vec<(String, String)>,
}

fn account(role: &str) -> Option<&'static str> {
    ROLES
        .iter()
        .find(|(k, _)| *k == role)
        .and_then(|(_, id)| *id)
}

pub async fn got(res: reqwest::Response) -> Got {
    let status = res.status();
    let content_type = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    Got {
        status,
        content_type,
        body: res.text().await.unwrap(),
    }
}

/// A refusal as the route's kind of client sees it: the API's JSON error, an HTML page for
/// forms, git's plain text for git.
fn assert_refusal(route: &str, g: &Got, context: &str) {
    assert!(
        g.status == StatusCode::UNAUTHORIZED || g.status == StatusCode::FORBIDDEN,
        "{context}: {} {}",
        g.status,
        g.body
    );
    if route.starts_with("/api/") {
        assert!(g.content_type.starts_with("application/json"), "{context}");
        let v: Value = serde_json::from_str(&g.body).unwrap();
        let code = v["error"]["code"].as_str().unwrap_or_default();
        assert!(!code.is_empty(), "{context}: {v}");
        common::assert_error(&v, code);
    } else if route.starts_with("/plan.git") {
        assert!(g.content_type.starts_with("text/plain"), "{context}");
    } else {
        assert!(g.content_type.starts_with("text/html"), "{context}");
    }
}

/// Every POST route of the router: the rows above cover exactly them, so a new route without
/// a row fails here.
#[test]
fn the_matrix_covers_every_post_route_of_the_router() {
    let in_router: BTreeSet<String> =
        common::routes::source_routes(&common::routes::router_source())
            .into_iter()
            .filter(|(method, _)| method != "get")
            .map(|(method, path)| {
                assert_eq!(method, "post", "{path}: a method the matrix does not try");
                path
            })
            .collect();
    let in_rows: BTreeSet<String> = ROWS.iter().map(|r| r.route.to_string()).collect();
    assert_eq!(
        in_router.difference(&in_rows).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "POST routes without a row in ROWS"
    );
    assert_eq!(
        in_rows.difference(&in_router).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "rows for routes the router does not have"
    );
    for r in ROWS {
        for a in r.allowed {
            assert!(EVERYONE.contains(a), "{}: unknown role {a}", r.what);
        }
    }
}

/// Every POST route × every kind of person: the allowed get past the rights check (no 401 or
/// 403, no server error); everyone else is refused with an error in the route's own form and
/// no ref of the repository moves.
#[tokio::test]
async fn every_post_route_with_every_role() {
    let env = Env::new().await;
    let mut wrong = Vec::new();
    for row in ROWS {
        let mut fx: Option<Fixture> = None;
        for (role, _) in ROLES {
            if fx.is_none() {
                fx = Some(env.fixture(row.need).await);
            }
            let before = env.api.refs();
            let g = env
                .try_row(row, role, fx.as_ref().unwrap(), Csrf::Right)
                .await;
            let context = format!("{} as {role}", row.what);
            let passed = g.status != StatusCode::UNAUTHORIZED && g.status != StatusCode::FORBIDDEN;
            let allowed = row.allowed.contains(role);
            if passed != allowed {
                wrong.push(format!(
                    "{context}: expected {}, got {} {}",
                    if allowed { "allowed" } else { "refused" },
                    g.status,
                    g.body.chars().take(300).collect::<String>()
                ));
                continue;
            }
            if passed {
                assert!(
                    !g.status.is_server_error(),
                    "{context}: {} {}",
                    g.status,
                    g.body
                );
                // It may have used up the fixture (closed, merged, answered…).
                fx = None;
            } else {
                assert_refusal(row.route, &g, &context);
                assert_eq!(env.api.refs(), before, "{context} wrote something");
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// CSRF: every form that changes something, sent by a signed-in person allowed to send it but
/// without the session's token — none, a made-up one, another session's — is refused with 403
/// and writes nothing. The sign-in form has its own double-submit token; signing out needs the
/// session's token too (else a page elsewhere could sign people out).
#[tokio::test]
async fn every_form_refuses_a_missing_or_wrong_csrf_token() {
    let env = Env::new().await;
    for row in ROWS.iter().filter(|r| r.what.starts_with("form: ")) {
        if row.route == "/login" || row.route == "/logout" {
            continue;
        }
        let role = row
            .allowed
            .iter()
            .find(|r| **r != "anonymous")
            .expect("someone may use the form");
        let fx = env.fixture(row.need).await;
        for csrf in [Csrf::Missing, Csrf::Wrong, Csrf::Others] {
            let before = env.api.refs();
            let g = env.try_row(row, role, &fx, csrf).await;
            let context = format!("{} as {role} with {csrf:?} CSRF token", row.what);
            assert_eq!(g.status, StatusCode::FORBIDDEN, "{context}: {}", g.body);
            assert!(g.content_type.starts_with("text/html"), "{context}");
            assert_eq!(env.api.refs(), before, "{context} wrote something");
        }
        // The same form with the right token gets through (the refusals were the token's).
        let g = env.try_row(row, role, &fx, Csrf::Right).await;
        assert_ne!(
            g.status,
            StatusCode::FORBIDDEN,
            "{} as {role}: {}",
            row.what,
            g.body
        );
    }

    // Sign-in: the form's token must match the cookie set with the form.
    let base = &env.api.base;
    let c = &env.web.client;
    let res = c.get(format!("{base}/login")).send().await.unwrap();
    let cookie = set_cookie(&res, "codraft_login");
    let token = hidden(&res.text().await.unwrap(), "csrf");
    for (cookie, token) in [
        (None, token.as_str()),
        (Some(cookie.as_str()), ""),
        (Some(cookie.as_str()), "0000"),
        (Some("forged"), "forged"),
    ] {
        let mut req = c.post(format!("{base}/login")).form(&[
            ("login", "secretariat"),
            ("password", DEMO_PASSWORD),
            ("csrf", token),
        ]);
        if let Some(cookie) = cookie {
            req = req.header("cookie", format!("codraft_login={cookie}"));
        }
        let res = req.send().await.unwrap();
        assert_eq!(
            res.status(),
            StatusCode::FORBIDDEN,
            "sign-in with {cookie:?}/{token}"
        );
        assert!(
            !res.headers()
                .get_all("set-cookie")
                .iter()
                .any(|v| v.to_str().unwrap().starts_with("codraft_session=")),
            "no session without the login token"
        );
    }
    // Sign-out without the token: refused, still signed in.
    let person = env.person("cs-wg");
    for csrf in [Csrf::Missing, Csrf::Wrong, Csrf::Others] {
        let g = env
            .send(
                None,
                "/logout",
                Auth::Session(person, csrf),
                Payload::Form(vec![]),
            )
            .await;
        assert_eq!(g.status, StatusCode::FORBIDDEN, "sign-out with {csrf:?}");
    }
    let page = env.web.get(Some(person), "/rounds?lang=en").await;
    assert!(
        page.body.contains("title=\"chiaying-li\""),
        "still signed in"
    );
}

// ---- path traversal

/// A secret planted in the data directory, beside the repository and inside it (outside its
/// objects and refs), and in the folder of private contacts.
const SECRET: &str = "PLANTED-SECRET-7d3f";

fn plant_secrets(data: &std::path::Path) -> Vec<std::path::PathBuf> {
    let places = [
        data.join("secret.txt"),
        data.join("plan.git/secret.txt"),
        data.join("plan.git/objects/secret.txt"),
        data.join("private/secret.txt"),
    ];
    for p in &places {
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, SECRET).unwrap();
    }
    places.to_vec()
}

/// Ids, languages, names, refs and git paths that try to leave the repository: `../`, its
/// encodings, absolute paths, NUL, `refs/../..`, very long ones. Each is refused (4xx, as
/// JSON on the API) and no answer holds the planted secret, the accounts file or a file
/// outside the repository.
#[tokio::test]
async fn traversal_in_ids_refs_and_git_paths_never_leaves_the_repository() {
    let api = DemoApi::new_with(|dir| {
        plant_secrets(dir);
    })
    .await;
    let web = Web::new(&api.base);
    let long = "a".repeat(5000);
    let ids = [
        "..%2F..%2Fsecret.txt",
        "%2e%2e%2f%2e%2e%2fsecret.txt",
        "..%2F..%2F..%2F..%2Fetc%2Fpasswd",
        "%2Fetc%2Fpasswd",
        "..%5C..%5Csecret.txt",
        "c04-information-access%00",
        "c04-information-access%2F..%2F..%2Fsecret.txt",
        "....%2F%2F....%2F%2Fsecret.txt",
        "%252e%252e%252fsecret.txt",
        long.as_str(),
    ];
    let refs = [
        "..%2F..%2Fsecret.txt",
        "refs%2F..%2F..%2Fsecret.txt",
        "refs/heads/../../secret.txt",
        "%2Fetc%2Fpasswd",
        "main%00",
        "main:secret.txt",
        "main~1",
        "HEAD@%7B0%7D",
        "..",
        "records/../../secret.txt",
        "FETCH_HEAD",
        long.as_str(),
    ];
    let mut urls: Vec<(String, bool)> = Vec::new();
    for id in ids {
        for (template, json) in [
            ("/commitments/{}", false),
            ("/commitments/{}/history", false),
            ("/commitments/{}/progress", false),
            ("/api/commitments/{}", true),
            ("/api/commitments/{}/history", true),
            ("/api/commitments/{}/comments", true),
            ("/api/commitments/{}/rounds", true),
            ("/api/commitments/{}/progress", true),
            ("/api/commitments/{}/translations/en", true),
            (
                "/api/commitments/c04-information-access/translations/{}",
                true,
            ),
            ("/translations/{}/en", false),
            ("/translations/c04-information-access/{}", false),
            ("/rounds/{}", false),
            ("/api/rounds/{}", true),
            ("/forum/changes/{}", false),
            ("/api/forum/changes/{}", true),
            ("/proposals/{}", false),
            ("/api/proposals/{}", true),
            ("/inputs/{}", false),
            ("/api/inputs/{}", true),
            ("/static/{}", false),
        ] {
            urls.push((template.replace("{}", id), json));
        }
    }
    for r in refs {
        for (template, json) in [
            ("/?ref={}", false),
            ("/commitments/c04-information-access?ref={}", false),
            ("/commitments/c04-information-access/history?ref={}", false),
            ("/api/plan?ref={}", true),
            ("/api/commitments?ref={}", true),
            ("/api/commitments/c04-information-access?ref={}", true),
            (
                "/api/commitments/c04-information-access/history?ref={}",
                true,
            ),
            ("/api/compare?from=main&to={}", true),
            ("/api/compare?from={}&to=main", true),
            ("/compare?from=main&to={}", false),
            ("/api/rounds/compare?from={}&to=msf-2", true),
            ("/export?ref={}", true),
            // Without `ref` or `format`, `lang` is the UI language of the list page.
            ("/export?format=md&lang={}", true),
            ("/api/translations?baseline={}", true),
            (
                "/edit?branch={}&commitment=c04-information-access&doc=zh-TW",
                false,
            ),
        ] {
            urls.push((template.replace("{}", r), json));
        }
    }
    for (url, json) in &urls {
        let g = got(web
            .client
            .get(format!("{}{url}", api.base))
            .send()
            .await
            .unwrap())
        .await;
        assert!(
            g.status.is_client_error() || g.status.is_redirection(),
            "{url}: {} {}",
            g.status,
            g.body.chars().take(200).collect::<String>()
        );
        assert!(!g.body.contains(SECRET), "{url} served the planted secret");
        assert!(
            !g.body.contains("$argon2"),
            "{url} served the accounts file"
        );
        assert!(!g.body.contains("root:x:0:0"), "{url} served /etc/passwd");
        if *json && g.status.is_client_error() {
            let v: Value = serde_json::from_str(&g.body)
                .unwrap_or_else(|_| panic!("{url}: not a JSON error: {}", g.body));
            let code = v["error"]["code"].as_str().unwrap_or_default().to_string();
            common::assert_error(&v, &code);
        }
    }

    // The git route: only the repository's own files, and only those git serves.
    let git_paths = [
        "../secret.txt",
        "..%2Fsecret.txt",
        "%2e%2e/secret.txt",
        "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        "secret.txt",
        "objects/secret.txt",
        "objects/../secret.txt",
        "objects/..%2f..%2fsecret.txt",
        "config",
        "hooks/pre-receive",
        "..%2Faccounts.json",
        "..%2Fprivate%2Fsecret.txt",
        "info/refs%00",
        "%2Fetc%2Fpasswd",
        "objects/info/..%2f..%2f..%2fsecret.txt",
        long.as_str(),
    ];
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for path in git_paths {
        for method in ["GET", "POST"] {
            let url = format!("{}/plan.git/{path}", api.base);
            let req = if method == "GET" {
                client.get(&url)
            } else {
                client.post(&url).body("0000")
            };
            let g = got(req.send().await.unwrap()).await;
            assert!(
                g.status.is_client_error(),
                "{method} /plan.git/{path}: {} {}",
                g.status,
                g.body.chars().take(200).collect::<String>()
            );
            assert!(
                !g.body.contains(SECRET),
                "/plan.git/{path} served the secret"
            );
            assert!(!g.body.contains("$argon2"), "/plan.git/{path}: accounts");
            assert!(
                !g.body.contains("CODRAFT_USER"),
                "/plan.git/{path}: the hook"
            );
        }
    }
    // What git serves still works (the refusals above are not everything refused).
    let g = got(client
        .get(format!(
            "{}/plan.git/info/refs?service=git-upload-pack",
            api.base
        ))
        .send()
        .await
        .unwrap())
    .await;
    assert_eq!(g.status, StatusCode::OK);
    assert!(g.body.contains("refs/heads/main"));
    // A clone carries the repository's history, never the planted files.
    // (The git CLI blocks: off the runtime thread, which also serves the requests.)
    let url = format!("{}/plan.git", api.base);
    let listed = tokio::task::spawn_blocking(move || {
        let tmp = tempfile::tempdir().unwrap();
        common::git(tmp.path(), &["clone", "-q", &url, "c"]);
        common::git(
            &tmp.path().join("c"),
            &["ls-tree", "-r", "--name-only", "origin/main"],
        )
    })
    .await
    .unwrap();
    assert!(!listed.contains("secret.txt") && !listed.contains("accounts.json"));
}

// ---- size limits

/// Bodies over the limits (2 MiB, axum's default, for JSON and forms; 256 KiB on the input
/// routes) are refused before anything is written: the API with its JSON error
/// (413 `too_large` or 400), forms with a page. A live-editing message over 64 KiB gets
/// `too_large` and changes nothing; a frame over the socket's 1 MiB limit closes it.
#[tokio::test]
async fn oversized_bodies_and_frames_are_refused_and_write_nothing() {
    let env = Env::new().await;
    let (n, head) = env.proposal("大小限制").await;
    let round = env.round(Need::Scheduled).await;
    let input = env.input(json!({})).await;
    // Just over the limits: 2 MiB (axum's default) and 256 KiB (public input).
    let big = "x".repeat(2 * 1024 * 1024 + 4096);
    let mid = "x".repeat(256 * 1024 + 4096);
    let before = env.api.refs();
    // The routes that read no body (it is never buffered) are left out.
    let no_body = [
        "/api/proposals/{n}/update-from-main",
        "/api/proposals/{n}/close",
        "/api/rounds/{name}/open",
        "/api/rounds/{name}/close",
    ];
    for row in ROWS
        .iter()
        .filter(|r| r.route.starts_with("/api/") && !no_body.contains(&r.route))
    {
        let number = if row.route.starts_with("/api/inputs/") {
            input
        } else {
            n
        };
        let path = row
            .route
            .replace("{id}", C04)
            .replace("{lang}", "en")
            .replace("{n}", &number.to_string())
            .replace("{name}", &round);
        let small_limit = path == "/api/inputs";
        let text = if small_limit { &mid } else { &big };
        let body = json!({"text": text, "head": head, "verdict": "comment"});
        let g = env
            .send(
                None,
                &path,
                Auth::Bearer(env.token("secretariat")),
                Payload::Json(body),
            )
            .await;
        let context = format!("{} bytes to {path}", text.len());
        assert!(
            g.status == StatusCode::PAYLOAD_TOO_LARGE || g.status == StatusCode::BAD_REQUEST,
            "{context}: {} {}",
            g.status,
            g.body.chars().take(300).collect::<String>()
        );
        assert!(g.content_type.starts_with("application/json"), "{context}");
        let v: Value = serde_json::from_str(&g.body).unwrap();
        let code = v["error"]["code"].as_str().unwrap_or_default().to_string();
        common::assert_error(&v, &code);
        if g.status == StatusCode::PAYLOAD_TOO_LARGE {
            assert_eq!(code, "too_large", "{context}");
        }
        assert_eq!(env.api.refs(), before, "{context} wrote something");
    }
    // Forms.
    let person = env.person("secretariat");
    for (path, field) in [
        ("/proposals".to_string(), "title"),
        (format!("/commitments/{C04}/comments"), "body"),
        ("/rounds".to_string(), "agenda"),
        (format!("/rounds/{round}/minutes"), "text"),
        ("/inputs".to_string(), "text"),
        (format!("/commitments/{C04}/progress"), "text"),
        (format!("/proposals/{n}/reviews"), "body"),
    ] {
        let small_limit = path == "/inputs";
        let text = if small_limit { &mid } else { &big };
        let g = env
            .send(
                None,
                &path,
                Auth::Session(person, Csrf::Right),
                Payload::Form(vec![
                    (field.to_string(), text.clone()),
                    ("verdict".into(), "comment".into()),
                    ("head".into(), head.clone()),
                ]),
            )
            .await;
        assert!(
            g.status == StatusCode::PAYLOAD_TOO_LARGE || g.status == StatusCode::BAD_REQUEST,
            "{path}: {}",
            g.status
        );
        assert!(g.content_type.starts_with("text/html"), "{path}");
        assert_eq!(
            env.api.refs(),
            before,
            "an oversized form to {path} wrote something"
        );
    }

    // The live socket: 64 KiB per message, 1 MiB per frame.
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    use tokio_tungstenite::tungstenite::Message;
    let branch = env.api.get(&format!("/api/proposals/{n}")).await["branch"]
        .as_str()
        .unwrap()
        .to_string();
    let url = format!(
        "{}/live?branch={branch}&commitment={C04}&lang=zh-TW&session=size-limit-session-01",
        env.api.base.replace("http://", "ws://")
    );
    let mut request = url.into_client_request().unwrap();
    request.headers_mut().insert(
        "authorization",
        format!("Bearer {}", env.token("gov-wg")).parse().unwrap(),
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    async fn next_text(
        ws: &mut tokio_tungstenite::WebSocketStream<
            tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
        >,
    ) -> Option<Value> {
        loop {
            let m = tokio::time::timeout(std::time::Duration::from_secs(20), ws.next())
                .await
                .expect("an answer within 20 s");
            match m {
                Some(Ok(Message::Text(t))) => return Some(serde_json::from_str(&t).unwrap()),
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return None,
                Some(Ok(_)) => continue,
            }
        }
    }
    let snapshot = next_text(&mut ws).await.unwrap();
    assert_eq!(snapshot["type"], "snapshot");
    let seq = snapshot["seq"].clone();
    let edit = |text: &str| {
        json!({"type": "edit", "ref": 1, "base": seq, "field": "section.problem.text",
               "splices": [[0, 0, text]]})
        .to_string()
    };
    ws.send(Message::Text(edit(&"長".repeat(30 * 1024)).into()))
        .await
        .unwrap();
    let answer = loop {
        let m = next_text(&mut ws).await.expect("an error, the socket open");
        if m["type"] == "error" {
            break m;
        }
    };
    assert_eq!(answer["type"], "error", "{answer}");
    assert_eq!(answer["code"], "too_large", "{answer}");
    ws.send(Message::Text(edit(&"長".repeat(700 * 1024)).into()))
        .await
        .ok();
    assert!(
        next_text(&mut ws).await.is_none(),
        "a frame over 1 MiB closes the socket"
    );
    assert_eq!(env.api.refs(), before, "nothing reached the branch");
    let text = env.api.git(&["show", &format!("{branch}:{C04_PATH}")]);
    assert!(!text.contains('長'), "no live edit landed");
}

// ---- sign-in limiter and sessions

/// Guessing passwords: after 10 wrong ones for a name, that name is refused (429) even with
/// the right password, from any address, and so is any name from the guessing address; other
/// people elsewhere still sign in. A session ends with signing out: its cookie, replayed, is
/// nobody's; a made-up cookie is nobody's. (Idle and absolute expiry are tested on a running
/// `codraft serve` with short `--session-idle` and `--session-max` in `tests/auth.rs`, and
/// with an injected clock in `src/auth/session.rs`.)
#[tokio::test]
async fn password_guessing_is_limited_and_sessions_end_when_signed_out() {
    let api = DemoApi::new().await;
    let base = &api.base;
    let from = |last: u8| {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .local_address(IpAddr::from([127, 0, 0, last]))
            .build()
            .unwrap()
    };
    async fn attempt(
        client: &reqwest::Client,
        base: &str,
        login: &str,
        password: &str,
    ) -> reqwest::Response {
        let res = client.get(format!("{base}/login")).send().await.unwrap();
        let cookie = set_cookie(&res, "codraft_login");
        let token = hidden(&res.text().await.unwrap(), "csrf");
        client
            .post(format!("{base}/login"))
            .header("cookie", format!("codraft_login={cookie}"))
            .form(&[("login", login), ("password", password), ("csrf", &token)])
            .send()
            .await
            .unwrap()
    }
    let guesser = from(7);
    for i in 0..10 {
        let res = attempt(&guesser, base, "kaiwen-chang", &format!("guess-{i}")).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "guess {i}");
    }
    let no_session = |res: &reqwest::Response| {
        !res.headers()
            .get_all("set-cookie")
            .iter()
            .any(|v| v.to_str().unwrap().starts_with("codraft_session="))
    };
    let res = attempt(&guesser, base, "kaiwen-chang", DEMO_PASSWORD).await;
    assert_eq!(
        res.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "the right password, too late"
    );
    assert!(no_session(&res));
    let res = attempt(&from(8), base, "kaiwen-chang", DEMO_PASSWORD).await;
    assert_eq!(
        res.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "the name, from elsewhere"
    );
    assert!(no_session(&res));
    let res = attempt(&guesser, base, "chiaying-li", DEMO_PASSWORD).await;
    assert_eq!(
        res.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "the address, for another name"
    );
    let res = attempt(&from(8), base, "chiaying-li", DEMO_PASSWORD).await;
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "someone else, elsewhere"
    );

    // Sessions end when signed out, on the server.
    let web = Web::new(base);
    let person = web.sign_in("chiaying-li").await;
    let res = web
        .client
        .post(format!("{base}/logout"))
        .header("cookie", &person.cookie)
        .form(&[("csrf", &person.csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let page = web.get(Some(&person), "/rounds?lang=en").await;
    assert!(
        !page.body.contains("title=\"chiaying-li\""),
        "the old cookie is nobody's"
    );
    let g = Env::send_form_as(
        &web,
        base,
        &person,
        &format!("/commitments/{C04}/comments"),
        &[("body", "replayed")],
    )
    .await;
    assert_eq!(
        g.status,
        StatusCode::UNAUTHORIZED,
        "a replayed cookie cannot post"
    );
    let forged = Person {
        cookie: format!("codraft_session={}", "ab".repeat(32)),
        csrf: "ab".repeat(32),
    };
    let g = Env::send_form_as(
        &web,
        base,
        &forged,
        &format!("/commitments/{C04}/comments"),
        &[("body", "forged")],
    )
    .await;
    assert_eq!(
        g.status,
        StatusCode::UNAUTHORIZED,
        "a made-up cookie is nobody's"
    );
    // Cookies are ignored on the API: a session cannot write there.
    let person = web.sign_in("chiaying-li").await;
    let res = web
        .client
        .post(format!("{base}/api/commitments/{C04}/comments"))
        .header("cookie", &person.cookie)
        .json(&json!({"body": "via cookie"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

impl Env {
    async fn send_form_as(
        web: &Web,
        base: &str,
        who: &Person,
        path: &str,
        fields: &[(&str, &str)],
    ) -> Got {
        let mut form: Vec<(&str, &str)> = fields.to_vec();
        form.push(("csrf", &who.csrf));
        let res = web
            .client
            .post(format!("{base}{path}"))
            .header("cookie", &who.cookie)
            .form(&form)
            .send()
            .await
            .unwrap();
        got(res).await
    }
}

// ---- security headers

/// The tags of a page and their attributes (names lowercased), as a browser would tokenize
/// them: raw text elements (`script`, `style`, `textarea`, `title`) end at their first
/// closing tag, whatever is inside — which is exactly what a `</textarea>` in user text would
/// exploit. Comments are skipped.
fn tags(html: &str) -> Vec<(String, Vec<(String, String)>)> {
    let b = html.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'<' {
            i += 1;
            continue;
        }
        if html[i..].starts_with("<!--") {
            i = html[i..].find("-->").map_or(b.len(), |e| i + e + 3);
            continue;
        }
        let mut j = i + 1;
        if j >= b.len() || !b[j].is_ascii_alphabetic() {
            i += 1;
            continue;
        }
        while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'-') {
            j += 1;
        }
        let name = html[i + 1..j].to_ascii_lowercase();
        let mut attrs = Vec::new();
        loop {
            while j < b.len() && (b[j].is_ascii_whitespace() || b[j] == b'/') {
                j += 1;
            }
            if j >= b.len() || b[j] == b'>' {
                break;
            }
            let start = j;
            while j < b.len() && !b[j].is_ascii_whitespace() && b[j] != b'=' && b[j] != b'>' {
                j += 1;
            }
            let attr = html[start..j].to_ascii_lowercase();
            let mut value = String::new();
            if j < b.len() && b[j] == b'=' {
                j += 1;
                if j < b.len() && (b[j] == b'"' || b[j] == b'\'') {
                    let q = b[j];
                    let end = html[j + 1..].find(q as char).map_or(b.len(), |e| j + 1 + e);
                    value = html[j + 1..end.min(b.len())].to_string();
                    j = (end + 1).min(b.len());
                } else {
                    let start = j;
                    while j < b.len() && !b[j].is_ascii_whitespace() && b[j] != b'>' {
                        j += 1;
                    }
                    value = html[start..j].to_string();
                }
            }
            attrs.push((attr, value));
        }
        out.push((name.clone(), attrs));
        i = j + 1;
        if ["script", "style", "textarea", "title"].contains(&name.as_str()) {
            let close = format!("</{name}");
            i = html[i.min(b.len())..]
                .to_ascii_lowercase()
                .find(&close)
                .map_or(b.len(), |e| i + e);
        }
    }
    out
}

/// Live markup in a page that no template writes: a script not loaded from `/static/`, an
/// element that runs script or embeds (`svg`, `iframe`, `object`, `embed`, `base`, `meta`
/// refresh), a `style` element, an event-handler attribute, a `javascript:`, `vbscript:` or
/// `data:text/html` URL. (An `<img>` without handlers is what Markdown may hold: the sanitizer
/// keeps it and the CSP limits it to this server and `data:`.)
fn live_markup(html: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (name, attrs) in tags(html) {
        let attr = |n: &str| attrs.iter().find(|(a, _)| a == n).map(|(_, v)| v.as_str());
        match name.as_str() {
            "script" => match attr("src") {
                Some(src) if src.starts_with("/static/") => {}
                other => found.push(format!("<script src={other:?}>")),
            },
            "svg" | "iframe" | "object" | "embed" | "base" | "frame" | "applet" => {
                found.push(format!("<{name}>"))
            }
            "meta" if attr("http-equiv").is_some() => found.push("<meta http-equiv>".into()),
            "style" => found.push("<style>".into()),
            _ => {}
        }
        for (a, v) in &attrs {
            if a.starts_with("on") {
                found.push(format!("<{name} {a}=…>"));
            }
            let v = v
                .replace("&#x3A;", ":")
                .replace("&colon;", ":")
                .trim()
                .to_ascii_lowercase();
            if [
                "href",
                "src",
                "action",
                "formaction",
                "xlink:href",
                "srcdoc",
            ]
            .contains(&a.as_str())
                && (v.starts_with("javascript:")
                    || v.starts_with("vbscript:")
                    || v.starts_with("data:text/html"))
            {
                found.push(format!("<{name} {a}={v}>"));
            }
        }
    }
    found
}

#[test]
fn the_markup_scanner_finds_what_it_must() {
    let page = r#"<p class="x">ok</p><script src="/static/live.js"></script>
        <textarea name="t"></textarea><script>alert(1)</script>
        <a href=" JavaScript:alert(1)">x</a><img src=x onerror=alert(1)><svg onload=alert(1)>
        <p title='a' onmouseover='alert(1)'>&lt;script&gt;</p><!-- <script>no</script> -->"#;
    assert_eq!(
        live_markup(page),
        [
            "<script src=None>",
            "<a href=javascript:alert(1)>",
            "<img onerror=…>",
            "<svg>",
            "<svg onload=…>",
            "<p onmouseover=…>",
        ]
    );
    let inert = "<p>&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img src=x onerror=alert(1)&gt;</p>\
        <textarea>&lt;/textarea&gt;&lt;script&gt;</textarea><a href=\"https://example.org/?q=&quot;&gt;\">x</a>";
    assert!(live_markup(inert).is_empty());
}

/// Checks the CSP of a response: no inline or evaluated script, no framing, no plugins.
fn assert_secure_headers(url: &str, headers: &reqwest::header::HeaderMap) {
    let csp = headers
        .get("content-security-policy")
        .unwrap_or_else(|| panic!("{url}: no Content-Security-Policy"))
        .to_str()
        .unwrap();
    let directive = |name: &str| {
        csp.split(';')
            .map(str::trim)
            .find(|d| d.split_whitespace().next() == Some(name))
            .map(|d| d.to_string())
    };
    let scripts = directive("script-src")
        .or_else(|| directive("default-src"))
        .unwrap_or_else(|| panic!("{url}: the CSP does not restrict scripts: {csp}"));
    assert!(
        !scripts.contains("'unsafe-inline'")
            && !scripts.contains("'unsafe-eval'")
            && !scripts.contains('*'),
        "{url}: scripts: {scripts}"
    );
    assert_eq!(
        directive("frame-ancestors").as_deref(),
        Some("frame-ancestors 'none'"),
        "{url}: {csp}"
    );
    let objects = directive("object-src").or_else(|| directive("default-src"));
    assert!(
        objects.as_deref().is_some_and(|d| d.ends_with(" 'none'")),
        "{url}: plugins: {csp}"
    );
    assert_eq!(
        headers
            .get("x-content-type-options")
            .map(|v| v.to_str().unwrap()),
        Some("nosniff"),
        "{url}"
    );
}

/// Pages, JSON, static files, git, errors and redirects all carry the security headers; the
/// session and login cookies are `HttpOnly` and `SameSite`; no page and no template has an
/// inline script or event handler (scripts come from `/static/`, which the CSP allows).
#[tokio::test]
async fn every_answer_carries_the_security_headers_and_no_inline_script() {
    let api = DemoApi::new().await;
    let web = Web::new(&api.base);
    let person = web.sign_in("secretariat").await;
    let (n, _) = {
        let (s, p) = api
            .post(
                Some("shufen-kuo"),
                "/api/proposals",
                json!({"title": "headers"}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{p}");
        (p["number"].as_u64().unwrap(), ())
    };
    let branch = api.get(&format!("/api/proposals/{n}")).await["branch"]
        .as_str()
        .unwrap()
        .to_string();
    let pages = [
        "/".to_string(),
        "/?lang=en".into(),
        format!("/commitments/{C04}"),
        format!("/commitments/{C04}?doc=en"),
        format!("/commitments/{C04}/history"),
        format!("/commitments/{C04}/progress"),
        "/progress".into(),
        "/proposals".into(),
        "/proposals/new".into(),
        format!("/proposals/{n}"),
        format!("/proposals/{n}/edit?commitment={C04}"),
        format!("/edit?branch={branch}&commitment={C04}&doc=zh-TW"),
        "/compare?from=rounds/msf-1&to=main".into(),
        "/forum".into(),
        "/timeline".into(),
        "/rounds".into(),
        "/rounds/new".into(),
        "/rounds/msf-2".into(),
        "/rounds/msf-2/correction".into(),
        "/rounds/compare?from=msf-1&to=msf-2".into(),
        "/inputs".into(),
        "/inputs/new".into(),
        "/inputs/1".into(),
        "/translations".into(),
        format!("/translations/{C04}/en"),
        "/export".into(),
        "/admin".into(),
        "/login".into(),
        "/no/such/page".into(),
        "/commitments/nope".into(),
    ];
    for page in &pages {
        for who in [None, Some(&person)] {
            let mut req = web.client.get(format!("{}{page}", api.base));
            if let Some(p) = who {
                req = req.header("cookie", &p.cookie);
            }
            let res = req.send().await.unwrap();
            assert_secure_headers(page, res.headers());
            let status = res.status();
            let body = res.text().await.unwrap();
            assert!(!status.is_server_error(), "{page}: {status}");
            let live = live_markup(&body);
            assert!(live.is_empty(), "{page} as {:?}: {live:?}", who.is_some());
        }
    }
    let others = [
        "/api/plan",
        "/api/nope",
        "/api/openapi.json",
        "/healthz",
        "/static/style.css",
        "/static/live.js",
        "/plan.git/info/refs?service=git-upload-pack",
        "/plan.git/HEAD",
        "/export?format=md",
        "/export?format=html",
        "/edit?branch=main&commitment=c04-information-access&doc=zh-TW",
    ];
    for url in others {
        let res = web
            .client
            .get(format!("{}{url}", api.base))
            .send()
            .await
            .unwrap();
        assert_secure_headers(url, res.headers());
    }
    let res = web
        .client
        .post(format!("{}/api/proposals", api.base))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_secure_headers("POST /api/proposals", res.headers());

    // Cookies.
    let res = web
        .client
        .get(format!("{}/login", api.base))
        .send()
        .await
        .unwrap();
    let login_cookie = res.headers()["set-cookie"].to_str().unwrap().to_string();
    let token = hidden(&res.text().await.unwrap(), "csrf");
    let value = login_cookie.split(';').next().unwrap().to_string();
    let res = web
        .client
        .post(format!("{}/login", api.base))
        .header("cookie", &value)
        .form(&[
            ("login", "translator"),
            ("password", DEMO_PASSWORD),
            ("csrf", &token),
        ])
        .send()
        .await
        .unwrap();
    let session_cookie = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("codraft_session="))
        .unwrap();
    for cookie in [&login_cookie, &session_cookie] {
        let attrs: Vec<String> = cookie
            .split(';')
            .map(|a| a.trim().to_ascii_lowercase())
            .collect();
        assert!(attrs.contains(&"httponly".to_string()), "{cookie}");
        assert!(
            attrs
                .iter()
                .any(|a| a == "samesite=lax" || a == "samesite=strict"),
            "{cookie}"
        );
    }

    // No template has inline script or an event handler.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("html") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        for (tag, attrs) in tags(&text) {
            if tag == "script" {
                assert!(
                    attrs
                        .iter()
                        .any(|(a, v)| a == "src" && v.starts_with("/static/")),
                    "{name}: an inline <script>"
                );
            }
            for (a, _) in &attrs {
                assert!(!a.starts_with("on"), "{name}: <{tag} {a}=…>");
            }
        }
        assert!(!text.to_ascii_lowercase().contains("javascript:"), "{name}");
        checked += 1;
    }
    assert!(checked >= 30, "the templates were read ({checked})");
}

// ---- script and HTML in every text field

/// Short enough for names (100 characters): a script, an attribute-breaking image, an svg,
/// both quotes and a template expression.
const SHORT: &str =
    "<script>alert(1)</script>\"><img src=x onerror=alert(1)><svg onload=alert(1)>'{{7*7}}";

/// For names, which may not hold `<` or `>`: quotes breaking out of attributes.
const NAME: &str = "王\" onmouseover=\"alert(1)\" ' onfocus='alert(2)' {{7*7}}";

/// The corpus for long text fields: the short one and a closing `</textarea>` followed by a
/// script, `javascript:` links in Markdown and HTML, an iframe, a style, an attribute breaking
/// out of single quotes, and tera syntax.
fn long_payload() -> String {
    [
        SHORT,
        "</textarea><script>alert(2)</script>",
        "[click me](javascript:alert(3)) and <a href=\"javascript:alert(4)\">this</a>",
        "<iframe src=\"//evil.example\"></iframe><object data=x></object>",
        "<style>body{display:none}</style>",
        "' onmouseover='alert(5)' x='",
        "{% raw %}{{ t.sign_in }}{% endraw %} <IMG SRC=JaVaScRiPt:alert(6)>",
        "<a href=\"data:text/html,<script>alert(7)</script>\">d</a> <math><mtext><img src=x onerror=alert(8)>",
    ]
    .join("\n\n")
}

/// Every text a person can put into codraft, carrying the payloads, then every page that shows
/// it: nothing is live markup (no script but `/static/`'s, no event handler, no `javascript:`
/// URL, no svg, iframe, object or style), plain text shows escaped, Markdown is sanitized, the
/// template syntax stays text, and the JSON gives the text back as it was sent. URLs that must
/// be http(s) (a round's link, progress evidence) refuse `javascript:`.
#[tokio::test]
async fn script_and_html_in_every_text_field_are_inert_on_every_page() {
    let env = Env::new().await;
    let long = long_payload();
    let escaped = "&lt;script&gt;alert(1)&lt;/script&gt;";

    // A proposal: title, description, the commitment's title and a section, a review.
    let text = env.c04_changed();
    let text = text.replacen(
        "title = \"落實政府資訊公開法資訊取用權\"",
        &format!("title = {}", toml_string(&format!("落實{SHORT}"))),
        1,
    );
    let text = text.replacen(PHRASE, &format!("{PHRASE}\n\n{long}\n\n"), 1);
    let (s, p) = env
        .api(
            "gov-wg",
            "/api/proposals",
            json!({"title": SHORT, "description": long,
                   "documents": [{"commitment": C04, "lang": "zh-TW", "text": text}]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    let n = p["number"].as_u64().unwrap();
    let branch = p["branch"].as_str().unwrap().to_string();
    let head = p["head"].as_str().unwrap().to_string();
    let (s, v) = env
        .api(
            "cs-wg",
            &format!("/api/proposals/{n}/reviews"),
            json!({"verdict": "request_changes", "head": head, "body": long}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");

    // A comment on a section of c04.
    let section = env.api.get(&format!("/api/commitments/{C04}")).await["sections"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (s, v) = env
        .api(
            "cs-drafter",
            &format!("/api/commitments/{C04}/comments"),
            json!({"section": section, "body": long}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");

    // Public input, answered with the payload.
    // Names are one line without < or > (refused as `bad_name`); quotes and braces they may
    // hold.
    let client = env.fresh_client();
    let g = env
        .send(
            Some(&client),
            "/api/inputs",
            Auth::None,
            Payload::Json(json!({"kind": "change", "commitment": C04, "title": "t",
                                 "text": "x", "name": SHORT})),
        )
        .await;
    assert_eq!(g.status, StatusCode::BAD_REQUEST, "{}", g.body);
    common::assert_error(&serde_json::from_str(&g.body).unwrap(), "bad_name");
    let input = env
        .input(json!({"title": SHORT, "text": long, "name": NAME,
                      "organisation": SHORT, "contact": SHORT}))
        .await;
    let (s, v) = env
        .api(
            "gov-wg",
            &format!("/api/inputs/{input}/answer"),
            json!({"outcome": "not_adopted", "reasons": long}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");

    // A round: title, place, agenda; a `javascript:` link is refused, an odd https one kept;
    // a vote's reason and the minutes.
    let round_body = |link: &str| {
        json!({"name": "xss", "title": SHORT, "date": "2099-06-01", "place": SHORT,
               "agenda": long, "link": link})
    };
    for bad in [
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        " javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
    ] {
        let (s, v) = env.api("secretariat", "/api/rounds", round_body(bad)).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}: {v}");
        common::assert_error(&v, "bad_link");
    }
    let odd_link = "https://example.org/?q=\"><script>alert(9)</script>";
    let (s, v) = env
        .api("secretariat", "/api/rounds", round_body(odd_link))
        .await;
    let link_kept = s == StatusCode::CREATED;
    if !link_kept {
        assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
        let (s, v) = env
            .api(
                "secretariat",
                "/api/rounds",
                round_body("https://example.org/meet"),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
    }
    let (s, v) = env
        .api("secretariat", "/api/rounds/xss/open", json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = env
        .api(
            "cs-drafter",
            "/api/rounds/xss/votes",
            json!({"choice": "disagree", "reason": long}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, v) = env
        .api(
            "secretariat",
            "/api/rounds/xss/minutes",
            json!({"text": long}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");

    // A progress report; `javascript:` evidence is refused.
    let report = |evidence: Value| {
        json!({"milestone": "m2", "period": "2022-H1", "status": "limited",
               "text": long, "evidence": evidence})
    };
    for bad in [
        "javascript:alert(1)",
        "data:text/html,x",
        "JAVASCRIPT:alert(1)",
    ] {
        let (s, v) = env
            .api(
                "gov-wg",
                &format!("/api/commitments/{C04}/progress"),
                report(json!([bad])),
            )
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}: {v}");
        common::assert_error(&v, "bad_evidence");
    }
    // Links holding quotes or angle brackets are refused too; a plain one is kept.
    let odd = "https://example.org/report?q=\"><script>alert(10)</script>";
    let (s, v) = env
        .api(
            "gov-wg",
            &format!("/api/commitments/{C04}/progress"),
            report(json!([odd])),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    common::assert_error(&v, "bad_evidence");
    let (s, v) = env
        .api(
            "gov-wg",
            &format!("/api/commitments/{C04}/progress"),
            report(json!(["https://example.org/report"])),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");

    // Every page that shows any of it, signed out and signed in (forms hold the text too).
    let pages: Vec<(String, bool)> = vec![
        ("/".into(), false),
        ("/proposals".into(), true),
        (format!("/proposals/{n}"), true),
        (format!("/proposals/{n}?view=split"), true),
        (format!("/proposals/{n}/edit?commitment={C04}"), false),
        (
            format!("/edit?branch={branch}&commitment={C04}&doc=zh-TW"),
            false,
        ),
        (format!("/commitments/{C04}?ref={branch}"), true),
        (format!("/commitments/{C04}/history?ref={branch}"), true),
        (format!("/compare?from=main&to={branch}"), true),
        (format!("/commitments/{C04}"), false),
        (format!("/commitments/{C04}/progress"), false),
        ("/progress".into(), false),
        ("/inputs".into(), true),
        (format!("/inputs/{input}"), true),
        (format!("/inputs?commitment={C04}"), true),
        ("/rounds".into(), true),
        ("/rounds/xss".into(), true),
        ("/rounds/xss/correction".into(), false),
        ("/timeline".into(), true),
        ("/export?ref=main&format=html".into(), false),
    ];
    let mut problems = Vec::new();
    for (page, shows_short) in &pages {
        for who in [None, Some("secretariat"), Some("gov-wg")] {
            for lang in ["zh-TW", "en"] {
                let sep = if page.contains('?') { '&' } else { '?' };
                let url = format!("{page}{sep}lang={lang}");
                let answer = env.web.get(who.map(|w| env.person(w)), &url).await;
                if answer.status.is_redirection() {
                    continue;
                }
                assert!(
                    answer.status.is_success(),
                    "{url} as {who:?}: {}",
                    answer.status
                );
                let body = &answer.body;
                let live = if url.starts_with("/export") {
                    // The export is a standalone document with its own (inline) print style.
                    live_markup(body)
                        .into_iter()
                        .filter(|m| m != "<style>")
                        .collect()
                } else {
                    live_markup(body)
                };
                if !live.is_empty() {
                    problems.push(format!("{url} as {who:?}: {live:?}"));
                }
                if *shows_short && !(body.contains(escaped) && body.contains("{{7*7}}")) {
                    problems.push(format!(
                        "{url} as {who:?}: the title is not shown as escaped text"
                    ));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));

    // The JSON gives the text back as data, byte for byte.
    let p = env.api.get(&format!("/api/proposals/{n}")).await;
    assert_eq!(p["title"], SHORT);
    assert_eq!(p["description"], long.as_str());
    let i = env.api.get(&format!("/api/inputs/{input}")).await;
    assert_eq!(
        (i["title"].as_str(), i["name"].as_str()),
        (Some(SHORT), Some(NAME))
    );
    assert_eq!(i["organisation"], SHORT);
    assert_eq!(i["text"], long.as_str());
    assert!(i.get("contact").is_none(), "the contact stays private");
    let r = env.api.get("/api/rounds/xss").await;
    assert_eq!(
        (r["title"].as_str(), r["place"].as_str()),
        (Some(SHORT), Some(SHORT))
    );
    if link_kept {
        assert_eq!(r["link"], odd_link);
    }
    let comments = env
        .api
        .get(&format!("/api/commitments/{C04}/comments"))
        .await;
    assert!(comments
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["body"] == long.as_str()));
    let c = env
        .api
        .get(&format!("/api/commitments/{C04}?ref={branch}"))
        .await;
    assert_eq!(c["title"], format!("落實{SHORT}"));
}

/// `s` as a TOML basic string.
fn toml_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
