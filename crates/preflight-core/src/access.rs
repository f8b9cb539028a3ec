//! Whether a person may reach the model under review now, and in which
//! phase. The gateway and the findings desk both ask here.

use crate::DomainError;
use crate::actor::Actor;
use crate::finding::Phase;
use crate::lifecycle::{Outcome, Stage};
use crate::org::Role;
use crate::submission::Submission;
use crate::terms::AgreedTerms;
use chrono::{DateTime, Utc};

/// The instant access ends for good: the earliest of the planned release,
/// the agreed end and the developer's release or withdrawal.
pub fn access_ends_at(submission: &Submission, terms: &AgreedTerms) -> DateTime<Utc> {
    let mut end = terms
        .document
        .window
        .ends_at()
        .min(submission.planned_release_at);
    if let Some(outcome) = submission.outcome {
        end = end.min(outcome.at());
    }
    end
}

/// Why a reviewer may not reach the model now. Each refusal names its rule
/// with a stable code (for API clients) and a message with the values at fault.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AccessRefusal {
    #[error("access closed: the model was released at {at}")]
    Released { at: DateTime<Utc> },
    #[error("access closed: the submission was withdrawn at {at}")]
    Withdrawn { at: DateTime<Utc> },
    #[error("no terms signed by both sides")]
    NoAgreedTerms,
    #[error("access window opens at {opens_at}")]
    WindowNotOpen { opens_at: DateTime<Utc> },
    #[error("access window closed at {closed_at}")]
    WindowClosed { closed_at: DateTime<Utc> },
    #[error("only reviewers reach the model")]
    NotAReviewer,
    #[error("a {role} does not review models")]
    RoleNotReviewer { role: Role },
    #[error("not on the {list} access list of the agreed terms")]
    NotOnAccessList { list: &'static str },
    #[error("review is in {stage}, not in {expected}")]
    WrongPhase {
        stage: Stage,
        expected: &'static str,
    },
    #[error("outside the partner window {start} .. {end}")]
    OutsidePartnerWindow {
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    },
}

impl AccessRefusal {
    /// The rule's stable code.
    pub fn rule(&self) -> &'static str {
        match self {
            Self::Released { .. } => "model_released",
            Self::Withdrawn { .. } => "submission_withdrawn",
            Self::NoAgreedTerms => "no_agreed_terms",
            Self::WindowNotOpen { .. } => "window_not_open",
            Self::WindowClosed { .. } => "window_closed",
            Self::NotAReviewer | Self::RoleNotReviewer { .. } => "not_a_reviewer",
            Self::NotOnAccessList { .. } => "not_on_access_list",
            Self::WrongPhase { .. } => "wrong_phase",
            Self::OutsidePartnerWindow { .. } => "outside_partner_window",
        }
    }
}

impl From<AccessRefusal> for DomainError {
    fn from(refusal: AccessRefusal) -> Self {
        DomainError::Forbidden(refusal.to_string())
    }
}

/// The phase in which `actor` may reach the model at `now`, or the rule that
/// refuses it, in words that name the rule.
pub fn reviewer_phase(
    submission: &Submission,
    terms: Option<&AgreedTerms>,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Phase, DomainError> {
    reviewer_access(submission, terms, actor, now).map_err(DomainError::from)
}

/// As [`reviewer_phase`], with the refusal as a value the gateway can name.
pub fn reviewer_access(
    submission: &Submission,
    terms: Option<&AgreedTerms>,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Phase, AccessRefusal> {
    match submission.outcome {
        Some(Outcome::Released { at }) => return Err(AccessRefusal::Released { at }),
        Some(Outcome::Withdrawn { at }) => return Err(AccessRefusal::Withdrawn { at }),
        None => {}
    }
    let Some(terms) = terms else {
        return Err(AccessRefusal::NoAgreedTerms);
    };
    let doc = &terms.document;
    if now < doc.window.opens_at() {
        return Err(AccessRefusal::WindowNotOpen {
            opens_at: doc.window.opens_at(),
        });
    }
    let end = access_ends_at(submission, terms);
    if now >= end {
        return Err(AccessRefusal::WindowClosed { closed_at: end });
    }
    let (Some(org), user) = (actor.org_id, actor.user_id) else {
        return Err(AccessRefusal::NotAReviewer);
    };
    match actor.role {
        Role::GovernmentEvaluator => {
            if !doc.government_access.admits(org, user) {
                return Err(AccessRefusal::NotOnAccessList { list: "government" });
            }
            if !matches!(
                submission.stage,
                Stage::GovernmentPhase | Stage::PartnerPhase
            ) {
                return Err(AccessRefusal::WrongPhase {
                    stage: submission.stage,
                    expected: "a review phase",
                });
            }
            Ok(Phase::Government)
        }
        Role::TrustedPartner => {
            if !doc.partner_access.admits(org, user) {
                return Err(AccessRefusal::NotOnAccessList { list: "partner" });
            }
            if submission.stage != Stage::PartnerPhase {
                return Err(AccessRefusal::WrongPhase {
                    stage: submission.stage,
                    expected: "the partner phase",
                });
            }
            if !doc.partner_window.contains(now) {
                return Err(AccessRefusal::OutsidePartnerWindow {
                    start: doc.partner_window.start,
                    end: doc.partner_window.end,
                });
            }
            Ok(Phase::Partner)
        }
        role => Err(AccessRefusal::RoleNotReviewer { role }),
    }
}

/// When the review's transcripts are destroyed: the agreed number of
/// retention days after access ended for good.
pub fn transcripts_expire_at(submission: &Submission, terms: &AgreedTerms) -> DateTime<Utc> {
    access_ends_at(submission, terms)
        + chrono::Duration::days(i64::from(terms.document.transcript_retention_days))
}
