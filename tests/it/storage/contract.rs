//! The contract every backend keeps, written once and run unchanged against each.

use std::collections::BTreeMap;
use std::sync::Arc;

use artifact_console::artifacts::ArtifactStore;
use artifact_console::storage::{
    ByteRange, ListRequest, ObjectKey, ObjectStore, Scope, StorageError, TenantId, bytes_stream,
};
use bytes::Bytes;
use futures_util::stream;

use super::backends::{
    collect, content_of, for_each_backend, key, list_all, prefix, put_all, read_all,
};

for_each_backend!(
    an_object_reads_back_byte_for_byte_with_its_facts,
    an_overwritten_object_reads_back_whole_and_new,
    byte_ranges_serve_exactly_the_requested_bytes,
    a_missing_object_is_not_found,
    deleting_one_object_leaves_its_neighbours,
    listing_follows_the_byte_order_of_the_whole_key,
    a_delimited_listing_rolls_up_at_the_next_slash,
    a_listing_resumes_after_a_rolled_up_prefix,
    listing_pages_past_a_thousand_objects,
    purging_more_than_a_thousand_objects_removes_them_all,
    purging_any_scope_leaves_every_other_scope_intact,
    keys_with_xml_special_characters_survive_storage_and_purge,
    a_body_that_fails_half_way_leaves_nothing_visible,
    usage_counts_only_what_lies_under_the_prefix,
    hostile_ids_never_reach_the_store,
);

const RUN_KEY: &str = "tenants/acme/projects/1/runs/r1/screenshots/Login step 1.png";

async fn an_object_reads_back_byte_for_byte_with_its_facts(store: Arc<dyn ObjectStore>) {
    let chunks = vec![
        Ok(Bytes::from_static(b"\x89PNG\r\n")),
        Ok(Bytes::from(vec![7_u8; 70_000])),
        Ok(Bytes::from_static(b"end")),
    ];
    let expected: Bytes = [&b"\x89PNG\r\n"[..], &[7_u8; 70_000][..], b"end"]
        .concat()
        .into();

    let written = store
        .put(&key(RUN_KEY), Box::pin(stream::iter(chunks)), "image/png")
        .await
        .expect("put");
    let read = read_all(&store, RUN_KEY).await.expect("get");
    let stat = store.stat(&key(RUN_KEY)).await.expect("stat");

    assert_eq!(read, expected);
    assert_eq!(written.size, expected.len() as u64);
    assert_eq!(stat.key, RUN_KEY);
    assert_eq!(stat.size, expected.len() as u64);
    assert_eq!(stat.content_type.as_deref(), Some("image/png"));
    assert!(
        stat.etag
            .as_deref()
            .is_some_and(|t| !t.is_empty() && !t.contains('"'))
    );
    assert!(stat.last_modified.is_some());
}

async fn an_overwritten_object_reads_back_whole_and_new(store: Arc<dyn ObjectStore>) {
    store
        .put(&key(RUN_KEY), bytes_stream(vec![1_u8; 5000]), "image/png")
        .await
        .expect("first put");
    let first = store.stat(&key(RUN_KEY)).await.expect("stat");

    store
        .put(&key(RUN_KEY), bytes_stream(&b"short"[..]), "image/png")
        .await
        .expect("second put");

    assert_eq!(read_all(&store, RUN_KEY).await.expect("get"), &b"short"[..]);
    assert_ne!(
        store.stat(&key(RUN_KEY)).await.expect("stat").etag,
        first.etag
    );
}

async fn byte_ranges_serve_exactly_the_requested_bytes(store: Arc<dyn ObjectStore>) {
    let data: Vec<u8> = (0..=255_u8).cycle().take(1000).collect();
    store
        .put(&key(RUN_KEY), bytes_stream(data.clone()), "image/png")
        .await
        .expect("put");
    let cases = [
        (ByteRange::FromTo { start: 10, end: 19 }, 10, 19),
        (
            ByteRange::FromTo {
                start: 990,
                end: 5000,
            },
            990,
            999,
        ),
        (ByteRange::From { start: 500 }, 500, 999),
        (ByteRange::Suffix { len: 3 }, 997, 999),
    ];

    for (range, start, end) in cases {
        let object = store
            .get(&key(RUN_KEY), Some(range))
            .await
            .expect("ranged get");

        assert_eq!(object.range, Some((start, end)), "{range:?}");
        assert_eq!(object.meta.size, 1000, "{range:?}");
        let body = collect(object.body).await.expect("body");
        assert_eq!(&body[..], &data[start as usize..=end as usize], "{range:?}");
    }
    let outside = store
        .get(&key(RUN_KEY), Some(ByteRange::From { start: 1000 }))
        .await;
    assert!(matches!(
        outside,
        Err(StorageError::RangeNotSatisfiable { size: 1000 })
    ));
}

