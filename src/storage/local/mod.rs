//! The local-folder backend: keys are paths below `ARTIFACTS_DIR`, the same layout the
//! SaaS writes, so the console can point at the SaaS's own folder.
//!
//! No key can reach outside the folder: keys are parsed [`ObjectKey`]s (no `..`, no
//! absolute paths), and no component below the root may be a symbolic link. A check
//! and the use that follows are two steps, so someone who can write into the folder
//! while the console runs could swap a folder for a link in between; the folder must
//! only be writable by the console and the SaaS.

mod partial;
mod purge;
mod walk;

use std::fs::Metadata;
use std::io;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures_util::TryStreamExt;
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tokio_util::io::ReaderStream;

use self::partial::{remove_stale_partials, write_partial};
use self::purge::purge_folder;
use self::walk::{Found, Walker, list_page};
use super::{
    ArtifactKind, ByteRange, ByteStream, GetObject, KeyPrefix, ListPage, ListRequest, ObjectKey,
    ObjectMeta, ObjectStore, PurgeReport, ScopePrefix, StorageError, Usage,
};

/// The hidden folder at the root where writes land before they are renamed into place.
/// Listings skip it, and it sits on the same file system, so the rename is atomic.
pub const PARTIAL_DIR: &str = ".artifact-console-partial";

/// A folder on local disk holding the artifacts.
#[derive(Debug, Clone)]
pub struct LocalStore {
    root: PathBuf,
}

impl LocalStore {
    /// Opens (and creates if needed) the artifacts folder at `root`.
    pub fn new(root: PathBuf) -> Result<Self, StorageError> {
        std::fs::create_dir_all(&root)?;
        let root = root.canonicalize()?;
        let partial = root.join(PARTIAL_DIR);
        std::fs::create_dir_all(&partial)?;
        remove_stale_partials(&partial);
        Ok(Self { root })
    }

    /// The folder the keys live under.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The path of a key, after checking that it does not name the partial-writes folder.
    fn path_of(&self, key: &str) -> Result<PathBuf, StorageError> {
        if key.split('/').next() == Some(PARTIAL_DIR) {
            return Err(StorageError::Refused(format!(
                "{PARTIAL_DIR} is reserved for writes in progress"
            )));
        }
        Ok(self.root.join(key))
    }

    /// Refuses a key when any folder on its way (and, with `including_last`, the key
    /// itself) is a symbolic link or not a folder. Missing components are fine: the
    /// caller then finds nothing, or creates them. Returns the facts of the last
    /// component checked when it exists, so callers need not look at it twice.
    async fn check_components(
        &self,
        key: &str,
        including_last: bool,
    ) -> Result<Option<Metadata>, StorageError> {
        let segments: Vec<&str> = key.split('/').collect();
        let checked = if including_last {
            segments.len()
        } else {
            segments.len() - 1
        };
        let mut path = self.root.clone();
        let mut last = None;
        for (i, segment) in segments.iter().take(checked).enumerate() {
            path.push(segment);
            match tokio::fs::symlink_metadata(&path).await {
                Ok(meta) if meta.file_type().is_symlink() => {
                    return Err(StorageError::Refused(format!(
                        "{key} passes through a symbolic link"
                    )));
                }
                Ok(meta) if i + 1 < segments.len() && !meta.is_dir() => {
                    return Err(StorageError::NotFound(key.to_owned()));
                }
                Ok(meta) => last = Some(meta),
                Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
                Err(e) => return Err(e.into()),
            }
        }
        Ok(last)
    }

    /// Creates the folders on the way to `key`, refusing to pass through a link.
    async fn create_parents(&self, key: &str) -> Result<(), StorageError> {
        let mut path = self.root.clone();
        let segments: Vec<&str> = key.split('/').collect();
        for segment in &segments[..segments.len() - 1] {
            path.push(segment);
            match tokio::fs::create_dir(&path).await {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                    let meta = tokio::fs::symlink_metadata(&path).await?;
                    if meta.file_type().is_symlink() {
                        return Err(StorageError::Refused(format!(
                            "{key} passes through a symbolic link"
                        )));
                    }
                    if !meta.is_dir() {
                        return Err(StorageError::Refused(format!(
                            "{key} passes through a file"
                        )));
                    }
                }
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    /// Removes empty folders from `dir` upwards, stopping at the root.
    async fn prune_empty_parents(&self, mut dir: PathBuf) {
        while dir != self.root && dir.starts_with(&self.root) {
            if tokio::fs::remove_dir(&dir).await.is_err() {
                break;
            }
            if !dir.pop() {
                break;
            }
        }
    }
}

/// An entity tag made of the modification time and the size, so it changes whenever a
/// file is replaced (a rename gives the new file its own time).
pub(crate) fn etag_for(meta: &Metadata) -> String {
    let nanos = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    format!("{nanos:x}-{:x}", meta.len())
}

/// The content type of a key from its artifact folder and extension, when it has one.
pub(crate) fn content_type_for(key: &str) -> Option<&'static str> {
    let (dir, file) = key.rsplit_once('/')?;
    let folder = dir.rsplit_once('/').map_or(dir, |(_, folder)| folder);
    let kind = ArtifactKind::from_folder(folder)?;
    file.ends_with(kind.extension())
        .then(|| kind.content_type())
}

fn meta_of(key: &str, meta: &Metadata) -> ObjectMeta {
    ObjectMeta {
        key: key.to_owned(),
        size: meta.len(),
        etag: Some(etag_for(meta)),
        last_modified: meta.modified().ok().map(DateTime::<Utc>::from),
        content_type: content_type_for(key).map(str::to_owned),
    }
}

fn not_found_as(key: &str) -> impl Fn(io::Error) -> StorageError + '_ {
    move |e| match e.kind() {
        io::ErrorKind::NotFound | io::ErrorKind::NotADirectory => {
            StorageError::NotFound(key.to_owned())
        }
        _ => StorageError::Io(e),
    }
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, StorageError> + Send + 'static,
) -> Result<T, StorageError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| StorageError::Io(io::Error::other(e)))?
}

