//! What only the local folder can get wrong: symbolic links, writes in progress, a
//! writer killed half-way, and folders left behind.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use artifact_console::storage::local::{LocalStore, PARTIAL_DIR};
use artifact_console::storage::{ObjectStore, Scope, StorageError, TenantId, bytes_stream};
use bytes::Bytes;
use futures_util::stream;

use super::backends::{key, list_all, put_all, read_all};

const RUN_KEY: &str = "tenants/acme/projects/1/runs/r1/screenshots/a.png";

fn local_store(root: &Path) -> Arc<dyn ObjectStore> {
    Arc::new(LocalStore::new(root.to_path_buf()).expect("local store"))
}

/// An artifacts folder and, beside it, a folder the console must never reach.
fn folders() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let base = tempfile::tempdir().expect("temporary folder");
    let root = base.path().join("artifacts");
    let outside = base.path().join("outside");
    std::fs::create_dir_all(root.join("tenants")).expect("root");
    std::fs::create_dir_all(&outside).expect("outside");
    std::fs::write(outside.join("secret.png"), b"secret").expect("secret file");
    (base, root, outside)
}

/// The file beside the artifacts folder is still there, unchanged.
fn assert_outside_untouched(outside: &Path) {
    assert_eq!(
        std::fs::read(outside.join("secret.png")).expect("intact"),
        b"secret"
    );
}

#[tokio::test]
async fn a_key_through_a_symlinked_folder_is_refused() {
    let (_base, root, outside) = folders();
    std::os::unix::fs::symlink(&outside, root.join("tenants/evil")).expect("symlink");
    let store = local_store(&root);
    let through = key("tenants/evil/secret.png");

    let got = store.get(&through, None).await;
    let stat = store.stat(&through).await;
    let put = store
        .put(
            &key("tenants/evil/new.png"),
            bytes_stream(&b"x"[..]),
            "image/png",
        )
        .await;
    let purge = store
        .purge(&Scope::Tenant(TenantId::parse("evil").expect("id")).prefix())
        .await;

    assert!(
        matches!(got, Err(StorageError::Refused(_))),
        "{:?}",
        got.err()
    );
    assert!(matches!(stat, Err(StorageError::Refused(_))));
    assert!(matches!(put, Err(StorageError::Refused(_))));
    assert!(matches!(purge, Err(StorageError::Refused(_))));
    assert!(list_all(&store, "", false, 1000).await.is_empty());
    assert_outside_untouched(&outside);
    assert!(!outside.join("new.png").exists());
}

#[tokio::test]
async fn a_symlinked_file_is_never_served_nor_listed() {
    let (_base, root, outside) = folders();
    let folder = root.join("tenants/acme/projects/1/runs/r1/screenshots");
    std::fs::create_dir_all(&folder).expect("run folder");
    std::os::unix::fs::symlink(outside.join("secret.png"), folder.join("a.png")).expect("link");
    let store = local_store(&root);

    let got = store.get(&key(RUN_KEY), None).await;
    let deleted = store.delete(&key(RUN_KEY)).await;

    assert!(matches!(got, Err(StorageError::Refused(_))));
    assert!(deleted.is_err());
    assert!(list_all(&store, "", false, 1000).await.is_empty());
    assert_outside_untouched(&outside);
}

#[tokio::test]
async fn purging_a_scope_removes_links_in_it_but_never_their_targets() {
    let (_base, root, outside) = folders();
    let store = local_store(&root);
    put_all(&store, &[RUN_KEY.to_owned()]).await;
    let folder = root.join("tenants/acme/projects/1/runs/r1/screenshots");
    std::os::unix::fs::symlink(outside.join("secret.png"), folder.join("b.png")).expect("link");
    std::os::unix::fs::symlink(&outside, folder.join("dir")).expect("link");

    let report = store
        .purge(&Scope::Tenant(TenantId::parse("acme").expect("id")).prefix())
        .await
        .expect("purge");

    assert_eq!(report.objects, 1);
    assert!(!root.join("tenants/acme").exists());
    assert_outside_untouched(&outside);
}

#[tokio::test]
async fn the_folder_for_writes_in_progress_cannot_be_named_by_a_key() {
    let (_base, root, _outside) = folders();
    let store = local_store(&root);

    let put = store
        .put(
            &key(&format!("{PARTIAL_DIR}/x")),
            bytes_stream(&b"x"[..]),
            "text/plain",
        )
        .await;

    assert!(matches!(put, Err(StorageError::Refused(_))));
}

#[tokio::test]
async fn listings_never_show_the_folder_for_writes_in_progress_nor_pass_through_files() {
    let (_base, root, _outside) = folders();
    let store = local_store(&root);
    std::fs::write(root.join(PARTIAL_DIR).join("half.png"), b"half").expect("partial");
    std::fs::write(root.join("tenants/acme"), b"a file, not a folder").expect("file");

    let partials = list_all(&store, &format!("{PARTIAL_DIR}/"), false, 1000).await;
    let through_file = list_all(&store, "tenants/acme/", false, 1000).await;
    let everything = list_all(&store, "", false, 1000).await;

    assert!(partials.is_empty(), "{partials:?}");
    assert!(through_file.is_empty(), "{through_file:?}");
    assert_eq!(everything, vec!["tenants/acme".to_owned()]);
}