async fn a_missing_object_is_not_found(store: Arc<dyn ObjectStore>) {
    let missing = key("tenants/acme/projects/1/runs/r1/videos/none.webm");

    let got = store.get(&missing, None).await;
    let stat = store.stat(&missing).await;
    let ranged = store
        .get(&missing, Some(ByteRange::From { start: 0 }))
        .await;

    assert!(matches!(got, Err(StorageError::NotFound(_))));
    assert!(matches!(stat, Err(StorageError::NotFound(ref k)) if k.contains("none.webm")));
    assert!(matches!(ranged, Err(StorageError::NotFound(_))));
    store
        .delete(&missing)
        .await
        .expect("deleting a missing object is fine");
}

async fn deleting_one_object_leaves_its_neighbours(store: Arc<dyn ObjectStore>) {
    let keys = vec![
        "tenants/a/projects/1/runs/1/tests/x.py".to_owned(),
        "tenants/a/projects/1/runs/1/tests/x.py2".to_owned(),
        "tenants/a/projects/1/runs/1/tests/x".to_owned(),
    ];
    put_all(&store, &keys).await;

    store.delete(&key(&keys[0])).await.expect("delete");

    assert_eq!(
        list_all(&store, "", false, 1000).await,
        vec![keys[2].clone(), keys[1].clone()]
    );
    assert!(matches!(
        store.stat(&key(&keys[0])).await,
        Err(StorageError::NotFound(_))
    ));
}

/// Keys whose folder names hold characters that sort below `/` (`-`, `.`) and above it.
fn tricky_order_keys() -> Vec<String> {
    [
        "t/a/x", "t/a/y", "t/a-b/x", "t/a.b", "t/a0", "t/A", "t/a/b/c", "t/a~", "t/b",
    ]
    .iter()
    .map(|k| (*k).to_owned())
    .collect()
}

async fn listing_follows_the_byte_order_of_the_whole_key(store: Arc<dyn ObjectStore>) {
    let keys = tricky_order_keys();
    put_all(&store, &keys).await;
    let mut expected = keys.clone();
    expected.sort();

    let whole = list_all(&store, "", false, 1000).await;
    let paged = list_all(&store, "", false, 2).await;
    let under_a = list_all(&store, "t/a", false, 3).await;

    assert_eq!(whole, expected);
    assert_eq!(expected[1], "t/a-b/x", "'-' sorts below '/'");
    assert_eq!(paged, expected);
    let expected_a: Vec<String> = expected
        .iter()
        .filter(|k| k.starts_with("t/a"))
        .cloned()
        .collect();
    assert_eq!(under_a, expected_a);
}

async fn a_delimited_listing_rolls_up_at_the_next_slash(store: Arc<dyn ObjectStore>) {
    put_all(&store, &tricky_order_keys()).await;

    let top = list_all(&store, "", true, 1000).await;
    let level = list_all(&store, "t/", true, 1000).await;
    let level_paged = list_all(&store, "t/", true, 1).await;
    let partial = list_all(&store, "t/a", true, 1000).await;
    let inside = list_all(&store, "t/a/", true, 1000).await;

    assert_eq!(top, vec!["t/"]);
    let expected = vec!["t/A", "t/a-b/", "t/a.b", "t/a/", "t/a0", "t/a~", "t/b"];
    assert_eq!(level, expected);
    assert_eq!(level_paged, expected);
    assert_eq!(partial, vec!["t/a-b/", "t/a.b", "t/a/", "t/a0", "t/a~"]);
    assert_eq!(inside, vec!["t/a/b/", "t/a/x", "t/a/y"]);
}

async fn a_listing_resumes_after_a_rolled_up_prefix(store: Arc<dyn ObjectStore>) {
    put_all(&store, &tricky_order_keys()).await;
    let request = |start_after: &str, delimited| ListRequest {
        prefix: prefix("t/"),
        delimited,
        start_after: Some(start_after.to_owned()),
        max_entries: 1000,
    };

    let after_inner_key = store.list(&request("t/a/b/c", true)).await.expect("list");
    let after_prefix = store.list(&request("t/a-b/", true)).await.expect("list");
    let flat = store.list(&request("t/a/b/c", false)).await.expect("list");

    let names = |page: artifact_console::storage::ListPage| -> Vec<String> {
        page.entries.iter().map(|e| e.name().to_owned()).collect()
    };
    assert_eq!(names(after_inner_key), vec!["t/a0", "t/a~", "t/b"]);
    assert_eq!(
        names(after_prefix),
        vec!["t/a.b", "t/a/", "t/a0", "t/a~", "t/b"]
    );
    assert_eq!(names(flat), vec!["t/a/x", "t/a/y", "t/a0", "t/a~", "t/b"]);
}

