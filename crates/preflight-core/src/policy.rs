//! Who may see what of a review. Every route asks here before it answers.

use crate::actor::Actor;
use crate::finding::Finding;
use crate::lifecycle::Stage;
use crate::org::Role;
use crate::submission::Submission;
use crate::terms::AgreedTerms;

/// How much of a review an actor may see.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Visibility {
    /// Nothing; the review's existence is not confirmed.
    None,
    /// The submission, the agreed terms and the actor's own organisation's findings.
    Partner,
    /// Everything: the developer, the government and admins.
    Full,
}

pub fn visibility(
    actor: &Actor,
    submission: &Submission,
    terms: Option<&AgreedTerms>,
) -> Visibility {
    match actor.role {
        Role::Admin => Visibility::Full,
        Role::Developer if actor.belongs_to(submission.developer_org) => Visibility::Full,
        // Until terms are agreed the program office sees what developers have
        // submitted, to negotiate; then only the government organisations the
        // agreed terms name. Drafts stay with the developer.
        Role::GovernmentEvaluator if submission.stage != Stage::Draft => {
            match (terms, actor.org_id) {
                (None, _) => Visibility::Full,
                (Some(t), Some(org)) if t.document.government_access.has_org(org) => {
                    Visibility::Full
                }
                _ => Visibility::None,
            }
        }
        Role::TrustedPartner => match (terms, actor.org_id) {
            (Some(t), Some(org)) if t.document.partner_access.admits(org, actor.user_id) => {
                Visibility::Partner
            }
            _ => Visibility::None,
        },
        _ => Visibility::None,
    }
}

/// Whether an actor with `visibility` may read `finding`.
pub fn may_read_finding(actor: &Actor, visibility: Visibility, finding: &Finding) -> bool {
    match visibility {
        Visibility::Full => true,
        Visibility::Partner => actor.org_id == Some(finding.author_org),
        Visibility::None => false,
    }
}
