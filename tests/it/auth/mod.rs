//! Accounts, sessions, throttling and first run, on both database dialects; the `user`
//! commands through the real binary; the sign-in guard, pages and headers over HTTP.

mod audit_trail;
mod bootstrap;
mod browser;
mod cli;
mod first_run;
mod headers;
mod matrix;
mod pages;
mod sessions;
mod sign_in;
mod web_support;
use artifact_console::audit::AuditLog;
use artifact_console::auth::{Auth, Caller};
use artifact_console::db::Db;

/// The audited account service over a test database.
fn service(db: &Db) -> Auth {
    Auth::new(db.clone(), AuditLog::new(db.clone()))
}

/// The command-line operator, as the caller of account changes in tests.
fn operator() -> Caller {
    Caller::operator()
}
