//! The database: one pool over SQLite (embedded, the default) or PostgreSQL
//! (production), and the migrations of both dialects.
//!
//! Queries go through sqlx's `Any` driver so one query text serves both dialects: use
//! `$1`-style placeholders, and store times as `BIGINT` microseconds since the Unix
//! epoch (UTC), which both dialects sort and compare alike.

pub mod accounts;
pub mod sessions;
pub mod sign_ins;

use std::time::Duration;

use sqlx::AnyPool;
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::migrate::Migrator;

use crate::config::DatabaseSettings;

static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/postgres");
static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/sqlite");

/// Which SQL dialect the pool speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

/// A database failure. Messages never hold the connection password.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The database could not be opened or reached at start-up.
    #[error("DATABASE_URL: cannot open {target}: {reason}")]
    Connect { target: String, reason: String },
    /// Applying migrations failed; the failed migration's changes were rolled back.
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A query failed.
    #[error("database error: {0}")]
    Query(#[from] sqlx::Error),
}

/// A handle on the console's database; cheap to clone.
#[derive(Debug, Clone)]
pub struct Db {
    pool: AnyPool,
    dialect: Dialect,
}

impl Db {
    /// Opens the database (creating the SQLite file and its folder if needed).
    pub async fn connect(settings: &DatabaseSettings) -> Result<Self, DbError> {
        install_default_drivers();
        let target = settings.describe();
        let fail = |reason: String| DbError::Connect {
            target: target.clone(),
            reason,
        };
        let dialect = match settings {
            DatabaseSettings::Sqlite { path } => {
                if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                    std::fs::create_dir_all(parent)
                        .map_err(|e| fail(format!("cannot create {}: {e}", parent.display())))?;
                }
                Dialect::Sqlite
            }
            DatabaseSettings::Postgres { .. } => Dialect::Postgres,
        };
        let options = AnyPoolOptions::new()
            .max_connections(if dialect == Dialect::Sqlite { 4 } else { 10 })
            .acquire_timeout(Duration::from_secs(10));
        let pool = options
            .connect(&settings.connect_url())
            .await
            .map_err(|e| fail(redact(&e.to_string(), settings)))?;
        if dialect == Dialect::Sqlite {
            // WAL lets readers work while one writer appends; the busy timeout makes
            // concurrent writers wait for each other instead of failing.
            sqlx::query("PRAGMA journal_mode = WAL")
                .execute(&pool)
                .await
                .map_err(|e| fail(e.to_string()))?;
        }
        Ok(Self { pool, dialect })
    }

    /// Applies every pending migration. Safe to run from two processes at once: on
    /// PostgreSQL the migrator holds an advisory lock; SQLite serialises writers itself.
    pub async fn migrate(&self) -> Result<(), DbError> {
        let migrator = match self.dialect {
            Dialect::Sqlite => &SQLITE_MIGRATIONS,
            Dialect::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator.run(&self.pool).await?;
        Ok(())
    }

    /// Checks that the database answers (for readiness checks).
    pub async fn ping(&self) -> Result<(), DbError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// The pool, for the table modules of this folder.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// The dialect, for the few statements that differ.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// Closes every connection (tests and shutdown).
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Removes the password of a PostgreSQL URL from a driver message, should it echo it.
fn redact(message: &str, settings: &DatabaseSettings) -> String {
    let url = settings.connect_url();
    match url::Url::parse(&url)
        .ok()
        .and_then(|u| u.password().map(str::to_owned))
    {
        Some(password) if !password.is_empty() => message.replace(&password, "[redacted]"),
        _ => message.to_owned(),
    }
}

/// Microseconds since the Unix epoch, the unit every time column uses.
pub fn to_micros(time: chrono::DateTime<chrono::Utc>) -> i64 {
    time.timestamp_micros()
}

/// The time a stored microsecond count stands for.
pub fn from_micros(micros: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp_micros(micros).unwrap_or_default()
}
