//! The lifecycle state machine. The developer's release and withdrawal are
//! open at every step; nothing a reviewer holds can block them.

use crate::fixtures::{GOV_DAYS, Who, World, assert_err, day, opens, release, secs};
use chrono::{DateTime, Duration, Utc};
use preflight_core::lifecycle::{Outcome, Stage, Transition, apply};
use preflight_core::submission::Submission;
use preflight_core::terms::AgreedTerms;
use preflight_core::window::ReviewWindow;

#[derive(Debug)]
enum Expect {
    /// Applied: the new stage and outcome.
    To(Stage, Option<Outcome>),
    /// Refused: the variant and texts its message must contain.
    Err(&'static str, Vec<String>),
}

/// Applies one transition and checks the outcome. On success it also checks
/// that nothing but the stage, outcome and the matching timestamp moved.
#[track_caller]
#[allow(clippy::too_many_arguments)]
fn check(
    case: &str,
    world: &World,
    from: &Submission,
    action: Transition,
    who: Who,
    terms: Option<&AgreedTerms>,
    now: DateTime<Utc>,
    expect: Expect,
) -> Option<Submission> {
    let got = apply(from, action, &world.actor(who), terms, now);
    let case = format!("{case} [{action} by {who:?} from {} at {now}]", from.stage);
    match (got, expect) {
        (Ok(next), Expect::To(stage, outcome)) => {
            assert_eq!(next.stage, stage, "{case}: stage");
            assert_eq!(next.outcome, outcome, "{case}: outcome");
            let mut expected = from.clone();
            expected.stage = stage;
            expected.outcome = outcome;
            if stage != from.stage {
                match stage {
                    Stage::GovernmentPhase => expected.government_phase_started_at = Some(now),
                    Stage::PartnerPhase => expected.partner_phase_started_at = Some(now),
                    Stage::ReportDelivered => expected.report_delivered_at = Some(now),
                    _ => {}
                }
            }
            assert_eq!(
                next, expected,
                "{case}: only stage, outcome and its timestamp change"
            );
            Some(next)
        }
        (Err(e), Expect::Err(variant, needles)) => {
            let needles: Vec<&str> = needles.iter().map(String::as_str).collect();
            assert_err(&case, &e, variant, &needles);
            None
        }
        (got, expect) => panic!("{case}: expected {expect:?}, got {got:?}"),
    }
}

fn err(variant: &'static str, needles: &[&str]) -> Expect {
    Expect::Err(variant, needles.iter().map(|s| (*s).to_owned()).collect())
}

#[test]
fn happy_path() {
    let w = World::new();
    let terms = w.agreed();
    let t = Some(&terms);
    let s = w.submission.clone();
    assert_eq!((s.stage, s.outcome), (Stage::Draft, None));
    let steps = [
        (
            Transition::Submit,
            Who::Dev,
            None,
            day(-10),
            Stage::Submitted,
        ),
        (
            Transition::AgreeTerms,
            Who::Dev,
            t,
            day(-5),
            Stage::TermsAgreed,
        ),
        (
            Transition::StartGovernmentPhase,
            Who::Gov,
            t,
            day(0),
            Stage::GovernmentPhase,
        ),
        (
            Transition::StartPartnerPhase,
            Who::Gov,
            t,
            day(7),
            Stage::PartnerPhase,
        ),
        (
            Transition::DeliverReport,
            Who::Gov,
            t,
            day(20),
            Stage::ReportDelivered,
        ),
        (Transition::Close, Who::Dev, t, day(21), Stage::Closed),
    ];
    let mut s = s;
    for (action, who, terms, now, stage) in steps {
        s = check(
            "happy path",
            &w,
            &s,
            action,
            who,
            terms,
            now,
            Expect::To(stage, None),
        )
        .expect("the step applies");
    }
    assert_eq!(s.government_phase_started_at, Some(day(0)));
    assert_eq!(s.partner_phase_started_at, Some(day(7)));
    assert_eq!(s.report_delivered_at, Some(day(20)));
    assert_eq!(s.outcome, None);
}

/// One forward step: the stages it starts from, who takes it, whether it
/// needs agreed terms, when it is taken, where it leads and the words of its
/// wrong-state error.
struct Forward {
    action: Transition,
    from: &'static [Stage],
    who: Who,
    with_terms: bool,
    now: DateTime<Utc>,
    to: Stage,
    words: &'static str,
}

fn forward() -> [Forward; 6] {
    let step = |action, from, who, with_terms, now, to, words| Forward {
        action,
        from,
        who,
        with_terms,
        now,
        to,
        words,
    };
    use Stage::*;
    use Transition::*;
    [
        step(
            Submit,
            &[Draft],
            Who::Dev,
            false,
            day(-10),
            Submitted,
            "submit",
        ),
        step(
            AgreeTerms,
            &[Submitted],
            Who::Dev,
            true,
            day(-5),
            TermsAgreed,
            "agree terms on",
        ),
        step(
            StartGovernmentPhase,
            &[TermsAgreed],
            Who::Gov,
            true,
            day(0),
            GovernmentPhase,
            "start the government phase of",
        ),
        step(
            StartPartnerPhase,
            &[GovernmentPhase],
            Who::Gov,
            true,
            day(7),
            PartnerPhase,
            "start the partner phase of",
        ),
        step(
            DeliverReport,
            &[GovernmentPhase, PartnerPhase],
            Who::Gov,
            true,
            day(20),
            ReportDelivered,
            "deliver the report of",
        ),
        step(
            Close,
            &[ReportDelivered],
            Who::Dev,
            true,
            day(21),
            Closed,
            "close",
        ),
    ]
}

#[test]
fn each_forward_transition_only_from_its_stage() {
    let w = World::new();
    let terms = w.agreed();
    for Forward {
        action,
        from: from_stages,
        who,
        with_terms,
        now,
        to,
        words,
    } in forward()
    {
        for stage in Stage::ALL.iter().copied() {
            let from = w.at_stage(stage);
            let expect = if from_stages.contains(&stage) {
                Expect::To(to, None)
            } else {
                err(
                    "WrongState",
                    &[&format!("cannot {words} a review in state {stage}")],
                )
            };
            let terms = with_terms.then_some(&terms);
            check(
                "forward transition",
                &w,
                &from,
                action,
                who,
                terms,
                now,
                expect,
            );
        }
    }
}

#[test]
fn wrong_actors_are_forbidden() {
    use Transition::*;
    let w = World::new();
    let terms = w.agreed();
    let only_gov_starts =
        "only a government evaluator on the access list starts the government phase";
    let only_gov_hands_over = "only the government evaluator or, after the government phase, the developer starts the partner phase";
    let too_soon = "the government phase has not run its agreed length";
    let only_gov_delivers = "only the government evaluator delivers the report";
    let only_dev_submits = "only the developer submits its model";
    let only_dev_withdraws = "only the developer withdraws its submission";
    let only_dev_releases = "only the developer records its release";
    let closers = "only the developer or the government evaluator closes a review";
    let agreers = "only the developer or a government evaluator on the access list";
    #[rustfmt::skip]
    let cases = [
        // Partners start nothing and decide nothing.
        (Who::Partner, Stage::Draft, Submit, day(-10), only_dev_submits),
        (Who::Partner, Stage::Submitted, AgreeTerms, day(-5), agreers),
        (Who::Partner, Stage::TermsAgreed, StartGovernmentPhase, day(0), only_gov_starts),
        (Who::Named, Stage::TermsAgreed, StartGovernmentPhase, day(0), only_gov_starts),
        (Who::Partner, Stage::GovernmentPhase, StartPartnerPhase, day(12), only_gov_hands_over),
        (Who::Named, Stage::GovernmentPhase, StartPartnerPhase, day(12), only_gov_hands_over),
        (Who::Partner, Stage::PartnerPhase, DeliverReport, day(20), only_gov_delivers),
        (Who::Partner, Stage::ReportDelivered, Close, day(21), closers),
        (Who::Partner, Stage::PartnerPhase, Withdraw, day(12), only_dev_withdraws),
        (Who::Partner, Stage::PartnerPhase, RecordRelease, day(12), only_dev_releases),
        // Another lab's developer has no say over this review.
        (Who::OtherDev, Stage::Draft, Submit, day(-10), only_dev_submits),
        (Who::OtherDev, Stage::Submitted, AgreeTerms, day(-5), agreers),
        (Who::OtherDev, Stage::Submitted, Withdraw, day(-5), only_dev_withdraws),
        (Who::OtherDev, Stage::GovernmentPhase, Withdraw, day(3), only_dev_withdraws),
        (Who::OtherDev, Stage::Draft, RecordRelease, day(-10), only_dev_releases),
        (Who::OtherDev, Stage::GovernmentPhase, RecordRelease, day(3), only_dev_releases),
        (Who::OtherDev, Stage::GovernmentPhase, StartPartnerPhase, day(12), only_gov_hands_over),
        (Who::OtherDev, Stage::ReportDelivered, Close, day(21), closers),
        // A government evaluator not on the agreed list.
        (Who::GovUnlisted, Stage::Submitted, AgreeTerms, day(-5), agreers),
        (Who::GovUnlisted, Stage::TermsAgreed, StartGovernmentPhase, day(0), only_gov_starts),
        (Who::GovUnlisted, Stage::GovernmentPhase, StartPartnerPhase, day(7), only_gov_hands_over),
        (Who::GovUnlisted, Stage::PartnerPhase, DeliverReport, day(20), only_gov_delivers),
        (Who::GovUnlisted, Stage::ReportDelivered, Close, day(21), closers),
        // The government does not take the developer's decisions.
        (Who::Gov, Stage::Draft, Submit, day(-10), only_dev_submits),
        (Who::Gov, Stage::PartnerPhase, Withdraw, day(12), only_dev_withdraws),
        (Who::Gov, Stage::PartnerPhase, RecordRelease, day(12), only_dev_releases),
        // The developer does not run the government's phases.
        (Who::Dev, Stage::TermsAgreed, StartGovernmentPhase, day(0), only_gov_starts),
        (Who::Dev, Stage::PartnerPhase, DeliverReport, day(20), only_gov_delivers),
        (Who::Dev, Stage::GovernmentPhase, StartPartnerPhase, day(7), too_soon),
        // Admins run the instance, not the reviews on it.
        (Who::Admin, Stage::GovernmentPhase, RecordRelease, day(3), only_dev_releases),
        (Who::Admin, Stage::PartnerPhase, Withdraw, day(12), only_dev_withdraws),
        (Who::Admin, Stage::PartnerPhase, DeliverReport, day(20), only_gov_delivers),
        (Who::Admin, Stage::ReportDelivered, Close, day(21), closers),
        // Nobody else takes part.
        (Who::Analyst, Stage::TermsAgreed, StartGovernmentPhase, day(0), only_gov_starts),
        (Who::Analyst, Stage::ReportDelivered, Close, day(21), closers),
        (Who::Analyst, Stage::Submitted, RecordRelease, day(-5), only_dev_releases),
        (Who::Operator, Stage::PartnerPhase, DeliverReport, day(20), only_gov_delivers),
        (Who::Operator, Stage::Submitted, Withdraw, day(-5), only_dev_withdraws),
        (Who::Operator, Stage::Draft, Submit, day(-10), only_dev_submits),
    ];
    for (who, stage, action, now, needle) in cases {
        let from = w.at_stage(stage);
        check(
            "wrong actor",
            &w,
            &from,
            action,
            who,
            Some(&terms),
            now,
            err("Forbidden", &[needle]),
        );
    }
}

#[test]
fn phase_timing() {
    use Transition::{StartGovernmentPhase as StartGov, StartPartnerPhase as StartPartner};
    let w = World::new();
    let terms = w.agreed();
    let mut short = w.terms_doc();
    short.window = ReviewWindow::new(release(), opens(), day(20)).expect("valid");
    short.partner_window.end = day(20);
    let short = w.agreed_with(short);
    let no_terms: Option<&AgreedTerms> = None;
    let gov_started_day_5 = {
        let mut s = w.at_stage(Stage::GovernmentPhase);
        s.government_phase_started_at = Some(day(5));
        s
    };
    let ta = w.at_stage(Stage::TermsAgreed);
    let gp = w.at_stage(Stage::GovernmentPhase);
    let to_gov = || Expect::To(Stage::GovernmentPhase, None);
    let to_partner = || Expect::To(Stage::PartnerPhase, None);
    let s = |t: DateTime<Utc>| t.to_string();
    let too_soon = "the government phase has not run its agreed length";
    #[rustfmt::skip]
    let cases = [
        // The government phase starts inside the window only.
        ("a second before the window", &ta, StartGov, Who::Gov, Some(&terms), opens() - secs(1), err("Conflict", &["access window opens at", &s(opens()), &s(opens() - secs(1))])),
        ("as the window opens", &ta, StartGov, Who::Gov, Some(&terms), opens(), to_gov()),
        ("a second before the window ends", &ta, StartGov, Who::Gov, Some(&terms), release() - secs(1), to_gov()),
        ("as the window ends", &ta, StartGov, Who::Gov, Some(&terms), release(), err("Conflict", &["access window ended at", &s(release())])),
        ("as a shorter window ends", &ta, StartGov, Who::Gov, Some(&short), day(20), err("Conflict", &["access window ended at", &s(day(20))])),
        ("after the release date", &ta, StartGov, Who::Gov, Some(&terms), release() + Duration::days(1), err("Conflict", &["access window ended at"])),
        ("not by an admin", &ta, StartGov, Who::Admin, Some(&terms), day(0), err("Forbidden", &["only a government evaluator"])),
        ("without agreed terms", &ta, StartGov, Who::Gov, no_terms, day(0), err("Conflict", &["no terms version is signed by both sides"])),
        // The government hands over whenever it likes inside the partner window.
        ("handover a second before the partner window", &gp, StartPartner, Who::Gov, Some(&terms), day(7) - secs(1), err("Conflict", &["partner window opens at", &s(day(7))])),
        ("handover as the partner window opens", &gp, StartPartner, Who::Gov, Some(&terms), day(7), to_partner()),
        ("handover on day 1 of the government phase is too early for partners", &gp, StartPartner, Who::Gov, Some(&terms), day(1), err("Conflict", &["partner window opens at"])),
        ("handover a second before the partner window ends", &gp, StartPartner, Who::Gov, Some(&terms), day(28) - secs(1), to_partner()),
        ("handover as the partner window ends", &gp, StartPartner, Who::Gov, Some(&terms), day(28), err("Conflict", &["partner window ended at", &s(day(28))])),
        ("no handover by an admin", &gp, StartPartner, Who::Admin, Some(&terms), day(7), err("Forbidden", &["only the government evaluator"])),
        ("handover without agreed terms", &gp, StartPartner, Who::Gov, no_terms, day(8), err("Conflict", &["no terms version is signed by both sides"])),
        // The developer moves on only once the agreed government days ran.
        ("developer as the partner window opens", &gp, StartPartner, Who::Dev, Some(&terms), day(7), err("Forbidden", &[too_soon])),
        ("developer a second before the government days end", &gp, StartPartner, Who::Dev, Some(&terms), day(i64::from(GOV_DAYS)) - secs(1), err("Forbidden", &[too_soon])),
        ("developer as the government days end", &gp, StartPartner, Who::Dev, Some(&terms), day(i64::from(GOV_DAYS)), to_partner()),
        ("developer after the partner window", &gp, StartPartner, Who::Dev, Some(&terms), day(28), err("Conflict", &["partner window ended at"])),
        ("developer, government started on day 5, day 14", &gov_started_day_5, StartPartner, Who::Dev, Some(&terms), day(15) - secs(1), err("Forbidden", &[too_soon])),
        ("developer, government started on day 5, day 15", &gov_started_day_5, StartPartner, Who::Dev, Some(&terms), day(15), to_partner()),
    ];
    for (case, from, action, who, terms, now, expect) in cases {
        check(case, &w, from, action, who, terms, now, expect);
    }
}

#[test]
fn submit_needs_a_future_release() {
    let w = World::new();
    let draft = w.at_stage(Stage::Draft);
    #[rustfmt::skip]
    let cases = [
        ("a second before the planned release", release() - secs(1), Expect::To(Stage::Submitted, None)),
        ("at the planned release", release(), err("Invalid", &["planned_release_at", &release().to_rfc3339(), "has passed"])),
        ("after the planned release", release() + Duration::days(3), err("Invalid", &["planned_release_at"])),
    ];
    for (case, now, expect) in cases {
        check(
            case,
            &w,
            &draft,
            Transition::Submit,
            Who::Dev,
            None,
            now,
            expect,
        );
    }
}

#[test]
fn agree_terms_needs_signed_terms() {
    let w = World::new();
    let terms = w.agreed();
    let submitted = w.at_stage(Stage::Submitted);
    #[rustfmt::skip]
    let cases = [
        ("developer, no signed terms", Who::Dev, None, err("Conflict", &["no terms version is signed by both sides"])),
        ("developer, signed terms", Who::Dev, Some(&terms), Expect::To(Stage::TermsAgreed, None)),
        ("government, signed terms", Who::Gov, Some(&terms), Expect::To(Stage::TermsAgreed, None)),
        ("admin, signed terms", Who::Admin, Some(&terms), err("Forbidden", &["only the developer or a government evaluator"])),
    ];
    for (case, who, terms, expect) in cases {
        check(
            case,
            &w,
            &submitted,
            Transition::AgreeTerms,
            who,
            terms,
            day(-5),
            expect,
        );
    }
}

// ---------------------------------------------------------------- no veto

/// Recording the release succeeds from every stage, before or after a
/// withdrawal, with or without terms, before, during or after the window,
/// whatever the planned date. `apply` takes no findings: none can hold it.
#[test]
fn release_is_never_blocked() {
    let w = World::new();
    let terms = w.agreed();
    let plans = [
        ("as planned", release()),
        ("planned a year ahead", release() + Duration::days(365)),
        ("planned date already past", day(-30)),
    ];
    let times = [
        ("before submission", day(-25)),
        ("mid-review", day(15)),
        ("at the planned release", release()),
        (
            "a month after the planned release",
            release() + Duration::days(30),
        ),
    ];
    let priors = [None, Some(Outcome::Withdrawn { at: day(-26) })];
    for stage in Stage::ALL.iter().copied() {
        for prior in priors {
            for (plan_name, plan) in plans {
                for (time_name, now) in times {
                    for terms in [None, Some(&terms)] {
                        let mut from = w.with_outcome(stage, prior);
                        from.planned_release_at = plan;
                        let case = format!(
                            "release ({plan_name}, {time_name}, prior {prior:?}, terms {})",
                            terms.is_some()
                        );
                        let expect = Expect::To(stage, Some(Outcome::Released { at: now }));
                        check(
                            &case,
                            &w,
                            &from,
                            Transition::RecordRelease,
                            Who::Dev,
                            terms,
                            now,
                            expect,
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn release_is_recorded_once() {
    let w = World::new();
    let released = w.with_outcome(Stage::PartnerPhase, Some(Outcome::Released { at: day(12) }));
    let expect = err(
        "Conflict",
        &["release already recorded at", &day(12).to_string()],
    );
    check(
        "second release",
        &w,
        &released,
        Transition::RecordRelease,
        Who::Dev,
        None,
        day(13),
        expect,
    );
}

#[test]
fn withdrawal_is_open_until_the_end() {
    let w = World::new();
    let terms = w.agreed();
    for stage in Stage::ALL.iter().copied() {
        for terms in [None, Some(&terms)] {
            for now in [day(-25), day(15), release() + Duration::days(1)] {
                let from = w.at_stage(stage);
                let expect = Expect::To(stage, Some(Outcome::Withdrawn { at: now }));
                check(
                    "withdraw",
                    &w,
                    &from,
                    Transition::Withdraw,
                    Who::Dev,
                    terms,
                    now,
                    expect,
                );
            }
        }
        let released = w.with_outcome(stage, Some(Outcome::Released { at: day(12) }));
        let expect = err(
            "Conflict",
            &[
                "cannot withdraw",
                "released the model at",
                &day(12).to_string(),
            ],
        );
        check(
            "withdraw after release",
            &w,
            &released,
            Transition::Withdraw,
            Who::Dev,
            None,
            day(13),
            expect,
        );
        let withdrawn = w.with_outcome(stage, Some(Outcome::Withdrawn { at: day(12) }));
        let expect = err(
            "Conflict",
            &[
                "cannot withdraw",
                "withdrew the submission at",
                &day(12).to_string(),
            ],
        );
        check(
            "withdraw twice",
            &w,
            &withdrawn,
            Transition::Withdraw,
            Who::Dev,
            None,
            day(13),
            expect,
        );
    }
}

/// After the developer's decision the review moves no further forward; the
/// report may still be delivered and the review closed.
#[test]
fn after_release_or_withdrawal() {
    let w = World::new();
    let terms = w.agreed();
    let at = day(-15);
    let outcomes = [
        (Outcome::Released { at }, "released the model at"),
        (Outcome::Withdrawn { at }, "withdrew the submission at"),
    ];
    for (outcome, words) in outcomes {
        for Forward {
            action,
            from: from_stages,
            who,
            with_terms,
            now,
            to,
            ..
        } in forward()
        {
            for stage in from_stages.iter().copied() {
                let from = w.with_outcome(stage, Some(outcome));
                let terms = with_terms.then_some(&terms);
                let expect = match action {
                    Transition::DeliverReport => Expect::To(to, Some(outcome)),
                    Transition::Close => Expect::To(to, Some(outcome)),
                    _ => err("Conflict", &[words, &at.to_string()]),
                };
                check(
                    "forward after the decision",
                    &w,
                    &from,
                    action,
                    who,
                    terms,
                    now,
                    expect,
                );
            }
        }
        for stage in Stage::ALL.iter().copied() {
            let from = w.with_outcome(stage, Some(outcome));
            for who in [Who::Dev, Who::Gov] {
                let expect = if stage == Stage::Closed {
                    err("WrongState", &["cannot close a review in state closed"])
                } else {
                    Expect::To(Stage::Closed, Some(outcome))
                };
                check(
                    "close after the decision",
                    &w,
                    &from,
                    Transition::Close,
                    who,
                    Some(&terms),
                    day(16),
                    expect,
                );
            }
        }
    }
}

#[test]
fn report_after_release_from_either_phase() {
    let w = World::new();
    let terms = w.agreed();
    let released = Some(Outcome::Released { at: day(12) });
    for stage in [Stage::GovernmentPhase, Stage::PartnerPhase] {
        let from = w.with_outcome(stage, released);
        let expect = Expect::To(Stage::ReportDelivered, released);
        check(
            "report after release",
            &w,
            &from,
            Transition::DeliverReport,
            Who::Gov,
            Some(&terms),
            day(40),
            expect,
        );
    }
}

#[test]
fn transitions_round_trip_as_text() {
    for t in Transition::ALL {
        assert_eq!(t.as_str().parse::<Transition>().as_ref(), Ok(t));
    }
    for s in Stage::ALL {
        assert_eq!(s.as_str().parse::<Stage>().as_ref(), Ok(s));
    }
    let e = "reopen".parse::<Transition>().expect_err("unknown action");
    assert_err(
        "unknown action",
        &e,
        "Invalid",
        &["action", "reopen", "record_release"],
    );
}

/// Random walks through the lifecycle (fixed seed): whatever happened
/// before, the developer can always record the release (once) and withdraw
/// (until a decision), and after a decision nobody reaches the model.
#[test]
fn random_walks_never_block_the_developer() {
    use preflight_core::access::reviewer_phase;
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};
    // Mostly the actors who move a review, now and then anyone else.
    const WHO: [Who; 10] = [
        Who::Dev,
        Who::Dev,
        Who::Dev,
        Who::Gov,
        Who::Gov,
        Who::Gov,
        Who::GovUnlisted,
        Who::Partner,
        Who::OtherDev,
        Who::Admin,
    ];
    // Mostly forward steps, so that walks get far before a decision ends them.
    const FORWARD: [Transition; 6] = [
        Transition::Submit,
        Transition::AgreeTerms,
        Transition::StartGovernmentPhase,
        Transition::StartPartnerPhase,
        Transition::DeliverReport,
        Transition::Close,
    ];
    let w = World::new();
    let terms = w.agreed();
    let mut rng = StdRng::seed_from_u64(0x5eed);
    let mut reached = std::collections::BTreeSet::new();
    for walk in 0..1000 {
        let mut s = w.submission.clone();
        let mut now = day(-3);
        for step in 0..40 {
            now += Duration::hours(rng.gen_range(0..36));
            let action = if rng.gen_bool(0.25) {
                Transition::ALL[rng.gen_range(0..Transition::ALL.len())]
            } else {
                FORWARD[rng.gen_range(0..FORWARD.len())]
            };
            let who = WHO[rng.gen_range(0..WHO.len())];
            let t = (s.stage != Stage::Draft && s.stage != Stage::Submitted || rng.gen_bool(0.5))
                .then_some(&terms);
            let case = format!(
                "walk {walk} step {step}: {action} by {who:?} at {now} in {} ({:?})",
                s.stage, s.outcome
            );

            reached.insert((s.stage, s.outcome.map(|o| o.is_released())));
            let released = apply(&s, Transition::RecordRelease, &w.actor(Who::Dev), t, now);
            let released_before = s.outcome.is_some_and(|o| o.is_released());
            assert_eq!(
                released.is_ok(),
                !released_before,
                "{case}: release {released:?}"
            );
            let withdrawn = apply(&s, Transition::Withdraw, &w.actor(Who::Dev), t, now);
            assert_eq!(
                withdrawn.is_ok(),
                s.outcome.is_none(),
                "{case}: withdraw {withdrawn:?}"
            );
            if s.outcome.is_some() {
                for reviewer in [Who::Gov, Who::Partner, Who::Named] {
                    let got = reviewer_phase(&s, t, &w.actor(reviewer), now);
                    assert!(
                        got.is_err(),
                        "{case}: {reviewer:?} reached the model after the decision"
                    );
                }
            }

            if let Ok(next) = apply(&s, action, &w.actor(who), t, now) {
                assert!(
                    next.outcome.is_none()
                        || next.outcome == s.outcome
                        || next.outcome.is_some_and(|o| o.at() == now),
                    "{case}"
                );
                assert!(
                    s.outcome.is_none() || next.outcome.is_some(),
                    "{case}: a decision was undone"
                );
                s = next;
            }
        }
    }
    // The walks must have exercised every stage, undecided, released and withdrawn.
    for stage in Stage::ALL.iter().copied() {
        for decision in [None, Some(true), Some(false)] {
            assert!(
                reached.contains(&(stage, decision)),
                "no walk reached {stage} with {decision:?}"
            );
        }
    }
}
