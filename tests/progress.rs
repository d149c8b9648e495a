//! Implementation tracking on a real port with the demo plan and accounts: the lead agency of
//! c04 (法務部) reports milestones' progress through the API and through the page form; the
//! commitment's progress page and the plan's show them; a later report for the same milestone
//! and period replaces the earlier one while `git log` keeps both; other agencies, civil
//! society and the signed-out are refused; every bad value is refused with nothing written.

mod common;

use reqwest::StatusCode;
use serde_json::{json, Value};

use common::web::{main_text, Web};

const C04: &str = "c04-information-access";

use common::api::DemoApi as Env;

fn report(milestone: &str, period: &str, status: &str) -> Value {
    json!({
        "milestone": milestone,
        "period": period,
        "status": status,
        "text": "已完成公務員培訓課程規劃，並於 2021 年 6 月辦理第一梯次。",
        "evidence": ["https://www.moj.gov.tw/training/2021", "http://example.org/report.pdf"],
    })
}

#[tokio::test]
async fn the_lead_agency_reports_progress_and_everyone_sees_it() {
    let env = Env::new().await;
    let web = Web::new(&env.base);
    let path = format!("/api/commitments/{C04}/progress");

    // The demo's reports of 2021-H1 only.
    let before = env.get(&path).await;
    assert_eq!(before["periods"].as_array().unwrap().len(), 1);
    assert_eq!(before["periods"][0]["period"], "2021-H1");
    let plan = env.get("/api/progress").await;
    assert_eq!(plan["commitments"].as_array().unwrap().len(), 19);
    assert_eq!(plan["periods"][0], "2021-H1");
    assert_eq!(
        plan["periods"].as_array().unwrap().last().unwrap(),
        "2024-H1"
    );

    // m1 through the API, by 法務部.
    let (st, v) = env
        .post(
            Some("shufen-kuo"),
            &path,
            report("m1", "2022-H1", "substantial"),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    assert_eq!(v["period"], "2022-H1");
    assert_eq!(v["milestone"], "m1");
    assert_eq!(v["status"], "substantial");
    assert_eq!(v["agency"], "法務部");
    assert_eq!(v["by"], "shufen-kuo");

    let log = env.git(&["log", "-1", "--format=%an|%s", "records"]);
    assert_eq!(
        log.trim(),
        "郭淑芬|Progress c04-information-access m1 2022-H1: substantial"
    );

    // m2 through the page form.
    let person = web.sign_in("shufen-kuo").await;
    let page = web
        .get(
            Some(&person),
            &format!("/commitments/{C04}/progress?lang=en"),
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("id=\"report\""),
        "the lead agency gets the form"
    );
    assert!(page.body.contains("<option value=\"2021-H1\""));
    assert!(page.body.contains("<option value=\"2024-H1\""));
    assert!(!page.body.contains("<option value=\"2024-H2\""));
    let answer = web
        .post(
            &person,
            &format!("/commitments/{C04}/progress?lang=en"),
            &[
                ("milestone", "m2"),
                ("period", "2022-H1"),
                ("status", "limited"),
                (
                    "text",
                    "已蒐集民眾申請政府資訊之問題 <script>alert(1)</script>",
                ),
                (
                    "evidence",
                    "https://example.org/survey\r\n\r\nhttps://example.org/minutes\r\n",
                ),
            ],
        )
        .await;
    assert_eq!(
        answer.status,
        StatusCode::SEE_OTHER,
        "{}",
        main_text(&answer.body)
    );
    assert!(answer
        .location
        .starts_with(&format!("/commitments/{C04}/progress")));

    // The commitment's page shows both, for everyone, escaped, links with rel.
    let page = web
        .get(None, &format!("/commitments/{C04}/progress?lang=en"))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let body = main_text(&page.body);
    assert!(body.contains("badge-progress-substantial"));
    assert!(body.contains("badge-progress-limited"));
    assert!(body
        .contains("<a href=\"https://www.moj.gov.tw/training/2021\" rel=\"noopener noreferrer\">"));
    assert!(body.contains("<a href=\"https://example.org/minutes\" rel=\"noopener noreferrer\">"));
    assert!(body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!body.contains("<script>"));
    assert!(
        !body.contains("id=\"report\""),
        "no form for the signed-out"
    );
    let zh = web
        .get(None, &format!("/commitments/{C04}/progress?lang=zh-TW"))
        .await;
    assert!(zh.body.contains("實質進展") && zh.body.contains("有限進展"));

    let v = env.get(&path).await;
    assert_eq!(v["periods"][1]["period"], "2022-H1");
    let reports = v["periods"][1]["reports"].as_array().unwrap();
    assert_eq!(reports.len(), 2);
    assert_eq!(reports[1]["milestone"], "m2");
    assert_eq!(
        reports[1]["evidence"],
        json!(["https://example.org/survey", "https://example.org/minutes"])
    );
    assert_eq!(v["latest"]["m2"]["status"], "limited");

    // The plan's page and JSON count them.
    let plan = env.get("/api/progress").await;
    let c04 = plan["commitments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == C04)
        .unwrap()
        .clone();
    assert_eq!(c04["milestones"], 4);
    assert_eq!(c04["counts"]["substantial"], 1);
    assert_eq!(c04["counts"]["limited"], 1);
    assert_eq!(c04["counts"]["complete"], 0);
    assert_eq!(c04["not_reported"], 2);
    assert_eq!(c04["last_period"], "2022-H1");
    assert_eq!(plan["counts"]["substantial"], 1);
    let page = web.get(None, "/progress?lang=en").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page
        .body
        .contains(&format!("/commitments/{C04}/progress?lang=en")));
    assert!(page.body.contains("落實政府資訊公開法資訊取用權"));
    assert!(page.body.contains("href=\"/progress\""), "in the nav");

    // The commitment page links to its progress.
    let page = web.get(None, &format!("/commitments/{C04}?lang=en")).await;
    assert!(page.body.contains(&format!(
        "<a href=\"/commitments/{C04}/progress\">Progress</a>"
    )));

    // A later report for m1 2022-H1 replaces the earlier; a later period becomes the latest.
    let (st, v) = env
        .post(
            Some("shufen-kuo"),
            &path,
            report("m1", "2022-H1", "complete"),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let (st, v) = env
        .post(
            Some("secretariat"),
            &path,
            report("m2", "2022-H2", "substantial"),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let v = env.get(&path).await;
    let first = v["periods"][1]["reports"].as_array().unwrap();
    assert_eq!(first.len(), 2, "replaced, not added");
    assert_eq!(first[0]["status"], "complete");
    assert_eq!(v["latest"]["m1"]["status"], "complete");
    assert_eq!(v["latest"]["m2"]["status"], "substantial");
    assert_eq!(v["latest"]["m2"]["period"], "2022-H2");
    let log = env.git(&[
        "log",
        "--format=%s",
        "records",
        "--",
        &format!("progress/{C04}/2022-H1.toml"),
    ]);
    let subjects: Vec<&str> = log.lines().collect();
    assert_eq!(
        subjects,
        [
            "Progress c04-information-access m1 2022-H1: complete",
            "Progress c04-information-access m2 2022-H1: limited",
            "Progress c04-information-access m1 2022-H1: substantial",
        ]
    );
    let earlier = env.git(&["show", &format!("records~2:progress/{C04}/2022-H1.toml")]);
    assert!(earlier.contains("status = \"substantial\""), "{earlier}");
}

#[tokio::test]
async fn refusals_write_nothing() {
    let env = Env::new().await;
    let web = Web::new(&env.base);
    let path = format!("/api/commitments/{C04}/progress");
    let before = env.refs();

    // Who may not report.
    let (st, v) = env
        .post(
            Some("yating-huang"),
            &path,
            report("m1", "2022-H1", "limited"),
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    common::assert_error(&v, "not_lead_agency");
    let (st, v) = env
        .post(
            Some("pohan-chen"),
            &path,
            report("m1", "2022-H1", "limited"),
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    common::assert_error(&v, "not_lead_agency");
    let (st, v) = env
        .post(None, &path, report("m1", "2022-H1", "limited"))
        .await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    common::assert_error(&v, "unauthorized");

    // Bad values.
    let me = Some("shufen-kuo");
    for (body, status, code) in [
        (report("m1", "2019-H1", "limited"), 400, "bad_period"),
        (report("m1", "2024-H2", "limited"), 400, "bad_period"),
        (report("m1", "2021-Q1", "limited"), 400, "bad_period"),
        (report("m1", "2022-H1", "done"), 400, "bad_status"),
        (
            json!({"milestone": "m1", "period": "2022-H1", "status": "limited", "text": "x",
                   "evidence": ["javascript:alert(1)"]}),
            400,
            "bad_evidence",
        ),
        (
            json!({"milestone": "m1", "period": "2022-H1", "status": "limited", "text": "x",
                   "evidence": (0..11).map(|i| format!("https://example.org/{i}")).collect::<Vec<_>>()}),
            400,
            "bad_evidence",
        ),
        (
            json!({"milestone": "m1", "period": "2022-H1", "status": "limited", "text": "x",
                   "evidence": [format!("https://example.org/{}", "a".repeat(500))]}),
            400,
            "bad_evidence",
        ),
        (
            json!({"milestone": "m1", "period": "2022-H1", "status": "limited", "text": "  "}),
            400,
            "missing_field",
        ),
        (
            json!({"milestone": "m1", "period": "2022-H1", "status": "limited",
                   "text": "長".repeat(2001)}),
            400,
            "too_long",
        ),
        (
            json!({"milestone": "m1", "period": "2022-H1", "status": "limited", "text": "x",
                   "extra": 1}),
            400,
            "bad_json",
        ),
        (report("m9", "2022-H1", "limited"), 404, "not_found"),
    ] {
        let (st, v) = env.post(me, &path, body.clone()).await;
        assert_eq!(st.as_u16(), status, "{body}: {v}");
        common::assert_error(&v, code);
    }
    let (st, v) = env
        .post(
            me,
            "/api/commitments/c99-nothing/progress",
            report("m1", "2022-H1", "limited"),
        )
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    common::assert_error(&v, "not_found");
    let (st, v) = common::get_json(&format!(
        "{}/api/commitments/c99-nothing/progress",
        env.base
    ))
    .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    common::assert_error(&v, "not_found");

    // Through the page: someone of another agency gets no form and a 403 when posting anyway;
    // the lead agency's refused form keeps what was typed.
    let other = web.sign_in("yating-huang").await;
    let page = web
        .get(
            Some(&other),
            &format!("/commitments/{C04}/progress?lang=en"),
        )
        .await;
    assert!(!page.body.contains("id=\"report\""));
    let fields = [
        ("milestone", "m1"),
        ("period", "2022-H1"),
        ("status", "limited"),
        ("text", "課程規劃中"),
        ("evidence", "javascript:alert(1)"),
    ];
    let valid = [
        ("milestone", "m1"),
        ("period", "2022-H1"),
        ("status", "limited"),
        ("text", "課程規劃中"),
        ("evidence", "https://example.org/a"),
    ];
    let answer = web
        .post(
            &other,
            &format!("/commitments/{C04}/progress?lang=en"),
            &valid,
        )
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert!(main_text(&answer.body).contains("lead agency"));
    let lead = web.sign_in("shufen-kuo").await;
    let answer = web
        .post(
            &lead,
            &format!("/commitments/{C04}/progress?lang=en"),
            &fields,
        )
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    let body = main_text(&answer.body);
    assert!(body.contains("is not an http or https link"), "{body}");
    assert!(body.contains(">課程規劃中</textarea>"));
    assert!(body.contains(">javascript:alert(1)</textarea>"));
    assert!(body.contains("value=\"limited\" required checked"));
    assert!(!body.contains("href=\"javascript:"));
    // A form without its CSRF token.
    let res = web
        .client
        .post(format!("{}/commitments/{C04}/progress", env.base))
        .header("cookie", &lead.cookie)
        .form(&[
            ("milestone", "m1"),
            ("period", "2022-H1"),
            ("status", "limited"),
            ("text", "x"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // Unknown commitment's page.
    let page = web.get(None, "/commitments/c99-nothing/progress").await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);

    assert_eq!(env.refs(), before, "no ref moved");
}
