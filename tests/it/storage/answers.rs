//! S3 answers that no test server gives on demand, served over real HTTP by a scripted
//! server: a batch delete that answers 200 but lists per-key errors, and a server that
//! lists keys and uploads outside the prefix it was asked for.

use std::sync::{Arc, Mutex};

use artifact_console::storage::s3::S3Store;
use artifact_console::storage::{KeyPrefix, ListRequest, ObjectStore, Scope, TenantId};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use url::Url;

use crate::support::s3::settings;

const REFUSED_KEY: &str = "tenants/acme/projects/1/runs/r1/screenshots/b & c.png";
const NEIGHBOUR_KEY: &str = "tenants/acme-corp/projects/1/runs/r1/screenshots/a.png";

const REFUSING_DELETE: &str = "<DeleteResult><Error>\
     <Key>tenants/acme/projects/1/runs/r1/screenshots/b &amp; c.png</Key>\
     <Code>AccessDenied</Code><Message>Access Denied</Message></Error></DeleteResult>";

/// What the scripted server lists, and what it answers a batch delete with.
struct Script {
    keys: Vec<&'static str>,
    uploads: Vec<&'static str>,
    delete_answer: &'static str,
}

/// The requests that change something, as the scripted server received them.
#[derive(Default)]
struct Seen {
    /// The body of every batch delete.
    deletes: Mutex<Vec<String>>,
    /// The request line of every upload abort.
    aborts: Mutex<Vec<String>>,
}

fn listing(keys: &[&str]) -> String {
    let entry = |key: &str| {
        format!(
            "<Contents><Key>{}</Key><LastModified>2026-12-03T10:00:00.000Z</LastModified>\
             <ETag>\"e\"</ETag><Size>5</Size><StorageClass>STANDARD</StorageClass></Contents>",
            key.replace('&', "&amp;")
        )
    };
    format!(
        "<ListBucketResult><Name>b</Name><Prefix>tenants/acme/</Prefix><KeyCount>{}</KeyCount>\
         <MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>{}</ListBucketResult>",
        keys.len(),
        keys.iter().map(|k| entry(k)).collect::<String>()
    )
}

fn upload_listing(keys: &[&str]) -> String {
    let uploads: String = keys
        .iter()
        .enumerate()
        .map(|(i, key)| format!("<Upload><Key>{key}</Key><UploadId>u{i}</UploadId></Upload>"))
        .collect();
    format!(
        "<ListMultipartUploadsResult><IsTruncated>false</IsTruncated>{uploads}\
         </ListMultipartUploadsResult>"
    )
}

/// The answer to one request, chosen by its request line. A batch delete empties the
/// listing and an abort the list of uploads, as a real server would.
fn answer(request_line: &str, script: &Script, seen: &Seen) -> String {
    let body = if request_line.starts_with("DELETE") {
        String::new()
    } else if request_line.contains("?versioning") {
        "<VersioningConfiguration/>".to_owned()
    } else if request_line.contains("?delete") {
        script.delete_answer.to_owned()
    } else if request_line.contains("uploads") {
        let aborted = !seen.aborts.lock().expect("lock").is_empty();
        upload_listing(if aborted { &[] } else { &script.uploads })
    } else {
        let deleted = !seen.deletes.lock().expect("lock").is_empty();
        listing(if deleted { &[] } else { &script.keys })
    };
    let status = if request_line.starts_with("DELETE") {
        "204 No Content"
    } else {
        "200 OK"
    };
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

/// Reads one request (headers and body) and answers it.
async fn serve_one(mut socket: TcpStream, script: Arc<Script>, recorded: Arc<Seen>) {
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
        let body = String::from_utf8_lossy(&seen[head_end..]).to_string();
        recorded.deletes.lock().expect("lock").push(body);
    } else if request_line.starts_with("DELETE") && request_line.contains("uploadId") {
        recorded
            .aborts
            .lock()
            .expect("lock")
            .push(request_line.clone());
    }
    let answer = answer(&request_line, &script, &recorded);
    let _ = socket.write_all(answer.as_bytes()).await;
}

/// A store talking to a scripted server on 127.0.0.1:0, and what that server saw.
async fn scripted_store(script: Script) -> (S3Store, Arc<Seen>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let endpoint = Url::parse(&format!(
        "http://{}",
        listener.local_addr().expect("address")
    ))
    .expect("URL");
    let script = Arc::new(script);
    let seen = Arc::new(Seen::default());
    let recorder = Arc::clone(&seen);
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            tokio::spawn(serve_one(
                socket,
                Arc::clone(&script),
                Arc::clone(&recorder),
            ));
        }
    });
    let store = S3Store::connect(&settings(&endpoint, "bucket")).expect("connect");
    (store, seen)
}

fn acme() -> Scope {
    Scope::Tenant(TenantId::parse("acme").expect("id"))
}

#[tokio::test]
async fn per_key_errors_in_a_successful_batch_delete_are_reported_as_failures() {
    let (store, seen) = scripted_store(Script {
        keys: vec![
            "tenants/acme/projects/1/runs/r1/screenshots/a.png",
            REFUSED_KEY,
        ],
        uploads: Vec::new(),
        delete_answer: REFUSING_DELETE,
    })
    .await;

    let report = store
        .purge(&acme().prefix())
        .await
        .expect("the purge runs to its end");

    assert!(!report.is_complete());
    assert_eq!(report.objects, 1);
    assert_eq!(report.failures.len(), 1);
    assert_eq!(report.failures[0].key, REFUSED_KEY);
    assert!(report.failures[0].message.contains("AccessDenied"));
    assert_eq!(
        seen.deletes.lock().expect("lock").len(),
        1,
        "a purge with failures stops after its pass"
    );
}

#[tokio::test]
async fn a_purge_never_deletes_what_a_server_lists_outside_the_scope() {
    let (store, seen) = scripted_store(Script {
        keys: vec![
            "tenants/acme/projects/1/runs/r1/screenshots/a.png",
            NEIGHBOUR_KEY,
        ],
        uploads: vec!["tenants/acme-corp/projects/1/runs/r1/videos/v.webm"],
        delete_answer: "<DeleteResult/>",
    })
    .await;

    let report = store
        .purge(&acme().prefix())
        .await
        .expect("the purge runs to its end");

    let deletes = seen.deletes.lock().expect("lock").clone();
    assert!(!deletes.is_empty());
    assert!(
        deletes.iter().all(|body| !body.contains("acme-corp")),
        "a neighbour's key was sent for deletion"
    );
    assert!(seen.aborts.lock().expect("lock").is_empty());
    assert_eq!(report.objects, 1);
    assert_eq!(report.uploads_aborted, 0);
}

#[tokio::test]
async fn a_listing_never_shows_what_a_server_lists_outside_the_prefix() {
    let (store, _seen) = scripted_store(Script {
        keys: vec![
            "tenants/acme/projects/1/runs/r1/screenshots/a.png",
            NEIGHBOUR_KEY,
        ],
        uploads: Vec::new(),
        delete_answer: "<DeleteResult/>",
    })
    .await;
    let request = ListRequest {
        prefix: KeyPrefix::parse("tenants/acme/").expect("prefix"),
        delimited: false,
        start_after: None,
        max_entries: 10,
    };

    let page = store.list(&request).await.expect("a page");

    let names: Vec<&str> = page.entries.iter().map(|e| e.name()).collect();
    assert_eq!(names, ["tenants/acme/projects/1/runs/r1/screenshots/a.png"]);
}
