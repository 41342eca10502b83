-- The audit trail: one row per event, hash-chained, append-only.
-- seq is given by the appender (tail + 1 under a lock), so a gap means a deleted row;
-- the unique prev_hash means two events can never claim the same predecessor (no fork).
CREATE TABLE audit_events (
    seq         INTEGER PRIMARY KEY CHECK (seq > 0),
    at_micros   INTEGER NOT NULL,
    actor_kind  TEXT    NOT NULL CHECK (actor_kind IN ('account', 'operator', 'anonymous', 'system')),
    actor_id    INTEGER,
    actor_name  TEXT,
    source      TEXT,
    action      TEXT    NOT NULL,
    tenant      TEXT,
    project     TEXT,
    run         TEXT,
    reason      TEXT,
    outcome     TEXT    NOT NULL CHECK (outcome IN ('success', 'failure', 'denied')),
    details     TEXT    NOT NULL,
    prev_hash   TEXT    NOT NULL UNIQUE,
    hash        TEXT    NOT NULL UNIQUE
);

CREATE INDEX audit_events_by_actor ON audit_events (actor_name, seq);
CREATE INDEX audit_events_by_action ON audit_events (action, seq);
CREATE INDEX audit_events_by_tenant ON audit_events (tenant, seq);
CREATE INDEX audit_events_by_time ON audit_events (at_micros);

-- SQLite has no TRUNCATE: an unqualified DELETE is what empties a table, and the
-- delete trigger refuses it row by row.
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only: UPDATE refused');
END;

CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only: DELETE refused');
END;
