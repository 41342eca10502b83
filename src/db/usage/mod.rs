//! The usage tables: `usage_runs` (the run catalog), `usage_snapshots` (per-tenant
//! figures over time) and `usage_leases` (who scans which tenant). The scan itself lives
//! in [`crate::usage`]; this module only moves rows.

mod reads;

use sqlx::Executor;

use super::{Db, DbError};

pub use reads::{
    largest_tenants, latest_runs, projects_in, runs_in, runs_page, snapshots, tenants_in,
    tenants_with_objects, totals,
};

/// One run as the catalog holds it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CatalogRun {
    /// Tenant id.
    pub tenant: String,
    /// Project id.
    pub project: String,
    /// Run id.
    pub run: String,
    /// Objects of the run (every kind, and keys of the run that fit no kind).
    pub objects: i64,
    /// Bytes of those objects.
    pub bytes: i64,
    /// Artifacts per kind, in [`crate::storage::ArtifactKind::ALL`] order.
    pub kinds: [i64; 4],
    /// Time of the run's latest object (microseconds; 0 when unknown).
    pub last_modified_micros: i64,
    /// When the scan that wrote this row ran (microseconds).
    pub scanned_at_micros: i64,
}

/// One tenant scan's figures.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Snapshot {
    /// Tenant id.
    pub tenant: String,
    /// When the scan finished (microseconds).
    pub taken_at_micros: i64,
    /// Projects with at least one run.
    pub projects: i64,
    /// Runs found.
    pub runs: i64,
    /// Every current object under the tenant.
    pub objects: i64,
    /// Bytes of those objects.
    pub bytes: i64,
    /// Objects whose keys fit no run of the layout.
    pub other_objects: i64,
    /// Bytes of those objects.
    pub other_bytes: i64,
    /// Time of the tenant's latest object (microseconds; 0 when unknown).
    pub last_modified_micros: i64,
}

/// What the latest snapshots of every tenant add up to.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Totals {
    /// Tenants holding at least one object at their latest scan.
    pub tenants: i64,
    /// Projects of those tenants.
    pub projects: i64,
    /// Runs of those tenants.
    pub runs: i64,
    /// Current objects.
    pub objects: i64,
    /// Bytes of those objects.
    pub bytes: i64,
    /// The oldest of the latest scans: every figure is at least this fresh.
    pub oldest_scan_micros: i64,
    /// The newest scan.
    pub newest_scan_micros: i64,
}

/// A project's figures, summed from its catalog rows.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProjectUsage {
    /// Project id.
    pub project: String,
    /// Runs in the catalog.
    pub runs: i64,
    /// Bytes of those runs.
    pub bytes: i64,
    /// Time of the project's latest object (microseconds; 0 when unknown).
    pub last_modified_micros: i64,
    /// When its tenant was last scanned (microseconds).
    pub scanned_at_micros: i64,
}

pub(crate) const RUN_COLUMNS: &str = "tenant, project, run, objects, bytes, screenshots, videos, diffs, \
                           tests, last_modified_micros, scanned_at_micros";

/// The latest snapshot of each tenant, as a derived table `s`.
pub(crate) const LATEST: &str = "SELECT s.* FROM usage_snapshots s JOIN \
    (SELECT tenant, MAX(taken_at_micros) AS taken FROM usage_snapshots GROUP BY tenant) m \
    ON m.tenant = s.tenant AND m.taken = s.taken_at_micros";

/// Takes the scan lease of `tenant` for `holder` until `expires_micros`, if nobody holds
/// it or the holder's lease ran out before `now_micros`. One conditional upsert, so two
/// replicas racing for it cannot both win.
pub async fn claim_lease(
    db: &Db,
    tenant: &str,
    holder: &str,
    now_micros: i64,
    expires_micros: i64,
) -> Result<bool, DbError> {
    let done = sqlx::query(
        "INSERT INTO usage_leases (tenant, holder, expires_micros) VALUES ($1, $2, $3) \
         ON CONFLICT (tenant) DO UPDATE SET holder = excluded.holder, \
         expires_micros = excluded.expires_micros \
         WHERE usage_leases.expires_micros < $4",
    )
    .bind(tenant)
    .bind(holder)
    .bind(expires_micros)
    .bind(now_micros)
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Keeps the lease of `holder` until `expires_micros` (after a scan, so other replicas
/// do not repeat it at once), if `holder` still holds it.
pub async fn extend_lease(
    db: &Db,
    tenant: &str,
    holder: &str,
    expires_micros: i64,
) -> Result<(), DbError> {
    sqlx::query("UPDATE usage_leases SET expires_micros = $3 WHERE tenant = $1 AND holder = $2")
        .bind(tenant)
        .bind(holder)
        .bind(expires_micros)
        .execute(db.pool())
        .await?;
    Ok(())
}

/// Gives the lease back, if `holder` still holds it.
pub async fn release_lease(db: &Db, tenant: &str, holder: &str) -> Result<(), DbError> {
    sqlx::query("DELETE FROM usage_leases WHERE tenant = $1 AND holder = $2")
        .bind(tenant)
        .bind(holder)
        .execute(db.pool())
        .await?;
    Ok(())
}

/// Replaces every catalog row of the snapshot's tenant with `runs` and records the
/// snapshot, in one transaction: readers see the old scan or the new one, never a mix.
pub async fn replace_tenant(
    db: &Db,
    runs: &[CatalogRun],
    snapshot: &Snapshot,
) -> Result<(), DbError> {
    let mut tx = db.begin_write().await?;
    tx.execute(
        sqlx::query("DELETE FROM usage_runs WHERE tenant = $1").bind(snapshot.tenant.as_str()),
    )
    .await?;
    let insert = format!(
        "INSERT INTO usage_runs ({RUN_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
    );
    for run in runs {
        let [screenshots, videos, diffs, tests] = run.kinds;
        tx.execute(
            sqlx::query(&insert)
                .bind(run.tenant.as_str())
                .bind(run.project.as_str())
                .bind(run.run.as_str())
                .bind(run.objects)
                .bind(run.bytes)
                .bind(screenshots)
                .bind(videos)
                .bind(diffs)
                .bind(tests)
                .bind(run.last_modified_micros)
                .bind(run.scanned_at_micros),
        )
        .await?;
    }
    tx.execute(
        sqlx::query(
            "INSERT INTO usage_snapshots (tenant, taken_at_micros, projects, runs, objects, \
             bytes, other_objects, other_bytes, last_modified_micros) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(snapshot.tenant.as_str())
        .bind(snapshot.taken_at_micros)
        .bind(snapshot.projects)
        .bind(snapshot.runs)
        .bind(snapshot.objects)
        .bind(snapshot.bytes)
        .bind(snapshot.other_objects)
        .bind(snapshot.other_bytes)
        .bind(snapshot.last_modified_micros),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Removes the catalog rows of a tenant, one of its projects, or one run (after an
/// erasure, so pages stop listing what is gone before the next scan).
pub async fn forget(
    db: &Db,
    tenant: &str,
    project: Option<&str>,
    run: Option<&str>,
) -> Result<u64, DbError> {
    let done = sqlx::query(
        "DELETE FROM usage_runs WHERE tenant = $1 \
         AND ($2 IS NULL OR project = $2) AND ($3 IS NULL OR run = $3)",
    )
    .bind(tenant)
    .bind(project)
    .bind(run)
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected())
}
