//! The audit trail on both dialects: the chain, concurrent appends, the database's
//! refusals, tamper detection through the library and the real binary, export, queries.

use artifact_console::audit::export::record_from_json_line;
use artifact_console::audit::{
    ActionFilter, Actor, AuditError, AuditFilter, AuditLog, ChainProblem, ChainVerifier,
    ExportFormat, GENESIS_HASH, NewEvent, Outcome,
};
use artifact_console::db::{Db, Dialect};
use artifact_console::storage::{ProjectId, Scope, TenantId};
use futures_util::{StreamExt, TryStreamExt, stream};
use serde_json::json;
use sqlx::Executor;

use crate::support::db::{self as testdb, TestDb, console};

const SQLITE_MIGRATION: &str = include_str!("../../migrations/sqlite/0002_audit.sql");

fn tenant(id: &str) -> TenantId {
    TenantId::parse(id).expect("a tenant id")
}

fn purge_requested(n: u64) -> NewEvent {
    NewEvent {
        actor: Actor::Account {
            id: 7,
            name: "ada".to_owned(),
        },
        source: Some("192.0.2.10:50000".to_owned()),
        action: "purge.requested".to_owned(),
        scope: Some(Scope::Project(
            tenant("acme"),
            ProjectId::parse("shop").expect("a project id"),
        )),
        reason: Some(format!("GDPR request #{n}, \"urgent\"\nsecond line")),
        outcome: Outcome::Success,
        details: json!({ "objects": n, "bytes": n * 1024 }),
    }
}

fn event(actor: Actor, action: &str, tenant_id: Option<&str>) -> NewEvent {
    NewEvent {
        actor,
        source: None,
        action: action.to_owned(),
        scope: tenant_id.map(|t| Scope::Tenant(tenant(t))),
        reason: None,
        outcome: Outcome::Success,
        details: json!({}),
    }
}

async fn append_purges(audit: &AuditLog, count: u64) {
    for n in 1..=count {
        audit.append(purge_requested(n)).await.expect("append");
    }
}

async fn count_events(db: &Db) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM audit_events")
        .fetch_one(db.pool())
        .await
        .expect("count the events")
}

/// Runs `statements` with the table's protection switched off, as only someone with
/// control of the database could, then switches it back on.
async fn tamper(t: &TestDb, statements: &str) {
    let script = match t.dialect() {
        Dialect::Postgres => format!(
            "ALTER TABLE audit_events DISABLE TRIGGER USER; {statements} \
             ALTER TABLE audit_events ENABLE TRIGGER USER;"
        ),
        Dialect::Sqlite => {
            let triggers = &SQLITE_MIGRATION[SQLITE_MIGRATION
                .find("CREATE TRIGGER")
                .expect("the migration creates triggers")..];
            format!(
                "DROP TRIGGER audit_events_no_update; DROP TRIGGER audit_events_no_delete; \
                 {statements} {triggers}"
            )
        }
    };
    t.db.pool().execute(script.as_str()).await.expect("tamper");
}

/// Runs `audit verify` through the real binary: (exit code, stdout, stderr).
fn verify_with_the_binary(t: &TestDb) -> (Option<i32>, String, String) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let output = console(Some(&t.url), dir.path())
        .args(["audit", "verify"])
        .output()
        .expect("run the console");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn export_with_the_binary(t: &TestDb, format: &str) -> String {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let output = console(Some(&t.url), dir.path())
        .args(["audit", "export", "--format", format])
        .output()
        .expect("run the console");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("UTF-8 output")
}

