//! The `sign_in_failures` table: recent failed sign-ins per account name and per
//! address, which the sign-in throttle reads.

use sqlx::Row;

use super::{Db, DbError};

/// The failure count of one subject (`account:<name>` or `address:<ip>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailureRecord {
    /// Failures since `window_start_micros`.
    pub failures: i64,
    /// When the current counting window began.
    pub window_start_micros: i64,
    /// Sign-ins are refused until then, if set.
    pub locked_until_micros: Option<i64>,
}

/// The failure record of a subject, if it has one.
pub async fn find(db: &Db, subject: &str) -> Result<Option<FailureRecord>, DbError> {
    let row = sqlx::query(
        "SELECT failures, window_start_micros, locked_until_micros \
         FROM sign_in_failures WHERE subject = $1",
    )
    .bind(subject)
    .fetch_optional(db.pool())
    .await?;
    let Some(row) = row else { return Ok(None) };
    Ok(Some(FailureRecord {
        failures: row.try_get("failures")?,
        window_start_micros: row.try_get("window_start_micros")?,
        locked_until_micros: row.try_get("locked_until_micros")?,
    }))
}

/// Writes the failure record of a subject.
pub async fn save(db: &Db, subject: &str, record: FailureRecord) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO sign_in_failures (subject, failures, window_start_micros, locked_until_micros) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (subject) DO UPDATE SET failures = $2, \
         window_start_micros = $3, locked_until_micros = $4",
    )
    .bind(subject)
    .bind(record.failures)
    .bind(record.window_start_micros)
    .bind(record.locked_until_micros)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// Forgets the failures of a subject (after a successful sign-in).
pub async fn clear(db: &Db, subject: &str) -> Result<(), DbError> {
    sqlx::query("DELETE FROM sign_in_failures WHERE subject = $1")
        .bind(subject)
        .execute(db.pool())
        .await?;
    Ok(())
}
