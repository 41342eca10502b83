//! The S3 backend over the `minio` crate: AWS S3, Cloudflare R2, MinIO, Garage or any
//! S3-compatible server.
//!
//! One client is built at start-up and shared by every request (it holds the connection
//! pool). Custom endpoints are addressed path-style (`https://host/bucket/key`), which
//! every S3-compatible server understands; requests are signed for `S3_REGION`, which
//! is `auto` for R2. Without an endpoint the client talks to AWS: in the configured
//! region, or, with `auto`, in whatever region the bucket turns out to live.

mod listing;
mod purge;
mod retry;
mod uploads;
mod walk;
mod xml;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures_util::TryStreamExt;
use http::HeaderMap;
use minio::s3::builders::ObjectContent;
use minio::s3::creds::StaticProvider;
use minio::s3::http::BaseUrl;
use minio::s3::response_traits::{HasEtagFromHeaders, HasS3Fields};
use minio::s3::types::{BucketName, Region, S3Api};
use minio::s3::{MinioClient, MinioClientBuilder};
use secrecy::ExposeSecret;

use self::retry::{retry, storage_error};
use super::{
    ByteRange, ByteStream, GetObject, KeyPrefix, ListPage, ListRequest, ObjectKey, ObjectMeta,
    ObjectStore, PurgeReport, ScopePrefix, StorageError, Usage,
};
use crate::config::S3Settings;

/// Parts of a streamed upload are buffered up to this size; an upload of unknown length
/// that is larger goes up in parts of this size (so a 1 GiB video takes 64 parts).
const PART_SIZE: u64 = 16 * 1024 * 1024;

/// A bucket on an S3-compatible server.
#[derive(Clone)]
pub struct S3Store {
    client: MinioClient,
    bucket: BucketName,
    description: String,
}

impl std::fmt::Debug for S3Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.description)
    }
}

impl S3Store {
    /// Builds the one client for the bucket the settings name. Nothing is sent yet;
    /// [`ObjectStore::check`] tells whether the bucket answers.
    pub fn connect(settings: &S3Settings) -> Result<Self, StorageError> {
        let refused =
            |what: &str, e: &dyn std::fmt::Display| StorageError::Refused(format!("{what}: {e}"));
        let bucket = BucketName::new(settings.bucket.as_str())
            .map_err(|e| refused("S3_BUCKET is not a bucket name", &e))?;
        let (base_url, where_) = base_url(settings).map_err(|e| refused("S3_ENDPOINT_URL", &e))?;
        let provider = StaticProvider::new(
            &settings.access_key_id,
            settings.secret_access_key.expose_secret(),
            None,
        );
        let client = MinioClientBuilder::new(base_url)
            .provider(Some(provider))
            .app_info(Some((
                env!("CARGO_PKG_NAME").to_owned(),
                env!("CARGO_PKG_VERSION").to_owned(),
            )))
            .build()
            .map_err(|e| refused("cannot build the S3 client", &e))?;
        Ok(Self {
            client,
            description: format!("S3 bucket {} at {where_}", settings.bucket),
            bucket,
        })
    }

    /// The shared client, for the few calls that go beyond [`ObjectStore`].
    pub fn client(&self) -> &MinioClient {
        &self.client
    }

    /// The bucket every request goes to.
    pub fn bucket(&self) -> &str {
        self.bucket.as_str()
    }
}

