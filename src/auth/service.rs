//! [`Auth`]: the account and session operations the web pages and the command line
//! call, each recorded in the audit trail with who did it and from where.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use secrecy::SecretString;
use serde_json::json;

use super::{
    Account, AccountName, AuthError, Bootstrap, Role, SessionPolicy, SignInOutcome, SignInRefusal,
    SignedIn, ThrottlePolicy, accounts, bootstrap, session, sign_in,
};
use crate::audit::{Actor, AuditLog, NewEvent, Outcome};
use crate::db::Db;

/// Who asks for an account operation, for the audit trail.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The signed-in account, the command line's operator, or the console itself.
    pub actor: Actor,
    /// The client address of a web request.
    pub source: Option<IpAddr>,
}

impl Caller {
    /// The operating-system user at the command line.
    pub fn operator() -> Self {
        Self {
            actor: Actor::operator_from_env(),
            source: None,
        }
    }

    /// A signed-in account acting from `source`.
    pub fn account(account: &Account, source: Option<IpAddr>) -> Self {
        Self {
            actor: actor_of(account),
            source,
        }
    }
}

/// Accounts and sessions over one database, audited; cheap to clone.
#[derive(Debug, Clone)]
pub struct Auth {
    db: Db,
    audit: AuditLog,
    /// Session lifetimes.
    pub sessions: SessionPolicy,
    /// Sign-in throttling.
    pub throttle: ThrottlePolicy,
}

impl Auth {
    /// Account operations on `db`, recorded in `audit`, with default policies.
    pub fn new(db: Db, audit: AuditLog) -> Self {
        Self {
            db,
            audit,
            sessions: SessionPolicy::default(),
            throttle: ThrottlePolicy::default(),
        }
    }

    /// The same, with other session lifetimes.
    pub fn with_sessions(mut self, sessions: SessionPolicy) -> Self {
        self.sessions = sessions;
        self
    }

    /// The database, for read-only look-ups ([`super::list`], [`super::find`]).
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Creates an account (`user.created`).
    pub async fn create(
        &self,
        caller: &Caller,
        name: &AccountName,
        role: Role,
        password: SecretString,
        now: DateTime<Utc>,
    ) -> Result<Account, AuthError> {
        let account = accounts::create(&self.db, name, role, password, now).await?;
        let details = json!({ "account": account.name.as_str(), "role": role.as_str() });
        self.record(caller, "user.created", Outcome::Success, details)
            .await?;
        Ok(account)
    }

    /// Sets a new password and ends the account's sessions (`user.password_changed`).
    pub async fn set_password(
        &self,
        caller: &Caller,
        name: &AccountName,
        password: SecretString,
        now: DateTime<Utc>,
    ) -> Result<Account, AuthError> {
        let account = accounts::set_password(&self.db, name, password, now).await?;
        let details = json!({ "account": account.name.as_str() });
        self.record(caller, "user.password_changed", Outcome::Success, details)
            .await?;
        Ok(account)
    }

    /// Disables an account and ends its sessions (`user.disabled`); false when it
    /// already was, which is not recorded again.
    pub async fn disable(
        &self,
        caller: &Caller,
        name: &AccountName,
        now: DateTime<Utc>,
    ) -> Result<bool, AuthError> {
        let changed = accounts::disable(&self.db, name, now).await?;
        if changed {
            let details = json!({ "account": name.as_str() });
            self.record(caller, "user.disabled", Outcome::Success, details)
                .await?;
        }
        Ok(changed)
    }

    /// Checks a name and password from `source` (`auth.login` or `auth.login_failed`).
    pub async fn sign_in(
        &self,
        name: &str,
        password: SecretString,
        source: Option<IpAddr>,
        now: DateTime<Utc>,
    ) -> Result<SignInOutcome, AuthError> {
        let policies = (self.sessions, self.throttle);
        let outcome = sign_in::sign_in(&self.db, name, password, source, policies, now).await?;
        let (caller, action, result, details) = match &outcome {
            SignInOutcome::SignedIn { account, .. } => (
                Caller::account(account, source),
                "auth.login",
                Outcome::Success,
                json!({ "method": "password" }),
            ),
            SignInOutcome::Refused(refusal) => (
                // The typed name is left out: people type passwords into it by mistake.
                Caller {
                    actor: Actor::Anonymous,
                    source,
                },
                "auth.login_failed",
                Outcome::Failure,
                json!({ "refusal": refusal_name(*refusal) }),
            ),
        };
        self.record(&caller, action, result, details).await?;
        Ok(outcome)
    }

    /// Starts a session for an account a trusted proxy vouched for (`auth.login`).
    pub async fn sign_in_by_proxy(
        &self,
        account: &Account,
        source: Option<IpAddr>,
        now: DateTime<Utc>,
    ) -> Result<session::NewSession, AuthError> {
        let started = session::start_session(&self.db, account.id, self.sessions, now).await?;
        let details = json!({ "method": "proxy" });
        self.record(
            &Caller::account(account, source),
            "auth.login",
            Outcome::Success,
            details,
        )
        .await?;
        Ok(started)
    }

    /// The signed-in account behind a cookie token, if the session is still valid.
    pub async fn resolve(
        &self,
        cookie_token: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<SignedIn>, AuthError> {
        session::resolve_session(&self.db, cookie_token, self.sessions, now).await
    }

    /// Ends a session (`auth.logout`); false when it had already ended.
    pub async fn sign_out(
        &self,
        signed_in: &SignedIn,
        source: Option<IpAddr>,
        now: DateTime<Utc>,
    ) -> Result<bool, AuthError> {
        let ended = session::end_session(&self.db, &signed_in.token_hash, now).await?;
        if ended {
            let caller = Caller::account(&signed_in.account, source);
            self.record(&caller, "auth.logout", Outcome::Success, json!(null))
                .await?;
        }
        Ok(ended)
    }

    /// Creates the first admin on an empty database (`user.created` by the system).
    pub async fn bootstrap(
        &self,
        data_dir: &std::path::Path,
        now: DateTime<Utc>,
    ) -> Result<Bootstrap, AuthError> {
        let done = bootstrap::bootstrap(&self.db, data_dir, now).await?;
        if let Bootstrap::Created { account, .. } = &done {
            let caller = Caller {
                actor: Actor::System,
                source: None,
            };
            let details =
                json!({ "account": account.name.as_str(), "role": "admin", "first_run": true });
            self.record(&caller, "user.created", Outcome::Success, details)
                .await?;
        }
        Ok(done)
    }

    async fn record(
        &self,
        caller: &Caller,
        action: &str,
        outcome: Outcome,
        details: serde_json::Value,
    ) -> Result<(), AuthError> {
        let event = NewEvent {
            actor: caller.actor.clone(),
            source: caller.source.map(|ip| ip.to_string()),
            action: action.to_owned(),
            scope: None,
            reason: None,
            outcome,
            details,
        };
        self.audit
            .append(event)
            .await
            .map(|_| ())
            .map_err(|e| AuthError::Internal(format!("cannot record {action}: {e}")))
    }
}

/// The audit actor for an account.
pub fn actor_of(account: &Account) -> Actor {
    Actor::Account {
        id: account.id,
        name: account.name.to_string(),
    }
}

fn refusal_name(refusal: SignInRefusal) -> &'static str {
    match refusal {
        SignInRefusal::BadCredentials => "bad_credentials",
        SignInRefusal::Throttled { .. } => "throttled",
    }
}
