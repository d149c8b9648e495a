//! Forum rounds through HTTP on a real port, with the demo's 16 forum members: schedule, open
//! (the candidate pinned while `main` moves on), vote, change a vote, close with and without
//! consensus, quorum edge cases, every bad input refused with nothing written, the minutes'
//! correction window, and what a plain `git clone`, `git show` and `codraft check` see.

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use reqwest::StatusCode;
use serde_json::{json, Value};

use codraft::auth::{Accounts, NewUser, Role, Sector};
use codraft::doc::Forum;
use codraft::workflow::setup;

const C04_PATH: &str = "commitments/c04-information-access/zh-TW.md";

/// The demo forum's members by sector (ids are account ids), in members.toml order.
const GOV: [&str; 8] = [
    "mingche-chou",
    "yating-huang",
    "chihwei-hsu",
    "tsunghan-tsai",
    "shufen-kuo",
    "chienhung-wu",
    "peichun-yang",
    "chiahao-cheng",
];
const NGO: [&str; 8] = [
    "pohan-chen",
    "yian-liu",
    "kaiwen-chang",
    "chiaying-li",
    "kuanyu-lin",
    "wenchieh-su",
    "hsinyi-ho",
    "yachi-chung",
];

struct Env {
    dir: tempfile::TempDir,
    base: String,
    client: reqwest::Client,
    tok: HashMap<String, String>,
}

