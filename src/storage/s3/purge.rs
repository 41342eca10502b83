//! Purge of a scope: the listing streams into batch deletes, every version and delete
//! marker goes on a versioned bucket, and unfinished multipart uploads are aborted.
//!
//! Each listed page (at most 1,000 entries) becomes one DeleteObjects call; at most
//! [`DELETE_CONCURRENCY`] calls are in flight, and listing waits for a free slot, so
//! memory holds a few pages however large the scope is.

use std::collections::HashMap;

use minio::s3::builders::ObjectToDelete;
use minio::s3::response_traits::HasS3Fields;
use minio::s3::types::{ObjectKey, S3Api, VersionId};
use tokio::task::JoinSet;

use super::S3Store;
use super::retry::{retry, storage_error};
use super::walk::{Cursor, Kind, Listed, is_versioned, page};
use super::xml::{child_texts, escape, field};
use crate::storage::{PurgeFailure, PurgeReport, StorageError};

/// Batch deletes (and upload aborts) in flight at once.
pub(super) const DELETE_CONCURRENCY: usize = 16;

/// At most this many failures are kept in a report; the rest are only counted in the log.
const MAX_REPORTED_FAILURES: usize = 1000;

/// Passes over the scope; a pass only repeats when the one before removed something,
/// which catches versions listed behind a marker that was deleted meanwhile (moto) and
/// objects written while the purge ran.
const MAX_PASSES: usize = 100;

/// Removes everything under `prefix` and says what went and what could not.
pub(super) async fn purge(store: &S3Store, prefix: &str) -> Result<PurgeReport, StorageError> {
    let versioned = is_versioned(store).await?;
    let mut report = PurgeReport::default();
    for pass in 1..=MAX_PASSES {
        let removed = purge_pass(store, prefix, versioned, &mut report).await?;
        if removed == 0 || !report.failures.is_empty() {
            break;
        }
        if pass == MAX_PASSES {
            tracing::warn!(prefix, "objects keep appearing under a scope being purged");
        }
    }
    super::uploads::abort_all(store, prefix, &mut report).await?;
    Ok(report)
}

/// One pass over the listing; returns how many entries it removed. Deletes run as
/// tasks while the next page is listed, at most [`DELETE_CONCURRENCY`] at a time.
async fn purge_pass(
    store: &S3Store,
    prefix: &str,
    versioned: bool,
    report: &mut PurgeReport,
) -> Result<u64, StorageError> {
    let mut deletes = JoinSet::new();
    let mut removed = 0;
    let mut cursor = Some(Cursor::Start);
    while let Some(at) = cursor.take() {
        let (listed, next) = page(store, prefix, versioned, &at).await?;
        cursor = next;
        if deletes.len() >= DELETE_CONCURRENCY {
            removed += finish_one(&mut deletes, report).await?;
        }
        let store = store.clone();
        deletes.spawn(async move { delete_batch(&store, listed).await });
    }
    while !deletes.is_empty() {
        removed += finish_one(&mut deletes, report).await?;
    }
    Ok(removed)
}

/// Waits for one batch delete and adds its outcome to the report.
async fn finish_one(
    deletes: &mut JoinSet<Result<PurgeReport, StorageError>>,
    report: &mut PurgeReport,
) -> Result<u64, StorageError> {
    let Some(joined) = deletes.join_next().await else {
        return Ok(0);
    };
    let outcome = joined.map_err(|e| StorageError::Io(std::io::Error::other(e)))??;
    let removed = outcome.objects + outcome.versions + outcome.delete_markers;
    absorb(report, outcome);
    Ok(removed)
}

