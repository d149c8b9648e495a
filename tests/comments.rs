//! Comments on a commitment and its sections, on a real port with the demo plan and accounts:
//! posted from the commitment page's form and over the API, shown under their section, still
//! under it after the section's text is edited with the git CLI, listed apart once the section
//! is removed; script inert; hidden by the secretariat with a reason; bad input refused with
//! nothing written.

mod common;

use reqwest::StatusCode;
use serde_json::{json, Value};

use codraft::auth::Accounts;
use codraft::workflow::setup;
use common::web::{main_text, Web};

const C04: &str = "c04-information-access";

/// The HTML of the section `id` of a commitment page.
fn section<'a>(page: &'a str, id: &str) -> &'a str {
    let start = page
        .find(&format!("<section class=\"doc-section\" id=\"{id}\""))
        .unwrap_or_else(|| panic!("section {id}"));
    let end = start + page[start..].find("</section>").unwrap();
    &page[start..end]
}

#[tokio::test]
async fn comments_stay_with_their_section() {
    let dir = common::web::demo_with_accounts();
    let base = common::start_server(dir.path()).await;
    let web = Web::new(&base);
    let repo = setup::repo_path(dir.path());
    let refs = || {
        common::git(
            &repo,
            &["for-each-ref", "--format=%(refname) %(objectname)"],
        )
    };
    let page_url = format!("/commitments/{C04}?lang=en");

    let p = web.get(None, &page_url).await;
    assert!(p.body.contains("Comments (0)"), "{}", main_text(&p.body));
    assert!(
        !p.body.contains("id=\"comment-form\""),
        "signed out: no form"
    );

    // From the page's form, on a section.
    let ngo = web.sign_in("pohan-chen").await;
    let a = web
        .post(
            &ngo,
            &format!("/commitments/{C04}/comments?lang=en"),
            &[("section", "problem"), ("body", "請補充**統計數據**來源。")],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", main_text(&a.body));
    assert!(a.location.ends_with("#comment-1"), "{}", a.location);
    // Over the API, with script in it.
    let token = Accounts::open(dir.path())
        .unwrap()
        .new_token("shufen-kuo")
        .unwrap();
    let client = reqwest::Client::new();
    let post = |path: String, body: Value, token: Option<String>| {
        let client = client.clone();
        let base = base.clone();
        async move {
            let mut r = client.post(format!("{base}{path}")).json(&body);
            if let Some(t) = token {
                r = r.bearer_auth(t);
            }
            let r = r.send().await.unwrap();
            let s = r.status();
            (s, r.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let (st, v) = post(
        format!("/api/commitments/{C04}/comments"),
        json!({"section": "transparency", "body": "<script>alert(1)</script> 已補充。"}),
        Some(token.clone()),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    assert_eq!(v["number"], 2);
    assert_eq!(v["author_sector"], "government");

    let p = web.get(None, &page_url).await;
    assert!(p.body.contains("Comments (2)"));
    let problem = section(&p.body, "problem");
    assert!(problem.contains("id=\"comment-1\""), "{problem}");
    assert!(problem.contains("<strong>統計數據</strong>"));
    assert!(!p.body.contains("<script>alert"));
    assert!(section(&p.body, "transparency").contains("id=\"comment-2\""));

    // The section's text is edited outside codraft: the comment stays with it.
    let work = tempfile::tempdir().unwrap();
    let clone = common::clone(dir.path(), work.path());
    let file = clone.join(format!("commitments/{C04}/zh-TW.md"));
    let text = std::fs::read_to_string(&file).unwrap();
    let edited = text.replace("{#problem}\n\n", "{#problem}\n\n（補充）");
    assert_ne!(edited, text);
    std::fs::write(&file, &edited).unwrap();
    common::git(&clone, &["commit", "-qam", "edit problem"]);
    common::git(&clone, &["push", "-q", "origin", "main"]);
    let p = web.get(None, &page_url).await;
    let problem = section(&p.body, "problem");
    assert!(problem.contains("（補充）") && problem.contains("id=\"comment-1\""));

    // The section goes: its comment is listed apart.
    let start = edited
        .find("## 與OGP核心價值「透明」之關聯 {#transparency}")
        .unwrap();
    let end = start + edited[start..].find("\n## ").unwrap() + 1;
    let without = format!("{}{}", &edited[..start], &edited[end..]);
    std::fs::write(&file, &without).unwrap();
    common::git(&clone, &["commit", "-qam", "remove transparency"]);
    common::git(&clone, &["push", "-q", "origin", "main"]);
    let p = web.get(None, &page_url).await;
    assert!(
        !p.body.contains("id=\"transparency\""),
        "the section is gone"
    );
    let comments = section(&p.body, "comments");
    assert!(comments.contains("Comments on sections the commitment no longer has"));
    assert!(comments.contains("id=\"comment-2\""));

    // Bad input: nothing written.
    let before = refs();
    for (body, status) in [
        (json!({"body": "  "}), StatusCode::BAD_REQUEST),
        (json!({"body": "字".repeat(5001)}), StatusCode::BAD_REQUEST),
        (
            json!({"section": "nope", "body": "x"}),
            StatusCode::NOT_FOUND,
        ),
        (
            json!({"section": "transparency", "body": "x"}),
            StatusCode::NOT_FOUND,
        ),
        (json!({"body": "x", "extra": 1}), StatusCode::BAD_REQUEST),
    ] {
        let (st, v) = post(
            format!("/api/commitments/{C04}/comments"),
            body.clone(),
            Some(token.clone()),
        )
        .await;
        assert_eq!(st, status, "{body}: {v}");
        assert!(v["error"]["code"].is_string(), "{v}");
    }
    let (st, _) = post(
        "/api/commitments/c99-nope/comments".into(),
        json!({"body": "x"}),
        Some(token.clone()),
    )
    .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, _) = post(
        format!("/api/commitments/{C04}/comments"),
        json!({"body": "x"}),
        None,
    )
    .await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    let res = web
        .client
        .post(format!("{base}/commitments/{C04}/comments"))
        .header("cookie", &ngo.cookie)
        .form(&[("body", "no token")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "no CSRF token");
    let (st, _) = post(
        format!("/api/commitments/{C04}/comments/1/hide"),
        json!({"reason": "x"}),
        Some(token.clone()),
    )
    .await;
    assert_eq!(st, StatusCode::FORBIDDEN, "only the secretariat hides");
    assert_eq!(refs(), before);

    // The secretariat hides a comment from the page.
    let sec = web.sign_in("secretariat").await;
    let p = web.get(Some(&sec), &page_url).await;
    assert!(p.body.contains("/comments/1/hide"));
    let a = web
        .post(
            &sec,
            &format!("/commitments/{C04}/comments/1/hide?lang=en"),
            &[("reason", "離題")],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", main_text(&a.body));
    let p = web.get(None, &page_url).await;
    assert!(p
        .body
        .contains("The secretariat hid this comment. Reason: 離題"));
    assert!(!p.body.contains("統計數據"));
    let (_, list) = common::get_json(&format!("{base}/api/commitments/{C04}/comments")).await;
    assert_eq!(list[0]["body"], "", "{list}");
    assert_eq!(list[0]["hidden"]["reason"], "離題");
}
