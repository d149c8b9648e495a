//! The proposal flow in a real browser (Debian's Chromium through chromedriver): sign in, open a
//! proposal from the form, edit a section in the edit form, approve from both sectors, merge.
//! `.ci/run` installs `chromium` and `chromium-driver`; the test fails when they are missing.

mod common;

use std::collections::BTreeSet;
use std::net::TcpListener;
use std::process::{Child, Command};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use codraft::auth::{Accounts, NewUser, Role, Sector};
use codraft::workflow::setup;

const C04: &str = "c04-information-access";
const C04_PATH: &str = "commitments/c04-information-access/zh-TW.md";

struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn browser() -> (Driver, Client) {
    let port = free_port();
    let driver = Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("chromedriver runs (apt-get install chromium chromium-driver)");
    let driver = Driver(driver);
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({"args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--lang=en"]}),
    );
    let url = format!("http://127.0.0.1:{port}");
    for _ in 0..100 {
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        if let Ok(client) = ClientBuilder::new(connector)
            .capabilities(caps.clone())
            .connect(&url)
            .await
        {
            return (driver, client);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("chromedriver did not answer on {url}");
}

async fn sign_in(c: &Client, base: &str, who: &str) {
    c.goto(&format!("{base}/login?lang=en")).await.unwrap();
    c.find(Locator::Css("input[name=login]"))
        .await
        .unwrap()
        .send_keys(who)
        .await
        .unwrap();
    c.find(Locator::Css("input[name=password]"))
        .await
        .unwrap()
        .send_keys(&format!("{who}-password"))
        .await
        .unwrap();
    c.find(Locator::Css("form.card-form button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let me = c
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css("header .me"))
        .await
        .unwrap_or_else(|e| panic!("{who} is not signed in: {e}"))
        .text()
        .await
        .unwrap();
    assert!(me.contains(who), "signed in as {who}: {me}");
}

async fn sign_out(c: &Client) {
    c.find(Locator::Css("form[action='/logout'] button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Css("header a[href^='/login']"))
        .await
        .unwrap();
}

async fn approve(c: &Client, base: &str, who: &str) {
    sign_in(c, base, who).await;
    c.goto(&format!("{base}/proposals/1?lang=en"))
        .await
        .unwrap();
    c.find(Locator::Css("input[name=verdict][value=approve]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.find(Locator::Css(
        "form[action='/proposals/1/reviews'] textarea[name=body]",
    ))
    .await
    .unwrap()
    .send_keys("同意")
    .await
    .unwrap();
    c.find(Locator::Css("form[action='/proposals/1/reviews'] button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // Wait for this reviewer's approval in the list (another's may be there already).
    let mine = format!(
        "//li[contains(@class, 'verdict-approve')]//span[@class='author' and text()='{who}']"
    );
    c.wait().for_element(Locator::XPath(&mine)).await.unwrap();
    sign_out(c).await;
}

#[tokio::test]
async fn a_proposal_from_the_form_to_main_in_chromium() {
    let dir = common::demo_dir();
    let accounts = Accounts::open(dir.path()).unwrap();
    for (id, sector) in [
        ("gov", Sector::Government),
        ("gov2", Sector::Government),
        ("ngo", Sector::CivilSociety),
    ] {
        accounts
            .add_user(NewUser {
                id: id.into(),
                name: id.into(),
                email: None,
                sector,
                roles: [Role::Drafter].into_iter().collect(),
                commitments: [C04.to_string()].into_iter().collect::<BTreeSet<_>>(),
                password: Some(format!("{id}-password")),
            })
            .unwrap();
    }
    let base = common::start_server(dir.path()).await;
    let (_driver, c) = browser().await;

    sign_in(&c, &base, "gov").await;
    c.goto(&format!("{base}/commitments/{C04}?lang=en"))
        .await
        .unwrap();
    c.find(Locator::LinkText("Propose a change"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Css("input[name=title]"))
        .await
        .unwrap()
        .send_keys("Say why access is refused")
        .await
        .unwrap();
    c.find(Locator::Css("form.card-form button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // The edit form: change one sentence of the problem section.
    c.wait()
        .for_element(Locator::Css("form.edit-form"))
        .await
        .unwrap();
    let areas = c
        .find_all(Locator::Css("textarea[name=s_text]"))
        .await
        .unwrap();
    let mut edited = false;
    for area in areas {
        let value = area.prop("value").await.unwrap().unwrap_or_default();
        if value.contains("常有從寬限制公開之情形") {
            let new = value.replace(
                "常有從寬限制公開之情形",
                "常有從寬限制公開而未說明理由之情形",
            );
            c.execute(
                "arguments[0].value = arguments[1];",
                vec![serde_json::to_value(&area).unwrap(), json!(new)],
            )
            .await
            .unwrap();
            edited = true;
        }
    }
    assert!(edited, "the problem section is in the form");
    c.find(Locator::Css("form.edit-form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let url = c.current_url().await.unwrap();
    assert!(
        url.path().starts_with("/proposals/1"),
        "back on the proposal: {url}"
    );
    let diff = c
        .wait()
        .for_element(Locator::Css(".diff-text ins"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(diff, "而未說明理由");
    sign_out(&c).await;

    approve(&c, &base, "ngo").await;
    approve(&c, &base, "gov2").await;

    sign_in(&c, &base, "gov").await;
    c.goto(&format!("{base}/proposals/1?lang=en"))
        .await
        .unwrap();
    c.find(Locator::Css("form[action='/proposals/1/merge'] button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let badge = c
        .wait()
        .for_element(Locator::Css(".badge-merged.big"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(badge, "Merged");
    let main = common::git(
        &setup::repo_path(dir.path()),
        &["show", &format!("main:{C04_PATH}")],
    );
    assert!(main.contains("常有從寬限制公開而未說明理由之情形"));
    c.close().await.unwrap();
}

/// Two people in two browsers co-write one section live; both end with the same text, which
/// is then saved to git with both as co-authors.
#[tokio::test]
async fn two_browsers_co_edit_a_section_live() {
    let dir = common::demo_dir();
    let accounts = Accounts::open(dir.path()).unwrap();
    let mut token = String::new();
    for (id, sector) in [("gov", Sector::Government), ("ngo", Sector::CivilSociety)] {
        let (_, t) = accounts
            .add_user(NewUser {
                id: id.into(),
                name: id.into(),
                email: Some(format!("{id}@example.org")),
                sector,
                roles: [Role::Drafter].into_iter().collect(),
                commitments: [C04.to_string()].into_iter().collect::<BTreeSet<_>>(),
                password: Some(format!("{id}-password")),
            })
            .unwrap();
        if id == "gov" {
            token = t;
        }
    }
    let base = common::start_server(dir.path()).await;
    let proposal: serde_json::Value = reqwest::Client::new()
        .post(format!("{base}/api/proposals"))
        .bearer_auth(&token)
        .json(&json!({"title": "Live"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let branch = proposal["branch"].as_str().unwrap().to_string();
    let (_d1, a) = browser().await;
    let (_d2, b) = browser().await;
    sign_in(&a, &base, "gov").await;
    sign_in(&b, &base, "ngo").await;
    let url = format!("{base}/edit?branch={branch}&commitment={C04}&doc=zh-TW&lang=en");
    let field = "textarea[data-field='section.problem.text']";
    for c in [&a, &b] {
        c.goto(&url).await.unwrap();
        wait_live(c, |s| s["connected"] == true).await;
    }
    // Both type at once, each at the end of what they see.
    let (ra, rb) = tokio::join!(
        type_at_end(&a, field, " Alpha甲"),
        type_at_end(&b, field, " Beta乙")
    );
    ra.unwrap();
    rb.unwrap();
    let sa = wait_live(&a, |s| s["pending"] == 0).await;
    let sb = wait_live(&b, |s| s["pending"] == 0 && s["seq"] == sa["seq"]).await;
    let sa = wait_live(&a, |s| s["seq"] == sb["seq"]).await;
    let ta = sa["fields"]["section.problem.text"]
        .as_str()
        .unwrap()
        .to_string();
    let tb = sb["fields"]["section.problem.text"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(ta, tb, "both browsers hold the same text");
    assert!(ta.contains(" Alpha甲") && ta.contains(" Beta乙"), "{ta}");
    // What the page shows is that text.
    let shown = a
        .find(Locator::Css(field))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(shown, ta);

    a.find(Locator::Id("live-save"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let repo = setup::repo_path(dir.path());
    let mut message = String::new();
    for _ in 0..100 {
        message = common::git(&repo, &["log", "-1", "--format=%B", &branch]);
        if message.contains("Co-authored-by") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        message.contains("Co-authored-by: gov <gov@example.org>"),
        "{message}"
    );
    assert!(
        message.contains("Co-authored-by: ngo <ngo@example.org>"),
        "{message}"
    );
    let saved = common::git(&repo, &["show", &format!("{branch}:{C04_PATH}")]);
    assert!(
        saved.contains(&ta),
        "the saved document holds the live text"
    );
    a.close().await.unwrap();
    b.close().await.unwrap();
}

async fn type_at_end(c: &Client, css: &str, text: &str) -> Result<(), fantoccini::error::CmdError> {
    let el = c.find(Locator::Css(css)).await?;
    c.execute(
        "arguments[0].focus(); arguments[0].setSelectionRange(arguments[0].value.length, arguments[0].value.length);",
        vec![serde_json::to_value(&el).unwrap()],
    )
    .await?;
    for ch in text.chars() {
        el.send_keys(&ch.to_string()).await?;
    }
    Ok(())
}

/// Polls the page's live state until `done` holds (at most 20 s).
async fn wait_live(c: &Client, done: impl Fn(&serde_json::Value) -> bool) -> serde_json::Value {
    let mut last = serde_json::Value::Null;
    for _ in 0..200 {
        last = c
            .execute(
                "return window.codraftLive ? window.codraftLive.state() : null;",
                vec![],
            )
            .await
            .unwrap();
        if !last.is_null() && done(&last) {
            return last;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the live editor did not get there: {last}");
}
