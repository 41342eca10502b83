//! Accounts, roles, sessions, CSRF tokens and the sign-in throttle.
//!
//! Nothing here knows about HTTP: the web layer hands in the cookie's token, the form's
//! fields and the client address, and gets back who is signed in. Every function that
//! depends on the time takes `now`, so expiry is tested without waiting.

mod accounts;
mod bootstrap;
pub mod password;
mod session;
mod sign_in;
mod throttle;
pub mod token;

use std::fmt;

pub use accounts::{Account, AccountName, Role, create, disable, find, list, set_password};
pub use bootstrap::{Bootstrap, INITIAL_PASSWORD_FILE, bootstrap};
pub use session::{
    NewSession, SessionPolicy, SignedIn, end_session, resolve_session, start_session,
};
pub use sign_in::{SignInOutcome, SignInRefusal, sign_in};
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

/// Who is acting, for audit events: a signed-in account or the command line's operator.
#[derive(Clone, PartialEq, Eq)]
pub enum Acting {
    /// A signed-in console account.
    Account { id: i64, name: String },
    /// The operating-system user running the command line.
    Operator { name: String },
    /// The console itself (first-run set-up).
    System,
}

impl fmt::Debug for Acting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Account { name, .. } => write!(f, "account {name}"),
            Self::Operator { name } => write!(f, "operator {name}"),
            Self::System => f.write_str("system"),
        }
    }
}
