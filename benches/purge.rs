//! Purge throughput and peak memory, on local disk or any S3 server.
//!
//! ```text
//! cargo bench --bench purge -- local [OBJECTS]
//! BENCH_S3_ENDPOINT=http://127.0.0.1:3900 BENCH_S3_BUCKET=bench \
//! BENCH_S3_ACCESS_KEY_ID=GK... BENCH_S3_SECRET_ACCESS_KEY=... BENCH_S3_REGION=us-east-1 \
//!     cargo bench --bench purge -- s3 [OBJECTS]
//! ```
//!
//! The parent process fills a tenant with OBJECTS small artifacts (20,000 by default)
//! and a neighbour tenant with a few, then runs the purge in a child process of its own,
//! so that the child's peak resident memory (VmHWM) is the purge's and not the seeding's.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

use artifact_console::config::{S3Settings, StorageSettings};
use artifact_console::storage::{
    KeyPrefix, ObjectKey, ObjectStore, Scope, TenantId, bytes_stream, open,
};
use futures_util::{StreamExt, stream};
use secrecy::SecretString;

const DEFAULT_OBJECTS: usize = 20_000;
const OBJECT_SIZE: usize = 1024;
const NEIGHBOURS: usize = 10;
const SEED_CONCURRENCY: usize = 32;

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    match args.first().map(String::as_str) {
        Some("child-purge") => runtime.block_on(child_purge(&args[1..])),
        Some(backend @ ("local" | "s3")) => {
            let objects = args
                .get(1)
                .map_or(DEFAULT_OBJECTS, |n| n.parse().expect("OBJECTS is a number"));
            runtime.block_on(parent(backend, objects));
        }
        _ => {
            eprintln!("usage: cargo bench --bench purge -- local|s3 [OBJECTS]");
            std::process::exit(2);
        }
    }
}

fn s3_settings() -> StorageSettings {
    let var = |name: &str| std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set"));
    StorageSettings::S3(S3Settings {
        bucket: var("BENCH_S3_BUCKET"),
        endpoint: Some(
            var("BENCH_S3_ENDPOINT")
                .parse()
                .expect("BENCH_S3_ENDPOINT is a URL"),
        ),
        access_key_id: var("BENCH_S3_ACCESS_KEY_ID"),
        secret_access_key: SecretString::from(var("BENCH_S3_SECRET_ACCESS_KEY")),
        region: std::env::var("BENCH_S3_REGION").unwrap_or_else(|_| "us-east-1".to_owned()),
    })
}

fn settings(backend: &str, root: &str) -> StorageSettings {
    match backend {
        "local" => StorageSettings::Local { root: root.into() },
        _ => s3_settings(),
    }
}

fn key_of(tenant: &str, i: usize) -> String {
    format!(
        "tenants/{tenant}/projects/p{}/runs/r{}/screenshots/step {i:06}.png",
        i % 7,
        i / 500
    )
}

async fn parent(backend: &str, objects: usize) {
    let folder = tempfile::tempdir().expect("temporary folder");
    let root = folder.path().join("artifacts");
    let root = root.to_str().expect("UTF-8 path");
    let store = open(&settings(backend, root)).expect("open the store");
    println!("store: {}", store.describe());

    let started = Instant::now();
    match backend {
        "local" => seed_local(Path::new(root), objects),
        _ => seed_store(&store, objects).await,
    }
    println!(
        "seeded {objects} objects in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let output = Command::new(std::env::current_exe().expect("bench binary"))
        .args(["child-purge", backend, root])
        .output()
        .expect("run the purge child");
    print!("{}", String::from_utf8_lossy(&output.stdout));
    eprint!("{}", String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "the purge child failed");

    let neighbours = store
        .usage(&KeyPrefix::parse("tenants/neighbour/").expect("prefix"))
        .await
        .expect("usage");
    assert_eq!(
        neighbours.objects as usize, NEIGHBOURS,
        "the neighbour tenant is intact"
    );
    let _ = store
        .purge(&Scope::Tenant(TenantId::parse("neighbour").expect("id")).prefix())
        .await;
}

/// Writes the files straight to disk: the seeding is not what is measured.
fn seed_local(root: &Path, objects: usize) {
    let body = vec![b'x'; OBJECT_SIZE];
    let keys = (0..objects)
        .map(|i| key_of("bench", i))
        .chain((0..NEIGHBOURS).map(|i| key_of("neighbour", i)));
    for key in keys {
        let path = root.join(key);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("folders");
        std::fs::write(path, &body).expect("write");
    }
}

async fn seed_store(store: &Arc<dyn ObjectStore>, objects: usize) {
    let keys: Vec<String> = (0..objects)
        .map(|i| key_of("bench", i))
        .chain((0..NEIGHBOURS).map(|i| key_of("neighbour", i)))
        .collect();
    stream::iter(keys)
        .map(|key| async move {
            let key = ObjectKey::parse(&key).expect("key");
            store
                .put(&key, bytes_stream(vec![b'x'; OBJECT_SIZE]), "image/png")
                .await
                .expect("put");
        })
        .buffer_unordered(SEED_CONCURRENCY)
        .collect::<Vec<()>>()
        .await;
}

/// The resident-memory lines of /proc/self/status, in KiB.
fn memory_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

async fn child_purge(args: &[String]) {
    let (backend, root) = (args[0].as_str(), args[1].as_str());
    let store = open(&settings(backend, root)).expect("open the store");
    store.check().await.expect("the store answers");
    let before = memory_kib("VmRSS:");

    let started = Instant::now();
    let report = store
        .purge(&Scope::Tenant(TenantId::parse("bench").expect("id")).prefix())
        .await
        .expect("purge");
    let seconds = started.elapsed().as_secs_f64();

    assert!(report.is_complete(), "{:?}", report.failures.first());
    let removed = report.objects + report.versions + report.delete_markers;
    println!(
        "purged {removed} objects in {seconds:.2} s: {:.0} objects/s",
        removed as f64 / seconds
    );
    println!(
        "resident memory: {} KiB before the purge, peak {} KiB",
        before,
        memory_kib("VmHWM:")
    );
}
