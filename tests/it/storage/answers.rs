//! S3 answers that no test server gives on demand, served over real HTTP by a scripted
//! server: a batch delete that answers 200 but lists per-key errors.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use artifact_console::storage::s3::S3Store;
use artifact_console::storage::{ObjectStore, Scope, TenantId};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use url::Url;

use crate::support::s3::settings;

const REFUSED_KEY: &str = "tenants/acme/projects/1/runs/r1/screenshots/b & c.png";

fn listing() -> String {
    let entry = |key: &str| {
        format!(
            "<Contents><Key>{}</Key><LastModified>2026-12-03T10:00:00.000Z</LastModified>\
             <ETag>\"e\"</ETag><Size>5</Size><StorageClass>STANDARD</StorageClass></Contents>",
            key.replace('&', "&amp;")
        )
    };
    format!(
        "<ListBucketResult><Name>b</Name><Prefix>tenants/acme/</Prefix><KeyCount>2</KeyCount>\
         <MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>{}{}</ListBucketResult>",
        entry("tenants/acme/projects/1/runs/r1/screenshots/a.png"),
        entry(REFUSED_KEY)
    )
}

/// The answer to one request, chosen by its request line.
fn answer(request_line: &str) -> String {
    let body = if request_line.contains("?versioning") {
        "<VersioningConfiguration/>".to_owned()
    } else if request_line.contains("?delete") {
        "<DeleteResult><Error><Key>tenants/acme/projects/1/runs/r1/screenshots/b &amp; c.png</Key>\
         <Code>AccessDenied</Code><Message>Access Denied</Message></Error></DeleteResult>"
            .to_owned()
    } else if request_line.contains("uploads") {
        "<ListMultipartUploadsResult><IsTruncated>false</IsTruncated></ListMultipartUploadsResult>"
            .to_owned()
    } else {
        listing()
    };
    format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

/// Reads one request (headers and body) and answers it.
async fn serve_one(mut socket: TcpStream, deletes: Arc<AtomicUsize>) {
    let mut seen = Vec::new();
    let mut buf = [0_u8; 8192];
    let head_end = loop {
        if let Some(i) = seen.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        match socket.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => seen.extend_from_slice(&buf[..n]),
        }
    };
    let head = String::from_utf8_lossy(&seen[..head_end]).to_string();
    let length: usize = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|v| v.trim().to_owned())
        })
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    while seen.len() < head_end + length {
        match socket.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => seen.extend_from_slice(&buf[..n]),
        }
    }
    let request_line = head.lines().next().unwrap_or_default().to_owned();
    if request_line.contains("?delete") {
        deletes.fetch_add(1, Ordering::SeqCst);
    }
    let _ = socket.write_all(answer(&request_line).as_bytes()).await;
}

#[tokio::test]
async fn per_key_errors_in_a_successful_batch_delete_are_reported_as_failures() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let endpoint = Url::parse(&format!(
        "http://{}",
        listener.local_addr().expect("address")
    ))
    .expect("URL");
    let deletes = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&deletes);
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            tokio::spawn(serve_one(socket, Arc::clone(&counter)));
        }
    });
    let store = S3Store::connect(&settings(&endpoint, "bucket")).expect("connect");

    let report = store
        .purge(&Scope::Tenant(TenantId::parse("acme").expect("id")).prefix())
        .await
        .expect("the purge runs to its end");

    assert!(!report.is_complete());
    assert_eq!(report.objects, 1);
    assert_eq!(report.failures.len(), 1);
    assert_eq!(report.failures[0].key, REFUSED_KEY);
    assert!(report.failures[0].message.contains("AccessDenied"));
    assert_eq!(
        deletes.load(Ordering::SeqCst),
        1,
        "a purge with failures stops after its pass"
    );
}
