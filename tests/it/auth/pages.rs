//! Signing in and out through the real console over HTTP: the form, refusals, CSRF,
//! expiry, disabled accounts and throttling.

use artifact_console::auth::{AccountName, Role};
use artifact_console::db::to_micros;
use chrono::{TimeDelta, Utc};

use super::web_support::{self as ws, PASSWORD, client};
use crate::support::app::{self, Backend, TestApp};

async fn get_page(app: &TestApp, client: &reqwest::Client, path: &str) -> reqwest::Response {
    client
        .get(format!("{}{path}", app.address))
        .header("Accept", "text/html")
        .send()
        .await
        .expect("the console answers")
}

/// The page with what differs between two renderings (tokens, the echoed name) removed.
fn comparable(html: &str, name: &str) -> String {
    let token = ws::csrf_of(html).unwrap_or_default();
    html.replace(&token, "TOKEN").replace(name, "NAME")
}

#[tokio::test]
async fn signing_in_through_the_form_reaches_the_requested_page_with_the_user_shown() {
    let app = app::spawn(Backend::Local).await;
    ws::add_account(&app, "jane", Role::Viewer).await;
    let browser = client();

    let first = get_page(&app, &browser, "/tenants?q=ac").await;
    let form = get_page(&app, &browser, &ws::location(&first)).await;
    let html = form.text().await.expect("html");
    let token = ws::csrf_of(&html).expect("token");
    assert!(
        html.contains("name=\"next\" value=\"/tenants?q=ac\""),
        "{html}"
    );
    let signed = browser
        .post(format!("{}/login", app.address))
        .form(&[
            ("username", "jane"),
            ("password", PASSWORD),
            ("csrf_token", &token),
            ("next", "/tenants?q=ac"),
        ])
        .send()
        .await
        .expect("sign in");
    let page = get_page(&app, &browser, "/").await;

    assert!(ws::sent_to_sign_in(&first));
    assert_eq!(signed.status(), 303);
    assert_eq!(ws::location(&signed), "/tenants?q=ac");
    assert_eq!(page.status(), 200);
    let body = page.text().await.expect("html");
    assert!(
        body.contains("jane") && body.contains("action=\"/logout\""),
        "{body}"
    );
    assert!(
        !body.contains("href=\"/users\""),
        "a viewer is not offered account management"
    );
}

