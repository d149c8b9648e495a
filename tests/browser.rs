//! The proposal flow in a real browser (Debian's Chromium through chromedriver): sign in, open a
//! proposal from the form, edit a section in the edit form, approve from both sectors, merge;
//! a forum member votes in a round (refused without a reason, then counted).
//! Then live co-editing in two browsers, also with one browser's network cable pulled and
//! plugged back (a TCP proxy in the test, `Cable`).
//! `.ci/run` installs `chromium` and `chromium-driver`; the test fails when they are missing.

mod common;

use std::collections::BTreeSet;
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use codraft::auth::demo::DEMO_PASSWORD;
use codraft::auth::{Accounts, NewUser, Role, Sector};
use codraft::doc::Forum;
use codraft::workflow::live::Limits;
use codraft::workflow::setup;

const C04: &str = "c04-information-access";
const C04_PATH: &str = "commitments/c04-information-access/zh-TW.md";

/// A chromedriver in its own process group, with its own temporary folder (`TMPDIR`: the
/// browsers' profiles and scoped folders go there). Dropped, it kills the whole group — the
/// Chromiums too, even when a test panicked before closing them — and removes the folder.
struct Driver {
    child: Child,
    _tmp: tempfile::TempDir,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Browser tests run one at a time: each starts two Chromiums, and chromedrivers started at
/// once could be handed the same free port (a test then talks to another test's browser, which
/// goes away under it).
async fn one_at_a_time() -> tokio::sync::MutexGuard<'static, ()> {
    static ONE: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    ONE.lock().await
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
    let tmp = tempfile::tempdir().unwrap();
    let driver = Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .env("TMPDIR", tmp.path())
        .process_group(0)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("chromedriver runs (apt-get install chromium chromium-driver)");
    let driver = Driver {
        child: driver,
        _tmp: tmp,
    };
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
    sign_in_with(c, base, who, &format!("{who}-password")).await;
}

