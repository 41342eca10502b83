//! `audit verify` and `audit export`.

use crate::cli::{AuditCommand, CliError};
use crate::config::Settings;

/// Runs one `audit ...` command.
pub async fn run(command: AuditCommand, settings: &Settings) -> Result<(), CliError> {
    let _ = (command, settings);
    Err(CliError::Failed("audit commands come next".to_owned()))
}
