//! Public input through the HTML pages, as a browser without JavaScript would, on the demo plan
//! with the demo's accounts: a citizen without an account sends input from a commitment's
//! section, follows it on its page, the lead agency answers it with the proposal that took it
//! in, and the citizen sees the reasoned response. Script in any field stays inert; the contact
//! is shown to the secretariat only; refused forms keep what was typed and write nothing.

mod common;

use reqwest::StatusCode;

use codraft::workflow::setup;
use common::web::{main_text, Web};

const C04: &str = "c04-information-access";

fn refs(dir: &std::path::Path) -> String {
    common::git(
        &setup::repo_path(dir),
        &["for-each-ref", "--format=%(refname) %(objectname)"],
    )
}

#[tokio::test]
async fn a_citizens_input_is_followed_from_the_form_to_the_response() {
    let dir = common::web::demo_with_accounts();
    let base = common::start_server(dir.path()).await;
    let web = Web::new(&base);

    // From the commitment's section to the form, preset.
    let page = web.get(None, &format!("/commitments/{C04}?lang=en")).await;
    let link = format!("/inputs/new?commitment={C04}&amp;section=commitment");
    assert!(page.body.contains(&link), "each section links to the form");
    let form = web
        .get(
            None,
            &format!("/inputs/new?commitment={C04}&section=commitment&lang=en"),
        )
        .await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form
        .body
        .contains(&format!("<option value=\"{C04}\" selected")));
    assert!(form.body.contains("<option value=\"commitment\" selected"));
    assert!(form.body.contains("value=\"change\" checked"));
    assert!(!form.body.contains("name=\"csrf\""), "no session, no token");

    // Sent without an account; a script in the title stays text.
    let fields = [
        ("kind", "change"),
        ("commitment", C04),
        ("section", "commitment"),
        ("title", "公開不予提供理由之統計<script>alert(1)</script>"),
        (
            "text",
            "建議第2點增加：**每季**公布。<img src=x onerror=alert(1)>",
        ),
        ("name", "王小明"),
        ("organisation", "資訊公開讀書會"),
        ("contact", "wang@example.org"),
    ];
    let res = web
        .client
        .post(format!("{base}/inputs?lang=en"))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let location = res.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with("/inputs/4?"), "{location}");
    let p = web.get(None, &location).await;
    assert!(p.body.contains("Your input was received as #4."));
    assert!(p
        .body
        .contains("Routed to <strong lang=\"zh-TW\">法務部</strong>"));
    assert!(p.body.contains("waiting for 0 days"));
    assert!(!p.body.contains("<script>alert"), "{}", main_text(&p.body));
    assert!(
        p.body
            .contains("&lt;script&gt;alert(1)&lt;&#x2F;script&gt;")
            || p.body.contains("&lt;script&gt;alert(1)&lt;/script&gt;")
    );
    assert!(!p.body.contains("onerror"), "{}", main_text(&p.body));
    assert!(p.body.contains("<strong>每季</strong>"), "Markdown renders");
    assert!(
        !p.body.contains("wang@example.org"),
        "the contact is private"
    );
    let list = web.get(None, "/inputs?lang=en").await;
    assert!(list.body.contains("法務部"));
    assert!(list.body.contains("href=\"/inputs/4\""));

    // The secretariat sees the contact; a government member of another agency sees no
    // answer form and is refused; the lead agency answers.
    let sec = web.sign_in("secretariat").await;
    let p = web.get(Some(&sec), "/inputs/4?lang=en").await;
    assert!(p.body.contains("wang@example.org"));
    assert!(p.body.contains("id=\"hide\""));
    let other = web.sign_in("yating-huang").await;
    let p = web.get(Some(&other), "/inputs/4?lang=en").await;
    assert!(!p.body.contains("id=\"answer\""));
    let before = refs(dir.path());
    let a = web
        .post(
            &other,
            "/inputs/4/answer?lang=en",
            &[("outcome", "not_adopted"), ("reasons", "x")],
        )
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    let moj = web.sign_in("shufen-kuo").await;
    let p = web.get(Some(&moj), "/inputs/4?lang=en").await;
    assert!(p.body.contains("id=\"answer\""));
    // Adopted without what took it in: refused, the reasons kept.
    let a = web
        .post(
            &moj,
            "/inputs/4/answer?lang=en",
            &[
                ("outcome", "adopted"),
                ("reasons", "已納入指標二。"),
                ("proposal", "x"),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert!(a.body.contains("The proposal number must be a number."));
    assert!(a.body.contains(">已納入指標二。</textarea>"));
    let a = web
        .post(
            &moj,
            "/inputs/4/answer?lang=en",
            &[("outcome", "adopted"), ("reasons", "已納入指標二。")],
        )
        .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert!(
        a.body.contains("adopted input names the proposal"),
        "{}",
        main_text(&a.body)
    );
    assert_eq!(refs(dir.path()), before, "refusals write nothing");

    // The agency opens a proposal (the form lands in the edit form) and answers with it.
    let res = web
        .post(
            &moj,
            "/proposals?lang=en",
            &[("title", "採納民眾意見 #1"), ("commitment", C04)],
        )
        .await;
    assert_eq!(
        res.status,
        StatusCode::SEE_OTHER,
        "{}",
        main_text(&res.body)
    );
    let a = web
        .post(
            &moj,
            "/inputs/4/answer?lang=en",
            &[
                ("outcome", "adopted"),
                ("reasons", "已納入指標二之統計項目。"),
                ("proposal", "#1"),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", main_text(&a.body));
    let p = web.get(None, "/inputs/4?lang=en").await;
    assert!(p.body.contains("badge-outcome-adopted\">Adopted</span>"));
    assert!(p.body.contains("已納入指標二之統計項目。"));
    assert!(p
        .body
        .contains("Taken in by: <a href=\"/proposals/1\">Proposal #1</a>"));
    let list = web.get(None, "/inputs?lang=en").await;
    let waiting = list.body.split("id=\"h-waiting\"").nth(1).unwrap();
    let waiting = waiting.split("</section>").next().unwrap();
    assert!(!waiting.contains("法務部"), "{waiting}");

    // A signed-in sender's form must carry the session's token.
    let before = refs(dir.path());
    let res = web
        .client
        .post(format!("{base}/inputs?lang=en"))
        .header("cookie", &moj.cookie)
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // A refused form keeps what was typed.
    let a = web
        .post(
            &moj,
            "/inputs?lang=en",
            &[
                ("kind", "change"),
                ("commitment", "c99-nope"),
                ("title", "保留我"),
                ("text", "x"),
                ("name", "郭淑芬"),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND, "{}", main_text(&a.body));
    assert!(a.body.contains("value=\"保留我\""));
    assert_eq!(refs(dir.path()), before);

    // The secretariat hides an input with a public reason.
    let res = web
        .client
        .post(format!("{base}/inputs?lang=en"))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let a = web
        .post(
            &sec,
            "/inputs/5/hide?lang=en",
            &[("reason", "重複（同 #1）")],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", main_text(&a.body));
    let p = web.get(None, "/inputs/5?lang=en").await;
    assert!(p.body.contains("The secretariat hid this input."));
    assert!(p.body.contains("重複（同 #1）"));
    assert!(!p.body.contains("每季"), "the text is withheld");
    let unknown = web.get(None, "/inputs/99").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}

/// The demo's own loop: a citizen's input of 2020-12-14 on commitment 4, answered by its lead
/// agency on 2021-01-05 as adopted, links to the diff of the commit that took it in.
#[tokio::test]
async fn the_demo_input_leads_to_the_change_it_caused() {
    let dir = common::demo_dir();
    let base = common::start_server(dir.path()).await;
    let web = Web::new(&base);
    let list = web.get(None, "/inputs?lang=en").await;
    assert!(
        list.body.contains("All input (3)"),
        "{}",
        main_text(&list.body)
    );
    let waiting = list.body.split("id=\"h-waiting\"").nth(1).unwrap();
    assert!(waiting.contains("科技部"), "#3 waits for its lead agency");
    let p = web.get(None, "/inputs/1?lang=en").await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.body.contains("林怡君"));
    assert!(p.body.contains("badge-outcome-adopted\">Adopted</span>"));
    let commit = common::git(
        &setup::repo_path(dir.path()),
        &[
            "log",
            "--format=%H %P",
            "-1",
            "--grep=依推動小組第2次會議結論修正指標二文字",
            "main",
        ],
    );
    let (commit, parent) = commit.trim().split_once(' ').unwrap();
    let link = format!("/compare?from={parent}&amp;to={commit}");
    assert!(p.body.contains(&link), "{}", main_text(&p.body));
    let diff = web
        .get(None, &format!("/compare?from={parent}&to={commit}&lang=en"))
        .await;
    assert_eq!(diff.status, StatusCode::OK);
    assert!(diff.body.contains("<ins>") && diff.body.contains("承辦人員"));
    let p = web.get(None, "/inputs/2?lang=en").await;
    assert!(p.body.contains("Not adopted"));
    assert!(p.body.contains("What public problem does it address?"));
}
