//! The `audit_events` table: appends under a lock, filtered pages, and a stream of
//! the whole trail in order. The hashing and the meaning of the columns live in
//! [`crate::audit`]; this module only moves rows.

use futures_util::stream::{BoxStream, StreamExt};
use sqlx::any::AnyRow;
use sqlx::{Executor, Row};

use super::{Db, DbError, Dialect};

/// Key of the PostgreSQL advisory lock that serialises appends across processes and
/// replicas. An advisory lock rather than `LOCK TABLE` so that a role allowed only to
/// INSERT and SELECT on the table (append-only by grant) can still append.
const APPEND_LOCK_KEY: i64 = 0x6175_6469_745f_6c6b;

/// The columns of `audit_events`, in the order every statement here names them.
macro_rules! columns {
    () => {
        "seq, at_micros, actor_kind, actor_id, actor_name, source, action, \
         tenant, project, run, reason, outcome, details, prev_hash, hash"
    };
}

/// One stored audit event, column by column, exactly as the database holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRecord {
    /// Position in the chain, from 1 without gaps.
    pub seq: i64,
    /// When it was appended, in microseconds since the Unix epoch (UTC).
    pub at_micros: i64,
    /// `account`, `operator`, `anonymous` or `system`.
    pub actor_kind: String,
    /// The account id, for accounts.
    pub actor_id: Option<i64>,
    /// The account or operator name at the time of the event.
    pub actor_name: Option<String>,
    /// The client address, when there is one.
    pub source: Option<String>,
    /// `category.operation`.
    pub action: String,
    /// The tenant of the scope, when the event has one.
    pub tenant: Option<String>,
    /// The project of the scope.
    pub project: Option<String>,
    /// The run of the scope.
    pub run: Option<String>,
    /// The reason given.
    pub reason: Option<String>,
    /// `success`, `failure` or `denied`.
    pub outcome: String,
    /// Structured details as canonical JSON text.
    pub details: String,
    /// The previous event's hash (the genesis value for the first event).
    pub prev_hash: String,
    /// This event's hash.
    pub hash: String,
}

/// What a page of events is filtered by; every field narrows the result.
#[derive(Debug, Clone, Default)]
pub struct EventQuery {
    /// Exact actor name.
    pub actor_name: Option<String>,
    /// Exact action.
    pub action: Option<String>,
    /// Actions starting with this text (`purge.`); only `[a-z0-9_.]` is expected.
    pub action_prefix: Option<String>,
    /// Exact tenant.
    pub tenant: Option<String>,
    /// At or after this time (microseconds).
    pub since_micros: Option<i64>,
    /// Before this time (microseconds).
    pub until_micros: Option<i64>,
    /// Only events older than this sequence number (the keyset cursor).
    pub before_seq: Option<i64>,
    /// At most this many rows.
    pub limit: i64,
}

/// Appends one event. Inside one write transaction that holds the append lock, it
/// reads the tail (`seq` and `hash` of the newest event), lets `build` make the new
/// record from it, and inserts that record; two appenders never see the same tail.
pub async fn append<E>(
    db: &Db,
    build: impl FnOnce(Option<(i64, String)>) -> Result<EventRecord, E>,
) -> Result<Result<EventRecord, E>, DbError> {
    let mut tx = match db.dialect() {
        // One round trip opens the transaction and waits for the lock; the tail read
        // that follows is a later statement, so it sees the newest committed event.
        Dialect::Postgres => {
            let begin = format!("BEGIN; SELECT pg_advisory_xact_lock({APPEND_LOCK_KEY})");
            db.pool().begin_with(begin).await?
        }
        Dialect::Sqlite => db.begin_write().await?,
    };
    let tail = sqlx::query("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1")
        .fetch_optional(&mut *tx)
        .await?
        .map(|row| Ok::<_, sqlx::Error>((row.try_get(0)?, row.try_get(1)?)))
        .transpose()?;
    let record = match build(tail) {
        Ok(record) => record,
        Err(e) => return Ok(Err(e)),
    };
    insert(&mut *tx, &record).await?;
    tx.commit().await?;
    Ok(Ok(record))
}

