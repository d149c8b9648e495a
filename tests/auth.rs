//! Accounts as an operator and the server see them: `codraft user add/list/token` (the real
//! binary) writing `accounts.json`, read back through `codraft::auth::Accounts`; the demo's
//! accounts; sessions, CSRF and the login limiter through the public API.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use codraft::auth::{self, csrf_matches, Accounts, LoginLimiter, Role, Sector, Sessions};

/// Runs `codraft` with `stdin` as its standard input.
fn codraft(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_codraft"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The distinct `cdt_…` tokens in a text.
fn tokens_in(text: &str) -> Vec<String> {
    let mut tokens: Vec<String> = text
        .split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
        .filter(|w| w.starts_with("cdt_"))
        .map(String::from)
        .collect();
    tokens.dedup();
    tokens
}

/// Every file under `dir`, recursively.
fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(d).unwrap() {
            let path = e.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out
}

fn file_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

/// `forum/members.toml` on the plan's `main`.
fn forum_on_main(data: &Path) -> codraft::doc::Forum {
    use codraft::workflow::plan;
    let repo = git2::Repository::open_bare(codraft::workflow::setup::repo_path(data)).unwrap();
    let commit = codraft::store::git::resolve(&repo, "main").unwrap();
    let files = plan::CommitFiles {
        repo: &repo,
        commit,
    };
    plan::load(&files, commit).unwrap().forum
}

#[test]
fn user_commands_have_help() {
    for cmd in [
        &["user", "--help"][..],
        &["user", "add", "--help"],
        &["user", "list", "--help"],
        &["user", "token", "--help"],
    ] {
        let out = codraft(cmd, "");
        assert!(out.status.success(), "{cmd:?}");
        assert!(stdout(&out).contains("Usage"), "{cmd:?}");
    }
    assert!(stdout(&codraft(&["user", "--help"], "")).contains("使用者"));
}

#[test]
fn user_add_prints_a_token_once_and_stores_only_hashes() {
    let data = common::demo_dir();
    let dir = data.path().to_str().unwrap();
    let repo = codraft::workflow::setup::repo_path(data.path());
    let refs_before = common::git(&repo, &["for-each-ref"]);
    let password = "紅樹林 mangrove 2024";
    let out = codraft(
        &[
            "user",
            "add",
            "王小明",
            "--id",
            "wang",
            "--email",
            "wang@example.org",
            "--data",
            dir,
            "--sector",
            "civil_society",
            "--role",
            "drafter",
            "--role",
            "forum-member",
            "--commitment",
            "c01-open-data-framework",
            "--commitment",
            "c03-digital-privacy",
            "--password-stdin",
        ],
        &format!("{password}\nnot the password\n"),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let printed = stdout(&out);
    let tokens = tokens_in(&printed);
    assert_eq!(tokens.len(), 1, "{printed}");
    let token = &tokens[0];
    assert!(printed.contains(&format!("Authorization: Bearer {token}")));
    assert!(
        !printed.contains(password),
        "a password given is not echoed"
    );

    // A second handle (as the server would hold) finds the user by token and by password.
    let accounts = Accounts::open(data.path()).unwrap();
    let user = accounts.user_for_token(token).expect("the token verifies");
    assert_eq!(
        (user.id.as_str(), user.name.as_str(), user.sector),
        ("wang", "王小明", Sector::CivilSociety)
    );
    assert!(user.has(Role::Drafter) && user.has(Role::ForumMember) && !user.has(Role::Admin));
    assert!(user.in_working_group("c03-digital-privacy"));
    assert_eq!(
        accounts.working_group("c01-open-data-framework"),
        std::slice::from_ref(&user)
    );
    let mut wrong = token.clone();
    wrong.replace_range(10..11, if &token[10..11] == "0" { "1" } else { "0" });
    assert_eq!(accounts.user_for_token(&wrong), None);
    assert_eq!(accounts.user_for_token(""), None);
    assert_eq!(
        accounts.verify_password("wang", password),
        Some(user.clone())
    );
    assert_eq!(
        accounts.verify_password("wang@example.org", password),
        Some(user.clone())
    );
    assert_eq!(accounts.verify_password("wang", "not the password"), None);

    // The file: hashes only, mode 0600, replaced atomically (no .tmp left), beside plan.git.
    let file = data.path().join("accounts.json");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(!text.contains(token.as_str()) && !text.contains(&token[4..]));
    assert!(!text.contains(password));
    assert!(text.contains("$argon2id$"));
    assert!(text.contains(&auth::secret::sha256_hex(token)));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    assert_eq!(file_names(data.path()), ["accounts.json", "plan.git"]);

    // The repository is untouched: same refs, and no file in it holds a secret.
    assert_eq!(common::git(&repo, &["for-each-ref"]), refs_before);
    for path in files_under(&repo) {
        let bytes = std::fs::read(&path).unwrap();
        let holds = |needle: &str| bytes.windows(needle.len()).any(|w| w == needle.as_bytes());
        assert!(
            !holds(token) && !holds(password) && !holds("argon2"),
            "{}",
            path.display()
        );
    }
}

#[test]
fn a_running_handle_sees_users_and_tokens_added_by_the_cli() {
    let data = common::demo_dir();
    let dir = data.path().to_str().unwrap();
    let accounts = Accounts::open(data.path()).unwrap();
    assert!(accounts.users().is_empty());

    let add = |name: &str, sector: &str| {
        let args = [
            "user",
            "add",
            name,
            "--data",
            dir,
            "--sector",
            sector,
            "--role",
            "translator",
        ];
        let out = codraft(&args, "");
        assert!(out.status.success(), "{}", stderr(&out));
        stdout(&out)
    };
    let printed = add("lin", "government");
    let first = tokens_in(&printed).remove(0);
    assert_eq!(
        accounts.user("lin").map(|u| u.sector),
        Some(Sector::Government)
    );
    assert_eq!(accounts.user_for_token(&first).unwrap().id, "lin");

    // Without --password-stdin a password is made, printed once, and works.
    let password = printed
        .lines()
        .find_map(|l| l.strip_prefix("password (shown only now): "))
        .expect("a generated password is printed");
    assert_eq!(password.chars().count(), 16);
    assert_eq!(accounts.verify_password("lin", password).unwrap().id, "lin");

    let out = codraft(&["user", "token", "lin", "--data", dir], "");
    assert!(out.status.success(), "{}", stderr(&out));
    let second = tokens_in(&stdout(&out)).remove(0);
    assert_ne!(first, second);
    for token in [&first, &second] {
        assert_eq!(accounts.user_for_token(token).unwrap().id, "lin");
    }
    let out = codraft(&["user", "token", "nobody", "--data", dir], "");
    assert!(!out.status.success());
    assert!(stderr(&out).contains("unknown user \"nobody\""));

    add("chen", "civil_society");
    let ids: Vec<String> = accounts.users().into_iter().map(|u| u.id).collect();
    assert_eq!(ids, ["chen", "lin"]);

    // The list shows people, never secrets.
    let out = codraft(&["user", "list", "--data", dir], "");
    assert!(out.status.success());
    let list = stdout(&out);
    assert!(
        list.contains("lin\tlin\t-\tgovernment\ttranslator"),
        "{list}"
    );
    assert!(list.contains("chen\t"));
    assert!(!list.contains("cdt_") && !list.contains("argon2") && !list.contains(password));
    assert_eq!(file_names(data.path()), ["accounts.json", "plan.git"]);
}

#[test]
fn bad_input_is_refused_and_nothing_is_written() {
    let data = common::demo_dir();
    let dir = data.path().to_str().unwrap();
    let file = data.path().join("accounts.json");
    // Every call names the login `wang` unless `extra` names another.
    let add = |extra: &[&str], stdin: &str| {
        let mut args = vec!["user", "add", "王小明", "--data", dir];
        if !extra.contains(&"--id") {
            args.extend(["--id", "wang"]);
        }
        args.extend_from_slice(extra);
        codraft(&args, stdin)
    };
    let gov = ["--sector", "government", "--role", "drafter"];
    let with = |more: &[&'static str]| [&gov[..], more].concat();
    for (extra, stdin, message) in [
        (
            with(&["--commitment", "c99-nothing"]),
            "",
            "unknown commitment \"c99-nothing\"; the plan's commitments are: c01-open-data-framework",
        ),
        (vec!["--sector", "press", "--role", "drafter"], "", "unknown sector \"press\""),
        (vec!["--sector", "government", "--role", "king"], "", "unknown role \"king\""),
        (vec!["--sector", "government"], "", "--role"),
        (with(&["--password-stdin"]), "short\n", "weak password"),
        (with(&["--password-stdin"]), "", "weak password"),
        (with(&["--id", "a/b"]), "", "bad user id"),
        (with(&["--email", "nobody"]), "", "bad email"),
    ] {
        let out = add(&extra, stdin);
        assert!(!out.status.success(), "{extra:?}");
        assert!(stderr(&out).contains(message), "{extra:?}: {}", stderr(&out));
        assert_eq!(file_names(data.path()), ["plan.git"], "{extra:?}");
    }
    let empty = tempfile::tempdir().unwrap();
    let elsewhere = empty.path().to_str().unwrap();
    let out = codraft(&["user", "list", "--data", elsewhere], "");
    assert!(!out.status.success());
    assert!(stderr(&out).contains("holds no plan repository"));
    assert!(file_names(empty.path()).is_empty());

    // A duplicate id or email is refused and leaves the file as it was.
    assert!(add(&with(&["--email", "wang@example.org"]), "")
        .status
        .success());
    let before = std::fs::read(&file).unwrap();
    let out = add(&gov, "");
    assert!(!out.status.success());
    assert!(stderr(&out).contains("a user with id \"wang\" already exists"));
    let out = add(&with(&["--id", "wang2", "--email", "WANG@example.org"]), "");
    assert!(!out.status.success());
    assert!(stderr(&out).contains("email"));
    assert_eq!(std::fs::read(&file).unwrap(), before);
    assert_eq!(file_names(data.path()), ["accounts.json", "plan.git"]);
}

#[test]
fn demo_creates_the_demo_accounts() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("demo");
    let mut child = Command::new(env!("CARGO_BIN_EXE_codraft"))
        .args(["demo", "--listen", "127.0.0.1:0", "--data"])
        .arg(&data)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut printed = Vec::new();
    while let Some(Ok(line)) = lines.next() {
        let serving = line.contains("http://");
        printed.push(line);
        if serving {
            break;
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        printed
            .iter()
            .any(|l| l.contains("demo accounts") && l.contains("codraft-demo")),
        "{printed:?}"
    );

    let accounts = Accounts::open(&data).unwrap();
    let forum = forum_on_main(&data);
    assert_eq!(accounts.users().len(), forum.members.len() + 2);
    let convener = forum.members.iter().find(|m| m.role == "convener").unwrap();
    let user = accounts
        .verify_password(&convener.email, auth::demo::DEMO_PASSWORD)
        .expect("a member signs in by email with the demo password");
    assert_eq!(user.id, convener.id);
    assert!(user.has(Role::Convener) && user.has(Role::ForumMember) && user.has(Role::Drafter));
    for wg in &convener.working_groups {
        assert!(accounts.working_group(wg).contains(&user), "{wg}");
    }
    let admin = accounts
        .verify_password("secretariat", auth::demo::DEMO_PASSWORD)
        .unwrap();
    assert!(admin.has(Role::Admin) && admin.sector == Sector::Government);
    let translator = accounts.user("translator").unwrap();
    assert!(translator.has(Role::Translator) && translator.sector == Sector::CivilSociety);
    assert!(!std::fs::read_to_string(accounts.path())
        .unwrap()
        .contains("codraft-demo"));
}

#[test]
fn sessions_csrf_and_the_limiter_through_the_public_api() {
    let sessions = Sessions::with_timeouts(Duration::from_secs(60), Duration::from_secs(600));
    let t0 = Instant::now();
    let (token, csrf) = sessions.create_at("wang", t0).unwrap();
    let session = sessions
        .get_at(&token, t0 + Duration::from_secs(59))
        .unwrap();
    assert_eq!(session.user_id, "wang");
    assert!(csrf_matches(&session.csrf, &csrf));
    assert!(!csrf_matches(&session.csrf, &token));
    assert!(sessions
        .get_at(&token, t0 + Duration::from_secs(59 + 60))
        .is_none());
    let (token, _) = sessions.create("wang").unwrap();
    sessions.remove(&token);
    assert!(sessions.get(&token).is_none());

    let limiter = LoginLimiter::new(3, Duration::from_secs(60));
    let addr = "203.0.113.9".parse().unwrap();
    for _ in 0..3 {
        assert!(limiter.check("wang", addr, t0).is_ok());
        limiter.failed("wang", addr, t0);
    }
    assert_eq!(
        limiter.check("wang", addr, t0 + Duration::from_secs(20)),
        Err(Duration::from_secs(40))
    );
    assert!(limiter
        .check("wang", addr, t0 + Duration::from_secs(60))
        .is_ok());
}

/// Whether `person`'s session cookie still signs them in on the running server.
async fn signed_in(web: &common::web::Web, person: &common::web::Person, who: &str) -> bool {
    let page = web.get(Some(person), "/rounds?lang=en").await;
    page.body.contains(&format!("title=\"{who}\""))
}

/// `codraft serve --session-idle 2s --session-max 5s`, as a real process with the demo's
/// accounts: a session used within the idle time stays signed in, one left idle longer is
/// signed out, and one used every second still ends at its limit. Malformed durations stop
/// the command with the reason.
#[tokio::test]
async fn sessions_expire_when_idle_and_at_their_limit_on_a_running_server() {
    let dir = common::web::demo_with_accounts();
    let server =
        common::serve_process_with(dir.path(), &["--session-idle", "2s", "--session-max", "5s"]);
    let web = common::web::Web::new(&server.base);

    // Idle: used after 1 s, still in; then left 3 s, out.
    let idle = web.sign_in("secretariat").await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(
        signed_in(&web, &idle, "secretariat").await,
        "used within 2 s"
    );
    tokio::time::sleep(Duration::from_millis(3_000)).await;
    assert!(
        !signed_in(&web, &idle, "secretariat").await,
        "idle 3 s > 2 s"
    );
    // A form posted with the expired cookie is refused and writes nothing.
    let repo = dir.path().join("plan.git");
    let refs = || {
        common::git(
            &repo,
            &["for-each-ref", "--format=%(refname) %(objectname)"],
        )
    };
    let before = refs();
    let answer = web
        .post(
            &idle,
            "/commitments/c04-information-access/comments",
            &[("body", "after the session ended")],
        )
        .await;
    assert_eq!(answer.status, reqwest::StatusCode::UNAUTHORIZED);
    assert_eq!(refs(), before, "nothing written");

    // The limit: used every second, still signed out 5 s after signing in.
    let busy = web.sign_in("secretariat").await;
    let since = Instant::now();
    while since.elapsed() < Duration::from_millis(4_000) {
        assert!(
            signed_in(&web, &busy, "secretariat").await,
            "in use at {:?}",
            since.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(700)).await;
    }
    tokio::time::sleep(Duration::from_millis(5_500).saturating_sub(since.elapsed())).await;
    assert!(
        !signed_in(&web, &busy, "secretariat").await,
        "ended 5 s after sign-in"
    );

    for bad in ["0s", "12", "3w", "h", "-1h"] {
        let out = codraft(
            &[
                "serve",
                "--data",
                dir.path().to_str().unwrap(),
                &format!("--session-idle={bad}"),
            ],
            "",
        );
        assert!(!out.status.success(), "{bad}");
        assert!(
            stderr(&out).contains("is not a duration"),
            "{bad}: {}",
            stderr(&out)
        );
    }
}
