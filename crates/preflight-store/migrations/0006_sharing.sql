-- Sharing: what the clearinghouse has released and to whom, who subscribes,
-- which organisations a provider serves, the webhook outbox, and the review
-- findings escalated into assessments.

-- NULL while the assessment is a draft.
ALTER TABLE assessments ADD COLUMN published_at TEXT;
-- When the released version was last shared (first publication, or a change
-- after it): TAXII's date_added, the order subscribers read in.
ALTER TABLE assessments ADD COLUMN shared_at TEXT;
-- `preflight_core::sharing::Audience` as JSON: named recipients and sectors.
ALTER TABLE assessments ADD COLUMN audience TEXT NOT NULL DEFAULT '{"recipients":[],"sectors":[]}';
CREATE INDEX assessments_shared ON assessments (shared_at, id);

-- One subscription an organisation: the sectors and products it follows and
-- where its notifications go. The webhook secret is sealed under the master key.
CREATE TABLE subscriptions (
    org_id TEXT PRIMARY KEY REFERENCES orgs (id),
    -- JSON arrays.
    sectors TEXT NOT NULL,
    products TEXT NOT NULL,
    webhook_url TEXT,
    webhook_secret TEXT,
    updated_at TEXT NOT NULL
);

-- A provider (a managed-security provider, a state's office) and the
-- organisations it serves: they receive what TLP:AMBER addresses to it.
CREATE TABLE org_clients (
    provider_id TEXT NOT NULL REFERENCES orgs (id),
    client_id TEXT NOT NULL REFERENCES orgs (id),
    PRIMARY KEY (provider_id, client_id)
);
CREATE INDEX org_clients_client ON org_clients (client_id);

-- The webhook outbox: written in the transaction that shares an assessment,
-- sent (and retried) by the server afterwards.
CREATE TABLE webhook_deliveries (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES orgs (id),
    assessment_id TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    next_attempt_at TEXT NOT NULL,
    delivered_at TEXT,
    last_status TEXT
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (delivered_at, next_attempt_at);

-- A review finding escalated to the clearinghouse: once, into one assessment.
CREATE TABLE escalations (
    finding_id TEXT PRIMARY KEY REFERENCES findings (id),
    submission_id TEXT NOT NULL REFERENCES submissions (id),
    assessment_id TEXT NOT NULL,
    actor TEXT NOT NULL,
    escalated_at TEXT NOT NULL
);
CREATE INDEX escalations_submission ON escalations (submission_id);