impl Env {
    /// The demo plan served on a real port; an API token for every demo member (their demo
    /// roles), the secretariat, a drafter who is not in the forum, and a public reader.
    async fn new() -> Env {
        let dir = common::demo_dir();
        let accounts = Accounts::open(dir.path()).unwrap();
        let members = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("demo/forum/members.toml"),
        )
        .unwrap();
        let mut new_users =
            codraft::auth::demo::accounts_for(&Forum::parse(&members).unwrap()).unwrap();
        for (id, roles) in [
            ("outsider", vec![Role::Drafter]),
            ("reader", vec![Role::Public]),
        ] {
            new_users.push(NewUser {
                id: id.into(),
                name: format!("{id} 名"),
                email: Some(format!("{id}@example.org")),
                sector: Sector::CivilSociety,
                roles: roles.into_iter().collect(),
                commitments: Default::default(),
                agency: None,
                password: None,
            });
        }
        let mut tok = HashMap::new();
        for mut u in new_users {
            u.password = None; // no password hashing: the tests use tokens
            let id = u.id.clone();
            let (_, token) = accounts.add_user(u).unwrap();
            tok.insert(id, token);
        }
        let base = common::start_server(dir.path()).await;
        Env {
            dir,
            base,
            client: reqwest::Client::new(),
            tok,
        }
    }

    fn repo(&self) -> PathBuf {
        setup::repo_path(self.dir.path())
    }

    fn git(&self, args: &[&str]) -> String {
        common::git(&self.repo(), args)
    }

    /// Every ref and where it points: equal before and after a refused request.
    fn refs(&self) -> String {
        self.git(&["for-each-ref", "--format=%(refname) %(objectname)"])
    }

    async fn call(
        &self,
        who: Option<&str>,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let url = format!("{}{path}", self.base);
        let mut req = match method {
            "GET" => self.client.get(&url),
            _ => self.client.post(&url),
        };
        if let Some(who) = who {
            req = req.bearer_auth(&self.tok[who]);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.unwrap();
        let status = res.status();
        let text = res.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    async fn get(&self, name: &str) -> Value {
        let (s, v) = self
            .call(None, "GET", &format!("/api/rounds/{name}"), None)
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        v
    }

    async fn schedule(&self, who: &str, name: &str, days_ahead: i64) -> Value {
        let (s, v) = self
            .call(
                Some(who),
                "POST",
                "/api/rounds",
                Some(json!({
                    "name": name,
                    "title": format!("推動小組會議 {name}"),
                    "date": date_in(days_ahead),
                    "place": "國家發展委員會 第一會議室",
                    "agenda": "1. 上次會議結論辦理情形\n2. 承諾事項修正案",
                })),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        v
    }

    async fn open(&self, who: &str, name: &str) -> Value {
        let (s, v) = self
            .call(Some(who), "POST", &format!("/api/rounds/{name}/open"), None)
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        v
    }

    async fn vote(&self, who: &str, name: &str, choice: &str, reason: &str) -> Value {
        let (s, v) = self
            .call(
                Some(who),
                "POST",
                &format!("/api/rounds/{name}/votes"),
                Some(json!({ "choice": choice, "reason": reason })),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{who} {choice}: {v}");
        v
    }

    async fn close(&self, who: &str, name: &str) -> Value {
        let (s, v) = self
            .call(
                Some(who),
                "POST",
                &format!("/api/rounds/{name}/close"),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        v
    }

    /// A request that must be refused with `status` and `code`, writing nothing.
    async fn refused(
        &self,
        who: Option<&str>,
        path: &str,
        body: Option<Value>,
        status: StatusCode,
        code: &str,
    ) {
        let before = self.refs();
        let (s, v) = self.call(who, "POST", path, body.clone()).await;
        assert_eq!(
            (s, v["error"]["code"].as_str()),
            (status, Some(code)),
            "{path} {body:?}: {v}"
        );
        assert!(!v["error"]["message"].as_str().unwrap().is_empty(), "{v}");
        assert_eq!(self.refs(), before, "{path} {body:?} wrote something");
    }

    /// Commits a change to `main` from outside codraft: a clone, a commit, a push.
    fn push_to_main(&self, path: &str, from: &str, to: &str, message: &str) -> String {
        let tmp = tempfile::tempdir().unwrap();
        let clone = common::clone(self.dir.path(), tmp.path());
        let file = clone.join(path);
        let text = std::fs::read_to_string(&file).unwrap();
        assert_eq!(text.matches(from).count(), 1, "{from} in {path}");
        std::fs::write(&file, text.replacen(from, to, 1)).unwrap();
        common::git(&clone, &["commit", "-qam", message]);
        common::git(&clone, &["push", "-q", "origin", "main"]);
        common::git(&clone, &["rev-parse", "HEAD"])
            .trim()
            .to_string()
    }
}

/// The date `days` from today (UTC), `YYYY-MM-DD`.
fn date_in(days: i64) -> String {
    let t = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24 * days);
    t.to_zoned(jiff::tz::TimeZone::UTC).date().to_string()
}

fn codraft(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_codraft"))
        .args(args)
        .output()
        .unwrap()
}

fn tally(round: &Value, sector: &str) -> Value {
    round["consensus"]["tally"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["sector"] == sector)
        .unwrap()
        .clone()
}

#[tokio::test]
async fn a_round_reaches_consensus_on_the_commit_pinned_while_main_moves_on() {
    let env = Env::new().await;
    let main_before = env.git(&["rev-parse", "main"]).trim().to_string();

    // The secretariat schedules the round a month ahead: no warning; it is listed at once.
    let r = env.schedule("secretariat", "2021-04", 30).await;
    assert_eq!(r["state"], "scheduled");
    assert_eq!(r["candidate"], "main");
    assert_eq!(r["commit"], Value::Null);
    assert_eq!(r["consensus"], Value::Null);
    assert_eq!(r["warnings"], json!([]));
    assert_eq!(r["roll"].as_array().unwrap().len(), 16);
    assert_eq!(r["conveners"], json!(["周明哲", "陳柏翰", "劉怡安"]));
    let (_, list) = env.call(None, "GET", "/api/rounds", None).await;
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["2021-04", "msf-2", "msf-1"], "newest meeting first");
    assert_eq!(
        env.git(&["log", "-1", "--format=%an|%s", "records"]),
        "國家發展委員會 秘書處|Round 2021-04 scheduled: 推動小組會議 2021-04 (".to_string()
            + &date_in(30)
            + ")\n"
    );

    // A round announced three days ahead (the plan asks for 14), with no place: warnings.
    let (s, soon) = env
        .call(
            Some("mingche-chou"),
            "POST",
            "/api/rounds",
            Some(json!({"name": "soon", "title": "臨時會議", "date": date_in(3)})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{soon}");
    assert_eq!(
        soon["warnings"][0],
        json!({"code": "short_notice", "days_ahead": 3, "notice_days": 14,
               "message": "announced 3 day(s) before the meeting; the plan asks for 14"})
    );
    assert_eq!(soon["warnings"][1]["code"], "no_place");

    // Scheduled rounds are on the timeline with the demo's two tagged ones.
    let (_, timeline) = env.call(None, "GET", "/api/timeline", None).await;
    let states: Vec<(&str, &str)> = timeline["rounds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["name"].as_str().unwrap(), r["state"].as_str().unwrap()))
        .collect();
    assert_eq!(
        states,
        [
            ("msf-1", "approved"),
            ("msf-2", "approved"),
            ("soon", "scheduled"),
            ("2021-04", "scheduled")
        ],
        "{timeline}"
    );

    // A co-convener opens the vote: the candidate is pinned to main as it is now.
    let r = env.open("pohan-chen", "2021-04").await;
    assert_eq!(r["state"], "voting");
    assert_eq!(r["commit"], main_before);
    assert_eq!(r["opened_by"], "pohan-chen");

    // Members vote; meanwhile main moves on (a push from outside codraft).
    for id in &GOV[..6] {
        env.vote(id, "2021-04", "agree", "").await;
    }
    let moved = env.push_to_main(
        C04_PATH,
        "常有從寬限制公開之情形",
        "常有從寬限制公開而未說明理由之情形",
        "A change after the vote opened",
    );
    assert_ne!(moved, main_before);
    env.vote("peichun-yang", "2021-04", "abstain", "").await;
    for id in NGO[..3].iter().chain(&NGO[4..7]) {
        env.vote(id, "2021-04", "agree", "").await;
    }
    let v = env
        .vote(
            "chiaying-li",
            "2021-04",
            "disagree",
            "承諾4之指標仍未納入機關承辦人員之意見。",
        )
        .await;
    assert_eq!(
        v["commit"], main_before,
        "the vote is about the pinned commit"
    );
    assert_eq!(v["sector"], "civil_society");

    let r = env.get("2021-04").await;
    assert_eq!(r["commit"], main_before);
    assert_eq!(r["consensus"]["reached"], true, "{r}");
    assert_eq!(tally(&r, "government")["agree"], 6);
    assert_eq!(tally(&r, "government")["abstain"], 1);
    assert_eq!(tally(&r, "government")["not_voted"], 1);
    assert_eq!(tally(&r, "civil_society")["disagree"], 1);
    assert_eq!(tally(&r, "civil_society")["need"], 4);
    let codes: Vec<&str> = r["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["candidate_moved"]);

    // A co-convener closes it: consensus, tagged on the pinned commit, not on main.
    let r = env.close("yian-liu", "2021-04").await;
    assert_eq!(r["state"], "closed");
    assert_eq!(r["outcome"], "consensus");
    assert_eq!(r["tag"], "rounds/2021-04");
    assert_eq!(env.git(&["cat-file", "-t", "rounds/2021-04"]).trim(), "tag");
    assert_eq!(
        env.git(&["rev-parse", "rounds/2021-04^{commit}"]).trim(),
        main_before
    );
    assert_eq!(env.git(&["rev-parse", "main"]).trim(), moved);
    let shown = env.git(&["show", "--no-patch", "rounds/2021-04"]);
    assert!(
        shown.contains("Tagger: 劉怡安 <yian.liu@example.org>"),
        "{shown}"
    );
    assert!(shown.contains("Outcome: consensus"), "{shown}");
    assert!(shown.contains(&format!("Commit: {main_before}")), "{shown}");
    assert!(
        shown.contains("- 周明哲 (mingche-chou, government): agree"),
        "{shown}"
    );
    assert!(
        shown.contains("- 李佳穎 (chiaying-li, civil_society): disagree\n  Reason: 承諾4之指標仍未納入機關承辦人員之意見。"),
        "{shown}"
    );
    assert!(
        shown.contains("- 鄭家豪 (chiahao-cheng, government): no vote"),
        "{shown}"
    );
    assert!(
        shown.contains("Conveners: 周明哲 (convener, government); 陳柏翰 (co-convener, civil_society); 劉怡安 (co-convener, civil_society)"),
        "{shown}"
    );

    // Closed: no more votes, no second close, and the tag never moves.
    env.refused(
        Some("chiahao-cheng"),
        "/api/rounds/2021-04/votes",
        Some(json!({"choice": "agree"})),
        StatusCode::CONFLICT,
        "round_closed",
    )
    .await;
    env.refused(
        Some("mingche-chou"),
        "/api/rounds/2021-04/close",
        None,
        StatusCode::CONFLICT,
        "round_closed",
    )
    .await;
    env.refused(
        Some("mingche-chou"),
        "/api/rounds/2021-04/open",
        None,
        StatusCode::CONFLICT,
        "round_closed",
    )
    .await;

    // A plain clone has the tags and the records; git show works there too; check is happy.
    let tmp = tempfile::tempdir().unwrap();
    let clone = common::clone(env.dir.path(), tmp.path());
    let tags = common::git(&clone, &["tag", "-l", "rounds/*"]);
    // (the round "soon" is only scheduled: no tag)
    assert_eq!(tags, "rounds/2021-04\nrounds/msf-1\nrounds/msf-2\n");
    let shown = common::git(&clone, &["show", "--no-patch", "rounds/2021-04"]);
    assert!(shown.contains("Reason: 承諾4之指標"), "{shown}");
    let votes = common::git(
        &clone,
        &[
            "ls-tree",
            "--name-only",
            "origin/records",
            "rounds/2021-04/votes/",
        ],
    );
    assert_eq!(votes.lines().count(), 14, "{votes}");
    for path in [env.dir.path(), clone.as_path()] {
        let out = codraft(&["check", path.to_str().unwrap()]);
        assert!(
            out.status.success(),
            "{}: {}",
            path.display(),
            String::from_utf8_lossy(&out.stdout)
        );
    }
}

#[tokio::test]
async fn a_block_closes_the_round_without_consensus_no_tag_votes_kept() {
    let env = Env::new().await;
    env.schedule("mingche-chou", "blocked", 20).await;
    env.open("mingche-chou", "blocked").await;
    for id in GOV.iter().chain(&NGO[..7]) {
        env.vote(id, "blocked", "agree", "").await;
    }
    env.vote(
        "yachi-chung",
        "blocked",
        "block",
        "承諾12之修正未經原住民族團體討論。",
    )
    .await;
    let r = env.get("blocked").await;
    assert_eq!(r["consensus"]["reached"], false);
    assert_eq!(
        r["consensus"]["blocks"],
        json!([{"member": "yachi-chung", "name": "鍾雅琪", "sector": "civil_society"}])
    );
    assert_eq!(tally(&r, "civil_society")["agree"], 7);

    let before_tags = env.git(&["tag", "-l"]);
    let r = env.close("mingche-chou", "blocked").await;
    assert_eq!(r["state"], "closed");
    assert_eq!(r["outcome"], "no_consensus");
    assert_eq!(r["tag"], Value::Null);
    assert_eq!(env.git(&["tag", "-l"]), before_tags, "no tag");
    assert_eq!(
        r["votes"].as_array().unwrap().len(),
        16,
        "the votes are kept"
    );
    let block = r["votes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["member"] == "yachi-chung")
        .unwrap();
    assert_eq!(block["choice"], "block");
    assert_eq!(block["reason"], "承諾12之修正未經原住民族團體討論。");
    let log = env.git(&["log", "-1", "--format=%an%n%B", "records"]);
    assert!(
        log.starts_with("周明哲\nRound blocked closed without consensus"),
        "{log}"
    );
    assert!(log.contains("鍾雅琪 (civil_society) blocks"), "{log}");
    // The name stays taken.
    env.refused(
        Some("mingche-chou"),
        "/api/rounds",
        Some(json!({"name": "blocked", "title": "再議", "date": date_in(30)})),
        StatusCode::CONFLICT,
        "round_exists",
    )
    .await;
    let out = codraft(&["check", env.dir.path().to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[tokio::test]
async fn quorum_exactly_met_reaches_consensus_one_short_does_not() {
    let env = Env::new().await;
    // Exactly half of each sector agrees (4 of 8, the default quorum 0.5); the rest abstain
    // or do not vote.
    env.schedule("mingche-chou", "exact", 20).await;
    env.open("mingche-chou", "exact").await;
    for id in GOV[..4].iter().chain(&NGO[..4]) {
        env.vote(id, "exact", "agree", "").await;
    }
    for id in [GOV[4], NGO[4], NGO[5]] {
        env.vote(id, "exact", "abstain", "").await;
    }
    let r = env.get("exact").await;
    assert_eq!(r["consensus"]["reached"], true, "{}", r["consensus"]);
    let r = env.close("pohan-chen", "exact").await;
    assert_eq!(r["outcome"], "consensus");
    assert!(env
        .git(&["tag", "-l", "rounds/exact"])
        .contains("rounds/exact"));

    // One civil-society agree short: no consensus, whatever the government's surplus.
    env.schedule("mingche-chou", "short", 20).await;
    env.open("mingche-chou", "short").await;
    for id in GOV.iter().chain(&NGO[..3]) {
        env.vote(id, "short", "agree", "").await;
    }
    env.vote(NGO[3], "short", "disagree", "理由").await;
    let r = env.get("short").await;
    assert_eq!(r["consensus"]["reached"], false);
    assert_eq!(tally(&r, "civil_society")["quorum_met"], false);
    assert_eq!(tally(&r, "government")["quorum_met"], true);
    let r = env.close("pohan-chen", "short").await;
    assert_eq!(r["outcome"], "no_consensus");
    assert_eq!(env.git(&["tag", "-l", "rounds/short"]), "");
}

#[tokio::test]
async fn a_vote_changes_until_the_round_closes_and_git_keeps_every_version() {
    let env = Env::new().await;
    env.schedule("mingche-chou", "change", 20).await;
    env.open("mingche-chou", "change").await;
    env.vote("kaiwen-chang", "change", "disagree", "第一版理由")
        .await;
    env.vote("kaiwen-chang", "change", "agree", "").await;
    // The same vote again writes nothing.
    let records = env.git(&["rev-parse", "records"]);
    env.vote("kaiwen-chang", "change", "agree", "").await;
    assert_eq!(env.git(&["rev-parse", "records"]), records);

    let r = env.get("change").await;
    let mine: Vec<&Value> = r["votes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["member"] == "kaiwen-chang")
        .collect();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0]["choice"], "agree", "the latest vote counts");

    // One file, two versions in git, each authored by the voter.
    let path = "rounds/change/votes/kaiwen-chang.toml";
    let log = env.git(&["log", "--format=%an|%s", "records", "--", path]);
    assert_eq!(
        log,
        "張凱文|Round change: 張凱文 votes agree\n張凱文|Round change: 張凱文 votes disagree\n"
    );
    let first = env.git(&["show", &format!("records~1:{path}")]);
    assert!(
        first.contains("choice = \"disagree\"") && first.contains("第一版理由"),
        "{first}"
    );

    for id in GOV[..4].iter().chain(&NGO[..4]) {
        env.vote(id, "change", "agree", "").await;
    }
    env.close("yian-liu", "change").await;
    let shown = env.git(&["show", "--no-patch", "rounds/change"]);
    assert!(
        shown.contains("- 張凱文 (kaiwen-chang, civil_society): agree\n"),
        "{shown}"
    );
    assert!(!shown.contains("第一版理由"), "{shown}");
}

#[tokio::test]
async fn every_bad_input_gets_its_error_and_writes_nothing() {
    let env = Env::new().await;
    let ok = |name: &str| json!({"name": name, "title": "會議", "date": date_in(20)});
    let with = |field: &str, value: Value| {
        let mut b = ok("good-name");
        b[field] = value;
        b
    };
    use StatusCode as S;
    let sched = "/api/rounds";
    let c = Some("mingche-chou");
    // Scheduling.
    for name in [
        "Bad Name",
        "-x",
        "x-",
        "a/b",
        "回合",
        &"x".repeat(65),
        "",
        "new",
        "compare",
    ] {
        env.refused(
            c,
            sched,
            Some(with("name", json!(name))),
            S::BAD_REQUEST,
            "bad_name",
        )
        .await;
    }
    for date in [
        "2021-13-01",
        "tomorrow",
        "2021-02-30",
        "2000-01-01",
        "2030-1-1",
    ] {
        env.refused(
            c,
            sched,
            Some(with("date", json!(date))),
            S::BAD_REQUEST,
            "bad_date",
        )
        .await;
    }
    env.refused(
        c,
        sched,
        Some(with("title", json!(" "))),
        S::BAD_REQUEST,
        "missing_field",
    )
    .await;
    env.refused(
        c,
        sched,
        Some(with("link", json!("javascript:alert(1)"))),
        S::BAD_REQUEST,
        "bad_link",
    )
    .await;
    env.refused(
        c,
        sched,
        Some(with("candidate", json!("main~1"))),
        S::BAD_REQUEST,
        "bad_ref",
    )
    .await;
    env.refused(
        c,
        sched,
        Some(with("candidate", json!("no-such-branch"))),
        S::BAD_REQUEST,
        "bad_ref",
    )
    .await;
    env.refused(
        c,
        sched,
        Some(with("extra", json!(1))),
        S::BAD_REQUEST,
        "bad_json",
    )
    .await;
    env.refused(None, sched, Some(ok("x")), S::UNAUTHORIZED, "unauthorized")
        .await;
    for who in ["kaiwen-chang", "outsider", "reader"] {
        env.refused(
            Some(who),
            sched,
            Some(ok("x")),
            S::FORBIDDEN,
            "not_convener",
        )
        .await;
    }
    env.refused(c, sched, Some(ok("msf-1")), S::CONFLICT, "round_exists")
        .await;
    // A tag of that name exists already (pushed by someone): the name cannot be used.
    env.git(&["tag", "rounds/taken", "main"]);
    env.refused(c, sched, Some(ok("taken")), S::CONFLICT, "tag_exists")
        .await;

    // Unknown rounds.
    let (s, v) = env.call(None, "GET", "/api/rounds/nope", None).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (S::NOT_FOUND, Some("not_found"))
    );
    env.refused(c, "/api/rounds/nope/open", None, S::NOT_FOUND, "not_found")
        .await;
    env.refused(c, "/api/rounds/nope/close", None, S::NOT_FOUND, "not_found")
        .await;
    env.refused(
        c,
        "/api/rounds/nope/votes",
        Some(json!({"choice": "agree"})),
        S::NOT_FOUND,
        "not_found",
    )
    .await;
    env.refused(
        c,
        "/api/rounds/nope/minutes",
        Some(json!({"text": "紀錄"})),
        S::NOT_FOUND,
        "not_found",
    )
    .await;

    // Before the vote opens.
    env.schedule("mingche-chou", "r", 20).await;
    let votes = "/api/rounds/r/votes";
    env.refused(
        Some("kaiwen-chang"),
        votes,
        Some(json!({"choice": "agree"})),
        S::CONFLICT,
        "vote_not_open",
    )
    .await;
    env.refused(c, "/api/rounds/r/close", None, S::CONFLICT, "vote_not_open")
        .await;
    for who in ["kaiwen-chang", "outsider"] {
        env.refused(
            Some(who),
            "/api/rounds/r/open",
            None,
            S::FORBIDDEN,
            "not_convener",
        )
        .await;
    }

    // While voting.
    env.open("secretariat", "r").await;
    env.refused(c, "/api/rounds/r/open", None, S::CONFLICT, "vote_open")
        .await;
    env.refused(
        Some("kaiwen-chang"),
        votes,
        Some(json!({"choice": "yes"})),
        S::BAD_REQUEST,
        "bad_choice",
    )
    .await;
    env.refused(
        Some("kaiwen-chang"),
        votes,
        Some(json!({"choice": "disagree"})),
        S::BAD_REQUEST,
        "reason_required",
    )
    .await;
    env.refused(
        Some("kaiwen-chang"),
        votes,
        Some(json!({"choice": "block", "reason": "  \n"})),
        S::BAD_REQUEST,
        "reason_required",
    )
    .await;
    env.refused(
        Some("kaiwen-chang"),
        votes,
        Some(json!({"choice": "agree", "reason": "a\u{7}b"})),
        S::BAD_REQUEST,
        "bad_text",
    )
    .await;
    for who in ["secretariat", "outsider", "reader"] {
        env.refused(
            Some(who),
            votes,
            Some(json!({"choice": "agree"})),
            S::FORBIDDEN,
            "not_member",
        )
        .await;
    }
    env.refused(
        None,
        votes,
        Some(json!({"choice": "agree"})),
        S::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    // Closing is for conveners only: not a member, not the secretariat.
    for who in ["kaiwen-chang", "secretariat"] {
        env.refused(
            Some(who),
            "/api/rounds/r/close",
            None,
            S::FORBIDDEN,
            "not_convener",
        )
        .await;
    }
    // The round's tag name was taken meanwhile (a push): closing with consensus is refused,
    // nothing written, the pushed tag untouched.
    for id in GOV[..4].iter().chain(&NGO[..4]) {
        env.vote(id, "r", "agree", "").await;
    }
    env.git(&["tag", "rounds/r", "main~1"]);
    env.refused(c, "/api/rounds/r/close", None, S::CONFLICT, "tag_exists")
        .await;
    assert_eq!(env.get("r").await["state"], "voting");

    // Closed rounds.
    for (path, body) in [
        ("/api/rounds/msf-1/votes", Some(json!({"choice": "agree"}))),
        ("/api/rounds/msf-1/open", None),
        ("/api/rounds/msf-1/close", None),
    ] {
        env.refused(c, path, body, S::CONFLICT, "round_closed")
            .await;
    }
    // Minutes.
    let minutes = "/api/rounds/r/minutes";
    env.refused(
        c,
        minutes,
        Some(json!({"text": " "})),
        S::BAD_REQUEST,
        "missing_field",
    )
    .await;
    env.refused(
        Some("kaiwen-chang"),
        minutes,
        Some(json!({"text": "紀錄"})),
        S::FORBIDDEN,
        "not_convener",
    )
    .await;
    env.refused(
        c,
        "/api/rounds/msf-1/minutes",
        Some(json!({"text": "紀錄"})),
        S::CONFLICT,
        "minutes_exist",
    )
    .await;
}

#[tokio::test]
async fn minutes_may_be_corrected_by_proposal_during_the_window_and_not_after() {
    let env = Env::new().await;
    env.schedule("mingche-chou", "m1", 20).await;
    let text = "# 第3次會議紀錄\n\n一、出席：委員16人。\n二、決議：照案通過。\n";
    let (s, r) = env
        .call(
            Some("secretariat"),
            "POST",
            "/api/rounds/m1/minutes",
            Some(json!({ "text": text })),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    assert_eq!(r["minutes"]["state"], "draft");
    assert_eq!(r["minutes"]["correction_days"], 10);
    let published = r["minutes_published_at"].as_i64().unwrap();
    assert_eq!(
        r["minutes"]["final_at"].as_i64().unwrap(),
        published + 10 * 86_400
    );
    assert_eq!(env.git(&["show", "main:rounds/m1.md"]), text);
    assert_eq!(
        env.git(&["log", "-1", "--format=%an", "main"]).trim(),
        "國家發展委員會 秘書處"
    );

    // During the window: a forum member proposes a correction; both sectors of the forum
    // approve; it merges.
    let corrected = text.replace("委員16人", "委員15人");
    let doc = |t: &str| json!([{ "minutes": "m1", "text": t }]);
    let (s, p) = env
        .call(
            Some("kaiwen-chang"),
            "POST",
            "/api/proposals",
            Some(json!({ "title": "更正出席人數", "documents": doc(&corrected) })),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    assert_eq!(
        p["touched"],
        json!([{ "commitment": "rounds/m1.md", "added": true }])
    );
    let head = p["head"].as_str().unwrap().to_string();
    for who in ["yating-huang", "pohan-chen"] {
        let (s, v) = env
            .call(
                Some(who),
                "POST",
                "/api/proposals/1/reviews",
                Some(json!({ "verdict": "approve", "head": head })),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
    }
    let (s, v) = env
        .call(Some("kaiwen-chang"), "POST", "/api/proposals/1/merge", None)
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(env.git(&["show", "main:rounds/m1.md"]), corrected);
    // Someone outside the forum may not correct minutes.
    env.refused(
        Some("outsider"),
        "/api/proposals",
        Some(json!({ "title": "x", "documents": doc("改") })),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    // A second correction, opened during the window.
    let (s, p2) = env
        .call(
            Some("chiaying-li"),
            "POST",
            "/api/proposals",
            Some(json!({ "title": "補充決議", "documents": doc(&format!("{corrected}三、散會。\n")) })),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{p2}");
    let head2 = p2["head"].as_str().unwrap().to_string();
    for who in ["yating-huang", "pohan-chen"] {
        env.call(
            Some(who),
            "POST",
            "/api/proposals/2/reviews",
            Some(json!({ "verdict": "approve", "head": head2 })),
        )
        .await;
    }

    // The window ends (the plan's correction_days set to 0 on main, from outside).
    env.push_to_main(
        "plan.toml",
        "correction_days = 10",
        "correction_days = 0",
        "Minutes are final at once",
    );
    assert_eq!(env.get("m1").await["minutes"]["state"], "final");
    // Opening, updating and merging a proposal on the minutes are now refused.
    env.refused(
        Some("kaiwen-chang"),
        "/api/proposals",
        Some(json!({ "title": "再更正", "documents": doc("改") })),
        StatusCode::CONFLICT,
        "minutes_final",
    )
    .await;
    env.refused(
        Some("chiaying-li"),
        "/api/proposals/2/commits",
        Some(json!({ "expected_head": head2, "documents": doc("再改") })),
        StatusCode::CONFLICT,
        "minutes_final",
    )
    .await;
    env.refused(
        Some("chiaying-li"),
        "/api/proposals/2/merge",
        None,
        StatusCode::CONFLICT,
        "minutes_final",
    )
    .await;
    // The demo's minutes are long final; a round without published minutes has none to
    // correct; other paths under rounds/ are not minutes.
    env.refused(
        Some("kaiwen-chang"),
        "/api/proposals",
        Some(json!({ "title": "x", "documents": [{ "minutes": "msf-2", "text": "改" }] })),
        StatusCode::CONFLICT,
        "minutes_final",
    )
    .await;
    env.schedule("mingche-chou", "m2", 20).await;
    env.refused(
        Some("kaiwen-chang"),
        "/api/proposals",
        Some(json!({ "title": "x", "documents": [{ "minutes": "m2", "text": "改" }] })),
        StatusCode::CONFLICT,
        "minutes_not_published",
    )
    .await;
    env.refused(
        Some("kaiwen-chang"),
        "/api/proposals",
        Some(
            json!({ "title": "x", "documents": [{ "minutes": "m1", "lang": "en", "text": "x" }] }),
        ),
        StatusCode::BAD_REQUEST,
        "bad_document",
    )
    .await;
}

#[test]
fn check_reports_round_tags_that_disagree_with_their_votes() {
    let data = common::demo_dir();
    let repo = setup::repo_path(data.path());
    let git = |args: &[&str]| common::git(&repo, args);
    let check = |path: &Path| {
        let out = codraft(&["check", path.to_str().unwrap()]);
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    assert!(check(data.path()).0);

    // A tag made with the git CLI that no round voted for.
    git(&["tag", "-a", "rounds/fake", "-m", "looks official", "main"]);
    // msf-2's tag replaced by one whose message changes a vote.
    let pinned = git(&["rev-parse", "rounds/msf-2^{commit}"]);
    let message = git(&["tag", "-l", "--format=%(contents)", "rounds/msf-2"]);
    let forged = message.replace(
        "- 李佳穎 (chiaying-li, civil_society): disagree",
        "- 李佳穎 (chiaying-li, civil_society): agree",
    );
    assert_ne!(forged, message);
    std::fs::write(data.path().join("forged.txt"), &forged).unwrap();
    git(&[
        "tag",
        "-f",
        "-a",
        "rounds/msf-2",
        "-F",
        data.path().join("forged.txt").to_str().unwrap(),
        pinned.trim(),
    ]);
    // msf-1's tag moved to main as a lightweight tag.
    git(&["tag", "-f", "rounds/msf-1", "main"]);

    let tmp = tempfile::tempdir().unwrap();
    let clone = common::clone(data.path(), tmp.path());
    for path in [data.path(), clone.as_path()] {
        let (ok, out) = check(path);
        assert!(!ok, "{out}");
        assert!(
            out.contains("refs/tags/rounds/fake:1: tag: no round \"fake\" is recorded"),
            "{out}"
        );
        assert!(
            out.contains("refs/tags/rounds/msf-1:1: tag: the tag points at")
                && out.contains("but the round voted on"),
            "{out}"
        );
        assert!(
            out.contains("refs/tags/rounds/msf-1:1: tag: a lightweight tag"),
            "{out}"
        );
        assert!(
            out.contains("tag: the tag message disagrees with the round's recorded votes")
                && out.contains("is \"- 李佳穎 (chiaying-li, civil_society): agree\""),
            "{out}"
        );
        assert_eq!(
            out.lines().filter(|l| l.contains("refs/tags/")).count(),
            4,
            "{out}"
        );
    }

    // A round tag deleted behind codraft's back is reported too.
    git(&["tag", "-d", "rounds/fake", "rounds/msf-1"]);
    let (ok, out) = check(data.path());
    assert!(!ok);
    assert!(
        out.contains("round \"msf-1\" closed with consensus but its tag rounds/msf-1 is missing"),
        "{out}"
    );
}

#[tokio::test]
async fn the_demo_carries_the_forums_first_two_rounds_as_tagged_consensus_versions() {
    let env = Env::new().await;
    let on_main = |summary: &str| {
        let log = env.git(&["log", "--first-parent", "--format=%H %s", "main"]);
        log.lines()
            .find(|l| l.split_once(' ').unwrap().1 == summary)
            .unwrap_or_else(|| panic!("{summary} not on main"))[..40]
            .to_string()
    };
    for (name, after, date, title) in [
        (
            "msf-1",
            "承諾1：公開資料開放諮詢小組名單與會議紀錄",
            "2020-11-20",
            "推動小組第1次會議",
        ),
        (
            "msf-2",
            "承諾11：公開徵詢之意見須逐項回應並公開",
            "2020-12-31",
            "推動小組第2次會議",
        ),
    ] {
        let tag = format!("rounds/{name}");
        assert_eq!(env.git(&["cat-file", "-t", &tag]).trim(), "tag");
        assert_eq!(
            env.git(&["rev-parse", &format!("{tag}^{{commit}}")]).trim(),
            on_main(after),
            "{tag}"
        );
        let tagger = env.git(&[
            "tag",
            "-l",
            "--format=%(taggername) %(taggerdate:iso)",
            &tag,
        ]);
        assert!(tagger.starts_with(&format!("周明哲 {date} ")), "{tagger}");
        assert!(tagger.trim().ends_with("+0800"), "{tagger}");

        let r = env.get(name).await;
        assert_eq!(r["title"], title);
        assert_eq!(r["date"], date);
        assert_eq!(r["outcome"], "consensus");
        assert_eq!(r["votes"].as_array().unwrap().len(), 16);
        assert_eq!(r["consensus"]["reached"], true);
        assert_eq!(r["minutes"]["state"], "final");
        assert_eq!(r["warnings"], json!([]));
        let minutes = env.git(&["show", &format!("main:rounds/{name}.md")]);
        assert!(
            minutes.starts_with("# 行政院開放政府國家行動方案推動小組第"),
            "{minutes}"
        );
        assert!(minutes.contains(&format!("`{tag}`")), "{minutes}");
    }
    let r = env.get("msf-2").await;
    let disagree: Vec<&Value> = r["votes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["choice"] == "disagree")
        .collect();
    assert_eq!(disagree.len(), 1);
    assert!(disagree[0]["reason"].as_str().unwrap().contains("承諾4"));
    // The changed vote is in the history of the records branch.
    let log = env.git(&[
        "log",
        "--format=%s",
        "records",
        "--",
        "rounds/msf-2/votes/kuanyu-lin.toml",
    ]);
    assert_eq!(
        log,
        "Round msf-2: 林冠宇 votes agree\nRound msf-2: 林冠宇 votes abstain\n"
    );
}
