//! The review lifecycle:
//! `draft → submitted → terms agreed → government phase → partner phase →
//! report delivered → closed`, with withdrawal and release open to the
//! developer at every step. Nothing here can block or delay a release.
//! Admins run the instance; they take no step in anyone's review.

use crate::DomainError;
use crate::actor::Actor;
use crate::org::{Role, snake_enum_text};
use crate::submission::Submission;
use crate::terms::AgreedTerms;
use chrono::{DateTime, Duration, Utc};
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
pub enum Stage {
    Draft,
    Submitted,
    TermsAgreed,
    GovernmentPhase,
    PartnerPhase,
    ReportDelivered,
    Closed,
}

snake_enum_text!(
    Stage,
    "stage",
    [
        Draft = "draft",
        Submitted = "submitted",
        TermsAgreed = "terms_agreed",
        GovernmentPhase = "government_phase",
        PartnerPhase = "partner_phase",
        ReportDelivered = "report_delivered",
        Closed = "closed",
    ]
);

/// The developer's own decision that ends access: always available.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Outcome {
    Released { at: DateTime<Utc> },
    Withdrawn { at: DateTime<Utc> },
}

impl Outcome {
    pub fn at(&self) -> DateTime<Utc> {
        match self {
            Outcome::Released { at } | Outcome::Withdrawn { at } => *at,
        }
    }
    pub fn is_released(&self) -> bool {
        matches!(self, Outcome::Released { .. })
    }
}

/// A request to move a review.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Transition {
    Submit,
    AgreeTerms,
    StartGovernmentPhase,
    StartPartnerPhase,
    DeliverReport,
    Close,
    Withdraw,
    RecordRelease,
}

snake_enum_text!(
    Transition,
    "action",
    [
        Submit = "submit",
        AgreeTerms = "agree_terms",
        StartGovernmentPhase = "start_government_phase",
        StartPartnerPhase = "start_partner_phase",
        DeliverReport = "deliver_report",
        Close = "close",
        Withdraw = "withdraw",
        RecordRelease = "record_release",
    ]
);

