//! When a review finding may go to the clearinghouse. The signed terms
//! decide: never, once the developer has released the model, or an agreed
//! number of days after the finding was filed. The finder's organisation
//! (or the government, which leads every review) escalates; the developer
//! is never asked and never able to block what the terms allow, and it
//! sees the escalation in its review's events.

use crate::actor::Actor;
use crate::error::DomainError;
use crate::finding::Finding;
use crate::org::Role;
use crate::submission::Submission;
use crate::terms::{ShareWhat, ShareWhen, TermsDocument};
use chrono::{DateTime, Duration, Utc};

/// What of the finding may travel, when the terms allow it now.
pub fn may_escalate(
    actor: &Actor,
    submission: &Submission,
    agreed: Option<&TermsDocument>,
    finding: &Finding,
    now: DateTime<Utc>,
) -> Result<ShareWhat, DomainError> {
    let finder = actor.org_id == Some(finding.author_org);
    if !(finder || actor.role == Role::GovernmentEvaluator) {
        return Err(DomainError::Forbidden(
            "only the finder's organisation or the government escalates a finding".into(),
        ));
    }
    let Some(terms) = agreed else {
        return Err(DomainError::Conflict(
            "no terms signed by both sides: nothing allows escalation".into(),
        ));
    };
    let sharing = terms.clearinghouse;
    match sharing.when {
        ShareWhen::Never => Err(DomainError::Conflict(format!(
            "the terms (version {}) never share findings with the clearinghouse",
            terms.version
        ))),
        ShareWhen::AfterRelease => match submission.outcome.as_ref() {
            Some(outcome) if outcome.is_released() => Ok(sharing.what),
            _ => Err(DomainError::Conflict(format!(
                "the terms (version {}) share findings only after the developer records the release",
                terms.version
            ))),
        },
        ShareWhen::AfterDaysFromReport { days } => {
            let from = finding.filed_at + Duration::days(i64::from(days));
            if now >= from {
                Ok(sharing.what)
            } else {
                Err(DomainError::Conflict(format!(
                    "the terms (version {}) share a finding {days} days after it was filed: not before {from}",
                    terms.version
                )))
            }
        }
    }
}
