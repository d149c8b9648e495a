//! The forum page, the rounds on a commitment's page, the diff between two rounds and the
//! timeline, over HTTP on a real port against the demo plan. Round tags are made the way the
//! forum's secretariat (or anyone with push rights) would: with the plain `git` CLI.

mod common;

use common::{assert_error, get_json};

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use reqwest::{header, StatusCode};

use codraft::workflow::setup;

async fn get_page(url: &str) -> (StatusCode, String) {
    let r = reqwest::get(url).await.unwrap();
    let status = r.status();
    assert!(
        r.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html"),
        "{url} is not a page"
    );
    (status, r.text().await.unwrap())
}

/// The demo data directory without its round tags (`rounds/msf-1`, `rounds/msf-2`): these
/// tests make their own with the git CLI. (The server itself never deletes a tag.)
fn demo_without_rounds() -> tempfile::TempDir {
    let dir = common::demo_dir();
    let repo = setup::repo_path(dir.path());
    let tags = common::git(&repo, &["tag", "--list", "rounds/*"]);
    let tags: Vec<&str> = tags.lines().collect();
    assert_eq!(tags, ["rounds/msf-1", "rounds/msf-2"], "the demo's rounds");
    let mut args = vec!["tag", "-d"];
    args.extend(tags);
    common::git(&repo, &args);
    dir
}

