//! The tenant-scoped view of the store that the rest of the console uses.
//!
//! Every operation is built from parsed ids, an [`ArtifactKey`] or a [`Scope`], so no
//! caller can name a key outside the layout or delete by a raw prefix. Keys found in the
//! store that do not fit the layout (written by someone else) are reported as skipped
//! and logged, never a crash.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::storage::keys::MAX_ID_LEN;
use crate::storage::{
    ArtifactKey, ArtifactKind, ArtifactName, ByteRange, ByteStream, GetObject, KeyError, KeyPrefix,
    ListEntry, ListPage, ListRequest, ObjectMeta, ObjectStore, ProjectId, PurgeReport, RunId,
    Scope, StorageError, TenantId, Usage,
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
    /// names that are not allowed); they are shown as such, never served.
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

/// Whether `value` can begin an id: only id characters, and not longer than an id.
fn is_id_start(value: &str) -> bool {
    value.len() <= MAX_ID_LEN
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
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

    /// Tenants whose id starts with `id_prefix` ("" for all), in key order. A prefix that
    /// cannot begin an id gives an empty page.
    pub async fn list_tenants(
        &self,
        id_prefix: &str,
        start_after: Option<&TenantId>,
        limit: usize,
    ) -> Result<Page<TenantId>, StorageError> {
        if !is_id_start(id_prefix) {
            return Ok(Page {
                items: Vec::new(),
                next: None,
            });
        }
        let parent = crate::storage::keys::TENANTS_ROOT.to_owned();
        self.list_children(
            &parent,
            id_prefix,
            start_after.map(TenantId::as_str),
            limit,
            TenantId::parse,
        )
        .await
    }

    /// A tenant's projects, in key order.
    pub async fn list_projects(
        &self,
        tenant: &TenantId,
        start_after: Option<&ProjectId>,
        limit: usize,
    ) -> Result<Page<ProjectId>, StorageError> {
        let parent = format!("{}projects/", Scope::Tenant(tenant.clone()).prefix());
        self.list_children(
            &parent,
            "",
            start_after.map(ProjectId::as_str),
            limit,
            ProjectId::parse,
        )
        .await
    }

    /// A project's runs, in key order.
    pub async fn list_runs(
        &self,
        tenant: &TenantId,
        project: &ProjectId,
        start_after: Option<&RunId>,
        limit: usize,
    ) -> Result<Page<RunId>, StorageError> {
        let scope = Scope::Project(tenant.clone(), project.clone());
        let parent = format!("{}runs/", scope.prefix());
        self.list_children(
            &parent,
            "",
            start_after.map(RunId::as_str),
            limit,
            RunId::parse,
        )
        .await
    }

    /// The folders directly below `parent` whose name starts with `name_prefix`, parsed
    /// as ids; anything else found there is logged and left out.
    async fn list_children<T: Clone>(
        &self,
        parent: &str,
        name_prefix: &str,
        start_after: Option<&str>,
        limit: usize,
        parse: impl Fn(&str) -> Result<T, KeyError>,
    ) -> Result<Page<T>, StorageError> {
        let limit = clamp(limit);
        let mut request = ListRequest {
            prefix: KeyPrefix::parse(&format!("{parent}{name_prefix}"))?,
            delimited: true,
            start_after: start_after.map(|id| format!("{parent}{id}/")),
            max_entries: limit,
        };
        let mut items = Vec::new();
        loop {
            let page = self.store.list(&request).await?;
            let mut entries = page.entries.into_iter();
            for entry in entries.by_ref() {
                match child_id(parent, &entry, &parse) {
                    Some(id) => items.push(id),
                    None => {
                        tracing::warn!(key = entry.name(), "skipping an entry outside the layout")
                    }
                }
                if items.len() == limit {
                    break;
                }
            }
            if items.len() == limit {
                let more = entries.next().is_some() || page.next_start_after.is_some();
                return Ok(finish(items, more));
            }
            match page.next_start_after {
                Some(cursor) => request.start_after = Some(cursor),
                None => return Ok(finish(items, false)),
            }
        }
    }
}

/// A page whose cursor is its last item when more follow.
fn finish<T: Clone>(items: Vec<T>, more: bool) -> Page<T> {
    let next = if more { items.last().cloned() } else { None };
    Page { items, next }
}

/// The id of a child folder entry of `parent`, if it is one and parses.
fn child_id<T>(
    parent: &str,
    entry: &ListEntry,
    parse: &impl Fn(&str) -> Result<T, KeyError>,
) -> Option<T> {
    let ListEntry::Prefix(prefix) = entry else {
        return None;
    };
    let id = prefix.strip_prefix(parent)?.strip_suffix('/')?;
    parse(id).ok()
}

impl ArtifactStore {
    /// One page of a run's artifacts of one kind, in key order. Keys in the folder that
    /// do not fit the layout are listed in `skipped` and do not count towards `limit`.
    pub async fn list_artifacts(
        &self,
        run: &Scope,
        kind: ArtifactKind,
        start_after: Option<&ArtifactName>,
        limit: usize,
    ) -> Result<ArtifactPage, StorageError> {
        needs_run(run)?;
        let limit = clamp(limit);
        let folder = format!("{}{}/", run.prefix(), kind.folder());
        let mut request = ListRequest {
            prefix: KeyPrefix::parse(&folder)?,
            delimited: true,
            start_after: start_after.map(|name| format!("{folder}{name}{}", kind.extension())),
            max_entries: limit,
        };
        let mut page = ArtifactPage {
            items: Vec::new(),
            next: None,
            skipped: Vec::new(),
        };
        loop {
            let listed = self.store.list(&request).await?;
            let mut entries = listed.entries.into_iter();
            for entry in entries.by_ref() {
                sort_entry(&mut page, entry, kind);
                if page.items.len() == limit {
                    break;
                }
            }
            let more = entries.next().is_some() || listed.next_start_after.is_some();
            // A folder full of foreign keys is not read to its end in one call: after
            // `limit` of them the page ends at its last artifact, if it has one.
            let full = page.items.len() == limit || page.skipped.len() >= limit;
            match listed.next_start_after {
                Some(cursor) if !full => request.start_after = Some(cursor),
                _ => {
                    if more {
                        page.next = page.items.last().map(|a| a.key.name().clone());
                    }
                    return Ok(page);
                }
            }
        }
    }
}

/// Puts a listed entry among the page's artifacts, or among its skipped keys.
fn sort_entry(page: &mut ArtifactPage, entry: ListEntry, kind: ArtifactKind) {
    match artifact(&entry, kind) {
        Some(artifact) => page.items.push(artifact),
        None => {
            tracing::warn!(
                key = entry.name(),
                "skipping a key outside the artifact layout"
            );
            page.skipped.push(entry.name().to_owned());
        }
    }
}

/// The artifact an entry holds, if it is an object that fits the layout for `kind`.
fn artifact(entry: &ListEntry, kind: ArtifactKind) -> Option<Artifact> {
    let ListEntry::Object(meta) = entry else {
        return None;
    };
    let key = ArtifactKey::parse(&meta.key).ok()?;
    (key.kind() == kind).then(|| Artifact {
        key,
        size: meta.size,
        etag: meta.etag.clone(),
        last_modified: meta.last_modified,
    })
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
