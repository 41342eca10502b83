//! What only a full S3 server shows: versioned buckets, unfinished multipart uploads
//! (moto), multipart puts and signatures (s3s and moto).

use std::sync::Arc;

use artifact_console::config::S3Settings;
use artifact_console::storage::s3::S3Store;
use artifact_console::storage::{ObjectStore, Scope, StorageError, TenantId, bytes_stream};
use bytes::Bytes;
use futures_util::{StreamExt, stream};
use minio::s3::builders::VersioningStatus;
use minio::s3::segmented_bytes::SegmentedBytes;
use minio::s3::types::{S3Api, ToStream};
use secrecy::SecretString;

use super::backends::{content_of, key, put_all, read_all};
use crate::support::s3::{S3sServer, fresh_bucket, moto_endpoint, settings};

/// A fresh moto bucket, or `None` after saying the test is skipped.
async fn moto_bucket() -> Option<S3Store> {
    let endpoint = moto_endpoint()?;
    Some(fresh_bucket(&endpoint).await)
}

async fn enable_versioning(store: &S3Store) {
    store
        .client()
        .put_bucket_versioning(store.bucket(), VersioningStatus::Enabled)
        .expect("bucket")
        .build()
        .send()
        .await
        .expect("enable versioning");
}

/// Every version and delete marker under `prefix`, as (key, is a delete marker).
async fn all_versions(store: &S3Store, prefix: &str) -> Vec<(String, bool)> {
    let mut pages = store
        .client()
        .list_objects(store.bucket())
        .expect("bucket")
        .prefix(Some(prefix.to_owned()))
        .recursive(true)
        .include_versions(true)
        .build()
        .to_stream()
        .await;
    let mut found = Vec::new();
    while let Some(page) = pages.next().await {
        for entry in page.expect("list versions").contents {
            found.push((entry.name, entry.is_delete_marker));
        }
    }
    found
}

fn tenant(id: &str) -> TenantId {
    TenantId::parse(id).expect("tenant id")
}

#[tokio::test]
async fn purging_a_versioned_scope_leaves_no_version_and_no_delete_marker() {
    let Some(s3) = moto_bucket().await else {
        return;
    };
    enable_versioning(&s3).await;
    let store: Arc<dyn ObjectStore> = Arc::new(s3.clone());
    let kept = "tenants/acme/projects/1/runs/r1/screenshots/a.png".to_owned();
    let deleted = "tenants/acme/projects/1/runs/r1/screenshots/b.png".to_owned();
    let neighbour = "tenants/acme-corp/projects/1/runs/r1/screenshots/a.png".to_owned();
    for round in [1, 2] {
        put_all(&store, &[kept.clone(), neighbour.clone()]).await;
        assert_eq!(round, all_versions(&s3, "tenants/acme-corp/").await.len());
    }
    put_all(&store, std::slice::from_ref(&deleted)).await;
    store
        .delete(&key(&deleted))
        .await
        .expect("delete leaves a marker");
    let acme = Scope::Tenant(tenant("acme"));

    let usage = store
        .usage(&acme.prefix().as_key_prefix())
        .await
        .expect("usage");
    let report = store.purge(&acme.prefix()).await.expect("purge");

    assert_eq!(
        (
            usage.objects,
            usage.noncurrent_versions,
            usage.delete_markers
        ),
        (1, 2, 1)
    );
    assert!(report.is_complete(), "{:?}", report.failures);
    assert_eq!(
        (report.objects, report.versions, report.delete_markers),
        (1, 2, 1)
    );
    assert!(all_versions(&s3, "tenants/acme/").await.is_empty());
    assert_eq!(all_versions(&s3, "tenants/acme-corp/").await.len(), 2);
    assert_eq!(
        read_all(&store, &neighbour).await.expect("neighbour"),
        content_of(&neighbour)
    );
}

#[tokio::test]
async fn a_versioned_purge_pages_past_a_thousand_versions() {
    let Some(s3) = moto_bucket().await else {
        return;
    };
    enable_versioning(&s3).await;
    let store: Arc<dyn ObjectStore> = Arc::new(s3.clone());
    let keys: Vec<String> = (0..550)
        .map(|i| format!("tenants/big/projects/1/runs/1/screenshots/{i:04}.png"))
        .collect();
    put_all(&store, &keys).await;
    put_all(&store, &keys).await;

    let report = store
        .purge(&Scope::Tenant(tenant("big")).prefix())
        .await
        .expect("purge");

    assert!(report.is_complete(), "{:?}", report.failures);
    assert_eq!((report.objects, report.versions), (550, 550));
    assert!(all_versions(&s3, "tenants/big/").await.is_empty());
}

