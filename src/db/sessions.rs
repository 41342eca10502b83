//! The `sessions` table: server-side sign-in sessions, keyed by the SHA-256 of the
//! cookie's token.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Db, DbError};

/// One row of `sessions`.
#[derive(Clone)]
pub struct SessionRecord {
    /// Hex SHA-256 of the cookie token.
    pub token_hash: String,
    /// The signed-in account.
    pub account_id: i64,
    /// The session's CSRF token (a secret: never logged).
    pub csrf_token: String,
    /// When the session began.
    pub created_micros: i64,
    /// The last request seen on it (idle expiry counts from here).
    pub last_seen_micros: i64,
    /// The absolute end of the session.
    pub expires_micros: i64,
    /// When it was ended by sign-out or by disabling the account.
    pub revoked_micros: Option<i64>,
}

impl std::fmt::Debug for SessionRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionRecord")
            .field("account_id", &self.account_id)
            .field("created_micros", &self.created_micros)
            .field("last_seen_micros", &self.last_seen_micros)
            .field("expires_micros", &self.expires_micros)
            .field("revoked_micros", &self.revoked_micros)
            .finish_non_exhaustive()
    }
}

fn record(row: &AnyRow) -> Result<SessionRecord, sqlx::Error> {
    Ok(SessionRecord {
        token_hash: row.try_get("token_hash")?,
        account_id: row.try_get("account_id")?,
        csrf_token: row.try_get("csrf_token")?,
        created_micros: row.try_get("created_micros")?,
        last_seen_micros: row.try_get("last_seen_micros")?,
        expires_micros: row.try_get("expires_micros")?,
        revoked_micros: row.try_get("revoked_micros")?,
    })
}

/// Stores a new session.
pub async fn insert(db: &Db, session: &SessionRecord) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO sessions (token_hash, account_id, csrf_token, created_micros, \
         last_seen_micros, expires_micros) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&session.token_hash)
    .bind(session.account_id)
    .bind(&session.csrf_token)
    .bind(session.created_micros)
    .bind(session.last_seen_micros)
    .bind(session.expires_micros)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// The session with this token hash, revoked or not.
pub async fn find(db: &Db, token_hash: &str) -> Result<Option<SessionRecord>, DbError> {
    let row = sqlx::query(
        "SELECT token_hash, account_id, csrf_token, created_micros, last_seen_micros, \
         expires_micros, revoked_micros FROM sessions WHERE token_hash = $1",
    )
    .bind(token_hash)
    .fetch_optional(db.pool())
    .await?;
    Ok(row.as_ref().map(record).transpose()?)
}

/// Moves the idle clock of a session forward.
pub async fn touch(db: &Db, token_hash: &str, now_micros: i64) -> Result<(), DbError> {
    sqlx::query("UPDATE sessions SET last_seen_micros = $1 WHERE token_hash = $2")
        .bind(now_micros)
        .bind(token_hash)
        .execute(db.pool())
        .await?;
    Ok(())
}

/// Ends one session; false when it was already ended or never existed.
pub async fn revoke(db: &Db, token_hash: &str, now_micros: i64) -> Result<bool, DbError> {
    let done = sqlx::query(
        "UPDATE sessions SET revoked_micros = $1 WHERE token_hash = $2 AND revoked_micros IS NULL",
    )
    .bind(now_micros)
    .bind(token_hash)
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Ends every open session of an account; returns how many.
pub async fn revoke_all_of(db: &Db, account_id: i64, now_micros: i64) -> Result<u64, DbError> {
    let done = sqlx::query(
        "UPDATE sessions SET revoked_micros = $1 WHERE account_id = $2 AND revoked_micros IS NULL",
    )
    .bind(now_micros)
    .bind(account_id)
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected())
}

/// Deletes sessions that ended before `before_micros` (housekeeping).
pub async fn delete_ended(db: &Db, before_micros: i64) -> Result<u64, DbError> {
    let done = sqlx::query("DELETE FROM sessions WHERE expires_micros < $1 OR revoked_micros < $1")
        .bind(before_micros)
        .execute(db.pool())
        .await?;
    Ok(done.rows_affected())
}
