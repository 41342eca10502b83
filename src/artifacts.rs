//! The tenant-scoped view of the store that the rest of the console uses.
//!
//! Every operation is built from parsed ids, an [`ArtifactKey`] or a [`Scope`], so no
//! caller can name a key outside the layout or delete by a raw prefix. Keys found in the
//! store that do not fit the layout (written by someone else) are reported as skipped
//! and logged, never a crash.

mod listing;

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::storage::{
    ArtifactKey, ArtifactKind, ArtifactName, ByteRange, ByteStream, GetObject, KeyError, ListEntry,
    ListPage, ListRequest, ObjectMeta, ObjectStore, PurgeReport, Scope, StorageError, Usage,
};

/// The most entries one listing call returns.
const MAX_LIMIT: usize = 1000;

/// One page of ids in key order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The ids on this page.
    pub items: Vec<T>,
    /// The cursor for the following page (pass it as `start_after`); `None` on the last.
    pub next: Option<T>,
}

/// One artifact and its facts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Artifact {
    /// Where it lies, parsed.
    pub key: ArtifactKey,
    /// Size in bytes.
    pub size: u64,
    /// Entity tag without quotes, when the backend has one.
    pub etag: Option<String>,
    /// Last modification time.
    pub last_modified: Option<DateTime<Utc>>,
}

/// One page of a run's artifacts of one kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArtifactPage {
    /// The artifacts on this page.
    pub items: Vec<Artifact>,
    /// The cursor for the following page; `None` on the last.
    pub next: Option<ArtifactName>,
    /// Keys in the folder that do not fit the layout (wrong extension, sub-folders,
    /// names that are not allowed); they are shown as such, never served. At most as
    /// many as the page's limit are named; every one is logged.
    pub skipped: Vec<String>,
}

/// How many artifacts of one kind a run holds, and their size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KindSummary {
    /// Screenshots, videos, diffs or tests.
    pub kind: ArtifactKind,
    /// Artifacts of this kind.
    pub count: u64,
    /// Their total size in bytes.
    pub bytes: u64,
}

/// What one run holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunSummary {
    /// All four kinds, in [`ArtifactKind::ALL`] order, zero when absent.
    pub kinds: Vec<KindSummary>,
    /// Objects and bytes in the run, the skipped keys included.
    pub objects: u64,
    /// Total size in bytes.
    pub bytes: u64,
    /// The newest modification time in the run.
    pub last_modified: Option<DateTime<Utc>>,
    /// Keys in the run that do not fit the layout.
    pub skipped: u64,
}

/// The artifacts of every tenant, over any [`ObjectStore`]; cheap to clone.
#[derive(Clone)]
pub struct ArtifactStore {
    store: Arc<dyn ObjectStore>,
}

impl std::fmt::Debug for ArtifactStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.store.describe())
    }
}

fn clamp(limit: usize) -> usize {
    limit.clamp(1, MAX_LIMIT)
}

fn needs_run(scope: &Scope) -> Result<(), StorageError> {
    match scope {
        Scope::Run(..) => Ok(()),
        _ => Err(StorageError::InvalidKey(KeyError::Layout {
            reason: "artifacts are listed per run",
        })),
    }
}

impl ArtifactStore {
    /// Wraps a backend.
    pub fn new(store: Arc<dyn ObjectStore>) -> Self {
        Self { store }
    }

    /// The backend, for `describe()` and `check()`.
    pub fn backend(&self) -> &Arc<dyn ObjectStore> {
        &self.store
    }
}

impl ArtifactStore {
    /// Counts one run's artifacts per kind, walking that run only.
    pub async fn run_summary(&self, run: &Scope) -> Result<RunSummary, StorageError> {
        needs_run(run)?;
        let mut summary = RunSummary {
            kinds: ArtifactKind::ALL
                .iter()
                .map(|&kind| KindSummary {
                    kind,
                    count: 0,
                    bytes: 0,
                })
                .collect(),
            objects: 0,
            bytes: 0,
            last_modified: None,
            skipped: 0,
        };
        let mut request = ListRequest {
            prefix: run.prefix().as_key_prefix(),
            delimited: false,
            start_after: None,
            max_entries: MAX_LIMIT,
        };
        loop {
            let ListPage {
                entries,
                next_start_after,
            } = self.store.list(&request).await?;
            for entry in entries {
                if let ListEntry::Object(meta) = entry {
                    add_to_summary(&mut summary, &meta);
                }
            }
            match next_start_after {
                Some(cursor) => request.start_after = Some(cursor),
                None => return Ok(summary),
            }
        }
    }
}

fn add_to_summary(summary: &mut RunSummary, meta: &ObjectMeta) {
    summary.objects += 1;
    summary.bytes += meta.size;
    summary.last_modified = summary.last_modified.max(meta.last_modified);
    match ArtifactKey::parse(&meta.key) {
        Ok(key) => {
            if let Some(kind) = summary.kinds.iter_mut().find(|k| k.kind == key.kind()) {
                kind.count += 1;
                kind.bytes += meta.size;
            }
        }
        Err(e) => {
            tracing::warn!(key = %meta.key, error = %e, "a key in the run does not fit the layout");
            summary.skipped += 1;
        }
    }
}

impl ArtifactStore {
    /// Stores an artifact with its kind's content type; it is visible only once complete.
    pub async fn save(
        &self,
        key: &ArtifactKey,
        body: ByteStream,
    ) -> Result<ObjectMeta, StorageError> {
        self.store
            .put(key.key(), body, key.kind().content_type())
            .await
    }

    /// Reads an artifact, or part of it, as a stream.
    pub async fn get(
        &self,
        key: &ArtifactKey,
        range: Option<ByteRange>,
    ) -> Result<GetObject, StorageError> {
        self.store.get(key.key(), range).await
    }

    /// Facts about an artifact without reading it.
    pub async fn stat(&self, key: &ArtifactKey) -> Result<ObjectMeta, StorageError> {
        self.store.stat(key.key()).await
    }

    /// What a tenant, project or run holds.
    pub async fn usage(&self, scope: &Scope) -> Result<Usage, StorageError> {
        self.store.usage(&scope.prefix().as_key_prefix()).await
    }

    /// Removes everything in a tenant, project or run: every version, every delete
    /// marker and every unfinished upload.
    pub async fn cleanup(&self, scope: &Scope) -> Result<PurgeReport, StorageError> {
        tracing::info!(%scope, "purging a scope");
        self.store.purge(&scope.prefix()).await
    }
}
