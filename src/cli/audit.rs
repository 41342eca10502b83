//! `audit verify` and `audit export`.

use std::io::Write;

use crate::audit::{AuditLog, ExportFormat as Format};
use crate::cli::{AuditCommand, CliError, ExportFormat, open_database};
use crate::config::Settings;

/// Runs one `audit ...` command.
pub async fn run(command: AuditCommand, settings: &Settings) -> Result<(), CliError> {
    let audit = AuditLog::new(open_database(settings).await?);
    match command {
        AuditCommand::Verify => verify(&audit).await,
        AuditCommand::Export { format } => export(&audit, format).await,
    }
}

/// Exit 0 with the number of events verified, or 1 naming the first broken event.
async fn verify(audit: &AuditLog) -> Result<(), CliError> {
    let report = audit
        .verify()
        .await
        .map_err(|e| CliError::Failed(e.to_string()))?;
    match report.problem {
        None => {
            println!(
                "verified {} audit events; the chain is intact (last hash {})",
                report.verified, report.last_hash
            );
            Ok(())
        }
        Some(problem) => Err(CliError::Failed(format!(
            "audit trail broken after {} verified events: {problem}",
            report.verified
        ))),
    }
}

/// Streams the trail to standard output.
async fn export(audit: &AuditLog, format: ExportFormat) -> Result<(), CliError> {
    let format = match format {
        ExportFormat::Jsonl => Format::JsonLines,
        ExportFormat::Csv => Format::Csv,
    };
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout());
    audit
        .export(format, &mut out)
        .await
        .map_err(|e| CliError::Failed(e.to_string()))?;
    out.flush()
        .map_err(|e| CliError::Failed(format!("cannot write the export: {e}")))
}
