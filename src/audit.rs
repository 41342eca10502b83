//! The audit trail: an append-only, hash-chained record of who did what, to which
//! scope, why, and how it ended.
//!
//! Every event stores the hash of the event before it and its own hash over a
//! canonical form of all its fields (see [`canonical`]), so changing, removing or
//! reordering a stored event breaks the chain where it happened, and
//! [`AuditLog::verify`] names that event. Appends take a lock in the database, so two
//! processes or replicas never fork the chain; the database itself refuses UPDATE,
//! DELETE and TRUNCATE on the table (migration `0002_audit`).
//!
//! Events carry no artifact contents and no secrets: details hold counts, bytes,
//! durations and digests. An append refuses details with a key that names a secret
//! (see [`SECRET_KEY_WORDS`]), fractional numbers, or more than [`MAX_DETAILS_BYTES`].

mod action;
pub mod canonical;
pub mod export;
pub mod verify;

use std::fmt;

use chrono::{DateTime, Utc};
use futures_util::stream::{self, BoxStream, StreamExt, TryStreamExt};
use serde_json::Value;

use crate::db::audit as table;
use crate::db::{Db, DbError, from_micros, to_micros};
use crate::storage::{ProjectId, RunId, Scope, TenantId};

pub use action::Action;
pub use canonical::GENESIS_HASH;
pub use verify::{ChainProblem, ChainVerifier};

/// Words that mark a details key as a secret (compared lowercase, `-` read as `_`).
pub const SECRET_KEY_WORDS: [&str; 10] = [
    "password",
    "passwd",
    "secret",
    "token",
    "credential",
    "authorization",
    "cookie",
    "api_key",
    "apikey",
    "private_key",
];

/// Largest details object accepted, in bytes of canonical JSON.
pub const MAX_DETAILS_BYTES: usize = 16 * 1024;
/// Longest reason accepted, in characters.
pub const MAX_REASON_CHARS: usize = 2_000;
/// Longest actor name accepted, in characters.
pub const MAX_NAME_CHARS: usize = 200;
/// Events per database read of an export.
pub const EXPORT_PAGE: i64 = 1_000;
/// Largest page [`AuditLog::query`] returns.
pub const MAX_PAGE: usize = 500;

/// Why an event was refused or the trail could not be read.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// The event breaks a rule of the trail; nothing was stored.
    #[error("audit event refused: {0}")]
    Invalid(String),
    /// The details hold a key that looks like a secret; nothing was stored. Only the
    /// word that gave it away is kept, since the key itself may carry the secret.
    #[error("audit event refused: details may not hold secrets, and a key names a {word}")]
    Secret { word: &'static str },
    /// A stored event could not be read back as an event.
    #[error("audit event {seq} cannot be read: {reason}")]
    Unreadable { seq: i64, reason: String },
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Who acted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// A console account, with its name as it was at the time.
    Account { id: i64, name: String },
    /// Someone at the command line (the operating-system user).
    Operator { name: String },
    /// A request with no signed-in user (a failed login, say).
    Anonymous,
    /// The console itself (scheduled work).
    System,
}

impl Actor {
    fn kind(&self) -> &'static str {
        match self {
            Self::Account { .. } => "account",
            Self::Operator { .. } => "operator",
            Self::Anonymous => "anonymous",
            Self::System => "system",
        }
    }

    /// The name shown for this actor.
    pub fn name(&self) -> Option<&str> {
        match self {
            Self::Account { name, .. } | Self::Operator { name } => Some(name),
            Self::Anonymous | Self::System => None,
        }
    }

    /// The current operating-system user, as the actor of a command-line operation.
    pub fn operator_from_env() -> Self {
        let name = ["USER", "USERNAME", "LOGNAME"]
            .iter()
            .find_map(|v| std::env::var(v).ok().filter(|n| !n.trim().is_empty()))
            .unwrap_or_else(|| "unknown".to_owned());
        Self::Operator { name }
    }
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Account { name, .. } => f.write_str(name),
            Self::Operator { name } => write!(f, "{name} (command line)"),
            Self::Anonymous => f.write_str("anonymous"),
            Self::System => f.write_str("system"),
        }
    }
}

/// How the audited operation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// It did what was asked.
    Success,
    /// It was allowed but did not complete.
    Failure,
    /// Refused for lack of rights.
    Denied,
}

impl Outcome {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Failure => "failure",
            Self::Denied => "denied",
        }
    }

    fn parse(value: &str) -> Option<Self> {
        [Self::Success, Self::Failure, Self::Denied]
            .into_iter()
            .find(|o| o.as_str() == value)
    }
}

/// An event to append; the trail adds the sequence number, time and hashes.
#[derive(Debug, Clone)]
pub struct NewEvent {
    /// Who acted.
    pub actor: Actor,
    /// The client's IP address (a `host:port` is accepted and stored as the host).
    pub source: Option<String>,
    /// `category.operation`.
    pub action: String,
    /// The tenant, project or run acted on, if any.
    pub scope: Option<Scope>,
    /// The reason the actor gave (line breaks allowed).
    pub reason: Option<String>,
    /// How it ended.
    pub outcome: Outcome,
    /// Counts, bytes, durations, digests: a JSON object (or `null` for none).
    pub details: Value,
}

/// A stored event, read back.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEvent {
    /// Position in the chain, from 1.
    pub seq: i64,
    /// When it was appended (microsecond precision).
    pub at: DateTime<Utc>,
    /// Who acted, with the name as it was then.
    pub actor: Actor,
    /// The client's IP address, if there was one.
    pub source: Option<String>,
    /// What was done.
    pub action: Action,
    /// What it was done to.
    pub scope: Option<Scope>,
    /// The reason given.
    pub reason: Option<String>,
    /// How it ended.
    pub outcome: Outcome,
    /// Counts, bytes, durations, digests.
    pub details: Value,
    /// The hash of the event before (the genesis value for the first).
    pub prev_hash: String,
    /// This event's hash (see [`canonical`]).
    pub hash: String,
}

