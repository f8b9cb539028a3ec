//! Findings filed by reviewers and the developer's answers. Findings inform;
//! none of them can hold a release.

use crate::DomainError;
use crate::ids::{FindingId, OrgId, SubmissionId, UserId};
use crate::org::{non_empty, snake_enum_text};
use crate::taxonomy::Category;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Informational,
    Low,
    Medium,
    High,
    Critical,
}

snake_enum_text!(
    Severity,
    "severity",
    [
        Informational = "informational",
        Low = "low",
        Medium = "medium",
        High = "high",
        Critical = "critical",
    ]
);

/// The phase a finding was filed in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Government,
    Partner,
}

snake_enum_text!(
    Phase,
    "phase",
    [Government = "government", Partner = "partner"]
);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ResponseStatus {
    Acknowledged,
    FixedBeforeRelease,
    Mitigated,
    Disputed,
    RiskAccepted,
}

snake_enum_text!(
    ResponseStatus,
    "status",
    [
        Acknowledged = "acknowledged",
        FixedBeforeRelease = "fixed_before_release",
        Mitigated = "mitigated",
        Disputed = "disputed",
        RiskAccepted = "risk_accepted",
    ]
);

/// The developer's answer to a finding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FindingResponse {
    pub status: ResponseStatus,
    pub comment: String,
    pub responder: UserId,
    pub responded_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Finding {
    pub id: FindingId,
    pub submission_id: SubmissionId,
    pub author: UserId,
    pub author_org: OrgId,
    pub phase: Phase,
    pub title: String,
    pub severity: Severity,
    pub category: Category,
    pub description: String,
    pub reproduction_steps: String,
    /// Ids of gateway transcripts that show the behaviour.
    pub transcript_refs: Vec<String>,
    pub filed_at: DateTime<Utc>,
    /// Every answer the developer gave, oldest first; the last one stands.
    pub responses: Vec<FindingResponse>,
}

/// The reviewer's fields of a new finding, checked.
#[derive(Clone, Debug)]
pub struct NewFinding {
    pub title: String,
    pub severity: Severity,
    pub category: Category,
    pub description: String,
    pub reproduction_steps: String,
    pub transcript_refs: Vec<String>,
}

impl NewFinding {
    pub fn new(
        title: &str,
        severity: Severity,
        category: Category,
        description: &str,
        reproduction_steps: &str,
        transcript_refs: Vec<String>,
    ) -> Result<Self, DomainError> {
        if transcript_refs.len() > 100 {
            return Err(DomainError::invalid(
                "transcript_refs",
                transcript_refs.len(),
                "at most 100 references",
            ));
        }
        for r in &transcript_refs {
            if r.trim().is_empty() || r.len() > 200 {
                return Err(DomainError::invalid(
                    "transcript_refs",
                    r,
                    "each reference is 1 to 200 characters",
                ));
            }
        }
        Ok(Self {
            title: non_empty("title", title, 300)?,
            severity,
            category,
            description: non_empty("description", description, 50_000)?,
            reproduction_steps: non_empty("reproduction_steps", reproduction_steps, 50_000)?,
            transcript_refs,
        })
    }
}

impl Finding {
    pub fn latest_response(&self) -> Option<&FindingResponse> {
        self.responses.last()
    }
}
