//! S3 servers for the tests: an in-process s3s server speaking signed HTTP on
//! 127.0.0.1:0, and moto (from `TEST_MOTO_ENDPOINT`) for versioning and multipart
//! listings. Every test gets a bucket of its own.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;

use artifact_console::config::S3Settings;
use artifact_console::storage::s3::S3Store;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder as ConnectionBuilder;
use minio::s3::types::S3Api;
use s3s::access::{S3Access, S3AccessContext};
use s3s::auth::SimpleAuth;
use s3s::dto::ListObjectsV2Input;
use s3s::service::S3ServiceBuilder;
use s3s::{S3Request, S3Result};
use secrecy::SecretString;
use tempfile::TempDir;
use url::Url;

/// The credentials the s3s server accepts (moto, as started by `.ci/run`, checks none).
pub const ACCESS_KEY: &str = "console-test-key";
pub const SECRET_KEY: &str = "console-test-secret-never-printed";

/// The variable naming a running moto server, e.g. `http://127.0.0.1:5055`.
pub const MOTO_ENDPOINT_VAR: &str = "TEST_MOTO_ENDPOINT";

/// An s3s server over a temporary folder; it stops when dropped.
pub struct S3sServer {
    pub endpoint: Url,
    task: tokio::task::JoinHandle<()>,
    _root: TempDir,
}

impl Drop for S3sServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The minio crate lists recursively with `delimiter=` (empty) and `encoding-type=url`;
/// s3s-fs takes the empty delimiter for a real one and never URL-encodes keys, so both
/// are cleared before s3s-fs sees the request.
struct ListingFix;

#[async_trait::async_trait]
impl S3Access for ListingFix {
    async fn check(&self, cx: &mut S3AccessContext<'_>) -> S3Result<()> {
        match cx.credentials() {
            Some(_) => Ok(()),
            None => Err(s3s::s3_error!(AccessDenied, "signed requests only")),
        }
    }

    async fn list_objects_v2(&self, req: &mut S3Request<ListObjectsV2Input>) -> S3Result<()> {
        if req.input.delimiter.as_deref() == Some("") {
            req.input.delimiter = None;
        }
        req.input.encoding_type = None;
        Ok(())
    }
}

impl S3sServer {
    /// Starts a server on a free port of 127.0.0.1.
    pub async fn start() -> Self {
        let root = tempfile::tempdir().expect("temporary folder for s3s");
        let fs = s3s_fs::FileSystem::new(root.path()).expect("s3s-fs over the folder");
        let mut builder = S3ServiceBuilder::new(fs);
        builder.set_auth(SimpleAuth::from_single(ACCESS_KEY, SECRET_KEY));
        builder.set_access(ListingFix);
        let service = builder.build();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let address = listener.local_addr().expect("local address");
        let task = tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let service = service.clone();
                tokio::spawn(async move {
                    let _ = ConnectionBuilder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(socket), service)
                        .await;
                });
            }
        });
        Self {
            endpoint: Url::parse(&format!("http://{address}")).expect("endpoint URL"),
            task,
            _root: root,
        }
    }
}

/// The moto endpoint, or `None` after printing why its tests are skipped. With `CI`
/// set, a missing moto is a failure: CI must not skip silently.
pub fn moto_endpoint() -> Option<Url> {
    match std::env::var(MOTO_ENDPOINT_VAR) {
        Ok(value) if !value.trim().is_empty() => {
            Some(Url::parse(value.trim()).expect("TEST_MOTO_ENDPOINT is a URL"))
        }
        _ if std::env::var_os("CI").is_some() => {
            panic!("{MOTO_ENDPOINT_VAR} is not set, but CI is: start moto_server and set it")
        }
        _ => {
            eprintln!(
                "skipped: {MOTO_ENDPOINT_VAR} is not set (start `moto_server -p 5055` and set it to run the versioning and multipart tests)"
            );
            None
        }
    }
}

/// A bucket name no other test (or earlier run against the same server) uses.
pub fn fresh_bucket_name() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!(
        "it-{}-{}-{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// Settings for `bucket` at `endpoint` with the test credentials.
pub fn settings(endpoint: &Url, bucket: &str) -> S3Settings {
    S3Settings {
        bucket: bucket.to_owned(),
        endpoint: Some(endpoint.clone()),
        access_key_id: ACCESS_KEY.to_owned(),
        secret_access_key: SecretString::from(SECRET_KEY),
        region: "us-east-1".to_owned(),
    }
}

/// Creates a fresh bucket at `endpoint` and connects a store to it.
pub async fn fresh_bucket(endpoint: &Url) -> S3Store {
    let store = S3Store::connect(&settings(endpoint, &fresh_bucket_name())).expect("connect");
    store
        .client()
        .create_bucket(store.bucket())
        .expect("bucket name")
        .build()
        .send()
        .await
        .expect("create the test bucket");
    store
}
