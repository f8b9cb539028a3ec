//! The review report: findings with the developer's answers, evaluation
//! results and who had access, compiled from the review's records.

use crate::finding::{Finding, Severity};
use crate::ids::OrgId;
use crate::lifecycle::{Outcome, Stage};
use crate::submission::Submission;
use crate::terms::AgreedTerms;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReviewReport {
    pub submission: Submission,
    pub generated_at: DateTime<Utc>,
    pub stage: Stage,
    pub outcome: Option<Outcome>,
    pub agreed_terms_version: Option<u32>,
    pub findings: Vec<Finding>,
    pub severity_counts: Vec<SeverityCount>,
    pub unanswered_findings: usize,
    /// Results of evaluation runs on this review, once any exist.
    #[schema(value_type = Vec<Object>)]
    pub evaluation_results: Vec<serde_json::Value>,
    pub access: Vec<AccessSummary>,
    /// A fixed reminder that the report is advice.
    pub advisory_notice: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SeverityCount {
    pub severity: Severity,
    pub count: usize,
}

/// One organisation's access to the model during the review.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AccessSummary {
    pub org_id: OrgId,
    pub org_name: String,
    pub phase: String,
    pub named_people: usize,
    pub findings_filed: usize,
    /// Gateway calls and tokens, once the gateway records them.
    pub calls: u64,
    pub tokens: u64,
}

pub const ADVISORY_NOTICE: &str = "This report is advice to the developer. It grants no licence and \
holds no veto: the developer alone decides whether and when to release.";

/// Compiles the report. `org_name` resolves organisation names.
pub fn compile(
    submission: &Submission,
    terms: Option<&AgreedTerms>,
    findings: Vec<Finding>,
    org_name: impl Fn(OrgId) -> String,
    now: DateTime<Utc>,
) -> ReviewReport {
    let severity_counts = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Informational,
    ]
    .into_iter()
    .map(|severity| SeverityCount {
        severity,
        count: findings.iter().filter(|f| f.severity == severity).count(),
    })
    .collect();
    let mut access = Vec::new();
    if let Some(terms) = terms {
        for (phase, list) in [
            ("government", &terms.document.government_access),
            ("partner", &terms.document.partner_access),
        ] {
            for org in &list.organisations {
                access.push(AccessSummary {
                    org_id: *org,
                    org_name: org_name(*org),
                    phase: phase.to_owned(),
                    named_people: list.people.iter().filter(|p| p.org_id == *org).count(),
                    findings_filed: findings.iter().filter(|f| f.author_org == *org).count(),
                    calls: 0,
                    tokens: 0,
                });
            }
        }
    }
    ReviewReport {
        submission: submission.clone(),
        generated_at: now,
        stage: submission.stage,
        outcome: submission.outcome,
        agreed_terms_version: terms.map(|t| t.document.version),
        unanswered_findings: findings.iter().filter(|f| f.responses.is_empty()).count(),
        severity_counts,
        findings,
        evaluation_results: Vec::new(),
        access,
        advisory_notice: ADVISORY_NOTICE.to_owned(),
    }
}
