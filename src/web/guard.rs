//! The sign-in guard: every request passes here first. It finds the session, applies
//! the route's access rule, checks the CSRF token of every state-changing request, and
//! offers the signed-in account to handlers through [`CurrentUser`] and [`AdminUser`].

use std::future::{Ready, ready};
use std::net::IpAddr;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::web::{Bytes, Data};
use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse, ResponseError};
use askama::Template;
use chrono::Utc;

use super::access::{self, Access};
use super::chrome::{self, Chrome};
use super::{AppState, security};
use crate::auth::{self, Account, AccountName, Auth, Role, SessionPolicy};

/// The audited account service of the running console.
pub fn accounts(state: &AppState) -> Auth {
    let policy = SessionPolicy {
        idle: state.settings.auth.session_idle,
        max_age: state.settings.auth.session_max_age,
    };
    Auth::new(state.db.clone(), state.audit.clone()).with_sessions(policy)
}

/// The client's address: the peer, or what a trusted proxy says the client was.
pub fn client_address(req: &HttpRequest, state: &AppState) -> Option<IpAddr> {
    let peer = req.peer_addr().map(|a| a.ip())?;
    let trusted = state
        .settings
        .auth
        .proxy
        .as_ref()
        .is_some_and(|p| p.proxies.contains(&peer));
    if !trusted {
        return Some(peer);
    }
    let forwarded = req
        .connection_info()
        .realip_remote_addr()
        .map(str::to_owned);
    forwarded
        .and_then(|a| {
            a.parse::<IpAddr>()
                .ok()
                .or_else(|| a.parse::<std::net::SocketAddr>().ok().map(|s| s.ip()))
        })
        .or(Some(peer))
}

/// The middleware (installed with `actix_web::middleware::from_fn(guard::check)`).
pub async fn check(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let Some(state) = req.app_data::<Data<AppState>>().cloned() else {
        return Ok(plain(
            req,
            StatusCode::INTERNAL_SERVER_ERROR,
            "not configured",
        ));
    };
    let Some(access) = access_of(&req) else {
        return Ok(plain(
            req,
            StatusCode::INTERNAL_SERVER_ERROR,
            "no access rule",
        ));
    };
    let is_login = req.match_pattern().as_deref() == Some("/login");

    let accounts = accounts(&state);
    let (signed_in, new_cookie) = identify(&req, &state, &accounts, access, is_login).await;
    if let Some(s) = &signed_in {
        remember(&req, s);
    }
    match (access, signed_in.as_ref().map(|s| s.account.role)) {
        (Access::SignedIn | Access::Admin, None) => return Ok(unauthenticated(req)),
        (Access::Admin, Some(Role::Viewer)) => {
            return Ok(denied(req, ONLY_ADMINS, "Ask an admin if you need it."));
        }
        _ => {}
    }
    if security::changes_state(req.method()) {
        // Sign-in forms carry the token of their cookie; everything else the session's.
        // A signed-in user's sign-in form may carry either.
        let mut expected: Vec<String> = signed_in.iter().map(|s| s.csrf_token.clone()).collect();
        if is_login || signed_in.is_none() {
            expected.extend(
                req.cookie(security::LOGIN_CSRF_COOKIE)
                    .map(|c| c.value().to_owned()),
            );
        }
        if !csrf_ok(&mut req, &expected).await? {
            return Ok(denied(
                req,
                STALE_FORM,
                "Go back, reload the page and send the form again.",
            ));
        }
    }

    let mut res = next.call(req).await?.map_into_boxed_body();
    if let Some(cookie) = new_cookie {
        res.response_mut().add_cookie(&cookie)?;
    }
    Ok(res)
}

const ONLY_ADMINS: &str = "Only admins may use this page.";
const STALE_FORM: &str =
    "This form has expired or did not come from the console; nothing was changed.";

/// What the request's route needs; `None` for a route without a rule, which is refused.
fn access_of(req: &ServiceRequest) -> Option<Access> {
    if req.path().starts_with("/static/") {
        return Some(Access::Public);
    }
    let pattern = req.match_pattern();
    match pattern.as_deref().map(access::rule_for) {
        Some(Some(rule)) => Some(rule.access),
        // No route matched: the not-found page still needs a session, so that
        // anonymous visitors learn nothing about which addresses exist.
        None => Some(Access::SignedIn),
        Some(None) => {
            tracing::error!(?pattern, "a route has no access rule in web::access");
            None
        }
    }
}

/// The signed-in account, from the session cookie or a trusted proxy's header; with
/// a cookie to set when the proxy started a new session.
async fn identify(
    req: &ServiceRequest,
    state: &AppState,
    accounts: &Auth,
    access: Access,
    is_login: bool,
) -> (
    Option<auth::SignedIn>,
    Option<actix_web::cookie::Cookie<'static>>,
) {
    if access == Access::Public && !is_login {
        return (None, None);
    }
    if let Some(found) = session_of(req, accounts).await {
        return (Some(found), None);
    }
    if access != Access::Public
        && let Some((by_proxy, cookie)) = proxy_sign_on(req, state, accounts).await
    {
        return (Some(by_proxy), Some(cookie));
    }
    (None, None)
}

async fn session_of(req: &ServiceRequest, accounts: &Auth) -> Option<auth::SignedIn> {
    let cookie = req.cookie(security::SESSION_COOKIE)?;
    match accounts.resolve(cookie.value(), Utc::now()).await {
        Ok(found) => found,
        Err(e) => {
            tracing::error!(error = %e, "cannot look the session up");
            None
        }
    }
}