/// Deletes one page of entries in one call. Per-key errors in a successful answer, and
/// a call that fails for good, become failures of the keys concerned.
async fn delete_batch(store: &S3Store, batch: Vec<Listed>) -> Result<PurgeReport, StorageError> {
    let mut report = PurgeReport::default();
    if batch.is_empty() {
        return Ok(report);
    }
    let objects = batch.iter().map(to_delete).collect::<Result<Vec<_>, _>>()?;
    let answer = retry("delete objects", || async {
        store
            .client
            .delete_objects(&store.bucket, objects.clone())?
            .build()
            .send()
            .await
    })
    .await;
    let errors = match answer {
        Ok(response) => key_errors(response.body())?,
        Err(e) => {
            let message = storage_error(e, None).to_string();
            batch
                .iter()
                .map(|l| ((l.key.clone(), l.version_id.clone()), message.clone()))
                .collect()
        }
    };
    for listed in batch {
        let error = errors
            .get(&(listed.key.clone(), listed.version_id.clone()))
            .or_else(|| errors.get(&(listed.key.clone(), None)));
        match (error, listed.kind) {
            (Some(message), _) => record_failure(
                &mut report,
                PurgeFailure {
                    key: listed.key,
                    version_id: listed.version_id,
                    message: message.clone(),
                },
            ),
            (None, Kind::Current) => {
                report.objects += 1;
                report.bytes += listed.size;
            }
            (None, Kind::Noncurrent) => report.versions += 1,
            (None, Kind::DeleteMarker) => report.delete_markers += 1,
        }
    }
    Ok(report)
}

/// The batch entry for a listed key; the key and version are escaped here because the
/// SDK writes them into the XML body as they are.
fn to_delete(listed: &Listed) -> Result<ObjectToDelete, StorageError> {
    let invalid = |e: minio::s3::error::ValidationErr| StorageError::Refused(e.to_string());
    let key = ObjectKey::new(escape(&listed.key)).map_err(invalid)?;
    let version = listed
        .version_id
        .as_deref()
        .map(|v| VersionId::new(escape(v)))
        .transpose()
        .map_err(invalid)?;
    Ok(ObjectToDelete::from((key, version)))
}

/// The per-key errors of a DeleteObjects answer, by key and version.
fn key_errors(body: &[u8]) -> Result<HashMap<(String, Option<String>), String>, StorageError> {
    let errors = child_texts(body, "Error")
        .map_err(|e| StorageError::Unavailable(format!("unreadable delete answer: {e}")))?;
    Ok(errors
        .into_iter()
        .map(|fields| {
            let key = field(&fields, "Key").unwrap_or_default().to_owned();
            let version = field(&fields, "VersionId").map(str::to_owned);
            let message = format!(
                "{}: {}",
                field(&fields, "Code").unwrap_or("error"),
                field(&fields, "Message").unwrap_or_default()
            );
            ((key, version), message)
        })
        .collect())
}

/// Adds a failure to a report, keeping at most [`MAX_REPORTED_FAILURES`].
pub(super) fn record_failure(report: &mut PurgeReport, failure: PurgeFailure) {
    if report.failures.len() < MAX_REPORTED_FAILURES {
        report.failures.push(failure);
    } else {
        tracing::warn!(key = %failure.key, error = %failure.message, "purge failure not kept in the report");
    }
}

fn absorb(report: &mut PurgeReport, part: PurgeReport) {
    report.objects += part.objects;
    report.bytes += part.bytes;
    report.versions += part.versions;
    report.delete_markers += part.delete_markers;
    report.uploads_aborted += part.uploads_aborted;
    for failure in part.failures {
        record_failure(report, failure);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_key_errors_are_read_by_key_and_version() {
        let body = br#"<DeleteResult>
            <Error><Key>a &amp; b</Key><Code>AccessDenied</Code><Message>no</Message></Error>
            <Error><Key>c</Key><VersionId>v9</VersionId><Code>InternalError</Code></Error>
            </DeleteResult>"#;

        let errors = key_errors(body).expect("parses");

        assert_eq!(
            errors.get(&("a & b".to_owned(), None)).map(String::as_str),
            Some("AccessDenied: no")
        );
        assert!(errors.contains_key(&("c".to_owned(), Some("v9".to_owned()))));
    }
}
