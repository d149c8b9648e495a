//! The site and the JSON API on a real port, against the demo plan.

mod common;

use common::{assert_error, get_json};

use std::collections::BTreeSet;

use reqwest::{header, StatusCode};
use serde_json::Value;

use codraft::store::{FileChange, Signature, Store};
use codraft::workflow::setup;

async fn get_page(client: &reqwest::Client, url: &str) -> (StatusCode, header::HeaderMap, String) {
    let r = client.get(url).send().await.unwrap();
    (r.status(), r.headers().clone(), r.text().await.unwrap())
}

#[tokio::test]
async fn the_api_lists_19_commitments_in_5_areas() {
    let dir = common::demo_dir();
    let base = common::start_server(dir.path()).await;

    let (status, list) = get_json(&format!("{base}/api/commitments")).await;
    assert_eq!(status, StatusCode::OK);
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 19);
    let numbers: Vec<u64> = list.iter().map(|c| c["number"].as_u64().unwrap()).collect();
    assert_eq!(numbers, (1..=19).collect::<Vec<_>>());
    for c in list {
        for key in ["id", "title", "area"] {
            assert!(c[key].as_str().is_some_and(|s| !s.is_empty()), "{c}");
        }
        assert!(!c["lead_agencies"].as_array().unwrap().is_empty(), "{c}");
    }
    let areas: BTreeSet<&str> = list.iter().map(|c| c["area"].as_str().unwrap()).collect();
    assert_eq!(areas.len(), 5);

    let (_, plan) = get_json(&format!("{base}/api/plan")).await;
    let plan_areas = plan["areas"].as_array().unwrap();
    assert_eq!(plan_areas.len(), 5);
    let per_area: Vec<usize> = plan_areas
        .iter()
        .map(|a| a["commitments"].as_array().unwrap().len())
        .collect();
    assert_eq!(
        per_area,
        [5, 5, 4, 3, 2],
        "seed 004: 5, 5, 4, 3 and 2 commitments per area"
    );
    assert_eq!(plan["problems"].as_array().unwrap().len(), 0);

    let (status, health) = get_json(&format!("{base}/healthz")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(health["status"], "ok");
}

