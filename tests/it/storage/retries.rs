//! Retries against a real HTTP server that keeps failing: transient answers are tried
//! again with back-off, refusals are not.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use artifact_console::storage::s3::S3Store;
use artifact_console::storage::{ObjectStore, StorageError};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use url::Url;

use super::backends::key;
use crate::support::s3::{fresh_bucket_name, settings};

/// Serves every request with the same status line and counts the requests.
async fn always_answering(status: &'static str) -> (Url, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    let requests = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&requests);
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let counter = Arc::clone(&counter);
            tokio::spawn(async move {
                let mut seen = Vec::new();
                let mut buf = [0_u8; 4096];
                while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => seen.extend_from_slice(&buf[..n]),
                    }
                }
                counter.fetch_add(1, Ordering::SeqCst);
                let answer =
                    format!("HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                let _ = socket.write_all(answer.as_bytes()).await;
            });
        }
    });
    let endpoint = Url::parse(&format!("http://{address}")).expect("URL");
    (endpoint, requests)
}

#[tokio::test]
async fn a_server_that_keeps_answering_503_is_retried_then_reported_unavailable() {
    let (endpoint, requests) = always_answering("503 Service Unavailable").await;
    let store = S3Store::connect(&settings(&endpoint, &fresh_bucket_name())).expect("connect");

    let stat = store.stat(&key("tenants/a/x.png")).await;

    assert!(
        matches!(stat, Err(StorageError::Unavailable(_))),
        "{stat:?}"
    );
    assert_eq!(requests.load(Ordering::SeqCst), 5);
}

#[tokio::test]
async fn a_refusal_is_not_retried() {
    let (endpoint, requests) = always_answering("403 Forbidden").await;
    let store = S3Store::connect(&settings(&endpoint, &fresh_bucket_name())).expect("connect");

    let stat = store.stat(&key("tenants/a/x.png")).await;

    assert!(matches!(stat, Err(StorageError::Refused(_))), "{stat:?}");
    assert_eq!(requests.load(Ordering::SeqCst), 1);
}
