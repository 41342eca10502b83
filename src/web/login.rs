//! `GET /login`, `POST /login`, `POST /logout`: signing in and out.
//!
//! The form's CSRF token is a double submit: a random value in a strict same-site
//! cookie and the same value in the form; the guard compares them. A successful
//! sign-in always starts a new session (the old one, if any, is ended), so a session id
//! planted before sign-in is worthless after it.

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::web::{self, Data, Form, Query, ServiceConfig};
use actix_web::{HttpMessage, HttpRequest, HttpResponse};
use askama::Template;
use chrono::Utc;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::chrome::Chrome;
use super::error::WebError;
use super::guard::{self, CurrentUser};
use super::{AppState, security};
use crate::auth::{self, SignInOutcome, SignInRefusal, token};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.route("/login", web::get().to(form))
        .route("/login", web::post().to(sign_in))
        .route("/logout", web::post().to(sign_out));
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    chrome: Chrome,
    csrf_token: String,
    next: String,
    username: String,
    message: Option<&'static str>,
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

/// The sign-in form's fields (no `Debug`: it holds the password until it is wrapped).
#[derive(Deserialize)]
struct SignInForm {
    username: String,
    password: String,
    next: Option<String>,
}

const WRONG: &str = "The user name or the password is wrong.";
const THROTTLED: &str = "Too many failed sign-ins for this name or from this address. Wait a few minutes and try again.";

async fn form(
    req: HttpRequest,
    query: Query<NextQuery>,
    state: Data<AppState>,
) -> Result<HttpResponse, WebError> {
    let next = safe_next(query.next.as_deref());
    if req.extensions().get::<auth::SignedIn>().is_some() {
        return Ok(see_other(&next));
    }
    let csrf_token = token::new_token().map_err(|e| WebError::Internal(e.to_string()))?;
    render(
        &req,
        &state,
        StatusCode::OK,
        csrf_token,
        next,
        String::new(),
        None,
    )
}

async fn sign_in(
    req: HttpRequest,
    state: Data<AppState>,
    Form(fields): Form<SignInForm>,
) -> Result<HttpResponse, WebError> {
    let next = safe_next(fields.next.as_deref());
    let accounts = guard::accounts(&state);
    let source = guard::client_address(&req, &state);
    let now = Utc::now();

    let outcome = accounts
        .sign_in(
            fields.username.trim(),
            SecretString::from(fields.password),
            source,
            now,
        )
        .await
        .map_err(|e| WebError::Internal(e.to_string()))?;

    match outcome {
        SignInOutcome::SignedIn { session, .. } => {
            let previous = req.extensions().get::<auth::SignedIn>().cloned();
            if let Some(previous) = previous {
                let _ = accounts.sign_out(&previous, source, now).await;
            }
            let secure = state.settings.cookie_secure;
            let value = session.token.expose_secret().to_owned();
            Ok(HttpResponse::SeeOther()
                .insert_header((header::LOCATION, next))
                .cookie(security::cookie(security::SESSION_COOKIE, value, secure))
                .cookie(security::removal(security::LOGIN_CSRF_COOKIE, secure))
                .finish())
        }
        SignInOutcome::Refused(refusal) => {
            let (status, message) = match refusal {
                SignInRefusal::BadCredentials => (StatusCode::UNAUTHORIZED, WRONG),
                SignInRefusal::Throttled { .. } => (StatusCode::TOO_MANY_REQUESTS, THROTTLED),
            };
            let csrf_token = req
                .cookie(security::LOGIN_CSRF_COOKIE)
                .map(|c| c.value().to_owned())
                .unwrap_or_default();
            let username = fields.username.chars().take(64).collect();
            render(
                &req,
                &state,
                status,
                csrf_token,
                next,
                username,
                Some(message),
            )
        }
    }
}

async fn sign_out(
    req: HttpRequest,
    user: CurrentUser,
    state: Data<AppState>,
) -> Result<HttpResponse, WebError> {
    let source = guard::client_address(&req, &state);
    guard::accounts(&state)
        .sign_out(&user.session, source, Utc::now())
        .await
        .map_err(|e| WebError::Internal(e.to_string()))?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/login"))
        .cookie(security::removal(
            security::SESSION_COOKIE,
            state.settings.cookie_secure,
        ))
        .finish())
}

fn render(
    req: &HttpRequest,
    state: &AppState,
    status: StatusCode,
    csrf_token: String,
    next: String,
    username: String,
    message: Option<&'static str>,
) -> Result<HttpResponse, WebError> {
    let cookie = security::cookie(
        security::LOGIN_CSRF_COOKIE,
        csrf_token.clone(),
        state.settings.cookie_secure,
    );
    let page = LoginPage {
        chrome: Chrome::for_request(req),
        csrf_token,
        next,
        username,
        message,
    };
    let html = page
        .render()
        .map_err(|e| WebError::Internal(e.to_string()))?;
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .cookie(cookie)
        .body(html))
}

fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location.to_owned()))
        .finish()
}

/// Where to go after signing in: `next` when it is a path on this console, else `/`.
pub fn safe_next(next: Option<&str>) -> String {
    let Some(next) = next else {
        return "/".to_owned();
    };
    let same_origin = next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains('\\')
        && next.bytes().all(|b| b.is_ascii_graphic())
        && next.len() <= 2048;
    let loops = ["/login", "/logout"]
        .iter()
        .any(|p| next == *p || next.starts_with(&format!("{p}?")));
    if same_origin && !loops {
        next.to_owned()
    } else {
        "/".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_only_leads_to_paths_of_this_console() {
        for (given, expected) in [
            (Some("/tenants/acme?page=2"), "/tenants/acme?page=2"),
            (None, "/"),
            (Some("https://evil.example/"), "/"),
            (Some("//evil.example/x"), "/"),
            (Some("/\\evil.example"), "/"),
            (Some("javascript:alert(1)"), "/"),
            (Some("/login?next=/x"), "/"),
            (Some("/ok\r\nSet-Cookie: x=y"), "/"),
            (Some("/tenants/caf\u{e9}"), "/"),
        ] {
            assert_eq!(safe_next(given), expected, "{given:?}");
        }
    }
}
