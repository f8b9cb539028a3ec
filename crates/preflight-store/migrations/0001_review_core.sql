-- The review core. One schema for SQLite and PostgreSQL: portable types only
-- (TEXT, BIGINT), ids are UUIDs made by the application, times are RFC 3339
-- UTC text with a fixed width so they sort as text.

CREATE TABLE orgs (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    sector TEXT,
    created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX orgs_name ON orgs (name);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    org_id TEXT REFERENCES orgs (id),
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    role TEXT NOT NULL,
    public_key TEXT,
    created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX users_email ON users (email);
CREATE INDEX users_org ON users (org_id);

CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    label TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT,
    revoked_at TEXT
);
CREATE UNIQUE INDEX api_tokens_hash ON api_tokens (token_hash);

CREATE TABLE partner_vetting (
    org_id TEXT PRIMARY KEY REFERENCES orgs (id),
    body TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE submissions (
    id TEXT PRIMARY KEY,
    developer_org TEXT NOT NULL REFERENCES orgs (id),
    stage TEXT NOT NULL,
    body TEXT NOT NULL,
    row_version BIGINT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX submissions_developer ON submissions (developer_org);

-- The developer's upstream credential, sealed under a per-review data key
-- that is itself wrapped under the instance master key.
CREATE TABLE review_keys (
    submission_id TEXT PRIMARY KEY REFERENCES submissions (id),
    wrapped_data_key TEXT,
    sealed_credential TEXT,
    destroyed_at TEXT
);

CREATE TABLE terms_versions (
    submission_id TEXT NOT NULL REFERENCES submissions (id),
    version BIGINT NOT NULL,
    document TEXT NOT NULL,
    proposed_by TEXT NOT NULL REFERENCES users (id),
    proposed_at TEXT NOT NULL,
    PRIMARY KEY (submission_id, version)
);

CREATE TABLE terms_signatures (
    submission_id TEXT NOT NULL,
    version BIGINT NOT NULL,
    side TEXT NOT NULL,
    signer TEXT NOT NULL REFERENCES users (id),
    public_key TEXT NOT NULL,
    signature TEXT NOT NULL,
    signed_at TEXT NOT NULL,
    PRIMARY KEY (submission_id, version, side),
    FOREIGN KEY (submission_id, version) REFERENCES terms_versions (submission_id, version)
);

CREATE TABLE findings (
    id TEXT PRIMARY KEY,
    submission_id TEXT NOT NULL REFERENCES submissions (id),
    author_org TEXT NOT NULL REFERENCES orgs (id),
    body TEXT NOT NULL,
    filed_at TEXT NOT NULL
);
CREATE INDEX findings_submission ON findings (submission_id, filed_at);

CREATE TABLE reports (
    submission_id TEXT PRIMARY KEY REFERENCES submissions (id),
    delivered_at TEXT NOT NULL,
    body TEXT NOT NULL
);

-- Every state change, written in the transaction of the change.
CREATE TABLE events (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    submission_id TEXT,
    actor TEXT,
    at TEXT NOT NULL,
    details TEXT NOT NULL
);
CREATE INDEX events_submission ON events (submission_id, id);
