-- The audit trail: one row per event, hash-chained, append-only.
-- seq is given by the appender (tail + 1 under a lock), so a gap means a deleted row;
-- the unique prev_hash means two events can never claim the same predecessor (no fork).
CREATE TABLE audit_events (
    seq         BIGINT PRIMARY KEY CHECK (seq > 0),
    at_micros   BIGINT NOT NULL,
    actor_kind  TEXT   NOT NULL CHECK (actor_kind IN ('account', 'operator', 'anonymous', 'system')),
    actor_id    BIGINT,
    actor_name  TEXT,
    source      TEXT,
    action      TEXT   NOT NULL,
    tenant      TEXT,
    project     TEXT,
    run         TEXT,
    reason      TEXT,
    outcome     TEXT   NOT NULL CHECK (outcome IN ('success', 'failure', 'denied')),
    details     TEXT   NOT NULL,
    prev_hash   TEXT   NOT NULL UNIQUE,
    hash        TEXT   NOT NULL UNIQUE
);

CREATE INDEX audit_events_by_actor ON audit_events (actor_name, seq);
CREATE INDEX audit_events_by_action ON audit_events (action, seq);
CREATE INDEX audit_events_by_tenant ON audit_events (tenant, seq);
CREATE INDEX audit_events_by_time ON audit_events (at_micros);

CREATE FUNCTION audit_events_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER audit_events_no_update_or_delete
    BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_refuse_change();

CREATE TRIGGER audit_events_no_truncate
    BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_refuse_change();
