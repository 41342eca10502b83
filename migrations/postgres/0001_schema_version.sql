-- The first migration only marks the schema as the console's; tables come after it.
CREATE TABLE console_meta (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
INSERT INTO console_meta (name, value) VALUES ('schema', 'artifact-console');
