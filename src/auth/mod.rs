//! Accounts, roles, sessions, CSRF tokens and the sign-in throttle.
//!
//! Nothing here knows about HTTP: the web layer hands in the cookie's token, the form's
//! fields and the client address, and gets back who is signed in. Every function that
//! depends on the time takes `now`, so expiry is tested without waiting.

mod accounts;
mod bootstrap;
pub mod password;
mod service;
mod session;
mod sign_in;
mod throttle;
pub mod token;

pub use accounts::{Account, AccountName, Role, find, list};
pub use bootstrap::{Bootstrap, INITIAL_PASSWORD_FILE};
pub use service::{Auth, Caller, actor_of};
pub use session::{NewSession, SessionPolicy, SignedIn, start_session};
pub use sign_in::{SignInOutcome, SignInRefusal};
pub use throttle::ThrottlePolicy;

use crate::db::DbError;

/// Why an account or session operation failed.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// The input was refused; the message says why and is safe to show.
    #[error("{0}")]
    Invalid(String),
    /// No account has this name.
    #[error("no account is named {0}")]
    NoSuchAccount(String),
    /// The name is taken.
    #[error("an account named {0} already exists")]
    NameTaken(String),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
    /// Something that should not fail did (no randomness, a crashed worker thread).
    #[error("{0}")]
    Internal(String),
}

impl From<sqlx::Error> for AuthError {
    fn from(e: sqlx::Error) -> Self {
        Self::Db(DbError::Query(e))
    }
}
