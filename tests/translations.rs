//! Translation sync over HTTP on a real port with the demo plan (c04 has `en.md`): status unit
//! by unit, marking synced, a master change pushed with the git CLI making exactly one unit
//! stale (with its diff) and its revert clearing it, English-only edits changing nothing,
//! a section the master drops orphaned, refusals writing nothing, the dashboard, and `codraft
//! check` on sync records.

mod common;

use std::path::Path;

use reqwest::StatusCode;
use serde_json::{json, Value};

use codraft::auth::{Accounts, NewUser, Role, Sector};
use codraft::workflow::{plan, setup};

const C04: &str = "commitments/c04-information-access";

struct Env {
    dir: tempfile::TempDir,
    base: String,
    client: reqwest::Client,
    tokens: Vec<(String, String)>,
}

impl Env {
    async fn new() -> Env {
        let dir = common::demo_dir();
        let accounts = Accounts::open(dir.path()).unwrap();
        let mut tokens = Vec::new();
        for (id, role) in [("tr", Role::Translator), ("drafter", Role::Drafter)] {
            let (_, token) = accounts
                .add_user(NewUser {
                    id: id.into(),
                    name: format!("{id} 名"),
                    email: Some(format!("{id}@example.org")),
                    sector: Sector::CivilSociety,
                    roles: [role].into_iter().collect(),
                    commitments: ["c04-information-access".to_string()].into_iter().collect(),
                    agency: None,
                    password: None,
                })
                .unwrap();
            tokens.push((id.to_string(), token));
        }
        let base = common::start_server(dir.path()).await;
        Env {
            dir,
            base,
            client: reqwest::Client::new(),
            tokens,
        }
    }

    async fn status(&self, baseline: &str) -> Value {
        let (s, v) = common::get_json(&format!(
            "{}/api/commitments/c04-information-access/translations/en?baseline={baseline}",
            self.base
        ))
        .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        v
    }

    async fn sync(&self, who: &str, body: Value) -> (StatusCode, Value) {
        let token = &self.tokens.iter().find(|(id, _)| id == who).unwrap().1;
        let r = self
            .client
            .post(format!(
                "{}/api/commitments/c04-information-access/translations/en/sync",
                self.base
            ))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap();
        (r.status(), r.json().await.unwrap())
    }

    fn repo(&self) -> std::path::PathBuf {
        setup::repo_path(self.dir.path())
    }

    fn refs(&self) -> String {
        common::git(&self.repo(), &["for-each-ref"])
    }
}