#[tokio::test]
async fn only_admins_are_offered_the_accounts_page_in_the_navigation() {
    let app = app::spawn(Backend::Local).await;

    let page = get_page(&app, &app.client, "/").await;

    let body = page.text().await.expect("html");
    assert!(body.contains("href=\"/users\""), "{body}");
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_user_get_the_same_answer() {
    let app = app::spawn(Backend::Local).await;
    ws::add_account(&app, "jane", Role::Viewer).await;

    let wrong = ws::sign_in_as(&app, &client(), "jane", "not the password").await;
    let unknown = ws::sign_in_as(&app, &client(), "nobody", "not the password").await;

    assert_eq!(wrong.status(), 401);
    assert_eq!(unknown.status(), 401);
    let wrong = wrong.text().await.expect("html");
    let unknown = unknown.text().await.expect("html");
    assert_eq!(comparable(&wrong, "jane"), comparable(&unknown, "nobody"));
    assert!(wrong.contains("The user name or the password is wrong."));
}

#[tokio::test]
async fn a_next_pointing_elsewhere_is_ignored() {
    let app = app::spawn(Backend::Local).await;
    ws::add_account(&app, "jane", Role::Viewer).await;
    let browser = client();
    let form = get_page(&app, &browser, "/login").await;
    let token = ws::csrf_of(&form.text().await.expect("html")).expect("token");

    let signed = browser
        .post(format!("{}/login", app.address))
        .form(&[
            ("username", "jane"),
            ("password", PASSWORD),
            ("csrf_token", &token),
            ("next", "//evil.example/x"),
        ])
        .send()
        .await
        .expect("sign in");

    assert_eq!(signed.status(), 303);
    assert_eq!(ws::location(&signed), "/");
}

#[tokio::test]
async fn a_form_without_the_right_csrf_token_is_refused_and_changes_nothing() {
    let app = app::spawn(Backend::Local).await;
    let admin = ws::signed_in(&app, "boss", Role::Admin).await;

    let missing = admin
        .post(format!("{}/users", app.address))
        .form(&[("username", "mallory"), ("role", "admin")])
        .send()
        .await
        .expect("answer");
    let forged = admin
        .post(format!("{}/users", app.address))
        .form(&[
            ("username", "mallory"),
            ("role", "admin"),
            ("csrf_token", &"0".repeat(64)),
        ])
        .send()
        .await
        .expect("answer");
    let login_without = client()
        .post(format!("{}/login", app.address))
        .form(&[("username", "boss"), ("password", PASSWORD)])
        .send()
        .await
        .expect("answer");

    assert_eq!(missing.status(), 403);
    assert_eq!(forged.status(), 403);
    assert_eq!(login_without.status(), 403);
    let name = AccountName::parse("mallory").expect("valid");
    assert!(
        artifact_console::auth::find(&app.db.db, &name)
            .await
            .is_err()
    );
}

#[tokio::test]
async fn an_admin_adds_and_disables_an_account_and_its_sessions_end() {
    let app = app::spawn(Backend::Local).await;
    let admin = ws::signed_in(&app, "boss", Role::Admin).await;
    let jane = ws::signed_in(&app, "jane", Role::Viewer).await;
    let token = ws::session_csrf(&app, &admin).await;

    let added = admin
        .post(format!("{}/users", app.address))
        .form(&[
            ("username", "joe"),
            ("role", "viewer"),
            ("csrf_token", &token),
        ])
        .send()
        .await
        .expect("add");
    let added_html = added.text().await.expect("html");
    let disabled = admin
        .post(format!("{}/users/jane/disable", app.address))
        .form(&[("csrf_token", &token)])
        .send()
        .await
        .expect("disable");
    let janes_next = get_page(&app, &jane, "/").await;
    let janes_sign_in = ws::sign_in_as(&app, &client(), "jane", PASSWORD).await;

    assert!(added_html.contains("shown only this once"), "{added_html}");
    assert_eq!(disabled.status(), 200);
    assert!(ws::sent_to_sign_in(&janes_next));
    assert_eq!(janes_sign_in.status(), 401);
}

#[tokio::test]
async fn signing_out_ends_the_session_even_for_a_copied_cookie() {
    let app = app::spawn(Backend::Local).await;
    ws::add_account(&app, "jane", Role::Viewer).await;
    let browser = client();
    let signed = ws::sign_in_as(&app, &browser, "jane", PASSWORD).await;
    let cookie = signed
        .cookies()
        .find(|c| c.name() == "console_session")
        .map(|c| c.value().to_owned())
        .expect("a session cookie");
    let token = ws::session_csrf(&app, &browser).await;

    let out = browser
        .post(format!("{}/logout", app.address))
        .form(&[("csrf_token", &token)])
        .send()
        .await
        .expect("sign out");
    let copied = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
        .get(format!("{}/", app.address))
        .header("Accept", "text/html")
        .header("Cookie", format!("console_session={cookie}"))
        .send()
        .await
        .expect("answer");

    assert_eq!(out.status(), 303);
    assert_eq!(ws::location(&out), "/login");
    assert!(ws::sent_to_sign_in(&copied));
}

#[tokio::test]
async fn each_sign_in_gets_a_new_session_id() {
    let app = app::spawn(Backend::Local).await;
    ws::add_account(&app, "jane", Role::Viewer).await;
    let browser = client();

    let first = ws::sign_in_as(&app, &browser, "jane", PASSWORD).await;
    // Signed in, the form redirects away; a second sign-in posts with the session's token.
    let token = ws::session_csrf(&app, &browser).await;
    let second = browser
        .post(format!("{}/login", app.address))
        .form(&[
            ("username", "jane"),
            ("password", PASSWORD),
            ("csrf_token", &token),
        ])
        .send()
        .await
        .expect("sign in again");

    let id = |r: &reqwest::Response| {
        r.cookies()
            .find(|c| c.name() == "console_session")
            .map(|c| c.value().to_owned())
    };
    let (a, b) = (id(&first).expect("first"), id(&second).expect("second"));
    assert_ne!(a, b);
    let stale = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
        .get(format!("{}/", app.address))
        .header("Accept", "text/html")
        .header("Cookie", format!("console_session={a}"))
        .send()
        .await
        .expect("answer");
    assert!(
        ws::sent_to_sign_in(&stale),
        "the first session ended at the second sign-in"
    );
}

#[tokio::test]
async fn idle_and_worn_out_sessions_send_the_browser_back_to_sign_in() {
    let app = app::spawn(Backend::Local).await;
    let idle = ws::signed_in(&app, "idle", Role::Viewer).await;
    let old = ws::signed_in(&app, "old", Role::Viewer).await;
    let fresh = ws::signed_in(&app, "fresh", Role::Viewer).await;
    let pool = app.db.db.pool();
    let back = |d: TimeDelta| to_micros(Utc::now() - d);

    // Age the sessions in the database instead of waiting: one unused for longer than
    // the idle limit, one started before the absolute limit (but used just now).
    sqlx::query("UPDATE sessions SET last_seen_micros = $1 WHERE account_id = (SELECT id FROM accounts WHERE name = 'idle')")
        .bind(back(app.settings.auth.session_idle + TimeDelta::seconds(1)))
        .execute(pool)
        .await
        .expect("age");
    sqlx::query("UPDATE sessions SET created_micros = $1 WHERE account_id = (SELECT id FROM accounts WHERE name = 'old')")
        .bind(back(app.settings.auth.session_max_age + TimeDelta::seconds(1)))
        .execute(pool)
        .await
        .expect("age");
    let forged = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
        .get(format!("{}/", app.address))
        .header("Accept", "text/html")
        .header("Cookie", format!("console_session={}", "f".repeat(64)))
        .send()
        .await
        .expect("answer");

    assert!(ws::sent_to_sign_in(&get_page(&app, &idle, "/").await));
    assert!(ws::sent_to_sign_in(&get_page(&app, &old, "/").await));
    assert_eq!(get_page(&app, &fresh, "/").await.status(), 200);
    assert!(ws::sent_to_sign_in(&forged));
}

#[tokio::test]
async fn repeated_failed_sign_ins_are_throttled_over_http() {
    let app = app::spawn(Backend::Local).await;
    ws::add_account(&app, "jane", Role::Viewer).await;
    let attacker = client();
    for _ in 0..5 {
        let answer = ws::sign_in_as(&app, &attacker, "jane", "guess guess").await;
        assert_eq!(answer.status(), 401);
    }

    let with_the_password = ws::sign_in_as(&app, &attacker, "jane", PASSWORD).await;

    assert_eq!(with_the_password.status(), 429);
    assert!(
        with_the_password
            .text()
            .await
            .expect("html")
            .contains("Too many failed sign-ins")
    );
}
