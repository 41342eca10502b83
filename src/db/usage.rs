//! The usage tables: `usage_runs` (the run catalog), `usage_snapshots` (per-tenant
//! figures over time) and `usage_leases` (who scans which tenant). The scan itself lives
//! in [`crate::usage`]; this module only moves rows.

use sqlx::any::AnyRow;
use sqlx::{Executor, Row};

use super::{Db, DbError};

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

const RUN_COLUMNS: &str = "tenant, project, run, objects, bytes, screenshots, videos, diffs, \
                           tests, last_modified_micros, scanned_at_micros";

/// The latest snapshot of each tenant, as a derived table `s`.
const LATEST: &str = "SELECT s.* FROM usage_snapshots s JOIN \
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

fn snapshot_of(row: &AnyRow) -> Result<Snapshot, sqlx::Error> {
    Ok(Snapshot {
        tenant: row.try_get("tenant")?,
        taken_at_micros: row.try_get("taken_at_micros")?,
        projects: row.try_get("projects")?,
        runs: row.try_get("runs")?,
        objects: row.try_get("objects")?,
        bytes: row.try_get("bytes")?,
        other_objects: row.try_get("other_objects")?,
        other_bytes: row.try_get("other_bytes")?,
        last_modified_micros: row.try_get("last_modified_micros")?,
    })
}

fn run_of(row: &AnyRow) -> Result<CatalogRun, sqlx::Error> {
    Ok(CatalogRun {
        tenant: row.try_get("tenant")?,
        project: row.try_get("project")?,
        run: row.try_get("run")?,
        objects: row.try_get("objects")?,
        bytes: row.try_get("bytes")?,
        kinds: [
            row.try_get("screenshots")?,
            row.try_get("videos")?,
            row.try_get("diffs")?,
            row.try_get("tests")?,
        ],
        last_modified_micros: row.try_get("last_modified_micros")?,
        scanned_at_micros: row.try_get("scanned_at_micros")?,
    })
}

/// Every snapshot of a tenant, oldest first (history and tests).
pub async fn snapshots(db: &Db, tenant: &str) -> Result<Vec<Snapshot>, DbError> {
    let rows =
        sqlx::query("SELECT * FROM usage_snapshots WHERE tenant = $1 ORDER BY taken_at_micros")
            .bind(tenant)
            .fetch_all(db.pool())
            .await?;
    Ok(rows.iter().map(snapshot_of).collect::<Result<_, _>>()?)
}

/// What the latest snapshots add up to; `None` when nothing was ever scanned.
pub async fn totals(db: &Db) -> Result<Option<Totals>, DbError> {
    let sql = format!(
        "SELECT COUNT(*) AS scanned, \
         CAST(COALESCE(SUM(CASE WHEN objects > 0 THEN 1 ELSE 0 END), 0) AS BIGINT) AS tenants, \
         CAST(COALESCE(SUM(projects), 0) AS BIGINT) AS projects, \
         CAST(COALESCE(SUM(runs), 0) AS BIGINT) AS runs, \
         CAST(COALESCE(SUM(objects), 0) AS BIGINT) AS objects, \
         CAST(COALESCE(SUM(bytes), 0) AS BIGINT) AS bytes, \
         CAST(COALESCE(MIN(taken_at_micros), 0) AS BIGINT) AS oldest, \
         CAST(COALESCE(MAX(taken_at_micros), 0) AS BIGINT) AS newest \
         FROM ({LATEST}) latest"
    );
    let row = sqlx::query(&sql).fetch_one(db.pool()).await?;
    let scanned: i64 = row.try_get("scanned")?;
    if scanned == 0 {
        return Ok(None);
    }
    Ok(Some(Totals {
        tenants: row.try_get("tenants")?,
        projects: row.try_get("projects")?,
        runs: row.try_get("runs")?,
        objects: row.try_get("objects")?,
        bytes: row.try_get("bytes")?,
        oldest_scan_micros: row.try_get("oldest")?,
        newest_scan_micros: row.try_get("newest")?,
    }))
}

/// The latest snapshots of the tenants holding the most bytes, largest first.
pub async fn largest_tenants(db: &Db, limit: i64) -> Result<Vec<Snapshot>, DbError> {
    let sql = format!(
        "SELECT * FROM ({LATEST}) latest WHERE objects > 0 \
         ORDER BY bytes DESC, tenant LIMIT $1"
    );
    let rows = sqlx::query(&sql).bind(limit).fetch_all(db.pool()).await?;
    Ok(rows.iter().map(snapshot_of).collect::<Result<_, _>>()?)
}

