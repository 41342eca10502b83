use super::{RUN, on_every_backend, png, raw_get, text_of};
use crate::support::app::TestApp;

/// A run with a screenshot, a diff of the same name, a video and a test file, plus a
/// neighbour tenant whose id starts like the first one.
async fn seed(app: &TestApp) {
    app.put(&format!("{RUN}/screenshots/home.png"), png(64, 96))
        .await;
    app.put(&format!("{RUN}/screenshots/cart.png"), png(64, 96))
        .await;
    app.put(&format!("{RUN}/diffs/home.png"), png(64, 96)).await;
    app.put(
        &format!("{RUN}/videos/full crawl.webm"),
        artifact_console::demo::VIDEO,
    )
    .await;
    app.put(
        &format!("{RUN}/tests/test_home.py"),
        "def test_home():\n    assert 1 < 2  # <b>\n",
    )
    .await;
    app.put(
        "tenants/acme-corp/projects/portal/runs/r9/screenshots/x.png",
        png(8, 8),
    )
    .await;
}

#[tokio::test]
async fn every_page_of_the_console_renders_a_seeded_run() {
    on_every_backend(|app| async move {
        seed(&app).await;

        let overview = text_of(app.get("/").await, 200).await;
        let tenants = text_of(app.get("/tenants").await, 200).await;
        let tenant = text_of(app.get("/tenants/acme").await, 200).await;
        let project = text_of(app.get("/tenants/acme/projects/web-shop").await, 200).await;
        let run = text_of(
            app.get("/tenants/acme/projects/web-shop/runs/r1").await,
            200,
        )
        .await;

        assert!(
            overview.contains("2</div>") && overview.contains("tenants"),
            "{overview}"
        );
        assert!(tenants.contains("acme-corp") && tenants.contains("/tenants/acme"));
        assert!(
            tenant.contains("web-shop") && !tenant.contains("portal"),
            "{tenant}"
        );
        assert!(
            project.contains("/tenants/acme/projects/web-shop/runs/r1"),
            "{project}"
        );
        assert!(
            run.contains("/thumbnails/tenants/acme/projects/web-shop/runs/r1/screenshots/home.png")
        );
        assert!(
            run.contains(&format!("{RUN}/screenshots/cart.png")),
            "every item shows its key"
        );
        assert!(run.contains("footer") && run.contains("breadcrumbs"));
    })
    .await;
}

#[tokio::test]
async fn the_run_page_shows_videos_diffs_and_highlighted_tests() {
    on_every_backend(|app| async move {
        seed(&app).await;
        let base = "/tenants/acme/projects/web-shop/runs/r1";

        let videos = text_of(app.get(&format!("{base}?kind=videos")).await, 200).await;
        let diffs = text_of(app.get(&format!("{base}?kind=diffs")).await, 200).await;
        let tests = text_of(app.get(&format!("{base}?kind=tests")).await, 200).await;

        assert!(
            videos.contains("<video") && videos.contains("full%20crawl.webm"),
            "{videos}"
        );
        assert!(
            diffs.contains("side-by-side") && diffs.contains("overlay-top"),
            "{diffs}"
        );
        assert!(tests.contains("<span class=\"kw\">def</span>"), "{tests}");
        assert!(
            tests.contains("# &#60;b&#62;") || tests.contains("# &lt;b&gt;"),
            "{tests}"
        );
        assert!(tests.contains("download=1"));
    })
    .await;
}

#[tokio::test]
async fn unknown_tenants_projects_and_runs_get_a_404_page() {
    on_every_backend(|app| async move {
        seed(&app).await;

        for path in [
            "/tenants/nobody",
            "/tenants/acme/projects/nothing",
            "/tenants/acme/projects/web-shop/runs/r2",
            "/tenants/acm",
            "/no/such/page",
        ] {
            let body = text_of(app.get(path).await, 404).await;
            assert!(
                body.contains("404") && body.contains("<nav"),
                "{path}: {body}"
            );
        }
    })
    .await;
}