fn numbered_keys(scope: &str, count: usize) -> Vec<String> {
    (0..count)
        .map(|i| format!("{scope}screenshots/step {i:05}.png"))
        .collect()
}

async fn listing_pages_past_a_thousand_objects(store: Arc<dyn ObjectStore>) {
    let keys = numbered_keys("tenants/big/projects/1/runs/1/", 1050);
    put_all(&store, &keys).await;

    let first = store
        .list(&ListRequest {
            prefix: prefix("tenants/big/"),
            delimited: false,
            start_after: None,
            max_entries: 1000,
        })
        .await
        .expect("first page");
    let all = list_all(&store, "tenants/big/", false, 1000).await;

    assert_eq!(first.entries.len(), 1000);
    assert_eq!(first.next_start_after.as_deref(), Some(keys[999].as_str()));
    assert_eq!(all, keys);
}

async fn purging_more_than_a_thousand_objects_removes_them_all(store: Arc<dyn ObjectStore>) {
    let run = "tenants/big/projects/1/runs/1/";
    let keys = numbered_keys(run, 1100);
    put_all(&store, &keys).await;
    let neighbour = numbered_keys("tenants/big/projects/1/runs/10/", 3);
    put_all(&store, &neighbour).await;
    let bytes: u64 = keys.iter().map(|k| content_of(k).len() as u64).sum();
    let scope = Scope::Run(tid("big"), pid("1"), rid("1"));

    let report = store.purge(&scope.prefix()).await.expect("purge");

    assert!(report.is_complete(), "{:?}", report.failures);
    assert_eq!(report.objects, 1100);
    assert_eq!(report.bytes, bytes);
    assert!(list_all(&store, run, false, 1000).await.is_empty());
    assert_eq!(list_all(&store, "tenants/", false, 1000).await, neighbour);
    assert_eq!(store.usage(&prefix(run)).await.expect("usage").objects, 0);
}

fn tid(id: &str) -> TenantId {
    TenantId::parse(id).expect("tenant id")
}

fn pid(id: &str) -> artifact_console::storage::ProjectId {
    artifact_console::storage::ProjectId::parse(id).expect("project id")
}

fn rid(id: &str) -> artifact_console::storage::RunId {
    artifact_console::storage::RunId::parse(id).expect("run id")
}

/// Neighbours that share a string prefix with each other at every level.
fn isolation_fixture() -> Vec<String> {
    let mut keys = Vec::new();
    for tenant in ["acme", "acme-corp", "acme.old", "acm", "acme0"] {
        for project in ["1", "10", "1-b"] {
            for run in ["r1", "r1-x", "r10"] {
                keys.push(format!(
                    "tenants/{tenant}/projects/{project}/runs/{run}/screenshots/a.png"
                ));
            }
        }
    }
    keys.push("tenants/acme/projects/1/runs/r1/videos/v.webm".to_owned());
    keys.push("tenants/acme/notes.txt".to_owned());
    keys.push("tenantsX/acme/projects/1/runs/r1/screenshots/a.png".to_owned());
    keys.push("elsewhere.txt".to_owned());
    keys
}

async fn purging_any_scope_leaves_every_other_scope_intact(store: Arc<dyn ObjectStore>) {
    let fixture = isolation_fixture();
    let scopes = [
        Scope::Tenant(tid("acme")),
        Scope::Tenant(tid("acm")),
        Scope::Project(tid("acme"), pid("1")),
        Scope::Project(tid("acme-corp"), pid("10")),
        Scope::Run(tid("acme"), pid("1"), rid("r1")),
        Scope::Run(tid("acme0"), pid("1-b"), rid("r10")),
    ];

    for scope in scopes {
        put_all(&store, &fixture).await;

        let report = store.purge(&scope.prefix()).await.expect("purge");

        let inside = |k: &String| k.starts_with(scope.prefix().as_str());
        let expected: BTreeMap<&String, Bytes> = fixture
            .iter()
            .filter(|k| !inside(k))
            .map(|k| (k, content_of(k)))
            .collect();
        let mut found = BTreeMap::new();
        for k in list_all(&store, "", false, 1000).await {
            let data = read_all(&store, &k).await.expect("read a survivor");
            found.insert(k, data);
        }
        let found: BTreeMap<&String, Bytes> = found.iter().map(|(k, v)| (k, v.clone())).collect();
        assert_eq!(found, expected, "after purging {scope}");
        assert_eq!(
            report.objects,
            fixture.iter().filter(|k| inside(k)).count() as u64,
            "{scope}"
        );
    }
}

