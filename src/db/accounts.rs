//! The `accounts` table: console users, their role and password hash.
//!
//! Rows come back as plain records; `auth` turns them into checked domain types.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Db, DbError};

/// One row of `accounts`.
#[derive(Clone)]
pub struct AccountRecord {
    /// Database id.
    pub id: i64,
    /// Sign-in name, unique.
    pub name: String,
    /// `viewer` or `admin`.
    pub role: String,
    /// argon2id PHC string.
    pub password_hash: String,
    /// When the account was disabled, if it was.
    pub disabled_micros: Option<i64>,
    /// When the account was created.
    pub created_micros: i64,
    /// When the account last signed in, if ever.
    pub last_sign_in_micros: Option<i64>,
}

impl std::fmt::Debug for AccountRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The hash is not the password, but it still helps an offline guesser: keep it
        // out of logs.
        f.debug_struct("AccountRecord")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("role", &self.role)
            .field("disabled_micros", &self.disabled_micros)
            .finish_non_exhaustive()
    }
}

const COLUMNS: &str =
    "id, name, role, password_hash, disabled_micros, created_micros, last_sign_in_micros";

fn record(row: &AnyRow) -> Result<AccountRecord, sqlx::Error> {
    Ok(AccountRecord {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        role: row.try_get("role")?,
        password_hash: row.try_get("password_hash")?,
        disabled_micros: row.try_get("disabled_micros")?,
        created_micros: row.try_get("created_micros")?,
        last_sign_in_micros: row.try_get("last_sign_in_micros")?,
    })
}

/// Inserts an account; `Ok(None)` when the name is taken.
pub async fn insert(
    db: &Db,
    name: &str,
    role: &str,
    password_hash: &str,
    now_micros: i64,
) -> Result<Option<AccountRecord>, DbError> {
    let sql = format!(
        "INSERT INTO accounts (name, role, password_hash, created_micros) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO NOTHING RETURNING {COLUMNS}"
    );
    let row = sqlx::query(&sql)
        .bind(name)
        .bind(role)
        .bind(password_hash)
        .bind(now_micros)
        .fetch_optional(db.pool())
        .await?;
    Ok(row.as_ref().map(record).transpose()?)
}

/// The account with this name, if any.
pub async fn find_by_name(db: &Db, name: &str) -> Result<Option<AccountRecord>, DbError> {
    let sql = format!("SELECT {COLUMNS} FROM accounts WHERE name = $1");
    let row = sqlx::query(&sql)
        .bind(name)
        .fetch_optional(db.pool())
        .await?;
    Ok(row.as_ref().map(record).transpose()?)
}

/// The account with this id, if any.
pub async fn find_by_id(db: &Db, id: i64) -> Result<Option<AccountRecord>, DbError> {
    let sql = format!("SELECT {COLUMNS} FROM accounts WHERE id = $1");
    let row = sqlx::query(&sql).bind(id).fetch_optional(db.pool()).await?;
    Ok(row.as_ref().map(record).transpose()?)
}

/// Every account, by name.
pub async fn list(db: &Db) -> Result<Vec<AccountRecord>, DbError> {
    let sql = format!("SELECT {COLUMNS} FROM accounts ORDER BY name");
    let rows = sqlx::query(&sql).fetch_all(db.pool()).await?;
    Ok(rows.iter().map(record).collect::<Result<_, _>>()?)
}

/// Whether any account exists (first-run check).
pub async fn any_exist(db: &Db) -> Result<bool, DbError> {
    let row = sqlx::query("SELECT COUNT(*) AS n FROM accounts")
        .fetch_one(db.pool())
        .await?;
    let n: i64 = row.try_get("n")?;
    Ok(n > 0)
}

/// Replaces the password hash; false when no such account exists.
pub async fn set_password_hash(db: &Db, id: i64, password_hash: &str) -> Result<bool, DbError> {
    let done = sqlx::query("UPDATE accounts SET password_hash = $1 WHERE id = $2")
        .bind(password_hash)
        .bind(id)
        .execute(db.pool())
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Marks the account disabled (keeping the first time it was); false when it was already.
pub async fn disable(db: &Db, id: i64, now_micros: i64) -> Result<bool, DbError> {
    let done = sqlx::query(
        "UPDATE accounts SET disabled_micros = $1 WHERE id = $2 AND disabled_micros IS NULL",
    )
    .bind(now_micros)
    .bind(id)
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Records a successful sign-in.
pub async fn touch_sign_in(db: &Db, id: i64, now_micros: i64) -> Result<(), DbError> {
    sqlx::query("UPDATE accounts SET last_sign_in_micros = $1 WHERE id = $2")
        .bind(now_micros)
        .bind(id)
        .execute(db.pool())
        .await?;
    Ok(())
}
