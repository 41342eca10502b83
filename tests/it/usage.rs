//! The usage scan against a real store and real databases: exact counts per run and
//! per tenant, rescans, scan leases, the pages that show the catalog, and the
//! `usage scan` command of the real binary.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use artifact_console::artifacts::ArtifactStore;
use artifact_console::config::StorageSettings;
use artifact_console::db::usage as catalog;
use artifact_console::db::{Db, to_micros};
use artifact_console::storage::local::LocalStore;
use artifact_console::storage::{
    ObjectKey, ObjectStore, ProjectId, RunId, Scope, TenantId, bytes_stream,
};
use artifact_console::usage::{self, ScanOutcome};

use crate::support::app::{self, Backend, TestApp};
use crate::support::db::{self, on_both};
use crate::support::s3;
use crate::web::text_of;

/// Two runs and a stray key in `acme/p1`, one run in `acme/p2`, and a neighbour tenant
/// `acme-corp` whose id starts like `acme`'s: (key, size).
const SEED: [(&str, usize); 7] = [
    ("tenants/acme/projects/p1/runs/r1/screenshots/home.png", 10),
    ("tenants/acme/projects/p1/runs/r1/screenshots/cart.png", 20),
    ("tenants/acme/projects/p1/runs/r1/videos/crawl.webm", 5),
    ("tenants/acme/projects/p1/runs/r2/tests/test_home.py", 7),
    ("tenants/acme/projects/p2/runs/r3/diffs/home.png", 3),
    ("tenants/acme/notes.txt", 4),
    (
        "tenants/acme-corp/projects/p/runs/r9/screenshots/x.png",
        100,
    ),
];

async fn seed(artifacts: &ArtifactStore) {
    for (key, size) in SEED {
        let key = ObjectKey::parse(key).expect("a valid key");
        artifacts
            .backend()
            .put(
                &key,
                bytes_stream(vec![b'x'; size]),
                "application/octet-stream",
            )
            .await
            .expect("the store takes the object");
    }
}

fn local_store(root: &Path) -> ArtifactStore {
    let store: Arc<dyn ObjectStore> =
        Arc::new(LocalStore::new(root.to_path_buf()).expect("a local store"));
    ArtifactStore::new(store)
}

fn tenant(id: &str) -> TenantId {
    TenantId::parse(id).expect("a tenant id")
}

async fn scanned(db: &Db, artifacts: &ArtifactStore, id: &str) -> catalog::Snapshot {
    match usage::scan_tenant(db, artifacts, &tenant(id), "test-replica", Duration::ZERO)
        .await
        .expect("the scan runs")
    {
        ScanOutcome::Scanned(snapshot) => snapshot,
        ScanOutcome::Busy => panic!("the scan of {id} found its lease taken"),
    }
}

async fn catalogued(db: &Db, tenant: &str, project: &str) -> Vec<(String, i64, i64, [i64; 4])> {
    let mut runs: Vec<_> = catalog::runs_page(db, tenant, project, None, 100)
        .await
        .expect("the catalog reads")
        .into_iter()
        .map(|r| (r.run, r.objects, r.bytes, r.kinds))
        .collect();
    runs.sort();
    runs
}

/// Checks what a scan of the [`SEED`] must have found.
async fn assert_seed_counted(db: &Db, artifacts: &ArtifactStore) {
    let acme = scanned(db, artifacts, "acme").await;
    assert_eq!((acme.projects, acme.runs), (2, 3));
    assert_eq!(
        (acme.objects, acme.bytes),
        (6, 49),
        "acme-corp is never counted in acme"
    );
    assert_eq!((acme.other_objects, acme.other_bytes), (1, 4));
    assert_eq!(
        catalogued(db, "acme", "p1").await,
        vec![
            ("r1".to_owned(), 3, 35, [2, 1, 0, 0]),
            ("r2".to_owned(), 1, 7, [0, 0, 0, 1]),
        ]
    );
    assert_eq!(
        catalogued(db, "acme", "p2").await,
        vec![("r3".to_owned(), 1, 3, [0, 0, 1, 0])]
    );
    assert!(catalogued(db, "acme-corp", "p").await.is_empty());

    let corp = scanned(db, artifacts, "acme-corp").await;
    assert_eq!((corp.runs, corp.objects, corp.bytes), (1, 1, 100));
    let totals = catalog::totals(db).await.unwrap().expect("scanned");
    assert_eq!(
        (totals.tenants, totals.runs, totals.objects, totals.bytes),
        (2, 4, 7, 149)
    );
}

