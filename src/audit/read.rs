//! Reading events back: filters, pages, and stored rows as events.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::{Action, Actor, AuditError, AuditEvent, Outcome};
use super::{ProjectId, RunId, Scope, TenantId, from_micros};
use crate::db::audit::{EventQuery, EventRecord};

/// Which events a page shows; every field set narrows it.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// The actor's name exactly (account or operator).
    pub actor: Option<String>,
    /// One action or one category of actions.
    pub action: Option<ActionFilter>,
    /// Events whose scope lies in this tenant.
    pub tenant: Option<TenantId>,
    /// At or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Before this time.
    pub until: Option<DateTime<Utc>>,
}

/// An action, or all actions of a category.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionFilter {
    /// Exactly this action.
    Exact(Action),
    /// Every action of this category (`purge.` matches `purge.requested`, ...).
    Category(String),
}

impl ActionFilter {
    /// Reads `purge.requested` as one action and `purge.` (or `purge`) as a category.
    pub fn parse(value: &str) -> Result<Self, AuditError> {
        let category = value.strip_suffix('.').unwrap_or(value);
        if !category.contains('.') {
            return Action::parse(&format!("{category}.x"))
                .map(|_| Self::Category(category.to_owned()));
        }
        Action::parse(value).map(Self::Exact)
    }
}

/// One page of events, newest first.
#[derive(Debug, Clone)]
pub struct AuditPage {
    /// At most the requested number of events, newest first.
    pub events: Vec<AuditEvent>,
    /// Pass as `before` to get the following (older) page; `None` on the last page.
    pub next_before: Option<i64>,
}

pub(super) fn event_query(filter: &AuditFilter, before: Option<i64>, limit: i64) -> EventQuery {
    let (action, action_prefix) = match &filter.action {
        Some(ActionFilter::Exact(a)) => (Some(a.as_str().to_owned()), None),
        Some(ActionFilter::Category(c)) => (None, Some(format!("{c}."))),
        None => (None, None),
    };
    EventQuery {
        actor_name: filter.actor.clone(),
        action,
        action_prefix,
        tenant: filter.tenant.as_ref().map(ToString::to_string),
        since_micros: filter.since.map(crate::db::to_micros),
        until_micros: filter.until.map(crate::db::to_micros),
        before_seq: before,
        limit,
    }
}

/// A stored row as an event; fails on values no append could have written.
pub(super) fn event(record: EventRecord) -> Result<AuditEvent, AuditError> {
    let seq = record.seq;
    let bad = |reason: String| AuditError::Unreadable { seq, reason };
    let actor = match (
        record.actor_kind.as_str(),
        record.actor_id,
        record.actor_name,
    ) {
        ("account", Some(id), Some(name)) => Actor::Account { id, name },
        ("operator", _, Some(name)) => Actor::Operator { name },
        ("anonymous", ..) => Actor::Anonymous,
        ("system", ..) => Actor::System,
        (kind, ..) => return Err(bad(format!("unknown actor {kind:?}"))),
    };
    let scope = match record.tenant {
        Some(tenant) => Some(scope(&tenant, record.project, record.run).map_err(bad)?),
        None => None,
    };
    Ok(AuditEvent {
        seq,
        at: from_micros(record.at_micros),
        actor,
        source: record.source,
        action: Action::parse(&record.action).map_err(|e| bad(e.to_string()))?,
        scope,
        reason: record.reason,
        outcome: Outcome::parse(&record.outcome)
            .ok_or_else(|| bad(format!("unknown outcome {:?}", record.outcome)))?,
        details: serde_json::from_str::<Value>(&record.details).map_err(|e| bad(e.to_string()))?,
        prev_hash: record.prev_hash,
        hash: record.hash,
    })
}

fn scope(tenant: &str, project: Option<String>, run: Option<String>) -> Result<Scope, String> {
    let tenant = TenantId::parse(tenant).map_err(|e| e.to_string())?;
    let project = project
        .map(|p| ProjectId::parse(&p))
        .transpose()
        .map_err(|e| e.to_string())?;
    let run = run
        .map(|r| RunId::parse(&r))
        .transpose()
        .map_err(|e| e.to_string())?;
    Scope::from_parts(tenant, project, run).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trailing_dot_or_a_bare_word_filters_a_category() {
        assert_eq!(
            ActionFilter::parse("purge.").expect("category"),
            ActionFilter::Category("purge".to_owned())
        );
        assert_eq!(
            ActionFilter::parse("purge").expect("category"),
            ActionFilter::Category("purge".to_owned())
        );
        assert!(matches!(
            ActionFilter::parse("purge.requested"),
            Ok(ActionFilter::Exact(_))
        ));
        assert!(ActionFilter::parse("pur%ge.").is_err());
    }
}
