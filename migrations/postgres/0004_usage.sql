-- Usage: a run catalog filled by the usage scan, per-tenant snapshots over time, and
-- scan leases so two replicas never walk the same tenant at once.

-- One row per run as of its tenant's latest scan. A scan replaces all rows of its
-- tenant in one transaction, so runs that disappeared from the store disappear here.
-- last_modified_micros is 0 when the store gave no time.
CREATE TABLE usage_runs (
    tenant               TEXT   NOT NULL,
    project              TEXT   NOT NULL,
    run                  TEXT   NOT NULL,
    objects              BIGINT NOT NULL,
    bytes                BIGINT NOT NULL,
    screenshots          BIGINT NOT NULL,
    videos               BIGINT NOT NULL,
    diffs                BIGINT NOT NULL,
    tests                BIGINT NOT NULL,
    last_modified_micros BIGINT NOT NULL,
    scanned_at_micros    BIGINT NOT NULL,
    PRIMARY KEY (tenant, project, run)
);

-- The project page pages runs newest first on (last_modified_micros, run).
CREATE INDEX usage_runs_by_time ON usage_runs (tenant, project, last_modified_micros, run);
CREATE INDEX usage_runs_latest ON usage_runs (last_modified_micros);

-- One row per tenant scan. objects and bytes count every current object under the
-- tenant, other_* those whose keys do not fit the artifact layout. The version, delete
-- marker and upload columns are NULL when the scan did not measure them.
CREATE TABLE usage_snapshots (
    tenant               TEXT   NOT NULL,
    taken_at_micros      BIGINT NOT NULL,
    projects             BIGINT NOT NULL,
    runs                 BIGINT NOT NULL,
    objects              BIGINT NOT NULL,
    bytes                BIGINT NOT NULL,
    other_objects        BIGINT NOT NULL,
    other_bytes          BIGINT NOT NULL,
    last_modified_micros BIGINT NOT NULL,
    noncurrent_versions  BIGINT,
    noncurrent_bytes     BIGINT,
    delete_markers       BIGINT,
    incomplete_uploads   BIGINT,
    PRIMARY KEY (tenant, taken_at_micros)
);

CREATE INDEX usage_snapshots_by_time ON usage_snapshots (taken_at_micros);

-- Who is scanning a tenant, until when. A lease is taken with one conditional upsert
-- that only succeeds when no row exists or its expiry has passed, so a crashed
-- replica's lease simply runs out.
CREATE TABLE usage_leases (
    tenant         TEXT   NOT NULL PRIMARY KEY,
    holder         TEXT   NOT NULL,
    expires_micros BIGINT NOT NULL
);