/// `$first, $first+1, ...`: the placeholders of an `IN` list of `n` values.
fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The latest snapshot of each of `tenants` (a page of a tenant listing). Listings sort
/// by key (`acme-corp/` before `acme/`), not by id, so the page is matched by its ids.
pub async fn tenants_in(db: &Db, tenants: &[&str]) -> Result<Vec<Snapshot>, DbError> {
    if tenants.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT * FROM ({LATEST}) latest WHERE tenant IN ({})",
        placeholders(1, tenants.len())
    );
    let mut query = sqlx::query(&sql);
    for tenant in tenants {
        query = query.bind(*tenant);
    }
    let rows = query.fetch_all(db.pool()).await?;
    Ok(rows.iter().map(snapshot_of).collect::<Result<_, _>>()?)
}

/// Tenants whose latest snapshot still holds objects (a full scan rescans the ones the
/// store no longer lists, so their figures drop to zero).
pub async fn tenants_with_objects(db: &Db) -> Result<Vec<String>, DbError> {
    let sql = format!("SELECT tenant FROM ({LATEST}) latest WHERE objects > 0 ORDER BY tenant");
    let rows = sqlx::query(&sql).fetch_all(db.pool()).await?;
    Ok(rows
        .iter()
        .map(|r| r.try_get("tenant"))
        .collect::<Result<_, _>>()?)
}

/// The runs whose latest object is newest, across every tenant.
pub async fn latest_runs(db: &Db, limit: i64) -> Result<Vec<CatalogRun>, DbError> {
    let sql = format!(
        "SELECT {RUN_COLUMNS} FROM usage_runs \
         ORDER BY last_modified_micros DESC, tenant, project, run LIMIT $1"
    );
    let rows = sqlx::query(&sql).bind(limit).fetch_all(db.pool()).await?;
    Ok(rows.iter().map(run_of).collect::<Result<_, _>>()?)
}

/// Figures of some of a tenant's projects (a page of a project listing).
pub async fn projects_in(
    db: &Db,
    tenant: &str,
    projects: &[&str],
) -> Result<Vec<ProjectUsage>, DbError> {
    if projects.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT project, COUNT(*) AS runs, CAST(SUM(bytes) AS BIGINT) AS bytes, \
         MAX(last_modified_micros) AS last_modified, MAX(scanned_at_micros) AS scanned_at \
         FROM usage_runs WHERE tenant = $1 AND project IN ({}) GROUP BY project",
        placeholders(2, projects.len())
    );
    let mut query = sqlx::query(&sql).bind(tenant);
    for project in projects {
        query = query.bind(*project);
    }
    let rows = query.fetch_all(db.pool()).await?;
    let usage = |row: &AnyRow| -> Result<ProjectUsage, sqlx::Error> {
        Ok(ProjectUsage {
            project: row.try_get("project")?,
            runs: row.try_get("runs")?,
            bytes: row.try_get("bytes")?,
            last_modified_micros: row.try_get("last_modified")?,
            scanned_at_micros: row.try_get("scanned_at")?,
        })
    };
    Ok(rows.iter().map(usage).collect::<Result<_, _>>()?)
}

/// A page of a project's runs, newest first, after the keyset cursor
/// `(last_modified_micros, run)` of the previous page's last row.
pub async fn runs_page(
    db: &Db,
    tenant: &str,
    project: &str,
    after: Option<(i64, &str)>,
    limit: i64,
) -> Result<Vec<CatalogRun>, DbError> {
    let order = "ORDER BY last_modified_micros DESC, run DESC LIMIT";
    let rows = match after {
        None => {
            let sql = format!(
                "SELECT {RUN_COLUMNS} FROM usage_runs WHERE tenant = $1 AND project = $2 {order} $3"
            );
            sqlx::query(&sql)
                .bind(tenant)
                .bind(project)
                .bind(limit)
                .fetch_all(db.pool())
                .await?
        }
        Some((micros, run)) => {
            let sql = format!(
                "SELECT {RUN_COLUMNS} FROM usage_runs WHERE tenant = $1 AND project = $2 \
                 AND (last_modified_micros < $3 OR (last_modified_micros = $3 AND run < $4)) \
                 {order} $5"
            );
            sqlx::query(&sql)
                .bind(tenant)
                .bind(project)
                .bind(micros)
                .bind(run)
                .bind(limit)
                .fetch_all(db.pool())
                .await?
        }
    };
    Ok(rows.iter().map(run_of).collect::<Result<_, _>>()?)
}

/// Which of `runs` the catalog holds for a project (to find runs of a store listing
/// page that no scan has seen yet).
pub async fn runs_in(
    db: &Db,
    tenant: &str,
    project: &str,
    runs: &[&str],
) -> Result<Vec<String>, DbError> {
    if runs.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT run FROM usage_runs WHERE tenant = $1 AND project = $2 AND run IN ({})",
        placeholders(3, runs.len())
    );
    let mut query = sqlx::query(&sql).bind(tenant).bind(project);
    for run in runs {
        query = query.bind(*run);
    }
    let rows = query.fetch_all(db.pool()).await?;
    Ok(rows
        .iter()
        .map(|r| r.try_get("run"))
        .collect::<Result<_, _>>()?)
}
