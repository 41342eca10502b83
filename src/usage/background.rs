//! The rescan `serve` runs on an interval (`USAGE_SCAN_MINUTES`), sharing the work
//! with other replicas through the scan leases.

use std::time::Duration;

use serde_json::json;

use super::{ScanSummary, holder_name, scan_all};
use crate::artifacts::ArtifactStore;
use crate::audit::{Actor, AuditLog, NewEvent, Outcome};
use crate::db::Db;

/// Starts rescanning every `interval`, the first time at once; runs until the process
/// ends. A failed pass is logged and retried at the next interval.
pub fn spawn(db: Db, artifacts: ArtifactStore, interval: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let holder = holder_name();
        let audit = AuditLog::new(db.clone());
        let mut ticks = tokio::time::interval(interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            // Half an interval of rest: replicas whose timers fire later in the same
            // interval skip what this one just scanned.
            match scan_all(&db, &artifacts, &holder, interval / 2).await {
                Ok(summary) => record(&audit, Actor::System, None, &summary).await,
                Err(e) => tracing::warn!(error = %e, "the usage scan failed; retrying later"),
            }
        }
    })
}

/// Appends the `usage.scanned` event of a pass; a failure to record it is logged, as
/// the scan's results are already stored.
pub async fn record(
    audit: &AuditLog,
    actor: Actor,
    scope: Option<crate::storage::Scope>,
    summary: &ScanSummary,
) {
    let total = summary.total();
    let event = NewEvent {
        actor,
        source: None,
        action: "usage.scanned".to_owned(),
        scope,
        reason: None,
        outcome: Outcome::Success,
        details: json!({
            "tenants": summary.scanned.len(),
            "tenants_busy": summary.busy.len(),
            "projects": total.projects,
            "runs": total.runs,
            "objects": total.objects,
            "bytes": total.bytes,
            "other_objects": total.other_objects,
        }),
    };
    if let Err(e) = audit.append(event).await {
        tracing::warn!(error = %e, "the usage scan could not be recorded in the audit trail");
    }
}
