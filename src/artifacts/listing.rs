//! Paging through tenants, projects, runs and a run's artifacts in key order.

use super::{Artifact, ArtifactPage, ArtifactStore, Page, clamp, needs_run};
use crate::storage::keys::MAX_ID_LEN;
use crate::storage::{
    ArtifactKey, ArtifactKind, ArtifactName, KeyError, KeyPrefix, ListEntry, ListRequest,
    ProjectId, RunId, Scope, StorageError, TenantId,
};

/// Whether `value` can begin an id: only id characters, and not longer than an id.
fn is_id_start(value: &str) -> bool {
    value.len() <= MAX_ID_LEN
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

impl ArtifactStore {
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
                sort_entry(&mut page, entry, kind, limit);
                if page.items.len() == limit {
                    break;
                }
            }
            // The cursor can only name an artifact, so the page reads on past foreign
            // keys until it is full: ending early on them would leave the artifacts
            // behind them out of reach.
            if page.items.len() == limit {
                if entries.next().is_some() || listed.next_start_after.is_some() {
                    page.next = page.items.last().map(|a| a.key.name().clone());
                }
                return Ok(page);
            }
            match listed.next_start_after {
                Some(cursor) => request.start_after = Some(cursor),
                None => return Ok(page),
            }
        }
    }
}

/// Puts a listed entry among the page's artifacts, or among its skipped keys (at most
/// `limit` of them are kept, so a folder full of foreign keys cannot fill memory).
fn sort_entry(page: &mut ArtifactPage, entry: ListEntry, kind: ArtifactKind, limit: usize) {
    match artifact(&entry, kind) {
        Some(artifact) => page.items.push(artifact),
        None => {
            tracing::warn!(
                key = entry.name(),
                "skipping a key outside the artifact layout"
            );
            if page.skipped.len() < limit {
                page.skipped.push(entry.name().to_owned());
            }
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