/// Applies `transition` to `submission` at `now` on behalf of `actor`, or says
/// which rule forbids it. `terms` are the latest terms both sides signed.
/// The caller has already checked that the actor may see the submission.
pub fn apply(
    submission: &Submission,
    transition: Transition,
    actor: &Actor,
    terms: Option<&AgreedTerms>,
    now: DateTime<Utc>,
) -> Result<Submission, DomainError> {
    let mut next = submission.clone();
    let is_developer = actor.role == Role::Developer && actor.belongs_to(submission.developer_org);
    let is_government = actor.role == Role::GovernmentEvaluator
        && actor.org_id.is_some_and(|org| {
            terms.is_none_or(|t| t.document.government_access.admits(org, actor.user_id))
        });
    let wrong_state = |action| DomainError::WrongState {
        action,
        state: submission.stage.to_string(),
    };
    let ended = |action: &'static str| -> Result<(), DomainError> {
        match submission.outcome {
            Some(Outcome::Released { at }) => Err(DomainError::Conflict(format!(
                "cannot {action}: the developer released the model at {at}"
            ))),
            Some(Outcome::Withdrawn { at }) => Err(DomainError::Conflict(format!(
                "cannot {action}: the developer withdrew the submission at {at}"
            ))),
            None => Ok(()),
        }
    };

    match transition {
        // The developer's decisions: open at every step, never blocked.
        Transition::RecordRelease => {
            require(is_developer, "only the developer records its release")?;
            if let Some(Outcome::Released { at }) = submission.outcome {
                return Err(DomainError::Conflict(format!(
                    "release already recorded at {at}"
                )));
            }
            next.outcome = Some(Outcome::Released { at: now });
        }
        Transition::Withdraw => {
            require(is_developer, "only the developer withdraws its submission")?;
            ended("withdraw")?;
            next.outcome = Some(Outcome::Withdrawn { at: now });
        }
        Transition::Submit => {
            require(is_developer, "only the developer submits its model")?;
            ended("submit")?;
            if submission.stage != Stage::Draft {
                return Err(wrong_state("submit"));
            }
            if submission.planned_release_at <= now {
                return Err(DomainError::invalid(
                    "planned_release_at",
                    submission.planned_release_at.to_rfc3339(),
                    "the planned release has passed",
                ));
            }
            next.stage = Stage::Submitted;
        }
        Transition::AgreeTerms => {
            require(
                is_developer || is_government,
                "only the developer or a government evaluator on the access list records agreed terms",
            )?;
            ended("agree terms")?;
            if submission.stage != Stage::Submitted {
                return Err(wrong_state("agree terms on"));
            }
            if terms.is_none() {
                return Err(DomainError::Conflict(
                    "no terms version is signed by both sides yet".into(),
                ));
            }
            next.stage = Stage::TermsAgreed;
        }
        Transition::StartGovernmentPhase => {
            require(
                is_government,
                "only a government evaluator on the access list starts the government phase",
            )?;
            ended("start the government phase")?;
            if submission.stage != Stage::TermsAgreed {
                return Err(wrong_state("start the government phase of"));
            }
            let terms = agreed(terms)?;
            let window = terms.document.window;
            if now < window.opens_at() {
                return Err(DomainError::Conflict(format!(
                    "the access window opens at {}; it is {now}",
                    window.opens_at()
                )));
            }
            if now >= window.ends_at() {
                return Err(DomainError::Conflict(format!(
                    "the access window ended at {}",
                    window.ends_at()
                )));
            }
            next.stage = Stage::GovernmentPhase;
            next.government_phase_started_at = Some(now);
        }
        Transition::StartPartnerPhase => {
            ended("start the partner phase")?;
            if submission.stage != Stage::GovernmentPhase {
                return Err(wrong_state("start the partner phase of"));
            }
            let terms = agreed(terms)?;
            let doc = &terms.document;
            let started = submission.government_phase_started_at.unwrap_or(now);
            let government_phase_over =
                now >= started + Duration::days(i64::from(doc.government_phase_days));
            // The government may hand over early; the developer may move on
            // once the agreed government phase has run its length.
            let allowed = is_government || (is_developer && government_phase_over);
            require(
                allowed,
                if is_developer {
                    "the government phase has not run its agreed length; the government may hand over sooner"
                } else {
                    "only the government evaluator or, after the government phase, the developer starts the partner phase"
                },
            )?;
            if now < doc.partner_window.start {
                return Err(DomainError::Conflict(format!(
                    "the partner window opens at {}; it is {now}",
                    doc.partner_window.start
                )));
            }
            if now >= doc.partner_window.end {
                return Err(DomainError::Conflict(format!(
                    "the partner window ended at {}",
                    doc.partner_window.end
                )));
            }
            next.stage = Stage::PartnerPhase;
            next.partner_phase_started_at = Some(now);
        }
        Transition::DeliverReport => {
            require(
                is_government,
                "only the government evaluator delivers the report",
            )?;
            // A report is delivered even after release or withdrawal: it informs.
            if !matches!(
                submission.stage,
                Stage::GovernmentPhase | Stage::PartnerPhase
            ) {
                return Err(wrong_state("deliver the report of"));
            }
            next.stage = Stage::ReportDelivered;
            next.report_delivered_at = Some(now);
        }
        Transition::Close => {
            require(
                is_government || is_developer,
                "only the developer or the government evaluator closes a review",
            )?;
            let closable = submission.stage == Stage::ReportDelivered
                || (submission.outcome.is_some() && submission.stage != Stage::Closed);
            if !closable {
                return Err(wrong_state("close"));
            }
            next.stage = Stage::Closed;
        }
    }
    Ok(next)
}

fn require(allowed: bool, why: &str) -> Result<(), DomainError> {
    if allowed {
        Ok(())
    } else {
        Err(DomainError::Forbidden(why.to_owned()))
    }
}

fn agreed(terms: Option<&AgreedTerms>) -> Result<&AgreedTerms, DomainError> {
    terms.ok_or_else(|| DomainError::Conflict("no terms version is signed by both sides".into()))
}
