//! The `codraft` command: set up a plan repository, check its documents, serve it.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use codraft::store::Signature;
use codraft::workflow::{plan, setup};

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
    runtime.block_on(codraft::web::serve(data, listen))?;
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
        Command::Serve { data, listen } => serve(&data, listen),
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
        Command::Demo { listen, data } => {
            if setup::demo(&data)? {
                println!("created the demo plan in {}", data.display());
            }
            serve(&data, listen)
        }
    }
}
