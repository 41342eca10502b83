//! Object storage: one small interface, a local-folder backend and an S3 backend.
//!
//! The rest of the console never talks to a backend directly: it goes through
//! [`crate::artifacts::ArtifactStore`], which builds every key from a [`Scope`].

pub mod keys;
pub mod local;
pub mod s3;

use std::pin::Pin;
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures_util::Stream;

pub use keys::{
    ArtifactKey, ArtifactKind, ArtifactName, KeyError, KeyPrefix, ObjectKey, ProjectId, RunId,
    Scope, ScopePrefix, TenantId,
};

/// A stream of bytes read from, or written to, the store.
pub type ByteStream = Pin<Box<dyn Stream<Item = Result<Bytes, StorageError>> + Send>>;

/// What can go wrong talking to a store. Messages never hold credentials.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The object does not exist (its own outcome, not a failure of the store).
    #[error("no object at {0}")]
    NotFound(String),
    /// The requested byte range lies outside the object.
    #[error("range not satisfiable for an object of {size} bytes")]
    RangeNotSatisfiable { size: u64 },
    /// The key or prefix was refused before anything was sent.
    #[error(transparent)]
    InvalidKey(#[from] KeyError),
    /// The store could not be reached or answered with a server error.
    #[error("the store is unavailable: {0}")]
    Unavailable(String),
    /// The store refused the request (credentials, permissions, bad request).
    #[error("the store refused the request: {0}")]
    Refused(String),
    /// A local file system error.
    #[error("local storage error: {0}")]
    Io(#[from] std::io::Error),
}

/// Size, type and version facts about one object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectMeta {
    /// The full key as stored (it may not follow the artifact layout).
    pub key: String,
    /// Size in bytes.
    pub size: u64,
    /// Entity tag without quotes, when the backend has one.
    pub etag: Option<String>,
    /// Last modification time.
    pub last_modified: Option<DateTime<Utc>>,
    /// The stored content type, when the backend records one.
    pub content_type: Option<String>,
}

/// An inclusive byte range, as in an HTTP `Range: bytes=start-end` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ByteRange {
    /// From `start` to `end` inclusive (`end` past the object is clamped).
    FromTo { start: u64, end: u64 },
    /// From `start` to the end of the object.
    From { start: u64 },
    /// The last `len` bytes.
    Suffix { len: u64 },
}

impl ByteRange {
    /// The inclusive `(start, end)` this range selects in an object of `size` bytes, or
    /// [`StorageError::RangeNotSatisfiable`] when it selects nothing (as HTTP answers 416).
    pub fn resolve(self, size: u64) -> Result<(u64, u64), StorageError> {
        let last = size.checked_sub(1);
        match (self, last) {
            (Self::FromTo { start, end }, Some(last)) if start <= end && start <= last => {
                Ok((start, end.min(last)))
            }
            (Self::From { start }, Some(last)) if start <= last => Ok((start, last)),
            (Self::Suffix { len }, Some(last)) if len > 0 => Ok((size - len.min(size), last)),
            _ => Err(StorageError::RangeNotSatisfiable { size }),
        }
    }
}

/// An object being read: its facts, the range actually served, and its bytes.
pub struct GetObject {
    /// Facts about the whole object, whatever range is served.
    pub meta: ObjectMeta,
    /// The inclusive range of the body within the object; `None` for the whole object.
    pub range: Option<(u64, u64)>,
    /// The bytes of that range, streamed as they arrive.
    pub body: ByteStream,
}

/// One page of a listing request.
#[derive(Debug, Clone)]
pub struct ListRequest {
    /// Only keys starting with this prefix (plain string prefix, as S3 does).
    pub prefix: KeyPrefix,
    /// Roll keys up at the next `/` after the prefix into common prefixes.
    pub delimited: bool,
    /// Only entries that sort strictly after this key. A common prefix `P` counts as
    /// already listed when `start_after` starts with `P`.
    pub start_after: Option<String>,
    /// At most this many entries (objects and common prefixes together), 1..=1000.
    pub max_entries: usize,
}

/// An entry of a listing: an object, or a common prefix when the listing is delimited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListEntry {
    /// An object stored under the listed prefix.
    Object(ObjectMeta),
    /// A folder rolled up at the next `/`, ending with that `/`.
    Prefix(String),
}

impl ListEntry {
    /// The key or the common prefix, which is what listings sort by.
    pub fn name(&self) -> &str {
        match self {
            Self::Object(meta) => &meta.key,
            Self::Prefix(prefix) => prefix,
        }
    }
}

/// A page of entries in lexicographic (byte) order of their full key.
#[derive(Debug, Clone, Default)]
pub struct ListPage {
    /// Objects and common prefixes, sorted together.
    pub entries: Vec<ListEntry>,
    /// Pass as `start_after` to get the next page; `None` when this was the last one.
    pub next_start_after: Option<String>,
}

impl ListPage {
    /// A page of `entries`; when `more` follow, its last entry is the cursor.
    pub(crate) fn new(entries: Vec<ListEntry>, more: bool) -> Self {
        let next_start_after = more
            .then(|| entries.last().map(|e| e.name().to_owned()))
            .flatten();
        Self {
            entries,
            next_start_after,
        }
    }
}

