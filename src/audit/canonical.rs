//! The canonical form of an audit event and its hash.
//!
//! An event's hash is the lowercase hex SHA-256 of the UTF-8 bytes of one JSON array,
//! written without any whitespace:
//!
//! ```text
//! ["artifact-console/audit/v1", seq, at_micros, actor_kind, actor_id, actor_name,
//!  source, action, tenant, project, run, reason, outcome, details, prev_hash]
//! ```
//!
//! - `seq`, `at_micros` and `actor_id` are JSON integers; absent values are `null`.
//! - Every other field is a JSON string (or `null`), except `details`, which is the
//!   event's details as a JSON value.
//! - Object members (inside `details`) are sorted by the UTF-8 bytes of their keys.
//! - Strings are written as UTF-8 with only `"`, `\` and U+0000..U+001F escaped:
//!   `\b \t \n \f \r` in their short form, every other control character as `\u00xx`
//!   (lowercase hex). Details hold whole numbers only (appends refuse fractions), so
//!   every number is written as plain decimal digits.
//! - The first event's `prev_hash` is [`GENESIS_HASH`]; each later one holds the hash
//!   of the event before it.
//!
//! The form does not depend on the database (both dialects store the same text) nor on
//! the order of keys in stored or exported JSON. Outside the console it is, in Python:
//! `json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)`.

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::db::audit::EventRecord;

/// The `prev_hash` of the first event of every trail.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Names the canonical form, so a later change of it cannot be mistaken for this one.
const FORM: &str = "artifact-console/audit/v1";

/// The hash an event with these fields must carry.
///
/// `details` is the stored JSON text; text that is not JSON is hashed as a JSON string,
/// which can never match the hash of the object an append wrote.
pub fn event_hash(record: &EventRecord) -> String {
    let details = serde_json::from_str::<Value>(&record.details)
        .unwrap_or_else(|_| Value::String(record.details.clone()));
    let fields = Value::Array(vec![
        Value::from(FORM),
        Value::from(record.seq),
        Value::from(record.at_micros),
        Value::from(record.actor_kind.as_str()),
        record.actor_id.map_or(Value::Null, Value::from),
        optional(&record.actor_name),
        optional(&record.source),
        Value::from(record.action.as_str()),
        optional(&record.tenant),
        optional(&record.project),
        optional(&record.run),
        optional(&record.reason),
        Value::from(record.outcome.as_str()),
        details,
        Value::from(record.prev_hash.as_str()),
    ]);
    let mut text = String::new();
    write_canonical(&fields, &mut text);
    hex::encode(Sha256::digest(text.as_bytes()))
}

fn optional(value: &Option<String>) -> Value {
    value.as_deref().map_or(Value::Null, Value::from)
}

/// Writes `value` as canonical JSON (see the module documentation).
pub fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) => {
            // serde_json writes scalars exactly as the canonical form wants them.
            out.push_str(&value.to_string());
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        Value::Object(members) => {
            let mut sorted: Vec<(&String, &Value)> = members.iter().collect();
            sorted.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push('{');
            for (i, (key, item)) in sorted.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::from(key.as_str()).to_string());
                out.push(':');
                write_canonical(item, out);
            }
            out.push('}');
        }
    }
}

/// `value` as canonical JSON text (how details are stored).
pub fn canonical_text(value: &Value) -> String {
    let mut text = String::new();
    write_canonical(value, &mut text);
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> EventRecord {
        EventRecord {
            seq: 1,
            at_micros: 1_764_763_200_123_456,
            actor_kind: "account".to_owned(),
            actor_id: Some(7),
            actor_name: Some("ada".to_owned()),
            source: Some("192.0.2.1".to_owned()),
            action: "purge.requested".to_owned(),
            tenant: Some("acme".to_owned()),
            project: None,
            run: None,
            reason: Some("Art. 17 request \"#42\"\nsecond line é".to_owned()),
            outcome: "success".to_owned(),
            details: r#"{"objects":3,"bytes":1024,"a":{"z":null,"b":[true,"\u0001"]}}"#.to_owned(),
            prev_hash: GENESIS_HASH.to_owned(),
            hash: String::new(),
        }
    }

    #[test]
    fn object_keys_are_sorted_and_nothing_is_padded() {
        let value: Value =
            serde_json::from_str(r#"{ "b": 1, "a": { "d": "x\ty", "c": [1, 2] } }"#).expect("json");

        assert_eq!(
            canonical_text(&value),
            r#"{"a":{"c":[1,2],"d":"x\ty"},"b":1}"#
        );
    }

    #[test]
    fn the_hash_does_not_depend_on_the_key_order_of_stored_details() {
        let mut reordered = record();
        reordered.details =
            r#"{"a":{"b":[true,"\u0001"],"z":null},"bytes":1024,"objects":3}"#.to_owned();

        assert_eq!(event_hash(&record()), event_hash(&reordered));
    }

    #[test]
    fn the_hash_matches_the_documented_form_computed_elsewhere() {
        // Computed with Python's json.dumps(fields, sort_keys=True,
        // separators=(",", ":"), ensure_ascii=False) and hashlib.sha256.
        assert_eq!(event_hash(&record()), PYTHON_HASH);
    }

    #[test]
    fn every_field_changes_the_hash() {
        let base = event_hash(&record());
        let changes: Vec<fn(&mut EventRecord)> = vec![
            |r| r.seq = 2,
            |r| r.at_micros += 1,
            |r| r.actor_kind = "operator".to_owned(),
            |r| r.actor_id = None,
            |r| r.actor_name = Some("bob".to_owned()),
            |r| r.source = None,
            |r| r.action = "purge.completed".to_owned(),
            |r| r.tenant = Some("acme2".to_owned()),
            |r| r.project = Some("p".to_owned()),
            |r| r.run = Some("r".to_owned()),
            |r| r.reason = None,
            |r| r.outcome = "failure".to_owned(),
            |r| r.details = r#"{"objects":4}"#.to_owned(),
            |r| r.prev_hash = "1".repeat(64),
        ];

        for (i, change) in changes.into_iter().enumerate() {
            let mut changed = record();
            change(&mut changed);
            assert_ne!(event_hash(&changed), base, "field change {i}");
        }
    }

    const PYTHON_HASH: &str = "f79206796a02b24dee0ab21b24824087dfbc356b14c215980abc4355e6645294";
}
