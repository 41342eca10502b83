//! `GET /thumbnails/{key}`: a small PNG of a screenshot or a diff, made once and kept
//! on local disk under `DATA_DIR/thumbnails` within `THUMBNAIL_CACHE_MB`.
//!
//! The preview shows the top of the page at [`WIDTH`] pixels wide, so a gallery of
//! full-page screenshots transfers a few percent of the originals' bytes.

use std::io::Cursor;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use actix_web::http::header::{self, CacheControl, CacheDirective, EntityTag};
use actix_web::web::{self, Data, ServiceConfig};
use actix_web::{HttpRequest, HttpResponse};
use bytes::{Bytes, BytesMut};
use futures_util::TryStreamExt;
use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::{DynamicImage, ImageReader, Limits};
use sha2::{Digest, Sha256};
use tokio::sync::{Mutex, Semaphore};

use super::AppState;
use super::delivery::key_from_path;
use super::error::WebError;
use super::range;
use crate::storage::{ArtifactKey, ObjectMeta};

/// Width of every preview, in pixels.
pub const WIDTH: u32 = 240;
/// The preview shows at most this much height per unit of width (the top of the page).
const MAX_ASPECT: f64 = 1.25;
/// Originals larger than this are not decoded (a preview is not worth the memory).
const MAX_SOURCE_BYTES: u64 = 64 * 1024 * 1024;
/// Decoded images larger than this are refused (decompression bombs).
const MAX_DECODED_BYTES: u64 = 512 * 1024 * 1024;
/// Bump when the way previews are drawn changes, so old cache files are not reused.
const RECIPE: &str = "v1";

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.route("/thumbnails/{key:.*}", web::get().to(thumbnail));
}

/// Previews on local disk, evicted oldest first once they outgrow the cap.
pub struct ThumbnailCache {
    dir: PathBuf,
    cap_bytes: u64,
    used_bytes: AtomicU64,
    /// Decoding a full-page screenshot takes real memory: two at a time at most.
    decoders: Semaphore,
    eviction: Mutex<()>,
}

impl ThumbnailCache {
    /// Creates the cache folder if needed and measures what it already holds.
    pub fn open(dir: PathBuf, cap_bytes: u64) -> std::io::Result<Self> {
        std::fs::create_dir_all(&dir)?;
        let mut used = 0;
        for entry in std::fs::read_dir(&dir)? {
            used += entry?.metadata()?.len();
        }
        Ok(Self {
            dir,
            cap_bytes,
            used_bytes: AtomicU64::new(used),
            decoders: Semaphore::new(2),
            eviction: Mutex::new(()),
        })
    }

    /// Bytes the cache holds on disk now.
    pub fn used_bytes(&self) -> u64 {
        self.used_bytes.load(Ordering::Relaxed)
    }

    /// The cache file of one version of one object.
    fn path_for(&self, key: &ArtifactKey, meta: &ObjectMeta) -> (PathBuf, String) {
        let mut hash = Sha256::new();
        for part in [
            RECIPE,
            key.key().as_str(),
            meta.etag.as_deref().unwrap_or(""),
            &meta.size.to_string(),
            &meta
                .last_modified
                .map(|t| t.to_rfc3339())
                .unwrap_or_default(),
        ] {
            hash.update(part.as_bytes());
            hash.update([0]);
        }
        let name = hex::encode(hash.finalize());
        (self.dir.join(format!("{name}.png")), name[..32].to_owned())
    }

    /// Writes a preview through a temporary file and a rename, so a reader never sees
    /// half a file, then trims the cache if it grew past its cap.
    async fn store(&self, path: &PathBuf, png: &Bytes) -> std::io::Result<()> {
        // Two requests may draw the same preview at once: each writes its own file.
        static WRITES: AtomicU64 = AtomicU64::new(0);
        let temp = path.with_extension(format!(
            "tmp{}-{}",
            std::process::id(),
            WRITES.fetch_add(1, Ordering::Relaxed)
        ));
        tokio::fs::write(&temp, png).await?;
        tokio::fs::rename(&temp, path).await?;
        let used = self
            .used_bytes
            .fetch_add(png.len() as u64, Ordering::Relaxed);
        if used + png.len() as u64 > self.cap_bytes {
            self.evict().await?;
        }
        Ok(())
    }

    /// Removes the oldest previews until the cache is at 90 % of its cap.
    async fn evict(&self) -> std::io::Result<()> {
        let Ok(_only_one) = self.eviction.try_lock() else {
            return Ok(());
        };
        let dir = self.dir.clone();
        let target = self.cap_bytes / 10 * 9;
        let used = tokio::task::spawn_blocking(move || evict_oldest(&dir, target))
            .await
            .map_err(std::io::Error::other)??;
        self.used_bytes.store(used, Ordering::Relaxed);
        Ok(())
    }
}

fn evict_oldest(dir: &PathBuf, target: u64) -> std::io::Result<u64> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let meta = entry.metadata()?;
        files.push((meta.modified()?, meta.len(), entry.path()));
    }
    files.sort();
    let mut used: u64 = files.iter().map(|f| f.1).sum();
    for (_, len, path) in files {
        if used <= target {
            break;
        }
        // Another replica or request may have removed it already: that is fine.
        let _ = std::fs::remove_file(&path);
        used = used.saturating_sub(len);
    }
    Ok(used)
}