/// Records who is signed in for the handlers and for every page's header.
fn remember(req: &ServiceRequest, s: &auth::SignedIn) {
    req.extensions_mut().insert(chrome::SignedIn {
        name: s.account.name.to_string(),
        role: s.account.role.to_string(),
        csrf_token: s.csrf_token.clone(),
    });
    req.extensions_mut().insert(s.clone());
}

/// Reads the body once to find the submitted token, then hands it on unchanged.
async fn csrf_ok(req: &mut ServiceRequest, expected: &[String]) -> Result<bool, actix_web::Error> {
    let body = req.extract::<Bytes>().await?;
    let header = req
        .headers()
        .get(security::CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let submitted = security::submitted_token(&body, header.as_deref());
    req.set_payload(Payload::from(body));
    Ok(expected
        .iter()
        .any(|e| security::csrf_matches(Some(e), submitted.as_deref())))
}

/// Single sign-on: a trusted proxy names the account in a header; an active account of
/// that name gets a session.
async fn proxy_sign_on(
    req: &ServiceRequest,
    state: &AppState,
    accounts: &Auth,
) -> Option<(auth::SignedIn, actix_web::cookie::Cookie<'static>)> {
    let proxy = state.settings.auth.proxy.as_ref()?;
    let peer = req.peer_addr()?.ip();
    if !proxy.proxies.contains(&peer) {
        return None;
    }
    let raw = req.headers().get(proxy.header.as_str())?.to_str().ok()?;
    let name = AccountName::parse(raw.trim()).ok()?;
    let account = auth::find(accounts.db(), &name).await.ok()?;
    if !account.is_active() {
        return None;
    }
    let source = client_address(req.request(), state);
    let now = Utc::now();
    let session = accounts
        .sign_in_by_proxy(&account, source, now)
        .await
        .ok()?;
    let token = secrecy::ExposeSecret::expose_secret(&session.token).to_owned();
    let signed_in = accounts.resolve(&token, now).await.ok()??;
    let cookie = security::cookie(
        security::SESSION_COOKIE,
        token,
        state.settings.cookie_secure,
    );
    Some((signed_in, cookie))
}

/// Anonymous: browsers asking for a page go to the sign-in form, anything else gets 401.
fn unauthenticated(req: ServiceRequest) -> ServiceResponse<BoxBody> {
    let wants_html = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    let secure = req
        .app_data::<Data<AppState>>()
        .is_some_and(|s| s.settings.cookie_secure);
    let stale_cookie = req.cookie(security::SESSION_COOKIE).is_some();
    let mut res = if wants_html && matches!(req.method().as_str(), "GET" | "HEAD") {
        let target = match req.query_string() {
            "" => req.path().to_owned(),
            q => format!("{}?{q}", req.path()),
        };
        let location = format!("/login?next={}", encode(&target));
        HttpResponse::SeeOther()
            .insert_header((header::LOCATION, location))
            .finish()
    } else {
        HttpResponse::Unauthorized()
            .content_type("text/plain; charset=utf-8")
            .body("Sign in first: this console needs a session.\n")
    };
    if stale_cookie {
        let _ = res.add_cookie(&security::removal(security::SESSION_COOKIE, secure));
    }
    req.into_response(res)
}

fn encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// The page of a refused request: signed-in viewers on admin pages, failed CSRF checks.
#[derive(Template)]
#[template(path = "auth/denied.html")]
struct DeniedPage {
    chrome: Chrome,
    message: &'static str,
    hint: &'static str,
}

fn denied(
    req: ServiceRequest,
    message: &'static str,
    hint: &'static str,
) -> ServiceResponse<BoxBody> {
    tracing::warn!(path = req.path(), "request refused: {message}");
    let page = DeniedPage {
        chrome: Chrome::for_request(req.request()),
        message,
        hint,
    };
    let res = match page.render() {
        Ok(html) => HttpResponse::Forbidden()
            .content_type("text/html; charset=utf-8")
            .body(html),
        Err(_) => HttpResponse::Forbidden().body(message),
    };
    req.into_response(res)
}

fn plain(req: ServiceRequest, status: StatusCode, text: &'static str) -> ServiceResponse<BoxBody> {
    let res = HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, HeaderValue::from_static("text/plain")))
        .body(text);
    req.into_response(res)
}

/// A handler that takes this only runs for a signed-in account.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    /// The account.
    pub account: Account,
    /// The session, to end it at sign-out.
    pub session: auth::SignedIn,
}

/// A handler that takes this only runs for a signed-in admin.
#[derive(Debug, Clone)]
pub struct AdminUser(pub CurrentUser);

/// Why an extractor refused: the guard should have stopped the request before.
#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    #[error("sign in first")]
    NotSignedIn,
    #[error("only admins may do this")]
    NotAdmin,
}

impl ResponseError for AccessError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::NotSignedIn => StatusCode::UNAUTHORIZED,
            Self::NotAdmin => StatusCode::FORBIDDEN,
        }
    }
}

fn current(req: &HttpRequest) -> Result<CurrentUser, AccessError> {
    let session = req
        .extensions()
        .get::<auth::SignedIn>()
        .cloned()
        .ok_or(AccessError::NotSignedIn)?;
    Ok(CurrentUser {
        account: session.account.clone(),
        session,
    })
}

impl FromRequest for CurrentUser {
    type Error = AccessError;
    type Future = Ready<Result<Self, AccessError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(current(req))
    }
}

impl FromRequest for AdminUser {
    type Error = AccessError;
    type Future = Ready<Result<Self, AccessError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(current(req).and_then(|user| match user.account.role {
            Role::Admin => Ok(Self(user)),
            Role::Viewer => Err(AccessError::NotAdmin),
        }))
    }
}