#[tokio::test]
async fn a_commitment_has_every_field_and_section_at_any_ref() {
    let dir = common::demo_dir();
    let base = common::start_server(dir.path()).await;
    let id = "c04-information-access";

    let (status, c) = get_json(&format!("{base}/api/commitments/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(c["number"], 4);
    assert_eq!(c["lead_agencies"][0], "法務部");
    for key in [
        "period",
        "co_agencies",
        "ogp_values",
        "sdgs",
        "milestones",
        "contact",
        "participants",
    ] {
        assert!(!c[key].is_null(), "{key} missing: {c}");
    }
    let sections: Vec<&str> = c["sections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    for required in [
        "description",
        "problem",
        "commitment",
        "contribution",
        "transparency",
        "participation",
        "accountability",
        "other-info",
    ] {
        assert!(
            sections.contains(&required),
            "{required} not in {sections:?}"
        );
    }

    // The English translation has the same section and milestone ids.
    let (status, en) = get_json(&format!("{base}/api/commitments/{id}?lang=en")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(en["language"], "en");
    assert_eq!(en["languages"], serde_json::json!(["zh-TW", "en"]));
    let ids = |v: &Value, key: &str| -> Vec<String> {
        v[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(ids(&en, "sections"), ids(&c, "sections"));
    assert_eq!(ids(&en, "milestones"), ids(&c, "milestones"));

    // History: several authors; the oldest version differs from today's.
    let (status, h) = get_json(&format!("{base}/api/commitments/{id}/history")).await;
    assert_eq!(status, StatusCode::OK);
    let commits = h["commits"].as_array().unwrap();
    assert!(commits.len() >= 2, "{h}");
    let oldest = commits.last().unwrap()["id"].as_str().unwrap();
    let (status, old) = get_json(&format!("{base}/api/commitments/{id}?ref={oldest}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(old["commit"], oldest);
    assert_ne!(
        old["milestones"], c["milestones"],
        "commitment 4's indicator was reworded"
    );
    let (status, by_branch) = get_json(&format!("{base}/api/commitments/{id}?ref=main")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(by_branch["milestones"], c["milestones"]);

    // A tag made with the git CLI is a ref like any other.
    let repo = setup::repo_path(dir.path());
    common::git(
        dir.path(),
        &[
            "--git-dir",
            repo.to_str().unwrap(),
            "tag",
            "rounds/first-draft",
            oldest,
        ],
    );
    let (status, tagged) = get_json(&format!(
        "{base}/api/commitments/{id}?ref=rounds/first-draft"
    ))
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(tagged["commit"], oldest);
}

#[tokio::test]
async fn bad_input_gets_a_clear_json_error() {
    let dir = common::demo_dir();
    let base = common::start_server(dir.path()).await;
    let cases = [
        (
            "/api/commitments/no-such-commitment",
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            "/api/commitments/no-such-commitment/history",
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            "/api/commitments/c04-information-access?lang=fr",
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            "/api/commitments?ref=no-such-branch",
            StatusCode::BAD_REQUEST,
            "bad_ref",
        ),
        (
            "/api/commitments/c04-information-access?ref=main~1",
            StatusCode::BAD_REQUEST,
            "bad_ref",
        ),
        (
            "/api/commitments/c04-information-access?ref=..%2F..%2Fetc",
            StatusCode::BAD_REQUEST,
            "bad_ref",
        ),
        (
            "/api/plan?ref=deadbeefdeadbeef",
            StatusCode::BAD_REQUEST,
            "bad_ref",
        ),
        (
            "/api/commitments/c04-information-access/history?limit=many",
            StatusCode::BAD_REQUEST,
            "bad_query",
        ),
        ("/api/nothing-here", StatusCode::NOT_FOUND, "not_found"),
    ];
    for (path, status, code) in cases {
        let (got, body) = get_json(&format!("{base}{path}")).await;
        assert_eq!(got, status, "{path}: {body}");
        assert_error(&body, code);
    }
}

#[tokio::test]
async fn pages_render_in_both_languages_with_a_switch() {
    let dir = common::demo_dir();
    let base = common::start_server(dir.path()).await;
    let client = reqwest::Client::new();
    let id = "c04-information-access";

    for (path, zh, en) in [
        ("/", "範疇與承諾事項", "Areas and commitments"),
        (&*format!("/commitments/{id}"), "主辦機關", "Lead agencies"),
        (
            &*format!("/commitments/{id}/history"),
            "修訂歷程",
            "History",
        ),
    ] {
        let (status, _, html) = get_page(&client, &format!("{base}{path}?lang=zh-TW")).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(
            html.contains("<html lang=\"zh-TW\">") && html.contains(zh),
            "{path} in Chinese"
        );
        assert!(
            html.contains(&format!("href=\"{path}?lang=en")),
            "{path} links to its English twin"
        );
        let (status, headers, html) = get_page(&client, &format!("{base}{path}?lang=en")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            html.contains("<html lang=\"en\">") && html.contains(en),
            "{path} in English"
        );
        assert!(headers[header::SET_COOKIE]
            .to_str()
            .unwrap()
            .starts_with("lang=en"));
    }

    // The cookie, then Accept-Language, choose the language when ?lang= is absent.
    for (name, value, want) in [
        (header::COOKIE, "lang=en", "en"),
        (header::ACCEPT_LANGUAGE, "en-US,en;q=0.9", "en"),
        (header::ACCEPT_LANGUAGE, "zh-TW,zh;q=0.9,en;q=0.5", "zh-TW"),
    ] {
        let r = client
            .get(format!("{base}/"))
            .header(name, value)
            .send()
            .await
            .unwrap();
        let html = r.text().await.unwrap();
        assert!(html.contains(&format!("<html lang=\"{want}\">")), "{value}");
    }

    // The home lists every commitment; the commitment page shows its fields and sections.
    let (_, _, home) = get_page(&client, &format!("{base}/")).await;
    assert_eq!(home.matches("href=\"/commitments/c").count(), 19);
    let (_, _, page) = get_page(&client, &format!("{base}/commitments/{id}")).await;
    for needle in [
        "id=\"problem\"",
        "id=\"commitment\"",
        "id=\"milestones\"",
        "法務部",
        "/api/commitments/c04-information-access",
    ] {
        assert!(page.contains(needle), "{needle}");
    }
    // History shows authors of both sectors and links to each version.
    let (_, _, history) = get_page(&client, &format!("{base}/commitments/{id}/history")).await;
    assert!(history.contains(&format!("href=\"/commitments/{id}?ref=")));
    assert!(history.contains("sector-government") || history.contains("sector-civil_society"));

    // Unknown pages and refs: a readable page with the right status, in the reader's language.
    let (status, _, html) = get_page(&client, &format!("{base}/commitments/nope?lang=en")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("Not found") && html.contains("nope"));
    assert!(
        html.contains("href=\"/commitments/nope?lang=zh-TW\""),
        "the switch keeps the page"
    );
    let (status, _, html) = get_page(&client, &format!("{base}/?ref=nope")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(html.contains("請求有誤"));
    let (status, _, _) = get_page(&client, &format!("{base}/static/style.css")).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn document_html_is_sanitized_and_broken_documents_do_not_break_the_site() {
    let dir = common::demo_dir();
    let repo = setup::repo_path(dir.path());
    let base = common::start_server(dir.path()).await;
    let client = reqwest::Client::new();
    let store = Store::open(&repo).unwrap();
    let head = store.resolve("main").await.unwrap();
    let path = "commitments/c04-information-access/zh-TW.md";
    let text = String::from_utf8(store.read_file(head, path).await.unwrap().unwrap()).unwrap();
    let hostile = text.replacen(
        "## 承諾事項將涉及哪些公共問題？ {#problem}\n",
        "## 承諾事項將涉及哪些公共問題？ {#problem}\n\n<script>alert('x')</script><img src=x onerror=alert(1)>\n",
        1,
    );
    assert_ne!(hostile, text);
    let author = Signature::now("Mallory", "m@example.org");
    let second = store
        .commit(
            "main",
            Some(head),
            vec![FileChange {
                path: path.into(),
                content: Some(hostile.into_bytes()),
            }],
            author.clone(),
            "x",
        )
        .await
        .unwrap();
    let (_, _, page) = get_page(
        &client,
        &format!("{base}/commitments/c04-information-access"),
    )
    .await;
    assert!(!page.contains("<script>alert"), "script survived");
    // The section drops the markup; the diff since the last forum round shows it as text.
    let (start, end) = (
        page.find("id=\"problem\"").unwrap(),
        page.find("id=\"commitment\"").unwrap(),
    );
    assert!(!page[start..end].contains("onerror"), "handler survived");
    assert!(!page.contains("<img src=x onerror"), "handler survived");
    assert!(
        page.contains("&lt;img src=x onerror=alert(1)&gt;"),
        "shown as text in the diff"
    );

    // A broken document (pushed by someone) shows its problems instead of failing the site.
    let broken = "+++\nid = \"c04-information-access\"\n+++\n";
    store
        .commit(
            "main",
            Some(second),
            vec![FileChange {
                path: path.into(),
                content: Some(broken.into()),
            }],
            author,
            "break",
        )
        .await
        .unwrap();
    let (status, _, page) = get_page(
        &client,
        &format!("{base}/commitments/c04-information-access"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("zh-TW.md:1"),
        "the page names the file and line"
    );
    let (status, body) = get_json(&format!("{base}/api/commitments/c04-information-access")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_error(&body, "invalid_document");
    let (_, plan) = get_json(&format!("{base}/api/plan")).await;
    assert!(!plan["problems"].as_array().unwrap().is_empty());
    let (status, _, _) = get_page(&client, &format!("{base}/")).await;
    assert_eq!(status, StatusCode::OK);
}
