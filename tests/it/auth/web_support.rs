//! Helpers of the web tests: accounts, clients that keep cookies, and the sign-in form.

use artifact_console::auth::{AccountName, Role};
use chrono::Utc;
use secrecy::SecretString;

use crate::support::app::TestApp;

/// The password every test account gets.
pub const PASSWORD: &str = "a long enough pw";

/// A client of its own (own cookie jar) that follows no redirects.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .expect("an HTTP client")
}

/// Creates an account with [`PASSWORD`].
pub async fn add_account(app: &TestApp, name: &str, role: Role) {
    let name = AccountName::parse(name).expect("a valid name");
    super::service(&app.db.db)
        .create(
            &super::operator(),
            &name,
            role,
            SecretString::from(PASSWORD),
            Utc::now(),
        )
        .await
        .expect("create the account");
}

/// The value of the first `csrf_token` field of a page.
pub fn csrf_of(html: &str) -> Option<String> {
    let at = html.find("name=\"csrf_token\" value=\"")?;
    let rest = &html[at + "name=\"csrf_token\" value=\"".len()..];
    rest.find('"').map(|end| rest[..end].to_owned())
}

/// Opens the sign-in form and posts it; returns the answer to the POST.
pub async fn sign_in_as(
    app: &TestApp,
    client: &reqwest::Client,
    name: &str,
    password: &str,
) -> reqwest::Response {
    let form = client
        .get(format!("{}/login", app.address))
        .send()
        .await
        .expect("the form");
    let token = csrf_of(&form.text().await.expect("html")).expect("a CSRF token in the form");
    client
        .post(format!("{}/login", app.address))
        .form(&[
            ("username", name),
            ("password", password),
            ("csrf_token", &token),
        ])
        .send()
        .await
        .expect("the console answers")
}

/// A client signed in as a new account of `role`.
pub async fn signed_in(app: &TestApp, name: &str, role: Role) -> reqwest::Client {
    add_account(app, name, role).await;
    let client = client();
    let answer = sign_in_as(app, &client, name, PASSWORD).await;
    assert_eq!(answer.status(), 303, "{name} signs in");
    client
}

/// The CSRF token of a signed-in client's session (from the sign-out form).
pub async fn session_csrf(app: &TestApp, client: &reqwest::Client) -> String {
    let page = client
        .get(format!("{}/", app.address))
        .header("Accept", "text/html")
        .send()
        .await
        .expect("the overview");
    csrf_of(&page.text().await.expect("html")).expect("the sign-out form's token")
}

/// Where a redirect points.
pub fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// Whether the console sent a browser to the sign-in form.
pub fn sent_to_sign_in(response: &reqwest::Response) -> bool {
    response.status() == 303 && location(response).starts_with("/login?next=")
}
