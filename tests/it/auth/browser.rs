//! A real headless Chromium signs in through the form and reaches the overview.

use artifact_console::auth::Role;
use serde_json::{Value, json};

use super::web_support::{self as ws, PASSWORD};
use crate::support::app::{self, Backend};
use crate::support::browser;

/// Where the page is and who its header says is signed in.
const WHERE: &str = r#"
const user = document.querySelector('.account .user');
return [location.pathname + location.search, user ? user.textContent : null, document.readyState];
"#;

const FILL_AND_SUBMIT: &str = r#"
document.querySelector('#username').value = arguments[0];
document.querySelector('#password').value = arguments[1];
document.querySelector('form[action="/login"] button[type="submit"]').click();
return true;
"#;

/// Asks the page where it is until `done` holds (navigation after a click is not
/// awaited by WebDriver); gives up after many tries rather than hanging.
async fn wait_for(b: &browser::Browser, done: impl Fn(&Value) -> bool) -> Value {
    let mut last = Value::Null;
    for _ in 0..200 {
        last = b.run(WHERE, json!([])).await;
        if done(&last) {
            return last;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the page never got there: {last}");
}

#[tokio::test]
async fn a_real_browser_signs_in_through_the_form_and_reaches_the_overview() {
    let Some(b) = browser::launch().await else {
        return;
    };
    let app = app::spawn(Backend::Local).await;
    ws::add_account(&app, "jane", Role::Viewer).await;

    b.goto(&format!("{}/", app.address)).await;
    let at_form = wait_for(&b, |v| v[2] == "complete").await;
    b.run(FILL_AND_SUBMIT, json!(["jane", PASSWORD])).await;
    let after = wait_for(&b, |v| v[0] == "/" && v[2] == "complete").await;

    assert_eq!(at_form[0], "/login?next=%2F", "{at_form}");
    assert!(
        after[1].as_str().is_some_and(|u| u.contains("jane")),
        "{after}"
    );
}
