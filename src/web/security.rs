//! Response headers every answer carries, the cookies the console sets, and the CSRF
//! check of state-changing requests.

use actix_web::cookie::{Cookie, SameSite, time::Duration as CookieDuration};
use actix_web::middleware::DefaultHeaders;

use crate::auth::token;

/// The session cookie: a random token whose SHA-256 names the server-side session.
pub const SESSION_COOKIE: &str = "console_session";
/// The sign-in form's CSRF cookie (double submit: the form carries the same value).
pub const LOGIN_CSRF_COOKIE: &str = "console_login_csrf";
/// The form field that carries the CSRF token.
pub const CSRF_FIELD: &str = "csrf_token";
/// The header that may carry the CSRF token instead (for scripts posting JSON).
pub const CSRF_HEADER: &str = "x-csrf-token";

/// No inline script or style, nothing from other origins, no framing, forms post only
/// to the console itself.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; media-src 'self'; object-src 'none'; \
     base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// The security headers of every response (added unless a handler set its own).
pub fn headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add(("Content-Security-Policy", CONTENT_SECURITY_POLICY))
        .add(("X-Frame-Options", "DENY"))
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("Referrer-Policy", "same-origin"))
        .add(("Cross-Origin-Opener-Policy", "same-origin"))
}

/// A cookie with the console's flags: `HttpOnly`, `SameSite=Strict`, `Path=/`, and
/// `Secure` when `COOKIE_SECURE` is set.
pub fn cookie(name: &'static str, value: String, secure: bool) -> Cookie<'static> {
    Cookie::build(name, value)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .finish()
}

/// A cookie that tells the browser to forget `name`.
pub fn removal(name: &'static str, secure: bool) -> Cookie<'static> {
    let mut gone = cookie(name, String::new(), secure);
    gone.set_max_age(CookieDuration::ZERO);
    gone
}

/// The CSRF token a request body or header carries, if any.
pub fn submitted_token(body: &[u8], header: Option<&str>) -> Option<String> {
    if let Some(value) = header {
        return Some(value.to_owned());
    }
    url::form_urlencoded::parse(body)
        .find(|(name, _)| name == CSRF_FIELD)
        .map(|(_, value)| value.into_owned())
}

/// Whether the submitted token is the expected one (constant-time comparison).
pub fn csrf_matches(expected: Option<&str>, submitted: Option<&str>) -> bool {
    match (expected, submitted) {
        (Some(expected), Some(submitted)) if !expected.is_empty() => {
            token::same(expected, submitted)
        }
        _ => false,
    }
}

/// Whether a method changes state and so needs a CSRF token.
pub fn changes_state(method: &actix_web::http::Method) -> bool {
    !matches!(method.as_str(), "GET" | "HEAD" | "OPTIONS")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_is_read_from_the_form_or_the_header() {
        let body = b"username=jane&csrf_token=abc%2Bdef&password=x";

        assert_eq!(submitted_token(body, None).as_deref(), Some("abc+def"));
        assert_eq!(submitted_token(b"a=b", Some("hdr")).as_deref(), Some("hdr"));
        assert_eq!(submitted_token(b"a=b", None), None);
    }

    #[test]
    fn a_missing_or_empty_expected_token_never_matches() {
        assert!(!csrf_matches(None, Some("x")));
        assert!(!csrf_matches(Some(""), Some("")));
        assert!(!csrf_matches(Some("abc"), None));
        assert!(csrf_matches(Some("abc"), Some("abc")));
    }

    #[test]
    fn the_policy_allows_no_inline_code() {
        assert!(!CONTENT_SECURITY_POLICY.contains("unsafe-inline"));
        assert!(CONTENT_SECURITY_POLICY.contains("default-src 'self'"));
    }
}
