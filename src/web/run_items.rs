//! The artifacts of one page of a run, as the run template shows them: every item with
//! its size, time and key; diffs paired with the screenshot of the same name; test
//! files read and highlighted.

use bytes::BytesMut;
use futures_util::{StreamExt, TryStreamExt, stream};

use super::error::WebError;
use super::format::{self, Moment};
use super::highlight::{self, Line};
use super::links;
use crate::artifacts::{Artifact, ArtifactStore};
use crate::storage::{ArtifactKey, ArtifactKind, ByteRange, StorageError};

/// Test files longer than this are shown cut, with the download link for the rest.
const MAX_SOURCE_SHOWN: u64 = 256 * 1024;
/// Stat or read requests sent at once.
const CONCURRENCY: usize = 8;

/// One artifact as every tab shows it.
pub struct Item {
    pub name: String,
    /// The full key, shown in full.
    pub key: String,
    pub size: String,
    pub time: Moment,
    pub href: String,
    pub download: String,
    /// The preview URL of an image, empty otherwise.
    pub thumb: String,
    /// The id of its full-size view on the page.
    pub anchor: String,
    /// Where the full-size view's previous and next links go.
    pub prev: Option<String>,
    pub next: Option<String>,
}

impl Item {
    fn of(artifact: &Artifact, index: usize) -> Self {
        let key: &ArtifactKey = &artifact.key;
        Self {
            name: key.name().to_string(),
            key: key.key().to_string(),
            size: format::size(artifact.size),
            time: Moment::of(artifact.last_modified),
            href: links::artifact(key),
            download: links::download(key),
            thumb: if key.kind().is_image() {
                links::thumbnail(key)
            } else {
                String::new()
            },
            anchor: format!("view-{index}"),
            prev: None,
            next: None,
        }
    }
}

/// A diff, and the screenshot of the same name when the run has one.
pub struct DiffItem {
    pub diff: Item,
    pub screenshot: Option<Item>,
}

/// A generated test file and its highlighted source.
pub struct TestFile {
    pub item: Item,
    pub lines: Vec<Line>,
    /// Whether only the first [`MAX_SOURCE_SHOWN`] bytes are shown.
    pub truncated: bool,
}

/// The items of a page, in listing order.
pub fn items(artifacts: &[Artifact]) -> Vec<Item> {
    artifacts
        .iter()
        .enumerate()
        .map(|(i, a)| Item::of(a, i))
        .collect()
}

/// Links each full-size view to its neighbours; the last one leads to the next page.
pub fn link_neighbours(items: &mut [Item], next_page: Option<String>) {
    let anchors: Vec<String> = items.iter().map(|i| format!("#{}", i.anchor)).collect();
    let last = items.len().saturating_sub(1);
    for (i, item) in items.iter_mut().enumerate() {
        item.prev = i.checked_sub(1).map(|p| anchors[p].clone());
        item.next = if i < last {
            Some(anchors[i + 1].clone())
        } else {
            next_page.clone()
        };
    }
}

/// Pairs every diff with the screenshot of the same name, if the run has one.
pub async fn pair_diffs(
    store: &ArtifactStore,
    diffs: &[Artifact],
) -> Result<Vec<DiffItem>, WebError> {
    let pairs = stream::iter(diffs.iter().enumerate().map(|(i, diff)| async move {
        let key = &diff.key;
        let shot_key = ArtifactKey::new(
            key.tenant().clone(),
            key.project().clone(),
            key.run().clone(),
            ArtifactKind::Screenshots,
            key.name().clone(),
        );
        let screenshot = match store.stat(&shot_key).await {
            Ok(meta) => Some(Item::of(
                &Artifact {
                    key: shot_key,
                    size: meta.size,
                    etag: meta.etag,
                    last_modified: meta.last_modified,
                },
                i,
            )),
            Err(StorageError::NotFound(_)) => None,
            Err(e) => return Err(e),
        };
        let mut diff = Item::of(diff, i);
        diff.anchor = format!("diff-{i}");
        Ok(DiffItem { diff, screenshot })
    }))
    .buffered(CONCURRENCY)
    .try_collect()
    .await?;
    Ok(pairs)
}

/// Reads and highlights each test file (at most [`MAX_SOURCE_SHOWN`] bytes of each).
pub async fn test_files(
    store: &ArtifactStore,
    tests: &[Artifact],
) -> Result<Vec<TestFile>, WebError> {
    let files = stream::iter(tests.iter().enumerate().map(|(i, test)| async move {
        let truncated = test.size > MAX_SOURCE_SHOWN;
        let range = (test.size > 0).then_some(ByteRange::FromTo {
            start: 0,
            end: test.size.min(MAX_SOURCE_SHOWN) - 1,
        });
        let source = match range {
            Some(range) => {
                let object = store.get(&test.key, Some(range)).await?;
                object
                    .body
                    .try_fold(BytesMut::new(), |mut all, chunk| async move {
                        all.extend_from_slice(&chunk);
                        Ok(all)
                    })
                    .await?
            }
            None => BytesMut::new(),
        };
        Ok::<_, StorageError>(TestFile {
            item: Item::of(test, i),
            lines: highlight::python(&String::from_utf8_lossy(&source)),
            truncated,
        })
    }))
    .buffered(CONCURRENCY)
    .try_collect()
    .await?;
    Ok(files)
}
