//! Reorganisation and progressive fields, on a real port with the demo plan and accounts: the
//! commitment page lists what is still to fill in (c04's budget "金額俟年度預算核定後補充");
//! one proposal, approved by both sectors of the working group, transfers the lead agency and
//! fills in the budget; the history keeps who led when, new public input goes to the new lead
//! agency, and the budget is no longer listed.

mod common;

use reqwest::StatusCode;
use serde_json::json;

use codraft::auth::Accounts;
use codraft::workflow::setup;
use common::web::{main_text, Web};

const C04: &str = "c04-information-access";

#[tokio::test]
async fn a_lead_agency_is_transferred_and_the_budget_filled_in_through_a_proposal() {
    let dir = common::web::demo_with_accounts();
    let base = common::start_server(dir.path()).await;
    let web = Web::new(&base);
    let accounts = Accounts::open(dir.path()).unwrap();

    // Still to fill in: the budget is pending.
    let p = web.get(None, &format!("/commitments/{C04}?lang=en")).await;
    let aside = p.body.split("class=\"to-fill").nth(1).unwrap();
    let aside = aside.split("</aside>").next().unwrap();
    assert!(aside.contains("落實承諾事項之預算"), "{aside}");
    assert!(aside.contains("金額俟年度預算核定後補充"));
    let (_, j) = common::get_json(&format!("{base}/api/commitments/{C04}")).await;
    let budget = j["to_fill"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["label"] == "落實承諾事項之預算")
        .expect("the budget is to fill in");
    assert_eq!(budget["state"], "pending");

    // One proposal: the lead agency moves to 國家發展委員會 and the budget is filled in.
    let repo = setup::repo_path(dir.path());
    let text = common::git(
        &repo,
        &["show", &format!("main:commitments/{C04}/zh-TW.md")],
    );
    let text = text
        .replace(
            "lead_agencies = [\"法務部\"]",
            "lead_agencies = [\"國家發展委員會\"]",
        )
        .replace("金額俟年度預算核定後補充。", "2021年度新臺幣120萬元。");
    common::api::propose_approve_merge(
        &base,
        &accounts,
        "行政院組織調整：承諾4改由國家發展委員會主辦，並補充預算",
        C04,
        &text,
    )
    .await;

    // The history keeps who led when.
    let (_, h) = common::get_json(&format!("{base}/api/commitments/{C04}/history")).await;
    let leads = h["lead_agencies"].as_array().unwrap();
    assert_eq!(leads.len(), 2, "{h}");
    assert_eq!(leads[0]["agencies"], json!(["法務部"]));
    assert_eq!(leads[1]["agencies"], json!(["國家發展委員會"]));
    assert!(leads[1]["summary"]
        .as_str()
        .unwrap()
        .contains("行政院組織調整"));
    let page = web
        .get(None, &format!("/commitments/{C04}/history?lang=en"))
        .await;
    assert!(
        page.body.contains("Lead agencies over time"),
        "{}",
        main_text(&page.body)
    );
    let table = page.body.split("class=\"lead-history\"").nth(1).unwrap();
    let first_row = table
        .split("<tbody>")
        .nth(1)
        .unwrap()
        .split("</tr>")
        .next()
        .unwrap();
    assert!(first_row.contains("國家發展委員會") && first_row.contains("current"));

    // New input goes to the new lead agency; the budget is no longer to fill in.
    let (st, v) = common::api::post_as(
        &base,
        &accounts,
        Some("pohan-chen"),
        "/api/inputs",
        json!({"kind": "change", "commitment": C04, "title": "t", "text": "x", "name": "陳柏翰"}),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    assert_eq!(v["assignment"]["agencies"], json!(["國家發展委員會"]));
    let (_, j) = common::get_json(&format!("{base}/api/commitments/{C04}")).await;
    assert!(!j["to_fill"]
        .as_array()
        .unwrap()
        .iter()
        .any(|g| g["label"] == "落實承諾事項之預算"));
}
