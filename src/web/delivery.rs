//! `GET /artifacts/{key}`: the raw object, streamed from the store with its type,
//! length, entity tag and date; conditional and partial requests are answered before a
//! byte is read, so a 1 GiB video never passes through memory whole.

use std::time::SystemTime;

use actix_web::http::header::{
    self, CacheControl, CacheDirective, ContentDisposition, DispositionParam, DispositionType,
    EntityTag, HttpDate,
};
use actix_web::web::{self, Data, ServiceConfig};
use actix_web::{HttpRequest, HttpResponse};
use percent_encoding::percent_decode_str;

use super::AppState;
use super::error::WebError;
use super::range::{self, Requested};
use crate::storage::{ArtifactKey, ObjectMeta};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.route("/artifacts/{key:.*}", web::get().to(artifact));
}

/// Reads the artifact key from the raw request path after `mount` (e.g. `/artifacts/`).
///
/// The raw path is decoded here, once, instead of trusting the router: an encoded `/`
/// or `\` would let one segment pose as several, so it is refused outright, and the
/// decoded text must then parse as a key of the artifact layout.
pub fn key_from_path(req: &HttpRequest, mount: &str) -> Result<ArtifactKey, WebError> {
    let raw = req
        .uri()
        .path()
        .strip_prefix(mount)
        .ok_or_else(|| WebError::BadRequest("This address names no artifact.".to_owned()))?;
    let lowered = raw.to_ascii_lowercase();
    if ["%2f", "%5c", "%00"]
        .iter()
        .any(|bad| lowered.contains(bad))
    {
        return Err(WebError::BadRequest(
            "This address holds an encoded separator or NUL, which no artifact key has.".to_owned(),
        ));
    }
    let decoded = percent_decode_str(raw)
        .decode_utf8()
        .map_err(|_| WebError::BadRequest("This address is not valid UTF-8 text.".to_owned()))?;
    ArtifactKey::parse(&decoded).map_err(|e| WebError::malformed("artifact key", &e))
}

async fn artifact(req: HttpRequest, state: Data<AppState>) -> Result<HttpResponse, WebError> {
    let key = key_from_path(&req, "/artifacts/")?;
    let meta = state.artifacts.stat(&key).await?;

    if let Some(not_modified) = not_modified(&req, &meta) {
        return Ok(not_modified);
    }
    let range_header = req
        .headers()
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok());
    let requested = range::resolve(range_header, meta.size);
    if requested == Requested::Unsatisfiable {
        return Err(WebError::RangeNotSatisfiable { size: meta.size });
    }
    let object = state.artifacts.get(&key, requested.byte_range()).await?;

    let download = req.query_string().split('&').any(|p| p == "download=1");
    let mut response = match object.range {
        Some((start, end)) => {
            let mut r = HttpResponse::PartialContent();
            r.insert_header((
                header::CONTENT_RANGE,
                format!("bytes {start}-{end}/{}", object.meta.size),
            ));
            r.no_chunking(end - start + 1);
            r
        }
        None => {
            let mut r = HttpResponse::Ok();
            r.no_chunking(object.meta.size);
            r
        }
    };
    describe(&mut response, &key, &object.meta, download);
    Ok(response.streaming(object.body))
}

/// A 304 when the browser's copy is current.
fn not_modified(req: &HttpRequest, meta: &ObjectMeta) -> Option<HttpResponse> {
    let headers = req.headers();
    let fresh = match (
        headers
            .get(header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok()),
        &meta.etag,
    ) {
        (Some(condition), Some(etag)) => range::none_match(condition, etag),
        (Some(_), None) => false,
        (None, _) => {
            let since = headers
                .get(header::IF_MODIFIED_SINCE)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<HttpDate>().ok())
                .map(SystemTime::from);
            match (since, meta.last_modified) {
                (Some(since), Some(modified)) => {
                    SystemTime::from(modified) <= since + std::time::Duration::from_secs(1)
                }
                _ => false,
            }
        }
    };
    fresh.then(|| {
        let mut r = HttpResponse::NotModified();
        if let Some(tag) = entity_tag(meta) {
            r.insert_header(header::ETag(tag));
        }
        r.finish()
    })
}

/// Headers every answer with a body carries.
fn describe(
    response: &mut actix_web::HttpResponseBuilder,
    key: &ArtifactKey,
    meta: &ObjectMeta,
    download: bool,
) {
    response
        .content_type(key.kind().content_type())
        .insert_header((header::ACCEPT_RANGES, "bytes"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header(CacheControl(vec![
            CacheDirective::Private,
            CacheDirective::NoCache,
        ]))
        .insert_header(disposition(key, download));
    if let Some(tag) = entity_tag(meta) {
        response.insert_header(header::ETag(tag));
    }
    if let Some(modified) = meta.last_modified {
        response.insert_header(header::LastModified(SystemTime::from(modified).into()));
    }
}

/// The object's entity tag, when the backend gave one that is valid in a header.
pub fn entity_tag(meta: &ObjectMeta) -> Option<EntityTag> {
    meta.etag
        .as_deref()
        .filter(|t| !t.is_empty() && t.bytes().all(|b| b.is_ascii_graphic() && b != b'"'))
        .map(|t| EntityTag::new_strong(t.to_owned()))
}

/// `inline` for viewing, `attachment` for the download links; the file name is the
/// artifact's own, escaped by actix; a name that is not ASCII is given
/// exactly in UTF-8 (`filename*`) and with `_` for each other character in `filename`.
fn disposition(key: &ArtifactKey, download: bool) -> ContentDisposition {
    let file_name = key.file_name();
    let plain: String = file_name
        .chars()
        .map(|c| if c.is_ascii() { c } else { '_' })
        .collect();
    let mut parameters = vec![DispositionParam::Filename(plain)];
    if !file_name.is_ascii() {
        parameters.push(DispositionParam::FilenameExt(header::ExtendedValue {
            charset: header::Charset::Ext("UTF-8".to_owned()),
            language_tag: None,
            value: file_name.into_bytes(),
        }));
    }
    ContentDisposition {
        disposition: if download {
            DispositionType::Attachment
        } else {
            DispositionType::Inline
        },
        parameters,
    }
}
