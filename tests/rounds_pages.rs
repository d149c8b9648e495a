//! The forum's rounds held entirely through the HTML pages, as a browser without JavaScript
//! would: signed in with the demo accounts' passwords (session cookie), every form carrying
//! the session's CSRF token, every answer a 303 to the round or the page with the error.
//! The secretariat schedules, a convener opens, members of both sectors vote (one changes
//! the vote), a co-convener closes and the tag is checked with the git CLI; minutes are
//! published and corrected through a proposal. Wrong roles, bad input, unknown rounds,
//! missing CSRF tokens and signed-out posts are refused with every ref unchanged.

mod common;

use std::path::PathBuf;

use reqwest::StatusCode;

use codraft::workflow::setup;
use common::web::{main_text, Answer, Person, Web};

const C04_PATH: &str = "commitments/c04-information-access/zh-TW.md";

struct Env {
    dir: tempfile::TempDir,
    web: Web,
}

impl Env {
    /// The demo plan with the demo's accounts (every forum member, `secretariat`,
    /// `translator`; password `codraft-demo`), served on a real port.
    async fn new() -> Env {
        let dir = common::web::demo_with_accounts();
        let base = common::start_server(dir.path()).await;
        Env {
            web: Web::new(&base),
            dir,
        }
    }

    fn repo(&self) -> PathBuf {
        setup::repo_path(self.dir.path())
    }

    fn git(&self, args: &[&str]) -> String {
        common::git(&self.repo(), args).trim().to_string()
    }

    /// Every ref and where it points: equal before and after a refused form.
    fn refs(&self) -> String {
        self.git(&["for-each-ref", "--format=%(refname) %(objectname)"])
    }

    async fn sign_in(&self, who: &str) -> Person {
        self.web.sign_in(who).await
    }

    async fn get(&self, who: Option<&Person>, path: &str) -> Answer {
        self.web.get(who, path).await
    }

    async fn post(&self, who: &Person, path: &str, fields: &[(&str, &str)]) -> Answer {
        self.web.post(who, path, fields).await
    }

    /// A form that must be answered with `status` and a page saying `says`, writing nothing.
    async fn refused(
        &self,
        who: &Person,
        path: &str,
        fields: &[(&str, &str)],
        status: StatusCode,
        says: &str,
    ) -> String {
        let before = self.refs();
        let a = self.post(who, path, fields).await;
        assert_eq!(
            a.status,
            status,
            "{path} {fields:?}: {}",
            main_text(&a.body)
        );
        assert!(
            a.body.contains(says),
            "{path} {fields:?} should say {says:?}: {}",
            main_text(&a.body)
        );
        assert!(a.body.contains("<!DOCTYPE html>"), "an HTML page");
        assert_eq!(self.refs(), before, "{path} {fields:?} wrote something");
        a.body
    }

    /// Commits a change to `main` from outside codraft: a clone, a commit, a push.
    fn push_to_main(&self, from: &str, to: &str) -> String {
        let tmp = tempfile::tempdir().unwrap();
        let clone = common::clone(self.dir.path(), tmp.path());
        let file = clone.join(C04_PATH);
        let text = std::fs::read_to_string(&file).unwrap();
        std::fs::write(&file, text.replacen(from, to, 1)).unwrap();
        common::git(
            &clone,
            &["commit", "-qam", "A change after the vote opened"],
        );
        common::git(&clone, &["push", "-q", "origin", "main"]);
        common::git(&clone, &["rev-parse", "HEAD"])
            .trim()
            .to_string()
    }
}

/// One member's entry in the roll.
fn roll_entry<'a>(html: &'a str, member: &str) -> &'a str {
    let start = html
        .find(&format!("id=\"member-{member}\""))
        .unwrap_or_else(|| panic!("{member} is on the roll"));
    let end = start + html[start..].find("</li>").unwrap();
    &html[start..end]
}

/// The date `days` from today (UTC), `YYYY-MM-DD`.
fn date_in(days: i64) -> String {
    let t = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24 * days);
    t.to_zoned(jiff::tz::TimeZone::UTC).date().to_string()
}

const GOV: [&str; 4] = [
    "mingche-chou",
    "yating-huang",
    "chihwei-hsu",
    "tsunghan-tsai",
];
const NGO: [&str; 4] = ["pohan-chen", "yian-liu", "kaiwen-chang", "chiaying-li"];