#[tokio::test]
async fn a_scan_counts_exactly_what_each_run_and_each_tenant_holds() {
    on_both(|t| async move {
        let dir = tempfile::tempdir().unwrap();
        let artifacts = local_store(dir.path());
        seed(&artifacts).await;

        assert_seed_counted(&t.db, &artifacts).await;
    })
    .await;
}

#[tokio::test]
async fn a_scan_over_s3_counts_exactly_what_each_run_and_each_tenant_holds() {
    let server = s3::S3sServer::start().await;
    let store: Arc<dyn ObjectStore> = Arc::new(s3::fresh_bucket(&server.endpoint).await);
    let artifacts = ArtifactStore::new(store);
    seed(&artifacts).await;
    let t = db::fresh(artifact_console::db::Dialect::Postgres).await;

    assert_seed_counted(&t.db, &artifacts).await;
}

#[tokio::test]
async fn a_rescan_drops_runs_removed_from_the_store() {
    on_both(|t| async move {
        let dir = tempfile::tempdir().unwrap();
        let artifacts = local_store(dir.path());
        seed(&artifacts).await;
        scanned(&t.db, &artifacts, "acme").await;
        let r1 = Scope::Run(
            tenant("acme"),
            ProjectId::parse("p1").unwrap(),
            RunId::parse("r1").unwrap(),
        );
        artifacts.cleanup(&r1).await.expect("the run is removed");

        let again = scanned(&t.db, &artifacts, "acme").await;

        assert_eq!((again.runs, again.objects, again.bytes), (2, 3, 14));
        let p1 = catalogued(&t.db, "acme", "p1").await;
        assert_eq!(p1.iter().map(|r| r.0.as_str()).collect::<Vec<_>>(), ["r2"]);
        let history = catalog::snapshots(&t.db, "acme").await.unwrap();
        assert_eq!(history.iter().map(|s| s.runs).collect::<Vec<_>>(), [3, 2]);
    })
    .await;
}

#[tokio::test]
async fn an_erased_run_can_be_dropped_from_the_catalog_before_the_next_scan() {
    on_both(|t| async move {
        let dir = tempfile::tempdir().unwrap();
        let artifacts = local_store(dir.path());
        seed(&artifacts).await;
        scanned(&t.db, &artifacts, "acme").await;

        let forgotten = catalog::forget(&t.db, "acme", Some("p1"), Some("r1"))
            .await
            .unwrap();

        assert_eq!(forgotten, 1);
        let p1 = catalogued(&t.db, "acme", "p1").await;
        assert_eq!(p1.iter().map(|r| r.0.as_str()).collect::<Vec<_>>(), ["r2"]);
        assert_eq!(catalog::forget(&t.db, "acme", None, None).await.unwrap(), 2);
    })
    .await;
}

#[tokio::test]
async fn a_tenant_another_replica_is_scanning_is_skipped_until_its_lease_runs_out() {
    on_both(|t| async move {
        let dir = tempfile::tempdir().unwrap();
        let artifacts = local_store(dir.path());
        seed(&artifacts).await;
        let replica = t.second_pool().await;
        let now = to_micros(chrono::Utc::now());
        let hour = 3_600_000_000;
        assert!(
            catalog::claim_lease(&replica, "acme", "other-replica", now, now + hour)
                .await
                .unwrap()
        );

        let skipped = usage::scan_tenant(
            &t.db,
            &artifacts,
            &tenant("acme"),
            "this-replica",
            Duration::ZERO,
        )
        .await
        .unwrap();
        assert_eq!(skipped, ScanOutcome::Busy);
        assert!(catalog::snapshots(&t.db, "acme").await.unwrap().is_empty());

        // The other replica crashed: its lease is an hour old, and the next scan takes it.
        sqlx::query("UPDATE usage_leases SET expires_micros = $1 WHERE tenant = 'acme'")
            .bind(now - hour)
            .execute(replica.pool())
            .await
            .unwrap();
        let taken = usage::scan_tenant(
            &t.db,
            &artifacts,
            &tenant("acme"),
            "this-replica",
            Duration::ZERO,
        )
        .await
        .unwrap();
        assert!(matches!(taken, ScanOutcome::Scanned(s) if s.runs == 3));
        replica.close().await;
    })
    .await;
}

