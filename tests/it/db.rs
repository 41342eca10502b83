//! The database layer on both dialects: migrations and start-up failures.

use std::path::Path;
use std::process::Output;
use std::time::Duration;

use artifact_console::db::{Db, Dialect};
use sqlx::migrate::Migrator;

use crate::support::db::{self as testdb, DIALECTS, console};

fn stderr_of(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

async fn applied_versions(db: &Db) -> Vec<i64> {
    sqlx::query_scalar("SELECT version FROM _sqlx_migrations ORDER BY version")
        .fetch_all(db.pool())
        .await
        .expect("the migrations table")
}

/// The versions the console ships for `dialect`, read from its migrations folder, so the
/// tests expect exactly what a new migration adds.
fn shipped_versions(dialect: Dialect) -> Vec<i64> {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join(migrations_folder(dialect));
    let mut versions: Vec<i64> = std::fs::read_dir(folder)
        .expect("the migrations folder")
        .filter_map(|entry| {
            let name = entry.ok()?.file_name().into_string().ok()?;
            name.split('_').next()?.parse().ok()
        })
        .collect();
    versions.sort_unstable();
    versions
}

fn migrations_folder(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Sqlite => "migrations/sqlite",
        Dialect::Postgres => "migrations/postgres",
    }
}

/// A copy of the dialect's migrations plus one that creates a table and then fails.
fn migrations_with_a_broken_one(dialect: Dialect, dir: &Path) {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join(migrations_folder(dialect));
    for entry in std::fs::read_dir(source).expect("the migrations folder") {
        let path = entry.expect("a migration").path();
        std::fs::copy(&path, dir.join(path.file_name().expect("a file name")))
            .expect("copy a migration");
    }
    std::fs::write(
        dir.join("9999_broken.sql"),
        "CREATE TABLE must_not_survive (id BIGINT);\n\
         INSERT INTO must_not_survive (id) VALUES (1);\n\
         INSERT INTO no_such_table (id) VALUES (1);\n",
    )
    .expect("write the broken migration");
}

#[tokio::test]
async fn migrating_twice_changes_nothing() {
    testdb::on_both(|t| async move {
        let before = applied_versions(&t.db).await;

        t.db.migrate().await.expect("a second run");

        assert_eq!(applied_versions(&t.db).await, before);
        assert_eq!(before, shipped_versions(t.dialect()));
    })
    .await;
}

#[tokio::test]
async fn a_failing_migration_leaves_the_schema_as_it_was() {
    testdb::on_both(|t| async move {
        let dir = tempfile::tempdir().expect("a temporary folder");
        migrations_with_a_broken_one(t.dialect(), dir.path());
        let migrator = Migrator::new(dir.path())
            .await
            .expect("read the migrations");

        let result = t.db.migrate_with(&migrator).await;

        assert!(result.is_err(), "the broken migration must fail");
        let leftover = sqlx::query("SELECT id FROM must_not_survive")
            .fetch_all(t.db.pool())
            .await;
        assert!(leftover.is_err(), "the table it created must be gone");
        assert_eq!(applied_versions(&t.db).await, shipped_versions(t.dialect()));
        // Another process must not find the migration lock still held: a deadlock
        // guard, not a speed check.
        let other = t.second_pool().await;
        let again = tokio::time::timeout(Duration::from_secs(60), other.migrate()).await;
        again
            .expect("the failed run left the migration lock held")
            .expect("the real migrations still apply");
    })
    .await;
}

#[tokio::test]
async fn two_processes_migrating_at_once_both_succeed() {
    for dialect in DIALECTS {
        let t = testdb::empty(dialect).await;
        let dir = tempfile::tempdir().expect("a temporary folder");

        let children: Vec<_> = (0..2)
            .map(|_| {
                console(Some(&t.url), dir.path())
                    .arg("migrate")
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .expect("start the console")
            })
            .collect();
        let outputs: Vec<Output> = children
            .into_iter()
            .map(|c| c.wait_with_output().expect("the console ends"))
            .collect();

        for output in &outputs {
            assert!(
                output.status.success(),
                "{dialect:?}: {}",
                stderr_of(output)
            );
        }
        assert_eq!(
            applied_versions(&t.db).await,
            shipped_versions(dialect),
            "{dialect:?}"
        );
    }
}

#[test]
fn an_unreachable_database_stops_with_one_line_naming_database_url() {
    let dir = tempfile::tempdir().expect("a temporary folder");

    let output = console(
        Some("postgres://console:hunter2@127.0.0.1:1/console"),
        dir.path(),
    )
    .arg("migrate")
    .output()
    .expect("run the console");

    let stderr = stderr_of(&output);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("DATABASE_URL"), "{stderr}");
    assert!(stderr.contains("127.0.0.1:1"), "{stderr}");
    assert!(!stderr.contains("hunter2"), "{stderr}");
}

#[test]
fn a_malformed_database_url_stops_with_the_configuration_exit_code() {
    let dir = tempfile::tempdir().expect("a temporary folder");

    let output = console(Some("postgres://console:hunter2@:5432"), dir.path())
        .arg("migrate")
        .output()
        .expect("run the console");

    let stderr = stderr_of(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("DATABASE_URL"), "{stderr}");
    assert!(!stderr.contains("hunter2"), "{stderr}");
}

#[test]
fn without_database_url_an_embedded_sqlite_file_is_created_under_the_data_folder() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let data_dir = dir.path().join("fresh").join("data");
    std::fs::create_dir_all(dir.path().join("fresh")).expect("a parent folder");

    let output = console(None, dir.path())
        .env("DATA_DIR", &data_dir)
        .arg("migrate")
        .output()
        .expect("run the console");

    assert!(output.status.success(), "{}", stderr_of(&output));
    assert!(data_dir.join("console.db").is_file());
}
