//! Accounts: names, roles and the operations on them.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use secrecy::SecretString;

use super::{AuthError, password};
use crate::db::{self, Db, accounts::AccountRecord, from_micros, to_micros};

/// What an account may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// Support staff: browse artifacts, usage, purges and the audit trail.
    Viewer,
    /// Everything a viewer may, plus purges and account management.
    Admin,
}

impl Role {
    /// The stored and displayed name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Viewer => "viewer",
            Self::Admin => "admin",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = AuthError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "viewer" => Ok(Self::Viewer),
            "admin" => Ok(Self::Admin),
            other => Err(AuthError::Invalid(format!(
                "{other:?} is not a role (viewer or admin)"
            ))),
        }
    }
}

/// A valid account name: 1 to 64 of `a-z 0-9 . _ - @`, starting with a letter or digit.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AccountName(String);

impl AccountName {
    /// Parses a name as typed; upper-case letters are refused rather than folded so a
    /// name is shown exactly as it is stored.
    pub fn parse(raw: &str) -> Result<Self, AuthError> {
        let ok_char = |c: char| {
            c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-' | '@')
        };
        let starts_well = raw
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
        if raw.len() > 64 || !starts_well || !raw.chars().all(ok_char) {
            return Err(AuthError::Invalid(
                "an account name has 1 to 64 characters from a-z, 0-9, '.', '_', '-', '@' \
                 and starts with a letter or digit"
                    .to_owned(),
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AccountName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A console account as the rest of the console sees it (no password hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// Database id.
    pub id: i64,
    /// Sign-in name.
    pub name: AccountName,
    /// What it may do.
    pub role: Role,
    /// When it was disabled; a disabled account cannot sign in.
    pub disabled_at: Option<DateTime<Utc>>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last signed in.
    pub last_sign_in_at: Option<DateTime<Utc>>,
}

impl Account {
    /// Whether the account may sign in.
    pub fn is_active(&self) -> bool {
        self.disabled_at.is_none()
    }
}

impl TryFrom<&AccountRecord> for Account {
    type Error = AuthError;

    fn try_from(r: &AccountRecord) -> Result<Self, AuthError> {
        Ok(Self {
            id: r.id,
            name: AccountName(r.name.clone()),
            role: r.role.parse()?,
            disabled_at: r.disabled_micros.map(from_micros),
            created_at: from_micros(r.created_micros),
            last_sign_in_at: r.last_sign_in_micros.map(from_micros),
        })
    }
}

/// Creates an account with a chosen or generated password (checked by the caller with
/// [`password::check_strength`] when chosen).
pub async fn create(
    db: &Db,
    name: &AccountName,
    role: Role,
    password: SecretString,
    now: DateTime<Utc>,
) -> Result<Account, AuthError> {
    let phc = password::hash(password).await?;
    let record = db::accounts::insert(db, name.as_str(), role.as_str(), &phc, to_micros(now))
        .await?
        .ok_or_else(|| AuthError::NameTaken(name.to_string()))?;
    Account::try_from(&record)
}

/// The account with this name.
pub async fn find(db: &Db, name: &AccountName) -> Result<Account, AuthError> {
    let record = db::accounts::find_by_name(db, name.as_str())
        .await?
        .ok_or_else(|| AuthError::NoSuchAccount(name.to_string()))?;
    Account::try_from(&record)
}

/// Every account, by name.
pub async fn list(db: &Db) -> Result<Vec<Account>, AuthError> {
    db::accounts::list(db)
        .await?
        .iter()
        .map(Account::try_from)
        .collect()
}

/// Sets a new password and ends the account's sessions, so a leaked password stops
/// working everywhere at once.
pub async fn set_password(
    db: &Db,
    name: &AccountName,
    password: SecretString,
    now: DateTime<Utc>,
) -> Result<Account, AuthError> {
    let account = find(db, name).await?;
    let phc = password::hash(password).await?;
    db::accounts::set_password_hash(db, account.id, &phc).await?;
    db::sessions::revoke_all_of(db, account.id, to_micros(now)).await?;
    Ok(account)
}

/// Disables an account and ends its sessions; returns false when it already was.
pub async fn disable(db: &Db, name: &AccountName, now: DateTime<Utc>) -> Result<bool, AuthError> {
    let account = find(db, name).await?;
    let changed = db::accounts::disable(db, account.id, to_micros(now)).await?;
    db::sessions::revoke_all_of(db, account.id, to_micros(now)).await?;
    Ok(changed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_outside_the_alphabet_are_refused() {
        for bad in ["", "Admin", "-x", "a b", "a/b", "é", &"a".repeat(65)] {
            assert!(AccountName::parse(bad).is_err(), "{bad:?}");
        }
        for good in ["admin", "jane.doe@example.com", "ops_2"] {
            assert!(AccountName::parse(good).is_ok(), "{good:?}");
        }
    }

    #[test]
    fn roles_round_trip_through_their_names() {
        for role in [Role::Viewer, Role::Admin] {
            assert_eq!(role.as_str().parse::<Role>().expect("parse"), role);
        }
        assert!("root".parse::<Role>().is_err());
    }
}