#[tokio::test]
async fn a_write_in_progress_is_invisible_until_complete() {
    let (_base, root, _outside) = folders();
    let store = local_store(&root);
    let (sender, receiver) = tokio::sync::mpsc::channel::<Result<Bytes, StorageError>>(1);
    let body = stream::unfold(
        receiver,
        |mut r| async move { r.recv().await.map(|c| (c, r)) },
    );
    let writer = {
        let store = Arc::clone(&store);
        tokio::spawn(async move { store.put(&key(RUN_KEY), Box::pin(body), "image/png").await })
    };
    sender
        .send(Ok(Bytes::from(vec![1_u8; 10_000])))
        .await
        .expect("first chunk");
    sender
        .send(Ok(Bytes::from(vec![2_u8; 10_000])))
        .await
        .expect("second chunk");

    let during = list_all(&store, "", false, 1000).await;
    let during_delimited = list_all(&store, "", true, 1000).await;
    let stat_during = store.stat(&key(RUN_KEY)).await;
    drop(sender);
    writer.await.expect("join").expect("put");

    assert!(during.is_empty(), "{during:?}");
    assert!(during_delimited.is_empty(), "{during_delimited:?}");
    assert!(matches!(stat_during, Err(StorageError::NotFound(_))));
    assert_eq!(read_all(&store, RUN_KEY).await.expect("get").len(), 20_000);
}

#[tokio::test]
async fn a_failed_write_leaves_no_folders_behind() {
    let (_base, root, _outside) = folders();
    let store = local_store(&root);
    let body = stream::iter(vec![
        Ok(Bytes::from(vec![1_u8; 1000])),
        Err(StorageError::Unavailable("gone".to_owned())),
    ]);

    let put = store.put(&key(RUN_KEY), Box::pin(body), "image/png").await;

    assert!(put.is_err());
    assert!(!root.join("tenants/acme").exists());
    assert_eq!(partial_bytes(&root), 0);
}

#[tokio::test]
async fn deleting_the_last_object_prunes_the_empty_folders() {
    let (_base, root, _outside) = folders();
    let store = local_store(&root);
    let keys = [
        RUN_KEY.to_owned(),
        "tenants/acme/projects/2/runs/r1/tests/t.py".to_owned(),
    ];
    put_all(&store, &keys).await;

    store.delete(&key(RUN_KEY)).await.expect("delete");

    assert!(!root.join("tenants/acme/projects/1").exists());
    assert!(
        root.join("tenants/acme/projects/2/runs/r1/tests/t.py")
            .exists()
    );
    assert_eq!(
        list_all(&store, "tenants/", true, 1000).await,
        vec!["tenants/acme/"]
    );
}

#[tokio::test]
async fn purging_a_scope_removes_its_folders_too() {
    let (_base, root, _outside) = folders();
    let store = local_store(&root);
    let keys = [
        RUN_KEY.to_owned(),
        "tenants/acme-corp/projects/1/runs/r1/tests/t.py".to_owned(),
    ];
    put_all(&store, &keys).await;

    let report = store
        .purge(&Scope::Tenant(TenantId::parse("acme").expect("id")).prefix())
        .await
        .expect("purge");

    assert_eq!(report.objects, 1);
    assert!(!root.join("tenants/acme").exists());
    assert!(
        root.join("tenants/acme-corp/projects/1/runs/r1/tests/t.py")
            .exists()
    );
}

/// Set in the child process of the crash test: the artifacts folder it writes into.
const WRITER_ROOT_VAR: &str = "ARTIFACT_CONSOLE_TEST_WRITER_ROOT";

/// In the child: writes one artifact from a body that never ends, until killed.
async fn write_until_killed(root: &str) {
    let store = local_store(Path::new(root));
    let body = stream::unfold((), |()| async {
        tokio::time::sleep(Duration::from_millis(5)).await;
        Some((Ok(Bytes::from(vec![0_u8; 4096])), ()))
    });
    let _ = store.put(&key(RUN_KEY), Box::pin(body), "image/png").await;
}

/// Bytes written so far into the partial-writes folder.
fn partial_bytes(root: &Path) -> u64 {
    std::fs::read_dir(root.join(PARTIAL_DIR))
        .map(|items| {
            items
                .flatten()
                .filter_map(|i| i.metadata().ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

#[tokio::test]
async fn a_writer_killed_half_way_leaves_no_visible_partial_artifact() {
    if let Ok(root) = std::env::var(WRITER_ROOT_VAR) {
        write_until_killed(&root).await;
        return;
    }
    let (_base, root, _outside) = folders();
    // This same test, run in a child process, is the writer that gets killed.
    let this_test = format!(
        "{}::a_writer_killed_half_way_leaves_no_visible_partial_artifact",
        module_path!().split_once("::").map_or("", |(_, rest)| rest)
    );
    let mut child = Command::new(std::env::current_exe().expect("test binary"))
        .args(["--exact", this_test.as_str(), "--test-threads=1"])
        .env(WRITER_ROOT_VAR, &root)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the writer");
    let give_up = Instant::now() + Duration::from_secs(60);
    while partial_bytes(&root) < 64 * 1024 {
        assert!(Instant::now() < give_up, "the writer never started writing");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    child.kill().expect("kill the writer");
    child.wait().expect("reap the writer");
    let restarted = local_store(&root);

    assert!(
        partial_bytes(&root) > 0,
        "the killed write really was half-way"
    );
    assert!(list_all(&restarted, "", false, 1000).await.is_empty());
    assert!(list_all(&restarted, "", true, 1000).await.is_empty());
    assert!(matches!(
        restarted.stat(&key(RUN_KEY)).await,
        Err(StorageError::NotFound(_))
    ));
}
