//! Who may reach the model, when, and in which phase.

use crate::fixtures::{Who, World, assert_err, day, opens, release, secs};
use chrono::{DateTime, Duration, Utc};
use preflight_core::access::{access_ends_at, reviewer_phase};
use preflight_core::finding::Phase;
use preflight_core::ids::UserId;
use preflight_core::lifecycle::{Outcome, Stage};
use preflight_core::terms::{AgreedTerms, NamedPerson};
use preflight_core::window::ReviewWindow;
use uuid::Uuid;

/// Which agreed terms a case runs under.
#[derive(Clone, Copy, Debug)]
enum Terms {
    /// The standard terms: window = the 30 days up to release.
    Standard,
    /// None signed by both sides.
    Unsigned,
    /// A window that ends on day 25, before the release.
    EndsDay25,
    /// The government list narrowed to someone other than `Who::Gov`.
    GovNarrowed,
}

fn terms(w: &World, kind: Terms) -> Option<AgreedTerms> {
    let mut doc = w.terms_doc();
    match kind {
        Terms::Standard => {}
        Terms::Unsigned => return None,
        Terms::EndsDay25 => {
            doc.window = ReviewWindow::new(release(), opens(), day(25)).expect("valid");
            doc.partner_window.end = day(25);
        }
        Terms::GovNarrowed => doc.government_access.people.push(NamedPerson {
            user_id: UserId(Uuid::from_u128(42)),
            org_id: w.gov_org.id,
        }),
    }
    Some(w.agreed_with(doc))
}

/// The review as a case sees it.
#[derive(Clone, Copy, Debug)]
struct Review {
    stage: Stage,
    outcome: Option<Outcome>,
    /// The developer moved the planned release to this instant.
    planned: Option<DateTime<Utc>>,
    terms: Terms,
}

const fn review(stage: Stage) -> Review {
    Review {
        stage,
        outcome: None,
        planned: None,
        terms: Terms::Standard,
    }
}

impl Review {
    const fn with_terms(mut self, terms: Terms) -> Self {
        self.terms = terms;
        self
    }
    const fn with_outcome(mut self, outcome: Outcome) -> Self {
        self.outcome = Some(outcome);
        self
    }
    const fn planned(mut self, at: DateTime<Utc>) -> Self {
        self.planned = Some(at);
        self
    }
}

#[track_caller]
fn check(
    w: &World,
    case: &str,
    review: Review,
    who: Who,
    now: DateTime<Utc>,
    expect: Result<Phase, Vec<String>>,
) {
    let mut submission = w.with_outcome(review.stage, review.outcome);
    if let Some(planned) = review.planned {
        submission.planned_release_at = planned;
    }
    let terms = terms(w, review.terms);
    let got = reviewer_phase(&submission, terms.as_ref(), &w.actor(who), now);
    let case = format!("{case} [{who:?} at {now}, {review:?}]");
    match (got, expect) {
        (Ok(phase), Ok(expected)) => assert_eq!(phase, expected, "{case}"),
        (Err(e), Err(needles)) => {
            let needles: Vec<&str> = needles.iter().map(String::as_str).collect();
            assert_err(&case, &e, "Forbidden", &needles);
        }
        (got, expect) => panic!("{case}: expected {expect:?}, got {got:?}"),
    }
}

fn refused(needles: &[&str]) -> Result<Phase, Vec<String>> {
    Err(needles.iter().map(|s| (*s).to_owned()).collect())
}

