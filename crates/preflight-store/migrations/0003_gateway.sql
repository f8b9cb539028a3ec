-- The model-access gateway: reviewer tokens scoped to one person and one
-- submission, every call to the model with its usage, and its transcript
-- sealed under the review's data key.

CREATE TABLE gateway_tokens (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    submission_id TEXT NOT NULL REFERENCES submissions (id),
    label TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    revoked_at TEXT
);
CREATE UNIQUE INDEX gateway_tokens_hash ON gateway_tokens (token_hash);
CREATE INDEX gateway_tokens_owner ON gateway_tokens (submission_id, user_id);

-- One row a call, written (with its ledger entry) before anything goes
-- upstream; completed when the answer has been relayed. `transcript` is
-- sealed under the review's data key and unreadable once that key is gone.
CREATE TABLE model_calls (
    id TEXT PRIMARY KEY,
    submission_id TEXT NOT NULL REFERENCES submissions (id),
    org_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    token_id TEXT NOT NULL,
    phase TEXT NOT NULL,
    streamed BIGINT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    outcome TEXT NOT NULL,
    http_status BIGINT,
    prompt_tokens BIGINT NOT NULL,
    completion_tokens BIGINT NOT NULL,
    first_byte_ms BIGINT,
    total_ms BIGINT,
    transcript TEXT
);
CREATE INDEX model_calls_review ON model_calls (submission_id, started_at);
