use artifact_console::config::S3Settings;
use secrecy::SecretString;

use super::text_of;
use crate::support::app::{self, Backend};

#[tokio::test]
async fn liveness_and_readiness_answer_when_database_and_store_are_up() {
    let app = app::spawn(Backend::Local).await;

    let live = text_of(app.get("/healthz").await, 200).await;
    let ready = text_of(app.get("/readyz").await, 200).await;

    assert_eq!(live, "ok\n");
    assert!(
        ready.contains("database: ok") && ready.contains("store: ok"),
        "{ready}"
    );
}

/// An S3 endpoint nothing listens on: the console starts, but is not ready.
fn unreachable_bucket() -> Backend {
    Backend::S3 {
        settings: S3Settings {
            bucket: "crawls".to_owned(),
            endpoint: Some("http://127.0.0.1:9".parse().expect("url")),
            access_key_id: "console".to_owned(),
            secret_access_key: SecretString::from("not-a-real-secret"),
            region: "us-east-1".to_owned(),
        },
        guard: Box::new(()),
    }
}

#[tokio::test]
async fn a_store_that_is_down_makes_readiness_and_pages_answer_503() {
    let app = app::spawn(unreachable_bucket()).await;

    let ready = text_of(app.get("/readyz").await, 503).await;
    let page = text_of(app.get("/tenants").await, 503).await;

    assert!(ready.contains("store: unavailable"), "{ready}");
    assert!(ready.contains("database: ok"), "{ready}");
    assert!(!ready.contains("not-a-real-secret"));
    assert!(page.contains("Request id"), "{page}");
    assert!(
        !page.contains("127.0.0.1:9"),
        "the page leaks the endpoint: {page}"
    );
}
