-- Evaluation runs: a government evaluator attaches a suite to a review; a
-- worker claims the run, calls the model through the gateway with the run's
-- own gateway token (sealed under the review's data key), and stores the
-- summary. The queue is this table: workers claim with SKIP LOCKED on
-- PostgreSQL, under the write lock on SQLite.

CREATE TABLE evaluation_runs (
    id TEXT PRIMARY KEY,
    submission_id TEXT NOT NULL REFERENCES submissions (id),
    requested_by TEXT NOT NULL REFERENCES users (id),
    org_id TEXT NOT NULL,
    suite TEXT NOT NULL,
    options TEXT NOT NULL,
    state TEXT NOT NULL,
    created_at TEXT NOT NULL,
    claimed_by TEXT,
    heartbeat_at TEXT,
    attempts BIGINT NOT NULL,
    finished_at TEXT,
    sealed_token TEXT,
    summary TEXT,
    error TEXT
);
CREATE INDEX evaluation_runs_queue ON evaluation_runs (state, created_at);
CREATE INDEX evaluation_runs_review ON evaluation_runs (submission_id, created_at);
