//! Translation sync through the HTML pages, as a browser without JavaScript would, on the demo
//! plan with the demo's accounts: the dashboard puts commitment 4 first with its two stale
//! units; the translator's view shows master and English side by side with the master's
//! character diff; the translator opens a proposal from the view and lands in the live editor
//! of the English; the English is updated in that proposal, approved by both sectors and
//! merged; the translator marks the units synced with the form and everything is up to date.
//! Refusals (no reason, a moved master, wrong role, signed out, no CSRF token) write nothing.

mod common;

use reqwest::StatusCode;
use serde_json::json;

use codraft::auth::Accounts;
use codraft::workflow::setup;
use common::web::{hidden, main_text, Person, Web};

const C04: &str = "c04-information-access";
const VIEW: &str = "/translations/c04-information-access/en";

/// Every ref and where it points.
fn refs(dir: &std::path::Path) -> String {
    common::git(
        &setup::repo_path(dir),
        &["for-each-ref", "--format=%(refname) %(objectname)"],
    )
}

/// The text of one unit's section of the translator's view.
fn unit<'a>(page: &'a str, key: &str) -> &'a str {
    let start = page
        .find(&format!("id=\"u-{key}\""))
        .unwrap_or_else(|| panic!("{key} is on the page"));
    let end = start + page[start..].find("</section>").unwrap();
    &page[start..end]
}

async fn post_sync(web: &Web, who: &Person, fields: &[(&str, &str)]) -> common::web::Answer {
    web.post(who, &format!("{VIEW}/sync?lang=en"), fields).await
}

