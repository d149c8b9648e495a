//! Proposals through HTTP on a real port, as drafters and reviewers of both sectors use them:
//! propose, request changes, update (old approvals go stale), approve, merge; concurrent
//! proposals merged with the CRDT; every mutating route tried with every role; and the
//! approval trail read back with the plain git CLI.

mod common;

use std::collections::BTreeSet;

use reqwest::StatusCode;
use serde_json::{json, Value};

use codraft::auth::{Accounts, NewUser, Role, Sector};
use codraft::workflow::setup;
use common::web::form_pairs;

const C04: &str = "c04-information-access";
const C04_PATH: &str = "commitments/c04-information-access/zh-TW.md";

/// A demo plan served on a real port, with accounts of every role.
struct Env {
    dir: tempfile::TempDir,
    base: String,
    client: reqwest::Client,
}

/// (id, sector, roles, working groups)
const PEOPLE: &[(&str, Sector, &[Role], &[&str])] = &[
    ("gov", Sector::Government, &[Role::Drafter], &[C04]),
    ("gov2", Sector::Government, &[Role::Drafter], &[C04]),
    ("ngo", Sector::CivilSociety, &[Role::Drafter], &[C04]),
    ("ngo2", Sector::CivilSociety, &[Role::Drafter], &[C04]),
    (
        "outsider",
        Sector::CivilSociety,
        &[Role::Drafter],
        &["c05-environmental-information"],
    ),
    ("admin", Sector::Government, &[Role::Admin], &[]),
    (
        "convener",
        Sector::Government,
        &[Role::Convener, Role::ForumMember],
        &[],
    ),
    ("member", Sector::CivilSociety, &[Role::ForumMember], &[]),
    ("translator", Sector::CivilSociety, &[Role::Translator], &[]),
    ("public", Sector::CivilSociety, &[Role::Public], &[]),
];

impl Env {
    async fn new() -> (Env, std::collections::HashMap<&'static str, String>) {
        let dir = common::demo_dir();
        let accounts = Accounts::open(dir.path()).unwrap();
        let mut tokens = std::collections::HashMap::new();
        for (id, sector, roles, wg) in PEOPLE {
            let (_, token) = accounts
                .add_user(NewUser {
                    id: id.to_string(),
                    name: format!("{id} 名"),
                    email: Some(format!("{id}@example.org")),
                    sector: *sector,
                    roles: roles.iter().copied().collect(),
                    commitments: wg.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>(),
                    agency: None,
                    password: Some(format!("{id}-password")),
                })
                .unwrap();
            tokens.insert(*id, token);
        }
        let base = common::start_server(dir.path()).await;
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        (Env { dir, base, client }, tokens)
    }

    async fn review(&self, token: &str, n: u64, body: Value) -> (StatusCode, Value) {
        let path = format!("/api/proposals/{n}/reviews");
        self.call(Some(token), "POST", &path, Some(body)).await
    }

    fn repo(&self) -> std::path::PathBuf {
        setup::repo_path(self.dir.path())
    }

    /// A file at a rev, read with the git CLI.
    fn show(&self, rev: &str, path: &str) -> String {
        common::git(&self.repo(), &["show", &format!("{rev}:{path}")])
    }

    async fn call(
        &self,
        token: Option<&str>,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let url = format!("{}{path}", self.base);
        let mut req = match method {
            "GET" => self.client.get(&url),
            _ => self.client.post(&url),
        };
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.unwrap();
        let status = res.status();
        let text = res.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }
}

fn replace_once(text: &str, from: &str, to: &str) -> String {
    assert_eq!(text.matches(from).count(), 1, "{from} must occur once");
    text.replacen(from, to, 1)
}

fn doc(text: &str) -> Value {
    json!([{ "commitment": C04, "lang": "zh-TW", "text": text }])
}