#[tokio::test]
async fn appended_events_link_into_one_chain_that_verifies() {
    testdb::on_both(|t| async move {
        let audit = AuditLog::new(t.db.clone());

        let first = audit.append(purge_requested(1)).await.expect("append");
        let second = audit
            .append(event(Actor::operator_from_env(), "user.created", None))
            .await
            .expect("append");
        let third = audit
            .append(event(Actor::Anonymous, "auth.login_failed", None))
            .await
            .expect("append");
        let report = audit.verify().await.expect("verify");

        assert_eq!((first.seq, second.seq, third.seq), (1, 2, 3));
        assert_eq!(first.prev_hash, GENESIS_HASH);
        assert_eq!(second.prev_hash, first.hash);
        assert_eq!(third.prev_hash, second.hash);
        assert_eq!(first.source.as_deref(), Some("192.0.2.10"));
        assert_eq!(first.details, json!({ "objects": 1, "bytes": 1024 }));
        assert_eq!(first.scope, purge_requested(1).scope);
        assert_eq!((report.verified, report.problem), (3, None));
        assert_eq!(report.last_hash, third.hash);
    })
    .await;
}

#[tokio::test]
async fn two_pools_appending_a_thousand_events_each_build_one_chain() {
    testdb::on_both(|t| async move {
        let writers = [t.db.clone(), t.second_pool().await];

        let runs = writers.into_iter().enumerate().map(|(writer, db)| {
            tokio::spawn(async move {
                let audit = AuditLog::new(db);
                stream::iter(0..1000)
                    .map(|n| {
                        let mut e = event(Actor::System, "test.appended", None);
                        e.details = json!({ "writer": writer, "n": n });
                        let audit = audit.clone();
                        async move { audit.append(e).await }
                    })
                    .buffer_unordered(4)
                    .try_collect::<Vec<_>>()
                    .await
            })
        });
        for run in futures_util::future::join_all(runs).await {
            run.expect("the writer task").expect("every append");
        }
        let report = AuditLog::new(t.db.clone()).verify().await.expect("verify");

        assert_eq!((report.verified, report.problem), (2000, None));
        assert_eq!(count_events(&t.db).await, 2000);
        let mut exported = Vec::new();
        let written = AuditLog::new(t.db.clone())
            .export(ExportFormat::JsonLines, &mut exported)
            .await
            .expect("export");
        let mut verifier = ChainVerifier::new();
        for line in String::from_utf8(exported).expect("UTF-8").lines() {
            verifier
                .push(record_from_json_line(line).expect("a JSON line"))
                .expect("an intact link");
        }
        assert_eq!((written, verifier.finish()), (2000, Ok(2000)));
    })
    .await;
}

#[tokio::test]
async fn the_database_refuses_to_update_an_event() {
    testdb::on_both(|t| async move {
        let audit = AuditLog::new(t.db.clone());
        append_purges(&audit, 2).await;

        let result =
            t.db.pool()
                .execute("UPDATE audit_events SET reason = 'nothing to see' WHERE seq = 1")
                .await;

        let message = result.expect_err("the update must be refused").to_string();
        assert!(message.contains("append-only"), "{message}");
        assert_eq!(audit.verify().await.expect("verify").problem, None);
    })
    .await;
}

#[tokio::test]
async fn the_database_refuses_to_delete_an_event() {
    testdb::on_both(|t| async move {
        let audit = AuditLog::new(t.db.clone());
        append_purges(&audit, 2).await;

        let result =
            t.db.pool()
                .execute("DELETE FROM audit_events WHERE seq = 2")
                .await;

        let message = result.expect_err("the delete must be refused").to_string();
        assert!(message.contains("append-only"), "{message}");
        assert_eq!(count_events(&t.db).await, 2);
    })
    .await;
}

#[tokio::test]
async fn the_database_refuses_to_empty_the_table() {
    testdb::on_both(|t| async move {
        let audit = AuditLog::new(t.db.clone());
        append_purges(&audit, 2).await;
        // SQLite has no TRUNCATE; an unqualified DELETE is how it empties a table.
        let statement = match t.dialect() {
            Dialect::Postgres => "TRUNCATE audit_events",
            Dialect::Sqlite => "DELETE FROM audit_events",
        };

        let result = t.db.pool().execute(statement).await;

        let message = result.expect_err("emptying must be refused").to_string();
        assert!(message.contains("append-only"), "{message}");
        assert_eq!(count_events(&t.db).await, 2);
    })
    .await;
}

