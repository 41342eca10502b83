//! Turning a [`NewEvent`] into the columns of a stored event, refusing what the trail
//! must not hold.

use std::net::{IpAddr, SocketAddr};

use serde_json::Value;

use super::Action;
use super::canonical::{canonical_text, event_hash};
use super::{
    AuditError, MAX_DETAILS_BYTES, MAX_NAME_CHARS, MAX_REASON_CHARS, NewEvent, SECRET_KEY_WORDS,
};
use crate::db::audit::EventRecord;

/// The checked fields of an event, waiting for their place in the chain.
#[derive(Debug)]
pub(super) struct Checked {
    actor_kind: &'static str,
    actor_id: Option<i64>,
    actor_name: Option<String>,
    source: Option<String>,
    action: Action,
    scope: [Option<String>; 3],
    reason: Option<String>,
    outcome: &'static str,
    details: String,
}

impl Checked {
    /// Checks every field of `event`.
    pub(super) fn new(event: NewEvent) -> Result<Self, AuditError> {
        let actor_name = event
            .actor
            .name()
            .map(|n| text("actor name", n, MAX_NAME_CHARS));
        let reason = event
            .reason
            .as_deref()
            .map(|r| text("reason", r, MAX_REASON_CHARS));
        let scope = event.scope.as_ref().map_or([None, None, None], |s| {
            [
                Some(s.tenant().to_string()),
                s.project().map(ToString::to_string),
                s.run().map(ToString::to_string),
            ]
        });
        Ok(Self {
            actor_kind: event.actor.kind(),
            actor_id: match &event.actor {
                super::Actor::Account { id, .. } => Some(*id),
                _ => None,
            },
            actor_name: actor_name.transpose()?,
            source: event.source.as_deref().map(source).transpose()?,
            action: Action::parse(&event.action)?,
            scope,
            reason: reason.transpose()?,
            outcome: event.outcome.as_str(),
            details: details(&event.details)?,
        })
    }

    /// The record that follows `tail` (the newest event's seq and hash, if any).
    pub(super) fn link(self, tail: Option<(i64, String)>, at_micros: i64) -> EventRecord {
        let (seq, prev_hash) = match tail {
            Some((seq, hash)) => (seq + 1, hash),
            None => (1, super::GENESIS_HASH.to_owned()),
        };
        let [tenant, project, run] = self.scope;
        let mut record = EventRecord {
            seq,
            at_micros,
            actor_kind: self.actor_kind.to_owned(),
            actor_id: self.actor_id,
            actor_name: self.actor_name,
            source: self.source,
            action: self.action.as_str().to_owned(),
            tenant,
            project,
            run,
            reason: self.reason,
            outcome: self.outcome.to_owned(),
            details: self.details,
            prev_hash,
            hash: String::new(),
        };
        record.hash = event_hash(&record);
        record
    }
}

fn text(what: &str, value: &str, max_chars: usize) -> Result<String, AuditError> {
    if value.chars().count() > max_chars {
        return Err(AuditError::Invalid(format!(
            "the {what} is longer than {max_chars} characters"
        )));
    }
    // Line breaks may stay in a reason; other control characters would only hide text.
    if value.chars().any(|c| c.is_control() && c != '\n') {
        return Err(AuditError::Invalid(format!(
            "the {what} holds a control character"
        )));
    }
    Ok(value.to_owned())
}

fn source(value: &str) -> Result<String, AuditError> {
    let ip = value
        .parse::<IpAddr>()
        .or_else(|_| value.parse::<SocketAddr>().map(|s| s.ip()))
        .map_err(|_| AuditError::Invalid(format!("the source {value:?} is not an IP address")))?;
    Ok(ip.to_string())
}

/// Checks details and writes them as canonical JSON.
fn details(value: &Value) -> Result<String, AuditError> {
    match value {
        Value::Null => return Ok("{}".to_owned()),
        Value::Object(_) => {}
        _ => {
            return Err(AuditError::Invalid(
                "details must be a JSON object".to_owned(),
            ));
        }
    }
    check_value(value)?;
    let text = canonical_text(value);
    if text.len() > MAX_DETAILS_BYTES {
        return Err(AuditError::Invalid(format!(
            "details are larger than {MAX_DETAILS_BYTES} bytes: record counts and digests, not contents"
        )));
    }
    Ok(text)
}

fn check_value(value: &Value) -> Result<(), AuditError> {
    match value {
        Value::Number(n) if !(n.is_i64() || n.is_u64()) => Err(AuditError::Invalid(format!(
            "details hold the fraction {n}: use whole units (milliseconds, bytes)"
        ))),
        Value::Array(items) => items.iter().try_for_each(check_value),
        Value::Object(members) => members.iter().try_for_each(|(key, item)| {
            if let Some(word) = secret_word(key) {
                return Err(AuditError::Secret { word });
            }
            check_value(item)
        }),
        _ => Ok(()),
    }
}

/// The word of [`SECRET_KEY_WORDS`] a details key holds, if any. Only the word is ever
/// reported, never the key: a key such as `Authorization: Bearer …` carries the secret.
fn secret_word(key: &str) -> Option<&'static str> {
    let key = key.to_ascii_lowercase().replace('-', "_");
    SECRET_KEY_WORDS
        .iter()
        .copied()
        .find(|word| key.contains(word))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::audit::{Actor, Outcome};

    fn event(details: Value) -> NewEvent {
        NewEvent {
            actor: Actor::System,
            source: None,
            action: "test.checked".to_owned(),
            scope: None,
            reason: None,
            outcome: Outcome::Success,
            details,
        }
    }

    #[test]
    fn actions_must_be_category_dot_operation() {
        for good in ["purge.requested", "auth.login_failed", "user.created2"] {
            assert!(Action::parse(good).is_ok(), "{good}");
        }
        for bad in [
            "purge",
            "purge.",
            ".x",
            "Purge.requested",
            "a.b.c",
            "a.b c",
            "1a.b",
            "",
        ] {
            assert!(Action::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn secret_looking_keys_are_refused_at_any_depth() {
        for key in [
            "password",
            "S3_SECRET_ACCESS_KEY",
            "csrf-token",
            "Authorization",
            "api_key",
        ] {
            let nested = json!({ "request": { key: "x" } });

            let err = Checked::new(event(nested)).expect_err(key);

            assert!(matches!(err, AuditError::Secret { .. }), "{key}: {err}");
        }
    }

    #[test]
    fn a_refused_key_is_never_repeated_in_the_error() {
        let leaky = json!({ "Authorization: Bearer hunter2": 1 });

        let err = Checked::new(event(leaky)).expect_err("refused");

        assert!(matches!(
            err,
            AuditError::Secret {
                word: "authorization"
            }
        ));
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }

    #[test]
    fn counts_bytes_and_digests_are_accepted() {
        let details = json!({ "objects": 3, "bytes": 1024, "sha256": "ab", "ms": 12 });

        assert!(Checked::new(event(details)).is_ok());
    }

    #[test]
    fn fractions_large_details_and_non_objects_are_refused() {
        let big = json!({ "blob": "x".repeat(MAX_DETAILS_BYTES) });

        for details in [json!({ "seconds": 1.5 }), big, json!([1, 2]), json!("text")] {
            assert!(Checked::new(event(details)).is_err());
        }
    }

    #[test]
    fn the_source_is_stored_as_a_bare_ip_address() {
        assert_eq!(source("192.0.2.7:51234").expect("socket"), "192.0.2.7");
        assert_eq!(source("::1").expect("v6"), "::1");
        assert!(source("evil\nline").is_err());
    }
}
