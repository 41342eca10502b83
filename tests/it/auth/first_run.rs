//! First run through the real binary: `serve` on an empty database prints a one-time
//! admin password that signs in, and leaves it in an owner-only file.

use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::process::{Child, Stdio};

use artifact_console::db::Dialect;

use super::web_support::{self as ws, client};
use crate::support::db::{self as testdb, console};

/// Kills the console when the test ends, however it ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Reads the console's standard output up to the sign-in line; returns (password, url).
fn announced(child: &mut Child) -> (String, String) {
    let stdout = child.stdout.take().expect("piped stdout");
    let mut password = None;
    for line in BufReader::new(stdout).lines() {
        let line = line.expect("a line of output");
        if let Some((_, p)) = line.split_once("readable only by you): ") {
            password = Some(p.trim().to_owned());
        }
        if let Some(rest) = line.strip_prefix("Sign in at ") {
            let url = rest.split_whitespace().next().expect("a URL").to_owned();
            return (password.expect("the password came first"), url);
        }
    }
    panic!("the console ended without announcing the first admin");
}

#[tokio::test]
async fn serve_on_an_empty_database_prints_a_one_time_admin_password_that_signs_in() {
    let t = testdb::fresh(Dialect::Sqlite).await;
    let dir = tempfile::tempdir().expect("a data folder");
    std::fs::create_dir_all(dir.path().join("artifacts")).expect("artifacts folder");
    let mut child = console(Some(&t.url), dir.path())
        .arg("serve")
        .env("BIND", "127.0.0.1:0")
        .env("ARTIFACTS_DIR", dir.path().join("artifacts"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the console starts");

    let ((password, url), child) = tokio::task::spawn_blocking(move || {
        let found = announced(&mut child);
        (found, child)
    })
    .await
    .expect("the output is read");
    let _running = Running(child);

    let file = dir.path().join("initial-admin-password");
    let written = std::fs::read_to_string(&file).expect("the password file");
    let mode = std::fs::metadata(&file).expect("meta").permissions().mode();
    assert_eq!(written.trim_end(), password);
    assert_eq!(mode & 0o777, 0o600);
    assert!(url.ends_with("/login"), "{url}");
    let browser = client();
    let form = browser
        .get(&url)
        .send()
        .await
        .expect("the form")
        .text()
        .await
        .expect("html");
    let token = ws::csrf_of(&form).expect("a token");
    let signed = browser
        .post(&url)
        .form(&[
            ("username", "admin"),
            ("password", password.as_str()),
            ("csrf_token", &token),
        ])
        .send()
        .await
        .expect("sign in");
    assert_eq!(signed.status(), 303);
}