#[tokio::test]
async fn two_replicas_scanning_the_same_tenant_at_once_do_the_work_once() {
    on_both(|t| async move {
        let dir = tempfile::tempdir().unwrap();
        let artifacts = local_store(dir.path());
        seed(&artifacts).await;
        let replica = t.second_pool().await;
        let acme = tenant("acme");
        // Background scans rest on their lease after scanning, so a replica whose turn
        // comes a moment later (or at once) skips the tenant either way.
        let rest = Duration::from_secs(60);

        let (a, b) = tokio::join!(
            usage::scan_tenant(&t.db, &artifacts, &acme, "replica-a", rest),
            usage::scan_tenant(&replica, &artifacts, &acme, "replica-b", rest),
        );

        let outcomes = [a.unwrap(), b.unwrap()];
        let busy = outcomes.iter().filter(|o| **o == ScanOutcome::Busy).count();
        assert_eq!(busy, 1, "{outcomes:?}");
        assert_eq!(catalog::snapshots(&t.db, "acme").await.unwrap().len(), 1);
        replica.close().await;
    })
    .await;
}

/// The local root the app under test reads.
fn root_of(app: &TestApp) -> std::path::PathBuf {
    match &app.settings.storage {
        StorageSettings::Local { root } => root.clone(),
        StorageSettings::S3(_) => panic!("these tests seed a local folder"),
    }
}

/// Sets the modification time of a stored file, as the SaaS's writes would have.
fn touch(root: &Path, key: &str, time: SystemTime) {
    let file = std::fs::File::options()
        .write(true)
        .open(root.join(key))
        .expect("the stored file");
    file.set_modified(time).expect("set the modification time");
}

/// Run ids in the order a project page links them.
fn run_ids(page: &str) -> Vec<String> {
    page.split("/tenants/acme/projects/web/runs/")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(str::to_owned)
        .collect()
}

fn next_link(page: &str) -> Option<String> {
    let (before, _) = page.split_once("rel=\"next\"")?;
    let href = before.rsplit("href=\"").next()?;
    Some(href.split('"').next()?.replace("&amp;", "&"))
}

#[tokio::test]
async fn the_project_page_lists_runs_newest_first_across_pages_after_a_scan() {
    let app = app::spawn(Backend::Local).await;
    let root = root_of(&app);
    let base = SystemTime::now() - Duration::from_secs(86_400);
    // 30 runs (more than a page of 25) whose times are shuffled against their ids.
    let mut expected: Vec<(u64, String)> = Vec::new();
    for i in 0..30u64 {
        let run = format!("r{i:02}");
        let key = format!("tenants/acme/projects/web/runs/{run}/screenshots/home.png");
        app.put(&key, super::web::png(4, 4)).await;
        let minutes = (i * 7) % 30;
        touch(&root, &key, base + Duration::from_secs(minutes * 60));
        expected.push((minutes, run));
    }
    expected.sort_by(|a, b| b.cmp(a));
    let expected: Vec<String> = expected.into_iter().map(|(_, r)| r).collect();

    let before = text_of(app.get("/tenants/acme/projects/web").await, 200).await;
    assert!(before.contains("has not been scanned yet"), "{before}");
    assert_eq!(run_ids(&before).len(), 25);

    usage::scan_all(&app.db.db, &app.artifacts, "test-replica", Duration::ZERO)
        .await
        .expect("the scan runs");
    app.put(
        "tenants/acme/projects/web/runs/r99/tests/test_new.py",
        "def test_new(): pass\n",
    )
    .await;

    let first = text_of(app.get("/tenants/acme/projects/web").await, 200).await;
    let next = next_link(&first).expect("a link to the second page");
    let second = text_of(app.get(&next).await, 200).await;
    let mut listed = run_ids(&first);
    listed.extend(run_ids(&second));
    assert_eq!(listed, expected);
    assert!(first.contains("as of the usage scan of"), "{first}");
    assert!(
        first.contains("1 run in the store not yet scanned"),
        "{first}"
    );
    assert!(next_link(&second).is_none());

    let by_id = text_of(app.get("/tenants/acme/projects/web?by=id").await, 200).await;
    assert_eq!(run_ids(&by_id).len(), 25);
    for bad in ["soon~r01", "1~..%2Fr01", "1~"] {
        let page = app
            .get(&format!("/tenants/acme/projects/web?after={bad}"))
            .await;
        assert_eq!(page.status().as_u16(), 400, "cursor {bad}");
    }
}