#[tokio::test]
async fn verify_names_the_event_whose_details_were_altered() {
    testdb::on_both(|t| async move {
        let audit = AuditLog::new(t.db.clone());
        append_purges(&audit, 5).await;

        tamper(
            &t,
            r#"UPDATE audit_events SET details = '{"bytes":0,"objects":0}' WHERE seq = 3;"#,
        )
        .await;
        let report = audit.verify().await.expect("verify");
        let (code, _, stderr) = verify_with_the_binary(&t);

        assert_eq!(report.problem, Some(ChainProblem::Altered { seq: 3 }));
        assert_eq!(report.verified, 2);
        assert_eq!(code, Some(1), "{stderr}");
        assert!(stderr.contains("event 3 was altered"), "{stderr}");
    })
    .await;
}

#[tokio::test]
async fn verify_names_a_deleted_event_as_missing() {
    testdb::on_both(|t| async move {
        let audit = AuditLog::new(t.db.clone());
        append_purges(&audit, 5).await;

        tamper(&t, "DELETE FROM audit_events WHERE seq = 3;").await;
        let report = audit.verify().await.expect("verify");
        let (code, _, stderr) = verify_with_the_binary(&t);

        assert_eq!(
            report.problem,
            Some(ChainProblem::Missing { first: 3, next: 4 })
        );
        assert_eq!(code, Some(1), "{stderr}");
        assert!(stderr.contains("event 3 is missing"), "{stderr}");
    })
    .await;
}

#[tokio::test]
async fn verify_names_swapped_events_as_reordered() {
    testdb::on_both(|t| async move {
        let audit = AuditLog::new(t.db.clone());
        append_purges(&audit, 5).await;

        tamper(
            &t,
            "UPDATE audit_events SET seq = 1000003 WHERE seq = 3; \
             UPDATE audit_events SET seq = 3 WHERE seq = 4; \
             UPDATE audit_events SET seq = 4 WHERE seq = 1000003;",
        )
        .await;
        let report = audit.verify().await.expect("verify");
        let (code, _, stderr) = verify_with_the_binary(&t);

        assert_eq!(
            report.problem,
            Some(ChainProblem::Reordered {
                seq: 3,
                links_to: 4
            })
        );
        assert_eq!(code, Some(1), "{stderr}");
        assert!(stderr.contains("event 3 is out of order"), "{stderr}");
    })
    .await;
}

#[tokio::test]
async fn audit_verify_prints_how_many_events_it_verified() {
    testdb::on_both(|t| async move {
        append_purges(&AuditLog::new(t.db.clone()), 4).await;

        let (code, stdout, stderr) = verify_with_the_binary(&t);

        assert_eq!(code, Some(0), "{stderr}");
        assert!(stdout.starts_with("verified 4 audit events"), "{stdout}");
    })
    .await;
}

#[tokio::test]
async fn an_exported_trail_verifies_without_the_console() {
    testdb::on_both(|t| async move {
        append_purges(&AuditLog::new(t.db.clone()), 5).await;

        let exported = export_with_the_binary(&t, "jsonl");
        let records: Vec<_> = exported
            .lines()
            .map(|line| record_from_json_line(line).expect("a JSON line"))
            .collect();
        let mut verifier = ChainVerifier::new();
        for record in records.iter().cloned() {
            verifier.push(record).expect("an intact link");
        }

        assert_eq!(verifier.finish(), Ok(5));
        let mut forged = records;
        forged[1].reason = Some("a different reason".to_owned());
        let mut verifier = ChainVerifier::new();
        let problem = forged
            .into_iter()
            .try_for_each(|r| verifier.push(r))
            .and_then(|()| verifier.finish().map(|_| ()));
        assert_eq!(problem, Err(ChainProblem::Altered { seq: 2 }));
    })
    .await;
}

