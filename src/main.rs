//! The `codraft` command: set up a plan repository, check its documents, serve it.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};

use codraft::auth::{self, Accounts, NewUser, Role, Sector};
use codraft::store::{Signature, Store};
use codraft::workflow::export::Format;
use codraft::workflow::translation::Translations;
use codraft::workflow::{plan, setup, PlanReader, PlanSnapshot};

#[derive(Parser)]
#[command(
    name = "codraft",
    version,
    about = "Government and civil society write an open-government national action plan together, in git.\n政府與民間在 git 中共同撰寫開放政府國家行動方案。"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// How long a web session lasts (the API's tokens do not expire).
#[derive(clap::Args)]
struct SessionFlags {
    /// A web session ends after this long without a request: a number and s, m, h or d.
    #[arg(long, default_value = "12h", value_parser = parse_duration)]
    session_idle: Duration,
    /// A web session ends this long after sign-in, however much it is used.
    #[arg(long, default_value = "7d", value_parser = parse_duration)]
    session_max: Duration,
}

/// `90s`, `15m`, `12h`, `7d` (a whole number over zero and one unit).
fn parse_duration(text: &str) -> Result<Duration, String> {
    let bad = || format!("{text:?} is not a duration such as 90s, 15m, 12h or 7d");
    let split = text.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
    let (number, unit) = text.split_at(split);
    let number: u64 = number.parse().map_err(|_| bad())?;
    let unit = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(bad()),
    };
    match number.checked_mul(unit) {
        Some(secs) if secs > 0 => Ok(Duration::from_secs(secs)),
        _ => Err(bad()),
    }
}

#[derive(Subcommand)]
enum Command {
    /// Create a new plan: a data directory holding a bare git repository (DIR/plan.git) whose
    /// first commit is codraft's repository template.
    Init {
        /// The data directory to create.
        dir: PathBuf,
        /// Author name of the first commit.
        #[arg(long, default_value = "codraft")]
        author_name: String,
        /// Author email of the first commit.
        #[arg(long, default_value = "codraft@localhost")]
        author_email: String,
    },
    /// Serve a plan's site and JSON API.
    Serve {
        /// The data directory (made by `codraft init` or `codraft demo`).
        #[arg(long)]
        data: PathBuf,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        #[command(flatten)]
        sessions: SessionFlags,
    },
    /// Validate every document of a plan; print file:line: field: message for each problem and
    /// exit 1 when there is any.
    Check {
        /// A data directory, a bare plan repository (its `main` is checked) or a clone's
        /// working tree.
        path: PathBuf,
    },
    /// Create (when absent) the demo plan — Taiwan's 2021–2024 Open Government National
    /// Action Plan, 5 areas and 19 commitments with a realistic history — and serve it.
    Demo {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// The data directory to create or reuse.
        #[arg(long, default_value = "demo-data")]
        data: PathBuf,
    },
    /// Export the whole plan (or a round's version) as one document in one language, Markdown
    /// or print-ready HTML, with a table of commitments; to standard output without -o.
    /// With --site DIR: the whole public site as static files instead.
    /// 將整份行動方案（或某次論壇會議通過的版本）匯出為單一文件。
    Export {
        /// A data directory (holding plan.git) or a bare plan repository.
        path: PathBuf,
        /// Document language: the master (default) or one of the plan's translations, e.g. en.
        #[arg(long)]
        lang: Option<String>,
        /// Branch, tag (e.g. rounds/msf-2) or commit to export.
        #[arg(long = "ref", default_value = "main")]
        rev: String,
        /// md or html.
        #[arg(long, default_value = "md")]
        format: String,
        /// Write to FILE instead of standard output.
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: Option<PathBuf>,
        /// Instead of one document: write the whole public site (every page in both UI
        /// languages, JSON twins, Atom feeds) into DIR, for any static web server.
        #[arg(long, value_name = "DIR", conflicts_with_all = ["lang", "rev", "format", "output"])]
        site: Option<PathBuf>,
        /// With --site: write into DIR even if it is not empty (what an earlier export wrote
        /// there is removed first; other files are left alone).
        #[arg(long, requires = "site")]
        force: bool,
    },
    /// Manage the people who can sign in (DIR/accounts.json, beside the repository).
    /// 管理可登入的使用者帳號（DIR/accounts.json，位於儲存庫之外）。
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Run by the plan repository's git hooks (installed by `codraft serve`); not for people.
    #[command(hide = true)]
    Hook {
        /// `pre-receive`: checks a push made through codraft's HTTP server.
        name: String,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user and print their API token, once. 建立使用者並顯示其 API 權杖（僅此一次）。
    ///
    /// Without --password-stdin a random password is made and printed once too.
    Add {
        /// Display name (may be Chinese). 顯示名稱。
        name: String,
        /// The data directory holding plan.git.
        #[arg(long)]
        data: PathBuf,
        /// government or civil_society.
        #[arg(long)]
        sector: Sector,
        /// admin (secretariat), convener, forum_member, drafter, translator or public;
        /// repeat for several.
        #[arg(long = "role", required = true)]
        roles: Vec<Role>,
        /// A commitment id whose working group the user joins; repeat for several. Must exist
        /// on the plan's main branch.
        #[arg(long = "commitment")]
        commitments: Vec<String>,
        /// The government agency the user works for, as commitments name their lead agencies
        /// (e.g. 法務部): they answer the public input assigned to it.
        #[arg(long)]
        agency: Option<String>,
        /// Login name (default: NAME).
        #[arg(long)]
        id: Option<String>,
        /// Email address (also accepted as the login name).
        #[arg(long)]
        email: Option<String>,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List users: id, name, email, sector, roles, working groups (never secrets).
    /// 列出使用者（不含任何密碼或權杖）。
    List {
        /// The data directory holding plan.git.
        #[arg(long)]
        data: PathBuf,
    },
    /// Issue another API token for a user and print it, once. 為使用者再發一組 API 權杖。
    Token {
        /// The user's login name.
        id: String,
        /// The data directory holding plan.git.
        #[arg(long)]
        data: PathBuf,
    },
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "codraft=info,tower_http=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match run(Cli::parse().command) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("codraft: {e}");
            ExitCode::FAILURE
        }
    }
}