#[tokio::test]
async fn a_translator_brings_the_demo_english_back_in_sync_through_the_pages() {
    let dir = common::web::demo_with_accounts();
    let base = common::start_server(dir.path()).await;
    let web = Web::new(&base);

    // The dashboard, signed out: commitment 4 first, with its two stale units.
    let d = web.get(None, "/translations?lang=en").await;
    assert_eq!(d.status, StatusCode::OK);
    let rows = d.body.split("<tbody>").nth(1).unwrap();
    assert!(
        rows.trim_start()
            .starts_with(&format!("<tr id=\"row-{C04}\"")),
        "{rows}"
    );
    let row = rows.split("</tr>").next().unwrap();
    assert!(row.contains("Stale 2"), "{row}");
    assert!(
        d.body.contains("href=\"/translations\""),
        "the nav links here"
    );
    let zh = web.get(None, "/translations?lang=zh-TW").await;
    assert!(zh.body.contains("待更新 2"), "{}", main_text(&zh.body));

    // The translator's view, signed out: side by side, the master's diff, no forms.
    let v = web.get(None, &format!("{VIEW}?lang=en")).await;
    assert_eq!(v.status, StatusCode::OK);
    let m2 = unit(&v.body, "milestone.m2.text");
    assert!(m2.contains("badge-stale"), "{m2}");
    assert!(m2.contains("徵詢民眾及政府機關承辦人員申請及處理政府資訊遇到之問題"));
    assert!(m2.contains("Consult members of the public on the problems"));
    let ins: Vec<&str> = m2
        .split("<ins>")
        .skip(1)
        .map(|s| s.split("</ins>").next().unwrap())
        .collect();
    assert!(ins.iter().any(|s| s.contains("承辦人員")), "{m2}");
    assert!(unit(&v.body, "section.commitment").contains("badge-stale"));
    assert!(unit(&v.body, "section.problem").contains("badge-up_to_date"));
    assert!(!unit(&v.body, "section.problem").contains("<ins>"));
    assert!(!v.body.contains("name=\"unit\""), "no form signed out");

    // Signed in as the translator: the stale units are ticked.
    let tr = web.sign_in("translator").await;
    let v = web.get(Some(&tr), &format!("{VIEW}?lang=en")).await;
    assert!(unit(&v.body, "milestone.m2.text").contains("value=\"milestone.m2.text\" checked"));
    assert!(unit(&v.body, "section.commitment").contains("checked"));
    assert!(!unit(&v.body, "section.problem").contains("checked"));
    let master_commit = hidden(&v.body, "master_commit");
    assert_eq!(master_commit.len(), 40);

    // Marking them synced without changing the English and without a reason: refused.
    let before = refs(dir.path());
    let stale_units = [
        ("unit", "milestone.m2.text"),
        ("unit", "section.commitment"),
    ];
    let mut fields = stale_units.to_vec();
    fields.push(("master_commit", &master_commit));
    let a = post_sync(&web, &tr, &fields).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert!(
        a.body.contains("give a reason why it still fits"),
        "{}",
        main_text(&a.body)
    );
    assert!(
        unit(&a.body, "section.commitment").contains("checked"),
        "choices kept"
    );
    // Against a master that moved meanwhile: 409.
    let mut stale_fields = stale_units.to_vec();
    stale_fields.push(("master_commit", "0123456789012345678901234567890123456789"));
    stale_fields.push(("reason", "x"));
    let a = post_sync(&web, &tr, &stale_fields).await;
    assert_eq!(a.status, StatusCode::CONFLICT);
    assert!(a
        .body
        .contains("The master changed since you loaded this page"));
    // Nothing ticked: 400.
    let a = post_sync(&web, &tr, &[("master_commit", &master_commit)]).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert!(a.body.contains("Tick at least one unit."));
    // A drafter who is not a translator: 403; signed out: 401; no CSRF token: 403.
    let drafter = web.sign_in("shufen-kuo").await;
    let dv = web.get(Some(&drafter), &format!("{VIEW}?lang=en")).await;
    assert!(
        !dv.body.contains("name=\"unit\""),
        "a drafter sees no sync form"
    );
    let a = post_sync(&web, &drafter, &fields).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    let res = web
        .client
        .post(format!("{base}{VIEW}/sync"))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let res = web
        .client
        .post(format!("{base}{VIEW}/sync"))
        .header("cookie", &tr.cookie)
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(refs(dir.path()), before, "refusals write nothing");

    // The translator opens a proposal from the view and lands in the live editor of the
    // English.
    let a = web
        .post(
            &tr,
            "/proposals?lang=en",
            &[
                ("title", "Update the en translation of commitment 4"),
                ("commitment", C04),
                ("doc", "en"),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", main_text(&a.body));
    assert!(
        a.location.starts_with("/edit?branch=proposals/"),
        "{}",
        a.location
    );
    assert!(a.location.contains("&doc=en"), "{}", a.location);
    let editor = web.get(Some(&tr), &a.location).await;
    assert_eq!(editor.status, StatusCode::OK);
    assert!(editor.body.contains("id=\"lf-milestone.m2.text\""));
    let v = web.get(Some(&tr), &format!("{VIEW}?lang=en")).await;
    assert!(
        unit(&v.body, "milestone.m2.text").contains("#lf-milestone.m2.text"),
        "each unit links into the live editor of the open proposal"
    );

    // The English is updated in the proposal (as the live editor's checkpoint would commit
    // it), approved by both sectors of c04's working group and merged.
    let token = Accounts::open(dir.path())
        .unwrap()
        .new_token("translator")
        .unwrap();
    let api = reqwest::Client::new();
    let (_, p) = common::get_json(&format!("{base}/api/proposals/1")).await;
    let branch = p["branch"].as_str().unwrap().to_string();
    let english = common::git(
        &setup::repo_path(dir.path()),
        &["show", &format!("{branch}:commitments/{C04}/en.md")],
    );
    let english = english
        .replace(
            "Consult members of the public on the problems they meet when requesting government information from agencies",
            "Consult members of the public and agency case officers on the problems they meet when requesting and handling government information",
        )
        .replace(
            "2. Understand the practical problems in requesting government information: consult members of the public on the problems they meet when requesting government information from agencies, as a reference for improving procedures.",
            "2. Understand the practical problems in requesting and handling government information: consult members of the public and agency case officers on the problems they meet when requesting and handling government information, and ask agencies to provide statistics on the number of requests received, how they were decided, and the reasons for withholding information, in order to review how well the disclosure of government information is being implemented.",
        );
    assert!(english.contains("agency case officers"));
    let r = api
        .post(format!("{base}/api/proposals/1/commits"))
        .bearer_auth(&token)
        .json(&json!({
            "expected_head": p["head"],
            "message": "Follow the 2021-01-05 wording of milestone 2",
            "documents": [{"commitment": C04, "lang": "en", "text": english}],
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    let (_, p) = common::get_json(&format!("{base}/api/proposals/1")).await;
    let head = p["head"].as_str().unwrap().to_string();
    let ngo = web.sign_in("chiaying-li").await;
    for who in [&drafter, &ngo] {
        let a = web
            .post(
                who,
                "/proposals/1/reviews?lang=en",
                &[("verdict", "approve"), ("head", &head)],
            )
            .await;
        assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", main_text(&a.body));
    }
    let a = web
        .post(&tr, "/proposals/1/merge?lang=en", &[("head", &head)])
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", main_text(&a.body));

    // Editing the English does not clear stale: the translator marks the units synced.
    let v = web.get(Some(&tr), &format!("{VIEW}?lang=en")).await;
    assert!(unit(&v.body, "milestone.m2.text").contains("badge-stale"));
    assert!(unit(&v.body, "milestone.m2.text").contains("agency case officers"));
    let master_commit = hidden(&v.body, "master_commit");
    let mut fields = stale_units.to_vec();
    fields.push(("master_commit", &master_commit));
    let a = post_sync(&web, &tr, &fields).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", main_text(&a.body));
    assert!(a.location.contains("synced=2"), "{}", a.location);
    let v = web.get(Some(&tr), &a.location).await;
    assert!(v.body.contains("2 units marked synced."));
    assert!(
        !v.body.contains("badge badge-stale\">Stale</span>"),
        "no unit is stale"
    );
    assert!(v.body.contains("Stale 0"));
    let (_, s) = common::get_json(&format!("{base}/api/commitments/{C04}/translations/en")).await;
    assert_eq!(s["counts"]["stale"], 0, "{s}");
    let english_page = web.get(None, &format!("/commitments/{C04}?doc=en")).await;
    assert!(!english_page.body.contains("stale-note"));
    let d = web.get(None, "/translations?lang=en").await;
    assert!(!d.body.contains("badge badge-stale\">Stale 2"));
    let log = common::git(
        &setup::repo_path(dir.path()),
        &["log", "-1", "--format=%an%n%s", "main"],
    );
    assert!(
        log.contains("Translation sync: c04-information-access en"),
        "{log}"
    );
    assert!(plan_ok(&dir));
}

fn plan_ok(dir: &tempfile::TempDir) -> bool {
    let problems = codraft::workflow::plan::check_path(dir.path()).unwrap();
    assert!(problems.is_empty(), "{problems:?}");
    true
}

/// Unknown commitments, languages and baselines are refused with a page (404/400), and the
/// master language is not a translation.
#[tokio::test]
async fn bad_input_on_the_translation_pages() {
    let dir = common::demo_dir();
    let base = common::start_server(dir.path()).await;
    let web = Web::new(&base);
    for (path, status) in [
        ("/translations/c99-nope/en", StatusCode::NOT_FOUND),
        (
            "/translations/c04-information-access/fr",
            StatusCode::NOT_FOUND,
        ),
        (
            "/translations/c04-information-access/zh-TW",
            StatusCode::NOT_FOUND,
        ),
        (
            "/translations/c04-information-access/en?baseline=rounds/nope",
            StatusCode::NOT_FOUND,
        ),
        (
            "/translations/c04-information-access/en?baseline=yesterday",
            StatusCode::BAD_REQUEST,
        ),
        ("/translations?baseline=yesterday", StatusCode::BAD_REQUEST),
    ] {
        let a = web.get(None, path).await;
        assert_eq!(a.status, status, "{path}");
        assert!(a.body.contains("<!DOCTYPE html>"), "{path}");
    }
    // A round baseline works on both pages.
    let a = web
        .get(
            None,
            "/translations/c04-information-access/en?baseline=rounds/msf-2&lang=en",
        )
        .await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(a.body.contains("Stale 0"), "{}", main_text(&a.body));
    let a = web
        .get(None, "/translations?baseline=latest-round&lang=en")
        .await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(a.body.contains("Baseline: rounds/msf-2"));
}
