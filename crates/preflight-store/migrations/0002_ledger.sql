-- The tamper-evident ledger. Each event gets a ledger entry in the event's
-- own transaction; `ledger_state.next_index` is taken under a row lock, so
-- indexes are dense, never reused, and in commit order. The integrator turns
-- entries into C2SP tiles and signs a checkpoint for each new size.

CREATE TABLE ledger_state (
    id BIGINT PRIMARY KEY,
    next_index BIGINT NOT NULL
);
INSERT INTO ledger_state (id, next_index) VALUES (1, 0);

-- How far the integrator got; a row of its own so that integrating never
-- waits behind the appends that hold `ledger_state`.
CREATE TABLE ledger_progress (
    id BIGINT PRIMARY KEY,
    integrated_size BIGINT NOT NULL
);
INSERT INTO ledger_progress (id, integrated_size) VALUES (1, 0);

-- An entry names nobody in the clear: kind, opaque ids, time, and a salted
-- commitment to the full event record (which stays in `events`).
CREATE TABLE ledger_entries (
    idx BIGINT PRIMARY KEY,
    event_id TEXT NOT NULL,
    entry TEXT NOT NULL
);
CREATE UNIQUE INDEX ledger_entries_event ON ledger_entries (event_id);

-- Hashes of one tile at its latest width (base64 of `width` concatenated
-- SHA-256 hashes). A partial tile only grows, so any narrower version a
-- client asks for is a prefix of the stored one; full tiles (width 256)
-- never change.
CREATE TABLE ledger_tiles (
    level BIGINT NOT NULL,
    idx BIGINT NOT NULL,
    width BIGINT NOT NULL,
    hashes TEXT NOT NULL,
    PRIMARY KEY (level, idx)
);

CREATE TABLE ledger_checkpoints (
    size BIGINT PRIMARY KEY,
    note TEXT NOT NULL,
    created_at TEXT NOT NULL
);

ALTER TABLE events ADD COLUMN salt TEXT;
ALTER TABLE events ADD COLUMN leaf_index BIGINT;
ALTER TABLE events ADD COLUMN record TEXT;
