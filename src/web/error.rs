//! How the console answers when something goes wrong: a 4xx page that says what to do,
//! a 5xx page that shows the request id and nothing internal. The cause of a 5xx is
//! logged once, by the request span of tracing-actix-web.

use actix_web::dev::ServiceResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::{HttpMessage, HttpResponse, ResponseError};
use askama::Template;
use tracing_actix_web::RequestId;

use super::chrome::Chrome;
use crate::storage::{KeyError, StorageError};

/// An error a handler answers with; 4xx messages are meant for the user.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    /// Nothing is stored at this address.
    #[error("{what} was not found.")]
    NotFound { what: String, hint: String },
    /// The address or a parameter is malformed.
    #[error("{0}")]
    BadRequest(String),
    /// The requested byte range lies outside the object.
    #[error("The requested range lies outside the file ({size} bytes).")]
    RangeNotSatisfiable { size: u64 },
    /// The artifact store does not answer.
    #[error("the artifact store is unavailable: {0}")]
    StoreUnavailable(String),
    /// Anything else; the message is logged, never shown.
    #[error("internal error: {0}")]
    Internal(String),
}

impl WebError {
    /// A 404 for `what`, with a sentence saying where to go instead.
    pub fn not_found(what: impl Into<String>, hint: impl Into<String>) -> Self {
        Self::NotFound {
            what: what.into(),
            hint: hint.into(),
        }
    }

    /// A 400 for an id or key that cannot name anything in the store.
    pub fn malformed(what: &str, error: &KeyError) -> Self {
        Self::BadRequest(format!("This {what} is not valid: {error}."))
    }

    /// What the user can do about it, for 4xx pages.
    fn hint(&self) -> &str {
        match self {
            Self::NotFound { hint, .. } => hint,
            Self::BadRequest(_) => "Check the address, or start again from the list of tenants.",
            Self::RangeNotSatisfiable { .. } => "Ask for a range inside the file.",
            Self::StoreUnavailable(_) | Self::Internal(_) => "",
        }
    }
}

impl From<crate::db::DbError> for WebError {
    fn from(error: crate::db::DbError) -> Self {
        Self::Internal(error.to_string())
    }
}

impl From<StorageError> for WebError {
    fn from(error: StorageError) -> Self {
        match error {
            StorageError::NotFound(_) => Self::not_found(
                "This artifact",
                "It may have been erased. Go back to its run to see what is there now.",
            ),
            StorageError::InvalidKey(e) => Self::malformed("address", &e),
            StorageError::RangeNotSatisfiable { size } => Self::RangeNotSatisfiable { size },
            StorageError::Unavailable(_) | StorageError::Refused(_) => {
                Self::StoreUnavailable(error.to_string())
            }
            StorageError::Io(e) => Self::Internal(e.to_string()),
        }
    }
}

impl ResponseError for WebError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::NotFound { .. } => StatusCode::NOT_FOUND,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::RangeNotSatisfiable { .. } => StatusCode::RANGE_NOT_SATISFIABLE,
            Self::StoreUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::new(self.status_code());
        if let Self::RangeNotSatisfiable { size } = self
            && let Ok(value) = HeaderValue::from_str(&format!("bytes */{size}"))
        {
            response.headers_mut().insert(header::CONTENT_RANGE, value);
        }
        response
    }
}

/// The page of any 4xx or 5xx answer.
#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub chrome: Chrome,
    pub status: u16,
    pub title: String,
    pub message: String,
    pub hint: String,
    /// Shown on 5xx pages so staff can find the logged cause.
    pub request_id: Option<String>,
}

/// The default service: no route matches.
pub async fn not_found() -> Result<HttpResponse, WebError> {
    Err(WebError::not_found(
        "This page",
        "Start again from the overview or the list of tenants.",
    ))
}

/// Replaces the body of every error answer with the error page; answers built on
/// purpose (a 304, a readiness report) carry no error and pass through untouched.
pub fn render_error_page<B>(res: ServiceResponse<B>) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let Some(error) = res.response().error() else {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    };
    let status = res.status();
    if status.is_server_error() {
        tracing::error!(cause = %error, "the request failed");
    } else {
        tracing::warn!(cause = %error, "the request was refused");
    }
    let (message, hint) = explain(error, status);
    let (req, old) = res.into_parts();
    let request_id = status
        .is_server_error()
        .then(|| req.extensions().get::<RequestId>().map(ToString::to_string))
        .flatten();
    let page = ErrorPage {
        chrome: Chrome::for_request(&req),
        status: status.as_u16(),
        title: status.canonical_reason().unwrap_or("Error").to_owned(),
        message,
        hint,
        request_id,
    };
    let html = page.render().unwrap_or_else(|_| status.to_string());
    let mut builder = HttpResponse::build(status);
    builder.content_type("text/html; charset=utf-8");
    for name in [header::CONTENT_RANGE, header::RETRY_AFTER] {
        if let Some(value) = old.headers().get(&name) {
            builder.insert_header((name, value.clone()));
        }
    }
    let response = builder.body(html);
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(req, response).map_into_right_body(),
    ))
}

/// The message and the advice an error page shows; nothing internal for a 5xx.
fn explain(error: &actix_web::Error, status: StatusCode) -> (String, String) {
    match error.as_error::<WebError>() {
        Some(e) if status.is_client_error() => (e.to_string(), e.hint().to_owned()),
        Some(WebError::StoreUnavailable(_)) => (
            "The artifact store does not answer right now.".to_owned(),
            "Try again in a moment. /readyz shows whether the console can reach the \
             database and the store; the request id below finds the cause in the log."
                .to_owned(),
        ),
        _ if status.is_client_error() => (
            "This address is not valid.".to_owned(),
            "Check the address, or start again from the list of tenants.".to_owned(),
        ),
        _ => (
            "Something went wrong on our side.".to_owned(),
            "Try again in a moment. If it keeps happening, give the request id below to \
             whoever runs the console."
                .to_owned(),
        ),
    }
}
