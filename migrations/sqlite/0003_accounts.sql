-- Console accounts, their server-side sessions and the sign-in throttle.
-- Times are microseconds since the Unix epoch (UTC).
CREATE TABLE accounts (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    name                TEXT NOT NULL UNIQUE,
    role                TEXT NOT NULL CHECK (role IN ('viewer', 'admin')),
    -- An argon2id hash in PHC string form; never the password itself.
    password_hash       TEXT NOT NULL,
    -- Set when the account was disabled; a disabled account cannot sign in.
    disabled_micros     BIGINT,
    created_micros      BIGINT NOT NULL,
    last_sign_in_micros BIGINT
);

-- The cookie holds a random token; only its SHA-256 is stored, so a copy of the
-- database does not hand out working sessions.
CREATE TABLE sessions (
    token_hash      TEXT PRIMARY KEY,
    account_id      BIGINT NOT NULL REFERENCES accounts (id),
    csrf_token      TEXT NOT NULL,
    created_micros  BIGINT NOT NULL,
    last_seen_micros BIGINT NOT NULL,
    expires_micros  BIGINT NOT NULL,
    revoked_micros  BIGINT
);
CREATE INDEX sessions_by_account ON sessions (account_id);

-- Failed sign-ins per subject: 'account:<name>' or 'address:<ip>'.
CREATE TABLE sign_in_failures (
    subject             TEXT PRIMARY KEY,
    failures            BIGINT NOT NULL,
    window_start_micros BIGINT NOT NULL,
    locked_until_micros BIGINT
);