#[tokio::test]
async fn a_round_is_held_entirely_through_the_web_forms() {
    let env = Env::new().await;
    let secretariat = env.sign_in("secretariat").await;

    // The list offers scheduling to the secretariat, and the form has every field labelled.
    let list = env.get(Some(&secretariat), "/rounds?lang=en").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(
        list.body.contains("href=\"/rounds/new?lang=en\""),
        "schedule link"
    );
    assert!(list.body.contains("href=\"/rounds/msf-2?lang=en\""));
    let form = env.get(Some(&secretariat), "/rounds/new?lang=en").await;
    assert_eq!(form.status, StatusCode::OK);
    for field in [
        "name",
        "title",
        "date",
        "place",
        "link",
        "agenda",
        "candidate",
    ] {
        let id = format!("id=\"f-{field}\"");
        assert!(
            form.body.contains(&format!("for=\"f-{field}\"")),
            "{field} has a label"
        );
        assert!(form.body.contains(&id), "{field}");
    }
    assert!(
        form.body.contains("value=\"main\""),
        "the candidate defaults to main"
    );

    // A bad date comes back as the form, the message on top, the input kept.
    let date = date_in(30);
    let agenda = "1. 上次會議結論辦理情形\r\n2. 國家行動方案修正案表決";
    let mut fields = vec![
        ("name", "msf-3"),
        ("title", "推動小組第3次會議"),
        ("date", "2021-02-30"),
        ("place", "國家發展委員會 第一會議室"),
        ("link", ""),
        ("agenda", agenda),
        ("candidate", "main"),
    ];
    let page = env
        .refused(
            &secretariat,
            "/rounds?lang=en",
            &fields,
            StatusCode::BAD_REQUEST,
            "is not a date",
        )
        .await;
    assert!(
        page.contains("value=\"推動小組第3次會議\""),
        "the title is kept"
    );
    assert!(page.contains("上次會議結論辦理情形"), "the agenda is kept");
    assert!(
        page.contains("name=\"date\" type=\"date\" value=\"2021-02-30\""),
        "the date is kept"
    );
    assert!(
        page.contains("aria-invalid=\"true\""),
        "the bad field is marked"
    );
    fields[2] = ("date", &date);

    let scheduled = env.post(&secretariat, "/rounds?lang=en", &fields).await;
    assert_eq!(
        scheduled.status,
        StatusCode::SEE_OTHER,
        "{}",
        scheduled.body
    );
    assert_eq!(scheduled.location, "/rounds/msf-3?lang=en");
    assert_eq!(
        env.git(&["log", "-1", "--format=%an|%s", "records"]),
        format!("國家發展委員會 秘書處|Round msf-3 scheduled: 推動小組第3次會議 ({date})")
    );
    let page = env.get(Some(&secretariat), "/rounds/msf-3?lang=en").await;
    assert_eq!(page.status, StatusCode::OK);
    for text in [
        "<h1>推動小組第3次會議</h1>",
        "Scheduled",
        "<li>上次會議結論辦理情形</li>",
        "國家發展委員會 第一會議室",
        "Votes are counted once the vote opens.",
        "action=\"/rounds/msf-3/open?lang=en\"",
    ] {
        assert!(
            page.body.contains(text),
            "{text}: {}",
            main_text(&page.body)
        );
    }
    assert!(
        !page.body.contains("round-warnings"),
        "a month ahead, with a place: no warning"
    );
    assert!(
        roll_entry(&page.body, "chiaying-li").contains("No vote"),
        "the whole roll, nobody voted yet"
    );
    // Listed, newest meeting first.
    let list = env.get(None, "/rounds?lang=en").await;
    let (a, b) = (
        list.body.find("/rounds/msf-3?").unwrap(),
        list.body.find("/rounds/msf-2?").unwrap(),
    );
    assert!(a < b, "newest meeting first");
    assert!(
        !list.body.contains("/rounds/new"),
        "signed out: no schedule link"
    );

    // A member who is not a convener may not open the vote: a 403 page, nothing written.
    let yating = env.sign_in("yating-huang").await;
    let page = env.get(Some(&yating), "/rounds/msf-3?lang=en").await;
    assert!(
        !page.body.contains("/rounds/msf-3/open"),
        "no open form for a member"
    );
    env.refused(
        &yating,
        "/rounds/msf-3/open?lang=en",
        &[],
        StatusCode::FORBIDDEN,
        "only a convener or co-convener",
    )
    .await;

    // The convener opens the vote: the candidate is pinned to main as it is now.
    let main_at_open = env.git(&["rev-parse", "main"]);
    let mingche = env.sign_in("mingche-chou").await;
    let opened = env.post(&mingche, "/rounds/msf-3/open?lang=en", &[]).await;
    assert_eq!(opened.status, StatusCode::SEE_OTHER, "{}", opened.body);
    assert_eq!(opened.location, "/rounds/msf-3?lang=en");
    // main moves on (a push from outside codraft): the page warns; the vote stays pinned.
    let moved = env.push_to_main(
        "常有從寬限制公開之情形",
        "常有從寬限制公開而未說明理由之情形",
    );
    let page = env.get(Some(&mingche), "/rounds/msf-3?lang=en").await;
    for text in [
        "Voting".to_string(),
        format!("title=\"{main_at_open}\""),
        "The candidate has moved on since the vote opened".to_string(),
        // The voted commit against the last round's.
        format!("/compare?from=rounds/msf-2&amp;to={main_at_open}"),
        "What changed since the last round, msf-2".to_string(),
        "If the round closed now: no consensus.".to_string(),
        "0 of 8 agree (4 needed)".to_string(),
        "action=\"/rounds/msf-3/votes?lang=en\"".to_string(),
        "action=\"/rounds/msf-3/close?lang=en\"".to_string(),
        "the round will close with no consensus and no tag".to_string(),
    ] {
        assert!(
            page.body.contains(&text),
            "{text}: {}",
            main_text(&page.body)
        );
    }
    assert!(
        !page.body.contains(&moved[..10]),
        "the page names the pinned commit only"
    );

    // Members of both sectors vote.
    for id in GOV.iter().chain(&NGO[..3]) {
        let me = env.sign_in(id).await;
        let a = env
            .post(
                &me,
                "/rounds/msf-3/votes?lang=en",
                &[("choice", "agree"), ("reason", "")],
            )
            .await;
        assert_eq!(
            a.status,
            StatusCode::SEE_OTHER,
            "{id}: {}",
            main_text(&a.body)
        );
    }
    // A block without a reason comes back with the message and the choice kept.
    let chiaying = env.sign_in("chiaying-li").await;
    let page = env
        .refused(
            &chiaying,
            "/rounds/msf-3/votes?lang=en",
            &[("choice", "block"), ("reason", "  ")],
            StatusCode::BAD_REQUEST,
            "A disagree or block vote must give its reason",
        )
        .await;
    assert!(
        page.contains("value=\"block\" required checked"),
        "the choice is kept"
    );
    assert!(
        page.contains("id=\"vote-error\""),
        "the error is in the vote form"
    );
    // With a reason: a block, which vetoes.
    let reason = "承諾4量化指標二之徵詢對象不明確，應包含機關承辦人員。";
    let a = env
        .post(
            &chiaying,
            "/rounds/msf-3/votes?lang=en",
            &[("choice", "block"), ("reason", reason)],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", main_text(&a.body));
    let page = env.get(None, "/rounds/msf-3?lang=en").await;
    let entry = roll_entry(&page.body, "chiaying-li");
    assert!(entry.contains("Block") && entry.contains(reason), "{entry}");
    assert!(
        page.body.contains("Blocked by: 李佳穎"),
        "{}",
        main_text(&page.body)
    );
    assert!(page.body.contains("If the round closed now: no consensus."));
    // She changes her vote; the form showed her current vote first.
    let page = env.get(Some(&chiaying), "/rounds/msf-3?lang=en").await;
    assert!(page.body.contains("value=\"block\" required checked"));
    assert!(page.body.contains(&format!(">{reason}</textarea>")));
    let a = env
        .post(
            &chiaying,
            "/rounds/msf-3/votes?lang=en",
            &[("choice", "agree"), ("reason", "會議決議修正文字後同意。")],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    assert_eq!(
        env.git(&[
            "log",
            "--format=%s",
            "records",
            "--",
            "rounds/msf-3/votes/chiaying-li.toml"
        ]),
        "Round msf-3: 李佳穎 votes agree\nRound msf-3: 李佳穎 votes block",
        "both votes are in git"
    );
    let page = env.get(Some(&chiaying), "/rounds/msf-3?lang=en").await;
    let entry = roll_entry(&page.body, "chiaying-li");
    assert!(
        entry.contains("Agree") && entry.contains("會議決議修正文字後同意。"),
        "{entry}"
    );
    assert!(page
        .body
        .contains("Your current vote: <strong>Agree</strong>"));
    for text in [
        "If the round closed now: consensus.",
        "4 of 8 agree (4 needed) — <strong>quorum met</strong>",
        "agree 4, abstain 0, disagree 0, block 0, no vote 4",
    ] {
        assert!(
            page.body.contains(text),
            "{text}: {}",
            main_text(&page.body)
        );
    }
    assert!(
        roll_entry(&page.body, "yachi-chung").contains("No vote"),
        "those who did not vote"
    );

    // Someone not on the roll may not vote; the secretariat and members may not close.
    let translator = env.sign_in("translator").await;
    env.refused(
        &translator,
        "/rounds/msf-3/votes?lang=en",
        &[("choice", "agree")],
        StatusCode::FORBIDDEN,
        "is not a member of the forum",
    )
    .await;
    let page = env.get(Some(&secretariat), "/rounds/msf-3?lang=en").await;
    assert!(
        !page.body.contains("/rounds/msf-3/close"),
        "no close form for the secretariat"
    );
    for who in [&secretariat, &yating] {
        env.refused(
            who,
            "/rounds/msf-3/close?lang=en",
            &[],
            StatusCode::FORBIDDEN,
            "only a convener or co-convener of the forum may close",
        )
        .await;
    }

    // The co-convener closes: the confirmation says what will happen, then it happens.
    let pohan = env.sign_in("pohan-chen").await;
    let page = env.get(Some(&pohan), "/rounds/msf-3?lang=en").await;
    assert!(
        page.body.contains(&format!(
            "Consensus is reached now: commit {} will be tagged rounds/msf-3",
            &main_at_open[..10]
        )),
        "{}",
        main_text(&page.body)
    );
    let closed = env.post(&pohan, "/rounds/msf-3/close?lang=en", &[]).await;
    assert_eq!(closed.status, StatusCode::SEE_OTHER, "{}", closed.body);
    // The tag, with the plain git CLI: annotated, on the pinned commit (not main's head),
    // tagged by the co-convener, its message listing the votes.
    assert_eq!(env.git(&["cat-file", "-t", "rounds/msf-3"]), "tag");
    assert_eq!(
        env.git(&["rev-parse", "rounds/msf-3^{commit}"]),
        main_at_open
    );
    assert_ne!(env.git(&["rev-parse", "main"]), main_at_open);
    let show = env.git(&["show", "-s", "--format=%H", "rounds/msf-3"]);
    assert!(show.contains("Tagger: 陳柏翰"), "{show}");
    assert!(show.contains("會議決議修正文字後同意。"), "{show}");
    let page = env.get(None, "/rounds/msf-3?lang=en").await;
    for text in [
        "Closed · <strong>Consensus</strong>",
        "The consensus version is tagged <code>rounds/msf-3</code>",
        "<code>git show rounds/msf-3</code>",
        "/rounds/compare?from=msf-2&amp;to=msf-3",
    ] {
        assert!(
            page.body.contains(text),
            "{text}: {}",
            main_text(&page.body)
        );
    }
    assert!(
        !page.body.contains("action=\"/rounds/msf-3/votes"),
        "voting is over"
    );

    // Minutes: a member may not publish them; the secretariat does, as a draft.
    let kaiwen = env.sign_in("kaiwen-chang").await;
    let minutes = "# 推動小組第3次會議紀錄\n\n- 決議：通過國家行動方案修正案。\n";
    env.refused(
        &kaiwen,
        "/rounds/msf-3/minutes?lang=en",
        &[("text", minutes)],
        StatusCode::FORBIDDEN,
        "may publish minutes",
    )
    .await;
    let page = env.get(Some(&secretariat), "/rounds/msf-3?lang=en").await;
    assert!(page.body.contains("Not published yet"));
    assert!(page
        .body
        .contains("action=\"/rounds/msf-3/minutes?lang=en\""));
    let a = env
        .post(
            &secretariat,
            "/rounds/msf-3/minutes?lang=en",
            &[("text", &minutes.replace('\n', "\r\n"))],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", main_text(&a.body));
    assert_eq!(
        env.git(&["show", "main:rounds/msf-3.md"]),
        minutes.trim_end(),
        "on main, with LF line ends"
    );
    let page = env.get(Some(&kaiwen), "/rounds/msf-3?lang=en").await;
    for text in [
        "Draft (members may propose corrections",
        "<h1>推動小組第3次會議紀錄</h1>",
        "members may propose corrections until",
        "href=\"/rounds/msf-3/correction?lang=en\"",
    ] {
        assert!(
            page.body.contains(text),
            "{text}: {}",
            main_text(&page.body)
        );
    }
    assert!(
        !page.body.contains("action=\"/rounds/msf-3/minutes"),
        "published once"
    );

    // A member proposes a correction: a proposal changing rounds/msf-3.md.
    let form = env
        .get(Some(&kaiwen), "/rounds/msf-3/correction?lang=en")
        .await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(
        form.body.contains("- 決議：通過國家行動方案修正案。"),
        "pre-filled"
    );
    let corrected = minutes.replace("通過", "無異議通過");
    let a = env
        .post(
            &kaiwen,
            "/rounds/msf-3/correction?lang=en",
            &[
                ("title", "更正第3次會議紀錄"),
                ("description", "決議文字"),
                ("text", &corrected),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", main_text(&a.body));
    assert!(a.location.starts_with("/proposals/"), "{}", a.location);
    let branches = env.git(&[
        "for-each-ref",
        "--format=%(refname:short)",
        "refs/heads/proposals/",
    ]);
    let branch = branches
        .lines()
        .find(|b| {
            a.location
                .starts_with(&format!("/{}?", b.split('-').next().unwrap()))
        })
        .unwrap_or_else(|| panic!("a proposal branch for the minutes: {branches}"));
    assert_eq!(
        env.git(&["show", &format!("{branch}:rounds/msf-3.md")]),
        corrected.trim_end()
    );

    // The page in Chinese.
    let page = env.get(None, "/rounds/msf-3?lang=zh-TW").await;
    for text in [
        "<html lang=\"zh-TW\">",
        "名冊與表決",
        "達成共識",
        "共識版本已標記為 git 標籤",
        "草案（更正期間內",
        "同意 4 人（共 8 人，需 4 人）",
        "hreflang=\"en\"",
    ] {
        assert!(
            page.body.contains(text),
            "{text}: {}",
            main_text(&page.body)
        );
    }
}

#[tokio::test]
async fn refusals_write_nothing_and_say_why() {
    let env = Env::new().await;
    let secretariat = env.sign_in("secretariat").await;
    let member = env.sign_in("kaiwen-chang").await;
    let date = date_in(5);
    let round = [
        ("name", "msf-short"),
        ("title", "臨時會議"),
        ("date", date.as_str()),
        ("place", ""),
        ("link", ""),
        ("agenda", ""),
        ("candidate", ""),
    ];

    // A member may not schedule: no link, a 403 form page, a 403 post.
    let list = env.get(Some(&member), "/rounds?lang=en").await;
    assert!(!list.body.contains("/rounds/new"));
    let form = env.get(Some(&member), "/rounds/new?lang=en").await;
    assert_eq!(form.status, StatusCode::FORBIDDEN);
    env.refused(
        &member,
        "/rounds?lang=en",
        &round,
        StatusCode::FORBIDDEN,
        "only a convener or co-convener of the forum",
    )
    .await;
    // Signed out: the form page sends to sign-in, a post is refused.
    let form = env.get(None, "/rounds/new").await;
    assert_eq!(form.status, StatusCode::SEE_OTHER);
    assert!(form.location.starts_with("/login?"), "{}", form.location);
    let before = env.refs();
    let res = env
        .web
        .client
        .post(format!("{}/rounds", env.web.base))
        .form(&round)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    // Without the session's CSRF token.
    let res = env
        .web
        .client
        .post(format!("{}/rounds", env.web.base))
        .header("cookie", &secretariat.cookie)
        .form(&round)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(env.refs(), before);

    // Bad input re-shows the form with the input kept.
    for (field, value, says) in [
        ("name", "MSF 4", "is not a round name"),
        ("date", "2020-01-01", "is in the past"),
        ("date", "next week", "is not a date"),
        ("title", " ", "title is required"),
        ("link", "ftp://example.org", "http:// or https://"),
        ("candidate", "no-such-branch", "no-such-branch"),
        ("name", "msf-2", "exists already"),
    ] {
        let fields: Vec<(&str, &str)> = round
            .iter()
            .map(|&(k, v)| if k == field { (k, value) } else { (k, v) })
            .collect();
        let status = if value == "msf-2" {
            StatusCode::CONFLICT
        } else {
            StatusCode::BAD_REQUEST
        };
        let page = env
            .refused(&secretariat, "/rounds?lang=en", &fields, status, says)
            .await;
        assert!(page.contains("id=\"f-name\""), "{field}: the form again");
        assert!(page.contains(&format!("value=\"{}\"", value.trim())) || value.trim().is_empty());
    }

    // Short notice and no place: scheduled, with both warnings in words.
    let a = env.post(&secretariat, "/rounds?lang=en", &round).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", main_text(&a.body));
    let page = env.get(None, &a.location).await;
    assert!(page
        .body
        .contains("Announced 5 day(s) before the meeting; the plan asks for 14."));
    assert!(page.body.contains("Neither a place nor a link is given."));
    let page = env.get(None, "/rounds/msf-short?lang=zh-TW").await;
    assert!(page
        .body
        .contains("本次會議於會前 5 天公告，少於本方案要求之 14 天。"));

    // Before the vote opens: no voting, no closing.
    env.refused(
        &member,
        "/rounds/msf-short/votes?lang=en",
        &[("choice", "agree")],
        StatusCode::CONFLICT,
        "has not opened yet",
    )
    .await;
    let convener = env.sign_in("mingche-chou").await;
    env.refused(
        &convener,
        "/rounds/msf-short/close?lang=en",
        &[],
        StatusCode::CONFLICT,
        "has not opened yet",
    )
    .await;
    // Opened once only.
    let a = env
        .post(&secretariat, "/rounds/msf-short/open?lang=en", &[])
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    env.refused(
        &convener,
        "/rounds/msf-short/open?lang=en",
        &[],
        StatusCode::CONFLICT,
        "is open already",
    )
    .await;
    // A choice that is not one, and no choice at all.
    for choice in [("choice", "maybe"), ("reason", "")] {
        env.refused(
            &member,
            "/rounds/msf-short/votes?lang=en",
            &[choice],
            StatusCode::BAD_REQUEST,
            "Choose agree, abstain, disagree or block.",
        )
        .await;
    }
    // In Chinese, the missing reason is said in Chinese.
    let page = env
        .refused(
            &member,
            "/rounds/msf-short/votes?lang=zh-TW",
            &[("choice", "disagree")],
            StatusCode::BAD_REQUEST,
            "不同意或否決時必須說明理由",
        )
        .await;
    assert!(page.contains("value=\"disagree\" required checked"));

    // Unknown rounds are 404 pages, for reading and for every form.
    for path in ["/rounds/no-such-round", "/rounds/NOT%20A%20NAME"] {
        let page = env.get(None, path).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{path}");
        assert!(page.body.contains("<!DOCTYPE html>"));
    }
    for action in ["open", "votes", "close", "minutes"] {
        env.refused(
            &convener,
            &format!("/rounds/no-such-round/{action}?lang=en"),
            &[("choice", "agree"), ("text", "x")],
            StatusCode::NOT_FOUND,
            "no round &quot;no-such-round&quot;",
        )
        .await;
    }
    // Corrections of minutes that were never published.
    env.refused(
        &member,
        "/rounds/msf-short/correction?lang=en",
        &[("title", "更正"), ("text", "# 紀錄\n")],
        StatusCode::CONFLICT,
        "has no published minutes to correct",
    )
    .await;
}
