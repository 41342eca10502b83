//! A real headless Chromium, driven over the W3C WebDriver protocol by Debian's
//! `chromedriver`.
//!
//! WebDriver is a handful of JSON requests over HTTP, so this speaks it with the
//! `reqwest` client the tests already have instead of adding a WebDriver crate and its
//! dependency tree.

#![allow(
    dead_code,
    reason = "shared by every engineer's tests; not every build of them uses every helper"
)]

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use base64::Engine;
use serde_json::{Value, json};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// A browser session; the driver process and the profile folder go away on drop.
pub struct Browser {
    http: reqwest::Client,
    session: String,
    driver: Child,
    _profile: tempfile::TempDir,
}

/// Starts headless Chromium, or says why it cannot: `None` after printing
/// "skipped: ..." when Chromium is not installed, a panic instead when `CI` is set.
pub async fn launch() -> Option<Browser> {
    let missing: Vec<&str> = [CHROMIUM, CHROMEDRIVER]
        .into_iter()
        .filter(|p| !Path::new(p).exists())
        .collect();
    if !missing.is_empty() {
        let why = format!("no headless browser ({} not installed)", missing.join(", "));
        assert!(
            std::env::var_os("CI").is_none(),
            "{why}, and CI must not skip"
        );
        super::say_skipped(&why);
        return None;
    }
    Some(Browser::start().await)
}

/// A port the OS reports free right now; chromedriver binds it a moment later.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

impl Browser {
    async fn start() -> Self {
        let port = free_port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let http = reqwest::Client::new();
        let base = format!("http://127.0.0.1:{port}");
        for _ in 0..100 {
            if http.get(format!("{base}/status")).send().await.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let profile = tempfile::tempdir().expect("a profile folder");
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--mute-audio",
            "--window-size=1280,900",
            &format!("--user-data-dir={}", profile.path().display()),
        ];
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": CHROMIUM, "args": args},
        }}});
        let answer: Value = http
            .post(format!("{base}/session"))
            .json(&capabilities)
            .send()
            .await
            .expect("chromedriver answers")
            .json()
            .await
            .expect("a JSON answer");
        let id = answer["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no browser session: {answer}"));
        let browser = Self {
            http,
            session: format!("{base}/session/{id}"),
            driver,
            _profile: profile,
        };
        browser
            .command("timeouts", json!({"script": 30_000, "pageLoad": 60_000}))
            .await;
        browser
    }

    async fn command(&self, path: &str, body: Value) -> Value {
        let answer: Value = self
            .http
            .post(format!("{}/{path}", self.session))
            .json(&body)
            .send()
            .await
            .expect("chromedriver answers")
            .json()
            .await
            .expect("a JSON answer");
        if answer["value"]["error"].is_string() {
            panic!("WebDriver {path} failed: {answer}");
        }
        answer["value"].clone()
    }

    /// Loads `url` and waits for the page's load event.
    pub async fn goto(&self, url: &str) {
        self.command("url", json!({"url": url})).await;
    }

    /// Runs `script` (a function body; `arguments` holds `args`) and returns its value.
    pub async fn run(&self, script: &str, args: Value) -> Value {
        self.command("execute/sync", json!({"script": script, "args": args}))
            .await
    }

    /// Runs `script`, which calls `arguments[arguments.length - 1](value)` when done.
    pub async fn run_async(&self, script: &str, args: Value) -> Value {
        self.command("execute/async", json!({"script": script, "args": args}))
            .await
    }

    /// Signs in through the console's form at `address` and waits until the browser
    /// has left the form.
    pub async fn sign_in(&self, address: &str, name: &str, password: &str) {
        self.goto(&format!("{address}/login")).await;
        self.run(
            "document.querySelector('#username').value = arguments[0];\
             document.querySelector('#password').value = arguments[1];\
             document.querySelector('form[action=\"/login\"] button[type=\"submit\"]').click();",
            json!([name, password]),
        )
        .await;
        // WebDriver does not wait for a navigation a script started; ask until it is over.
        for _ in 0..200 {
            let state = self
                .run(
                    "return [location.pathname, document.readyState];",
                    json!([]),
                )
                .await;
            if state[0] != "/login" && state[1] == "complete" {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the browser did not get past the sign-in form");
    }

    /// A PNG of the visible part of the page.
    pub async fn screenshot(&self) -> Vec<u8> {
        let answer: Value = self
            .http
            .get(format!("{}/screenshot", self.session))
            .send()
            .await
            .expect("chromedriver answers")
            .json()
            .await
            .expect("a JSON answer");
        base64::engine::general_purpose::STANDARD
            .decode(answer["value"].as_str().expect("base64 PNG"))
            .expect("valid base64")
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Ending the session closes Chromium; killing the driver then frees its port.
        let session = self.session.clone();
        // Drop runs inside the test's runtime, which cannot be blocked on: a short-lived
        // thread with its own runtime sends the request.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime to end the browser session");
            runtime.block_on(async move {
                let _ = reqwest::Client::new().delete(&session).send().await;
            });
        })
        .join();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
