//! The tenant-scoped view the console browses and purges through, on every backend.

use std::sync::Arc;

use artifact_console::artifacts::ArtifactStore;
use artifact_console::storage::{
    ArtifactKey, ArtifactKind, ArtifactName, ObjectStore, ProjectId, RunId, Scope, TenantId,
    bytes_stream,
};

use super::backends::{content_of, for_each_backend, list_all, put_all};

for_each_backend!(
    tenants_are_listed_in_key_order_page_by_page,
    a_tenant_search_matches_the_start_of_ids_only,
    projects_and_runs_are_listed_below_their_parent_only,
    a_run_lists_each_kind_and_reports_keys_outside_the_layout,
    a_run_pages_through_its_artifacts_past_foreign_keys,
    a_run_pages_past_more_foreign_keys_in_a_row_than_a_page_holds,
    a_run_summary_counts_every_kind,
    saved_artifacts_carry_their_kind_and_read_back,
    cleaning_up_a_project_keeps_every_neighbour,
);

fn tenant(id: &str) -> TenantId {
    TenantId::parse(id).expect("tenant id")
}

fn project(id: &str) -> ProjectId {
    ProjectId::parse(id).expect("project id")
}

fn run(id: &str) -> RunId {
    RunId::parse(id).expect("run id")
}

fn shot(tenant_id: &str, project_id: &str, run_id: &str, name: &str) -> String {
    format!("tenants/{tenant_id}/projects/{project_id}/runs/{run_id}/screenshots/{name}.png")
}

async fn tenants_are_listed_in_key_order_page_by_page(store: Arc<dyn ObjectStore>) {
    let ids = ["acme", "acme-corp", "acme.old", "acme0", "b", "Z"];
    let keys: Vec<String> = ids.iter().map(|t| shot(t, "1", "1", "a")).collect();
    put_all(&store, &keys).await;
    put_all(
        &store,
        &[
            "tenants/notes.txt".to_owned(),
            "tenants/bad id/x".to_owned(),
        ],
    )
    .await;
    let artifacts = ArtifactStore::new(store);

    let mut pages = Vec::new();
    let mut cursor = None;
    loop {
        let page = artifacts
            .list_tenants("", cursor.as_ref(), 2)
            .await
            .expect("list tenants");
        pages.push(page.items.clone());
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }

    // Ids sort as their folders do: `acme/` comes after `acme-corp/` and `acme.old/`.
    let listed: Vec<String> = pages.concat().iter().map(|t| t.to_string()).collect();
    assert_eq!(listed, ["Z", "acme-corp", "acme.old", "acme", "acme0", "b"]);
    assert!(pages.iter().all(|p| p.len() <= 2));
}

async fn a_tenant_search_matches_the_start_of_ids_only(store: Arc<dyn ObjectStore>) {
    let ids = ["acme", "acme-corp", "bacme", "ac"];
    let keys: Vec<String> = ids.iter().map(|t| shot(t, "1", "1", "a")).collect();
    put_all(&store, &keys).await;
    let artifacts = ArtifactStore::new(store);

    let found = artifacts
        .list_tenants("acme", None, 100)
        .await
        .expect("search");
    let after = artifacts
        .list_tenants("ac", Some(&tenant("ac")), 100)
        .await
        .expect("search");

    assert_eq!(found.items, vec![tenant("acme-corp"), tenant("acme")]);
    assert_eq!(found.next, None);
    assert_eq!(after.items, vec![tenant("acme-corp"), tenant("acme")]);
}

async fn projects_and_runs_are_listed_below_their_parent_only(store: Arc<dyn ObjectStore>) {
    let keys = vec![
        shot("acme", "1", "r1", "a"),
        shot("acme", "1", "r2", "a"),
        shot("acme", "10", "r9", "a"),
        shot("acme-corp", "2", "r1", "a"),
    ];
    put_all(&store, &keys).await;
    let artifacts = ArtifactStore::new(store);

    let projects = artifacts
        .list_projects(&tenant("acme"), None, 100)
        .await
        .expect("projects");
    let runs = artifacts
        .list_runs(&tenant("acme"), &project("1"), None, 1)
        .await
        .expect("runs");

    assert_eq!(projects.items, vec![project("1"), project("10")]);
    assert_eq!(runs.items, vec![run("r1")]);
    assert_eq!(runs.next, Some(run("r1")));
}

async fn a_run_lists_each_kind_and_reports_keys_outside_the_layout(store: Arc<dyn ObjectStore>) {
    let folder = "tenants/acme/projects/1/runs/r1/screenshots/";
    let good: Vec<String> = ["a", "b b", "c & d"]
        .iter()
        .map(|n| format!("{folder}{n}.png"))
        .collect();
    let foreign = vec![
        format!("{folder}notes.txt"),
        format!("{folder}clip.webm"),
        format!("{folder}sub/x.png"),
    ];
    put_all(&store, &good).await;
    put_all(&store, &foreign).await;
    let artifacts = ArtifactStore::new(store);
    let scope = Scope::Run(tenant("acme"), project("1"), run("r1"));

    let page = artifacts
        .list_artifacts(&scope, ArtifactKind::Screenshots, None, 100)
        .await
        .expect("list screenshots");
    let videos = artifacts
        .list_artifacts(&scope, ArtifactKind::Videos, None, 100)
        .await
        .expect("list videos");
    let not_a_run = artifacts
        .list_artifacts(
            &Scope::Tenant(tenant("acme")),
            ArtifactKind::Videos,
            None,
            100,
        )
        .await;

    let names: Vec<&str> = page.items.iter().map(|a| a.key.name().as_str()).collect();
    assert_eq!(names, ["a", "b b", "c & d"]);
    assert_eq!(page.items[0].size, content_of(&good[0]).len() as u64);
    let mut skipped = page.skipped.clone();
    skipped.sort();
    assert_eq!(
        skipped,
        [
            format!("{folder}clip.webm"),
            format!("{folder}notes.txt"),
            format!("{folder}sub/")
        ]
    );
    assert!(videos.items.is_empty() && videos.skipped.is_empty());
    assert!(not_a_run.is_err());
}

