//! `user add|list|passwd|disable` through the real binary.

use std::io::Write;
use std::process::{Output, Stdio};

use artifact_console::auth::{self, AccountName, SignInOutcome};
use chrono::Utc;
use secrecy::SecretString;

use crate::support::db::{self as testdb, TestDb, console};

fn run(t: &TestDb, args: &[&str], stdin: Option<&str>) -> Output {
    let dir = tempfile::tempdir().expect("a data folder");
    let mut child = console(Some(&t.url), dir.path())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the console");
    let mut input = child.stdin.take().expect("stdin");
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).expect("write stdin");
    }
    drop(input);
    child.wait_with_output().expect("the console ends")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

async fn signs_in(t: &TestDb, name: &str, password: &str) -> bool {
    let outcome = super::service(&t.db)
        .sign_in(name, SecretString::from(password), None, Utc::now())
        .await
        .expect("sign-in runs");
    matches!(outcome, SignInOutcome::SignedIn { .. })
}

/// The password a command printed after "(shown once): ".
fn printed_password(output: &Output) -> String {
    let out = text(&output.stdout);
    out.lines()
        .find_map(|l| {
            l.split_once("(shown once): ")
                .map(|(_, p)| p.trim().to_owned())
        })
        .unwrap_or_else(|| panic!("no password printed: {out}"))
}

#[tokio::test]
async fn user_add_prints_a_generated_password_once_that_signs_in() {
    testdb::on_both(|t| async move {
        let output = run(&t, &["user", "add", "jane", "--role", "viewer"], None);

        assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
        let password = printed_password(&output);
        assert!(password.len() >= 20);
        assert!(signs_in(&t, "jane", &password).await);
    })
    .await;
}

#[tokio::test]
async fn user_add_reads_the_password_from_stdin_and_prints_none() {
    testdb::on_both(|t| async move {
        let output = run(
            &t,
            &["user", "add", "ops", "--role", "admin", "--password-stdin"],
            Some("chosen by the operator\n"),
        );

        assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
        assert!(!text(&output.stdout).contains("chosen by the operator"));
        assert!(signs_in(&t, "ops", "chosen by the operator").await);
    })
    .await;
}

#[tokio::test]
async fn bad_names_roles_and_short_passwords_exit_2_and_create_nothing() {
    let t = testdb::fresh(artifact_console::db::Dialect::Sqlite).await;

    let bad_name = run(&t, &["user", "add", "Jane Doe", "--role", "viewer"], None);
    let bad_role = run(&t, &["user", "add", "jane", "--role", "root"], None);
    let short = run(
        &t,
        &[
            "user",
            "add",
            "jane",
            "--role",
            "viewer",
            "--password-stdin",
        ],
        Some("short\n"),
    );

    // clap words its own usage errors over several lines; the console's are one line.
    assert_eq!(
        bad_role.status.code(),
        Some(2),
        "{}",
        text(&bad_role.stderr)
    );
    for output in [&bad_name, &short] {
        assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
        assert_eq!(
            text(&output.stderr).lines().count(),
            1,
            "{}",
            text(&output.stderr)
        );
    }
    assert!(auth::list(&t.db).await.expect("list").is_empty());
}

#[tokio::test]
async fn adding_a_taken_name_exits_1_and_keeps_the_old_password() {
    testdb::on_both(|t| async move {
        let first = run(&t, &["user", "add", "jane", "--role", "viewer"], None);
        let password = printed_password(&first);

        let second = run(&t, &["user", "add", "jane", "--role", "admin"], None);

        assert_eq!(second.status.code(), Some(1));
        assert!(
            text(&second.stderr).contains("already exists"),
            "{}",
            text(&second.stderr)
        );
        assert!(signs_in(&t, "jane", &password).await);
    })
    .await;
}

#[tokio::test]
async fn user_list_shows_names_roles_and_status_but_no_hashes() {
    testdb::on_both(|t| async move {
        run(&t, &["user", "add", "jane", "--role", "viewer"], None);
        run(&t, &["user", "add", "ops", "--role", "admin"], None);
        run(&t, &["user", "disable", "jane"], None);

        let output = run(&t, &["user", "list"], None);

        let out = text(&output.stdout);
        assert_eq!(output.status.code(), Some(0));
        let jane = out
            .lines()
            .find(|l| l.starts_with("jane "))
            .expect("jane listed");
        let ops = out
            .lines()
            .find(|l| l.starts_with("ops "))
            .expect("ops listed");
        assert!(
            jane.contains("viewer") && jane.contains("disabled"),
            "{jane}"
        );
        assert!(ops.contains("admin") && ops.contains("active"), "{ops}");
        assert!(!out.contains("$argon2"));
    })
    .await;
}

#[tokio::test]
async fn user_passwd_replaces_the_password() {
    testdb::on_both(|t| async move {
        let added = run(&t, &["user", "add", "jane", "--role", "viewer"], None);
        let old = printed_password(&added);

        let changed = run(
            &t,
            &["user", "passwd", "jane", "--password-stdin"],
            Some("the new long password"),
        );

        assert_eq!(changed.status.code(), Some(0), "{}", text(&changed.stderr));
        assert!(!signs_in(&t, "jane", &old).await);
        assert!(signs_in(&t, "jane", "the new long password").await);
    })
    .await;
}

#[tokio::test]
async fn user_disable_stops_sign_in_and_unknown_names_exit_1() {
    testdb::on_both(|t| async move {
        let added = run(&t, &["user", "add", "jane", "--role", "viewer"], None);
        let password = printed_password(&added);

        let disabled = run(&t, &["user", "disable", "jane"], None);
        let unknown = run(&t, &["user", "disable", "nobody"], None);
        let unknown_passwd = run(&t, &["user", "passwd", "nobody"], None);

        assert_eq!(disabled.status.code(), Some(0));
        assert!(!signs_in(&t, "jane", &password).await);
        assert_eq!(unknown.status.code(), Some(1));
        assert_eq!(unknown_passwd.status.code(), Some(1));
        let name = AccountName::parse("jane").expect("valid");
        assert!(!auth::find(&t.db, &name).await.expect("find").is_active());
    })
    .await;
}
