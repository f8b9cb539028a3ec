//! Who sees what of a review.

use crate::fixtures::{Who, World};
use preflight_core::lifecycle::Stage;
use preflight_core::policy::{Visibility, may_read_finding, visibility};

#[test]
fn visibility_by_role() {
    use Visibility::{Full, None as Hidden, Partner};
    let w = World::new();
    let terms = w.agreed();
    #[rustfmt::skip]
    let cases = [
        ("admin sees drafts", Who::Admin, Stage::Draft, false, Full),
        ("admin sees reviews", Who::Admin, Stage::PartnerPhase, true, Full),
        ("developer sees its draft", Who::Dev, Stage::Draft, false, Full),
        ("developer sees its review", Who::Dev, Stage::Closed, true, Full),
        ("another developer sees no draft", Who::OtherDev, Stage::Draft, false, Hidden),
        ("another developer sees no review", Who::OtherDev, Stage::PartnerPhase, true, Hidden),
        ("government sees no draft", Who::Gov, Stage::Draft, false, Hidden),
        ("government sees a submission", Who::Gov, Stage::Submitted, false, Full),
        ("government sees a review", Who::Gov, Stage::PartnerPhase, true, Full),
        ("government sees a closed review", Who::Gov, Stage::Closed, true, Full),
        ("government not on the list sees no draft", Who::GovUnlisted, Stage::Draft, false, Hidden),
        ("any government evaluator sees a submission under negotiation", Who::GovUnlisted, Stage::Submitted, false, Full),
        ("government not on the agreed list sees no review", Who::GovUnlisted, Stage::GovernmentPhase, true, Hidden),
        ("government not on the agreed list sees no closed review", Who::GovUnlisted, Stage::Closed, true, Hidden),
        ("listed partner", Who::Partner, Stage::PartnerPhase, true, Partner),
        ("listed partner's colleague", Who::PartnerColleague, Stage::PartnerPhase, true, Partner),
        ("listed partner before its phase", Who::Partner, Stage::TermsAgreed, true, Partner),
        ("the named person", Who::Named, Stage::PartnerPhase, true, Partner),
        ("the named person's colleague", Who::NamedColleague, Stage::PartnerPhase, true, Hidden),
        ("partner not on the list", Who::UnlistedPartner, Stage::PartnerPhase, true, Hidden),
        ("partner, no agreed terms", Who::Partner, Stage::Submitted, false, Hidden),
        ("partner, draft", Who::Partner, Stage::Draft, false, Hidden),
        ("clearinghouse analyst", Who::Analyst, Stage::Closed, true, Hidden),
        ("operator", Who::Operator, Stage::Closed, true, Hidden),
    ];
    for (case, who, stage, agreed, expected) in cases {
        let submission = w.at_stage(stage);
        let terms = agreed.then_some(&terms);
        assert_eq!(
            visibility(&w.actor(who), &submission, terms),
            expected,
            "{case}"
        );
    }
}

#[test]
fn who_reads_which_finding() {
    let w = World::new();
    let terms = w.agreed();
    let submission = w.at_stage(Stage::PartnerPhase);
    #[rustfmt::skip]
    let cases = [
        ("partner reads its own finding", Who::Partner, Who::Partner, true),
        ("partner reads its colleague's finding", Who::PartnerColleague, Who::Partner, true),
        ("partner does not read another partner's finding", Who::Partner, Who::Named, false),
        ("partner does not read the government's finding", Who::Partner, Who::Gov, false),
        ("named person reads its own finding", Who::Named, Who::Named, true),
        ("unnamed colleague reads nothing", Who::NamedColleague, Who::Named, false),
        ("unlisted partner reads nothing, not even its own", Who::UnlistedPartner, Who::UnlistedPartner, false),
        ("government reads a partner's finding", Who::Gov, Who::Partner, true),
        ("developer reads a partner's finding", Who::Dev, Who::Named, true),
        ("admin reads everything", Who::Admin, Who::Gov, true),
        ("another developer reads nothing", Who::OtherDev, Who::Gov, false),
        ("analyst reads nothing", Who::Analyst, Who::Gov, false),
        ("operator reads nothing", Who::Operator, Who::Partner, false),
    ];
    for (case, reader, author, expected) in cases {
        let actor = w.actor(reader);
        let seen = visibility(&actor, &submission, Some(&terms));
        assert_eq!(
            may_read_finding(&actor, seen, &w.finding(author)),
            expected,
            "{case}"
        );
    }
}

#[test]
fn visibility_is_ordered() {
    assert!(Visibility::None < Visibility::Partner && Visibility::Partner < Visibility::Full);
}