/// How much is stored under a prefix.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    /// Current objects: what a reader sees.
    pub objects: u64,
    /// Their size in bytes.
    pub bytes: u64,
    /// Older versions kept by a versioned bucket.
    pub noncurrent_versions: u64,
    /// Their size in bytes.
    pub noncurrent_bytes: u64,
    /// Delete markers on a versioned bucket.
    pub delete_markers: u64,
    /// Multipart uploads started and never completed or aborted.
    pub incomplete_uploads: u64,
}

/// One key the store failed to remove during a purge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PurgeFailure {
    /// The key as stored.
    pub key: String,
    /// The version that stayed, on a versioned bucket.
    pub version_id: Option<String>,
    /// What the store said; never a credential.
    pub message: String,
}

/// What a purge removed, and what it could not.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PurgeReport {
    /// Current objects removed.
    pub objects: u64,
    /// Bytes of the current objects removed.
    pub bytes: u64,
    /// Noncurrent versions removed (versioned buckets).
    pub versions: u64,
    /// Delete markers removed (versioned buckets).
    pub delete_markers: u64,
    /// Incomplete multipart uploads aborted.
    pub uploads_aborted: u64,
    /// Keys that could not be removed; a purge with failures is not complete.
    pub failures: Vec<PurgeFailure>,
}

impl PurgeReport {
    /// Whether everything found was removed.
    pub fn is_complete(&self) -> bool {
        self.failures.is_empty()
    }
}

/// The backend-agnostic interface every store implements; one contract test suite runs
/// against each backend.
#[async_trait]
pub trait ObjectStore: Send + Sync + 'static {
    /// A short description for people and logs, e.g. `local folder ./data/artifacts`
    /// or `S3 bucket crawls at https://…`; never a credential.
    fn describe(&self) -> String;

    /// Stores an object. The object becomes visible only when it is complete.
    async fn put(
        &self,
        key: &ObjectKey,
        body: ByteStream,
        content_type: &str,
    ) -> Result<ObjectMeta, StorageError>;

    /// Reads an object, or part of it, as a stream.
    async fn get(
        &self,
        key: &ObjectKey,
        range: Option<ByteRange>,
    ) -> Result<GetObject, StorageError>;

    /// Facts about an object without reading it.
    async fn stat(&self, key: &ObjectKey) -> Result<ObjectMeta, StorageError>;

    /// Removes one object; removing a missing object is not an error.
    async fn delete(&self, key: &ObjectKey) -> Result<(), StorageError>;

    /// One page of a listing, in lexicographic order of the full key.
    async fn list(&self, request: &ListRequest) -> Result<ListPage, StorageError>;

    /// Counts what is stored under a prefix, walking every key under it.
    async fn usage(&self, prefix: &KeyPrefix) -> Result<Usage, StorageError>;

    /// Removes everything under a scope's prefix: current objects, every version and
    /// delete marker, and incomplete multipart uploads. Listing streams into deletion,
    /// so memory stays flat however many objects the scope holds.
    async fn purge(&self, prefix: &ScopePrefix) -> Result<PurgeReport, StorageError>;

    /// Whether the store answers at all (for readiness checks).
    async fn check(&self) -> Result<(), StorageError>;
}

/// Opens the store the settings name: a local folder or an S3 bucket.
pub fn open(
    settings: &crate::config::StorageSettings,
) -> Result<Arc<dyn ObjectStore>, StorageError> {
    match settings {
        crate::config::StorageSettings::Local { root } => {
            Ok(Arc::new(local::LocalStore::new(root.clone())?))
        }
        crate::config::StorageSettings::S3(s3) => Ok(Arc::new(s3::S3Store::connect(s3)?)),
    }
}

/// Wraps bytes held in memory as a [`ByteStream`].
pub fn bytes_stream(data: impl Into<Bytes>) -> ByteStream {
    let data = data.into();
    Box::pin(futures_util::stream::once(async move { Ok(data) }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_resolve_like_http() {
        let resolve = |r: ByteRange| r.resolve(10).ok();

        assert_eq!(
            resolve(ByteRange::FromTo { start: 2, end: 4 }),
            Some((2, 4))
        );
        assert_eq!(
            resolve(ByteRange::FromTo { start: 2, end: 99 }),
            Some((2, 9))
        );
        assert_eq!(resolve(ByteRange::From { start: 9 }), Some((9, 9)));
        assert_eq!(resolve(ByteRange::Suffix { len: 3 }), Some((7, 9)));
        assert_eq!(resolve(ByteRange::Suffix { len: 30 }), Some((0, 9)));
    }

    #[test]
    fn ranges_outside_the_object_are_not_satisfiable() {
        for range in [
            ByteRange::FromTo { start: 10, end: 12 },
            ByteRange::FromTo { start: 5, end: 4 },
            ByteRange::From { start: 10 },
            ByteRange::Suffix { len: 0 },
        ] {
            assert!(matches!(
                range.resolve(10),
                Err(StorageError::RangeNotSatisfiable { size: 10 })
            ));
        }
        assert!(ByteRange::Suffix { len: 1 }.resolve(0).is_err());
    }
}
