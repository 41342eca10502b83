//! Server-side sessions: a random token in the cookie, its SHA-256 in the database,
//! idle and absolute expiry, and a CSRF token bound to each session.

use chrono::{DateTime, TimeDelta, Utc};
use secrecy::SecretString;

use super::{Account, AuthError, token};
use crate::db::{self, Db, sessions::SessionRecord, to_micros};

/// How long sessions last.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionPolicy {
    /// A session unused for this long ends (`SESSION_IDLE_MINUTES`, default 30).
    pub idle: TimeDelta,
    /// A session ends this long after sign-in whatever its use (`SESSION_MAX_HOURS`,
    /// default 12).
    pub max_age: TimeDelta,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        Self {
            idle: TimeDelta::minutes(30),
            max_age: TimeDelta::hours(12),
        }
    }
}

/// Writing `last_seen` on every request would turn every page view into a write; a
/// minute of slack on a 30-minute idle limit is harmless.
const TOUCH_AFTER: TimeDelta = TimeDelta::seconds(60);

/// A session just started: the token goes into the cookie and nowhere else.
pub struct NewSession {
    /// The cookie value.
    pub token: SecretString,
    /// The CSRF token forms of this session carry.
    pub csrf_token: String,
    /// When the session ends at the latest.
    pub expires_at: DateTime<Utc>,
}

impl std::fmt::Debug for NewSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewSession")
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// A request's valid session and its account.
#[derive(Clone)]
pub struct SignedIn {
    /// Who is signed in (active: disabled accounts never resolve).
    pub account: Account,
    /// The session's CSRF token.
    pub csrf_token: String,
    /// The stored hash of the session token, to end this session.
    pub token_hash: String,
}

impl std::fmt::Debug for SignedIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignedIn")
            .field("account", &self.account.name)
            .finish_non_exhaustive()
    }
}

/// Starts a session for an account.
pub async fn start_session(
    db: &Db,
    account_id: i64,
    policy: SessionPolicy,
    now: DateTime<Utc>,
) -> Result<NewSession, AuthError> {
    let token = token::new_token()?;
    let csrf_token = token::new_token()?;
    let expires_at = now + policy.max_age;
    let record = SessionRecord {
        token_hash: token::digest(&token),
        account_id,
        csrf_token: csrf_token.clone(),
        created_micros: to_micros(now),
        last_seen_micros: to_micros(now),
        expires_micros: to_micros(expires_at),
        revoked_micros: None,
    };
    db::sessions::insert(db, &record).await?;
    Ok(NewSession {
        token: SecretString::from(token),
        csrf_token,
        expires_at,
    })
}

/// The signed-in account behind a cookie token, or `None` when the token is malformed,
/// unknown, revoked, idle too long, past its absolute end, or its account is disabled.
pub async fn resolve_session(
    db: &Db,
    cookie_token: &str,
    policy: SessionPolicy,
    now: DateTime<Utc>,
) -> Result<Option<SignedIn>, AuthError> {
    if !token::well_formed(cookie_token) {
        return Ok(None);
    }
    let token_hash = token::digest(cookie_token);
    let Some(session) = db::sessions::find(db, &token_hash).await? else {
        return Ok(None);
    };
    let now_micros = to_micros(now);
    let idle_end = session.last_seen_micros + policy.idle.num_microseconds().unwrap_or(i64::MAX);
    // The absolute end is the earlier of what was stored at sign-in and what the
    // current setting allows, so lowering SESSION_MAX_HOURS takes effect at once.
    let max_end = session
        .expires_micros
        .min(session.created_micros + policy.max_age.num_microseconds().unwrap_or(i64::MAX));
    if session.revoked_micros.is_some() || now_micros >= idle_end || now_micros >= max_end {
        return Ok(None);
    }
    let Some(record) = db::accounts::find_by_id(db, session.account_id).await? else {
        return Ok(None);
    };
    let account = Account::try_from(&record)?;
    if !account.is_active() {
        return Ok(None);
    }
    if now_micros - session.last_seen_micros >= TOUCH_AFTER.num_microseconds().unwrap_or(0) {
        db::sessions::touch(db, &token_hash, now_micros).await?;
    }
    Ok(Some(SignedIn {
        account,
        csrf_token: session.csrf_token,
        token_hash,
    }))
}

/// Ends the session with this stored hash (sign-out); false when it had already ended.
pub async fn end_session(db: &Db, token_hash: &str, now: DateTime<Utc>) -> Result<bool, AuthError> {
    Ok(db::sessions::revoke(db, token_hash, to_micros(now)).await?)
}
