//! Signing in: matching passwords, refusals that reveal nothing, throttling.

use std::net::IpAddr;

use artifact_console::auth::{
    self, AccountName, Role, SignInOutcome, SignInRefusal, ThrottlePolicy,
};
use artifact_console::db::Db;
use chrono::{DateTime, TimeDelta, Utc};
use secrecy::SecretString;

use crate::support::db as testdb;

const PASSWORD: &str = "a long enough pw";

async fn jane(db: &Db, now: DateTime<Utc>) -> auth::Account {
    let name = AccountName::parse("jane").expect("valid");
    super::service(db)
        .create(
            &super::operator(),
            &name,
            Role::Admin,
            SecretString::from(PASSWORD),
            now,
        )
        .await
        .expect("create jane")
}

async fn attempt(
    db: &Db,
    name: &str,
    password: &str,
    address: &str,
    now: DateTime<Utc>,
) -> SignInOutcome {
    let address: IpAddr = address.parse().expect("an address");
    super::service(db)
        .sign_in(name, SecretString::from(password), Some(address), now)
        .await
        .expect("the attempt runs")
}

fn refusal(outcome: SignInOutcome) -> Option<SignInRefusal> {
    match outcome {
        SignInOutcome::Refused(r) => Some(r),
        SignInOutcome::SignedIn { .. } => None,
    }
}

#[tokio::test]
async fn the_right_password_signs_in_and_records_the_time() {
    testdb::on_both(|t| async move {
        let now = Utc::now();
        jane(&t.db, now).await;

        let outcome = attempt(&t.db, "jane", PASSWORD, "10.0.0.1", now).await;

        let SignInOutcome::SignedIn { account, .. } = outcome else {
            panic!("refused: {outcome:?}");
        };
        assert_eq!(account.role, Role::Admin);
        let name = AccountName::parse("jane").expect("valid");
        let stored = auth::find(&t.db, &name).await.expect("find");
        assert!(stored.last_sign_in_at.is_some());
    })
    .await;
}

#[tokio::test]
async fn wrong_passwords_unknown_names_and_disabled_accounts_get_the_same_refusal() {
    testdb::on_both(|t| async move {
        let now = Utc::now();
        let account = jane(&t.db, now).await;
        let joe = AccountName::parse("joe").expect("valid");
        super::service(&t.db)
            .create(
                &super::operator(),
                &joe,
                Role::Viewer,
                SecretString::from(PASSWORD),
                now,
            )
            .await
            .expect("create joe");
        super::service(&t.db)
            .disable(&super::operator(), &joe, now)
            .await
            .expect("disable joe");

        let wrong = attempt(&t.db, "jane", "not the password", "10.0.0.1", now).await;
        let unknown = attempt(&t.db, "nobody", PASSWORD, "10.0.0.2", now).await;
        let disabled = attempt(&t.db, "joe", PASSWORD, "10.0.0.3", now).await;

        for outcome in [wrong, unknown, disabled] {
            assert_eq!(refusal(outcome), Some(SignInRefusal::BadCredentials));
        }
        assert_eq!(account.name.as_str(), "jane");
    })
    .await;
}

#[tokio::test]
async fn repeated_failures_lock_the_account_name_even_with_the_right_password() {
    testdb::on_both(|t| async move {
        let now = Utc::now();
        jane(&t.db, now).await;
        let policy = ThrottlePolicy::default();
        for i in 0..policy.per_account {
            // Different addresses: the lock is on the name, not the address.
            let address = format!("10.0.1.{i}");
            attempt(&t.db, "jane", "wrong password", &address, now).await;
        }

        let locked = attempt(&t.db, "jane", PASSWORD, "10.0.2.1", now).await;
        let later = attempt(&t.db, "jane", PASSWORD, "10.0.2.1", now + policy.lock).await;

        assert!(matches!(
            refusal(locked),
            Some(SignInRefusal::Throttled { .. })
        ));
        assert!(refusal(later).is_none(), "the lock ends");
    })
    .await;
}

#[tokio::test]
async fn repeated_failures_from_one_address_lock_that_address_only() {
    testdb::on_both(|t| async move {
        let now = Utc::now();
        jane(&t.db, now).await;
        let policy = ThrottlePolicy::default();
        for i in 0..policy.per_address {
            // Different unknown names: the lock is on the address.
            attempt(
                &t.db,
                &format!("guess{i}"),
                "wrong password",
                "10.9.9.9",
                now,
            )
            .await;
        }

        let from_there = attempt(&t.db, "jane", PASSWORD, "10.9.9.9", now).await;
        let from_elsewhere = attempt(&t.db, "jane", PASSWORD, "10.9.9.8", now).await;

        assert!(matches!(
            refusal(from_there),
            Some(SignInRefusal::Throttled { .. })
        ));
        assert!(refusal(from_elsewhere).is_none());
    })
    .await;
}

#[tokio::test]
async fn an_unknown_name_is_throttled_like_a_real_one() {
    testdb::on_both(|t| async move {
        let now = Utc::now();
        let policy = ThrottlePolicy::default();
        for i in 0..policy.per_account {
            attempt(
                &t.db,
                "ghost",
                "wrong password",
                &format!("10.0.3.{i}"),
                now,
            )
            .await;
        }

        let next = attempt(
            &t.db,
            "ghost",
            "wrong password",
            "10.0.4.1",
            now + TimeDelta::seconds(1),
        )
        .await;

        assert!(matches!(
            refusal(next),
            Some(SignInRefusal::Throttled { .. })
        ));
    })
    .await;
}