#[test]
fn reviewer_phase_rules() {
    let w = World::new();
    let gp = review(Stage::GovernmentPhase);
    let pp = review(Stage::PartnerPhase);
    let s = |t: DateTime<Utc>| t.to_string();
    let gov = Ok(Phase::Government);
    let partner = Ok(Phase::Partner);
    let not_partner_list = "not on the partner access list of the agreed terms";
    #[rustfmt::skip]
    let cases = [
        // The government, through both review phases.
        ("government in its phase", gp, Who::Gov, day(1), gov.clone()),
        ("government in the partner phase", pp, Who::Gov, day(10), gov.clone()),
        ("government as the window opens", gp, Who::Gov, opens(), gov.clone()),
        ("government a second before the window", gp, Who::Gov, opens() - secs(1), refused(&["access window opens at", &s(opens())])),
        ("government a second before release", pp, Who::Gov, release() - secs(1), gov.clone()),
        ("government at release", pp, Who::Gov, release(), refused(&["access window closed at", &s(release())])),
        ("government after release date", pp, Who::Gov, release() + Duration::days(2), refused(&["access window closed at"])),
        ("government before its phase", review(Stage::TermsAgreed), Who::Gov, day(1), refused(&["review is in terms_agreed, not in a review phase"])),
        ("government after the report", review(Stage::ReportDelivered), Who::Gov, day(21), refused(&["review is in report_delivered"])),
        ("government after closing", review(Stage::Closed), Who::Gov, day(21), refused(&["review is in closed"])),
        ("government not on the list", gp, Who::GovUnlisted, day(1), refused(&["not on the government access list of the agreed terms"])),
        ("government list names someone else", gp.with_terms(Terms::GovNarrowed), Who::Gov, day(1), refused(&["not on the government access list"])),
        ("government, no agreed terms", gp.with_terms(Terms::Unsigned), Who::Gov, day(1), refused(&["no terms signed by both sides"])),
        // Partners, in the partner phase and window only.
        ("partner in the partner phase", pp, Who::Partner, day(10), partner.clone()),
        ("partner's colleague (nobody named)", pp, Who::PartnerColleague, day(10), partner.clone()),
        ("the named person", pp, Who::Named, day(10), partner.clone()),
        ("the named person's colleague", pp, Who::NamedColleague, day(10), refused(&[not_partner_list])),
        ("partner not on the list", pp, Who::UnlistedPartner, day(10), refused(&[not_partner_list])),
        ("partner in the government phase", gp, Who::Partner, day(10), refused(&["review is in government_phase, not in the partner phase"])),
        ("partner before terms", review(Stage::TermsAgreed), Who::Partner, day(10), refused(&["review is in terms_agreed"])),
        ("partner after the report", review(Stage::ReportDelivered), Who::Partner, day(21), refused(&["review is in report_delivered"])),
        ("partner as the partner window opens", pp, Who::Partner, day(7), partner.clone()),
        ("partner a second before the partner window", pp, Who::Partner, day(7) - secs(1), refused(&["outside the partner window", &s(day(7)), &s(day(28))])),
        ("partner a second before the partner window ends", pp, Who::Partner, day(28) - secs(1), partner.clone()),
        ("partner as the partner window ends", pp, Who::Partner, day(28), refused(&["outside the partner window", &s(day(28))])),
        ("partner a second before the window", pp, Who::Partner, opens() - secs(1), refused(&["access window opens at", &s(opens())])),
        ("partner at release", pp, Who::Partner, release(), refused(&["access window closed at", &s(release())])),
        ("partner, no agreed terms", pp.with_terms(Terms::Unsigned), Who::Partner, day(10), refused(&["no terms signed by both sides"])),
        // The agreed end, when it comes before the release.
        ("a second before the agreed end", gp.with_terms(Terms::EndsDay25), Who::Gov, day(25) - secs(1), gov.clone()),
        ("at the agreed end", gp.with_terms(Terms::EndsDay25), Who::Gov, day(25), refused(&["access window closed at", &s(day(25))])),
        ("partner at the agreed end", pp.with_terms(Terms::EndsDay25), Who::Partner, day(25), refused(&["access window closed at", &s(day(25))])),
        // The developer moved the release earlier.
        ("a second before a moved release", pp.planned(day(15)), Who::Gov, day(15) - secs(1), gov.clone()),
        ("at a moved release", pp.planned(day(15)), Who::Gov, day(15), refused(&["access window closed at", &s(day(15))])),
        ("partner at a moved release", pp.planned(day(15)), Who::Partner, day(15), refused(&["access window closed at", &s(day(15))])),
        ("release moved later changes nothing", pp.planned(release() + Duration::days(9)), Who::Gov, release(), refused(&["access window closed at", &s(release())])),
        // The developer's decisions end access for good.
        ("government after release", pp.with_outcome(Outcome::Released { at: day(12) }), Who::Gov, day(12), refused(&["access closed: the model was released at", &s(day(12))])),
        ("partner after release", pp.with_outcome(Outcome::Released { at: day(12) }), Who::Partner, day(13), refused(&["released at", &s(day(12))])),
        ("government after withdrawal", gp.with_outcome(Outcome::Withdrawn { at: day(3) }), Who::Gov, day(4), refused(&["access closed: the submission was withdrawn at", &s(day(3))])),
        ("partner after withdrawal", pp.with_outcome(Outcome::Withdrawn { at: day(9) }), Who::Partner, day(10), refused(&["withdrawn at", &s(day(9))])),
        // Nobody else reviews.
        ("the developer", pp, Who::Dev, day(10), refused(&["a developer does not review models"])),
        ("another developer", pp, Who::OtherDev, day(10), refused(&["a developer does not review models"])),
        ("an analyst", pp, Who::Analyst, day(10), refused(&["a clearinghouse_analyst does not review models"])),
        ("an operator", pp, Who::Operator, day(10), refused(&["operator does not review models"])),
        ("an admin", pp, Who::Admin, day(10), refused(&["only reviewers reach the model"])),
    ];
    for (case, review, who, now, expect) in cases {
        check(&w, case, review, who, now, expect);
    }
}

#[test]
fn access_ends_at_the_earliest_end() {
    let w = World::new();
    #[rustfmt::skip]
    let cases = [
        ("window ends at release", release(), release(), None, release()),
        ("agreed end before release", day(25), release(), None, day(25)),
        ("release moved earlier", release(), day(15), None, day(15)),
        ("release moved later", release(), release() + Duration::days(9), None, release()),
        ("released", release(), release(), Some(Outcome::Released { at: day(12) }), day(12)),
        ("withdrawn", release(), release(), Some(Outcome::Withdrawn { at: day(3) }), day(3)),
        ("released after the window", day(25), release(), Some(Outcome::Released { at: day(27) }), day(25)),
        ("all three", day(25), day(20), Some(Outcome::Released { at: day(22) }), day(20)),
    ];
    for (case, window_end, planned, outcome, expected) in cases {
        let mut doc = w.terms_doc();
        doc.window = ReviewWindow::new(release(), opens(), window_end).expect("valid");
        let terms = w.agreed_with(doc);
        let mut submission = w.with_outcome(Stage::PartnerPhase, outcome);
        submission.planned_release_at = planned;
        assert_eq!(access_ends_at(&submission, &terms), expected, "{case}");
    }
}