fn head(v: &Value) -> String {
    v["head"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn the_full_flow_from_proposal_to_main_with_both_sectors() {
    let (env, tok) = Env::new().await;
    let main_text = env.show("main", C04_PATH);
    let v1 = replace_once(
        &main_text,
        "常有從寬限制公開之情形",
        "常有從寬限制公開而未說明理由之情形",
    );

    // A government drafter proposes a wording change.
    let (s, p) = env
        .call(
            Some(&tok["gov"]),
            "POST",
            "/api/proposals",
            Some(json!({
                "title": "Clarify the problem statement",
                "description": "說明限制公開時常未附理由。",
                "documents": doc(&v1),
            })),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    assert_eq!(p["number"], 1);
    assert_eq!(p["branch"], "proposals/1-clarify-the-problem-statement");
    assert_eq!(p["touched"], json!([{ "commitment": C04, "added": false }]));
    assert_eq!(p["approval"]["satisfied"], false);
    let h1 = head(&p);

    // The diff shows exactly the inserted characters, in the problem section.
    let (s, d) = env.call(None, "GET", "/api/proposals/1/diff", None).await;
    assert_eq!(s, StatusCode::OK, "{d}");
    let sections = &d["commitments"][0]["documents"][0]["diff"]["sections"];
    assert_eq!(sections.as_array().unwrap().len(), 1, "{d}");
    assert_eq!(sections[0]["id"], "problem");
    let inserted: String = sections[0]["body"]["segments"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["kind"] == "insert")
        .map(|s| s["text"].as_str().unwrap())
        .collect();
    assert_eq!(inserted, "而未說明理由");

    // Civil society asks for changes; merging is refused, saying what is missing.
    let (s, r) = env
        .review(
            &tok["ngo"],
            1,
            json!({
                "verdict": "request_changes", "head": h1, "section": format!("{C04}#problem"),
                "body": "請一併說明救濟方式。",
            }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    let (s, e) = env
        .call(Some(&tok["gov"]), "POST", "/api/proposals/1/merge", None)
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{e}");
    assert_eq!(e["error"]["code"], "not_approved");
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("requested changes"),
        "{e}"
    );

    // A government approval of this head, then the drafter updates: it goes stale.
    let (s, _) = env
        .review(&tok["gov2"], 1, json!({"verdict": "approve", "head": h1}))
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let v2 = replace_once(
        &v1,
        "未必清楚理由及救濟方式。",
        "未必清楚理由及救濟方式，機關應於決定書中載明。",
    );
    // A stale expected head is refused, and nothing is written.
    let stale = "0".repeat(40);
    let (s, e) = env
        .call(
            Some(&tok["gov"]),
            "POST",
            "/api/proposals/1/commits",
            Some(json!({"expected_head": stale, "documents": doc(&v2)})),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{e}");
    assert_eq!(e["error"]["code"], "stale_head");
    let (s, u) = env
        .call(
            Some(&tok["gov"]),
            "POST",
            "/api/proposals/1/commits",
            Some(json!({"expected_head": h1, "message": "加上救濟方式", "documents": doc(&v2)})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{u}");
    let h2 = head(&u);
    assert_ne!(h1, h2);

    let (_, p) = env.call(None, "GET", "/api/proposals/1", None).await;
    let reviews = p["approval"]["reviews"].as_array().unwrap();
    assert_eq!(reviews.len(), 2);
    assert!(reviews.iter().all(|r| r["stale"] == true), "{p}");
    assert_eq!(p["approval"]["satisfied"], false);

    // Reviewing a version that is no longer the head is refused.
    let (s, e) = env
        .review(&tok["ngo"], 1, json!({"verdict": "approve", "head": h1}))
        .await;
    assert_eq!(
        (s, e["error"]["code"].clone()),
        (StatusCode::CONFLICT, json!("stale_head"))
    );
    // The author cannot approve their own proposal.
    let (s, e) = env
        .review(&tok["gov"], 1, json!({"verdict": "approve", "head": h2}))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{e}");
    // Someone outside the working group may comment but not approve.
    let (s, _) = env
        .review(
            &tok["outsider"],
            1,
            json!({"verdict": "approve", "head": h2}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = env
        .review(
            &tok["outsider"],
            1,
            json!({"verdict": "comment", "head": h2, "body": "支持"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);

    // Both sectors approve the new head.
    for who in ["gov2", "ngo"] {
        let (s, r) = env
            .review(&tok[who], 1, json!({"verdict": "approve", "head": h2}))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{r}");
    }
    let (_, p) = env.call(None, "GET", "/api/proposals/1", None).await;
    assert_eq!(p["approval"]["satisfied"], true, "{p}");

    // Merge: main shows the change, the merge commit names the approvers.
    let (s, m) = env
        .call(
            Some(&tok["gov"]),
            "POST",
            "/api/proposals/1/merge",
            Some(json!({"expected_head": h2})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{m}");
    assert_eq!(m["outcome"], "merged");
    let merge = m["commit"].as_str().unwrap();
    assert_eq!(env.show("main", C04_PATH), v2);
    let message = common::git(&env.repo(), &["log", "-1", "--format=%B", "main"]);
    assert!(
        message.contains("Approved-by: gov2 名 <government>"),
        "{message}"
    );
    assert!(
        message.contains("Approved-by: ngo 名 <civil_society>"),
        "{message}"
    );
    assert!(
        message.contains(&format!("Proposal-head: {h2}")),
        "{message}"
    );
    let parents = common::git(&env.repo(), &["log", "-1", "--format=%P", "main"]);
    assert!(
        parents.contains(&h2),
        "the merge commit has the proposal head as a parent"
    );
    let (_, hist) = env
        .call(
            None,
            "GET",
            &format!("/api/commitments/{C04}/history"),
            None,
        )
        .await;
    assert_eq!(hist["commits"][0]["id"], merge);
    let (_, p) = env.call(None, "GET", "/api/proposals/1", None).await;
    assert_eq!(p["state"], "merged");
    // Merged proposals take no more changes.
    let (s, _) = env
        .call(Some(&tok["gov"]), "POST", "/api/proposals/1/merge", None)
        .await;
    assert_eq!(s, StatusCode::CONFLICT);

    // The trail is in a plain clone: the records branch holds the proposal and every review.
    let tmp = tempfile::tempdir().unwrap();
    let clone = common::clone(env.dir.path(), tmp.path());
    let files = common::git(&clone, &["ls-tree", "-r", "--name-only", "origin/records"]);
    assert!(files.contains("proposals/1/proposal.toml"), "{files}");
    assert_eq!(files.matches("proposals/1/reviews/").count(), 5, "{files}");
    let first = common::git(
        &clone,
        &["show", "origin/records:proposals/1/reviews/0001.toml"],
    );
    assert!(
        first.contains("verdict = \"request_changes\"") && first.contains(&h1),
        "{first}"
    );
    let record = common::git(
        &clone,
        &["show", "origin/records:proposals/1/proposal.toml"],
    );
    assert!(
        record.contains("state = \"merged\"") && record.contains(merge),
        "{record}"
    );
    common::git(&clone, &["fsck", "--strict"]);
}

async fn open_and_approve(
    env: &Env,
    tok: &std::collections::HashMap<&'static str, String>,
    title: &str,
    text: &str,
) -> (u64, String) {
    let (s, p) = env
        .call(
            Some(&tok["gov"]),
            "POST",
            "/api/proposals",
            Some(json!({"title": title, "documents": doc(text)})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    let n = p["number"].as_u64().unwrap();
    let h = head(&p);
    approve(env, tok, n, &h).await;
    (n, h)
}

async fn approve(
    env: &Env,
    tok: &std::collections::HashMap<&'static str, String>,
    n: u64,
    h: &str,
) {
    for who in ["gov2", "ngo"] {
        let (s, r) = env
            .call(
                Some(&tok[who]),
                "POST",
                &format!("/api/proposals/{n}/reviews"),
                Some(json!({"verdict": "approve", "head": h})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{r}");
    }
}

#[tokio::test]
async fn concurrent_proposals_merge_with_the_crdt_and_overlaps_need_reapproval() {
    let (env, tok) = Env::new().await;
    let base = env.show("main", C04_PATH);
    // Two proposals change different sentences of the same section.
    let a = replace_once(
        &base,
        "常有從寬限制公開之情形",
        "常有從寬限制公開之情形（甲）",
    );
    let b = replace_once(
        &base,
        "亦可能影響民眾申請之意願",
        "亦可能影響民眾申請之意願（乙）",
    );
    let (n1, _) = open_and_approve(&env, &tok, "first sentence", &a).await;
    let (n2, _) = open_and_approve(&env, &tok, "second sentence", &b).await;
    let (s, m) = env
        .call(
            Some(&tok["gov"]),
            "POST",
            &format!("/api/proposals/{n1}/merge"),
            None,
        )
        .await;
    assert_eq!(
        (s, m["outcome"].clone()),
        (StatusCode::OK, json!("merged")),
        "{m}"
    );
    let (s, m) = env
        .call(
            Some(&tok["gov"]),
            "POST",
            &format!("/api/proposals/{n2}/merge"),
            None,
        )
        .await;
    assert_eq!(
        (s, m["outcome"].clone()),
        (StatusCode::OK, json!("merged")),
        "{m}"
    );
    let merged = env.show("main", C04_PATH);
    assert!(
        merged.contains("常有從寬限制公開之情形（甲）")
            && merged.contains("亦可能影響民眾申請之意願（乙）"),
        "{merged}"
    );
    assert!(!merged.contains("<<<<") && !merged.contains(">>>>"));
    assert_eq!(
        merged,
        replace_once(
            &a,
            "亦可能影響民眾申請之意願",
            "亦可能影響民眾申請之意願（乙）"
        )
    );

    // Two proposals change the same words differently.
    let base = merged;
    let c = replace_once(&base, "民眾申請遭拒時", "民眾的申請遭機關拒絕時");
    let d = replace_once(&base, "民眾申請遭拒時", "申請被駁回時");
    let (n3, _) = open_and_approve(&env, &tok, "overlap one", &c).await;
    let (n4, h4) = open_and_approve(&env, &tok, "overlap two", &d).await;
    let (s, _) = env
        .call(
            Some(&tok["gov"]),
            "POST",
            &format!("/api/proposals/{n3}/merge"),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let main_before = common::git(&env.repo(), &["rev-parse", "main"]);
    let (s, e) = env
        .call(
            Some(&tok["gov"]),
            "POST",
            &format!("/api/proposals/{n4}/merge"),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{e}");
    assert_eq!(e["error"]["code"], "needs_reapproval");
    assert_eq!(e["overlaps"][0]["path"], C04_PATH);
    // Nothing reached main; the proposal moved to a merge with main, and its approvals are stale.
    assert_eq!(
        common::git(&env.repo(), &["rev-parse", "main"]),
        main_before
    );
    let new_head = head(&e);
    assert_ne!(new_head, h4);
    let parents = common::git(&env.repo(), &["log", "-1", "--format=%P", &new_head]);
    assert!(
        parents.contains(main_before.trim()) && parents.contains(&h4),
        "{parents}"
    );
    let (_, p) = env
        .call(None, "GET", &format!("/api/proposals/{n4}"), None)
        .await;
    assert_eq!(p["approval"]["satisfied"], false);
    assert_eq!(p["behind_main"], false);
    // The diff now shows what main would get: the proposal's words against main's.
    let (_, diff) = env
        .call(None, "GET", &format!("/api/proposals/{n4}/diff"), None)
        .await;
    assert_eq!(diff["commitments"][0]["id"], C04, "{diff}");
    // Approved again, it merges, and main holds what the approvers saw.
    approve(&env, &tok, n4, &new_head).await;
    let (s, m) = env
        .call(
            Some(&tok["gov"]),
            "POST",
            &format!("/api/proposals/{n4}/merge"),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{m}");
    assert_eq!(env.show("main", C04_PATH), env.show(&new_head, C04_PATH));
}

#[tokio::test]
async fn bad_input_is_refused_with_a_clear_error_and_nothing_is_written() {
    let (env, tok) = Env::new().await;
    let refs_before = common::git(&env.repo(), &["for-each-ref"]);
    let main_text = env.show("main", C04_PATH);
    let gov = Some(tok["gov"].as_str());
    let cases: Vec<(Value, StatusCode, &str)> = vec![
        (
            json!({"title": "x", "documents": [{"commitment": "c99-nothing", "delete": true}]}),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            json!({"title": "x", "documents": [{"commitment": "../etc", "lang": "zh-TW", "text": "x"}]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad_id",
        ),
        (
            json!({"title": "x", "documents": [{"commitment": C04, "lang": "fr", "text": main_text}]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_language",
        ),
        (
            json!({"title": "x", "documents": [{"commitment": C04, "lang": "zh-TW", "text": "no front matter"}]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_document",
        ),
        (
            json!({"title": "x", "documents": [{"commitment": C04, "lang": "zh-TW", "text": main_text.replace("number = 4", "number = 5")}]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_document",
        ),
        (
            json!({"title": "x", "documents": [{"commitment": C04, "lang": "zh-TW", "text": main_text.replace("area = \"open-data\"", "area = \"nowhere\"")}]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_document",
        ),
        (
            json!({"title": "", "documents": []}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "missing_field",
        ),
        (
            json!({"title": "x", "documents": [{"commitment": C04, "text": "x".repeat(300_000)}]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "too_large",
        ),
        (
            json!({"title": "x", "documents": [{"commitment": C04}]}),
            StatusCode::BAD_REQUEST,
            "bad_document",
        ),
        (json!({"titel": "x"}), StatusCode::BAD_REQUEST, "bad_json"),
        (
            json!({"title": "x", "documents": [{"commitment": "c05-environmental-information", "delete": true}]}),
            StatusCode::FORBIDDEN,
            "forbidden",
        ),
    ];
    for (body, status, code) in cases {
        let (s, e) = env
            .call(gov, "POST", "/api/proposals", Some(body.clone()))
            .await;
        assert_eq!(
            (s, e["error"]["code"].as_str()),
            (status, Some(code)),
            "{body:.200}: {e}"
        );
        assert!(!e["error"]["message"].as_str().unwrap_or("").is_empty());
    }
    // A document problem names the line and field.
    let (_, e) = env
        .call(gov, "POST", "/api/proposals", Some(json!({"title": "x", "documents": doc(&main_text.replace("start = \"2021-01\", end", "start = \"2021-13\", end"))})))
        .await;
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("zh-TW.md:"),
        "{e}"
    );
    // Unknown proposal, malformed head, unknown verdict, no token, bad token.
    let (s, _) = env.call(None, "GET", "/api/proposals/99", None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, e) = env
        .call(
            gov,
            "POST",
            "/api/proposals/99/reviews",
            Some(json!({"verdict": "approve", "head": "a".repeat(40)})),
        )
        .await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    let (s, e) = env
        .call(
            gov,
            "POST",
            "/api/proposals/1/reviews",
            Some(json!({"verdict": "approve", "head": "main"})),
        )
        .await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("bad_head"))
    );
    let (s, e) = env
        .call(
            gov,
            "POST",
            "/api/proposals/1/reviews",
            Some(json!({"verdict": "lgtm", "head": "a".repeat(40)})),
        )
        .await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("bad_verdict"))
    );
    let (s, e) = env
        .call(None, "POST", "/api/proposals", Some(json!({"title": "x"})))
        .await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("unauthorized"))
    );
    let (s, _) = env
        .call(
            Some("cdt_not-a-token"),
            "POST",
            "/api/proposals",
            Some(json!({"title": "x"})),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, e) = env
        .call(None, "GET", "/api/compare?from=main~1&to=main", None)
        .await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("bad_ref"))
    );
    // Nothing was written by any of it.
    assert_eq!(common::git(&env.repo(), &["for-each-ref"]), refs_before);
}

/// A proposal by `gov` to try the routes on.
async fn fresh(env: &Env, gov: &str, main_text: &str, n: u32) -> (u64, String) {
    let text = replace_once(
        main_text,
        "常有從寬限制公開之情形",
        &format!("常有從寬限制公開之情形{n}"),
    );
    let (s, p) = env
        .call(
            Some(gov),
            "POST",
            "/api/proposals",
            Some(json!({"title": format!("p{n}"), "documents": doc(&text)})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    (p["number"].as_u64().unwrap(), head(&p))
}

/// What each role may do, as README's table says. `true`: the server lets the role past the
/// permission check (the answer is not 401/403).
#[tokio::test]
async fn every_mutating_route_with_every_role() {
    let (env, tok) = Env::new().await;
    let main_text = env.show("main", C04_PATH);
    let en_path = "commitments/c04-information-access/en.md";
    let en_text = env.show("main", en_path);
    let mut n = 0;
    let roles = [
        "gov",
        "gov2",
        "ngo",
        "outsider",
        "admin",
        "convener",
        "member",
        "translator",
        "public",
    ];
    type Expect = fn(&str) -> bool;
    let routes: Vec<(&str, Expect)> = vec![
        ("open on c04", |r| {
            matches!(r, "gov" | "gov2" | "ngo" | "admin")
        }),
        ("open on c04 English", |r| {
            matches!(r, "gov" | "gov2" | "ngo" | "admin" | "translator")
        }),
        ("update c04", |r| {
            matches!(r, "gov" | "gov2" | "ngo" | "admin")
        }),
        ("approve", |r| matches!(r, "gov2" | "ngo")),
        ("comment", |r| r != "public"),
        ("merge", |r| matches!(r, "gov" | "admin" | "convener")),
        ("close", |r| matches!(r, "gov" | "admin")),
        ("update from main", |r| {
            matches!(r, "gov" | "gov2" | "ngo" | "admin" | "convener")
        }),
    ];
    for (route, allowed) in &routes {
        for role in roles {
            n += 1;
            let (number, h) = fresh(&env, &tok["gov"], &main_text, n).await;
            let t = Some(tok[role].as_str());
            let p = format!("/api/proposals/{number}");
            let (s, body) = match *route {
                "open on c04" => {
                    let text = replace_once(
                        &main_text,
                        "常有從寬限制公開之情形",
                        "常有從寬限制公開之情形。",
                    );
                    env.call(
                        t,
                        "POST",
                        "/api/proposals",
                        Some(json!({"title": "x", "documents": doc(&text)})),
                    )
                    .await
                }
                "open on c04 English" => {
                    let text = format!("{en_text}\nMore.\n");
                    env.call(t, "POST", "/api/proposals", Some(json!({"title": "x", "documents": [{"commitment": C04, "lang": "en", "text": text}]}))).await
                }
                "update c04" => {
                    let text = replace_once(
                        &main_text,
                        "常有從寬限制公開之情形",
                        "常有從寬限制公開之情形！",
                    );
                    env.call(
                        t,
                        "POST",
                        &format!("{p}/commits"),
                        Some(json!({"expected_head": h, "documents": doc(&text)})),
                    )
                    .await
                }
                "approve" => {
                    env.call(
                        t,
                        "POST",
                        &format!("{p}/reviews"),
                        Some(json!({"verdict": "approve", "head": h})),
                    )
                    .await
                }
                "comment" => {
                    env.call(
                        t,
                        "POST",
                        &format!("{p}/reviews"),
                        Some(json!({"verdict": "comment", "head": h, "body": "ok"})),
                    )
                    .await
                }
                "merge" => env.call(t, "POST", &format!("{p}/merge"), None).await,
                "close" => env.call(t, "POST", &format!("{p}/close"), None).await,
                "update from main" => {
                    env.call(t, "POST", &format!("{p}/update-from-main"), None)
                        .await
                }
                _ => unreachable!(),
            };
            let passed = s != StatusCode::FORBIDDEN && s != StatusCode::UNAUTHORIZED;
            assert_eq!(passed, allowed(role), "{route} as {role}: {s} {body}");
            if !passed {
                assert_eq!(body["error"]["code"], "forbidden", "{route} as {role}");
            }
        }
    }
}

fn set_cookies(res: &reqwest::Response) -> Vec<(String, String)> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next()?.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} in page"))
        + marker.len();
    html[start..start + html[start..].find('"').unwrap()].to_string()
}

/// The browser's way: sign in, open a proposal from the form, edit one section in the edit
/// form, review and merge with forms that carry the CSRF token.
#[tokio::test]
async fn the_flow_through_the_web_forms() {
    let (env, _tok) = Env::new().await;
    let c = &env.client;
    async fn sign_in(env: &Env, who: &str) -> (String, String) {
        let res = env
            .client
            .get(format!("{}/login", env.base))
            .send()
            .await
            .unwrap();
        let cookies = set_cookies(&res);
        let html = res.text().await.unwrap();
        let login_csrf = hidden(&html, "csrf");
        let cookie = cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let res = env
            .client
            .post(format!("{}/login", env.base))
            .header("cookie", cookie)
            .form(&[
                ("login", who),
                ("password", &format!("{who}-password")),
                ("csrf", &login_csrf),
                ("next", "/proposals"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "sign-in of {who}");
        let session = set_cookies(&res)
            .into_iter()
            .find(|(k, _)| k == "codraft_session")
            .unwrap();
        let cookie = format!("codraft_session={}", session.1);
        let html = env
            .client
            .get(format!("{}/proposals/new", env.base))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        (cookie, hidden(&html, "csrf"))
    }
    // A wrong password is refused.
    let res = c.get(format!("{}/login", env.base)).send().await.unwrap();
    let cookies = set_cookies(&res);
    let login_csrf = hidden(&res.text().await.unwrap(), "csrf");
    let res = c
        .post(format!("{}/login", env.base))
        .header("cookie", format!("codraft_login={}", cookies[0].1))
        .form(&[
            ("login", "gov"),
            ("password", "wrong-password"),
            ("csrf", &login_csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

    let (gov, gov_csrf) = sign_in(&env, "gov").await;
    // Without the CSRF token the form is refused and nothing is written.
    let res = c
        .post(format!("{}/proposals", env.base))
        .header("cookie", &gov)
        .form(&[("title", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = c
        .post(format!("{}/proposals", env.base))
        .header("cookie", &gov)
        .form(&[
            ("title", "修正問題描述"),
            ("description", "補充"),
            ("commitment", C04),
            ("csrf", &gov_csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let edit_url = res.headers()["location"].to_str().unwrap().to_string();
    assert!(
        edit_url.starts_with("/proposals/1/edit?commitment=c04-information-access"),
        "{edit_url}"
    );
    let form_page = c
        .get(format!("{}{edit_url}", env.base))
        .header("cookie", &gov)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        form_page.contains("name=\"lead_agencies\""),
        "the form has the structured fields"
    );
    // Submit the form as a browser would: every field as shown, one section changed.
    let pairs = form_pairs(&form_page);
    let edited: Vec<(String, String)> = pairs
        .into_iter()
        .map(|(k, v)| {
            if k == "s_text" && v.contains("常有從寬限制公開之情形") {
                (
                    k,
                    v.replace(
                        "常有從寬限制公開之情形",
                        "常有從寬限制公開之情形，且未附理由",
                    )
                    .replace('\n', "\r\n"),
                )
            } else {
                (k, v)
            }
        })
        .collect();
    let res = c
        .post(format!("{}/proposals/1/edit", env.base))
        .header("cookie", &gov)
        .form(&edited)
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "{}",
        res.text().await.unwrap()
    );
    let proposal_text = env.show("proposals/1-c04-information-access", C04_PATH);
    let main_text = env.show("main", C04_PATH);
    assert_eq!(
        proposal_text,
        main_text.replace(
            "常有從寬限制公開之情形",
            "常有從寬限制公開之情形，且未附理由"
        ),
        "only the edited section changed"
    );

    // The proposal page shows the diff with the insertion marked, inline and side by side.
    let page = c
        .get(format!("{}/proposals/1", env.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("<ins>，且未附理由</ins>"), "inline diff");
    let split = c
        .get(format!("{}/proposals/1?view=split&lang=en", env.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(split.contains("class=\"split\"") && split.contains("<ins>，且未附理由</ins>"));

    // Civil society and a second government member approve through the form; the author merges.
    for who in ["ngo", "gov2"] {
        let (cookie, _) = sign_in(&env, who).await;
        let page = c
            .get(format!("{}/proposals/1", env.base))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let (csrf, head) = (hidden(&page, "csrf"), hidden(&page, "head"));
        let res = c
            .post(format!("{}/proposals/1/reviews", env.base))
            .header("cookie", &cookie)
            .form(&[
                ("verdict", "approve"),
                ("head", &head),
                ("csrf", &csrf),
                ("section", ""),
                ("body", "同意"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{who}");
    }
    let page = c
        .get(format!("{}/proposals/1", env.base))
        .header("cookie", &gov)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let head = hidden(&page, "head");
    let res = c
        .post(format!("{}/proposals/1/merge", env.base))
        .header("cookie", &gov)
        .form(&[("head", head.as_str()), ("csrf", gov_csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(env.show("main", C04_PATH), proposal_text);
    let page = c
        .get(format!("{}/commitments/{C04}/history?lang=en", env.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Merge proposal #1"),
        "history shows the merge"
    );
}

#[tokio::test]
async fn a_proposal_can_add_and_delete_commitments() {
    let (env, tok) = Env::new().await;
    // A new commitment, written from the plan's blank form: the forum approves it.
    let template = env.show("main", "commitments/_template/zh-TW.md");
    let new_doc = template
        .replace("id = \"c00-example\"", "id = \"c20-open-budget\"")
        .replace("number = 1", "number = 20")
        .replace("area = \"general\"", "area = \"integrity\"")
        .replace("title = \"承諾事項名稱\"", "title = \"公開預算資料\"");
    let (s, p) = env
        .call(
            Some(&tok["ngo"]),
            "POST",
            "/api/proposals",
            Some(json!({
                "title": "Add an open-budget commitment",
                "documents": [{"commitment": "c20-open-budget", "lang": "zh-TW", "text": new_doc}],
            })),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    assert_eq!(
        p["touched"],
        json!([{"commitment": "c20-open-budget", "added": true}])
    );
    let h = head(&p);
    // Working-group drafters of other commitments do not approve a new one; the forum does.
    let (s, _) = env
        .review(&tok["gov2"], 1, json!({"verdict": "approve", "head": h}))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    for who in ["convener", "member"] {
        let (s, r) = env
            .review(&tok[who], 1, json!({"verdict": "approve", "head": h}))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{r}");
    }
    let (s, m) = env
        .call(
            Some(&tok["convener"]),
            "POST",
            "/api/proposals/1/merge",
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{m}");
    let (_, plan) = env.call(None, "GET", "/api/plan", None).await;
    assert_eq!(plan["commitment_count"], 20);
    // A number already taken is refused before anything is written.
    let (s, e) = env
        .call(Some(&tok["ngo"]), "POST", "/api/proposals", Some(json!({
            "title": "Another",
            "documents": [{"commitment": "c21-x", "lang": "zh-TW", "text": new_doc.replace("c20-open-budget", "c21-x")}],
        })))
        .await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_document")),
        "{e}"
    );
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("number 20"),
        "{e}"
    );

    // Deleting commitment 4 (both languages) by its working group.
    let (s, p) = env
        .call(
            Some(&tok["gov"]),
            "POST",
            "/api/proposals",
            Some(json!({
                "title": "Drop commitment 4",
                "documents": [{"commitment": C04, "delete": true}],
            })),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    let n = p["number"].as_u64().unwrap();
    let (_, d) = env
        .call(None, "GET", &format!("/api/proposals/{n}/diff"), None)
        .await;
    let statuses: Vec<&str> = d["commitments"][0]["documents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|doc| doc["diff"]["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["deleted", "deleted"], "{d}");
    approve(&env, &tok, n, &head(&p)).await;
    let (s, _) = env
        .call(
            Some(&tok["gov"]),
            "POST",
            &format!("/api/proposals/{n}/merge"),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = env
        .call(None, "GET", &format!("/api/commitments/{C04}"), None)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn field_changes_are_said_in_words_and_english_is_diffed_by_word() {
    let (env, tok) = Env::new().await;
    let zh = env.show("main", C04_PATH).replace(
        "lead_agencies = [\"法務部\"]",
        "lead_agencies = [\"數位發展部\"]",
    );
    let en_path = "commitments/c04-information-access/en.md";
    let en = env.show("main", en_path);
    let sentence = en
        .lines()
        .find(|l| l.split(' ').count() > 8 && !l.starts_with('#') && !l.contains('='))
        .unwrap()
        .to_string();
    let words: Vec<&str> = sentence.split(' ').collect();
    let changed_sentence = format!("{} clearly {}", words[..3].join(" "), words[3..].join(" "));
    let en = en.replacen(&sentence, &changed_sentence, 1);
    let (s, p) = env
        .call(
            Some(&tok["gov"]),
            "POST",
            "/api/proposals",
            Some(json!({
                "title": "Reorganisation",
                "documents": [
                    {"commitment": C04, "lang": "zh-TW", "text": zh},
                    {"commitment": C04, "lang": "en", "text": en},
                ],
            })),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    let base = p["base"].as_str().unwrap();
    let to = p["head"].as_str().unwrap();
    for (lang, expected) in [
        ("zh-TW", "主辦機關：法務部 → 數位發展部"),
        ("en", "Lead agency: 法務部 → 數位發展部"),
    ] {
        let page = env
            .client
            .get(format!(
                "{}/compare?from={base}&to={to}&lang={lang}",
                env.base
            ))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains(expected), "{lang}: {expected}");
    }
    let (_, d) = env
        .call(
            None,
            "GET",
            &format!("/api/compare?from={base}&to={to}"),
            None,
        )
        .await;
    let en_doc = d["commitments"][0]["documents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|doc| doc["lang"] == "en")
        .unwrap()
        .clone();
    let inserts: Vec<&str> = en_doc["diff"]["sections"][0]["body"]["segments"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["kind"] != "equal")
        .map(|s| s["text"].as_str().unwrap())
        .collect();
    assert_eq!(inserts, ["clearly "], "one whole word inserted: {en_doc}");
}

#[tokio::test]
async fn script_in_proposal_text_is_rendered_inert() {
    let (env, tok) = Env::new().await;
    let payload = "<script>alert(1)</script><img src=x onerror=alert(2)>\"'";
    let text = replace_once(
        &env.show("main", C04_PATH),
        "常有從寬限制公開之情形",
        &format!("常有從寬限制公開之情形{payload}"),
    );
    let (s, p) = env
        .call(
            Some(&tok["gov"]),
            "POST",
            "/api/proposals",
            Some(json!({"title": payload, "description": payload, "documents": doc(&text)})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    let (s, _) = env
        .review(
            &tok["ngo"],
            1,
            json!({"verdict": "comment", "head": head(&p), "body": payload}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    for path in ["/proposals", "/proposals/1", "/proposals/1?view=split"] {
        let page = env
            .client
            .get(format!("{}{path}", env.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            !page.contains("<script>alert") && !page.contains("<img src=x"),
            "{path} renders markup from user text"
        );
        assert!(
            page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{path} shows the text escaped"
        );
    }
}

/// If the trail lost the merge (a crash between writing `main` and `records`), merging again
/// records the merge that is there; it never merges twice.
#[tokio::test]
async fn a_merge_the_trail_lost_is_recorded_not_repeated() {
    let (env, tok) = Env::new().await;
    let text = replace_once(
        &env.show("main", C04_PATH),
        "常有從寬限制公開之情形",
        "常有從寬限制公開之情形。",
    );
    let (_, h) = open_and_approve(&env, &tok, "once", &text).await;
    let (s, m) = env
        .call(
            Some(&tok["gov"]),
            "POST",
            "/api/proposals/1/merge",
            Some(json!({"expected_head": h})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{m}");
    let main = common::git(&env.repo(), &["rev-parse", "main"]);
    common::git(
        &env.repo(),
        &["update-ref", "refs/heads/records", "records~1"],
    );
    let (_, p) = env.call(None, "GET", "/api/proposals/1", None).await;
    assert_eq!(p["state"], "open");
    let (s, again) = env
        .call(Some(&tok["gov"]), "POST", "/api/proposals/1/merge", None)
        .await;
    assert_eq!(s, StatusCode::OK, "{again}");
    assert_eq!(again["commit"], m["commit"]);
    assert_eq!(
        common::git(&env.repo(), &["rev-parse", "main"]),
        main,
        "main did not move"
    );
    let (_, p) = env.call(None, "GET", "/api/proposals/1", None).await;
    assert_eq!(p["state"], "merged");
}
