//! Which S3 failures are worth another try, the back-off between tries, and how
//! `minio` errors become [`StorageError`]s (never with a credential in them).

use std::future::Future;
use std::time::{Duration, SystemTime};

use minio::s3::error::{Error, NetworkError, S3ServerError, ValidationErr};
use minio::s3::minio_error_response::MinioErrorCode;

use crate::storage::StorageError;

/// How often and how patiently a request is tried again.
#[derive(Debug, Clone, Copy)]
pub(super) struct Backoff {
    /// Tries per request, the first included.
    pub attempts: u32,
    /// The wait before the second try; each later wait doubles it.
    pub first_delay: Duration,
    /// The longest single wait.
    pub max_delay: Duration,
}

impl Backoff {
    /// Five tries over about three seconds.
    pub const DEFAULT: Self = Self {
        attempts: 5,
        first_delay: Duration::from_millis(100),
        max_delay: Duration::from_secs(5),
    };
}

/// Error codes S3 servers send when asked to try again later.
const TRANSIENT_CODES: [&str; 4] = [
    "internalerror",
    "serviceunavailable",
    "slowdown",
    "requesttimeout",
];

/// Whether a failure is transient: a 5xx answer (but not 501 Not Implemented), a
/// timeout, or a connection that could not be made or was reset. 4xx answers are final.
pub(super) fn is_transient(error: &Error) -> bool {
    match error {
        Error::S3Server(S3ServerError::S3Error(response)) => match response.code() {
            MinioErrorCode::OtherError(code) => {
                TRANSIENT_CODES.contains(&code.to_ascii_lowercase().as_str())
            }
            _ => false,
        },
        Error::S3Server(S3ServerError::InvalidServerResponse {
            http_status_code, ..
        })
        | Error::S3Server(S3ServerError::HttpError(http_status_code, _))
        | Error::Network(NetworkError::ServerError(http_status_code)) => {
            is_transient_status(*http_status_code)
        }
        Error::Network(NetworkError::ReqwestError(e))
        | Error::Validation(ValidationErr::HttpError(e)) => {
            e.is_timeout() || e.is_connect() || e.is_request() || e.is_body()
        }
        _ => false,
    }
}

fn is_transient_status(status: u16) -> bool {
    (500..600).contains(&status) && status != 501
}

/// Runs `attempt` with the default [`Backoff`].
pub(super) async fn retry<T, F, Fut>(what: &str, attempt: F) -> Result<T, Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Error>>,
{
    retry_with(Backoff::DEFAULT, what, attempt).await
}

/// Runs `attempt` until it succeeds, fails for good, or has been tried
/// `backoff.attempts` times, sleeping with exponential back-off and jitter in between.
pub(super) async fn retry_with<T, F, Fut>(
    backoff: Backoff,
    what: &str,
    mut attempt: F,
) -> Result<T, Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Error>>,
{
    let mut delay = backoff.first_delay;
    let mut tries = 1;
    loop {
        match attempt().await {
            Err(e) if tries < backoff.attempts && is_transient(&e) => {
                tracing::warn!(operation = what, tries, error = %e, "transient S3 failure, retrying");
                tokio::time::sleep(delay + jitter(delay)).await;
                delay = (delay * 2).min(backoff.max_delay);
                tries += 1;
            }
            other => return other,
        }
    }
}

/// Up to half of `delay`, so that many clients failing together do not retry together.
fn jitter(delay: Duration) -> Duration {
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let half = delay.as_millis().max(1) as u64 / 2 + 1;
    Duration::from_millis(u64::from(nanos) % half)
}

