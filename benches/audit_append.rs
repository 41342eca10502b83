//! How long one audit append takes on PostgreSQL: the lock, the tail read, the insert
//! and the commit, one after another, as a purge or a login records them.
//!
//! Run: `cargo bench --bench audit_append` (reads `TEST_DATABASE_URL`, default
//! `postgres://postgres@127.0.0.1:5432/postgres`; `AUDIT_BENCH_APPENDS`, default 2000).
//! It creates a scratch database, appends, prints mean, p50 and p99, and drops it.

use std::time::{Duration, Instant};

use artifact_console::audit::{Actor, AuditLog, NewEvent, Outcome};
use artifact_console::config::DatabaseSettings;
use artifact_console::db::Db;
use artifact_console::storage::{Scope, TenantId};
use secrecy::SecretString;
use sqlx::{Connection, Executor, PgConnection};

const WARM_UP: usize = 100;

fn event(n: usize) -> NewEvent {
    NewEvent {
        actor: Actor::Account {
            id: 1,
            name: "bench".to_owned(),
        },
        source: Some("127.0.0.1".to_owned()),
        action: "purge.completed".to_owned(),
        scope: TenantId::parse("bench-tenant").ok().map(Scope::Tenant),
        reason: Some("benchmark".to_owned()),
        outcome: Outcome::Success,
        details: serde_json::json!({ "objects": n, "bytes": n * 4096, "ms": 12 }),
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index]
}

async fn measure(audit: &AuditLog, appends: usize) -> Vec<Duration> {
    for n in 0..WARM_UP {
        audit.append(event(n)).await.expect("warm-up append");
    }
    let mut timings = Vec::with_capacity(appends);
    for n in 0..appends {
        let start = Instant::now();
        audit.append(event(n)).await.expect("append");
        timings.push(start.elapsed());
    }
    timings.sort();
    timings
}

#[tokio::main]
async fn main() {
    let server = std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    let appends: usize = std::env::var("AUDIT_BENCH_APPENDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    let name = format!("console_bench_{}", std::process::id());
    let mut admin = PgConnection::connect(&server).await.expect("PostgreSQL");
    admin
        .execute(format!("CREATE DATABASE {name}").as_str())
        .await
        .expect("create the scratch database");
    let mut url = url::Url::parse(&server).expect("a URL");
    url.set_path(&name);
    let settings = DatabaseSettings::Postgres {
        url: SecretString::from(url.to_string()),
    };
    let db = Db::connect(&settings).await.expect("connect");
    db.migrate().await.expect("migrate");

    let timings = measure(&AuditLog::new(db.clone()), appends).await;
    db.close().await;
    admin
        .execute(format!("DROP DATABASE {name} WITH (FORCE)").as_str())
        .await
        .expect("drop the scratch database");

    let total: Duration = timings.iter().sum();
    let verified = appends + WARM_UP;
    println!(
        "audit append on PostgreSQL, {appends} appends after {WARM_UP} warm-up ({verified} in the chain):"
    );
    println!("  mean {:?}", total / appends as u32);
    println!("  p50  {:?}", percentile(&timings, 0.50));
    println!("  p99  {:?}", percentile(&timings, 0.99));
    println!("  max  {:?}", timings[timings.len() - 1]);
}
