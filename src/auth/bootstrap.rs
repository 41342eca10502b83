//! First run: when no account exists, create `admin` with a random password so a fresh
//! install is never locked out and never has a fixed default password.

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};

use super::accounts::create;
use super::{Account, AccountName, AuthError, Role, password, token};
use crate::db::{self, Db};

/// The file under the data folder that receives the first admin password.
pub const INITIAL_PASSWORD_FILE: &str = "initial-admin-password";

/// What first-run set-up did.
pub enum Bootstrap {
    /// Accounts existed; nothing was done.
    AccountsExist,
    /// `admin` was created; the password was written to `password_file`.
    Created {
        account: Account,
        password: SecretString,
        password_file: PathBuf,
    },
}

impl std::fmt::Debug for Bootstrap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::AccountsExist => f.write_str("AccountsExist"),
            Self::Created { password_file, .. } => f
                .debug_struct("Created")
                .field("password_file", password_file)
                .finish_non_exhaustive(),
        }
    }
}

/// Creates the first admin when the database holds no account.
///
/// The password goes to a uniquely named file before the account is stored, and that
/// file is renamed into place once the account exists: a crash in between leaves the
/// password readable in the data folder rather than an admin nobody can sign in as. Two
/// processes starting at once on an empty database race on the unique name; the loser
/// removes its own file and reports that accounts exist.
pub(super) async fn bootstrap(
    db: &Db,
    data_dir: &Path,
    now: DateTime<Utc>,
) -> Result<Bootstrap, AuthError> {
    if db::accounts::any_exist(db).await? {
        return Ok(Bootstrap::AccountsExist);
    }
    let name = AccountName::parse("admin")?;
    let password = password::generate()?;
    let password_file = data_dir.join(INITIAL_PASSWORD_FILE);
    let pending = data_dir.join(format!(
        "{INITIAL_PASSWORD_FILE}.{}",
        &token::new_token()?[..16]
    ));
    write_owner_only(&pending, &password)?;
    match create(db, &name, Role::Admin, password.clone(), now).await {
        Ok(account) => {
            std::fs::rename(&pending, &password_file).map_err(|e| {
                AuthError::Internal(format!("cannot write {}: {e}", password_file.display()))
            })?;
            Ok(Bootstrap::Created {
                account,
                password,
                password_file,
            })
        }
        Err(e) => {
            let _ = std::fs::remove_file(&pending);
            match e {
                AuthError::NameTaken(_) => Ok(Bootstrap::AccountsExist),
                other => Err(other),
            }
        }
    }
}

fn write_owner_only(path: &Path, password: &SecretString) -> Result<(), AuthError> {
    let fail =
        |e: std::io::Error| AuthError::Internal(format!("cannot write {}: {e}", path.display()));
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(fail)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        options.mode(0o600);
        let mut file = options.open(path).map_err(fail)?;
        // `mode` only applies when the file is created; an older file keeps its mode
        // unless it is set again.
        file.set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(fail)?;
        writeln!(file, "{}", password.expose_secret()).map_err(fail)?;
    }
    #[cfg(not(unix))]
    {
        let mut file = options.open(path).map_err(fail)?;
        writeln!(file, "{}", password.expose_secret()).map_err(fail)?;
    }
    Ok(())
}