/// Whether the server says it does not offer an operation at all (s3s answers 501 for
/// versioning and multipart listings, some servers 405).
pub(super) fn is_unsupported(error: &Error) -> bool {
    match error {
        Error::S3Server(S3ServerError::S3Error(response)) => match response.code() {
            MinioErrorCode::MethodNotAllowed | MinioErrorCode::NotSupported => true,
            MinioErrorCode::OtherError(code) => code.eq_ignore_ascii_case("notimplemented"),
            _ => false,
        },
        Error::S3Server(S3ServerError::HttpError(status, _))
        | Error::Network(NetworkError::ServerError(status)) => matches!(status, 405 | 501),
        _ => false,
    }
}

/// Whether the server answered with this S3 error code (compared without case).
pub(super) fn has_code(error: &Error, code: &str) -> bool {
    match error {
        Error::S3Server(S3ServerError::S3Error(response)) => {
            response.code().to_string().eq_ignore_ascii_case(code)
        }
        _ => false,
    }
}

/// Turns a `minio` error into a [`StorageError`]; `key` names the object for not-found.
pub(super) fn storage_error(error: Error, key: Option<&str>) -> StorageError {
    if let Error::S3Server(S3ServerError::S3Error(response)) = &error {
        let message = response.message().clone().unwrap_or_default();
        return match response.code() {
            MinioErrorCode::NoSuchKey => {
                StorageError::NotFound(key.unwrap_or(response.resource()).to_owned())
            }
            MinioErrorCode::NoSuchBucket => {
                StorageError::Refused(format!("the bucket does not exist ({message})"))
            }
            MinioErrorCode::AccessDenied => {
                StorageError::Refused(format!("access denied ({message})"))
            }
            code if is_transient(&error) => StorageError::Unavailable(format!("{code}: {message}")),
            code => StorageError::Refused(format!("{code}: {message}")),
        };
    }
    if is_transient(&error) {
        StorageError::Unavailable(error.to_string())
    } else {
        StorageError::Refused(error.to_string())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use minio::s3::minio_error_response::MinioErrorResponse;

    use super::*;

    const QUICK: Backoff = Backoff {
        attempts: 4,
        first_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(2),
    };

    fn s3_error(status: u16, message: &str) -> Error {
        Error::S3Server(S3ServerError::S3Error(Box::new(
            MinioErrorResponse::from_status_and_message(status, message.to_owned()),
        )))
    }

    #[test]
    fn server_errors_and_throttling_are_transient() {
        assert!(is_transient(&Error::Network(NetworkError::ServerError(
            503
        ))));
        assert!(is_transient(&Error::Network(NetworkError::ServerError(
            500
        ))));
        assert!(is_transient(&Error::S3Server(S3ServerError::HttpError(
            502,
            String::new()
        ))));
    }

    #[test]
    fn client_errors_and_not_implemented_are_final() {
        assert!(!is_transient(&Error::Network(NetworkError::ServerError(
            501
        ))));
        assert!(!is_transient(&s3_error(404, "gone")));
        assert!(!is_transient(&s3_error(403, "denied")));
        assert!(!is_transient(&Error::S3Server(S3ServerError::HttpError(
            400,
            String::new()
        ))));
    }

    #[tokio::test]
    async fn transient_failures_are_retried_until_success() {
        let calls = AtomicU32::new(0);

        let result = retry_with(QUICK, "test", || async {
            match calls.fetch_add(1, Ordering::SeqCst) {
                0 | 1 => Err(Error::Network(NetworkError::ServerError(503))),
                _ => Ok(7),
            }
        })
        .await;

        assert_eq!(result.ok(), Some(7));
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn client_errors_are_not_retried() {
        let calls = AtomicU32::new(0);

        let result: Result<(), Error> = retry_with(QUICK, "test", || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(s3_error(403, "denied"))
        })
        .await;

        assert!(result.is_err());
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn retries_give_up_after_the_last_attempt() {
        let calls = AtomicU32::new(0);

        let result: Result<(), Error> = retry_with(QUICK, "test", || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(Error::Network(NetworkError::ServerError(500)))
        })
        .await;

        assert!(result.is_err());
        assert_eq!(calls.load(Ordering::SeqCst), QUICK.attempts);
    }
}
