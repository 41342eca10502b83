//! The web console against a real store: every page, artifact delivery, thumbnails,
//! health, the demo data and a real headless browser.

mod browser;
mod delivery;
mod demo;
mod health;
mod pages;
mod thumbnails;

use crate::support::app::{self, Backend, TestApp};
use crate::support::s3;

/// Every backend the console must work on, each with a fresh store. The S3 one is
/// served over HTTP.
pub async fn on_every_backend<F, Fut>(test: F)
where
    F: Fn(TestApp) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for (name, backend) in backends().await {
        eprintln!("-- on the {name} backend");
        test(app::spawn(backend).await).await;
    }
}

async fn backends() -> Vec<(&'static str, Backend)> {
    vec![
        ("local", Backend::Local),
        ("S3 (s3s over HTTP)", s3_backend().await),
    ]
}

/// A fresh bucket on an in-process s3s server, reached over HTTP with SigV4.
pub async fn s3_backend() -> Backend {
    let server = s3::S3sServer::start().await;
    let store = s3::fresh_bucket(&server.endpoint).await;
    Backend::S3 {
        settings: s3::settings(&server.endpoint, store.bucket()),
        guard: Box::new(server),
    }
}

/// A run's prefix used by most tests.
pub const RUN: &str = "tenants/acme/projects/web-shop/runs/r1";

/// A small valid PNG of `width` × `height` pixels.
pub fn png(width: u32, height: u32) -> Vec<u8> {
    artifact_console::demo::pictures::screenshot(7, width, height, [200, 60, 40])
}

/// The body of a response as text, after checking its status.
pub async fn text_of(response: reqwest::Response, status: u16) -> String {
    let got = response.status().as_u16();
    let url = response.url().to_string();
    let body = response.text().await.expect("a body");
    assert_eq!(got, status, "{url} answered {got}:\n{body}");
    body
}

/// Sends `GET path` exactly as written (an HTTP client would normalise `%2e%2e` and
/// friends away) and returns the status and the body.
pub async fn raw_get(app: &TestApp, path: &str) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let host = app.address.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(host).await.expect("connect");
    let cookie = &app.session_cookie;
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.expect("send");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.expect("read");
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {answer:?}"));
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}
