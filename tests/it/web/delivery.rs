use super::{RUN, on_every_backend, raw_get};
use crate::support::app::TestApp;

/// 1,000 bytes whose value tells their offset.
fn numbered() -> Vec<u8> {
    (0..1000u32).map(|i| (i % 251) as u8).collect()
}

async fn seed(app: &TestApp) -> String {
    app.put(&format!("{RUN}/videos/clip.webm"), numbered())
        .await;
    format!("/artifacts/{RUN}/videos/clip.webm")
}

#[tokio::test]
async fn an_artifact_streams_with_type_length_tag_and_date() {
    on_every_backend(|app| async move {
        let path = seed(&app).await;

        let response = app.get(&path).await;

        assert_eq!(response.status(), 200);
        let headers = response.headers().clone();
        assert_eq!(headers["content-type"], "video/webm");
        assert_eq!(headers["content-length"], "1000");
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert_eq!(headers["accept-ranges"], "bytes");
        assert!(headers.contains_key("etag") && headers.contains_key("last-modified"));
        assert!(
            headers["content-disposition"]
                .to_str()
                .unwrap()
                .starts_with("inline")
        );
        assert_eq!(response.bytes().await.expect("body").to_vec(), numbered());
    })
    .await;
}

#[tokio::test]
async fn ranges_get_206_with_exactly_the_asked_bytes() {
    on_every_backend(|app| async move {
        let path = seed(&app).await;
        let all = numbered();

        for (range, start, end) in [
            ("bytes=10-19", 10, 19),
            ("bytes=990-", 990, 999),
            ("bytes=-5", 995, 999),
            ("bytes=900-5000", 900, 999),
        ] {
            let response = app.get_with(&path, &[("range", range)]).await;

            assert_eq!(response.status(), 206, "{range}");
            assert_eq!(
                response.headers()["content-range"],
                format!("bytes {start}-{end}/1000").as_str()
            );
            let body = response.bytes().await.expect("body");
            assert_eq!(body.as_ref(), &all[start..=end], "{range}");
        }
    })
    .await;
}

#[tokio::test]
async fn a_range_past_the_end_gets_416_with_the_size() {
    on_every_backend(|app| async move {
        let path = seed(&app).await;

        let response = app.get_with(&path, &[("range", "bytes=1000-")]).await;

        assert_eq!(response.status(), 416);
        assert_eq!(response.headers()["content-range"], "bytes */1000");
    })
    .await;
}

#[tokio::test]
async fn a_current_copy_gets_304_without_a_body() {
    on_every_backend(|app| async move {
        let path = seed(&app).await;
        let first = app.get(&path).await;
        let etag = first.headers()["etag"].to_str().expect("ascii").to_owned();

        let again = app.get_with(&path, &[("if-none-match", &etag)]).await;
        let changed = app.get_with(&path, &[("if-none-match", "\"other\"")]).await;

        assert_eq!(again.status(), 304);
        assert!(again.bytes().await.expect("body").is_empty());
        assert_eq!(changed.status(), 200);
    })
    .await;
}

#[tokio::test]
async fn downloads_are_attachments_named_after_the_artifact() {
    on_every_backend(|app| async move {
        app.put(&format!("{RUN}/tests/test_ünï \"q\".py"), "x = 1\n")
            .await;

        let response = app
            .get(&format!(
                "/artifacts/{RUN}/tests/test_%C3%BCn%C3%AF%20%22q%22.py?download=1"
            ))
            .await;

        assert_eq!(response.status(), 200);
        let disposition = response.headers()["content-disposition"]
            .to_str()
            .expect("ascii")
            .to_owned();
        assert!(disposition.starts_with("attachment"), "{disposition}");
        assert!(
            disposition.contains("filename*=UTF-8''test_%C3%BCn%C3%AF"),
            "{disposition}"
        );
        assert_eq!(
            response.headers()["content-type"],
            "text/x-python; charset=utf-8"
        );
    })
    .await;
}

#[tokio::test]
async fn keys_that_escape_or_break_the_layout_get_400_or_404_never_a_byte() {
    on_every_backend(|app| async move {
        seed(&app).await;
        app.put_raw("tenants/acme/notes.txt", "outside the layout")
            .await;

        for path in [
            "/artifacts/tenants/acme/projects/web-shop/runs/r1/videos/..%2F..%2F..%2Fnotes.txt",
            "/artifacts/tenants/acme/projects/web-shop/runs/r1/videos/%2e%2e/clip.webm",
            "/artifacts/tenants/acme/projects/web-shop/runs/r1/videos/a%00.webm",
            "/artifacts/tenants/acme/projects/web-shop/runs/r1/videos/a%5c..%5cb.webm",
            "/artifacts/tenants/acme/notes.txt",
            "/artifacts/..%2f..%2fetc%2fpasswd",
            "/artifacts/%2Fetc%2Fpasswd",
            "/artifacts/tenants/acme/projects/web-shop/runs/r1/videos/clip.png",
            "/artifacts/tenants/acme/projects/web-shop/runs/r1/videos/missing.webm",
            "/artifacts/tenants/acme-corp/projects/web-shop/runs/r1/videos/clip.webm",
            "/artifacts/tenants/acme/projects/web-shop/runs/r1/videos/%FF.webm",
            &format!("/artifacts/{RUN}/videos/{}.webm", "n".repeat(1100)),
        ] {
            let (status, body) = raw_get(&app, path).await;

            assert!(status == 400 || status == 404, "{path} answered {status}");
            assert!(!body.contains("outside the layout"), "{path}");
        }
    })
    .await;
}
