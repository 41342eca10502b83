//! Unfinished multipart uploads under a prefix: counted by usage, aborted by purge.
//!
//! The `minio` crate has no call that lists them, so the `?uploads` request is sent
//! raw and its XML answer parsed here. Servers without that listing (s3s) count as
//! having none.

use futures_util::{StreamExt, stream};
use http::Method;
use minio::s3::error::{Error, NetworkError};
use minio::s3::multimap_ext::{Multimap, MultimapExt};
use minio::s3::types::{S3Api, S3Request};

use super::S3Store;
use super::purge::{DELETE_CONCURRENCY, record_failure};
use super::retry::{has_code, is_unsupported, retry, storage_error};
use super::walk::within;
use super::xml::{child_texts, field};
use crate::storage::{PurgeFailure, PurgeReport, StorageError};

/// An upload that was started and neither completed nor aborted.
#[derive(Debug, Clone)]
struct Upload {
    key: String,
    upload_id: String,
}

/// Where the next page of uploads starts: after this upload of this key.
type Marker = (String, String);

/// One page of uploads under `prefix`, and the marker of the next page; `None` when the
/// server does not list uploads at all.
async fn page(
    store: &S3Store,
    prefix: &str,
    marker: Option<&Marker>,
) -> Result<Option<(Vec<Upload>, Option<Marker>)>, StorageError> {
    let answer = retry("list multipart uploads", || async {
        let mut query = Multimap::new();
        query.add("uploads", "");
        query.add("prefix", prefix);
        query.add("max-uploads", "1000");
        if let Some((key, upload_id)) = marker {
            query.add("key-marker", key.as_str());
            query.add("upload-id-marker", upload_id.as_str());
        }
        let mut request = S3Request::builder()
            .client(store.client.clone())
            .method(Method::GET)
            .bucket(store.bucket.clone())
            .query_params(query)
            .build();
        let response = request.execute().await?;
        response
            .bytes()
            .await
            .map_err(|e| Error::Network(NetworkError::ReqwestError(e)))
    })
    .await;
    let body = match answer {
        Ok(body) => body,
        Err(e) if is_unsupported(&e) => {
            tracing::debug!("the server does not list multipart uploads");
            return Ok(None);
        }
        Err(e) => return Err(storage_error(e, None)),
    };
    let (mut uploads, next) = parse_page(&body)?;
    uploads.retain(|upload| within(prefix, &upload.key));
    Ok(Some((uploads, next)))
}

fn parse_page(body: &[u8]) -> Result<(Vec<Upload>, Option<Marker>), StorageError> {
    let bad = |e: String| StorageError::Unavailable(format!("unreadable list of uploads: {e}"));
    let uploads = child_texts(body, "Upload")
        .map_err(bad)?
        .into_iter()
        .filter_map(|fields| {
            Some(Upload {
                key: field(&fields, "Key")?.to_owned(),
                upload_id: field(&fields, "UploadId")?.to_owned(),
            })
        })
        .collect();
    let top = child_texts(body, "ListMultipartUploadsResult").map_err(bad)?;
    let top = top.first().map(Vec::as_slice).unwrap_or_default();
    let truncated = field(top, "IsTruncated").is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let next = match (
        truncated,
        field(top, "NextKeyMarker"),
        field(top, "NextUploadIdMarker"),
    ) {
        (true, Some(key), Some(upload_id)) => Some((key.to_owned(), upload_id.to_owned())),
        _ => None,
    };
    Ok((uploads, next))
}

/// How many unfinished uploads lie under `prefix`.
pub(super) async fn count(store: &S3Store, prefix: &str) -> Result<u64, StorageError> {
    let mut total = 0;
    let mut marker = None;
    while let Some((uploads, next)) = page(store, prefix, marker.as_ref()).await? {
        total += uploads.len() as u64;
        match next {
            Some(next) => marker = Some(next),
            None => break,
        }
    }
    Ok(total)
}

/// Aborts every unfinished upload under `prefix`. Each round lists from the start, as
/// aborted uploads leave the listing; it stops when a round aborts nothing more.
pub(super) async fn abort_all(
    store: &S3Store,
    prefix: &str,
    report: &mut PurgeReport,
) -> Result<(), StorageError> {
    while let Some((uploads, _)) = page(store, prefix, None).await? {
        if uploads.is_empty() {
            break;
        }
        let results: Vec<(Upload, Result<(), StorageError>)> = stream::iter(uploads)
            .map(|upload| async move {
                let result = abort(store, &upload).await;
                (upload, result)
            })
            .buffer_unordered(DELETE_CONCURRENCY)
            .collect()
            .await;
        let mut aborted = 0;
        for (upload, result) in results {
            match result {
                Ok(()) => aborted += 1,
                Err(e) => record_failure(
                    report,
                    PurgeFailure {
                        key: upload.key,
                        version_id: None,
                        message: format!("aborting upload {}: {e}", upload.upload_id),
                    },
                ),
            }
        }
        report.uploads_aborted += aborted;
        if aborted == 0 {
            break;
        }
    }
    Ok(())
}

async fn abort(store: &S3Store, upload: &Upload) -> Result<(), StorageError> {
    retry("abort multipart upload", || async {
        store
            .client
            .abort_multipart_upload(
                &store.bucket,
                upload.key.as_str(),
                upload.upload_id.as_str(),
            )?
            .build()
            .send()
            .await
    })
    .await
    .map(|_| ())
    .or_else(|e| {
        // Finished or aborted by someone else in the meantime: nothing left to remove.
        if has_code(&e, "NoSuchUpload") {
            Ok(())
        } else {
            Err(storage_error(e, Some(&upload.key)))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_truncated_page_names_the_next_marker() {
        let xml = br#"<ListMultipartUploadsResult><Bucket>b</Bucket>
            <NextKeyMarker>k2</NextKeyMarker><NextUploadIdMarker>u2</NextUploadIdMarker>
            <IsTruncated>true</IsTruncated>
            <Upload><Key>k1</Key><UploadId>u1</UploadId></Upload>
            <Upload><Key>k2</Key><UploadId>u2</UploadId></Upload>
            </ListMultipartUploadsResult>"#;

        let (uploads, next) = parse_page(xml).expect("parses");

        assert_eq!(uploads.len(), 2);
        assert_eq!(uploads[1].key, "k2");
        assert_eq!(next, Some(("k2".to_owned(), "u2".to_owned())));
    }

    #[test]
    fn a_last_page_has_no_marker() {
        let xml = br#"<ListMultipartUploadsResult><IsTruncated>false</IsTruncated>
            </ListMultipartUploadsResult>"#;

        let (uploads, next) = parse_page(xml).expect("parses");

        assert!(uploads.is_empty());
        assert_eq!(next, None);
    }
}