async fn keys_with_xml_special_characters_survive_storage_and_purge(store: Arc<dyn ObjectStore>) {
    let run = "tenants/acme/projects/1/runs/r1/";
    let keys: Vec<String> = [
        "a & b.png",
        "<script>alert(1)</script>.png",
        "quote ' and \" double.png",
        "100% &amp; done.png",
        "unicode ü 字.png",
    ]
    .iter()
    .map(|name| format!("{run}screenshots/{name}"))
    .collect();
    put_all(&store, &keys).await;
    let mut sorted = keys.clone();
    sorted.sort();

    let listed = list_all(&store, run, false, 2).await;
    let read = read_all(&store, &keys[0]).await.expect("get");
    let report = store
        .purge(&Scope::Run(tid("acme"), pid("1"), rid("r1")).prefix())
        .await
        .expect("purge");

    assert_eq!(listed, sorted);
    assert_eq!(read, content_of(&keys[0]));
    assert!(report.is_complete(), "{:?}", report.failures);
    assert_eq!(report.objects, keys.len() as u64);
    assert!(list_all(&store, "", false, 1000).await.is_empty());
}

async fn a_body_that_fails_half_way_leaves_nothing_visible(store: Arc<dyn ObjectStore>) {
    let body = stream::iter(vec![
        Ok(Bytes::from(vec![1_u8; 100_000])),
        Err(StorageError::Unavailable(
            "the uploader went away".to_owned(),
        )),
    ]);

    let put = store.put(&key(RUN_KEY), Box::pin(body), "image/png").await;

    assert!(put.is_err());
    assert!(matches!(
        store.stat(&key(RUN_KEY)).await,
        Err(StorageError::NotFound(_))
    ));
    assert!(list_all(&store, "", false, 1000).await.is_empty());
}

async fn usage_counts_only_what_lies_under_the_prefix(store: Arc<dyn ObjectStore>) {
    let acme = vec![
        "tenants/acme/projects/1/runs/1/screenshots/a.png".to_owned(),
        "tenants/acme/projects/2/runs/1/tests/t.py".to_owned(),
    ];
    let neighbour = vec!["tenants/acme-corp/projects/1/runs/1/screenshots/a.png".to_owned()];
    put_all(&store, &acme).await;
    put_all(&store, &neighbour).await;

    let usage = store
        .usage(&Scope::Tenant(tid("acme")).prefix().as_key_prefix())
        .await
        .expect("usage");

    assert_eq!(usage.objects, 2);
    assert_eq!(
        usage.bytes,
        acme.iter().map(|k| content_of(k).len() as u64).sum::<u64>()
    );
    assert_eq!(usage.noncurrent_versions, 0);
    assert_eq!(usage.delete_markers, 0);
    assert_eq!(usage.incomplete_uploads, 0);
}

async fn hostile_ids_never_reach_the_store(store: Arc<dyn ObjectStore>) {
    put_all(
        &store,
        &["tenants/acme/projects/1/runs/1/screenshots/a.png".to_owned()],
    )
    .await;
    let artifacts = ArtifactStore::new(Arc::clone(&store));

    for hostile in [
        "..",
        "../acme",
        "acme/projects",
        "a\\b",
        "a\0",
        "acme\n",
        "%2e%2e",
        "",
    ] {
        assert!(TenantId::parse(hostile).is_err(), "{hostile:?}");
    }
    for hostile in [
        "../etc/passwd",
        "/etc/passwd",
        "tenants/../x",
        "tenants//x",
        "a/./b",
    ] {
        assert!(ObjectKey::parse(hostile).is_err(), "{hostile:?}");
    }
    for hostile in ["../", "a/b", "a\\", "\u{0}"] {
        let page = artifacts
            .list_tenants(hostile, None, 100)
            .await
            .expect("a hostile search is an empty answer, not an error");
        assert!(page.items.is_empty(), "{hostile:?}");
    }
    let all = artifacts.list_tenants("", None, 100).await.expect("list");
    assert_eq!(all.items, vec![tid("acme")]);
}
