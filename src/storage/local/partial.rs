//! Writes in progress: a file in the hidden partial folder, renamed into place when
//! complete and removed otherwise, also when the writing task is cancelled half-way.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use futures_util::StreamExt;
use tokio::io::AsyncWriteExt;

use crate::storage::{ByteStream, StorageError};

/// Partial files older than this are left-overs of a crash and are removed at start-up.
const STALE_PARTIAL_AGE: Duration = Duration::from_secs(3600);

static PARTIAL_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Writes `body` to a new file in the folder `dir`, flushed to disk.
pub(super) async fn write_partial(
    dir: &Path,
    body: ByteStream,
) -> Result<PartialFile, StorageError> {
    let path = dir.join(format!(
        "{}-{}-{}",
        std::process::id(),
        PARTIAL_COUNTER.fetch_add(1, Ordering::Relaxed),
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos())
    ));
    let partial = PartialFile { path: Some(path) };
    let mut file = tokio::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(partial.path())
        .await?;
    let mut body = body;
    while let Some(chunk) = body.next().await {
        file.write_all(&chunk?).await?;
    }
    file.flush().await?;
    // The rename must publish the whole content, also after a power cut.
    file.sync_all().await?;
    Ok(partial)
}

/// A file being written in the partial folder; removed unless it was renamed into place,
/// also when the writing task is cancelled half-way.
pub(super) struct PartialFile {
    path: Option<PathBuf>,
}

impl PartialFile {
    fn path(&self) -> &Path {
        self.path.as_deref().unwrap_or(Path::new(""))
    }

    /// Renames the complete file to `to`, replacing what was there.
    pub(super) async fn publish(mut self, to: &Path) -> io::Result<()> {
        let from = self.path.take().unwrap_or_default();
        match tokio::fs::rename(&from, to).await {
            Ok(()) => Ok(()),
            Err(e) => {
                let _ = tokio::fs::remove_file(&from).await;
                Err(e)
            }
        }
    }
}

impl Drop for PartialFile {
    fn drop(&mut self) {
        if let Some(path) = self.path.take() {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Removes partial files a crash left behind long ago.
pub(super) fn remove_stale_partials(dir: &Path) {
    let Ok(items) = std::fs::read_dir(dir) else {
        return;
    };
    for item in items.flatten() {
        let stale = item
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > STALE_PARTIAL_AGE);
        if stale {
            let _ = std::fs::remove_file(item.path());
        }
    }
}
