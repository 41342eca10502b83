//! A lazy walk of the artifacts folder in S3's listing order.
//!
//! S3 sorts by the bytes of the whole key, so `a-b/x` comes before `a/x` because `-`
//! sorts below `/`. A plain directory walk would visit `a/` first. Each folder's entries
//! are therefore sorted by their name followed by `/` for folders, and a depth-first walk
//! in that order yields keys in exactly S3's order. Only the folders on the current path
//! are held in memory, never the whole tree.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use super::{PARTIAL_DIR, content_type_for, etag_for};
use crate::storage::{ListEntry, ListPage, ListRequest, ObjectMeta, StorageError};

/// What the walk found: an object, or a folder rolled up into a common prefix.
#[derive(Debug)]
pub(super) enum Found {
    Object(ObjectMeta),
    Prefix(String),
}

struct Entry {
    /// The name, with a trailing `/` for folders; this is what the entries sort by.
    sort_name: String,
    is_dir: bool,
}

struct Frame {
    /// The key of this folder, ending with `/` (empty for the root).
    key: String,
    path: PathBuf,
    entries: std::vec::IntoIter<Entry>,
}

/// Walks the objects under `prefix` in key order, optionally rolling folders up at the
/// first `/` after the prefix, starting strictly after `start_after`.
pub(super) struct Walker {
    prefix: String,
    start_after: Option<String>,
    delimited: bool,
    stack: Vec<Frame>,
}

impl Walker {
    pub(super) fn new(
        root: &Path,
        prefix: &str,
        start_after: Option<&str>,
        delimited: bool,
    ) -> io::Result<Self> {
        let mut walker = Self {
            prefix: prefix.to_owned(),
            start_after: start_after.map(str::to_owned),
            delimited,
            stack: Vec::new(),
        };
        // Everything the walk can yield lies in the prefix's last complete folder, so
        // the walk starts there instead of reading every tenant's folder on the way.
        let folders = prefix.rsplit_once('/').map_or("", |(folders, _)| folders);
        if folders.split('/').next() == Some(PARTIAL_DIR) {
            return Ok(walker);
        }
        let (key, path) = match folders {
            "" => (String::new(), root.to_path_buf()),
            folders => (format!("{folders}/"), root.join(folders)),
        };
        walker.push_dir(key, path)?;
        Ok(walker)
    }

    /// The next entry in key order, or `None` when the walk is done.
    pub(super) fn next_entry(&mut self) -> io::Result<Option<Found>> {
        loop {
            let Some(frame) = self.stack.last_mut() else {
                return Ok(None);
            };
            let Some(entry) = frame.entries.next() else {
                self.stack.pop();
                continue;
            };
            let key = format!("{}{}", frame.key, entry.sort_name);
            let path = frame.path.join(entry.sort_name.trim_end_matches('/'));
            if !entry.is_dir {
                return Ok(Some(Found::Object(object_meta(key, &path)?)));
            }
            if self.delimited && key.len() > self.prefix.len() && key.starts_with(&self.prefix) {
                if holds_an_object(&path)? {
                    return Ok(Some(Found::Prefix(key)));
                }
                continue;
            }
            self.push_dir(key, path)?;
        }
    }

