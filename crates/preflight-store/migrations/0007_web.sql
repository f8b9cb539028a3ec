-- The web interface: people's passwords (Argon2id PHC strings), browser
-- sessions (only an HMAC of the session id is kept, as for API tokens), and
-- failed sign-ins, which throttle further attempts.

CREATE TABLE user_passwords (
    user_id TEXT PRIMARY KEY REFERENCES users (id),
    hash TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE web_sessions (
    id_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    -- The session's CSRF token: every form it posts carries it.
    csrf TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX web_sessions_user ON web_sessions (user_id);

CREATE TABLE signin_failures (
    email TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX signin_failures_email ON signin_failures (email, at);
