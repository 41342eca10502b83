//! Signing in: throttle, password check with equal timing for unknown names, a new
//! session.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};

use super::{
    Account, AuthError, NewSession, SessionPolicy, ThrottlePolicy, password, start_session,
    throttle,
};
use crate::db::{self, Db, to_micros};

/// What a sign-in attempt led to.
#[derive(Debug)]
pub enum SignInOutcome {
    /// The password matched an active account; a session was started.
    SignedIn {
        account: Account,
        session: NewSession,
    },
    /// The attempt was refused.
    Refused(SignInRefusal),
}

/// Why a sign-in was refused. Wrong passwords, unknown names and disabled accounts all
/// give `BadCredentials`, so the answer never tells which names exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignInRefusal {
    /// The name and password do not match an active account.
    BadCredentials,
    /// Too many recent failures for this name or from this address.
    Throttled { until: DateTime<Utc> },
}

/// Checks a name and password and starts a session when they match.
pub async fn sign_in(
    db: &Db,
    name: &str,
    password: SecretString,
    address: Option<IpAddr>,
    policies: (SessionPolicy, ThrottlePolicy),
    now: DateTime<Utc>,
) -> Result<SignInOutcome, AuthError> {
    let (session_policy, throttle_policy) = policies;
    let subjects = throttle::subjects(&throttle_policy, name, address);
    if let Some(until) = throttle::locked_until(db, &subjects, now).await? {
        return Ok(SignInOutcome::Refused(SignInRefusal::Throttled { until }));
    }

    let Some(account) = check_password(db, name, password).await? else {
        throttle::record_failure(db, &throttle_policy, &subjects, now).await?;
        return Ok(SignInOutcome::Refused(SignInRefusal::BadCredentials));
    };

    throttle::clear(db, &subjects[0].0).await?;
    db::accounts::touch_sign_in(db, account.id, to_micros(now)).await?;
    let session = start_session(db, account.id, session_policy, now).await?;
    Ok(SignInOutcome::SignedIn { account, session })
}

/// The active account whose password this is. Every path runs exactly one argon2
/// verification, so the time taken does not tell an unknown name from a wrong password.
async fn check_password(
    db: &Db,
    name: &str,
    password: SecretString,
) -> Result<Option<Account>, AuthError> {
    let too_long = password.expose_secret().chars().count() > password::MAX_PASSWORD_CHARS;
    let record = match db::accounts::find_by_name(db, name).await? {
        Some(record) if !too_long => record,
        _ => {
            password::verify_dummy(password).await?;
            return Ok(None);
        }
    };
    let matches = password::verify(password, record.password_hash.clone()).await?;
    let account = Account::try_from(&record)?;
    Ok((matches && account.is_active()).then_some(account))
}
