//! Storage usage: a scan walks each tenant's objects once, keeps one row per run in the
//! run catalog and a snapshot of the tenant's figures, so pages can show sizes, times
//! and runs newest first without walking the store.
//!
//! Replicas share the work through scan leases ([`crate::db::usage::claim_lease`]): a
//! tenant being scanned by one replica is skipped by the others, and a crashed
//! replica's lease runs out after [`LEASE`].
//!
//! Noncurrent versions, delete markers and incomplete uploads are not measured by the
//! scan: on S3 they need a second walk of the tenant (a version listing and an upload
//! listing), which would double the scan's cost; the purge preview counts them per scope
//! when they matter. Their snapshot columns stay empty.

mod aggregate;
pub mod background;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use chrono::Utc;
use futures_util::{StreamExt, TryStreamExt, stream};

use crate::artifacts::ArtifactStore;
use crate::db::usage::{self as table, Snapshot};
use crate::db::{Db, DbError, to_micros};
use crate::storage::{ListEntry, ListRequest, Scope, StorageError, TenantId};

pub use aggregate::TenantWalk;

/// How long a scan lease lasts; a scan that takes longer may be repeated by another
/// replica, which is harmless (the later scan replaces the earlier one's rows).
pub const LEASE: Duration = Duration::from_secs(30 * 60);
/// Tenants scanned at once by [`scan_all`].
pub const CONCURRENCY: usize = 4;
/// Keys per listing page.
const LIST_PAGE: usize = 1000;

/// Why a scan failed.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    /// Listing the store failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// Reading or writing the catalog failed.
    #[error(transparent)]
    Database(#[from] DbError),
}

/// What a tenant scan did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScanOutcome {
    /// The tenant was walked and its catalog replaced.
    Scanned(Snapshot),
    /// Another scan holds the tenant's lease; nothing was done.
    Busy,
}

/// What a scan of several tenants did.
#[derive(Debug, Clone, Default)]
pub struct ScanSummary {
    /// Tenants scanned, in the order they finished.
    pub scanned: Vec<Snapshot>,
    /// Tenants skipped because another scan held them.
    pub busy: Vec<String>,
}

impl ScanSummary {
    /// The scanned tenants' figures added up (the tenant field is empty).
    pub fn total(&self) -> Snapshot {
        self.scanned
            .iter()
            .fold(Snapshot::default(), |mut total, s| {
                total.projects += s.projects;
                total.runs += s.runs;
                total.objects += s.objects;
                total.bytes += s.bytes;
                total.other_objects += s.other_objects;
                total.other_bytes += s.other_bytes;
                total
            })
    }
}

/// A name for this process as a lease holder: host, process id and start time.
pub fn holder_name() -> String {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "host".to_owned());
    format!(
        "{host}:{}:{}",
        std::process::id(),
        Utc::now().timestamp_micros()
    )
}

/// Scans one tenant under its lease: walks `tenants/{org}/` once, page by page, and
/// replaces the tenant's catalog rows with what it found.
///
/// After a successful scan the lease is kept for `rest` more, so that replicas whose
/// timers fire a little later skip the tenant instead of walking it again; a zero
/// `rest` (the command line) gives it back at once.
pub async fn scan_tenant(
    db: &Db,
    artifacts: &ArtifactStore,
    tenant: &TenantId,
    holder: &str,
    rest: Duration,
) -> Result<ScanOutcome, ScanError> {
    let now = Utc::now();
    let expires = now + chrono::Duration::from_std(LEASE).unwrap_or_default();
    if !table::claim_lease(
        db,
        tenant.as_str(),
        holder,
        to_micros(now),
        to_micros(expires),
    )
    .await?
    {
        tracing::info!(%tenant, "another scan holds the tenant; skipped");
        return Ok(ScanOutcome::Busy);
    }
    let result = walk_and_record(db, artifacts, tenant).await;
    // A failed scan gives the lease back at once, so a retry need not wait.
    let released = match &result {
        Ok(_) if !rest.is_zero() => {
            let until = Utc::now() + chrono::Duration::from_std(rest).unwrap_or_default();
            table::extend_lease(db, tenant.as_str(), holder, to_micros(until)).await
        }
        _ => table::release_lease(db, tenant.as_str(), holder).await,
    };
    let snapshot = result?;
    released?;
    Ok(ScanOutcome::Scanned(snapshot))
}