fn states(v: &Value) -> Vec<(String, String)> {
    v["units"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            (
                u["key"].as_str().unwrap().to_string(),
                u["state"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Edits `file` of the clone with `f`, commits and pushes to `main`.
fn push(clone: &Path, file: &str, f: impl Fn(String) -> String, message: &str) {
    let path = clone.join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, f(text)).unwrap();
    common::git(clone, &["commit", "-qam", message]);
    common::git(clone, &["push", "-q", "origin", "main"]);
}

#[tokio::test]
async fn translation_sync_end_to_end() {
    let env = Env::new().await;
    let work = tempfile::tempdir().unwrap();
    let clone = common::clone(env.dir.path(), work.path());
    // Without the demo's record: every unit is missing.
    common::git(&clone, &["rm", "-q", &format!("{C04}/en.sync.toml")]);
    common::git(&clone, &["commit", "-qm", "no record"]);
    common::git(&clone, &["push", "-q", "origin", "main"]);
    let s = env.status("main").await;
    assert!(states(&s).iter().all(|(_, st)| st == "missing"), "{s}");
    assert!(s["master_changes_since_sync"].is_null());
    let master_commit = s["master_commit"].as_str().unwrap().to_string();
    let keys: Vec<String> = s["units"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| u["translated"] == true)
        .map(|u| u["key"].as_str().unwrap().to_string())
        .collect();
    assert!(keys.contains(&"section.problem".to_string()), "{s}");

    // A drafter may not mark synced; unknown units are refused; nothing is written.
    let before = env.refs();
    let body = json!({"units": keys, "master_commit": master_commit});
    let (st, v) = env.sync("drafter", body.clone()).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{v}");
    let (st, v) = env
        .sync(
            "tr",
            json!({"units": ["section.nope"], "master_commit": master_commit}),
        )
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    common::assert_error(&v, "unknown_unit");
    assert_eq!(env.refs(), before);

    // The translator marks every translated unit synced: all up to date.
    let (st, v) = env.sync("tr", body).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let s = env.status("main").await;
    for (key, st) in states(&s) {
        let want = if keys.contains(&key) {
            "up_to_date"
        } else {
            "missing"
        };
        assert_eq!(st, want, "{key}");
    }
    assert_eq!(s["master_changes_since_sync"], 0);
    common::git(&clone, &["pull", "-q"]);
    let author = common::git(&clone, &["log", "-1", "--format=%an <%ae>%n%s"]);
    assert!(author.starts_with("tr 名 <tr@example.org>"), "{author}");
    assert!(author.contains("section.problem"), "{author}");
    assert!(plan::check_path(env.dir.path()).unwrap().is_empty());

    // A master change to one section: exactly that unit is stale, with the change as a diff.
    push(
        &clone,
        &format!("{C04}/zh-TW.md"),
        |t| t.replace("{#problem}\n\n", "{#problem}\n\n新增一句。"),
        "master: problem",
    );
    let s = env.status("main").await;
    let stale: Vec<_> = states(&s)
        .into_iter()
        .filter(|(_, st)| st == "stale")
        .collect();
    assert_eq!(stale, [("section.problem".into(), "stale".into())], "{s}");
    let unit = s["units"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["key"] == "section.problem")
        .unwrap();
    assert_eq!(unit["synced_commit"], master_commit.as_str());
    let inserted: String = unit["diff"]["segments"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| g["kind"] == "insert")
        .map(|g| g["text"].as_str().unwrap())
        .collect();
    assert_eq!(inserted, "新增一句。");
    assert_eq!(s["master_changes_since_sync"], 1);
    assert_eq!(s["counts"]["stale"], 1);

    // The dashboard puts c04 first (the only stale one).
    let (_, d) = common::get_json(&format!("{}/api/translations", env.base)).await;
    assert_eq!(d["baseline"], "main");
    let rows = d["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 19);
    assert_eq!(rows[0]["commitment"], "c04-information-access", "{d}");
    assert_eq!(rows[0]["languages"]["en"]["stale"], 1);
    assert_eq!(rows[0]["languages"]["en"]["master_changes_since_sync"], 1);
    let up = rows[0]["languages"]["en"]["up_to_date"].as_u64().unwrap();
    assert_eq!(up as usize, keys.len() - 1);
    assert_eq!(rows[1]["languages"]["en"]["stale"], 0);
    // No English yet: every unit missing, no record.
    assert!(rows[1]["languages"]["en"]["missing"].as_u64().unwrap() > 0);
    assert!(rows[1]["languages"]["en"]["master_changes_since_sync"].is_null());
    assert_eq!(rows[1]["languages"]["en"]["up_to_date"], 0);

    // Syncing against the old master commit: 409, nothing written.
    let before = env.refs();
    let (st, v) = env
        .sync(
            "tr",
            json!({"units": ["section.problem"], "master_commit": master_commit}),
        )
        .await;
    assert_eq!(st, StatusCode::CONFLICT);
    common::assert_error(&v, "master_moved");
    assert_eq!(env.refs(), before);

    // Reverting the master clears it; an English-only edit changes nothing.
    common::git(&clone, &["revert", "--no-edit", "HEAD"]);
    common::git(&clone, &["push", "-q", "origin", "main"]);
    let clean = states(&env.status("main").await);
    assert!(clean.iter().all(|(_, st)| st != "stale"), "{clean:?}");
    push(
        &clone,
        &format!("{C04}/en.md"),
        |t| t.replace("{#problem}\n\n", "{#problem}\n\nEdited. "),
        "en only",
    );
    let s = env.status("main").await;
    assert_eq!(states(&s), clean);

    // Marking a unit whose translation did not change needs a reason.
    let current = s["master_commit"].as_str().unwrap().to_string();
    let body = json!({"units": ["title"], "master_commit": current});
    let before = env.refs();
    let (st, v) = env.sync("tr", body.clone()).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    common::assert_error(&v, "reason_required");
    assert_eq!(env.refs(), before);
    let mut with_reason = body;
    with_reason["reason"] = json!("still fits");
    let (st, v) = env.sync("tr", with_reason).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");

    // The master drops a section the English still has: orphaned, no longer a master unit,
    // and counted on the dashboard.
    common::git(&clone, &["pull", "-q"]);
    push(
        &clone,
        &format!("{C04}/zh-TW.md"),
        |t| t[..t.find("## 其他資訊 {#other-info}").unwrap()].to_string(),
        "master: drop other-info",
    );
    let s = env.status("main").await;
    assert_eq!(s["orphaned"], json!(["section.other-info"]), "{s}");
    assert_eq!(s["counts"]["orphaned"], 1);
    assert!(states(&s).iter().all(|(k, _)| k != "section.other-info"));
    assert!(states(&s).iter().all(|(_, st)| st != "stale"), "{s}");
    let (_, d) = common::get_json(&format!("{}/api/translations", env.base)).await;
    assert_eq!(d["rows"][0]["commitment"], "c04-information-access", "{d}");
    assert_eq!(d["rows"][0]["languages"]["en"]["orphaned"], 1, "{d}");

    // Baselines: a bad one is refused.
    let (st, v) = common::get_json(&format!(
        "{}/api/commitments/c04-information-access/translations/en?baseline=yesterday",
        env.base
    ))
    .await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    common::assert_error(&v, "bad_baseline");

    // `codraft check` reports a broken record.
    common::git(&clone, &["pull", "-q"]);
    push(
        &clone,
        &format!("{C04}/en.sync.toml"),
        |t| t.replacen("commit = \"", "commit = \"x", 1),
        "break the record",
    );
    let problems = plan::check_path(env.dir.path()).unwrap();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].to_string().contains("en.sync.toml"));
    // A record for a language the plan does not translate into.
    std::fs::write(clone.join(format!("{C04}/fr.sync.toml")), "").unwrap();
    common::git(&clone, &["add", "."]);
    common::git(&clone, &["commit", "-qm", "a record for fr"]);
    common::git(&clone, &["push", "-q", "origin", "main"]);
    let problems = plan::check_path(env.dir.path()).unwrap();
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(
        problems[1].to_string().contains("fr.sync.toml")
            && problems[1]
                .to_string()
                .contains("not a translation language"),
        "{problems:?}"
    );
}

/// The demo's record: the English was synced with the master the 2020-12-31 meeting voted
/// on, so exactly the units the 2021-01-05 wording change touched are stale — in the API and
/// as a notice on the public English page — until the demo translator syncs them.
#[tokio::test]
async fn demo_english_is_stale_where_the_master_changed_after_the_meeting() {
    let dir = common::demo_dir();
    let forum_text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/demo/forum/members.toml"
    ))
    .unwrap();
    let forum = codraft::doc::Forum::parse(&forum_text).unwrap();
    codraft::auth::demo::seed(dir.path(), &forum)
        .unwrap()
        .unwrap();
    let accounts = Accounts::open(dir.path()).unwrap();
    assert!(accounts
        .verify_password("translator", codraft::auth::demo::DEMO_PASSWORD)
        .is_some());
    let token = accounts.new_token("translator").unwrap();
    let base = common::start_server(dir.path()).await;
    let url = format!("{base}/api/commitments/c04-information-access/translations/en");
    assert!(plan::check_path(dir.path()).unwrap().is_empty());

    let (st, s) = common::get_json(&url).await;
    assert_eq!(st, StatusCode::OK, "{s}");
    let units = s["units"].as_array().unwrap();
    let stale: Vec<&str> = units
        .iter()
        .filter(|u| u["state"] == "stale")
        .map(|u| u["key"].as_str().unwrap())
        .collect();
    assert_eq!(stale, ["milestone.m2.text", "section.commitment"], "{s}");
    for u in units {
        match u["state"].as_str().unwrap() {
            "stale" => {
                let inserted: String = u["diff"]["segments"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|g| g["kind"] == "insert")
                    .map(|g| g["text"].as_str().unwrap())
                    .collect();
                assert!(inserted.contains("承辦人員"), "{u}");
            }
            "up_to_date" => {}
            "missing" => assert_eq!(u["translated"], false, "{u}"),
            other => panic!("{other}: {u}"),
        }
    }
    assert_eq!(s["master_changes_since_sync"], 1);
    let round = common::git(
        &setup::repo_path(dir.path()),
        &["rev-parse", "rounds/msf-2^{commit}"],
    );
    assert_eq!(units[0]["state"], "up_to_date");
    let stale_unit = units.iter().find(|u| u["state"] == "stale").unwrap();
    assert_eq!(stale_unit["synced_commit"], round.trim());

    // The public English page: a notice on the stale section and milestone only, linking to
    // the Chinese.
    let page = reqwest::get(format!(
        "{base}/commitments/c04-information-access?doc=en&lang=en"
    ))
    .await
    .unwrap()
    .text()
    .await
    .unwrap();
    assert_eq!(
        page.matches("class=\"notice stale-note\"").count(),
        2,
        "{page}"
    );
    assert!(
        page.contains("the Chinese changed on 2021-01-05."),
        "{page}"
    );
    assert!(page.contains("href=\"?doc=zh-TW#commitment\""), "{page}");
    assert!(page.contains("href=\"?doc=zh-TW#m2\""), "{page}");
    // The page's JSON twin carries the same notes.
    let (_, j) = common::get_json(&format!(
        "{base}/api/commitments/c04-information-access?lang=en"
    ))
    .await;
    let notes: Vec<&String> = j["stale"].as_object().unwrap().keys().collect();
    assert_eq!(notes, ["milestone.m2.text", "section.commitment"], "{j}");
    assert_eq!(j["stale"]["section.commitment"]["changed_on"], "2021-01-05");
    let commitment = page.split("id=\"commitment\"").nth(1).unwrap();
    let section = commitment.split("</section>").next().unwrap();
    assert!(section.contains("stale-note"), "{section}");
    let zh = reqwest::get(format!(
        "{base}/commitments/c04-information-access?doc=en&lang=zh-TW"
    ))
    .await
    .unwrap()
    .text()
    .await
    .unwrap();
    assert!(zh.contains("中文主版本於 2021-01-05 修改。"), "{zh}");

    // The translator marks every translated unit synced with the current master: all up to
    // date, and the notices are gone.
    let keys: Vec<&str> = units
        .iter()
        .filter(|u| u["translated"] == true)
        .map(|u| u["key"].as_str().unwrap())
        .collect();
    let r = reqwest::Client::new()
        .post(format!("{url}/sync"))
        .bearer_auth(&token)
        .json(&json!({
            "units": keys,
            "master_commit": s["master_commit"],
            "reason": "checked against the 2021-01-05 wording",
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let (_, s) = common::get_json(&url).await;
    for u in s["units"].as_array().unwrap() {
        let want = if u["translated"] == true {
            "up_to_date"
        } else {
            "missing"
        };
        assert_eq!(u["state"], want, "{u}");
    }
    let page = reqwest::get(format!(
        "{base}/commitments/c04-information-access?doc=en&lang=en"
    ))
    .await
    .unwrap()
    .text()
    .await
    .unwrap();
    assert!(!page.contains("stale-note"));
    assert!(plan::check_path(dir.path()).unwrap().is_empty());
}

/// Baselines: translators can finish the version the forum approved first. Against
/// `rounds/msf-2` the demo's English is up to date (it was synced with that version) while
/// against `main` two units are stale. Marking synced against a round takes the round's master
/// commit; the unit is then up to date against the round and stale against `main` where the
/// master changed since.
#[tokio::test]
async fn a_round_baseline_lets_translators_finish_the_approved_version_first() {
    let env = Env::new().await;
    let round_commit = common::git(&env.repo(), &["rev-parse", "rounds/msf-2^{commit}"]);
    let s = env.status("rounds/msf-2").await;
    assert_eq!(s["baseline"], "rounds/msf-2");
    assert_eq!(s["commit"], round_commit.trim());
    assert!(states(&s).iter().all(|(_, st)| st != "stale"), "{s}");
    assert_eq!(s["master_changes_since_sync"], 0);
    let latest = env.status("latest-round").await;
    assert_eq!(latest["commit"], s["commit"]);
    assert_eq!(states(&latest), states(&s));
    let main = env.status("main").await;
    assert_eq!(main["counts"]["stale"], 2, "{main}");
    let (_, d) = common::get_json(&format!(
        "{}/api/translations?baseline=rounds/msf-2",
        env.base
    ))
    .await;
    assert_eq!(d["baseline"], "rounds/msf-2");
    let stale: u64 = d["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["languages"]["en"]["stale"].as_u64().unwrap())
        .sum();
    assert_eq!(stale, 0, "{d}");

    // Without the record, everything is missing against both baselines.
    let work = tempfile::tempdir().unwrap();
    let clone = common::clone(env.dir.path(), work.path());
    common::git(&clone, &["rm", "-q", &format!("{C04}/en.sync.toml")]);
    common::git(&clone, &["commit", "-qm", "no record"]);
    common::git(&clone, &["push", "-q", "origin", "main"]);
    let r = env.status("rounds/msf-2").await;
    assert!(states(&r).iter().all(|(_, st)| st == "missing"), "{r}");
    let round_master = r["master_commit"].as_str().unwrap().to_string();
    let main_master = env.status("main").await["master_commit"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(round_master, main_master);

    // Against the round, main's master commit is not the one: 409; an unknown round: 404.
    let before = env.refs();
    let units = json!(["section.commitment", "section.problem"]);
    let (st, v) = env
        .sync(
            "tr",
            json!({"units": units, "master_commit": main_master, "baseline": "rounds/msf-2"}),
        )
        .await;
    assert_eq!(st, StatusCode::CONFLICT, "{v}");
    common::assert_error(&v, "master_moved");
    let (st, v) = env
        .sync(
            "tr",
            json!({"units": units, "master_commit": round_master, "baseline": "rounds/nope"}),
        )
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND, "{v}");
    assert_eq!(env.refs(), before);

    // With the round's master commit: synced with the approved version.
    let (st, v) = env
        .sync(
            "tr",
            json!({"units": units, "master_commit": round_master, "baseline": "rounds/msf-2"}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let r = env.status("rounds/msf-2").await;
    let m = env.status("main").await;
    let state = |v: &Value, key: &str| states(v).into_iter().find(|(k, _)| k == key).unwrap().1;
    assert_eq!(state(&r, "section.commitment"), "up_to_date");
    assert_eq!(state(&r, "section.problem"), "up_to_date");
    assert_eq!(state(&m, "section.problem"), "up_to_date");
    assert_eq!(state(&m, "section.commitment"), "stale", "{m}");
    let unit = m["units"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["key"] == "section.commitment")
        .unwrap();
    assert_eq!(unit["synced_commit"], round_master.as_str());
    let diff = unit["diff"].to_string();
    assert!(diff.contains("承辦人員"), "{unit}");
    assert!(unit["text"].as_str().unwrap().contains("承辦人員"));
    assert!(unit["translation"].as_str().is_some());
    common::git(&clone, &["pull", "-q"]);
    let message = common::git(&clone, &["log", "-1", "--format=%B"]);
    assert!(message.contains("Baseline: rounds/msf-2"), "{message}");
}