    fn push_dir(&mut self, key: String, path: PathBuf) -> io::Result<()> {
        let entries = match self.read_sorted(&key, &path) {
            Ok(entries) => entries,
            // A folder removed while the walk was under way, or a prefix whose folder
            // is missing or a file, simply holds nothing.
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
                ) =>
            {
                Vec::new()
            }
            Err(e) => return Err(e),
        };
        self.stack.push(Frame {
            key,
            path,
            entries: entries.into_iter(),
        });
        Ok(())
    }

    /// Reads one folder, keeps only entries that can hold something the walk wants,
    /// and sorts them in key order.
    fn read_sorted(&self, dir_key: &str, path: &Path) -> io::Result<Vec<Entry>> {
        let mut entries = Vec::new();
        for item in fs::read_dir(path)? {
            let item = item?;
            let Some(name) = item.file_name().to_str().map(str::to_owned) else {
                tracing::warn!(folder = %path.display(), "skipping a file name that is not UTF-8");
                continue;
            };
            if dir_key.is_empty() && name == PARTIAL_DIR {
                continue;
            }
            let file_type = item.file_type()?;
            let entry = if file_type.is_dir() {
                Entry {
                    sort_name: format!("{name}/"),
                    is_dir: true,
                }
            } else if file_type.is_file() {
                Entry {
                    sort_name: name,
                    is_dir: false,
                }
            } else {
                // Symbolic links and special files are never followed nor listed: they
                // could lead outside the artifacts folder.
                tracing::warn!(path = %item.path().display(), "skipping a file that is not a regular file or folder");
                continue;
            };
            if self.wants(&format!("{dir_key}{}", entry.sort_name), entry.is_dir) {
                entries.push(entry);
            }
        }
        entries.sort_unstable_by(|a, b| a.sort_name.cmp(&b.sort_name));
        Ok(entries)
    }

    /// Whether a file with this key, or a folder with this key (ending with `/`), can
    /// yield anything: it must match the prefix and lie after `start_after`.
    fn wants(&self, key: &str, is_dir: bool) -> bool {
        let prefix = self.prefix.as_str();
        if is_dir {
            let matches = key.starts_with(prefix) || prefix.starts_with(key);
            // Every key in the folder starts with `key`; when `key` sorts before
            // `start_after` and is not a prefix of it, all of them do.
            let after = self
                .start_after
                .as_deref()
                .is_none_or(|sa| key > sa || sa.starts_with(key));
            let rolled_up_and_listed = self.delimited
                && key.len() > prefix.len()
                && self
                    .start_after
                    .as_deref()
                    .is_some_and(|sa| sa.starts_with(key));
            matches && after && !rolled_up_and_listed
        } else {
            key.starts_with(prefix) && self.start_after.as_deref().is_none_or(|sa| key > sa)
        }
    }
}

fn object_meta(key: String, path: &Path) -> io::Result<ObjectMeta> {
    let meta = fs::symlink_metadata(path)?;
    let last_modified = meta.modified().ok().map(DateTime::<Utc>::from);
    Ok(ObjectMeta {
        etag: Some(etag_for(&meta)),
        content_type: content_type_for(&key).map(str::to_owned),
        key,
        size: meta.len(),
        last_modified,
    })
}

/// Whether a folder holds at least one regular file at any depth; S3 has no empty
/// folders, so an empty one must not show up as a common prefix.
fn holds_an_object(path: &Path) -> io::Result<bool> {
    let items = match fs::read_dir(path) {
        Ok(items) => items,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(e),
    };
    for item in items {
        let item = item?;
        let file_type = item.file_type()?;
        if file_type.is_file() && item.file_name().to_str().is_some() {
            return Ok(true);
        }
        if file_type.is_dir()
            && item.file_name().to_str().is_some()
            && holds_an_object(&item.path())?
        {
            return Ok(true);
        }
    }
    Ok(false)
}

/// One page of a listing, read with a fresh walk that starts after the cursor.
pub(super) fn list_page(root: &Path, request: &ListRequest) -> Result<ListPage, StorageError> {
    let max = request.max_entries.clamp(1, 1000);
    let mut walker = Walker::new(
        root,
        request.prefix.as_str(),
        request.start_after.as_deref(),
        request.delimited,
    )?;
    let mut entries = Vec::new();
    while entries.len() < max {
        match walker.next_entry()? {
            Some(Found::Object(meta)) => entries.push(ListEntry::Object(meta)),
            Some(Found::Prefix(prefix)) => entries.push(ListEntry::Prefix(prefix)),
            None => break,
        }
    }
    let more = entries.len() == max && walker.next_entry()?.is_some();
    Ok(ListPage::new(entries, more))
}
