//! A fresh database per test, on SQLite and on PostgreSQL.
//!
//! SQLite gets a new file in a temporary folder. PostgreSQL gets a new database created
//! on the server of `TEST_DATABASE_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`)
//! and dropped again when the [`TestDb`] is dropped. Run one body on both dialects with
//! [`on_both`]:
//!
//! ```text
//! support::db::on_both(|t| async move {
//!     let audit = AuditLog::new(t.db.clone());
//!     // ...
//! })
//! .await;
//! ```

#![allow(
    dead_code,
    reason = "shared by every engineer's tests; not every build of them uses every helper"
)]

use std::future::Future;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use artifact_console::config::DatabaseSettings;
use artifact_console::db::{Db, Dialect};
use secrecy::SecretString;
use sqlx::{Connection, Executor};

const DEFAULT_SERVER_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// Both dialects, in the order [`on_both`] runs them.
pub const DIALECTS: [Dialect; 2] = [Dialect::Sqlite, Dialect::Postgres];

/// One test's own database; dropping it removes the database.
pub struct TestDb {
    /// An open, migrated (unless made by [`empty`]) handle.
    pub db: Db,
    /// The settings that reach this database (for `Settings` of the app under test).
    pub settings: DatabaseSettings,
    /// `DATABASE_URL` for this database, for running the real binary.
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    Sqlite { _dir: tempfile::TempDir },
    Postgres { server_url: String, name: String },
}

impl TestDb {
    /// Which dialect this database speaks.
    pub fn dialect(&self) -> Dialect {
        self.db.dialect()
    }

    /// Opens a second, independent pool on the same database (a second "replica").
    pub async fn second_pool(&self) -> Db {
        Db::connect(&self.settings)
            .await
            .expect("a second pool on the test database")
    }

    /// The SQLite file, for tests that open it directly.
    pub fn sqlite_path(&self) -> Option<PathBuf> {
        match &self.settings {
            DatabaseSettings::Sqlite { path } => Some(path.clone()),
            DatabaseSettings::Postgres { .. } => None,
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Cleanup::Postgres { server_url, name } = &self.cleanup else {
            return;
        };
        let (server_url, name) = (server_url.clone(), name.clone());
        let statement = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
        // Drop runs inside the test's runtime, which cannot be blocked on; a short-lived
        // thread with its own runtime drops the database (forcing out open connections).
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime to drop the test database");
            runtime.block_on(async move {
                let mut admin = sqlx::PgConnection::connect(&server_url).await?;
                admin.execute(statement.as_str()).await?;
                admin.close().await
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("could not drop the test database {name}; drop it by hand");
        }
    }
}

/// A fresh database of `dialect` with every migration applied.
pub async fn fresh(dialect: Dialect) -> TestDb {
    let test_db = empty(dialect).await;
    test_db.db.migrate().await.expect("migrations apply");
    test_db
}

/// A fresh database of `dialect` with no migration applied.
pub async fn empty(dialect: Dialect) -> TestDb {
    match dialect {
        Dialect::Sqlite => empty_sqlite().await,
        Dialect::Postgres => empty_postgres().await,
    }
}

/// Runs `test` once on a fresh SQLite database, then once on a fresh PostgreSQL one.
/// The dialect is printed first, so a failure's captured output says which one failed.
pub async fn on_both<F, Fut>(test: F)
where
    F: Fn(TestDb) -> Fut,
    Fut: Future<Output = ()>,
{
    for dialect in DIALECTS {
        eprintln!("-- on {dialect:?}");
        test(fresh(dialect).await).await;
    }
}

/// The PostgreSQL server the tests use.
pub fn server_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_SERVER_URL.to_owned())
}

async fn empty_sqlite() -> TestDb {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join("console.db");
    let settings = DatabaseSettings::Sqlite { path: path.clone() };
    let db = Db::connect(&settings).await.expect("open the SQLite file");
    TestDb {
        db,
        settings,
        url: format!("sqlite://{}", path.display()),
        cleanup: Cleanup::Sqlite { _dir: dir },
    }
}

async fn empty_postgres() -> TestDb {
    let server_url = server_url();
    let name = unique_name();
    let mut admin = sqlx::PgConnection::connect(&server_url)
        .await
        .unwrap_or_else(|e| panic!("PostgreSQL for the tests ({DEFAULT_SERVER_URL} or TEST_DATABASE_URL) is not reachable: {e}"));
    admin
        .execute(format!("CREATE DATABASE {name}").as_str())
        .await
        .expect("create the test database");
    let _ = admin.close().await;

    let mut url = url::Url::parse(&server_url).expect("TEST_DATABASE_URL is a URL");
    url.set_path(&name);
    let url = url.to_string();
    let settings = DatabaseSettings::Postgres {
        url: SecretString::from(url.clone()),
    };
    let db = Db::connect(&settings)
        .await
        .expect("open the test database");
    TestDb {
        db,
        settings,
        url,
        cleanup: Cleanup::Postgres { server_url, name },
    }
}

/// A database name no other test (or test process) uses at the same time.
fn unique_name() -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    format!(
        "console_test_{}_{}_{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// The real `artifact-console` binary with `DATABASE_URL` pointing at `url` and local
/// storage under `data_dir`; nothing else from the caller's environment leaks in.
pub fn console(url: Option<&str>, data_dir: &std::path::Path) -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_artifact-console"));
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("DATA_DIR", data_dir)
        .env("RUST_LOG", "off")
        .current_dir(data_dir);
    if let Some(url) = url {
        command.env("DATABASE_URL", url);
    }
    command
}
