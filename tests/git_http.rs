//! Git over HTTP against `codraft serve` running as its own process on a real port (its
//! pre-receive hook runs the real `codraft` binary), with the plain `git` CLI as the client: an
//! anonymous clone; a drafter edits a document as a text editor would, commits and pushes a
//! branch, and it becomes a proposal with the right diff; a second push updates it; pushes to
//! `main`, of tags, of broken documents, by people without rights or without credentials are
//! refused with the reason shown by `git push`, and move no ref.

mod common;

use std::path::Path;

use serde_json::Value;

use codraft::auth::Accounts;
use codraft::workflow::setup;

const C04_PATH: &str = "commitments/c04-information-access/zh-TW.md";

/// `git` in `dir` as 李佳穎 without prompts; (success, stdout+stderr).
fn git(dir: &Path, args: &[&str]) -> (bool, String) {
    common::git_as_person(dir, args)
}

fn edit(clone: &Path, from: &str, to: &str) {
    let path = clone.join(C04_PATH);
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text.matches(from).count(), 1, "{from}");
    std::fs::write(&path, text.replace(from, to)).unwrap();
}

async fn proposals(base: &str) -> Vec<Value> {
    let (_, v) = common::get_json(&format!("{base}/api/proposals")).await;
    v.as_array().unwrap().clone()
}

#[tokio::test]
async fn a_drafter_takes_part_with_git_alone() {
    let dir = common::web::demo_with_accounts();
    let server = common::serve_process(dir.path());
    let base = server.base.clone();
    let repo = setup::repo_path(dir.path());
    let refs = || {
        common::git(
            &repo,
            &["for-each-ref", "--format=%(refname) %(objectname)"],
        )
    };
    let accounts = Accounts::open(dir.path()).unwrap();
    let token = accounts.new_token("chiaying-li").unwrap();
    let outsider = accounts.new_token("pohan-chen").unwrap(); // not in c04's working group
    let url = |user: &str, token: &str| {
        format!(
            "http://{user}:{token}@{}/plan.git",
            base.trim_start_matches("http://")
        )
    };

    // Anyone clones.
    let work = tempfile::tempdir().unwrap();
    let (ok, out) = git(
        work.path(),
        &["clone", "-q", &format!("{base}/plan.git"), "plan"],
    );
    assert!(ok, "{out}");
    let clone = work.path().join("plan");
    assert!(clone.join(C04_PATH).exists());
    let (_, head) = git(&clone, &["rev-parse", "HEAD"]);
    assert_eq!(
        head.trim(),
        common::git(&repo, &["rev-parse", "main"]).trim()
    );

    // Edit as a text editor would, commit, push a branch: it becomes a proposal.
    git(&clone, &["checkout", "-q", "-b", "chiaying/c04-budget"]);
    edit(
        &clone,
        "金額俟年度預算核定後補充。",
        "2021年度新臺幣120萬元。",
    );
    let (ok, out) = git(
        &clone,
        &[
            "commit",
            "-qam",
            "承諾4：補充預算",
            "-m",
            "依法務部2021年度預算書。",
        ],
    );
    assert!(ok, "{out}");
    let before = refs();
    // Without credentials, or with a token of someone outside the working group: refused.
    let (ok, out) = git(
        &clone,
        &["push", &format!("{base}/plan.git"), "chiaying/c04-budget"],
    );
    assert!(!ok, "{out}");
    let (ok, out) = git(
        &clone,
        &["push", &url("pohan-chen", &outsider), "chiaying/c04-budget"],
    );
    assert!(!ok);
    assert!(
        out.contains("pohan-chen may not write commitments/c04-information-access/zh-TW.md"),
        "{out}"
    );
    assert_eq!(refs(), before, "nothing moved");
    assert!(proposals(&base).await.is_empty());

    let (ok, out) = git(
        &clone,
        &["push", &url("chiaying-li", &token), "chiaying/c04-budget"],
    );
    assert!(ok, "{out}");
    let list = proposals(&base).await;
    assert_eq!(list.len(), 1, "{list:?}");
    let p = &list[0];
    assert_eq!(p["branch"], "chiaying/c04-budget");
    assert_eq!(p["title"], "承諾4：補充預算");
    assert_eq!(p["description"], "依法務部2021年度預算書。");
    assert_eq!(p["author"], "chiaying-li");
    assert_eq!(p["state"], "open");
    let n = p["number"].as_u64().unwrap();
    let (_, diff) = common::get_json(&format!("{base}/api/proposals/{n}/diff")).await;
    let text = diff.to_string();
    assert!(
        text.contains("\"insert\",\"text\":\"新臺幣120萬元\""),
        "{text}"
    );
    let page = reqwest::get(format!("{base}/proposals/{n}?lang=en"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("承諾4：補充預算") && page.contains("<ins>"),
        "the web page shows it"
    );

    // A second push updates the same proposal.
    edit(&clone, "2021年度新臺幣120萬元。", "2021年度新臺幣150萬元。");
    git(&clone, &["commit", "-qam", "承諾4：預算更正"]);
    let (ok, out) = git(
        &clone,
        &["push", &url("chiaying-li", &token), "chiaying/c04-budget"],
    );
    assert!(ok, "{out}");
    let list = proposals(&base).await;
    assert_eq!(list.len(), 1, "still one proposal");
    let (_, d) = common::get_json(&format!("{base}/api/proposals/{n}")).await;
    let (_, local) = git(&clone, &["rev-parse", "HEAD"]);
    assert_eq!(d["head"], local.trim());

    // Refused, with the reason shown by `git push`, and nothing moves.
    let before = refs();
    let (ok, out) = git(&clone, &["push", &url("chiaying-li", &token), "HEAD:main"]);
    assert!(!ok);
    assert!(
        out.contains("main moves only by merging an approved proposal"),
        "{out}"
    );
    git(&clone, &["tag", "rounds/msf-9"]);
    let (ok, out) = git(
        &clone,
        &["push", &url("chiaying-li", &token), "rounds/msf-9"],
    );
    assert!(!ok);
    assert!(out.contains("tags are not pushed"), "{out}");
    edit(&clone, "number = 4\n", "number = \"four\"\n");
    git(&clone, &["commit", "-qam", "broken"]);
    let (ok, out) = git(
        &clone,
        &["push", &url("chiaying-li", &token), "chiaying/c04-budget"],
    );
    assert!(!ok);
    assert!(
        out.contains("commitments/c04-information-access/zh-TW.md:") && out.contains("number"),
        "the validation error: {out}"
    );
    let (ok, out) = git(
        &clone,
        &[
            "push",
            &url("chiaying-li", "cdt_not_a_token"),
            "chiaying/c04-budget",
        ],
    );
    assert!(!ok, "{out}");
    let translator = accounts.new_token("translator").unwrap();
    let (ok, out) = git(
        &clone,
        &[
            "push",
            &url("translator", &translator),
            "HEAD:refs/heads/tr/master-edit",
        ],
    );
    assert!(!ok);
    assert!(out.contains("translator may not write"), "{out}");
    let (ok, out) = git(
        &clone,
        &["push", &url("chiaying-li", &token), ":chiaying/c04-budget"],
    );
    assert!(!ok);
    assert!(out.contains("branches are not deleted by push"), "{out}");
    assert_eq!(refs(), before, "refused pushes move nothing");
    assert_eq!(proposals(&base).await.len(), 1);
    drop(server);
}