async fn thumbnail(req: HttpRequest, state: Data<AppState>) -> Result<HttpResponse, WebError> {
    let key = key_from_path(&req, "/thumbnails/")?;
    if !key.kind().is_image() {
        return Err(WebError::not_found(
            "A preview of this kind of artifact",
            "Only screenshots and diffs have previews; open the artifact itself instead.",
        ));
    }
    let meta = state.artifacts.stat(&key).await?;
    let cache = &state.thumbnails;
    let (path, tag) = cache.path_for(&key, &meta);

    let matches = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| range::none_match(v, &tag));
    if matches {
        return Ok(HttpResponse::NotModified()
            .insert_header(header::ETag(EntityTag::new_strong(tag)))
            .finish());
    }
    let png = match tokio::fs::read(&path).await {
        Ok(png) => Bytes::from(png),
        Err(_) => {
            let png = render(&state, &key, &meta).await?;
            if let Err(e) = cache.store(&path, &png).await {
                tracing::warn!(error = %e, "could not keep a preview in the cache");
            }
            png
        }
    };

    Ok(HttpResponse::Ok()
        .content_type("image/png")
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header(CacheControl(vec![
            CacheDirective::Private,
            CacheDirective::MaxAge(300),
        ]))
        .insert_header(header::ETag(EntityTag::new_strong(tag)))
        .body(png))
}

/// Reads the original and draws its preview on a blocking thread.
async fn render(state: &AppState, key: &ArtifactKey, meta: &ObjectMeta) -> Result<Bytes, WebError> {
    if meta.size > MAX_SOURCE_BYTES {
        return Err(WebError::not_found(
            "A preview of this very large image",
            "Open the image itself instead.",
        ));
    }
    let _permit = state
        .thumbnails
        .decoders
        .acquire()
        .await
        .map_err(|e| WebError::Internal(e.to_string()))?;
    let object = state.artifacts.get(key, None).await?;
    let original = object
        .body
        .try_fold(BytesMut::new(), |mut all, chunk| async move {
            all.extend_from_slice(&chunk);
            Ok(all)
        })
        .await?
        .freeze();
    tokio::task::spawn_blocking(move || draw(&original))
        .await
        .map_err(|e| WebError::Internal(e.to_string()))?
}

/// Decodes a PNG, keeps the top of a tall page, scales it to [`WIDTH`] and encodes it.
fn draw(original: &[u8]) -> Result<Bytes, WebError> {
    let unreadable = |e: image::ImageError| {
        WebError::BadRequest(format!("This image cannot be previewed: {e}."))
    };
    let mut reader = ImageReader::new(Cursor::new(original))
        .with_guessed_format()
        .map_err(|e| WebError::Internal(e.to_string()))?;
    let mut limits = Limits::default();
    limits.max_alloc = Some(MAX_DECODED_BYTES);
    reader.limits(limits);
    let image = reader.decode().map_err(unreadable)?;

    let top = top_of_page(&image);
    let small = top.thumbnail(WIDTH, (f64::from(WIDTH) * MAX_ASPECT) as u32);
    let mut small = small.into_rgb8();
    // Eight levels per channel are plenty at this size, and make the PNG several times
    // smaller than full colour (downscaled text is mostly noise to the encoder).
    for value in small.iter_mut() {
        let level = *value & 0xE0;
        *value = level | (level >> 3) | (level >> 6);
    }
    let small = DynamicImage::ImageRgb8(small);
    let mut png = Vec::new();
    let encoder = PngEncoder::new_with_quality(
        Cursor::new(&mut png),
        CompressionType::Best,
        FilterType::Adaptive,
    );
    small.write_with_encoder(encoder).map_err(unreadable)?;
    Ok(Bytes::from(png))
}

/// A full-page screenshot is far taller than wide: its preview shows the top.
fn top_of_page(image: &DynamicImage) -> DynamicImage {
    let max_height = (f64::from(image.width()) * MAX_ASPECT).ceil() as u32;
    if image.height() > max_height {
        image.crop_imm(0, 0, image.width(), max_height)
    } else {
        image.clone()
    }
}

#[cfg(test)]
mod tests {
    use image::{Rgb, RgbImage};

    use super::*;

    #[test]
    fn a_tall_screenshot_becomes_a_small_preview_of_its_top() {
        let page = RgbImage::from_fn(1280, 6000, |x, y| {
            Rgb([(x % 256) as u8, (y % 256) as u8, 90])
        });
        let mut png = Vec::new();
        DynamicImage::ImageRgb8(page)
            .write_to(Cursor::new(&mut png), image::ImageFormat::Png)
            .expect("encode");

        let preview = draw(&png).expect("preview");
        let decoded = image::load_from_memory(&preview).expect("decode");

        assert_eq!(decoded.width(), WIDTH);
        assert_eq!(decoded.height(), 300);
    }

    #[test]
    fn bytes_that_are_no_image_are_refused_not_crashed_on() {
        assert!(matches!(draw(b"not a png"), Err(WebError::BadRequest(_))));
    }
}
