//! Public input over the JSON API on a real port with the demo plan and accounts: a citizen's
//! input is recorded without their contact, routed to the commitment's lead agency, answered
//! by someone of that agency with the proposal that took it in; new-commitment input is routed
//! by the secretariat; moderation hides an input with a public reason; the per-address rate
//! limit; bad input of every kind refused with nothing written.

mod common;

use reqwest::StatusCode;
use serde_json::{json, Value};

const C04: &str = "c04-information-access";

use common::api::DemoApi as Env;

fn change_input() -> Value {
    json!({
        "kind": "change",
        "commitment": C04,
        "section": "commitment",
        "title": "請公開各機關不予提供資訊之理由統計",
        "text": "建議第2點增加：各機關每季公布不予提供之理由分類統計。",
        "name": "王小明",
        "organisation": "資訊公開讀書會",
        "contact": "wang@example.org, 0912-345-678",
    })
}

#[tokio::test]
async fn a_citizens_input_is_followed_to_its_reasoned_response() {
    let env = Env::new().await;

    // Sent without an account: numbered, routed to c04's lead agency.
    let (st, v) = env.post(None, "/api/inputs", change_input()).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    assert_eq!(v["number"], 4, "the demo has 3 inputs");
    assert_eq!(v["assignment"]["agencies"], json!(["法務部"]));
    assert!(v.get("contact").is_none(), "{v}");
    // The contact is nowhere in the repository, only beside it.
    let file = env.git(&["show", "records:inputs/4.toml"]);
    assert!(
        file.contains("王小明") && !file.contains("wang@example.org"),
        "{file}"
    );
    let log = env.git(&["log", "-1", "--format=%an <%ae>%n%s", "records"]);
    assert!(
        log.starts_with("王小明 <public-input@codraft.invalid>"),
        "{log}"
    );
    assert!(!env
        .git(&["log", "--all", "-p", "--format=%an %ae %B"])
        .contains("wang@example.org"));
    let private = env.dir.path().join("private/inputs/4.txt");
    assert_eq!(
        std::fs::read_to_string(private).unwrap(),
        "wang@example.org, 0912-345-678"
    );
    let got = env.get("/api/inputs/4").await;
    assert_eq!(got["title"], "請公開各機關不予提供資訊之理由統計");
    let waiting = env.get("/api/inputs/waiting").await;
    assert_eq!(waiting[0]["agency"], "法務部", "{waiting}");
    assert_eq!(waiting[0]["inputs"][0]["number"], 4);

    // Someone of another agency may not answer; nothing is written.
    let before = env.refs();
    let answer = json!({"outcome": "not_adopted", "reasons": "無"});
    let (st, v) = env
        .post(Some("yating-huang"), "/api/inputs/4/answer", answer)
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{v}");
    common::assert_error(&v, "not_assigned_agency");
    // Adopted needs what took it in, and that must exist.
    let (st, v) = env
        .post(
            Some("shufen-kuo"),
            "/api/inputs/4/answer",
            json!({"outcome": "adopted", "reasons": "採納"}),
        )
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{v}");
    common::assert_error(&v, "link_required");
    for link in [
        json!({"proposal": 99}),
        json!({"round": "msf-9"}),
        json!({"commit": "0123456789012345678901234567890123456789"}),
    ] {
        let mut a = json!({"outcome": "adopted", "reasons": "採納"});
        a.as_object_mut()
            .unwrap()
            .extend(link.as_object().unwrap().clone());
        let (st, v) = env
            .post(Some("shufen-kuo"), "/api/inputs/4/answer", a)
            .await;
        assert_eq!(st, StatusCode::NOT_FOUND, "{link}: {v}");
    }
    assert_eq!(env.refs(), before);

    // The agency takes it into a proposal and answers with it.
    let (st, p) = env
        .post(
            Some("shufen-kuo"),
            "/api/proposals",
            json!({"title": "採納民眾意見 #1：公布不予提供理由統計"}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{p}");
    let n = p["number"].as_u64().unwrap();
    let (st, v) = env
        .post(
            Some("shufen-kuo"),
            "/api/inputs/4/answer",
            json!({"outcome": "adopted", "reasons": "已納入指標二之統計項目。", "proposal": n}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["response"]["outcome"], "adopted");
    assert_eq!(v["response"]["agency"], "法務部");
    assert_eq!(
        v["response"]["adopted_by"],
        json!({"kind": "proposal", "number": n})
    );
    let log = env.git(&["log", "-1", "--format=%an%n%s", "records"]);
    assert!(log.contains("郭淑芬") && log.contains("Input #4 answered by 法務部: adopted"));
    let (st, v) = env
        .post(
            Some("shufen-kuo"),
            "/api/inputs/4/answer",
            json!({"outcome": "not_adopted", "reasons": "改變主意"}),
        )
        .await;
    assert_eq!(st, StatusCode::CONFLICT, "{v}");
    common::assert_error(&v, "already_answered");
    let waiting = env.get("/api/inputs/waiting").await;
    assert!(
        waiting
            .as_array()
            .unwrap()
            .iter()
            .all(|g| g["agency"] != "法務部"),
        "{waiting}"
    );

    // A new commitment: the secretariat routes it, then the agency answers.
    let (st, v) = env
        .post(
            None,
            "/api/inputs",
            json!({
                "kind": "new_commitment",
                "title": "建立政府採購開放資料標準",
                "fields": {"problem": "採購資料格式不一。", "commitment": "訂定標準並開放。", "agencies": "法務部、工程會"},
                "name": "陳大文",
            }),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    assert!(v.get("assignment").is_none(), "{v}");
    let waiting = env.get("/api/inputs/waiting").await;
    assert_eq!(waiting[0]["agency"], "", "unrouted first: {waiting}");
    let (st, v) = env
        .post(
            Some("shufen-kuo"),
            "/api/inputs/5/answer",
            json!({"outcome": "not_adopted", "reasons": "x"}),
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{v}");
    let (st, v) = env
        .post(
            Some("shufen-kuo"),
            "/api/inputs/5/assign",
            json!({"agency": "法務部"}),
        )
        .await;
    assert_eq!(
        st,
        StatusCode::FORBIDDEN,
        "only the secretariat routes: {v}"
    );
    let (st, v) = env
        .post(
            Some("secretariat"),
            "/api/inputs/5/assign",
            json!({"agency": "法務部"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let (st, v) = env
        .post(
            Some("shufen-kuo"),
            "/api/inputs/5/answer",
            json!({"outcome": "not_adopted", "reasons": "非本部主管業務，已轉請工程會研議。"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");

    // Moderation: the secretariat hides with a public reason; the text is withheld.
    let (st, v) = env.post(None, "/api/inputs", change_input()).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let (st, v) = env
        .post(
            Some("shufen-kuo"),
            "/api/inputs/6/hide",
            json!({"reason": "x"}),
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{v}");
    let (st, v) = env
        .post(
            Some("secretariat"),
            "/api/inputs/6/hide",
            json!({"reason": "重複送出（同 #1）"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let got = env.get("/api/inputs/6").await;
    assert_eq!(got["hidden"]["reason"], "重複送出（同 #1）");
    assert_eq!(got["title"], "");
    assert_eq!(got["text"], "");
    let list = env.get("/api/inputs").await;
    assert_eq!(list.as_array().unwrap().len(), 6);
    assert_eq!(list[0]["text"], "", "hidden in the list too");
    let log = env.git(&["log", "-1", "--format=%an%n%s", "records"]);
    assert!(log.contains("Input #6 hidden: 重複送出（同 #1）"), "{log}");
    let (st, v) = env
        .post(
            Some("shufen-kuo"),
            "/api/inputs/6/answer",
            json!({"outcome": "not_adopted", "reasons": "x"}),
        )
        .await;
    assert_eq!(st, StatusCode::CONFLICT, "{v}");
    assert!(codraft::workflow::plan::check_path(env.dir.path())
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn bad_input_is_refused_with_nothing_written_and_the_rate_limit_holds() {
    let env = Env::new().await;
    let before = env.refs();
    let with = |k: &str, v: Value| {
        let mut i = change_input();
        i[k] = v;
        i
    };
    let cases: Vec<(Value, StatusCode, &str)> = vec![
        (
            with("kind", json!("wish")),
            StatusCode::BAD_REQUEST,
            "bad_kind",
        ),
        (
            with("name", json!("  ")),
            StatusCode::BAD_REQUEST,
            "missing_field",
        ),
        (
            with("name", json!("<b>x</b>")),
            StatusCode::BAD_REQUEST,
            "bad_name",
        ),
        (
            with("title", json!("長".repeat(201))),
            StatusCode::BAD_REQUEST,
            "too_long",
        ),
        (
            with("text", json!("a\u{0}b")),
            StatusCode::BAD_REQUEST,
            "bad_text",
        ),
        (
            with("text", json!("")),
            StatusCode::BAD_REQUEST,
            "missing_field",
        ),
        (
            with("commitment", json!("c99-nope")),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            with("section", json!("nope")),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            with("kind", json!("deletion")),
            StatusCode::BAD_REQUEST,
            "bad_input_kind",
        ),
        (
            with("fields", json!({"budget": "1"})),
            StatusCode::BAD_REQUEST,
            "unknown_field",
        ),
        (
            with("contact", json!("x".repeat(201))),
            StatusCode::BAD_REQUEST,
            "too_long",
        ),
        (with("extra", json!(1)), StatusCode::BAD_REQUEST, "bad_json"),
        (
            with("text", json!("字".repeat(100_000))),
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
        ),
        (
            json!({"kind": "new_commitment", "title": "t", "name": "n"}),
            StatusCode::BAD_REQUEST,
            "missing_field",
        ),
        (
            json!({"kind": "new_commitment", "title": "t", "name": "n", "commitment": C04, "text": "x"}),
            StatusCode::BAD_REQUEST,
            "bad_input_kind",
        ),
    ];
    for (body, status, code) in cases {
        let (st, v) = env.post(None, "/api/inputs", body.clone()).await;
        assert_eq!(st, status, "{body}: {v}");
        common::assert_error(&v, code);
    }
    // Malformed JSON, a bad token, unknown inputs, bad answers.
    let res = env
        .client
        .post(format!("{}/api/inputs", env.base))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let res = env
        .client
        .post(format!("{}/api/inputs", env.base))
        .bearer_auth("cdt_not_a_token")
        .json(&change_input())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let (st, _) = common::get_json(&format!("{}/api/inputs/42", env.base)).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, v) = env
        .post(
            Some("shufen-kuo"),
            "/api/inputs/42/answer",
            json!({"outcome": "adopted", "reasons": "x", "proposal": 1}),
        )
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND, "{v}");
    let (st, v) = env
        .post(
            Some("shufen-kuo"),
            "/api/inputs/4/answer",
            json!({"outcome": "maybe", "reasons": "x"}),
        )
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{v}");
    common::assert_error(&v, "bad_outcome");
    let (st, _) = env
        .post(None, "/api/inputs/4/hide", json!({"reason": "x"}))
        .await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    assert_eq!(env.refs(), before, "nothing was written");
    assert!(!env.dir.path().join("private").exists());

    // Five inputs from one address are taken, the sixth waits (refused inputs do not count).
    for i in 1..=5 {
        let (st, v) = env.post(None, "/api/inputs", change_input()).await;
        assert_eq!(st, StatusCode::CREATED, "input {i}: {v}");
    }
    let (st, v) = env.post(None, "/api/inputs", change_input()).await;
    assert_eq!(st, StatusCode::TOO_MANY_REQUESTS, "{v}");
    common::assert_error(&v, "rate_limited");
    assert_eq!(env.get("/api/inputs").await.as_array().unwrap().len(), 8);
}
