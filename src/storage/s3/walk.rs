//! Page-by-page walks over everything under a prefix, for usage and purge: current
//! objects only on an unversioned bucket, every version and delete marker on a
//! versioned one. A walk holds one page (at most 1,000 entries) at a time.

use futures_util::StreamExt;
use minio::s3::builders::VersioningStatus;
use minio::s3::error::{Error, S3ServerError};
use minio::s3::response::ListObjectsResponse;
use minio::s3::types::{S3Api, ToStream};

use super::S3Store;
use super::retry::{is_unsupported, retry, storage_error};
use crate::storage::{StorageError, Usage};

/// What one listed entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// What a reader sees.
    Current,
    /// An older version kept by a versioned bucket.
    Noncurrent,
    /// A marker that hides the key on a versioned bucket.
    DeleteMarker,
}

/// One object, version or delete marker found under the prefix.
#[derive(Debug, Clone)]
pub(super) struct Listed {
    /// The key as stored.
    pub key: String,
    /// The version, on a versioned bucket only.
    pub version_id: Option<String>,
    /// Size in bytes (zero for a delete marker).
    pub size: u64,
    /// Current, older version or delete marker.
    pub kind: Kind,
}

/// Where the next page starts.
#[derive(Debug, Clone, Default)]
pub(super) enum Cursor {
    #[default]
    Start,
    /// Unversioned: after this key. A key-based cursor stays valid while the keys
    /// before it are being deleted, which a server's continuation token may not.
    AfterKey(String),
    /// Versioned: after this version of this key.
    AfterVersion {
        key: String,
        version_id: Option<String>,
    },
}

/// Whether the bucket has ever had versioning switched on; servers that do not know
/// versioning at all (s3s, Garage) are unversioned.
pub(super) async fn is_versioned(store: &S3Store) -> Result<bool, StorageError> {
    let answer = retry("get bucket versioning", || async {
        store
            .client
            .get_bucket_versioning(&store.bucket)?
            .build()
            .send()
            .await
    })
    .await;
    match answer {
        Ok(response) => Ok(matches!(
            response.status(),
            Ok(Some(
                VersioningStatus::Enabled | VersioningStatus::Suspended
            ))
        )),
        Err(e) if is_unsupported(&e) => Ok(false),
        Err(e) => Err(storage_error(e, None)),
    }
}

/// The page at `cursor`, and the cursor of the page after it (`None` at the end).
pub(super) async fn page(
    store: &S3Store,
    prefix: &str,
    versioned: bool,
    cursor: &Cursor,
) -> Result<(Vec<Listed>, Option<Cursor>), StorageError> {
    let response = list_once(store, prefix, versioned, cursor).await?;
    let next_after_key = response.contents.last().map(|entry| entry.name.clone());
    let listed: Vec<Listed> = response
        .contents
        .into_iter()
        .filter(|entry| !entry.is_prefix && within(prefix, &entry.name))
        .map(|entry| Listed {
            kind: match (versioned, entry.is_delete_marker, entry.is_latest) {
                (_, true, _) => Kind::DeleteMarker,
                (true, false, false) => Kind::Noncurrent,
                _ => Kind::Current,
            },
            size: entry.size.unwrap_or(0),
            version_id: entry.version_id.filter(|_| versioned),
            key: entry.name,
        })
        .collect();
    let next = match (response.is_truncated, versioned) {
        (false, _) => None,
        (true, false) => next_after_key.map(Cursor::AfterKey),
        (true, true) => response.next_key_marker.map(|key| Cursor::AfterVersion {
            key,
            version_id: response.next_version_id_marker,
        }),
    };
    Ok((listed, next))
}

/// Whether a key the server listed really lies under `prefix`. A purge deletes and a
/// page shows what the listing names, so a server that ignores or mangles the prefix
/// must not lead either into a neighbouring scope (`tenants/acme-corp/` next to
/// `tenants/acme/`).
pub(super) fn within(prefix: &str, key: &str) -> bool {
    let inside = key.starts_with(prefix);
    if !inside {
        tracing::warn!(
            prefix,
            key,
            "the server listed a key outside the prefix; skipped"
        );
    }
    inside
}

/// One listing request of up to 1,000 entries, retried when the failure is transient.
async fn list_once(
    store: &S3Store,
    prefix: &str,
    versioned: bool,
    cursor: &Cursor,
) -> Result<ListObjectsResponse, StorageError> {
    let (start_after, key_marker, version_id_marker) = match cursor {
        Cursor::Start => (None, None, None),
        Cursor::AfterKey(key) => (Some(key.clone()), None, None),
        Cursor::AfterVersion { key, version_id } => (None, Some(key.clone()), version_id.clone()),
    };
    retry("list for a walk", || async {
        let mut pages = store
            .client
            .list_objects(&store.bucket)?
            .prefix((!prefix.is_empty()).then(|| prefix.to_owned()))
            .recursive(true)
            .include_versions(versioned)
            .max_keys(Some(1000_u16))
            .start_after(start_after.clone())
            .key_marker(key_marker.clone())
            .version_id_marker(version_id_marker.clone())
            .build()
            .to_stream()
            .await;
        match pages.next().await {
            Some(page) => page,
            None => Err(Error::S3Server(S3ServerError::HttpError(
                500,
                "empty listing".to_owned(),
            ))),
        }
    })
    .await
    .map_err(|e| storage_error(e, None))
}

/// Counts everything under `prefix`, page by page.
pub(super) async fn usage(store: &S3Store, prefix: &str) -> Result<Usage, StorageError> {
    let versioned = is_versioned(store).await?;
    let mut usage = Usage::default();
    let mut cursor = Cursor::Start;
    loop {
        let (listed, next) = page(store, prefix, versioned, &cursor).await?;
        for entry in listed {
            match entry.kind {
                Kind::Current => {
                    usage.objects += 1;
                    usage.bytes += entry.size;
                }
                Kind::Noncurrent => {
                    usage.noncurrent_versions += 1;
                    usage.noncurrent_bytes += entry.size;
                }
                Kind::DeleteMarker => usage.delete_markers += 1,
            }
        }
        match next {
            Some(next) => cursor = next,
            None => break,
        }
    }
    usage.incomplete_uploads = super::uploads::count(store, prefix).await?;
    Ok(usage)
}
