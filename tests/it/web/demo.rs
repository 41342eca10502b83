use artifact_console::demo::{self, DemoOutcome, DemoSize};

use super::text_of;
use crate::support::app::{self, Backend};

const SMALL: DemoSize = DemoSize {
    screenshots: 4,
    width: 320,
    min_height: 400,
};

#[tokio::test]
async fn the_demo_fills_an_empty_store_with_neighbouring_tenants() {
    let app = app::spawn(Backend::Local).await;

    let outcome = demo::fill(&app.artifacts, SMALL).await.expect("demo data");

    assert!(matches!(outcome, DemoOutcome::Filled { objects, .. } if objects > 40));
    let tenants = text_of(app.get("/tenants").await, 200).await;
    assert!(tenants.contains("/tenants/acme\"") && tenants.contains("/tenants/acme-corp\""));
    let run = text_of(
        app.get("/tenants/acme/projects/web-shop/runs/2026-12-01T0200Z-0000?kind=videos")
            .await,
        200,
    )
    .await;
    assert!(run.contains("<video"), "{run}");
}

#[tokio::test]
async fn the_demo_leaves_a_store_that_holds_anything_untouched() {
    let app = app::spawn(Backend::Local).await;
    app.put_raw("somewhere/else.txt", "not ours").await;

    let outcome = demo::fill(&app.artifacts, SMALL).await.expect("demo check");

    assert_eq!(outcome, DemoOutcome::LeftUntouched);
    let tenants = text_of(app.get("/tenants").await, 200).await;
    assert!(tenants.contains("No tenants yet"));
}
