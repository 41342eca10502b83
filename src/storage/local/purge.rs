//! Purge of a scope folder: the walk streams into deletion, then the folders that
//! became empty go.

use std::io;
use std::path::Path;

use super::walk::{Found, Walker};
use crate::storage::{PurgeFailure, PurgeReport, StorageError};

/// At most this many failures are kept in a purge report; the rest are only counted in
/// the log, so a purge of a broken folder cannot fill memory with failures.
const MAX_REPORTED_FAILURES: usize = 1000;

/// Deletes every object under `prefix` as the walk finds it, then removes the folders
/// that became empty.
pub(super) fn purge_folder(root: &Path, prefix: &str) -> Result<PurgeReport, StorageError> {
    let mut report = PurgeReport::default();
    let mut failed = 0_u64;
    let mut walker = Walker::new(root, prefix, None, false)?;
    while let Some(found) = walker.next_entry()? {
        let Found::Object(meta) = found else { continue };
        match std::fs::remove_file(root.join(&meta.key)) {
            Ok(()) => {
                report.objects += 1;
                report.bytes += meta.size;
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => {
                failed += 1;
                if report.failures.len() < MAX_REPORTED_FAILURES {
                    report.failures.push(PurgeFailure {
                        key: meta.key,
                        version_id: None,
                        message: e.to_string(),
                    });
                }
            }
        }
    }
    if failed > report.failures.len() as u64 {
        tracing::warn!(failed, "more purge failures than the report keeps");
    }
    let scope_dir = root.join(prefix.trim_end_matches('/'));
    remove_empty_folders(&scope_dir);
    let mut dir = scope_dir;
    while dir.pop() && dir != root && dir.starts_with(root) {
        if std::fs::remove_dir(&dir).is_err() {
            break;
        }
    }
    Ok(report)
}

/// Removes `dir` and every folder below it that holds no file. Symbolic links left in
/// the scope are removed as links (what they point to is never touched), so nothing
/// named after the scope is left behind.
fn remove_empty_folders(dir: &Path) {
    let Ok(items) = std::fs::read_dir(dir) else {
        return;
    };
    for item in items.flatten() {
        match item.file_type() {
            Ok(t) if t.is_dir() => remove_empty_folders(&item.path()),
            Ok(t) if t.is_symlink() => {
                tracing::warn!(path = %item.path().display(), "removing a symbolic link from a purged scope");
                let _ = std::fs::remove_file(item.path());
            }
            _ => {}
        }
    }
    let _ = std::fs::remove_dir(dir);
}
