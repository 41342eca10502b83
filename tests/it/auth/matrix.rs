//! The authorisation matrix: every route of the console's access table, as anonymous,
//! viewer and admin, with the answer each must get.

use artifact_console::auth::Role;
use artifact_console::web::access::{Access, RULES, Rule};

use super::web_support::{self as ws, client};
use crate::support::app::{self, Backend, TestApp};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    /// The guard sent the request to sign in (303 to /login for pages, 401 otherwise).
    SignInRequired,
    /// The guard refused a signed-in account (403).
    Forbidden,
    /// The request reached its handler, whatever that answered.
    Allowed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Anonymous,
    Viewer,
    Admin,
}

fn expected(access: Access, who: Who) -> Verdict {
    match (access, who) {
        (Access::Public, _) => Verdict::Allowed,
        (_, Who::Anonymous) => Verdict::SignInRequired,
        (Access::Admin, Who::Viewer) => Verdict::Forbidden,
        _ => Verdict::Allowed,
    }
}

async fn verdict(response: reqwest::Response) -> (Verdict, u16) {
    let status = response.status().as_u16();
    let to_sign_in = ws::sent_to_sign_in(&response);
    let body = response.text().await.unwrap_or_default();
    assert!(!body.contains("no access rule"), "a route without a rule");
    let verdict = if to_sign_in || (status == 401 && body.starts_with("Sign in first")) {
        Verdict::SignInRequired
    } else if status == 403 {
        Verdict::Forbidden
    } else {
        Verdict::Allowed
    };
    (verdict, status)
}

/// The token a client's POSTs carry: its session's, or the sign-in form's.
async fn token_for(app: &TestApp, client: &reqwest::Client, who: Who) -> String {
    match who {
        Who::Anonymous => {
            let form = client
                .get(format!("{}/login", app.address))
                .send()
                .await
                .expect("form");
            ws::csrf_of(&form.text().await.expect("html")).expect("a token")
        }
        Who::Viewer | Who::Admin => ws::session_csrf(app, client).await,
    }
}

async fn call(
    app: &TestApp,
    client: &reqwest::Client,
    method: &str,
    rule: &Rule,
    token: &str,
) -> reqwest::Response {
    let url = format!("{}{}", app.address, rule.example);
    let request = match method {
        "GET" => client.get(url).header("Accept", "text/html"),
        "POST" => client.post(url).form(&[
            ("csrf_token", token),
            ("username", "nobody"),
            ("password", "wrong"),
        ]),
        other => panic!("the matrix does not know the method {other}"),
    };
    request.send().await.expect("the console answers")
}

#[tokio::test]
async fn every_route_answers_each_role_as_its_rule_says() {
    let app = app::spawn(Backend::Local).await;
    let viewer = ws::signed_in(&app, "matrix-viewer", Role::Viewer).await;
    let admin = ws::signed_in(&app, "matrix-admin", Role::Admin).await;
    let anonymous = client();
    // Signing out ends the session the other rows need, so it goes last.
    let mut rules: Vec<&Rule> = RULES.iter().collect();
    rules.sort_by_key(|r| r.pattern == "/logout");
    let mut wrong = Vec::new();
    let mut checked = 0;

    for (who, client) in [
        (Who::Anonymous, &anonymous),
        (Who::Viewer, &viewer),
        (Who::Admin, &admin),
    ] {
        for rule in &rules {
            for method in rule.methods {
                let token = token_for(&app, client, who).await;
                let (got, status) = verdict(call(&app, client, method, rule, &token).await).await;
                let want = expected(rule.access, who);
                checked += 1;
                if got != want {
                    wrong.push(format!(
                        "{who:?} {method} {}: {got:?} ({status}), want {want:?}",
                        rule.example
                    ));
                }
            }
        }
    }

    assert!(checked >= RULES.len() * 3);
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[tokio::test]
async fn an_address_without_a_route_needs_a_session_before_it_says_not_found() {
    let app = app::spawn(Backend::Local).await;
    let viewer = ws::signed_in(&app, "jane", Role::Viewer).await;

    let anonymous = client()
        .get(format!("{}/no/such/page", app.address))
        .header("Accept", "text/html")
        .send()
        .await
        .expect("answer");
    let signed_in = viewer
        .get(format!("{}/no/such/page", app.address))
        .send()
        .await
        .expect("answer");

    assert!(ws::sent_to_sign_in(&anonymous));
    assert_eq!(signed_in.status(), 404);
}

#[tokio::test]
async fn scripts_without_a_session_get_401_not_a_redirect() {
    let app = app::spawn(Backend::Local).await;

    let answer = client()
        .get(format!("{}/tenants", app.address))
        .header("Accept", "application/json")
        .send()
        .await
        .expect("answer");

    assert_eq!(answer.status(), 401);
}
