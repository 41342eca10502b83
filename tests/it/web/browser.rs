//! The run page of a seeded run in a real headless Chromium. With `DOCS_SCREENSHOTS=1`
//! the test also saves screenshots of the main pages under `docs/` for the README.

use artifact_console::demo::{self, DemoSize};
use serde_json::{Value, json};

use crate::support::app::{self, Backend};
use crate::support::browser::{self, Browser};

const RUN_PAGE: &str = "/tenants/acme/projects/web-shop/runs/2026-12-01T0200Z-0000";

/// Waits for the first few gallery images and reports their decoded widths.
const THUMBNAILS: &str = r#"
const done = arguments[arguments.length - 1];
const images = Array.from(document.querySelectorAll('.gallery img')).slice(0, 4);
Promise.all(images.map(i => i.decode().then(() => i.naturalWidth, () => 0))).then(done);
"#;

/// Waits for the video's metadata, seeks to 5 s and reports when `seeked` fires.
const VIDEO: &str = r#"
const done = arguments[arguments.length - 1];
const video = document.querySelector('video');
const report = (what) => done({what, readyState: video.readyState, currentTime: video.currentTime,
  duration: video.duration, error: video.error && video.error.code});
video.addEventListener('seeked', () => report('seeked'), {once: true});
video.addEventListener('error', () => report('error'), {once: true});
const seek = () => { video.currentTime = 5; };
if (video.readyState >= 1) { seek(); } else { video.addEventListener('loadedmetadata', seek, {once: true}); }
setTimeout(() => report('timeout'), 20000);
"#;

/// Reports the decoded widths of the diff viewer's images and whether the slider shows.
const DIFF: &str = r#"
const done = arguments[arguments.length - 1];
const diff = document.querySelector('section.diff');
const images = Array.from(diff.querySelectorAll('.side-by-side img, .overlay img'));
Promise.all(images.map(i => i.decode().then(() => i.naturalWidth, () => 0))).then(widths => done({
  widths, slider: !diff.querySelector('.overlay-slider').hidden }));
"#;

async fn save(browser: &Browser, name: &str) {
    if std::env::var_os("DOCS_SCREENSHOTS").is_none() {
        return;
    }
    let png = browser.screenshot().await;
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("docs")
        .join(name);
    std::fs::create_dir_all(path.parent().expect("docs folder")).expect("docs folder");
    std::fs::write(&path, png).expect("screenshot saved");
}

#[tokio::test]
async fn a_real_browser_shows_thumbnails_plays_and_seeks_the_video_and_compares_diffs() {
    let Some(browser) = browser::launch().await else {
        return;
    };
    let app = app::spawn(Backend::Local).await;
    let size = DemoSize {
        screenshots: 6,
        width: 1280,
        min_height: 1200,
    };
    demo::fill(&app.artifacts, size).await.expect("demo data");
    let run = format!("{}{RUN_PAGE}", app.address);
    browser
        .sign_in(&app.address, app::TESTER, app::TESTER_PASSWORD)
        .await;

    browser.goto(&format!("{run}?kind=screenshots")).await;
    let widths = browser.run_async(THUMBNAILS, json!([])).await;
    save(&browser, "run.png").await;

    browser.goto(&format!("{run}?kind=videos")).await;
    let video = browser.run_async(VIDEO, json!([])).await;

    browser.goto(&format!("{run}?kind=diffs")).await;
    let diff = browser.run_async(DIFF, json!([])).await;
    save(&browser, "diff-viewer.png").await;
    browser
        .run(
            "document.querySelector('.overlay').scrollIntoView();",
            json!([]),
        )
        .await;
    save(&browser, "diff-overlay.png").await;

    let widths: Vec<u64> = widths
        .as_array()
        .expect("widths")
        .iter()
        .filter_map(Value::as_u64)
        .collect();
    assert_eq!(widths.len(), 4);
    assert!(
        widths.iter().all(|&w| w == 240),
        "thumbnails decoded: {widths:?}"
    );
    assert_eq!(video["what"], "seeked", "{video}");
    assert!(video["readyState"].as_u64().unwrap_or(0) >= 1, "{video}");
    assert!(
        (video["currentTime"].as_f64().unwrap_or(0.0) - 5.0).abs() < 0.5,
        "{video}"
    );
    let diff_widths = diff["widths"].as_array().expect("widths");
    assert!(
        diff_widths.len() >= 4 && diff_widths.iter().all(|w| w.as_u64() == Some(1280)),
        "{diff}"
    );
    assert_eq!(
        diff["slider"], true,
        "the local script shows the overlay slider"
    );

    // The remaining pictures show what the usage scan adds: totals, sizes, run order.
    artifact_console::usage::scan_all(
        &app.db.db,
        &app.artifacts,
        "docs",
        std::time::Duration::ZERO,
    )
    .await
    .expect("usage scan");
    for (path, name) in [
        ("/", "overview.png"),
        ("/users", "users.png"),
        ("/tenants", "tenants.png"),
        ("/tenants/acme", "tenant.png"),
        ("/tenants/acme/projects/web-shop", "project.png"),
        (&format!("{RUN_PAGE}?kind=tests"), "tests.png"),
        (
            &format!("{RUN_PAGE}?kind=screenshots#view-0"),
            "lightbox.png",
        ),
    ] {
        browser.goto(&format!("{}{path}", app.address)).await;
        save(&browser, name).await;
    }
}
