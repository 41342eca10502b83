//! Sessions: expiry by idleness and by age, sign-out, disabling and password changes.

use artifact_console::auth::{self, AccountName, Role, SessionPolicy};
use artifact_console::db::Db;
use chrono::{DateTime, TimeDelta, Utc};
use secrecy::{ExposeSecret, SecretString};

use crate::support::db as testdb;

async fn account(db: &Db, name: &str, now: DateTime<Utc>) -> auth::Account {
    let name = AccountName::parse(name).expect("a valid name");
    super::service(db)
        .create(
            &super::operator(),
            &name,
            Role::Viewer,
            SecretString::from("a long enough pw"),
            now,
        )
        .await
        .expect("create the account")
}

async fn resolves(db: &Db, token: &SecretString, at: DateTime<Utc>) -> bool {
    super::service(db)
        .resolve(token.expose_secret(), at)
        .await
        .expect("look the session up")
        .is_some()
}

#[tokio::test]
async fn a_session_ends_after_the_idle_limit_without_requests() {
    testdb::on_both(|t| async move {
        let now = Utc::now();
        let idle = SessionPolicy::default().idle;
        let a = account(&t.db, "jane", now).await;
        let s = auth::start_session(&t.db, a.id, SessionPolicy::default(), now)
            .await
            .expect("start");

        let just_before = resolves(&t.db, &s.token, now + idle - TimeDelta::seconds(1)).await;
        let after = resolves(&t.db, &s.token, now + idle * 2).await;

        assert!(just_before);
        assert!(!after);
    })
    .await;
}

#[tokio::test]
async fn a_used_session_still_ends_at_its_absolute_limit() {
    testdb::on_both(|t| async move {
        let now = Utc::now();
        let policy = SessionPolicy::default();
        let a = account(&t.db, "jane", now).await;
        let s = auth::start_session(&t.db, a.id, policy, now)
            .await
            .expect("start");

        // A request every 20 minutes keeps the idle clock fresh ...
        let mut at = now;
        while at + TimeDelta::minutes(20) < now + policy.max_age {
            at += TimeDelta::minutes(20);
            assert!(resolves(&t.db, &s.token, at).await, "alive at {at}");
        }

        // ... but not past the absolute end.
        assert!(!resolves(&t.db, &s.token, now + policy.max_age).await);
    })
    .await;
}

#[tokio::test]
async fn signing_out_ends_the_session_for_good() {
    testdb::on_both(|t| async move {
        let now = Utc::now();
        let a = account(&t.db, "jane", now).await;
        let s = auth::start_session(&t.db, a.id, SessionPolicy::default(), now)
            .await
            .expect("start");
        let signed_in = super::service(&t.db)
            .resolve(s.token.expose_secret(), now)
            .await
            .expect("lookup")
            .expect("signed in");

        let ended = super::service(&t.db)
            .sign_out(&signed_in, None, now)
            .await
            .expect("end");

        assert!(ended);
        assert!(!resolves(&t.db, &s.token, now).await);
    })
    .await;
}

#[tokio::test]
async fn disabling_an_account_ends_its_sessions_and_keeps_others() {
    testdb::on_both(|t| async move {
        let now = Utc::now();
        let jane = account(&t.db, "jane", now).await;
        let joe = account(&t.db, "joe", now).await;
        let policy = SessionPolicy::default();
        let janes = auth::start_session(&t.db, jane.id, policy, now)
            .await
            .expect("start");
        let joes = auth::start_session(&t.db, joe.id, policy, now)
            .await
            .expect("start");

        let changed = super::service(&t.db)
            .disable(&super::operator(), &jane.name, now)
            .await
            .expect("disable");

        assert!(changed);
        assert!(!resolves(&t.db, &janes.token, now).await);
        assert!(resolves(&t.db, &joes.token, now).await);
        let listed = auth::list(&t.db).await.expect("list");
        assert!(listed.iter().any(|a| a.name == jane.name && !a.is_active()));
    })
    .await;
}

#[tokio::test]
async fn a_new_password_ends_the_old_sessions() {
    testdb::on_both(|t| async move {
        let now = Utc::now();
        let jane = account(&t.db, "jane", now).await;
        let s = auth::start_session(&t.db, jane.id, SessionPolicy::default(), now)
            .await
            .expect("start");

        super::service(&t.db)
            .set_password(
                &super::operator(),
                &jane.name,
                SecretString::from("another long password"),
                now,
            )
            .await
            .expect("passwd");

        assert!(!resolves(&t.db, &s.token, now).await);
    })
    .await;
}

#[tokio::test]
async fn tampered_or_unknown_tokens_resolve_to_nobody() {
    testdb::on_both(|t| async move {
        let now = Utc::now();
        let jane = account(&t.db, "jane", now).await;
        let s = auth::start_session(&t.db, jane.id, SessionPolicy::default(), now)
            .await
            .expect("start");
        let mut tampered = s.token.expose_secret().to_owned();
        let last = if tampered.ends_with('0') { "1" } else { "0" };
        tampered.replace_range(63.., last);

        for token in [
            tampered.as_str(),
            "",
            "not-hex",
            &"a".repeat(64),
            &"A".repeat(64),
        ] {
            let found = super::service(&t.db)
                .resolve(token, now)
                .await
                .expect("lookup");
            assert!(found.is_none(), "{token}");
        }
    })
    .await;
}
