//! The real console on 127.0.0.1:0, over a fresh SQLite database and a fresh store, with
//! an HTTP client that keeps cookies and never follows redirects.

#![allow(
    dead_code,
    reason = "shared by every engineer's tests; not every build of them uses every helper"
)]

use std::any::Any;
use std::collections::HashMap;
use std::sync::Arc;

use artifact_console::artifacts::ArtifactStore;
use artifact_console::audit::AuditLog;
use artifact_console::auth::{AccountName, Auth, Caller, Role};
use artifact_console::config::{S3Settings, Settings};
use artifact_console::db::Dialect;
use artifact_console::storage::{self, ArtifactKey, ObjectKey, ObjectStore, bytes_stream};
use artifact_console::web::Application;
use chrono::Utc;
use secrecy::{ExposeSecret, SecretString};

use super::db::{self, TestDb};

/// Where the app under test keeps its artifacts.
pub enum Backend {
    /// A fresh temporary folder.
    Local,
    /// A bucket over HTTP; `guard` keeps its server alive for the test.
    S3 {
        settings: S3Settings,
        guard: Box<dyn Any + Send>,
    },
}

/// A running console and everything needed to talk to it.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`
    pub address: String,
    /// Keeps cookies, follows no redirects.
    pub client: reqwest::Client,
    /// The same store the app reads, for seeding.
    pub artifacts: ArtifactStore,
    pub settings: Settings,
    pub db: TestDb,
    /// `console_session=...` of `client`, for requests sent without it (raw sockets).
    pub session_cookie: String,
    _dir: tempfile::TempDir,
    _backend_guard: Option<Box<dyn Any + Send>>,
}

impl TestApp {
    /// `GET address + path`.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.address))
            .send()
            .await
            .expect("the console answers")
    }

    /// `GET` with extra headers.
    pub async fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
        let mut request = self.client.get(format!("{}{path}", self.address));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.send().await.expect("the console answers")
    }

    /// Stores `body` under an artifact key such as
    /// `tenants/acme/projects/p/runs/r/screenshots/home.png`.
    pub async fn put(&self, key: &str, body: impl Into<bytes::Bytes>) {
        let key = ArtifactKey::parse(key).expect("a layout key");
        self.artifacts
            .save(&key, bytes_stream(body.into()))
            .await
            .expect("the store takes the artifact");
    }

    /// Stores `body` under any valid object key, in the layout or not.
    pub async fn put_raw(&self, key: &str, body: impl Into<bytes::Bytes>) {
        let key = ObjectKey::parse(key).expect("a valid object key");
        self.artifacts
            .backend()
            .put(&key, bytes_stream(body.into()), "application/octet-stream")
            .await
            .expect("the store takes the object");
    }
}

/// The admin account `TestApp::client` is signed in as, so every page is open to it.
pub const TESTER: &str = "console-tester";
/// Its password.
pub const TESTER_PASSWORD: &str = "console tester password";

/// Creates [`TESTER`] and signs `client` in through the sign-in form; returns the
/// session cookie as `name=value`.
async fn sign_in_tester(address: &str, client: &reqwest::Client, test_db: &TestDb) -> String {
    let db = test_db.db.clone();
    let name = AccountName::parse(TESTER).expect("a valid name");
    Auth::new(db.clone(), AuditLog::new(db))
        .create(
            &Caller::operator(),
            &name,
            Role::Admin,
            SecretString::from(TESTER_PASSWORD),
            Utc::now(),
        )
        .await
        .expect("the test account is created");
    let form = client
        .get(format!("{address}/login"))
        .send()
        .await
        .expect("the sign-in form")
        .text()
        .await
        .expect("its HTML");
    let marker = "name=\"csrf_token\" value=\"";
    let start = form.find(marker).expect("a CSRF token in the form") + marker.len();
    let token = &form[start..start + 64];
    let answer = client
        .post(format!("{address}/login"))
        .form(&[
            ("username", TESTER),
            ("password", TESTER_PASSWORD),
            ("csrf_token", token),
        ])
        .send()
        .await
        .expect("the console answers the sign-in");
    assert_eq!(answer.status(), 303, "the test account signs in");
    answer
        .cookies()
        .find(|c| c.name() == "console_session")
        .map(|c| format!("{}={}", c.name(), c.value()))
        .expect("a session cookie")
}

/// Starts the console over `backend` with default settings.
pub async fn spawn(backend: Backend) -> TestApp {
    spawn_with(backend, &[]).await
}

/// Starts the console over `backend`, with extra environment settings.
pub async fn spawn_with(backend: Backend, extra: &[(&str, &str)]) -> TestApp {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let test_db = db::fresh(Dialect::Sqlite).await;
    let mut env: HashMap<String, String> = HashMap::from([
        ("BIND".into(), "127.0.0.1:0".into()),
        (
            "DATA_DIR".into(),
            dir.path().join("data").display().to_string(),
        ),
        ("DATABASE_URL".into(), test_db.url.clone()),
    ]);
    let guard = match backend {
        Backend::Local => {
            let root = dir.path().join("artifacts");
            std::fs::create_dir_all(&root).expect("an artifacts folder");
            env.insert("ARTIFACTS_DIR".into(), root.display().to_string());
            None
        }
        Backend::S3 { settings, guard } => {
            env.insert("USE_S3".into(), "true".into());
            env.insert("S3_BUCKET".into(), settings.bucket.clone());
            if let Some(endpoint) = &settings.endpoint {
                env.insert("S3_ENDPOINT_URL".into(), endpoint.to_string());
            }
            env.insert("S3_ACCESS_KEY_ID".into(), settings.access_key_id.clone());
            env.insert(
                "S3_SECRET_ACCESS_KEY".into(),
                settings.secret_access_key.expose_secret().to_owned(),
            );
            env.insert("S3_REGION".into(), settings.region.clone());
            Some(guard)
        }
    };
    for (name, value) in extra {
        env.insert((*name).to_owned(), (*value).to_owned());
    }
    let settings = Settings::from_lookup(|k| env.get(k).cloned()).expect("valid test settings");
    let store: Arc<dyn ObjectStore> = storage::open(&settings.storage).expect("the store opens");
    let artifacts = ArtifactStore::new(store);

    let app = Application::build(settings.clone())
        .await
        .expect("the console starts");
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .expect("an HTTP client");
    let session_cookie = sign_in_tester(&address, &client, &test_db).await;
    TestApp {
        address,
        client,
        artifacts,
        settings,
        db: test_db,
        session_cookie,
        _dir: dir,
        _backend_guard: guard,
    }
}