async fn sign_in_with(c: &Client, base: &str, who: &str, password: &str) {
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
        .send_keys(password)
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
        .attr("title")
        .await
        .unwrap();
    assert_eq!(me.as_deref(), Some(who), "signed in as {who}");
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
    let _one = one_at_a_time().await;
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
                agency: None,
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

/// A forum member votes in a round (scheduled and opened through the API): "disagree" without
/// a reason comes back with the error and the choice kept; with a reason it is on the roll.
#[tokio::test]
async fn a_member_votes_in_a_round_in_chromium() {
    let _one = one_at_a_time().await;
    let dir = common::demo_dir();
    let members = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("demo/forum/members.toml"),
    )
    .unwrap();
    codraft::auth::demo::seed(dir.path(), &Forum::parse(&members).unwrap())
        .unwrap()
        .unwrap();
    let token = Accounts::open(dir.path())
        .unwrap()
        .new_token("secretariat")
        .unwrap();
    let base = common::start_server(dir.path()).await;
    let api = reqwest::Client::new();
    let date = (jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24 * 20))
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date()
        .to_string();
    for (path, body) in [
        (
            "/api/rounds",
            json!({"name": "msf-3", "title": "推動小組第3次會議", "date": date, "place": "國發會"}),
        ),
        ("/api/rounds/msf-3/open", json!(null)),
    ] {
        let res = api
            .post(format!("{base}{path}"))
            .bearer_auth(&token)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(
            res.status().is_success(),
            "{path}: {}",
            res.text().await.unwrap()
        );
    }

    let (_driver, c) = browser().await;
    sign_in_with(&c, &base, "kaiwen-chang", DEMO_PASSWORD).await;
    c.goto(&format!("{base}/rounds/msf-3?lang=en"))
        .await
        .unwrap();
    let disagree = c
        .find(Locator::Css("input[name=choice][value=disagree]"))
        .await
        .unwrap();
    disagree.click().await.unwrap();
    c.find(Locator::Css("form.vote-form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let error = c
        .wait()
        .for_element(Locator::Id("vote-error"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(error.contains("must give its reason"), "{error}");
    let kept = c
        .find(Locator::Css("input[name=choice][value=disagree]"))
        .await
        .unwrap()
        .prop("checked")
        .await
        .unwrap();
    assert_eq!(kept.as_deref(), Some("true"), "the choice is kept");

    let reason = "量化指標二的徵詢對象不明確 The survey's audience is unclear";
    c.find(Locator::Id("vote-reason"))
        .await
        .unwrap()
        .send_keys(reason)
        .await
        .unwrap();
    c.find(Locator::Css("form.vote-form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let vote = c
        .wait()
        .for_element(Locator::Css("#member-kaiwen-chang .choice-disagree"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(vote, "Disagree");
    let shown = c
        .find(Locator::Css("#member-kaiwen-chang .member-reason"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(shown.contains(reason), "{shown}");
    assert!(
        c.find(Locator::Id("vote-error")).await.is_err(),
        "no error now"
    );
    c.close().await.unwrap();
}

/// Two people in two browsers co-write one section live; both end with the same text, which
/// is then saved to git with both as co-authors.
#[tokio::test]
async fn two_browsers_co_edit_a_section_live() {
    let _one = one_at_a_time().await;
    let dir = common::demo_dir();
    let token = live_drafters(&dir);
    let base = common::start_server(dir.path()).await;
    let branch = common::open_proposal(&base, &token).await;
    let (_d1, a) = browser().await;
    let (_d2, b) = browser().await;
    sign_in(&a, &base, "gov").await;
    sign_in(&b, &base, "ngo").await;
    let url = format!("{base}/edit?branch={branch}&commitment={C04}&doc=zh-TW&lang=en");
    let field = "textarea[data-field='section.problem.text']";
    let mut t0 = String::new();
    for c in [&a, &b] {
        c.goto(&url).await.unwrap();
        t0 = text_of(&wait_live(c, |s| s["connected"] == true).await);
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
    // Every character of both, once and in each typist's order; typed at the same place at
    // the same time, each run stays whole (ties go by session rank, alike in the browser and
    // the server, and the server places each keystroke where its typist's page showed it).
    let typed = ta.strip_prefix(&t0).unwrap_or_else(|| panic!("{ta}"));
    assert!(interleaves(typed, " Alpha甲", " Beta乙"), "{typed:?}");
    assert!(
        typed == " Alpha甲 Beta乙" || typed == " Beta乙 Alpha甲",
        "the two runs interleave: {typed:?}"
    );
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

/// The browser's transform (`static/live.js`) and the server's (`src/live/transform.rs`) are
/// one algorithm in two languages: the server's idea of what a page showed rests on it. Random
/// pairs of splice lists (code points, astral characters included), both tie rules: the same
/// answer from both.
#[tokio::test]
async fn the_browser_and_the_server_transform_alike() {
    use codraft::live::{transform, Splice};
    let _one = one_at_a_time().await;
    let dir = common::demo_dir();
    let token = live_drafters(&dir);
    let base = common::start_server(dir.path()).await;
    let branch = common::open_proposal(&base, &token).await;
    let (_d, c) = browser().await;
    sign_in(&c, &base, "gov").await;
    c.goto(&format!(
        "{base}/edit?branch={branch}&commitment={C04}&doc=zh-TW&lang=en"
    ))
    .await
    .unwrap();
    wait_live(&c, |s| s["connected"] == true).await;

    let mut rng = common::Rng(0x5eed_0f7a_4e00);
    let alphabet = ["a", "的", "😀", "𠀀", " "];
    let mut cases = Vec::new();
    for _ in 0..400 {
        let len = rng.below(8);
        let list = |rng: &mut common::Rng| {
            let mut n = len;
            let mut out = Vec::new();
            for _ in 0..1 + rng.below(3) {
                let pos = rng.below(n + 1);
                let delete = rng.below(3).min(n - pos);
                let insert: String = (0..rng.below(3))
                    .map(|_| alphabet[rng.below(alphabet.len())])
                    .collect();
                n = n + insert.chars().count() - delete;
                out.push(Splice {
                    pos,
                    delete,
                    insert,
                });
            }
            out
        };
        let (a, b) = (list(&mut rng), list(&mut rng));
        cases.push((a, b, rng.below(2) == 1));
    }
    type Wire = Vec<(usize, usize, String)>;
    let wire = |l: &[Splice]| -> Wire {
        l.iter()
            .map(|s| (s.pos, s.delete, s.insert.clone()))
            .collect()
    };
    let js_cases: Vec<_> = cases
        .iter()
        .map(|(a, b, first)| json!([wire(a), wire(b), first]))
        .collect();
    let answers = c
        .execute(
            "return arguments[0].map(([a, b, f]) => window.codraftLive.xform(a, b, f));",
            vec![json!(js_cases)],
        )
        .await
        .unwrap();
    let answers: Vec<(Wire, Wire)> = serde_json::from_value(answers).unwrap();
    for ((a, b, first), (js_a, js_b)) in cases.iter().zip(answers) {
        let (ra, rb) = transform::xform(transform::prims(a), transform::prims(b), *first);
        assert_eq!(
            (wire(&ra), wire(&rb)),
            (js_a, js_b),
            "a={a:?} b={b:?} b_first={first}"
        );
    }
    c.close().await.unwrap();
}

const LIVE_FIELD: &str = "section.problem.text";

/// The "done when": two people co-write a section live, one of them loses the network
/// (the cable is pulled: every connection of that browser is cut and new ones are refused), both
/// keep typing, the cable goes back in, and not a character is lost or doubled.
#[tokio::test]
async fn a_browser_offline_and_back_loses_no_character() {
    let _one = one_at_a_time().await;
    const ANCHOR: &str = "常有從寬限制公開"; // B's first insertion goes right after this
    const A_TEXT: &str = " 線上Online甲"; // A, online, at the end
    const B_MID: &str = "離線Offline乙"; // B, offline, in the middle
    const B_END: &str = " 斷網Unplugged丙"; // B, offline, at the end
    let started = Instant::now();
    let live = LiveDuo::start().await;
    let (a, b, cable, css) = (&live.a, &live.b, &live.cable, &live.css);
    let t0 = live.t0.clone();
    assert_eq!(t0.matches(ANCHOR).count(), 1, "{t0}");

    // Cable out: B notices at once (the proxy closed its socket) and says so.
    let cut = cable.pull();
    assert!(cut > 0, "B had a connection through the proxy");
    wait_live(b, |s| s["connected"] == false).await;
    assert_eq!(live_status(b).await, "reconnecting");
    let offline_at = Instant::now();

    // Both type at once: A online at the end, B offline in the middle and then at the end.
    let (ra, rb) = tokio::join!(type_at_end(a, css, A_TEXT), async {
        type_after(b, css, ANCHOR, B_MID).await?;
        type_at_end(b, css, B_END).await
    });
    ra.unwrap();
    rb.unwrap();
    let at = t0.find(ANCHOR).unwrap() + ANCHOR.len();
    let with_mid = format!("{}{B_MID}{}", &t0[..at], &t0[at..]);
    // A's edits are on the server (seen back); B's are all on B's page only.
    let sa = wait_live(a, |s| s["pending"] == 0).await;
    assert_eq!(text_of(&sa), format!("{t0}{A_TEXT}"));
    let sb = wait_live(b, |_| true).await;
    assert_eq!(sb["connected"], false, "still cut off: {sb}");
    assert_eq!(text_of(&sb), format!("{with_mid}{B_END}"));
    assert_eq!(
        sb["pending"],
        B_MID.chars().count() + B_END.chars().count(),
        "one pending edit per key B pressed"
    );
    // B tries again while cut off (at least once), fails, and still says so.
    for _ in 0..200 {
        if cable.refused() > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(cable.refused() > 0, "B did not try to reconnect");
    assert_eq!(wait_live(b, |_| true).await["connected"], false);
    assert_eq!(live_status(b).await, "reconnecting");

    // Cable back: B reconnects by itself (its backoff is at most ~6 s) and sends what it kept.
    cable.plug();
    let text = live.caught_up().await;
    let reconnected = offline_at.elapsed();
    // Every character, each run whole and once: B's middle run where B put it, and at the end
    // both runs typed at the same place, in either order (the server's merge decides).
    let either = [
        format!("{with_mid}{A_TEXT}{B_END}"),
        format!("{with_mid}{B_END}{A_TEXT}"),
    ];
    assert!(
        either.contains(&text),
        "lost or doubled characters:\n{text}"
    );
    wait_status(b, "live").await;

    live.save_and_check(&text).await;
    eprintln!(
        "offline: {} connections refused while out, B back and caught up {:.1} s after the cut, \
         {:.1} s in all; B's end run {} A's",
        cable.refused(),
        reconnected.as_secs_f64(),
        started.elapsed().as_secs_f64(),
        if text == either[0] { "after" } else { "before" }
    );
    live.close().await;
}

/// The cable is pulled while the server's answers are on their way: the server applied B's
/// edits and A sees them, but B never got the acks or its ops back. B sends them again on
/// reconnect (with more typed offline); the server must not apply them twice.
#[tokio::test]
async fn a_browser_cut_off_before_its_acks_arrive_doubles_nothing() {
    let _one = one_at_a_time().await;
    const B_SENT: &str = " 已送出Sent丁"; // reaches the server; the answers do not reach B
    const A_TEXT: &str = " 線上Online甲"; // A, after B's text, at the end
    const B_LATE: &str = " 後補Later戊"; // B, offline, at the end
    let live = LiveDuo::start().await;
    let (a, b, cable, css) = (&live.a, &live.b, &live.cable, &live.css);
    let t0 = live.t0.clone();

    cable.hold_replies();
    type_at_end(b, css, B_SENT).await.unwrap();
    let sent = format!("{t0}{B_SENT}");
    wait_live(a, |s| s["fields"][LIVE_FIELD] == sent.as_str()).await;
    type_at_end(a, css, A_TEXT).await.unwrap();
    wait_live(a, |s| s["pending"] == 0).await;
    let sb = wait_live(b, |_| true).await;
    assert_eq!(
        sb["pending"],
        B_SENT.chars().count(),
        "B heard nothing back: {sb}"
    );
    assert_eq!(text_of(&sb), sent);

    cable.pull();
    wait_live(b, |s| s["connected"] == false).await;
    type_at_end(b, css, B_LATE).await.unwrap();
    assert_eq!(
        wait_live(b, |_| true).await["pending"],
        B_SENT.chars().count() + B_LATE.chars().count()
    );

    cable.plug();
    let text = live.caught_up().await;
    let either = [
        format!("{sent}{A_TEXT}{B_LATE}"),
        format!("{sent}{B_LATE}{A_TEXT}"),
    ];
    assert!(
        either.contains(&text),
        "lost or doubled characters:\n{text}"
    );
    wait_status(b, "live").await;
    live.save_and_check(&text).await;
    live.close().await;
}

/// The live document is compacted (its history dropped) while B hears nothing back — here after
/// every edit, as when a document passes its memory limit. B's first key reaches the server and
/// is applied, then the document is compacted, so B's next keys (made on the version before)
/// are refused and B never hears of either. On reconnect B learns which edit the server had,
/// carries the others (and those typed offline) over to the new text and sends them again.
/// Nothing is lost or doubled.
#[tokio::test]
async fn a_browser_offline_across_a_compaction_loses_no_character() {
    let _one = one_at_a_time().await;
    const ANCHOR: &str = "常有從寬限制公開";
    const B_SENT: &str = " 已送出Sent丁"; // sent while B hears nothing back
    const B_MID: &str = "離線Offline乙"; // B, offline, in the middle
    const A_TEXT: &str = "線上Online甲"; // A, online, at the end
    let limits = Limits {
        memory: 1, // compact after every batch of edits
        ..Limits::default()
    };
    let live = LiveDuo::start_with(limits).await;
    let (a, b, cable, css) = (&live.a, &live.b, &live.cable, &live.css);
    let t0 = live.t0.clone();

    cable.hold_replies();
    type_at_end(b, css, B_SENT).await.unwrap();
    // Only the first key was applied; the rest were made on the version before the compaction.
    let first = format!("{t0} ");
    wait_live(a, |s| s["fields"][LIVE_FIELD] == first.as_str()).await;
    cable.pull();
    wait_live(b, |s| s["connected"] == false).await;
    let (ra, rb) = tokio::join!(
        type_at_end(a, css, A_TEXT),
        type_after(b, css, ANCHOR, B_MID)
    );
    ra.unwrap();
    rb.unwrap();
    wait_live(a, |s| s["pending"] == 0).await;

    cable.plug();
    let text = live.caught_up().await;
    let at = t0.find(ANCHOR).unwrap() + ANCHOR.len();
    // B's refused keys come back after A's text: both were typed at the end, and B carries
    // its edits past what others did (on a tie, others' text goes first).
    let rest = B_SENT.strip_prefix(' ').unwrap();
    let expected = format!("{}{B_MID}{} {A_TEXT}{rest}", &t0[..at], &t0[at..]);
    assert_eq!(text, expected, "lost or doubled characters");
    wait_status(b, "live").await;

    // Batches were checkpointed before their compactions (how many keys a batch holds
    // depends on the machine's load, so only "more than one"); both people are credited.
    let repo = setup::repo_path(live.dir.path());
    let log = common::git(&repo, &["log", "--format=%B", &live.branch]);
    assert!(log.matches("Live edits").count() >= 2, "{log}");
    for who in ["gov", "ngo"] {
        assert!(log.contains(&format!("Co-authored-by: {who} <{who}@example.org>")));
    }
    let saved = common::git(&repo, &["show", &format!("{}:{C04_PATH}", live.branch)]);
    assert!(saved.contains(&text), "the branch holds the live text");
    live.close().await;
}

/// Two drafters in two browsers on the same section of a new proposal, both live and caught up:
/// A (gov, government) straight to the server, B (ngo, civil society) through a `Cable`.
struct LiveDuo {
    dir: tempfile::TempDir,
    branch: String,
    cable: Cable,
    a: Client,
    b: Client,
    css: String,
    /// The section's text when both were caught up.
    t0: String,
    _drivers: (Driver, Driver),
}

impl LiveDuo {
    async fn start() -> LiveDuo {
        LiveDuo::start_with(Limits::default()).await
    }

    async fn start_with(limits: Limits) -> LiveDuo {
        let dir = common::demo_dir();
        let token = live_drafters(&dir);
        let base = common::start_server_with(dir.path(), limits).await;
        let branch = common::open_proposal(&base, &token).await;
        let cable = Cable::to(&base).await;
        let (d1, a) = browser().await;
        let (d2, b) = browser().await;
        // B signs in through the cable: cookies are per host, and the page's origin must match.
        sign_in(&a, &base, "gov").await;
        sign_in(&b, &cable.base(), "ngo").await;
        let path = format!("/edit?branch={branch}&commitment={C04}&doc=zh-TW&lang=en");
        a.goto(&format!("{base}{path}")).await.unwrap();
        b.goto(&format!("{}{path}", cable.base())).await.unwrap();
        let mut live = LiveDuo {
            dir,
            branch,
            cable,
            a,
            b,
            css: format!("textarea[data-field='{LIVE_FIELD}']"),
            t0: String::new(),
            _drivers: (d1, d2),
        };
        live.t0 = live.caught_up().await;
        assert_eq!(live_status(&live.b).await, "live");
        live
    }

    /// Waits until both are connected with nothing pending at the same `seq`; checks that both
    /// pages hold and show the same text, and returns it.
    async fn caught_up(&self) -> String {
        let (a, b) = (&self.a, &self.b);
        let sb = wait_live(b, |s| s["connected"] == true && s["pending"] == 0).await;
        let sa = wait_live(a, |s| {
            s["connected"] == true && s["pending"] == 0 && s["seq"] == sb["seq"]
        })
        .await;
        let sb = wait_live(b, |s| s["pending"] == 0 && s["seq"] == sa["seq"]).await;
        let text = text_of(&sa);
        assert_eq!(text, text_of(&sb), "both browsers hold the same text");
        for c in [a, b] {
            let shown = c
                .find(Locator::Css(&self.css))
                .await
                .unwrap()
                .prop("value")
                .await
                .unwrap()
                .unwrap();
            assert_eq!(shown, text, "what the page shows is the live text");
        }
        text
    }

    /// A saves a version; the commit holds `text` and both people as co-authors.
    async fn save_and_check(&self, text: &str) {
        self.a
            .find(Locator::Id("live-save"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        let repo = setup::repo_path(self.dir.path());
        let mut message = String::new();
        for _ in 0..200 {
            message = common::git(&repo, &["log", "-1", "--format=%B", &self.branch]);
            if message.contains("Co-authored-by") {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        for who in ["gov", "ngo"] {
            let trailer = format!("Co-authored-by: {who} <{who}@example.org>");
            assert!(message.contains(&trailer), "{message}");
        }
        let saved = common::git(&repo, &["show", &format!("{}:{C04_PATH}", self.branch)]);
        assert!(
            saved.contains(text),
            "the saved document holds the live text"
        );
    }

    async fn close(self) {
        self.a.close().await.unwrap();
        self.b.close().await.unwrap();
    }
}

/// Adds the drafters "gov" (government) and "ngo" (civil society) of C04, with e-mails; returns
/// gov's API token.
fn live_drafters(dir: &tempfile::TempDir) -> String {
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
                agency: None,
                password: Some(format!("{id}-password")),
            })
            .unwrap();
        if id == "gov" {
            token = t;
        }
    }
    token
}

/// One browser's network cable: a TCP proxy on its own loopback port in front of the server.
/// Pulled, it cuts every open connection and drops new ones at once; plugged, it forwards again.
/// `hold_replies` stops passing what the server sends (the browser's frames still go through),
/// as when a cable is pulled while the answers are on their way. Host and Origin pass through
/// unchanged, so the page's origin is the proxy's.
struct Cable {
    port: u16,
    state: Arc<Mutex<CableState>>,
    replies: tokio::sync::watch::Sender<bool>,
    accept: tokio::task::JoinHandle<()>,
}

struct CableState {
    plugged: bool,
    conns: Vec<tokio::task::AbortHandle>,
    refused: usize,
}

impl Cable {
    /// A plugged cable to the server at `base` (`http://127.0.0.1:PORT`).
    async fn to(base: &str) -> Cable {
        let server: std::net::SocketAddr = base.trim_start_matches("http://").parse().unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(Mutex::new(CableState {
            plugged: true,
            conns: Vec::new(),
            refused: 0,
        }));
        let (replies, flowing) = tokio::sync::watch::channel(true);
        let st = state.clone();
        let accept = tokio::spawn(async move {
            loop {
                let Ok((inbound, _)) = listener.accept().await else {
                    continue;
                };
                // Checked and recorded under the lock `pull` takes: no connection slips past.
                let mut st = st.lock().unwrap();
                st.conns.retain(|h| !h.is_finished());
                if !st.plugged {
                    st.refused += 1;
                    continue; // `inbound` is dropped: the browser sees the connection fail
                }
                let task = tokio::spawn(forward(inbound, server, flowing.clone()));
                st.conns.push(task.abort_handle());
            }
        });
        Cable {
            port,
            state,
            replies,
            accept,
        }
    }

    /// The base URL through this cable.
    fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Pulls the cable; returns how many open connections it cut.
    fn pull(&self) -> usize {
        let mut st = self.state.lock().unwrap();
        st.plugged = false;
        let open = st
            .conns
            .drain(..)
            .filter(|h| !h.is_finished())
            .collect::<Vec<_>>();
        for h in &open {
            h.abort();
        }
        open.len()
    }

    /// Plugs the cable back in (replies flow again too).
    fn plug(&self) {
        self.state.lock().unwrap().plugged = true;
        self.replies.send_replace(true);
    }

    /// From now on, what the server sends stays in the proxy.
    fn hold_replies(&self) {
        self.replies.send_replace(false);
    }

    /// How many connections were dropped while the cable was out.
    fn refused(&self) -> usize {
        self.state.lock().unwrap().refused
    }
}

impl Drop for Cable {
    fn drop(&mut self) {
        self.accept.abort();
        self.pull();
    }
}

/// One connection through the cable: the browser's bytes to the server as they come, the
/// server's back while `flowing` says so.
async fn forward(
    inbound: tokio::net::TcpStream,
    server: std::net::SocketAddr,
    mut flowing: tokio::sync::watch::Receiver<bool>,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let _ = inbound.set_nodelay(true);
    let Ok(outbound) = tokio::net::TcpStream::connect(server).await else {
        return;
    };
    let _ = outbound.set_nodelay(true);
    let (mut from_browser, mut to_browser) = inbound.into_split();
    let (mut from_server, mut to_server) = outbound.into_split();
    let up = async {
        let _ = tokio::io::copy(&mut from_browser, &mut to_server).await;
        let _ = to_server.shutdown().await;
    };
    let down = async {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            let n = match from_server.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            if flowing.wait_for(|f| *f).await.is_err()
                || to_browser.write_all(&buf[..n]).await.is_err()
            {
                break;
            }
        }
        let _ = to_browser.shutdown().await;
    };
    tokio::join!(up, down);
}

/// The live section's text in a `wait_live` state.
fn text_of(state: &serde_json::Value) -> String {
    state["fields"][LIVE_FIELD].as_str().unwrap().to_string()
}

/// The live status the page shows (`data-state` of #live-status: live, reconnecting, …).
async fn live_status(c: &Client) -> String {
    c.find(Locator::Id("live-status"))
        .await
        .unwrap()
        .attr("data-state")
        .await
        .unwrap()
        .unwrap_or_default()
}

/// Polls #live-status until it says `want` (at most 20 s).
async fn wait_status(c: &Client, want: &str) {
    let mut last = String::new();
    for _ in 0..200 {
        last = live_status(c).await;
        if last == want {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the live status stayed {last:?}, not {want:?}");
}

/// Puts the caret right after the first `after` in the field and types `text` key by key.
async fn type_after(
    c: &Client,
    css: &str,
    after: &str,
    text: &str,
) -> Result<(), fantoccini::error::CmdError> {
    let el = c.find(Locator::Css(css)).await?;
    c.execute(
        "const el = arguments[0], i = el.value.indexOf(arguments[1]);
         if (i < 0) throw new Error('not in the field: ' + arguments[1]);
         el.focus(); el.setSelectionRange(i + arguments[1].length, i + arguments[1].length);",
        vec![serde_json::to_value(&el).unwrap(), json!(after)],
    )
    .await?;
    for ch in text.chars() {
        el.send_keys(&ch.to_string()).await?;
    }
    Ok(())
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

/// Whether `s` is `a` and `b` interleaved: every character of each exactly once, each in
/// its own order.
fn interleaves(s: &str, a: &str, b: &str) -> bool {
    let (s, a, b): (Vec<char>, Vec<char>, Vec<char>) = (
        s.chars().collect(),
        a.chars().collect(),
        b.chars().collect(),
    );
    if s.len() != a.len() + b.len() {
        return false;
    }
    // ok[j]: s[..i + j] interleaves a[..i] and b[..j], for the current i.
    let mut ok = vec![false; b.len() + 1];
    for i in 0..=a.len() {
        for j in 0..=b.len() {
            ok[j] = if i == 0 && j == 0 {
                true
            } else {
                (i > 0 && ok[j] && a[i - 1] == s[i + j - 1])
                    || (j > 0 && ok[j - 1] && b[j - 1] == s[i + j - 1])
            };
        }
    }
    ok[b.len()]
}

#[test]
fn interleaving_is_checked_exactly() {
    assert!(interleaves(" Alpha甲 Beta乙", " Alpha甲", " Beta乙"));
    assert!(interleaves("  Beta乙Alpha甲", " Alpha甲", " Beta乙"));
    assert!(
        !interleaves(" Alpha甲 Beta", " Alpha甲", " Beta乙"),
        "a lost character"
    );
    assert!(
        !interleaves(" Alpha甲 Beta乙乙", " Alpha甲", " Beta乙"),
        "a doubled one"
    );
    assert!(
        !interleaves(" ahplA甲 Beta乙", " Alpha甲", " Beta乙"),
        "out of order"
    );
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