fn serve(
    data: &std::path::Path,
    listen: SocketAddr,
    settings: codraft::web::Settings,
) -> Result<ExitCode, Box<dyn std::error::Error + Send + Sync>> {
    let repo = setup::repo_path(data);
    if !repo.exists() {
        return Err(format!(
            "{} holds no plan repository (create one with `codraft init {}`)",
            data.display(),
            data.display()
        )
        .into());
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(codraft::web::serve(data, listen, settings))?;
    Ok(ExitCode::SUCCESS)
}

fn run(command: Command) -> Result<ExitCode, Box<dyn std::error::Error + Send + Sync>> {
    match command {
        Command::Init {
            dir,
            author_name,
            author_email,
        } => {
            let commit = setup::init(&dir, &Signature::now(&author_name, &author_email))?;
            println!(
                "created {} (first commit {commit})",
                setup::repo_path(&dir).display()
            );
            println!("serve it with: codraft serve --data {}", dir.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Serve {
            data,
            listen,
            sessions,
        } => serve(
            &data,
            listen,
            codraft::web::Settings {
                session_idle: sessions.session_idle,
                session_max: sessions.session_max,
                ..Default::default()
            },
        ),
        Command::Check { path } => {
            let problems =
                plan::check_path(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            for p in &problems {
                println!("{p}");
            }
            if problems.is_empty() {
                println!("{}: every document is valid", path.display());
                Ok(ExitCode::SUCCESS)
            } else {
                eprintln!("{} problem(s)", problems.len());
                Ok(ExitCode::FAILURE)
            }
        }
        Command::Export {
            path,
            lang,
            rev,
            format,
            output,
            site,
            force,
        } => match site {
            Some(dir) => export_site(&path, &dir, force),
            None => export(&path, lang.as_deref(), &rev, &format, output.as_deref()),
        },
        Command::User { command } => user(command),
        Command::Hook { name } => hook(&name),
        Command::Demo { listen, data } => {
            if setup::demo(&data)? {
                println!("created the demo plan in {}", data.display());
            }
            seed_demo_accounts(&data)?;
            serve(&data, listen, Default::default())
        }
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// `codraft hook pre-receive`: git runs it (through the hook `codraft serve` installs) before
/// a push moves any ref. Pushes through codraft's HTTP server name the pusher in
/// `CODRAFT_USER` and the data directory in `CODRAFT_DATA`; each refused update is printed (git
/// shows it to the pusher as `remote: …`) and the push is refused as a whole.
fn hook(name: &str) -> Result<ExitCode, BoxError> {
    if name != "pre-receive" {
        return Err(format!("no hook \"{name}\"").into());
    }
    let (Ok(user_id), Ok(data)) = (std::env::var("CODRAFT_USER"), std::env::var("CODRAFT_DATA"))
    else {
        return Ok(ExitCode::SUCCESS); // not a push through codraft's server
    };
    let data = PathBuf::from(data);
    let mut input = String::new();
    std::io::Read::read_to_string(&mut std::io::stdin(), &mut input)?;
    let updates = codraft::workflow::push::parse_updates(&input);
    let repo = git2::Repository::open_bare(setup::repo_path(&data))?;
    // The pushed objects wait in a quarantine directory until the hook accepts them.
    let odb = repo.odb()?;
    for var in ["GIT_QUARANTINE_PATH", "GIT_OBJECT_DIRECTORY"] {
        if let Ok(dir) = std::env::var(var) {
            let _ = odb.add_disk_alternate(&dir);
        }
    }
    let Some(user) = accounts_of(&data)?.user(&user_id) else {
        eprintln!("codraft: no account \"{user_id}\"");
        return Ok(ExitCode::FAILURE);
    };
    let refusals = codraft::workflow::push::check_push(&repo, &user, &updates);
    if refusals.is_empty() {
        return Ok(ExitCode::SUCCESS);
    }
    eprintln!("codraft refused this push:");
    for r in refusals {
        eprintln!("  {r}");
    }
    Ok(ExitCode::FAILURE)
}

/// `codraft export`: the same document `/export` serves, read through the same store.
fn export(
    path: &std::path::Path,
    lang: Option<&str>,
    rev: &str,
    format: &str,
    output: Option<&std::path::Path>,
) -> Result<ExitCode, BoxError> {
    let format = Format::parse(format).ok_or("--format is md or html")?;
    let data_repo = setup::repo_path(path);
    let repo = if data_repo.join("HEAD").exists() {
        data_repo
    } else if path.join("HEAD").exists() && path.join("objects").is_dir() {
        path.to_path_buf()
    } else {
        return Err(format!(
            "{} is neither a data directory (holding plan.git) nor a bare plan repository",
            path.display()
        )
        .into());
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let doc = runtime.block_on(async {
        let store = Store::open(&repo)?;
        let plan = PlanReader::new(store.clone());
        let translations = Translations::new(store, plan.clone());
        let render = codraft::web::Renderer::new()?;
        Ok::<_, BoxError>(
            codraft::web::export::document(&plan, &translations, &render, rev, lang, format)
                .await?,
        )
    })?;
    match output {
        Some(file) => {
            std::fs::write(file, &doc.body).map_err(|e| format!("{}: {e}", file.display()))?;
            eprintln!("wrote {}", file.display());
        }
        None => {
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            out.write_all(doc.body.as_bytes())?;
            out.flush()?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `codraft export --site`: the public site, crawled from the same router the server runs.
fn export_site(
    data: &std::path::Path,
    dir: &std::path::Path,
    force: bool,
) -> Result<ExitCode, BoxError> {
    use codraft::web::site;
    if !setup::repo_path(data).join("HEAD").exists() {
        return Err(format!(
            "{} is not a data directory (holding plan.git)",
            data.display()
        )
        .into());
    }
    let not_empty = std::fs::read_dir(dir).is_ok_and(|mut d| d.next().is_some());
    if not_empty {
        if !force {
            return Err(format!(
                "{} is not empty (add --force to write into it)",
                dir.display()
            )
            .into());
        }
        for name in site::OWNED {
            let path = dir.join(name);
            if path.is_dir() {
                std::fs::remove_dir_all(&path)?;
            } else if path.exists() {
                std::fs::remove_file(&path)?;
            }
        }
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let report = runtime.block_on(site::export(data, dir, &mut site::Progress::stderr()))?;
    for error in &report.errors {
        eprintln!("warning: {error}");
    }
    eprintln!(
        "wrote {} pages to {} in {:.1} s",
        report.pages,
        dir.display(),
        report.elapsed.as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}

/// The accounts of a data directory, which must hold a plan (so that a mistyped `--data`
/// does not start an accounts file of its own).
fn accounts_of(data: &std::path::Path) -> Result<Accounts, BoxError> {
    if !setup::repo_path(data).exists() {
        return Err(format!("{} holds no plan repository", data.display()).into());
    }
    Ok(Accounts::open(data)?)
}

/// The plan on the `main` branch of `DIR/plan.git`.
fn plan_on_main(data: &std::path::Path) -> Result<PlanSnapshot, BoxError> {
    let repo_path = setup::repo_path(data);
    let repo = git2::Repository::open_bare(&repo_path)
        .map_err(|e| format!("{}: {e}", repo_path.display()))?;
    let commit = codraft::store::git::resolve(&repo, "main")?;
    Ok(plan::load(
        &plan::CommitFiles {
            repo: &repo,
            commit,
        },
        commit,
    )?)
}

/// The demo's accounts (see `auth::demo`), made once, when there is no accounts file yet.
fn seed_demo_accounts(data: &std::path::Path) -> Result<(), BoxError> {
    if let Some(users) = auth::demo::seed(data, &plan_on_main(data)?.forum)? {
        println!(
            "created {} demo accounts: each forum member's id (e.g. {}), secretariat and \
             translator, all with the password \"{}\" (for a local demo only)",
            users.len(),
            users.first().map_or("", |u| u.id.as_str()),
            auth::demo::DEMO_PASSWORD
        );
    }
    Ok(())
}

fn print_token(token: &str) {
    println!("API token (shown only now; store it safely): {token}");
    println!("send it with each API request as the header: Authorization: Bearer {token}");
}

fn user(command: UserCommand) -> Result<ExitCode, BoxError> {
    match command {
        UserCommand::Add {
            name,
            data,
            sector,
            roles,
            commitments,
            agency,
            id,
            email,
            password_stdin,
        } => {
            let accounts = accounts_of(&data)?;
            let snapshot = plan_on_main(&data)?;
            let known: Vec<&str> = snapshot.commitments.iter().map(|c| c.id.as_str()).collect();
            if let Some(unknown) = commitments.iter().find(|c| !known.contains(&c.as_str())) {
                let valid = if known.is_empty() {
                    "the plan has no commitments yet".to_string()
                } else {
                    format!("the plan's commitments are: {}", known.join(", "))
                };
                return Err(format!("unknown commitment \"{unknown}\"; {valid}").into());
            }
            let (password, generated) = if password_stdin {
                let mut line = String::new();
                std::io::stdin().read_line(&mut line)?;
                (line.trim_end_matches(['\r', '\n']).to_string(), false)
            } else {
                (auth::secret::random_password()?, true)
            };
            let (user, token) = accounts.add_user(NewUser {
                id: id.unwrap_or_else(|| name.clone()),
                name,
                email,
                sector,
                roles: roles.into_iter().collect(),
                commitments: commitments.into_iter().collect(),
                agency: agency
                    .map(|a| a.trim().to_string())
                    .filter(|a| !a.is_empty()),
                password: Some(password.clone()),
            })?;
            println!("created user {} ({}, {})", user.id, user.name, user.sector);
            if generated {
                println!("password (shown only now): {password}");
            }
            print_token(&token);
            Ok(ExitCode::SUCCESS)
        }
        UserCommand::List { data } => {
            let users = accounts_of(&data)?.users();
            if users.is_empty() {
                println!("no users yet (add one with `codraft user add`)");
                return Ok(ExitCode::SUCCESS);
            }
            let join = |items: Vec<String>| items.join(",");
            println!("id\tname\temail\tsector\troles\tworking groups");
            for u in users {
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}",
                    u.id,
                    u.name,
                    u.email.as_deref().unwrap_or("-"),
                    u.sector,
                    join(u.roles.iter().map(Role::to_string).collect()),
                    join(u.commitments.into_iter().collect()),
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        UserCommand::Token { id, data } => {
            print_token(&accounts_of(&data)?.new_token(&id)?);
            Ok(ExitCode::SUCCESS)
        }
    }
}
