//! The command line: every command of `artifact-console`, and how each one runs.

pub mod audit;
pub mod serve;
pub mod usage;
pub mod user;

use clap::{Parser, Subcommand, ValueEnum};

use crate::config::Settings;
use crate::db::Db;

/// Exit code of an operation that failed.
pub const EXIT_FAILURE: u8 = 1;
/// Exit code of bad usage or configuration.
pub const EXIT_USAGE: u8 = 2;

/// Staff console for a multi-tenant crawl SaaS: browse artifacts, run audited GDPR
/// erasures, watch storage usage. Settings come from the environment or a `.env` file
/// (see the README).
#[derive(Debug, Parser)]
#[command(name = "artifact-console", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Every command; `serve` when none is given.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web console (applies database migrations first).
    Serve {
        /// Fill an empty store with demo tenants, projects and runs first.
        #[arg(long)]
        demo: bool,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Manage console accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Fill the configured store with demo tenants, projects and runs.
    Demo,
    /// Storage usage.
    #[command(subcommand)]
    Usage(UsageCommand),
    /// Erase a tenant, a project or a run (GDPR Art. 17) and print the receipt.
    Purge(PurgeArgs),
    /// The audit trail.
    #[command(subcommand)]
    Audit(AuditCommand),
}

impl Default for Command {
    fn default() -> Self {
        Self::Serve { demo: false }
    }
}

/// `user ...`
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account; without --password-stdin a password is generated and printed once.
    Add {
        name: String,
        #[arg(long, value_enum)]
        role: RoleArg,
        /// Read the password from standard input instead of generating one.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List accounts.
    List,
    /// Set a new password (read from standard input, or generated and printed once).
    Passwd {
        name: String,
        #[arg(long)]
        password_stdin: bool,
    },
    /// Disable an account and end its sessions.
    Disable { name: String },
}

/// An account's role on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RoleArg {
    Viewer,
    Admin,
}

/// `usage ...`
#[derive(Debug, Subcommand)]
pub enum UsageCommand {
    /// Rescan storage usage now and record a snapshot.
    Scan {
        /// Only this tenant.
        #[arg(long)]
        tenant: Option<String>,
    },
}

/// `purge ...`
#[derive(Debug, clap::Args)]
pub struct PurgeArgs {
    /// The tenant (organisation id) to erase, or whose project or run to erase.
    #[arg(long)]
    pub tenant: String,
    /// Only this project of the tenant.
    #[arg(long)]
    pub project: Option<String>,
    /// Only this run of the project (needs --project).
    #[arg(long, requires = "project")]
    pub run: Option<String>,
    /// Why the data is erased (recorded in the audit trail and the receipt).
    #[arg(long)]
    pub reason: String,
    /// Show what would be erased and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Do not ask for the typed scope (for scripts).
    #[arg(long)]
    pub yes: bool,
}

/// `audit ...`
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check the hash chain; names the first broken entry.
    Verify,
    /// Write the audit trail to standard output.
    Export {
        #[arg(long, value_enum, default_value_t = ExportFormat::Jsonl)]
        format: ExportFormat,
    },
}

/// Audit export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    Jsonl,
    Csv,
}

/// Why a command failed, with the exit code it maps to.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Bad usage or configuration (exit 2).
    #[error("{0}")]
    Usage(String),
    /// The operation failed (exit 1).
    #[error("{0}")]
    Failed(String),
}

impl CliError {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Usage(_) => EXIT_USAGE,
            Self::Failed(_) => EXIT_FAILURE,
        }
    }
}

/// Runs one command to completion.
pub async fn run(command: Command, settings: Settings) -> Result<(), CliError> {
    match command {
        Command::Serve { demo } => serve::serve(settings, demo).await,
        Command::Demo => serve::demo(&settings).await,
        Command::Migrate => migrate(&settings).await,
        Command::Audit(command) => audit::run(command, &settings).await,
        Command::User(command) => user::run(command, &settings).await,
        Command::Usage(command) => usage::run(command, &settings).await,
        // Erasure jobs (planning, execution, verification, receipts) are not built yet:
        // the command refuses before touching the store, so nothing is ever half-erased.
        Command::Purge(_) => Err(CliError::Failed(
            "purge is not available in this version of the console; nothing was changed".to_owned(),
        )),
    }
}

/// Opens the configured database and applies pending migrations, so every command
/// that uses it sees the current schema. Failures become one line and exit code 1.
pub async fn open_database(settings: &Settings) -> Result<Db, CliError> {
    let db = Db::connect(&settings.database)
        .await
        .map_err(|e| CliError::Failed(e.to_string()))?;
    db.migrate()
        .await
        .map_err(|e| CliError::Failed(e.to_string()))?;
    Ok(db)
}

async fn migrate(settings: &Settings) -> Result<(), CliError> {
    let db = open_database(settings).await?;
    db.close().await;
    println!("migrations applied to {}", settings.database.describe());
    Ok(())
}