/// An annotated tag made with the git CLI in the bare repository, closed at `date`.
fn tag(repo: &Path, name: &str, commit: &str, message: &str, date: &str) {
    let out = Command::new("git")
        .args(["tag", "-a", name, "-m", message, commit])
        .current_dir(repo)
        .env("GIT_COMMITTER_NAME", "秘書處")
        .env("GIT_COMMITTER_EMAIL", "secretariat@ndc.example.gov.tw")
        .env("GIT_COMMITTER_DATE", date)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", repo)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git tag: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The commit on `main` whose message starts with `summary`.
fn commit_with(repo: &Path, summary: &str) -> String {
    let log = common::git(repo, &["log", "--format=%H %s", "main"]);
    log.lines()
        .find_map(|l| {
            let (id, s) = l.split_once(' ')?;
            s.starts_with(summary).then(|| id.to_string())
        })
        .unwrap_or_else(|| panic!("no commit \"{summary}\" on main"))
}

/// Edits `path` in a clone (`find` → `replace`, once), commits and pushes to `main`.
fn push_edit(data: &Path, scratch: &Path, path: &str, find: &str, replace: &str, message: &str) {
    let clone = scratch.join("clone");
    if !clone.exists() {
        common::clone(data, scratch);
    } else {
        common::git(&clone, &["pull", "-q", "--ff-only"]);
    }
    let file = clone.join(path);
    let text = std::fs::read_to_string(&file).unwrap();
    assert_eq!(text.matches(find).count(), 1, "{find} in {path}");
    std::fs::write(&file, text.replacen(find, replace, 1)).unwrap();
    common::git(&clone, &["commit", "-q", "-am", message]);
    common::git(&clone, &["push", "-q", "origin", "main"]);
}

/// The ids in a plan diff's summary list (`<a href="#diff-ID">`).
fn summary_ids(html: &str) -> BTreeSet<String> {
    let nav = html
        .split("class=\"diff-summary\"")
        .nth(1)
        .and_then(|rest| rest.split("</nav>").next())
        .unwrap_or("");
    nav.split("href=\"#diff-")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .map(str::to_string)
        .collect()
}

/// The demo with three round tags: `kickoff` on the first import, `msf-1` after commitment
/// 11's change of 2020-12-17, `msf-2` after commitment 1's change of 2021-01-19 (commitments
/// 1 and 4 changed between `msf-1` and `msf-2`); `main` has moved on since (commitment 11 on
/// 2021-03-10, …).
fn tag_rounds(repo: &Path) {
    let import = commit_with(repo, "匯入各機關提出之承諾事項初稿");
    let first = commit_with(repo, "承諾11：公開徵詢之意見須逐項回應並公開");
    let second = commit_with(repo, "承諾1：高應用價值資料之公眾徵詢程序先與民間共同研議");
    // Named so that name order and date order differ.
    tag(
        repo,
        "rounds/zz-kickoff",
        &import,
        "籌備會議：確認承諾事項初稿格式",
        "2020-11-05T14:00:00+08:00",
    );
    tag(
        repo,
        "rounds/msf-1",
        &first,
        "第一次論壇會議：通過承諾事項初稿\n\n政府 8 票同意、民間 8 票同意。",
        "2020-12-20T17:00:00+08:00",
    );
    tag(
        repo,
        "rounds/msf-2",
        &second,
        "第二次論壇會議",
        "2021-01-25T16:30:00+08:00",
    );
}

#[tokio::test]
async fn forum_page_shows_both_sectors_rules_and_the_history_of_its_files() {
    let dir = demo_without_rounds();
    let scratch = tempfile::tempdir().unwrap();
    // A change to the members and to the rules, pushed with plain git.
    push_edit(
        dir.path(),
        scratch.path(),
        "forum/members.toml",
        "organization = \"行政院\"",
        "organization = \"行政院（秘書長）\"",
        "論壇：更新召集人之所屬單位",
    );
    push_edit(
        dir.path(),
        scratch.path(),
        "forum/rules.md",
        "1. 論壇由政府與民間代表各半組成",
        "<script>alert(1)</script>\n\n1. 論壇由政府與民間代表各半組成",
        "論壇規範：測試",
    );
    let base = common::start_server(dir.path()).await;

    let (status, html) = get_page(&format!("{base}/forum?lang=zh-TW")).await;
    assert_eq!(status, StatusCode::OK);
    for expected in [
        "多元利害關係人論壇",
        ">政府 <",
        ">民間 <",
        "周明哲",
        "召集人",
        "共同召集人",
        "陳柏翰",
        "臺灣開放治理聯盟",
        "行政院（秘書長）",
        // working groups link to their commitments, with titles
        "href=\"/commitments/c01-open-data-framework\"",
        "完備政府資料開放與再利用制度",
        // the rules, rendered and sanitized
        "論壇運作規範",
        "論壇由政府與民間代表各半組成",
        // the history: the demo's import replaced the template's members, then our two pushes
        "論壇：更新召集人之所屬單位",
        "論壇規範：測試",
        "匯入各機關提出之承諾事項初稿",
        "forum/members.toml",
        "href=\"/forum\"",
        "href=\"/timeline\"",
    ] {
        assert!(html.contains(expected), "{expected} missing from /forum");
    }
    assert!(!html.contains("<script>alert"), "the rules are sanitized");
    let government = html.find("id=\"sector-government\"").unwrap();
    let civil = html.find("id=\"sector-civil_society\"").unwrap();
    assert!(government < civil);
    assert!(
        html[government..civil].contains("周明哲") && html[civil..].contains("陳柏翰"),
        "members are under their sector"
    );

    // English UI strings.
    let (_, en) = get_page(&format!("{base}/forum?lang=en")).await;
    for expected in [
        "Multi-stakeholder forum",
        "Government",
        "Civil society",
        "Convener",
        "Co-convener",
        "Operating rules",
        "History of members and rules",
        "Working groups",
    ] {
        assert!(
            en.contains(expected),
            "{expected} missing from /forum?lang=en"
        );
    }
    // (the rules are a document, in the language they are written in; the UI is not)
    assert!(!en.contains("成員與規範的修訂歷程") && !en.contains("參與工作分組"));

    // The JSON twin: the newest change first, each with the files it changed.
    let (status, forum) = get_json(&format!("{base}/api/forum")).await;
    assert_eq!(status, StatusCode::OK);
    let sectors: Vec<&str> = forum["sectors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["sector"].as_str().unwrap())
        .collect();
    assert_eq!(sectors, ["government", "civil_society"]);
    let gov = &forum["sectors"][0]["members"];
    assert_eq!(gov[0]["name"], "周明哲");
    assert_eq!(gov[0]["role"], "convener");
    assert_eq!(gov[0]["working_groups"][0]["id"], "c01-open-data-framework");
    assert_eq!(gov[0]["working_groups"][0]["number"], 1);
    assert_eq!(forum["sectors"][1]["members"][0]["role"], "co-convener");
    assert!(forum["rules"]["markdown"]
        .as_str()
        .unwrap()
        .contains("論壇由政府與民間代表各半組成"));
    assert!(forum["rules"].get("html").is_none());
    let history = forum["history"].as_array().unwrap();
    let summaries: Vec<&str> = history
        .iter()
        .map(|c| c["summary"].as_str().unwrap())
        .collect();
    assert_eq!(summaries[0], "論壇規範：測試");
    assert_eq!(summaries[1], "論壇：更新召集人之所屬單位");
    assert!(summaries.contains(&"匯入各機關提出之承諾事項初稿"));
    assert_eq!(history[0]["files"], serde_json::json!(["forum/rules.md"]));
    assert_eq!(
        history[1]["files"],
        serde_json::json!(["forum/members.toml"])
    );
    assert!(
        history
            .iter()
            .all(|c| !c["files"].as_array().unwrap().is_empty()),
        "every entry changed a forum file"
    );
    // Only commits that touched forum/: no commitment edit is listed.
    assert!(!summaries.iter().any(|s| s.starts_with("承諾")));

    // The change, line by line, and the page for it.
    let members_change = history[1]["id"].as_str().unwrap();
    let (status, change) = get_json(&format!("{base}/api/forum/changes/{members_change}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(change["files"][0]["path"], "forum/members.toml");
    assert_eq!(change["files"][0]["status"], "changed");
    let lines: Vec<(String, String)> = change["files"][0]["diff"]["hunks"][0]["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["kind"].as_str().unwrap().to_string(),
                l["text"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(lines.contains(&("delete".into(), "organization = \"行政院\"".into())));
    assert!(lines.contains(&(
        "insert".into(),
        "organization = \"行政院（秘書長）\"".into()
    )));
    assert_eq!(change["files"][0]["diff"]["inserted"], 1);
    assert_eq!(change["files"][0]["diff"]["deleted"], 1);
    assert!(html.contains(&format!("href=\"/forum/changes/{members_change}\"")));
    let (status, page) = get_page(&format!("{base}/forum/changes/{members_change}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("<del>organization = &quot;行政院&quot;</del>"));
    assert!(page.contains("<ins>organization = &quot;行政院（秘書長）&quot;</ins>"));
    assert!(page.contains("論壇：更新召集人之所屬單位"));

    // A commit that changed no forum file; a name that is not a commit.
    let repo = setup::repo_path(dir.path());
    let c11 = commit_with(&repo, "承諾11：修正錯字");
    let (status, body) = get_json(&format!("{base}/api/forum/changes/{c11}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_error(&body, "not_found");
    let (status, body) = get_json(&format!("{base}/api/forum/changes/main~1")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_error(&body, "bad_ref");
    let (status, page) = get_page(&format!("{base}/forum/changes/{c11}?lang=en")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(page.contains("Not found"));
}

#[tokio::test]
async fn commitment_pages_show_the_rounds_that_approved_each_version_and_what_changed_since() {
    let dir = demo_without_rounds();
    let repo = setup::repo_path(dir.path());
    let base = common::start_server(dir.path()).await;

    // No round yet.
    let (status, none) = get_json(&format!(
        "{base}/api/commitments/c02-open-data-platform/rounds"
    ))
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(none["status"], "not_approved");
    assert_eq!(none["rounds"], serde_json::json!([]));
    let (_, page) = get_page(&format!(
        "{base}/commitments/c02-open-data-platform?lang=zh-TW"
    ))
    .await;
    assert!(page.contains("尚未經論壇會議通過"));

    tag_rounds(&repo);
    // After msf-2, someone changes commitment 1 on main.
    let scratch = tempfile::tempdir().unwrap();
    push_edit(
        dir.path(),
        scratch.path(),
        "commitments/c01-open-data-framework/zh-TW.md",
        "再由各機關盤點並優先開放。",
        "再由各機關盤點並優先開放，每年公布盤點結果。",
        "承諾1：每年公布盤點結果",
    );

    // Commitment 1: changed between the rounds and again after the last.
    let (status, c01) = get_json(&format!(
        "{base}/api/commitments/c01-open-data-framework/rounds"
    ))
    .await;
    assert_eq!(status, StatusCode::OK);
    let names: Vec<&str> = c01["rounds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["zz-kickoff", "msf-1", "msf-2"], "by closing date");
    let versions: Vec<(Vec<&str>, bool)> = c01["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["rounds"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| r.as_str().unwrap())
                    .collect(),
                v["current"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        versions,
        [
            (vec!["zz-kickoff"], false),
            (vec!["msf-1"], false),
            (vec!["msf-2"], false)
        ]
    );
    assert_eq!(c01["last_round"]["name"], "msf-2");
    assert_eq!(c01["last_round"]["tag"], "rounds/msf-2");
    assert_eq!(c01["last_round"]["tagger"], "秘書處");
    assert_eq!(c01["status"], "changed");
    let documents = c01["diff"]["documents"].as_array().unwrap();
    assert_eq!(documents.len(), 1, "the master text only");
    assert_eq!(documents[0]["lang"], "zh-TW");
    let inserted: String = documents[0]["diff"]["sections"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["body"]["segments"].as_array().unwrap().iter())
        .filter(|s| s["kind"] == "insert")
        .map(|s| s["text"].as_str().unwrap())
        .collect();
    assert!(inserted.contains("每年公布盤點結果"), "{inserted}");

    let (status, page) = get_page(&format!(
        "{base}/commitments/c01-open-data-framework?lang=zh-TW"
    ))
    .await;
    assert_eq!(status, StatusCode::OK);
    for expected in [
        "論壇會議 msf-2（2021-01-25）通過後已有修改",
        "論壇會議通過紀錄",
        "每年公布盤點結果</ins>",
        "href=\"/commitments/c01-open-data-framework?ref=rounds/msf-2\"",
        "href=\"/commitments/c01-open-data-framework?ref=rounds/msf-1\"",
        "第二次論壇會議",
    ] {
        assert!(page.contains(expected), "{expected} missing from c01");
    }

    // Commitment 11: approved as the same text twice, changed on main after msf-2.
    let (_, c11) = get_json(&format!(
        "{base}/api/commitments/c11-gender-inclusion/rounds"
    ))
    .await;
    assert_eq!(c11["status"], "changed");
    assert_eq!(
        c11["versions"][c11["versions"].as_array().unwrap().len() - 1]["rounds"],
        serde_json::json!(["msf-1", "msf-2"])
    );
    let (_, page) = get_page(&format!(
        "{base}/commitments/c11-gender-inclusion?lang=zh-TW"
    ))
    .await;
    assert!(
        page.contains("<del>抉擇</del><ins>決策</ins>"),
        "the typo fix"
    );

    // Commitment 2: never changed, so every round approved the current text.
    let (_, c02) = get_json(&format!(
        "{base}/api/commitments/c02-open-data-platform/rounds"
    ))
    .await;
    assert_eq!(c02["status"], "unchanged");
    assert!(c02["diff"].is_null());
    assert_eq!(c02["versions"].as_array().unwrap().len(), 1);
    assert_eq!(c02["versions"][0]["current"], true);
    assert_eq!(
        c02["versions"][0]["rounds"],
        serde_json::json!(["zz-kickoff", "msf-1", "msf-2"])
    );
    let (_, page) = get_page(&format!(
        "{base}/commitments/c02-open-data-platform?lang=zh-TW"
    ))
    .await;
    assert!(page.contains("與論壇會議 msf-2（2021-01-25）通過的版本相同"));
    assert!(page.contains("未修改：主版本的文字與上次論壇會議 msf-2"));
    assert!(!page.contains("<ins>"));
    let (_, page) = get_page(&format!(
        "{base}/commitments/c02-open-data-platform?lang=en"
    ))
    .await;
    assert!(page.contains("Unchanged since the forum approved it at msf-2 (2021-01-25)."));
    assert!(page.contains("Approved at forum rounds"));

    // Read at an older ref, the comparison is with that version.
    let (_, at_msf2) = get_json(&format!(
        "{base}/api/commitments/c01-open-data-framework/rounds?ref=rounds/msf-2"
    ))
    .await;
    assert_eq!(at_msf2["status"], "unchanged");

    // Bad input.
    let (status, body) = get_json(&format!("{base}/api/commitments/nope/rounds")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_error(&body, "not_found");
    let (status, body) = get_json(&format!(
        "{base}/api/commitments/c02-open-data-platform/rounds?ref=main~1"
    ))
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_error(&body, "bad_ref");
    let (status, body) = get_json(&format!(
        "{base}/api/commitments/c02-open-data-platform/rounds?ref=a&ref=b"
    ))
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_error(&body, "bad_query");
}

#[tokio::test]
async fn rounds_compare_lists_exactly_the_commitments_changed_between_two_rounds() {
    let dir = demo_without_rounds();
    let repo = setup::repo_path(dir.path());
    tag_rounds(&repo);
    let base = common::start_server(dir.path()).await;

    // What the git CLI says changed between the two tags.
    let expected: BTreeSet<String> = common::git(
        &repo,
        &[
            "diff",
            "--name-only",
            "rounds/msf-1",
            "rounds/msf-2",
            "--",
            "commitments/",
        ],
    )
    .lines()
    .map(|p| p.split('/').nth(1).unwrap().to_string())
    .collect();
    assert_eq!(
        expected,
        BTreeSet::from([
            "c01-open-data-framework".to_string(),
            "c04-information-access".to_string()
        ])
    );

    let (status, diff) = get_json(&format!("{base}/api/rounds/compare?from=msf-1&to=msf-2")).await;
    assert_eq!(status, StatusCode::OK);
    let ids: BTreeSet<String> = diff["commitments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids, expected);
    assert_eq!(diff["from_round"]["name"], "msf-1");
    assert_eq!(diff["to_round"]["name"], "msf-2");
    assert_eq!(
        diff["from"],
        common::git(&repo, &["rev-parse", "rounds/msf-1^{commit}"]).trim()
    );
    // `rounds/NAME` is accepted too.
    let (status, same) = get_json(&format!(
        "{base}/api/rounds/compare?from=rounds/msf-1&to=rounds/msf-2"
    ))
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(same["commitments"], diff["commitments"]);

    let (status, page) = get_page(&format!(
        "{base}/rounds/compare?from=msf-1&to=msf-2&lang=zh-TW"
    ))
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(summary_ids(&page), expected);
    let summary_at = page.find("class=\"diff-summary\"").unwrap();
    let first_diff = page.find("id=\"diff-c01-open-data-framework\"").unwrap();
    assert!(summary_at < first_diff, "the summary comes first");
    assert!(page.contains("比較兩次論壇會議"));
    // The form offers every round.
    for name in ["zz-kickoff", "msf-1", "msf-2"] {
        assert!(
            page.contains(&format!("<option value=\"{name}\"")),
            "{name}"
        );
    }
    let (_, en) = get_page(&format!(
        "{base}/rounds/compare?from=msf-1&to=msf-2&lang=en"
    ))
    .await;
    assert!(en.contains("Compare two forum rounds") && en.contains("Commitments changed"));

    // Without a choice the page is the form, set to the last two rounds.
    let (status, form) = get_page(&format!("{base}/rounds/compare")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(form.contains("<option value=\"msf-1\" selected>"));
    assert!(form.contains("<option value=\"msf-2\" selected>"));
    assert!(!form.contains("class=\"diff-summary\""));

    // Unknown rounds: 404 in JSON and as a page.
    let (status, body) = get_json(&format!("{base}/api/rounds/compare?from=msf-9&to=msf-2")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_error(&body, "not_found");
    assert!(body["error"]["message"].as_str().unwrap().contains("msf-9"));
    let (status, page) =
        get_page(&format!("{base}/rounds/compare?from=msf-1&to=nope&lang=en")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(page.contains("Not found") && page.contains("nope"));
    // A branch is not a round.
    let (status, _) = get_json(&format!("{base}/api/rounds/compare?from=main&to=msf-2")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Malformed queries: 400.
    let (status, body) = get_json(&format!("{base}/api/rounds/compare?from=msf-1")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_error(&body, "bad_query");
    let (status, body) = get_json(&format!(
        "{base}/api/rounds/compare?from=msf-1&from=msf-2&to=msf-2"
    ))
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_error(&body, "bad_query");
    let (status, page) = get_page(&format!(
        "{base}/rounds/compare?from=msf-1&from=msf-2&to=msf-2&lang=en"
    ))
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("Bad request"));
}

#[tokio::test]
async fn the_timeline_lists_the_period_the_rounds_by_date_and_every_milestone() {
    let dir = demo_without_rounds();
    let repo = setup::repo_path(dir.path());
    tag_rounds(&repo);
    let base = common::start_server(dir.path()).await;

    let (status, tl) = get_json(&format!("{base}/api/timeline")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(tl["period"]["start"], "2021-01");
    assert_eq!(tl["period"]["end"], "2024-05");
    let rounds: Vec<(&str, &str, &str)> = tl["rounds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["name"].as_str().unwrap(),
                r["date"].as_str().unwrap(),
                r["state"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        rounds,
        [
            ("zz-kickoff", "2020-11-05", "approved"),
            ("msf-1", "2020-12-20", "approved"),
            ("msf-2", "2021-01-25", "approved"),
        ]
    );
    assert_eq!(tl["rounds"][1]["title"], "第一次論壇會議：通過承諾事項初稿");

    // Every milestone of every commitment, ordered by end month.
    let milestones = tl["milestones"].as_array().unwrap();
    let (_, list) = get_json(&format!("{base}/api/commitments")).await;
    let mut total = 0;
    for c in list.as_array().unwrap() {
        let id = c["id"].as_str().unwrap();
        let (_, doc) = get_json(&format!("{base}/api/commitments/{id}")).await;
        for m in doc["milestones"].as_array().unwrap() {
            total += 1;
            assert!(
                milestones.iter().any(|t| t["commitment"] == id
                    && t["id"] == m["id"]
                    && t["end"] == m["end"]
                    && t["text"] == m["text"]),
                "{id} {m}"
            );
        }
    }
    assert_eq!(milestones.len(), total);
    let ends: Vec<&str> = milestones
        .iter()
        .map(|m| m["end"].as_str().unwrap())
        .collect();
    let mut sorted = ends.clone();
    sorted.sort();
    assert_eq!(ends, sorted);

    let (status, page) = get_page(&format!("{base}/timeline?lang=zh-TW")).await;
    assert_eq!(status, StatusCode::OK);
    for expected in [
        "行動方案時程",
        "2021-01",
        "2024-05",
        "已通過共識",
        "href=\"/rounds/compare?from=msf-1&amp;to=msf-2\"",
        "本月到期的指標",
    ] {
        assert!(page.contains(expected), "{expected} missing from /timeline");
    }
    let positions: Vec<usize> = ["round-zz-kickoff", "round-msf-1", "round-msf-2"]
        .iter()
        .map(|id| page.find(&format!("id=\"{id}\"")).unwrap())
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "date order");
    // Each milestone names and links its commitment.
    let first = &milestones[0];
    assert!(page.contains(&format!(
        "href=\"/commitments/{}#{}\"",
        first["commitment"].as_str().unwrap(),
        first["id"].as_str().unwrap()
    )));
    assert!(page.contains(first["text"].as_str().unwrap()));
    // Months are in order and rounds sit in their month.
    let month = |m: &str| page.find(&format!("id=\"month-{m}\"")).unwrap();
    assert!(month("2020-11") < month("2020-12") && month("2020-12") < month("2021-01"));

    let (_, en) = get_page(&format!("{base}/timeline?lang=en")).await;
    for expected in [
        "Plan timeline",
        "Plan period",
        "consensus reached",
        "Forum rounds",
    ] {
        assert!(
            en.contains(expected),
            "{expected} missing from /timeline?lang=en"
        );
    }
    assert!(!en.contains("行動方案時程"));

    // Bad input.
    let (status, body) = get_json(&format!("{base}/api/timeline?ref=main~1")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_error(&body, "bad_ref");
    let (status, body) = get_json(&format!("{base}/api/timeline?lang=en&lang=zh-TW")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_error(&body, "bad_query");
    let (status, body) = get_json(&format!("{base}/api/forum?limit=many")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_error(&body, "bad_query");
    let (status, page) = get_page(&format!("{base}/forum?limit=many&lang=en")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("Bad request"));
}

#[test]
fn store_lists_round_tags_annotated_and_lightweight_and_skips_the_rest() {
    let dir = demo_without_rounds();
    let repo = setup::repo_path(dir.path());
    let import = commit_with(&repo, "匯入各機關提出之承諾事項初稿");
    tag(
        &repo,
        "rounds/msf-1",
        &import,
        "第一次論壇會議\n\n共識通過。",
        "2020-12-20T17:00:00+08:00",
    );
    common::git(&repo, &["tag", "rounds/light", "main"]);
    common::git(&repo, &["tag", "other", "main"]);
    // A tag on a file, not a commit: not a round.
    let blob = common::git(&repo, &["rev-parse", "main:plan.toml"]);
    common::git(&repo, &["tag", "rounds/a-blob", blob.trim()]);

    let git = git2::Repository::open_bare(&repo).unwrap();
    let tags = codraft::store::git::tags(&git, "rounds/").unwrap();
    let names: Vec<&str> = tags.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["rounds/light", "rounds/msf-1"]);
    let light = &tags[0];
    assert!(light.tagger.is_none() && light.message.is_empty());
    assert_eq!(
        light.commit.to_string(),
        common::git(&repo, &["rev-parse", "main"]).trim()
    );
    let msf1 = &tags[1];
    assert_eq!(msf1.commit.to_string(), import);
    let tagger = msf1.tagger.as_ref().unwrap();
    assert_eq!(tagger.name, "秘書處");
    assert_eq!(tagger.offset_minutes, 480);
    assert_eq!(tagger.seconds, 1_608_454_800, "2020-12-20T09:00:00Z");
    assert_eq!(msf1.message, "第一次論壇會議\n\n共識通過。\n");
}
