-- The clearinghouse: vulnerability assessments, the aliases they are known
-- by, and the import batches that brought them in. The whole record is
-- `body` (a `preflight_vuln::Assessment` as JSON); the other columns are
-- copies of its fields for filtering and sorting.

CREATE TABLE assessments (
    id TEXT PRIMARY KEY,
    -- The best alias (CVE, then GHSA, GO, OSV, vendor).
    display_id TEXT NOT NULL,
    -- CLEAR, GREEN, AMBER, AMBER+STRICT or RED.
    tlp TEXT NOT NULL,
    -- The highest CVSS base score of any version, times ten (9.8 is 98);
    -- NULL when the record has no score.
    cvss_tenths BIGINT,
    report_state TEXT NOT NULL,
    embargo_state TEXT NOT NULL,
    embargo_ends_at TEXT,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    row_version BIGINT NOT NULL
);
CREATE INDEX assessments_newest ON assessments (created_at, id);
CREATE INDEX assessments_display_id ON assessments (display_id);

-- Every alias of every assessment, by `Alias::key` (upper case; vendor ids
-- as `system:ID`). An alias belongs to one assessment: two records sharing
-- one are merged.
CREATE TABLE assessment_aliases (
    alias TEXT PRIMARY KEY,
    assessment_id TEXT NOT NULL REFERENCES assessments (id)
);
CREATE INDEX assessment_aliases_assessment ON assessment_aliases (assessment_id);

-- One row an import: who, when, how many files and what came of them.
CREATE TABLE import_batches (
    id TEXT PRIMARY KEY,
    actor TEXT,
    imported_at TEXT NOT NULL,
    files BIGINT NOT NULL,
    records BIGINT NOT NULL,
    created BIGINT NOT NULL,
    merged BIGINT NOT NULL,
    -- The import report as JSON: formats, merge groups within the batch and
    -- with stored assessments.
    report TEXT NOT NULL
);
CREATE INDEX import_batches_at ON import_batches (imported_at);