#[async_trait]
impl ObjectStore for LocalStore {
    fn describe(&self) -> String {
        format!("local folder {}", self.root.display())
    }

    async fn put(
        &self,
        key: &ObjectKey,
        body: ByteStream,
        _content_type: &str,
    ) -> Result<ObjectMeta, StorageError> {
        let path = self.path_of(key.as_str())?;
        self.check_components(key.as_str(), true).await?;
        // The body is written before any folder is made, so a body that fails
        // half-way leaves nothing behind but its partial file, which is removed.
        let partial = write_partial(&self.root.join(PARTIAL_DIR), body).await?;
        self.create_parents(key.as_str()).await?;
        self.check_components(key.as_str(), true).await?;
        partial.publish(&path).await?;
        let meta = tokio::fs::symlink_metadata(&path).await?;
        Ok(meta_of(key.as_str(), &meta))
    }

    async fn get(
        &self,
        key: &ObjectKey,
        range: Option<ByteRange>,
    ) -> Result<GetObject, StorageError> {
        let path = self.path_of(key.as_str())?;
        self.check_components(key.as_str(), true).await?;
        let mut file = tokio::fs::File::open(&path)
            .await
            .map_err(not_found_as(key.as_str()))?;
        let meta = file.metadata().await?;
        if !meta.is_file() {
            return Err(StorageError::NotFound(key.to_string()));
        }
        let object = meta_of(key.as_str(), &meta);
        let served = range.map(|r| r.resolve(meta.len())).transpose()?;
        let (start, len) = served.map_or((0, meta.len()), |(s, e)| (s, e - s + 1));
        if start > 0 {
            file.seek(io::SeekFrom::Start(start)).await?;
        }
        let body = ReaderStream::new(file.take(len)).map_err(StorageError::Io);
        Ok(GetObject {
            meta: object,
            range: served,
            body: Box::pin(body),
        })
    }

    async fn stat(&self, key: &ObjectKey) -> Result<ObjectMeta, StorageError> {
        // Only for its refusal of the partial-writes folder: the facts come from the check.
        self.path_of(key.as_str())?;
        match self.check_components(key.as_str(), true).await? {
            Some(meta) if meta.is_file() => Ok(meta_of(key.as_str(), &meta)),
            _ => Err(StorageError::NotFound(key.to_string())),
        }
    }

    async fn delete(&self, key: &ObjectKey) -> Result<(), StorageError> {
        let path = self.path_of(key.as_str())?;
        match self.check_components(key.as_str(), true).await? {
            Some(meta) if meta.is_file() => {}
            _ => return Ok(()),
        }
        match tokio::fs::remove_file(&path).await {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e.into()),
        }
        if let Some(parent) = path.parent() {
            self.prune_empty_parents(parent.to_path_buf()).await;
        }
        Ok(())
    }

    async fn list(&self, request: &ListRequest) -> Result<ListPage, StorageError> {
        self.check_prefix(request.prefix.as_str()).await?;
        let root = self.root.clone();
        let request = request.clone();
        blocking(move || list_page(&root, &request)).await
    }

    async fn usage(&self, prefix: &KeyPrefix) -> Result<Usage, StorageError> {
        self.check_prefix(prefix.as_str()).await?;
        let root = self.root.clone();
        let prefix = prefix.as_str().to_owned();
        blocking(move || {
            let mut usage = Usage::default();
            let mut walker = Walker::new(&root, &prefix, None, false)?;
            while let Some(found) = walker.next_entry()? {
                if let Found::Object(meta) = found {
                    usage.objects += 1;
                    usage.bytes += meta.size;
                }
            }
            Ok(usage)
        })
        .await
    }

    async fn purge(&self, prefix: &ScopePrefix) -> Result<PurgeReport, StorageError> {
        self.check_prefix(prefix.as_str()).await?;
        let root = self.root.clone();
        let prefix = prefix.as_str().to_owned();
        blocking(move || purge_folder(&root, &prefix)).await
    }

    async fn check(&self) -> Result<(), StorageError> {
        let meta = tokio::fs::metadata(&self.root).await?;
        if meta.is_dir() {
            Ok(())
        } else {
            Err(StorageError::Unavailable(format!(
                "{} is not a folder",
                self.root.display()
            )))
        }
    }
}

impl LocalStore {
    /// Refuses a prefix whose complete folders pass through a symbolic link.
    async fn check_prefix(&self, prefix: &str) -> Result<(), StorageError> {
        match prefix.rsplit_once('/') {
            Some((folders, _)) => self.check_components(folders, true).await.map(|_| ()),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types_follow_the_artifact_folder() {
        assert_eq!(
            content_type_for("tenants/a/projects/p/runs/r/screenshots/x.png"),
            Some("image/png")
        );
        assert_eq!(
            content_type_for("tenants/a/projects/p/runs/r/videos/x.webm"),
            Some("video/webm")
        );
        assert_eq!(
            content_type_for("tenants/a/projects/p/runs/r/videos/x.png"),
            None
        );
        assert_eq!(content_type_for("notes.txt"), None);
    }
}