#[tokio::test]
async fn malformed_ids_get_a_400_and_never_a_500() {
    on_every_backend(|app| async move {
        seed(&app).await;

        for path in [
            "/tenants/%2e%2e",
            "/tenants/acme%2Fprojects",
            "/tenants/a%00b",
            "/tenants/acme/projects/web-shop/runs/r1?kind=secrets",
            "/tenants/acme/projects/web-shop/runs/..%5c..",
            "/tenants?after=..",
            &format!("/tenants/{}", "a".repeat(300)),
        ] {
            let (status, _) = raw_get(&app, path).await;
            assert!(status == 400 || status == 404, "{path} answered {status}");
        }
    })
    .await;
}

#[tokio::test]
async fn a_hostile_artifact_name_is_shown_escaped() {
    on_every_backend(|app| async move {
        let hostile = "<img src=x onerror=alert(1)> & \"x\"";
        app.put(&format!("{RUN}/screenshots/{hostile}.png"), png(16, 16))
            .await;

        let run = text_of(
            app.get("/tenants/acme/projects/web-shop/runs/r1").await,
            200,
        )
        .await;

        assert!(!run.contains("<img src=x"), "{run}");
        assert!(
            run.contains("&#60;img src=x") || run.contains("&lt;img src=x"),
            "{run}"
        );
        assert!(
            run.contains("%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E"),
            "links are encoded"
        );
    })
    .await;
}

#[tokio::test]
async fn searching_tenants_by_prefix_keeps_neighbours_apart() {
    on_every_backend(|app| async move {
        seed(&app).await;
        app.put("tenants/globex/projects/p/runs/r/tests/t.py", "x = 1\n")
            .await;

        let acme = text_of(app.get("/tenants?q=acme").await, 200).await;
        let corp = text_of(app.get("/tenants?q=acme-").await, 200).await;
        let none = text_of(app.get("/tenants?q=zzz").await, 200).await;

        assert!(acme.contains("href=\"/tenants/acme\"") && acme.contains("/tenants/acme-corp"));
        assert!(!acme.contains("globex"));
        assert!(!corp.contains("href=\"/tenants/acme\"") && corp.contains("/tenants/acme-corp"));
        assert!(none.contains("No tenant id starts with"), "{none}");
    })
    .await;
}

#[tokio::test]
async fn tenant_lists_paginate_forward_from_a_cursor() {
    on_every_backend(|app| async move {
        for i in 0..60 {
            app.put(
                &format!("tenants/t{i:03}/projects/p/runs/r/tests/t.py"),
                "x = 1\n",
            )
            .await;
        }

        let first = text_of(app.get("/tenants").await, 200).await;
        let second = text_of(app.get("/tenants?after=t049").await, 200).await;

        assert!(first.contains("/tenants/t049") && !first.contains("/tenants/t050"));
        assert!(first.contains("href=\"/tenants?after=t049\""), "{first}");
        assert!(second.contains("/tenants/t050") && second.contains("/tenants/t059"));
        assert!(!second.contains("/tenants/t049\""));
    })
    .await;
}

#[tokio::test]
async fn a_run_of_many_screenshots_is_shown_a_page_at_a_time() {
    on_every_backend(|app| async move {
        let tiny = png(4, 4);
        for i in 0..130 {
            app.put(&format!("{RUN}/screenshots/step {i:04}.png"), tiny.clone())
                .await;
        }

        let first = text_of(
            app.get("/tenants/acme/projects/web-shop/runs/r1").await,
            200,
        )
        .await;

        assert_eq!(first.matches("class=\"shot\"").count(), 60);
        assert!(
            first.contains("kind=screenshots&amp;after=step%200059")
                || first.contains("after=step%200059"),
            "{first}"
        );
    })
    .await;
}

#[tokio::test]
async fn an_empty_store_says_where_the_console_looks_and_what_to_do() {
    on_every_backend(|app| async move {
        let overview = text_of(app.get("/").await, 200).await;
        let tenants = text_of(app.get("/tenants").await, 200).await;

        for page in [&overview, &tenants] {
            assert!(page.contains("No tenants yet"), "{page}");
            assert!(page.contains("ARTIFACTS_DIR") && page.contains("artifact-console demo"));
        }
    })
    .await;
}
