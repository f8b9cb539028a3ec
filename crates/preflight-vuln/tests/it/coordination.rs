use chrono::{TimeZone, Utc};
use preflight_vuln::{CaseFlag, CaseFlags, Embargo, EmbargoAction, EmbargoState, ReportState};

#[test]
fn report_transitions_follow_the_rm_model() {
    use ReportState::*;
    let allowed = [
        (Received, Valid),
        (Received, Invalid),
        (Invalid, Valid),
        (Invalid, Closed),
        (Valid, Accepted),
        (Valid, Deferred),
        (Accepted, Deferred),
        (Accepted, Closed),
        (Deferred, Accepted),
        (Deferred, Closed),
    ];
    for from in ReportState::ALL {
        for to in ReportState::ALL {
            let result = from.transition(to);
            if allowed.contains(&(from, to)) {
                assert_eq!(result.expect("allowed"), to);
            } else {
                let err = result.expect_err("refused").to_string();
                assert!(
                    err.contains(from.as_str()) && err.contains(to.as_str()),
                    "{err}"
                );
            }
        }
    }
    assert_eq!(
        Closed
            .transition(Valid)
            .expect_err("closed is final")
            .to_string(),
        "report is closed: cannot move to valid (allowed from closed: nothing, it is final)"
    );
}

#[test]
fn embargo_runs_through_propose_accept_revise_exit() {
    let now = Utc
        .with_ymd_and_hms(2026, 6, 1, 0, 0, 0)
        .single()
        .expect("a date");
    let end = Utc
        .with_ymd_and_hms(2026, 7, 1, 0, 0, 0)
        .single()
        .expect("a date");
    let later = Utc
        .with_ymd_and_hms(2026, 8, 1, 0, 0, 0)
        .single()
        .expect("a date");
    let e = Embargo::default();
    let e = e.apply(EmbargoAction::Propose(end), now).expect("propose");
    assert_eq!(e.state, EmbargoState::Proposed);
    assert!(!e.in_force(now));
    let e = e.apply(EmbargoAction::Accept, now).expect("accept");
    assert_eq!((e.state, e.ends_at), (EmbargoState::Active, Some(end)));
    assert!(e.in_force(now) && !e.in_force(end));
    let e = e.apply(EmbargoAction::Propose(later), now).expect("revise");
    assert_eq!((e.state, e.ends_at), (EmbargoState::Revise, Some(end)));
    let rejected = e
        .apply(EmbargoAction::Reject, now)
        .expect("reject revision");
    assert_eq!(
        (rejected.state, rejected.ends_at),
        (EmbargoState::Active, Some(end))
    );
    let e = e
        .apply(EmbargoAction::Accept, now)
        .expect("accept revision");
    assert_eq!(e.ends_at, Some(later));
    let e = e.apply(EmbargoAction::Terminate, now).expect("terminate");
    assert_eq!(e.state, EmbargoState::Exited);
    let err = e
        .apply(EmbargoAction::Propose(later), now)
        .expect_err("exited is final");
    assert_eq!(
        err.to_string(),
        "embargo is exited: cannot propose (allowed from exited: nothing, it is final)"
    );
    let err = Embargo::default()
        .apply(EmbargoAction::Accept, now)
        .expect_err("nothing to accept");
    assert_eq!(
        err.to_string(),
        "embargo is none: cannot accept (allowed from none: propose)"
    );
    assert!(
        Embargo::default()
            .apply(EmbargoAction::Propose(now), now)
            .is_err(),
        "an end in the past"
    );
}

#[test]
fn case_flags_turn_on_once_in_vendor_order() {
    let f = CaseFlags::default();
    assert!(
        f.set(CaseFlag::FixReady).is_err(),
        "fix ready before vendor aware"
    );
    let f = f.set(CaseFlag::VendorAware).expect("v");
    assert!(
        f.set(CaseFlag::FixDeployed).is_err(),
        "deployed before ready"
    );
    let f = f
        .set(CaseFlag::FixReady)
        .expect("f")
        .set(CaseFlag::FixDeployed)
        .expect("d");
    let f = f
        .set(CaseFlag::PublicAware)
        .expect("p")
        .set(CaseFlag::ExploitPublic)
        .expect("x");
    assert_eq!(f.to_string(), "VFDPXa");
    let err = f.set(CaseFlag::PublicAware).expect_err("already on");
    assert!(err.to_string().contains("public_aware"), "{err}");
    let f = f.set(CaseFlag::AttacksObserved).expect("a");
    assert_eq!(f.to_string(), "VFDPXA");
}
