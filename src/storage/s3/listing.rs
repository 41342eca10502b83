//! One page of a listing, with S3's order, delimiter and cursor rules.

use futures_util::StreamExt;
use minio::s3::types::ToStream;

use super::S3Store;
use super::retry::{retry, storage_error};
use super::walk::within;
use crate::storage::{ListEntry, ListPage, ListRequest, ObjectMeta, StorageError};

/// One page of entries after `request.start_after`; follows continuation tokens until
/// the page is full, since some entries may be filtered out on the way.
pub(super) async fn list(store: &S3Store, request: &ListRequest) -> Result<ListPage, StorageError> {
    let max = request.max_entries.clamp(1, 1000);
    // One more than asked, so that a page that ends the listing usually says so.
    let max_keys = u16::try_from((max + 1).min(1000)).unwrap_or(1000);
    let start_after = request.start_after.as_deref();
    let mut entries: Vec<ListEntry> = Vec::new();
    let mut token = None;
    loop {
        let response = list_request(store, request, max_keys, token).await?;
        let mut page: Vec<ListEntry> = response.contents.into_iter().map(list_entry).collect();
        page.sort_by(|a, b| a.name().cmp(b.name()));
        entries.extend(
            page.into_iter().filter(|e| {
                after_cursor(e, start_after) && within(request.prefix.as_str(), e.name())
            }),
        );
        token = response
            .next_continuation_token
            .filter(|_| response.is_truncated);
        if entries.len() >= max || token.is_none() {
            break;
        }
    }
    // A full page with a continuation token has more behind it: the entries the
    // cursor filters out can only come first, never on a later page.
    let more = entries.len() > max || (entries.len() == max && token.is_some());
    entries.truncate(max);
    Ok(ListPage::new(entries, more))
}

/// One request of a delimited or flat listing, by continuation token.
async fn list_request(
    store: &S3Store,
    request: &ListRequest,
    max_keys: u16,
    token: Option<String>,
) -> Result<minio::s3::response::ListObjectsResponse, StorageError> {
    let prefix = request.prefix.as_str();
    retry("list objects", || async {
        let mut pages = store
            .client
            .list_objects(&store.bucket)?
            .prefix((!prefix.is_empty()).then(|| prefix.to_owned()))
            .delimiter(request.delimited.then(|| "/".to_owned()))
            .recursive(!request.delimited)
            .start_after(request.start_after.clone())
            .continuation_token(token.clone())
            .max_keys(Some(max_keys))
            .build()
            .to_stream()
            .await;
        match pages.next().await {
            Some(page) => page,
            None => Err(minio::s3::error::Error::S3Server(
                minio::s3::error::S3ServerError::HttpError(500, "empty listing".to_owned()),
            )),
        }
    })
    .await
    .map_err(|e| storage_error(e, None))
}

/// Whether an entry of a listing still belongs on a page that starts after
/// `start_after`: servers differ on common prefixes around the cursor, so the cursor
/// rule of [`ListRequest`] is applied here once more.
fn after_cursor(entry: &ListEntry, start_after: Option<&str>) -> bool {
    let Some(start_after) = start_after else {
        return true;
    };
    match entry {
        ListEntry::Object(meta) => meta.key.as_str() > start_after,
        ListEntry::Prefix(prefix) => {
            prefix.as_str() > start_after && !start_after.starts_with(prefix.as_str())
        }
    }
}

fn list_entry(entry: minio::s3::types::ListEntry) -> ListEntry {
    if entry.is_prefix {
        return ListEntry::Prefix(entry.name);
    }
    ListEntry::Object(ObjectMeta {
        size: entry.size.unwrap_or(0),
        etag: entry
            .etag
            .map(|t| t.trim_matches('"').to_owned())
            .filter(|t| !t.is_empty()),
        last_modified: entry.last_modified,
        content_type: None,
        key: entry.name,
    })
}
