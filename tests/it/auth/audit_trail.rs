//! Every sign-in, failure, sign-out and account change lands in the audit trail with
//! who did it and from where.

use std::net::IpAddr;

use artifact_console::audit::{Actor, AuditFilter, AuditLog, Outcome};
use artifact_console::auth::{AccountName, Role, SignInOutcome};
use chrono::Utc;
use secrecy::SecretString;

use crate::support::db as testdb;

#[tokio::test]
async fn account_and_session_events_are_audited_with_actor_and_source() {
    testdb::on_both(|t| async move {
        let accounts = super::service(&t.db);
        let name = AccountName::parse("jane").expect("valid");
        let from: IpAddr = "192.0.2.7".parse().expect("ip");
        let now = Utc::now();

        accounts
            .create(
                &super::operator(),
                &name,
                Role::Viewer,
                SecretString::from("a long enough pw"),
                now,
            )
            .await
            .expect("create");
        accounts
            .sign_in(
                "jane",
                SecretString::from("wrong password!"),
                Some(from),
                now,
            )
            .await
            .expect("fail");
        let outcome = accounts
            .sign_in(
                "jane",
                SecretString::from("a long enough pw"),
                Some(from),
                now,
            )
            .await
            .expect("sign in");
        let SignInOutcome::SignedIn { session, .. } = outcome else {
            panic!("refused");
        };
        let signed_in = accounts
            .resolve(secrecy::ExposeSecret::expose_secret(&session.token), now)
            .await
            .expect("resolve")
            .expect("valid");
        accounts
            .sign_out(&signed_in, Some(from), now)
            .await
            .expect("out");
        accounts
            .set_password(
                &super::operator(),
                &name,
                SecretString::from("another long pw"),
                now,
            )
            .await
            .expect("passwd");
        accounts
            .disable(&super::operator(), &name, now)
            .await
            .expect("disable");

        let page = AuditLog::new(t.db.clone())
            .query(&AuditFilter::default(), None, 50)
            .await
            .expect("query");
        let mut events = page.events;
        events.reverse();
        let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(
            actions,
            [
                "user.created",
                "auth.login_failed",
                "auth.login",
                "auth.logout",
                "user.password_changed",
                "user.disabled"
            ]
        );
        assert!(matches!(events[0].actor, Actor::Operator { .. }));
        assert_eq!(events[1].actor, Actor::Anonymous);
        assert_eq!(events[1].outcome, Outcome::Failure);
        assert_eq!(events[1].source.as_deref(), Some("192.0.2.7"));
        assert!(matches!(&events[2].actor, Actor::Account { name, .. } if name == "jane"));
        assert_eq!(events[3].source.as_deref(), Some("192.0.2.7"));
        let all = serde_json::to_string(&events.iter().map(|e| &e.details).collect::<Vec<_>>())
            .expect("json");
        assert!(
            !all.contains("wrong password") && !all.contains("long enough"),
            "{all}"
        );
    })
    .await;
}