#[tokio::test]
async fn csv_export_quotes_cells_with_commas_quotes_and_line_breaks() {
    testdb::on_both(|t| async move {
        append_purges(&AuditLog::new(t.db.clone()), 2).await;

        let exported = export_with_the_binary(&t, "csv");

        assert!(
            exported.starts_with("seq,at,at_micros,actor_kind,"),
            "{exported}"
        );
        assert!(
            exported.contains(",\"GDPR request #1, \"\"urgent\"\"\nsecond line\","),
            "{exported}"
        );
        assert!(exported.contains(",\"{\"\"bytes\"\":1024,\"\"objects\"\":1}\","));
    })
    .await;
}

#[tokio::test]
async fn queries_filter_by_actor_action_tenant_and_time_newest_first() {
    testdb::on_both(|t| async move {
        let audit = AuditLog::new(t.db.clone());
        let bob = Actor::Operator {
            name: "bob".to_owned(),
        };
        let start = chrono::Utc::now();
        audit.append(purge_requested(1)).await.expect("append");
        let ada = |action| {
            event(
                Actor::Account {
                    id: 7,
                    name: "ada".to_owned(),
                },
                action,
                Some("acme"),
            )
        };
        audit.append(ada("purge.completed")).await.expect("append");
        audit
            .append(event(bob.clone(), "user.created", Some("globex")))
            .await
            .expect("append");
        audit
            .append(event(bob, "purge.requested", Some("globex")))
            .await
            .expect("append");
        let seqs = |filter: AuditFilter| {
            let audit = audit.clone();
            async move {
                let page = audit.query(&filter, None, 50).await.expect("query");
                page.events.iter().map(|e| e.seq).collect::<Vec<_>>()
            }
        };

        let by_actor = seqs(AuditFilter {
            actor: Some("bob".to_owned()),
            ..Default::default()
        })
        .await;
        let by_category = seqs(AuditFilter {
            action: Some(ActionFilter::parse("purge.").expect("a category")),
            ..Default::default()
        })
        .await;
        let by_action = seqs(AuditFilter {
            action: Some(ActionFilter::parse("purge.requested").expect("an action")),
            ..Default::default()
        })
        .await;
        let by_tenant = seqs(AuditFilter {
            tenant: Some(tenant("acme")),
            ..Default::default()
        })
        .await;
        let in_time = seqs(AuditFilter {
            since: Some(start),
            ..Default::default()
        })
        .await;
        let before_start = seqs(AuditFilter {
            until: Some(start),
            ..Default::default()
        })
        .await;

        assert_eq!(by_actor, vec![4, 3]);
        assert_eq!(by_category, vec![4, 2, 1]);
        assert_eq!(by_action, vec![4, 1]);
        assert_eq!(by_tenant, vec![2, 1]);
        assert_eq!(in_time, vec![4, 3, 2, 1]);
        assert!(before_start.is_empty());
    })
    .await;
}

#[tokio::test]
async fn pages_walk_the_trail_newest_first_without_repeats() {
    testdb::on_both(|t| async move {
        let audit = AuditLog::new(t.db.clone());
        append_purges(&audit, 7).await;

        let mut seen = Vec::new();
        let mut before = None;
        loop {
            let page = audit
                .query(&AuditFilter::default(), before, 3)
                .await
                .expect("a page");
            seen.extend(page.events.iter().map(|e| e.seq));
            before = page.next_before;
            if before.is_none() {
                break;
            }
        }

        assert_eq!(seen, vec![7, 6, 5, 4, 3, 2, 1]);
    })
    .await;
}

#[tokio::test]
async fn events_with_secrets_in_their_details_are_refused_and_not_stored() {
    testdb::on_both(|t| async move {
        let audit = AuditLog::new(t.db.clone());
        let mut leaky = event(Actor::Anonymous, "auth.login_failed", None);
        leaky.details = json!({ "username": "ada", "password": "hunter2" });

        let result = audit.append(leaky).await;

        assert!(matches!(
            result,
            Err(AuditError::Secret { word: "password" })
        ));
        assert_eq!(count_events(&t.db).await, 0);
    })
    .await;
}