/// The endpoint to talk to and the region to sign for, plus how to describe it.
fn base_url(settings: &S3Settings) -> Result<(BaseUrl, String), minio::s3::error::ValidationErr> {
    let auto = settings.region == "auto";
    match &settings.endpoint {
        Some(endpoint) => {
            let mut base: BaseUrl = endpoint.as_str().parse()?;
            base.region = Region::new(settings.region.as_str())?;
            Ok((base, endpoint.as_str().trim_end_matches('/').to_owned()))
        }
        None if auto => Ok((
            "https://s3.amazonaws.com".parse()?,
            "AWS (region of the bucket)".to_owned(),
        )),
        None => {
            let base = format!("https://s3.{}.amazonaws.com", settings.region).parse()?;
            Ok((base, format!("AWS {}", settings.region)))
        }
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Object facts from the headers of a GET or HEAD answer.
fn meta_from_headers(key: &str, headers: &HeaderMap, size: u64) -> ObjectMeta {
    ObjectMeta {
        key: key.to_owned(),
        size,
        etag: header(headers, "etag")
            .map(|t| t.trim_matches('"').to_owned())
            .filter(|t| !t.is_empty()),
        last_modified: header(headers, "last-modified")
            .and_then(|v| DateTime::parse_from_rfc2822(v).ok())
            .map(|t| t.with_timezone(&Utc)),
        content_type: header(headers, "content-type").map(str::to_owned),
    }
}

impl S3Store {
    /// Reads the whole object in one request, or a range of it after a stat: the stat
    /// resolves suffix and open-ended ranges against the size, and its ETag pins the
    /// read to the version the range was computed for.
    async fn fetch(
        &self,
        key: &ObjectKey,
        range: Option<ByteRange>,
    ) -> Result<GetObject, StorageError> {
        let (stat, served) = match range {
            None => (None, None),
            Some(range) => {
                let meta = self.stat(key).await?;
                let served = range.resolve(meta.size)?;
                (Some(meta), Some(served))
            }
        };
        let etag = stat
            .as_ref()
            .and_then(|meta| meta.etag.as_ref())
            .map(|etag| format!("\"{etag}\""));
        let response = retry("get object", || async {
            self.client
                .get_object(&self.bucket, key.as_str())?
                .offset(served.map(|(start, _)| start))
                .length(served.map(|(start, end)| end - start + 1))
                .match_etag(etag.clone())
                .build()
                .send()
                .await
        })
        .await
        .map_err(|e| storage_error(e, Some(key.as_str())))?;
        let meta = match stat {
            Some(meta) => meta,
            None => {
                let size = response
                    .object_size()
                    .map_err(|e| StorageError::Unavailable(e.to_string()))?;
                meta_from_headers(key.as_str(), response.headers(), size)
            }
        };
        let (body, _) = response
            .into_boxed_stream()
            .map_err(|e| storage_error(e, Some(key.as_str())))?;
        Ok(GetObject {
            meta,
            range: served,
            body: Box::pin(body.map_err(StorageError::Io)),
        })
    }
}

#[async_trait]
impl ObjectStore for S3Store {
    fn describe(&self) -> String {
        self.description.clone()
    }

    async fn put(
        &self,
        key: &ObjectKey,
        body: ByteStream,
        content_type: &str,
    ) -> Result<ObjectMeta, StorageError> {
        // A streamed body can be sent once only, so a put is not retried; a body that
        // fails half-way fails the upload, and the SDK aborts a multipart upload it began.
        let content =
            ObjectContent::new_from_stream(body.map_err(std::io::Error::other), None::<u64>);
        let response = self
            .client
            .put_object_content(&self.bucket, key.as_str(), content)
            .map_err(|e| storage_error(e.into(), Some(key.as_str())))?
            .content_type(Some(content_type.to_owned()))
            .part_size(PART_SIZE)
            .build()
            .send()
            .await
            .map_err(|e| storage_error(e, Some(key.as_str())))?;
        let etag = response
            .etag()
            .ok()
            .map(|t| t.as_str().trim_matches('"').to_owned());
        match etag.filter(|t| !t.is_empty()) {
            Some(etag) => Ok(ObjectMeta {
                key: key.to_string(),
                size: response.object_size(),
                etag: Some(etag),
                last_modified: None,
                content_type: Some(content_type.to_owned()),
            }),
            // Servers answer a completed multipart upload without an ETag header here.
            None => self.stat(key).await,
        }
    }

    async fn get(
        &self,
        key: &ObjectKey,
        range: Option<ByteRange>,
    ) -> Result<GetObject, StorageError> {
        self.fetch(key, range).await
    }

    async fn stat(&self, key: &ObjectKey) -> Result<ObjectMeta, StorageError> {
        let response = retry("stat object", || async {
            self.client
                .stat_object(&self.bucket, key.as_str())?
                .build()
                .send()
                .await
        })
        .await
        .map_err(|e| storage_error(e, Some(key.as_str())))?;
        let size = response
            .size()
            .map_err(|e| StorageError::Unavailable(e.to_string()))?;
        Ok(meta_from_headers(key.as_str(), response.headers(), size))
    }

    async fn delete(&self, key: &ObjectKey) -> Result<(), StorageError> {
        retry("delete object", || async {
            self.client
                .delete_object(&self.bucket, key.as_str())?
                .build()
                .send()
                .await
        })
        .await
        .map(|_| ())
        .or_else(|e| match storage_error(e, Some(key.as_str())) {
            StorageError::NotFound(_) => Ok(()),
            other => Err(other),
        })
    }

    async fn list(&self, request: &ListRequest) -> Result<ListPage, StorageError> {
        listing::list(self, request).await
    }

    async fn usage(&self, prefix: &KeyPrefix) -> Result<Usage, StorageError> {
        walk::usage(self, prefix.as_str()).await
    }

    async fn purge(&self, prefix: &ScopePrefix) -> Result<PurgeReport, StorageError> {
        purge::purge(self, prefix.as_str()).await
    }

    async fn check(&self) -> Result<(), StorageError> {
        let response = retry("check bucket", || async {
            self.client
                .bucket_exists(&self.bucket)?
                .build()
                .send()
                .await
        })
        .await
        .map_err(|e| storage_error(e, None))?;
        if response.exists() {
            Ok(())
        } else {
            Err(StorageError::Refused(format!(
                "the bucket {} does not exist",
                self.bucket.as_str()
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use http::Method;
    use minio::s3::multimap_ext::Multimap;
    use minio::s3::types::ObjectKey as MinioKey;

    use super::*;

    fn settings(endpoint: Option<&str>, region: &str) -> S3Settings {
        S3Settings {
            bucket: "crawls".to_owned(),
            endpoint: endpoint.map(|e| e.parse().expect("URL")),
            access_key_id: "key".to_owned(),
            secret_access_key: "secret".to_owned().into(),
            region: region.to_owned(),
        }
    }

    fn url_of(base: &BaseUrl) -> String {
        let bucket = BucketName::new("crawls").expect("bucket");
        let key = MinioKey::new("tenants/a/x.png").expect("key");
        let region = Region::new("us-east-1").expect("region");
        base.build_url(
            &Method::GET,
            &region,
            &Multimap::new(),
            Some(&bucket),
            Some(&key),
        )
        .expect("url")
        .to_string()
    }

    #[test]
    fn custom_endpoints_are_addressed_path_style_and_signed_for_their_region() {
        let (r2, _) = base_url(&settings(
            Some("https://acc.r2.cloudflarestorage.com"),
            "auto",
        ))
        .expect("R2");
        let (minio, _) =
            base_url(&settings(Some("http://127.0.0.1:9000"), "us-east-1")).expect("MinIO");

        assert_eq!(r2.region.as_str(), "auto");
        assert_eq!(
            url_of(&r2),
            "https://acc.r2.cloudflarestorage.com/crawls/tenants/a/x.png"
        );
        assert_eq!(minio.region.as_str(), "us-east-1");
        assert!(url_of(&minio).starts_with("http://127.0.0.1:9000/crawls/"));
    }

    #[test]
    fn aws_is_reached_in_the_configured_region_or_the_buckets_own() {
        let (pinned, shown) = base_url(&settings(None, "eu-west-1")).expect("AWS");
        let (auto, _) = base_url(&settings(None, "auto")).expect("AWS");

        assert_eq!(pinned.region.as_str(), "eu-west-1");
        assert_eq!(shown, "AWS eu-west-1");
        // An empty region makes the client ask the bucket where it lives.
        assert!(auto.region.as_str().is_empty());
    }

    #[test]
    fn the_description_names_no_credential() {
        let store =
            S3Store::connect(&settings(Some("http://127.0.0.1:9000"), "auto")).expect("connect");

        let shown = format!("{} {store:?}", store.describe());

        assert_eq!(
            store.describe(),
            "S3 bucket crawls at http://127.0.0.1:9000"
        );
        assert!(!shown.contains("secret"));
    }
}
