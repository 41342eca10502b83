//! The audit trail as JSON lines and as CSV, one event per line.
//!
//! JSON lines carry every field the hash covers, so an exported trail can be verified
//! without the console: [`record_from_json_line`] reads a line back. CSV is meant for
//! spreadsheets: free-text cells that start with `=`, `+`, `-` or `@` get a leading `'`
//! so a spreadsheet shows them as text instead of running them as formulas, which means
//! CSV is not the format to verify from.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::canonical::canonical_text;
use crate::db::audit::EventRecord;
use crate::db::from_micros;

/// The CSV header line (without its line ending).
pub const CSV_HEADER: &str = "seq,at,at_micros,actor_kind,actor_id,actor_name,source,action,\
                              tenant,project,run,reason,outcome,details,prev_hash,hash";

/// One exported event; the field order is the order of the columns.
#[derive(Debug, Serialize, Deserialize)]
struct Exported {
    seq: i64,
    at: String,
    at_micros: i64,
    actor_kind: String,
    actor_id: Option<i64>,
    actor_name: Option<String>,
    source: Option<String>,
    action: String,
    tenant: Option<String>,
    project: Option<String>,
    run: Option<String>,
    reason: Option<String>,
    outcome: String,
    details: Value,
    prev_hash: String,
    hash: String,
}

/// `record` as one JSON object on one line (without the line ending).
pub fn json_line(record: &EventRecord) -> String {
    let exported = Exported {
        seq: record.seq,
        at: timestamp(record.at_micros),
        at_micros: record.at_micros,
        actor_kind: record.actor_kind.clone(),
        actor_id: record.actor_id,
        actor_name: record.actor_name.clone(),
        source: record.source.clone(),
        action: record.action.clone(),
        tenant: record.tenant.clone(),
        project: record.project.clone(),
        run: record.run.clone(),
        reason: record.reason.clone(),
        outcome: record.outcome.clone(),
        details: serde_json::from_str(&record.details)
            .unwrap_or_else(|_| Value::String(record.details.clone())),
        prev_hash: record.prev_hash.clone(),
        hash: record.hash.clone(),
    };
    serde_json::to_string(&exported).unwrap_or_default()
}

/// Reads back one line written by [`json_line`], for verifying an exported trail.
pub fn record_from_json_line(line: &str) -> Result<EventRecord, serde_json::Error> {
    let e: Exported = serde_json::from_str(line)?;
    Ok(EventRecord {
        seq: e.seq,
        at_micros: e.at_micros,
        actor_kind: e.actor_kind,
        actor_id: e.actor_id,
        actor_name: e.actor_name,
        source: e.source,
        action: e.action,
        tenant: e.tenant,
        project: e.project,
        run: e.run,
        reason: e.reason,
        outcome: e.outcome,
        details: canonical_text(&e.details),
        prev_hash: e.prev_hash,
        hash: e.hash,
    })
}

/// `record` as one CSV row (RFC 4180 quoting, without the line ending).
pub fn csv_row(record: &EventRecord) -> String {
    let number = |n: Option<i64>| n.map(|n| n.to_string()).unwrap_or_default();
    let text = |t: &Option<String>| t.as_deref().map(defuse).unwrap_or_default();
    let cells = [
        record.seq.to_string(),
        timestamp(record.at_micros),
        record.at_micros.to_string(),
        record.actor_kind.clone(),
        number(record.actor_id),
        text(&record.actor_name),
        text(&record.source),
        record.action.clone(),
        text(&record.tenant),
        text(&record.project),
        text(&record.run),
        text(&record.reason),
        record.outcome.clone(),
        defuse(&record.details),
        record.prev_hash.clone(),
        record.hash.clone(),
    ];
    cells.iter().map(|c| quote(c)).collect::<Vec<_>>().join(",")
}

fn timestamp(micros: i64) -> String {
    from_micros(micros).to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// Keeps a spreadsheet from reading a cell as a formula.
fn defuse(cell: &str) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell.to_owned()
    }
}

/// Quotes a cell when it holds a comma, a quote or a line break; quotes are doubled.
fn quote(cell: &str) -> String {
    if cell.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", cell.replace('"', "\"\""))
    } else {
        cell.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_with_commas_quotes_and_line_breaks_are_quoted() {
        assert_eq!(quote("plain"), "plain");
        assert_eq!(quote("a,b"), "\"a,b\"");
        assert_eq!(quote("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(quote("two\nlines"), "\"two\nlines\"");
    }

    #[test]
    fn formula_like_text_is_shown_as_text() {
        assert_eq!(defuse("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(defuse("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(defuse("ordinary"), "ordinary");
    }

    #[test]
    fn the_header_names_as_many_columns_as_a_row_has() {
        let record = EventRecord {
            seq: 1,
            at_micros: 0,
            actor_kind: "system".to_owned(),
            actor_id: None,
            actor_name: None,
            source: None,
            action: "a.b".to_owned(),
            tenant: None,
            project: None,
            run: None,
            reason: None,
            outcome: "success".to_owned(),
            details: "{}".to_owned(),
            prev_hash: "p".to_owned(),
            hash: "h".to_owned(),
        };

        assert_eq!(
            CSV_HEADER.split(',').count(),
            csv_row(&record).split(',').count()
        );
    }
}
