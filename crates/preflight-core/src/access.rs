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

/// The phase in which `actor` may reach the model at `now`, or the rule that
/// refuses it, in words that name the rule.
pub fn reviewer_phase(
    submission: &Submission,
    terms: Option<&AgreedTerms>,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Phase, DomainError> {
    let refuse = |why: String| Err(DomainError::Forbidden(why));
    match submission.outcome {
        Some(Outcome::Released { at }) => {
            return refuse(format!("access closed: the model was released at {at}"));
        }
        Some(Outcome::Withdrawn { at }) => {
            return refuse(format!(
                "access closed: the submission was withdrawn at {at}"
            ));
        }
        None => {}
    }
    let Some(terms) = terms else {
        return refuse("no terms signed by both sides".into());
    };
    let doc = &terms.document;
    if now < doc.window.opens_at() {
        return refuse(format!("access window opens at {}", doc.window.opens_at()));
    }
    let end = access_ends_at(submission, terms);
    if now >= end {
        return refuse(format!("access window closed at {end}"));
    }
    let (Some(org), user) = (actor.org_id, actor.user_id) else {
        return refuse("only reviewers reach the model".into());
    };
    match actor.role {
        Role::GovernmentEvaluator => {
            if !doc.government_access.admits(org, user) {
                return refuse("not on the government access list of the agreed terms".into());
            }
            if !matches!(
                submission.stage,
                Stage::GovernmentPhase | Stage::PartnerPhase
            ) {
                return refuse(format!(
                    "review is in {}, not in a review phase",
                    submission.stage
                ));
            }
            Ok(Phase::Government)
        }
        Role::TrustedPartner => {
            if !doc.partner_access.admits(org, user) {
                return refuse("not on the partner access list of the agreed terms".into());
            }
            if submission.stage != Stage::PartnerPhase {
                return refuse(format!(
                    "review is in {}, not in the partner phase",
                    submission.stage
                ));
            }
            if !doc.partner_window.contains(now) {
                return refuse(format!(
                    "outside the partner window {} .. {}",
                    doc.partner_window.start, doc.partner_window.end
                ));
            }
            Ok(Phase::Partner)
        }
        _ => refuse(format!("a {} does not review models", actor.role)),
    }
}
