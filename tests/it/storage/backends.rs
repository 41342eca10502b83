//! The backends the contract suite runs against, and small helpers its tests share.

use std::sync::Arc;

use artifact_console::storage::local::LocalStore;
use artifact_console::storage::{
    ByteStream, KeyPrefix, ListEntry, ListRequest, ObjectKey, ObjectStore, StorageError,
    bytes_stream,
};
use bytes::Bytes;
use futures_util::{StreamExt, TryStreamExt, stream};
use tempfile::TempDir;

use crate::support::s3::{S3sServer, fresh_bucket, moto_endpoint};

/// A store under test, and whatever must stay alive while it is used.
pub struct Backend {
    store: Arc<dyn ObjectStore>,
    _folder: Option<TempDir>,
    _server: Option<S3sServer>,
}

impl Backend {
    /// A fresh temporary artifacts folder.
    pub fn local() -> Self {
        let folder = tempfile::tempdir().expect("temporary folder");
        let store = LocalStore::new(folder.path().join("artifacts")).expect("local store");
        Self {
            store: Arc::new(store),
            _folder: Some(folder),
            _server: None,
        }
    }

    /// A fresh bucket on an in-process s3s server.
    pub async fn s3s() -> Self {
        let server = S3sServer::start().await;
        let store = fresh_bucket(&server.endpoint).await;
        Self {
            store: Arc::new(store),
            _folder: None,
            _server: Some(server),
        }
    }

    /// A fresh bucket on moto, or `None` (after saying so) when no moto is configured.
    pub async fn moto() -> Option<Self> {
        let endpoint = moto_endpoint()?;
        let store = fresh_bucket(&endpoint).await;
        Some(Self {
            store: Arc::new(store),
            _folder: None,
            _server: None,
        })
    }

    /// The store, as the console sees it.
    pub fn store(&self) -> Arc<dyn ObjectStore> {
        Arc::clone(&self.store)
    }
}

/// Runs each named behaviour (an `async fn(Arc<dyn ObjectStore>)` in the calling module)
/// once per backend, as `on_local_disk::name`, `on_s3s::name` and `on_moto::name`.
macro_rules! for_each_backend {
    ($($behaviour:ident),+ $(,)?) => {
        mod on_local_disk {
            $(
                #[tokio::test]
                async fn $behaviour() {
                    let backend = $crate::storage::backends::Backend::local();
                    super::$behaviour(backend.store()).await;
                }
            )+
        }

        mod on_s3s {
            $(
                #[tokio::test]
                async fn $behaviour() {
                    let backend = $crate::storage::backends::Backend::s3s().await;
                    super::$behaviour(backend.store()).await;
                }
            )+
        }

        mod on_moto {
            $(
                #[tokio::test]
                async fn $behaviour() {
                    let Some(backend) = $crate::storage::backends::Backend::moto().await else {
                        return;
                    };
                    super::$behaviour(backend.store()).await;
                }
            )+
        }
    };
}
pub(crate) use for_each_backend;

/// Parses a key the test knows to be valid.
pub fn key(value: &str) -> ObjectKey {
    ObjectKey::parse(value).expect("a valid test key")
}

/// Parses a prefix the test knows to be valid.
pub fn prefix(value: &str) -> KeyPrefix {
    KeyPrefix::parse(value).expect("a valid test prefix")
}

/// The content every test object gets: different for every key, so a mix-up shows.
pub fn content_of(key: &str) -> Bytes {
    Bytes::from(format!("content of {key} / {}", key.len()).repeat(3))
}

/// Stores `content_of(key)` for every key, a few at a time.
pub async fn put_all(store: &Arc<dyn ObjectStore>, keys: &[String]) {
    stream::iter(keys)
        .map(|k| async move {
            store
                .put(
                    &key(k),
                    bytes_stream(content_of(k)),
                    "application/octet-stream",
                )
                .await
                .unwrap_or_else(|e| panic!("put {k}: {e}"))
        })
        .buffer_unordered(16)
        .collect::<Vec<_>>()
        .await;
}

/// Reads a whole object.
pub async fn read_all(store: &Arc<dyn ObjectStore>, k: &str) -> Result<Bytes, StorageError> {
    let object = store.get(&key(k), None).await?;
    collect(object.body).await
}

/// Joins a body into one buffer.
pub async fn collect(body: ByteStream) -> Result<Bytes, StorageError> {
    let chunks: Vec<Bytes> = body.try_collect().await?;
    Ok(chunks.concat().into())
}

/// Every entry of a listing, following the pages `page_size` at a time.
pub async fn list_all(
    store: &Arc<dyn ObjectStore>,
    list_prefix: &str,
    delimited: bool,
    page_size: usize,
) -> Vec<String> {
    let mut request = ListRequest {
        prefix: prefix(list_prefix),
        delimited,
        start_after: None,
        max_entries: page_size,
    };
    let mut names = Vec::new();
    loop {
        let page = store.list(&request).await.expect("listing");
        assert!(
            page.entries.len() <= page_size,
            "a page holds at most what was asked"
        );
        names.extend(page.entries.iter().map(|e| match e {
            ListEntry::Object(meta) => meta.key.clone(),
            ListEntry::Prefix(p) => p.clone(),
        }));
        match page.next_start_after {
            Some(next) => request.start_after = Some(next),
            None => return names,
        }
    }
}
