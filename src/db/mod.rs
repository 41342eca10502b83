//! The database: one pool over SQLite (embedded, the default) or PostgreSQL
//! (production), and the migrations of both dialects.
//!
//! Queries go through sqlx's `Any` driver so one query text serves both dialects: use
//! `$1`-style placeholders, and store times as `BIGINT` microseconds since the Unix
//! epoch (UTC), which both dialects sort and compare alike.

pub mod accounts;
pub mod audit;
pub mod sessions;
pub mod sign_ins;
pub mod usage;

use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions, install_default_drivers};
use sqlx::migrate::Migrator;
use sqlx::{Any, AnyPool, ConnectOptions, Connection, Executor, Transaction};

use crate::config::DatabaseSettings;

static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/postgres");
static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/sqlite");

/// How long a SQLite writer waits for another writer (another process included)
/// before giving up; appends and migrations queue behind each other within it.
const SQLITE_BUSY_TIMEOUT_MS: u32 = 30_000;

/// Which SQL dialect the pool speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// An embedded SQLite file.
    Sqlite,
    /// A PostgreSQL server.
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
    ///
    /// One connection is made first, outside the pool, so an unreachable server fails
    /// at once with the driver's reason instead of a pool time-out after retries.
    pub async fn connect(settings: &DatabaseSettings) -> Result<Self, DbError> {
        install_default_drivers();
        let fail = |reason: String| DbError::Connect {
            target: settings.describe(),
            reason: redact(&reason, settings),
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
        let options: AnyConnectOptions = settings
            .connect_url()
            .parse()
            .map_err(|e: sqlx::Error| fail(e.to_string()))?;
        let options = options.disable_statement_logging();
        let probe = options.connect().await.map_err(|e| fail(e.to_string()))?;
        let _ = probe.close().await;

        let pool = pool_options(dialect)
            .connect_with(options)
            .await
            .map_err(|e| fail(e.to_string()))?;
        Ok(Self { pool, dialect })
    }

    /// Applies every pending migration. Safe to run from two processes at once: on
    /// PostgreSQL the migrator holds an advisory lock; on SQLite all pending migrations
    /// run inside one `BEGIN IMMEDIATE` transaction, which a second process waits for.
    pub async fn migrate(&self) -> Result<(), DbError> {
        let migrator = match self.dialect {
            Dialect::Sqlite => &SQLITE_MIGRATIONS,
            Dialect::Postgres => &POSTGRES_MIGRATIONS,
        };
        self.migrate_with(migrator).await
    }

    /// Applies the migrations of `migrator` the way [`Db::migrate`] does (tests use it
    /// to prove that a failing migration changes nothing).
    ///
    /// Each migration runs in a transaction on both dialects (DDL is transactional in
    /// PostgreSQL and in SQLite), so a failing one leaves the schema as it was. On
    /// SQLite the whole run shares one transaction: a failure undoes every migration of
    /// that run, not only the failing one.
    pub async fn migrate_with(&self, migrator: &Migrator) -> Result<(), DbError> {
        match self.dialect {
            Dialect::Postgres => {
                let mut conn = self.pool.acquire().await?;
                let result = migrator.run(&mut *conn).await;
                if result.is_err() {
                    // sqlx keeps its session-level advisory lock when a migration
                    // fails; back in the pool, that connection would make the next
                    // migration (of this process or any other) wait for ever. Ending
                    // the session releases the lock.
                    let _ = conn.detach().close().await;
                }
                result?;
            }
            Dialect::Sqlite => {
                let mut tx = self.begin_write().await?;
                migrator.run(&mut *tx).await?;
                tx.commit().await?;
            }
        }
        Ok(())
    }

    /// Starts a transaction that will write. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`), so a read-then-write inside it cannot be overtaken by
    /// another writer; on PostgreSQL callers add the lock they need.
    pub async fn begin_write(&self) -> Result<Transaction<'static, Any>, DbError> {
        let tx = match self.dialect {
            Dialect::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Dialect::Postgres => self.pool.begin().await?,
        };
        Ok(tx)
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

fn pool_options(dialect: Dialect) -> AnyPoolOptions {
    let options = AnyPoolOptions::new().acquire_timeout(Duration::from_secs(30));
    match dialect {
        Dialect::Postgres => options.max_connections(10),
        Dialect::Sqlite => options.max_connections(4).after_connect(|conn, _| {
            Box::pin(async move {
                // WAL lets readers work while one writer appends; the busy timeout
                // makes concurrent writers (other processes too) wait for each other
                // instead of failing with "database is locked".
                conn.execute(format!("PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}").as_str())
                    .await?;
                conn.execute("PRAGMA journal_mode = WAL").await?;
                Ok(())
            })
        }),
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