/// Starts a multipart upload of one part and leaves it unfinished.
async fn leave_unfinished_upload(store: &S3Store, object: &str) {
    let created = store
        .client()
        .create_multipart_upload(store.bucket(), object)
        .expect("names")
        .build()
        .send()
        .await
        .expect("start a multipart upload");
    let upload_id = created.upload_id().await.expect("upload id");
    store
        .client()
        .upload_part(
            store.bucket(),
            object,
            upload_id,
            1,
            SegmentedBytes::from(Bytes::from(vec![9_u8; 1024])),
        )
        .expect("names")
        .build()
        .send()
        .await
        .expect("upload one part");
}

#[tokio::test]
async fn purging_aborts_unfinished_multipart_uploads() {
    let Some(s3) = moto_bucket().await else {
        return;
    };
    leave_unfinished_upload(&s3, "tenants/acme/projects/1/runs/r1/videos/big.webm").await;
    leave_unfinished_upload(&s3, "tenants/acme-corp/projects/1/runs/r1/videos/big.webm").await;
    let acme = Scope::Tenant(tenant("acme"));
    let corp = Scope::Tenant(tenant("acme-corp"));

    let before = s3
        .usage(&acme.prefix().as_key_prefix())
        .await
        .expect("usage");
    let report = s3.purge(&acme.prefix()).await.expect("purge");
    let after = s3
        .usage(&acme.prefix().as_key_prefix())
        .await
        .expect("usage");
    let neighbour = s3
        .usage(&corp.prefix().as_key_prefix())
        .await
        .expect("usage");

    assert_eq!(before.incomplete_uploads, 1);
    assert!(report.is_complete(), "{:?}", report.failures);
    assert_eq!(report.uploads_aborted, 1);
    assert_eq!(after.incomplete_uploads, 0);
    assert_eq!(neighbour.incomplete_uploads, 1);
}

/// A put larger than one part goes up as a multipart upload.
async fn a_multipart_put_reads_back_with_size_and_etag(s3: S3Store) {
    let object = "tenants/acme/projects/1/runs/r1/videos/long.webm";
    let chunk = Bytes::from(vec![3_u8; 1024 * 1024]);
    let body = stream::iter((0..17).map(move |_| Ok(chunk.clone())));

    let meta = s3
        .put(&key(object), Box::pin(body), "video/webm")
        .await
        .expect("multipart put");
    let store: Arc<dyn ObjectStore> = Arc::new(s3);
    let read = read_all(&store, object).await.expect("get");

    assert_eq!(meta.size, 17 * 1024 * 1024);
    assert!(meta.etag.is_some_and(|t| !t.is_empty()));
    assert_eq!(read.len(), 17 * 1024 * 1024);
    assert!(read.iter().all(|&b| b == 3));
}

#[tokio::test]
async fn a_multipart_put_reads_back_with_size_and_etag_on_s3s() {
    let server = S3sServer::start().await;
    a_multipart_put_reads_back_with_size_and_etag(fresh_bucket(&server.endpoint).await).await;
}

#[tokio::test]
async fn a_multipart_put_reads_back_with_size_and_etag_on_moto() {
    let Some(s3) = moto_bucket().await else {
        return;
    };
    a_multipart_put_reads_back_with_size_and_etag(s3).await;
}

#[tokio::test]
async fn a_wrong_secret_is_refused_without_showing_any_secret() {
    let server = S3sServer::start().await;
    let good = fresh_bucket(&server.endpoint).await;
    let wrong = S3Settings {
        secret_access_key: SecretString::from("wrong-secret-value-123"),
        ..settings(&server.endpoint, good.bucket())
    };
    let store = S3Store::connect(&wrong).expect("connect builds a client only");

    let checked = store.check().await;
    let put = store
        .put(
            &key("tenants/a/x.txt"),
            bytes_stream(&b"x"[..]),
            "text/plain",
        )
        .await;

    assert!(good.check().await.is_ok());
    for outcome in [checked.map(|_| ()), put.map(|_| ())] {
        let message = outcome.expect_err("a wrong secret is refused").to_string();
        assert!(!message.contains("wrong-secret-value-123"), "{message}");
        assert!(
            !message.contains(crate::support::s3::SECRET_KEY),
            "{message}"
        );
    }
    assert!(!store.describe().contains("wrong-secret"));
    assert!(!format!("{store:?}").contains("wrong-secret"));
}

#[tokio::test]
async fn a_missing_bucket_fails_the_check() {
    let server = S3sServer::start().await;
    let store = S3Store::connect(&settings(&server.endpoint, "no-such-bucket")).expect("connect");

    let checked = store.check().await;

    assert!(
        matches!(checked, Err(StorageError::Refused(_))),
        "{checked:?}"
    );
}
