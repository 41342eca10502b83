//! Security headers on every answer, cookie flags, and sign-on through a trusted proxy.

use artifact_console::auth::Role;
use artifact_console::web::access::RULES;

use super::web_support::{self as ws, PASSWORD, client};
use crate::support::app::{self, Backend};

fn missing_headers(response: &reqwest::Response) -> Vec<&'static str> {
    let h = response.headers();
    let mut missing = Vec::new();
    let csp = h
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !csp.contains("default-src 'self'") || csp.contains("unsafe-inline") {
        missing.push("content-security-policy");
    }
    for (name, value) in [
        ("x-frame-options", "DENY"),
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "same-origin"),
    ] {
        if h.get(name).and_then(|v| v.to_str().ok()) != Some(value) {
            missing.push(name);
        }
    }
    missing
}

#[tokio::test]
async fn every_answer_carries_the_security_headers() {
    let app = app::spawn(Backend::Local).await;
    let admin = ws::signed_in(&app, "boss", Role::Admin).await;
    let mut paths: Vec<&str> = RULES
        .iter()
        .filter(|r| r.methods.contains(&"GET"))
        .map(|r| r.example)
        .collect();
    paths.extend(["/static/app.css", "/no/such/page"]);
    let mut wrong = Vec::new();

    for path in paths {
        for (who, client) in [("anonymous", &client()), ("admin", &admin)] {
            let answer = client
                .get(format!("{}{path}", app.address))
                .header("Accept", "text/html")
                .send()
                .await
                .expect("answer");
            let missing = missing_headers(&answer);
            if !missing.is_empty() {
                wrong.push(format!("{who} {path} ({}): {missing:?}", answer.status()));
            }
        }
    }

    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[tokio::test]
async fn cookies_are_http_only_strict_and_secure_when_configured() {
    let plain = app::spawn(Backend::Local).await;
    let secure = app::spawn_with(Backend::Local, &[("COOKIE_SECURE", "true")]).await;
    ws::add_account(&plain, "jane", Role::Viewer).await;

    let form = client()
        .get(format!("{}/login", secure.address))
        .send()
        .await
        .expect("form");
    let signed = ws::sign_in_as(&plain, &client(), "jane", PASSWORD).await;

    let session = signed
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("console_session="))
        .expect("a session cookie")
        .to_owned();
    assert!(
        session.contains("HttpOnly") && session.contains("SameSite=Strict"),
        "{session}"
    );
    assert!(!session.contains("Secure"), "{session}");
    let login = form
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .expect("the form's cookie")
        .to_owned();
    assert!(
        login.contains("Secure") && login.contains("HttpOnly") && login.contains("SameSite=Strict"),
        "{login}"
    );
}

#[tokio::test]
async fn a_trusted_proxy_signs_in_an_existing_account_and_others_are_ignored() {
    let trusted = app::spawn_with(
        Backend::Local,
        &[
            ("TRUSTED_PROXY_HEADER", "X-Forwarded-User"),
            ("TRUSTED_PROXIES", "127.0.0.1"),
        ],
    )
    .await;
    let untrusted = app::spawn_with(
        Backend::Local,
        &[
            ("TRUSTED_PROXY_HEADER", "X-Forwarded-User"),
            ("TRUSTED_PROXIES", "192.0.2.1"),
        ],
    )
    .await;
    ws::add_account(&trusted, "jane", Role::Viewer).await;
    ws::add_account(&untrusted, "jane", Role::Viewer).await;
    let ask = |address: String, user: &'static str| async move {
        client()
            .get(format!("{address}/"))
            .header("Accept", "text/html")
            .header("X-Forwarded-User", user)
            .send()
            .await
            .expect("answer")
    };

    let known = ask(trusted.address.clone(), "jane").await;
    let unknown = ask(trusted.address.clone(), "nobody").await;
    let not_from_the_proxy = ask(untrusted.address.clone(), "jane").await;

    assert_eq!(known.status(), 200);
    assert!(ws::sent_to_sign_in(&unknown));
    assert!(ws::sent_to_sign_in(&not_from_the_proxy));
}
