//! Reading the usage tables: totals and rankings for the overview, figures for pages of
//! tenants and projects, and keyset pages of a project's runs.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::{CatalogRun, LATEST, ProjectUsage, RUN_COLUMNS, Snapshot, Totals};
use crate::db::{Db, DbError};

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
