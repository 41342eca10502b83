//! `user add|list|passwd|disable`: account management from the command line.

use chrono::Utc;
use secrecy::{ExposeSecret, SecretString};

use super::{CliError, RoleArg, UserCommand};
use crate::audit::AuditLog;
use crate::auth::{self, AccountName, Auth, AuthError, Bootstrap, Caller, Role, password};
use crate::config::Settings;
use crate::db::Db;

/// Runs one `user` command.
pub async fn run(command: UserCommand, settings: &Settings) -> Result<(), CliError> {
    let db = super::open_database(settings).await?;
    let accounts = Auth::new(db.clone(), AuditLog::new(db.clone()));
    let result = match command {
        UserCommand::Add {
            name,
            role,
            password_stdin,
        } => add(&accounts, &name, role, password_stdin).await,
        UserCommand::List => list(&db).await,
        UserCommand::Passwd {
            name,
            password_stdin,
        } => passwd(&accounts, &name, password_stdin).await,
        UserCommand::Disable { name } => disable(&accounts, &name).await,
    };
    db.close().await;
    result
}

/// Creates the first admin on an empty database and tells the operator, once, how to
/// sign in. `serve` calls this once it knows its address.
pub async fn first_run(settings: &Settings, sign_in_url: &str) -> Result<(), CliError> {
    let db = super::open_database(settings).await?;
    let accounts = Auth::new(db.clone(), AuditLog::new(db.clone()));
    let done = accounts.bootstrap(&settings.data_dir, Utc::now()).await;
    db.close().await;
    if let Bootstrap::Created {
        account,
        password,
        password_file,
    } = done.map_err(failed)?
    {
        println!(
            "No account existed, so the account {} (admin) was created.\n\
             Password (shown once; also in {}, readable only by you): {}\n\
             Sign in at {sign_in_url} and delete that file afterwards.",
            account.name,
            password_file.display(),
            password.expose_secret()
        );
    }
    Ok(())
}

async fn add(accounts: &Auth, name: &str, role: RoleArg, from_stdin: bool) -> Result<(), CliError> {
    let name = AccountName::parse(name).map_err(usage)?;
    let role = match role {
        RoleArg::Viewer => Role::Viewer,
        RoleArg::Admin => Role::Admin,
    };
    let (password, generated) = new_password(from_stdin).await?;

    let caller = Caller::operator();
    let account = accounts
        .create(&caller, &name, role, password.clone(), Utc::now())
        .await
        .map_err(failed)?;

    println!("Created {} ({}).", account.name, account.role);
    if generated {
        println!("Password (shown once): {}", password.expose_secret());
    }
    Ok(())
}

async fn list(db: &Db) -> Result<(), CliError> {
    let accounts = auth::list(db).await.map_err(failed)?;
    println!(
        "{:<32} {:<7} {:<9} {:<17} LAST SIGN-IN",
        "NAME", "ROLE", "STATUS", "CREATED"
    );
    for a in accounts {
        let minute = |t: chrono::DateTime<Utc>| t.format("%Y-%m-%d %H:%M").to_string();
        println!(
            "{:<32} {:<7} {:<9} {:<17} {}",
            a.name.as_str(),
            a.role.as_str(),
            if a.is_active() { "active" } else { "disabled" },
            minute(a.created_at),
            a.last_sign_in_at.map_or_else(|| "never".to_owned(), minute),
        );
    }
    Ok(())
}

async fn passwd(accounts: &Auth, name: &str, from_stdin: bool) -> Result<(), CliError> {
    let name = AccountName::parse(name).map_err(usage)?;
    // Look the account up first so a typo does not make the operator type a password.
    auth::find(accounts.db(), &name).await.map_err(failed)?;
    let (password, generated) = new_password(from_stdin).await?;

    accounts
        .set_password(&Caller::operator(), &name, password.clone(), Utc::now())
        .await
        .map_err(failed)?;

    println!("Password of {name} changed; its sessions were ended.");
    if generated {
        println!("Password (shown once): {}", password.expose_secret());
    }
    Ok(())
}

async fn disable(accounts: &Auth, name: &str) -> Result<(), CliError> {
    let name = AccountName::parse(name).map_err(usage)?;

    let changed = accounts
        .disable(&Caller::operator(), &name, Utc::now())
        .await
        .map_err(failed)?;

    if changed {
        println!("Disabled {name}; its sessions were ended.");
    } else {
        println!("{name} was already disabled.");
    }
    Ok(())
}

/// A password from standard input (checked) or a generated one; true when generated.
async fn new_password(from_stdin: bool) -> Result<(SecretString, bool), CliError> {
    if !from_stdin {
        return Ok((password::generate().map_err(failed)?, true));
    }
    let raw = tokio::task::spawn_blocking(|| {
        let mut raw = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut raw).map(|_| raw)
    })
    .await
    .map_err(|e| CliError::Failed(format!("cannot read the password from stdin: {e}")))?
    .map_err(|e| CliError::Failed(format!("cannot read the password from stdin: {e}")))?;
    // Only the line ending a shell or `echo` adds is removed; other spaces count.
    let line = raw
        .strip_suffix('\n')
        .map(|s| s.strip_suffix('\r').unwrap_or(s))
        .unwrap_or(&raw);
    let password = SecretString::from(line.to_owned());
    password::check_strength(&password).map_err(usage)?;
    Ok((password, false))
}

fn usage(e: AuthError) -> CliError {
    CliError::Usage(e.to_string())
}

fn failed(e: AuthError) -> CliError {
    CliError::Failed(e.to_string())
}