async fn a_run_pages_through_its_artifacts_past_foreign_keys(store: Arc<dyn ObjectStore>) {
    let folder = "tenants/acme/projects/1/runs/r1/diffs/";
    let names = ["a", "b", "c", "d", "e"];
    let mut keys: Vec<String> = names.iter().map(|n| format!("{folder}{n}.png")).collect();
    keys.extend(["a.txt", "b-old.bmp", "c.tmp", "d.tmp"].map(|f| format!("{folder}{f}")));
    put_all(&store, &keys).await;
    let artifacts = ArtifactStore::new(store);
    let scope = Scope::Run(tenant("acme"), project("1"), run("r1"));

    let mut seen = Vec::new();
    let mut skipped = Vec::new();
    let mut cursor: Option<ArtifactName> = None;
    loop {
        let page = artifacts
            .list_artifacts(&scope, ArtifactKind::Diffs, cursor.as_ref(), 2)
            .await
            .expect("page");
        assert!(page.items.len() <= 2);
        seen.extend(page.items.iter().map(|a| a.key.name().to_string()));
        skipped.extend(page.skipped);
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }

    assert_eq!(seen, names);
    skipped.sort();
    skipped.dedup();
    assert_eq!(skipped.len(), 4, "{skipped:?}");
}

async fn a_run_pages_past_more_foreign_keys_in_a_row_than_a_page_holds(
    store: Arc<dyn ObjectStore>,
) {
    let folder = "tenants/acme/projects/1/runs/r1/diffs/";
    let mut keys: Vec<String> = ["a", "e"].map(|n| format!("{folder}{n}.png")).to_vec();
    keys.extend(["b.tmp", "c.tmp", "d.tmp"].map(|f| format!("{folder}{f}")));
    put_all(&store, &keys).await;
    let artifacts = ArtifactStore::new(store);
    let scope = Scope::Run(tenant("acme"), project("1"), run("r1"));

    let mut seen = Vec::new();
    let mut cursor: Option<ArtifactName> = None;
    for _ in 0..10 {
        let page = artifacts
            .list_artifacts(&scope, ArtifactKind::Diffs, cursor.as_ref(), 2)
            .await
            .expect("page");
        seen.extend(page.items.iter().map(|a| a.key.name().to_string()));
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }

    assert_eq!(seen, ["a", "e"]);
}

async fn a_run_summary_counts_every_kind(store: Arc<dyn ObjectStore>) {
    let base = "tenants/acme/projects/1/runs/r1/";
    let keys = vec![
        format!("{base}screenshots/a.png"),
        format!("{base}screenshots/b.png"),
        format!("{base}tests/suite.py"),
        format!("{base}stray.log"),
        "tenants/acme/projects/1/runs/r10/videos/v.webm".to_owned(),
    ];
    put_all(&store, &keys).await;
    let artifacts = ArtifactStore::new(store);

    let summary = artifacts
        .run_summary(&Scope::Run(tenant("acme"), project("1"), run("r1")))
        .await
        .expect("summary");

    let counts: Vec<(ArtifactKind, u64)> =
        summary.kinds.iter().map(|k| (k.kind, k.count)).collect();
    assert_eq!(
        counts,
        [
            (ArtifactKind::Screenshots, 2),
            (ArtifactKind::Videos, 0),
            (ArtifactKind::Diffs, 0),
            (ArtifactKind::Tests, 1)
        ]
    );
    assert_eq!((summary.objects, summary.skipped), (4, 1));
    assert_eq!(
        summary.bytes,
        keys[..4]
            .iter()
            .map(|k| content_of(k).len() as u64)
            .sum::<u64>()
    );
    assert!(summary.last_modified.is_some());
}

async fn saved_artifacts_carry_their_kind_and_read_back(store: Arc<dyn ObjectStore>) {
    let artifacts = ArtifactStore::new(store);
    let key = ArtifactKey::new(
        tenant("acme"),
        project("1"),
        run("r1"),
        ArtifactKind::Tests,
        ArtifactName::parse("login suite").expect("name"),
    );

    artifacts
        .save(&key, bytes_stream(&b"def test(): pass\n"[..]))
        .await
        .expect("save");
    let stat = artifacts.stat(&key).await.expect("stat");
    let object = artifacts.get(&key, None).await.expect("get");

    assert_eq!(
        stat.content_type.as_deref(),
        Some(ArtifactKind::Tests.content_type())
    );
    assert_eq!(object.meta.size, 17);
}

async fn cleaning_up_a_project_keeps_every_neighbour(store: Arc<dyn ObjectStore>) {
    let gone = vec![shot("acme", "1", "r1", "a"), shot("acme", "1", "r2", "b")];
    let kept = vec![
        shot("acme", "10", "r1", "a"),
        shot("acme", "1-x", "r1", "a"),
        shot("acme-corp", "1", "r1", "a"),
    ];
    put_all(&store, &gone).await;
    put_all(&store, &kept).await;
    let artifacts = ArtifactStore::new(Arc::clone(&store));
    let scope = Scope::Project(tenant("acme"), project("1"));

    let report = artifacts.cleanup(&scope).await.expect("cleanup");
    let usage = artifacts.usage(&scope).await.expect("usage");

    assert_eq!(report.objects, 2);
    assert_eq!(usage.objects, 0);
    let mut expected = kept.clone();
    expected.sort();
    assert_eq!(list_all(&store, "", false, 1000).await, expected);
}
