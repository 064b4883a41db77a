-- 001_init.sql - the entries table: one row per (client_id, sha256, type).
--
-- A row is the entry a client polls and, until it ends, a job in the
-- durable queue. store_migrate runs this file inside BEGIN IMMEDIATE and
-- sets PRAGMA user_version afterwards, so the file has neither. STRICT
-- needs SQLite 3.37; RETURNING (store_claim) needs 3.35.
--
-- state: 0 queued, 1 running, 2 done, 3 failed (enum store_state).
-- Times are unix milliseconds. lease_until is NULL unless running: the
-- claim query relies on that to read queued rows in created_at order.

CREATE TABLE entries (
    id           INTEGER PRIMARY KEY,
    client_id    TEXT    NOT NULL,
    sha256       TEXT    NOT NULL
                 CHECK (length(sha256) = 64
                        AND sha256 NOT GLOB '*[^0-9a-f]*'),
    type         TEXT    NOT NULL,
    state        INTEGER NOT NULL CHECK (state BETWEEN 0 AND 3),
    error_code   TEXT,
    content      BLOB,               -- encrypted upload; NULL once ended
    wrapped_key  BLOB,               -- RSA-wrapped AES key; NULL once ended
    result       TEXT,               -- done: base64(IV || AES(result))
    attempts     INTEGER NOT NULL DEFAULT 0,
    token        INTEGER,            -- claim token of the current lease
    lease_until  INTEGER,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    accessed_at  INTEGER NOT NULL,
    UNIQUE (client_id, sha256, type)
) STRICT;

-- Claim: queued rows by (lease_until IS NULL, created_at, id); running
-- rows by lease_until. Sweep: the same, plus created_at for timeouts.
CREATE INDEX entries_claim ON entries (state, lease_until, created_at);

-- Expiry sweep.
CREATE INDEX entries_accessed ON entries (accessed_at);