mod read;
mod validate;

pub use read::{ActionFilter, AuditFilter, AuditPage};

/// The outcome of walking the whole trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// Events whose hash and link checked out, oldest first, before any problem.
    pub verified: u64,
    /// The hash of the last verified event (worth noting down: see [`ChainVerifier::finish`]).
    pub last_hash: String,
    /// The first broken event, if any.
    pub problem: Option<ChainProblem>,
}

/// Export formats of [`AuditLog::export`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// One JSON object per line, with every hashed field.
    JsonLines,
    /// A header line, then one CSV row per event.
    Csv,
}

/// The audit trail of one database; cheap to clone.
#[derive(Debug, Clone)]
pub struct AuditLog {
    db: Db,
}

impl AuditLog {
    /// The trail stored in `db` (migrated).
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// Appends one event at the end of the chain and returns it as stored. Refused
    /// events (see the module documentation) leave the trail unchanged.
    #[tracing::instrument(name = "Appending an audit event", skip_all, fields(action = %event.action))]
    pub async fn append(&self, event: NewEvent) -> Result<AuditEvent, AuditError> {
        let checked = validate::Checked::new(event)?;
        let record = table::append(&self.db, |tail| {
            // The time is taken under the append lock, so it only runs backwards along
            // the chain if the clocks of two replicas disagree.
            Ok::<_, AuditError>(checked.link(tail, to_micros(Utc::now())))
        })
        .await??;
        read::event(record)
    }

    /// A page of events matching `filter`, newest first, at most `limit` (clamped to
    /// 1..=[`MAX_PAGE`]); `before` is the `next_before` of the previous page.
    pub async fn query(
        &self,
        filter: &AuditFilter,
        before: Option<i64>,
        limit: usize,
    ) -> Result<AuditPage, AuditError> {
        let limit = limit.clamp(1, MAX_PAGE);
        let query = read::event_query(filter, before, limit as i64 + 1);
        let mut records = table::page(&self.db, &query).await?;
        let more = records.len() > limit;
        records.truncate(limit);
        let events = records
            .into_iter()
            .map(read::event)
            .collect::<Result<Vec<_>, _>>()?;
        let next_before = if more {
            events.last().map(|e| e.seq)
        } else {
            None
        };
        Ok(AuditPage {
            events,
            next_before,
        })
    }

    /// Walks the whole chain, oldest first, and reports the first broken event.
    #[tracing::instrument(name = "Verifying the audit chain", skip_all)]
    pub async fn verify(&self) -> Result<VerifyReport, AuditError> {
        let mut verifier = ChainVerifier::new();
        let mut rows = table::stream(&self.db);
        let mut problem = None;
        while let Some(record) = rows.try_next().await? {
            problem = verifier.push(record).err();
            if problem.is_some() {
                break;
            }
        }
        if problem.is_none() {
            problem = verifier.finish().err();
        }
        Ok(VerifyReport {
            verified: verifier.verified(),
            last_hash: verifier.last_hash().to_owned(),
            problem,
        })
    }

    /// The whole trail as lines of `format` (each ending in `\n`), oldest first, read
    /// in keyset pages of [`EXPORT_PAGE`] events: memory stays constant however long
    /// the trail, and the stream owns what it needs (a web response can hold it).
    pub fn export_lines(
        &self,
        format: ExportFormat,
    ) -> BoxStream<'static, Result<String, AuditError>> {
        let header = (format == ExportFormat::Csv).then(|| Ok(format!("{}\n", export::CSV_HEADER)));
        let db = self.db.clone();
        let pages = stream::try_unfold(Some(0), move |after| {
            let db = db.clone();
            async move {
                let Some(after) = after else {
                    return Ok(None);
                };
                let records = table::page_after(&db, after, EXPORT_PAGE).await?;
                let full = records.len() == EXPORT_PAGE as usize;
                let next = records.last().map(|r| r.seq).filter(|_| full);
                Ok::<_, AuditError>((!records.is_empty()).then_some((records, next)))
            }
        });
        let lines = pages
            .map_ok(move |records| {
                stream::iter(records.into_iter().map(move |record| {
                    Ok(match format {
                        ExportFormat::JsonLines => export::json_line(&record) + "\n",
                        ExportFormat::Csv => export::csv_row(&record) + "\n",
                    })
                }))
            })
            .try_flatten();
        stream::iter(header).chain(lines).boxed()
    }

    /// Writes the whole trail to `out` (see [`AuditLog::export_lines`]) and returns the
    /// number of events written.
    pub async fn export(
        &self,
        format: ExportFormat,
        out: &mut (dyn std::io::Write + Send),
    ) -> Result<u64, ExportError> {
        let mut lines = self.export_lines(format);
        let mut written: u64 = 0;
        while let Some(line) = lines.try_next().await? {
            out.write_all(line.as_bytes())?;
            written += 1;
        }
        out.flush()?;
        if format == ExportFormat::Csv {
            written = written.saturating_sub(1); // the header is not an event
        }
        Ok(written)
    }
}

/// Why an export stopped.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// Reading the trail failed.
    #[error(transparent)]
    Audit(#[from] AuditError),
    /// Writing the output failed (a closed pipe, a full disk).
    #[error("cannot write the export: {0}")]
    Write(#[from] std::io::Error),
}
