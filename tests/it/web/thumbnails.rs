use artifact_console::demo::pictures;

use super::{RUN, on_every_backend, text_of};
use crate::support::app::{self, Backend, TestApp};

/// `src="/thumbnails/..."` attributes of a page, in order.
fn thumbnail_urls(html: &str) -> Vec<String> {
    html.split("src=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .filter(|url| url.starts_with("/thumbnails/"))
        .map(str::to_owned)
        .collect()
}

/// Every gallery page of the run, following the "next page" links.
async fn gallery(app: &TestApp) -> Vec<String> {
    let mut urls = Vec::new();
    let mut page = "/tenants/acme/projects/web-shop/runs/r1?kind=screenshots".to_owned();
    loop {
        let html = text_of(app.get(&page).await, 200).await;
        urls.extend(thumbnail_urls(&html));
        let Some(next) = html
            .split("class=\"pagination\"")
            .nth(1)
            .and_then(|rest| rest.split("</nav>").next())
            .filter(|nav| nav.contains("rel=\"next\""))
            .and_then(|nav| nav.split("rel=\"next\"").next())
            .and_then(|before| before.rsplit("href=\"").next())
            .filter(|href| href.starts_with("/tenants/"))
        else {
            return urls;
        };
        page = next
            .split('"')
            .next()
            .unwrap_or_default()
            .replace("&amp;", "&")
            .replace("&#38;", "&");
    }
}

#[tokio::test]
async fn a_gallery_of_200_full_page_screenshots_transfers_under_5_percent_of_their_bytes() {
    let app = app::spawn_with(Backend::Local, &[("THUMBNAIL_CACHE_MB", "1")]).await;
    let originals: Vec<Vec<u8>> = (0..5)
        .map(|seed| pictures::screenshot(seed, 1280, 2400 + seed as u32 * 300, [30, 90, 170]))
        .collect();
    let mut original_bytes = 0;
    for i in 0..200 {
        let png = originals[i % originals.len()].clone();
        original_bytes += png.len();
        app.put(&format!("{RUN}/screenshots/step {i:03}.png"), png)
            .await;
    }

    let urls = gallery(&app).await;
    let mut thumbnail_bytes = 0;
    for url in &urls {
        let response = app.get(url).await;
        assert_eq!(response.status(), 200, "{url}");
        assert_eq!(response.headers()["content-type"], "image/png");
        let body = response.bytes().await.expect("body");
        let decoded = image::load_from_memory(&body).expect("a PNG");
        assert_eq!(decoded.width(), 240);
        thumbnail_bytes += body.len();
    }

    eprintln!("thumbnails: {thumbnail_bytes} B for originals of {original_bytes} B");
    assert_eq!(urls.len(), 200);
    assert!(
        thumbnail_bytes * 20 < original_bytes,
        "thumbnails {thumbnail_bytes} B for originals of {original_bytes} B"
    );
    let cache = app.settings.data_dir.join("thumbnails");
    let cached: u64 = std::fs::read_dir(&cache)
        .expect("the cache folder")
        .map(|e| e.expect("entry").metadata().expect("meta").len())
        .sum();
    assert!(
        cached <= 1024 * 1024 + 64 * 1024,
        "the cache holds {cached} B over its 1 MiB cap"
    );
}

#[tokio::test]
async fn a_thumbnail_answers_304_to_its_own_tag_and_404_for_videos() {
    on_every_backend(|app| async move {
        app.put(&format!("{RUN}/screenshots/home.png"), super::png(640, 900))
            .await;
        app.put(&format!("{RUN}/videos/home.webm"), "not really a video")
            .await;
        let url = format!("/thumbnails/{RUN}/screenshots/home.png");

        let first = app.get(&url).await;
        let etag = first.headers()["etag"].to_str().expect("ascii").to_owned();
        let again = app.get_with(&url, &[("if-none-match", &etag)]).await;
        let video = app
            .get(&format!("/thumbnails/{RUN}/videos/home.webm"))
            .await;

        assert_eq!(first.status(), 200);
        assert_eq!(again.status(), 304);
        assert_eq!(video.status(), 404);
    })
    .await;
}