#[tokio::test]
async fn the_overview_says_nothing_was_scanned_until_a_scan_then_shows_its_totals() {
    let app = app::spawn(Backend::Local).await;
    seed(&app.artifacts).await;

    let before = text_of(app.get("/").await, 200).await;
    assert!(before.contains("not scanned yet"), "{before}");
    assert!(before.contains("artifact-console usage scan"));
    let tenants_before = text_of(app.get("/tenants").await, 200).await;
    assert!(tenants_before.contains("not scanned yet"));

    let summary = usage::scan_all(&app.db.db, &app.artifacts, "test-replica", Duration::ZERO)
        .await
        .expect("the scan runs");
    assert_eq!(summary.scanned.len(), 2);

    let after = text_of(app.get("/").await, 200).await;
    assert!(!after.contains("not scanned yet"), "{after}");
    assert!(after.contains("as of the usage scan of"), "{after}");
    assert!(after.contains("149 B</div>"), "{after}");
    assert!(after.contains("<div class=\"figure\">4</div><div class=\"label\">runs"));
    assert!(
        after.contains("acme / p1 / r1"),
        "the latest runs are listed"
    );
    let largest = after.split("Largest tenants").nth(1).unwrap();
    assert!(largest.find("acme-corp").unwrap() < largest.find(">acme<").unwrap());

    let tenants = text_of(app.get("/tenants").await, 200).await;
    assert!(tenants.contains("49 B, latest artifact"), "{tenants}");
    let tenant = text_of(app.get("/tenants/acme").await, 200).await;
    assert!(tenant.contains("42 B, latest artifact"), "{tenant}");
    assert!(tenant.contains("3 B, latest artifact"), "{tenant}");
}

#[tokio::test]
async fn the_usage_scan_command_prints_each_tenant_and_a_total_and_is_audited() {
    let t = db::fresh(artifact_console::db::Dialect::Sqlite).await;
    let dir = tempfile::tempdir().unwrap();
    seed(&local_store(&dir.path().join("artifacts"))).await;

    let out = db::console(Some(&t.url), dir.path())
        .args(["usage", "scan"])
        .output()
        .expect("the binary runs");

    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("acme: 2 projects, 3 runs, 6 objects, 49 B (49 bytes); 1 objects outside"),
        "{stdout}"
    );
    assert!(
        stdout.contains("acme-corp: 1 projects, 1 runs, 1 objects"),
        "{stdout}"
    );
    assert!(
        stdout.contains("total (2 tenants): 3 projects, 4 runs, 7 objects"),
        "{stdout}"
    );
    let (audited,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM audit_events \
             WHERE action = 'usage.scanned' AND actor_kind = 'operator'",
    )
    .fetch_one(t.db.pool())
    .await
    .unwrap();
    assert_eq!(audited, 1);

    let one = db::console(Some(&t.url), dir.path())
        .args(["usage", "scan", "--tenant", "acme-corp"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&one.stdout);
    assert!(one.status.success());
    assert!(
        stdout.contains("total (1 tenants): 1 projects, 1 runs, 1 objects"),
        "{stdout}"
    );

    let bad = db::console(Some(&t.url), dir.path())
        .args(["usage", "scan", "--tenant", "../acme"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert_eq!(bad.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
}

#[tokio::test]
async fn serve_scans_usage_in_the_background_when_it_starts() {
    let t = db::fresh(artifact_console::db::Dialect::Sqlite).await;
    let dir = tempfile::tempdir().unwrap();
    seed(&local_store(&dir.path().join("artifacts"))).await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let mut serve = db::console(Some(&t.url), dir.path())
        .arg("serve")
        .env("BIND", format!("127.0.0.1:{port}"))
        .env("USAGE_SCAN_MINUTES", "60")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("serve starts");

    // The first pass runs at start-up; wait for its snapshot (or give up after a minute).
    let mut history = Vec::new();
    for _ in 0..300 {
        history = catalog::snapshots(&t.db, "acme").await.unwrap_or_default();
        if !history.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let _ = serve.kill();
    let _ = serve.wait();

    assert_eq!(history.len(), 1, "serve recorded no usage snapshot");
    assert_eq!((history[0].runs, history[0].objects), (3, 6));
}
