//! First run: an empty database gets one admin with a random password in an
//! owner-only file; a database with accounts is left alone.

use std::net::IpAddr;
use std::os::unix::fs::PermissionsExt;

use artifact_console::auth::{self, Bootstrap, INITIAL_PASSWORD_FILE, Role, SignInOutcome};
use chrono::Utc;
use secrecy::{ExposeSecret, SecretString};

use crate::support::db as testdb;

#[tokio::test]
async fn the_first_run_creates_an_admin_whose_password_is_in_an_owner_only_file() {
    testdb::on_both(|t| async move {
        let data = tempfile::tempdir().expect("a data folder");

        let done = super::service(&t.db)
            .bootstrap(data.path(), Utc::now())
            .await
            .expect("bootstrap");

        let Bootstrap::Created {
            account,
            password,
            password_file,
        } = done
        else {
            panic!("nothing was created");
        };
        assert_eq!(account.role, Role::Admin);
        assert_eq!(password_file, data.path().join(INITIAL_PASSWORD_FILE));
        let written = std::fs::read_to_string(&password_file).expect("the file");
        assert_eq!(written.trim_end(), password.expose_secret());
        let mode = std::fs::metadata(&password_file)
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let address: IpAddr = "127.0.0.1".parse().expect("ip");
        let signed_in = super::service(&t.db)
            .sign_in("admin", password, Some(address), Utc::now())
            .await
            .expect("sign in");
        assert!(matches!(signed_in, SignInOutcome::SignedIn { .. }));
    })
    .await;
}

#[tokio::test]
async fn a_database_with_accounts_gets_no_new_admin() {
    testdb::on_both(|t| async move {
        let data = tempfile::tempdir().expect("a data folder");
        let name = auth::AccountName::parse("jane").expect("valid");
        super::service(&t.db)
            .create(
                &super::operator(),
                &name,
                Role::Viewer,
                SecretString::from("a long enough pw"),
                Utc::now(),
            )
            .await
            .expect("create");

        let done = super::service(&t.db)
            .bootstrap(data.path(), Utc::now())
            .await
            .expect("bootstrap");

        assert!(matches!(done, Bootstrap::AccountsExist));
        assert!(!data.path().join(INITIAL_PASSWORD_FILE).exists());
        assert_eq!(auth::list(&t.db).await.expect("list").len(), 1);
    })
    .await;
}

#[tokio::test]
async fn two_first_runs_at_once_create_one_admin() {
    testdb::on_both(|t| async move {
        let data = tempfile::tempdir().expect("a data folder");
        let second = t.second_pool().await;

        let (one, other) = (super::service(&t.db), super::service(&second));

        let (a, b) = tokio::join!(
            one.bootstrap(data.path(), Utc::now()),
            other.bootstrap(data.path(), Utc::now()),
        );

        let created = [a.expect("a"), b.expect("b")]
            .iter()
            .filter(|r| matches!(r, Bootstrap::Created { .. }))
            .count();
        assert_eq!(created, 1);
        assert_eq!(auth::list(&t.db).await.expect("list").len(), 1);
        let files = std::fs::read_dir(data.path()).expect("list").count();
        assert_eq!(files, 1, "only the final password file is left");
    })
    .await;
}