async fn insert<'c>(
    executor: impl Executor<'c, Database = sqlx::Any>,
    r: &EventRecord,
) -> Result<(), sqlx::Error> {
    const STATEMENT: &str = concat!(
        "INSERT INTO audit_events (",
        columns!(),
        ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
    );
    sqlx::query(STATEMENT)
        .bind(r.seq)
        .bind(r.at_micros)
        .bind(&r.actor_kind)
        .bind(r.actor_id)
        .bind(&r.actor_name)
        .bind(&r.source)
        .bind(&r.action)
        .bind(&r.tenant)
        .bind(&r.project)
        .bind(&r.run)
        .bind(&r.reason)
        .bind(&r.outcome)
        .bind(&r.details)
        .bind(&r.prev_hash)
        .bind(&r.hash)
        .execute(executor)
        .await?;
    Ok(())
}

/// A bound value of a filtered query, in placeholder order.
enum Arg {
    Text(String),
    Number(i64),
}

/// One page of events matching `query`, newest first.
pub async fn page(db: &Db, query: &EventQuery) -> Result<Vec<EventRecord>, DbError> {
    let mut conditions: Vec<String> = Vec::new();
    let mut args: Vec<Arg> = Vec::new();
    let mut filter = |condition: &str, arg: Arg| {
        args.push(arg);
        conditions.push(condition.replace('?', &format!("${}", args.len())));
    };
    if let Some(name) = &query.actor_name {
        filter("actor_name = ?", Arg::Text(name.clone()));
    }
    if let Some(action) = &query.action {
        filter("action = ?", Arg::Text(action.clone()));
    }
    if let Some(prefix) = &query.action_prefix {
        let pattern = format!("{}%", escape_like(prefix));
        filter("action LIKE ? ESCAPE '\\'", Arg::Text(pattern));
    }
    if let Some(tenant) = &query.tenant {
        filter("tenant = ?", Arg::Text(tenant.clone()));
    }
    if let Some(since) = query.since_micros {
        filter("at_micros >= ?", Arg::Number(since));
    }
    if let Some(until) = query.until_micros {
        filter("at_micros < ?", Arg::Number(until));
    }
    if let Some(before) = query.before_seq {
        filter("seq < ?", Arg::Number(before));
    }

    let mut statement = format!("SELECT {} FROM audit_events", columns!());
    if !conditions.is_empty() {
        statement.push_str(" WHERE ");
        statement.push_str(&conditions.join(" AND "));
    }
    statement.push_str(&format!(" ORDER BY seq DESC LIMIT ${}", args.len() + 1));
    let mut q = sqlx::query(&statement);
    for arg in args {
        q = match arg {
            Arg::Text(t) => q.bind(t),
            Arg::Number(v) => q.bind(v),
        };
    }
    let rows = q.bind(query.limit).fetch_all(db.pool()).await?;
    Ok(rows.iter().map(record).collect::<Result<_, _>>()?)
}

fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// Up to `limit` events after sequence number `after`, oldest first (keyset pages, so
/// each page is one short query however long the trail).
pub async fn page_after(db: &Db, after: i64, limit: i64) -> Result<Vec<EventRecord>, DbError> {
    const STATEMENT: &str = concat!(
        "SELECT ",
        columns!(),
        " FROM audit_events WHERE seq > $1 ORDER BY seq LIMIT $2"
    );
    let rows = sqlx::query(STATEMENT)
        .bind(after)
        .bind(limit)
        .fetch_all(db.pool())
        .await?;
    Ok(rows.iter().map(record).collect::<Result<_, _>>()?)
}

/// Every event, oldest first, as a stream: memory stays constant however long the trail.
pub fn stream(db: &Db) -> BoxStream<'_, Result<EventRecord, DbError>> {
    const STATEMENT: &str = concat!("SELECT ", columns!(), " FROM audit_events ORDER BY seq");
    sqlx::query(STATEMENT)
        .fetch(db.pool())
        .map(|row| Ok(record(&row?)?))
        .boxed()
}

fn record(row: &AnyRow) -> Result<EventRecord, sqlx::Error> {
    Ok(EventRecord {
        seq: row.try_get("seq")?,
        at_micros: row.try_get("at_micros")?,
        actor_kind: row.try_get("actor_kind")?,
        actor_id: row.try_get("actor_id")?,
        actor_name: row.try_get("actor_name")?,
        source: row.try_get("source")?,
        action: row.try_get("action")?,
        tenant: row.try_get("tenant")?,
        project: row.try_get("project")?,
        run: row.try_get("run")?,
        reason: row.try_get("reason")?,
        outcome: row.try_get("outcome")?,
        details: row.try_get("details")?,
        prev_hash: row.try_get("prev_hash")?,
        hash: row.try_get("hash")?,
    })
}
