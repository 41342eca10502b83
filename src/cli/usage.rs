//! `usage scan [--tenant ORG]`: rescan storage usage now and print what was found.

use std::time::Duration;

use crate::artifacts::ArtifactStore;
use crate::audit::{Actor, AuditLog};
use crate::cli::{CliError, UsageCommand, open_database};
use crate::config::Settings;
use crate::db::usage::Snapshot;
use crate::storage::{self, Scope, TenantId};
use crate::usage::{self, ScanOutcome, ScanSummary, background};
use crate::web::format_size;

/// Runs one `usage ...` command.
pub async fn run(command: UsageCommand, settings: &Settings) -> Result<(), CliError> {
    let UsageCommand::Scan { tenant } = command;
    let tenant = tenant
        .map(|t| TenantId::parse(&t).map_err(|e| CliError::Usage(format!("--tenant {t:?}: {e}"))))
        .transpose()?;
    let db = open_database(settings).await?;
    let store = storage::open(&settings.storage)
        .map_err(|e| CliError::Failed(format!("cannot open the artifact store: {e}")))?;
    let artifacts = ArtifactStore::new(store);
    let holder = usage::holder_name();
    let failed = |e: usage::ScanError| CliError::Failed(format!("the usage scan failed: {e}"));

    let summary = match &tenant {
        Some(t) => {
            let mut summary = ScanSummary::default();
            match usage::scan_tenant(&db, &artifacts, t, &holder, Duration::ZERO)
                .await
                .map_err(failed)?
            {
                ScanOutcome::Scanned(s) => summary.scanned.push(s),
                ScanOutcome::Busy => summary.busy.push(t.to_string()),
            }
            summary
        }
        None => usage::scan_all(&db, &artifacts, &holder, Duration::ZERO)
            .await
            .map_err(failed)?,
    };
    print_summary(&summary);
    let audit = AuditLog::new(db.clone());
    background::record(
        &audit,
        Actor::operator_from_env(),
        tenant.map(Scope::Tenant),
        &summary,
    )
    .await;
    db.close().await;
    Ok(())
}

fn print_summary(summary: &ScanSummary) {
    let mut scanned: Vec<&Snapshot> = summary.scanned.iter().collect();
    scanned.sort_by(|a, b| a.tenant.cmp(&b.tenant));
    for s in scanned {
        println!("{}", line(&s.tenant, s));
    }
    for t in &summary.busy {
        println!("{t}: skipped, another scan is running for this tenant");
    }
    println!(
        "{}",
        line(
            &format!("total ({} tenants)", summary.scanned.len()),
            &summary.total()
        )
    );
}

fn line(label: &str, s: &Snapshot) -> String {
    let mut text = format!(
        "{label}: {} projects, {} runs, {} objects, {} ({} bytes)",
        s.projects,
        s.runs,
        s.objects,
        format_size(s.bytes.max(0) as u64),
        s.bytes
    );
    if s.other_objects > 0 {
        text.push_str(&format!(
            "; {} objects outside the run layout",
            s.other_objects
        ));
    }
    text
}