async fn walk_and_record(
    db: &Db,
    artifacts: &ArtifactStore,
    tenant: &TenantId,
) -> Result<Snapshot, ScanError> {
    let started = Instant::now();
    let scope = Scope::Tenant(tenant.clone());
    let mut walk = TenantWalk::new(tenant);
    let mut request = ListRequest {
        prefix: scope.prefix().as_key_prefix(),
        delimited: false,
        start_after: None,
        max_entries: LIST_PAGE,
    };
    loop {
        let page = artifacts.backend().list(&request).await?;
        for entry in &page.entries {
            if let ListEntry::Object(meta) = entry {
                walk.add(meta);
            }
        }
        match page.next_start_after {
            Some(cursor) => request.start_after = Some(cursor),
            None => break,
        }
    }
    let (runs, snapshot) = walk.finish(to_micros(Utc::now()));
    table::replace_tenant(db, &runs, &snapshot).await?;
    tracing::info!(
        %tenant,
        runs = snapshot.runs,
        objects = snapshot.objects,
        bytes = snapshot.bytes,
        took_ms = started.elapsed().as_millis() as u64,
        "tenant scanned"
    );
    Ok(snapshot)
}

/// Scans every tenant the store lists (a delimiter listing of `tenants/`), at most
/// [`CONCURRENCY`] at once, then the tenants the catalog still holds but the store no
/// longer lists, so their figures drop to zero.
/// `rest` is passed on to [`scan_tenant`].
pub async fn scan_all(
    db: &Db,
    artifacts: &ArtifactStore,
    holder: &str,
    rest: Duration,
) -> Result<ScanSummary, ScanError> {
    let mut summary = ScanSummary::default();
    let mut seen: HashSet<String> = HashSet::new();
    let mut after: Option<TenantId> = None;
    loop {
        let page = artifacts
            .list_tenants("", after.as_ref(), LIST_PAGE)
            .await?;
        seen.extend(page.items.iter().map(|t| t.to_string()));
        scan_many(db, artifacts, &page.items, (holder, rest), &mut summary).await?;
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    let vanished: Vec<TenantId> = table::tenants_with_objects(db)
        .await?
        .into_iter()
        .filter(|t| !seen.contains(t))
        .filter_map(|t| TenantId::parse(&t).ok())
        .collect();
    scan_many(db, artifacts, &vanished, (holder, rest), &mut summary).await?;
    Ok(summary)
}

async fn scan_many(
    db: &Db,
    artifacts: &ArtifactStore,
    tenants: &[TenantId],
    (holder, rest): (&str, Duration),
    summary: &mut ScanSummary,
) -> Result<(), ScanError> {
    // Each scan owns clones of its handles (both are cheap to clone), so the stream's
    // futures borrow nothing and stay `Send` inside a spawned task.
    let scans = tenants.iter().cloned().map(|t| {
        let (db, artifacts, holder) = (db.clone(), artifacts.clone(), holder.to_owned());
        async move {
            scan_tenant(&db, &artifacts, &t, &holder, rest)
                .await
                .map(|o| (t.to_string(), o))
        }
    });
    let outcomes: Vec<(String, ScanOutcome)> = stream::iter(scans)
        .buffer_unordered(CONCURRENCY)
        .try_collect()
        .await?;
    for (tenant, outcome) in outcomes {
        match outcome {
            ScanOutcome::Scanned(snapshot) => summary.scanned.push(snapshot),
            ScanOutcome::Busy => summary.busy.push(tenant),
        }
    }
    Ok(())
}
