//! The TLP 2.0 release matrix: every label × every kind of reader × embargo
//! and draft. Any object shown to an organisation that may not see it, or
//! withheld from one that may, fails the test.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, TimeZone, Utc};
use preflight_core::ids::OrgId;
use preflight_core::org::{OrgKind, Sector};
use preflight_core::sharing::{Audience, Reader, Release, Tlp, Withheld, may_receive};

struct Org {
    name: &'static str,
    id: OrgId,
    kind: OrgKind,
    sector: Option<Sector>,
    subscriptions: BTreeSet<Sector>,
    client_of: BTreeSet<OrgId>,
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 27, 12, 0, 0)
        .single()
        .expect("a time")
}

/// The readers: the clearinghouse, operators named, addressed by sector,
/// subscribed to the sector, elsewhere, a client of the named one, and the
/// review side (a lab, the government, a named partner).
fn readers() -> Vec<Org> {
    let org = |name, kind, sector| Org {
        name,
        id: OrgId::new(),
        kind,
        sector,
        subscriptions: BTreeSet::new(),
        client_of: BTreeSet::new(),
    };
    let mut orgs = vec![
        org("clearinghouse", OrgKind::Clearinghouse, None),
        org(
            "named operator",
            OrgKind::Operator,
            Some(Sector::Healthcare),
        ),
        org(
            "healthcare operator",
            OrgKind::Operator,
            Some(Sector::Healthcare),
        ),
        org("subscribed bank", OrgKind::Operator, Some(Sector::Finance)),
        org("energy operator", OrgKind::Operator, Some(Sector::Energy)),
        org(
            "client of the named",
            OrgKind::Operator,
            Some(Sector::Energy),
        ),
        org("lab", OrgKind::DeveloperLab, None),
        org("government", OrgKind::GovernmentEvaluator, None),
        org("named partner", OrgKind::TrustedPartner, None),
    ];
    orgs[3].subscriptions.insert(Sector::Healthcare);
    let named = orgs[1].id;
    orgs[5].client_of.insert(named);
    orgs
}

fn audience(orgs: &[Org]) -> Audience {
    Audience {
        recipients: BTreeSet::from([orgs[1].id, orgs[8].id]),
        sectors: BTreeSet::from([Sector::Healthcare]),
    }
}

/// Who receives an object labelled `tlp`, published, without embargo.
fn expected(tlp: Tlp) -> BTreeSet<&'static str> {
    let all = [
        "clearinghouse",
        "named operator",
        "healthcare operator",
        "subscribed bank",
        "energy operator",
        "client of the named",
        "lab",
        "government",
        "named partner",
    ];
    let pick = |names: &[&'static str]| names.iter().copied().collect();
    match tlp {
        Tlp::Clear | Tlp::Green => pick(&all),
        Tlp::Amber => pick(&[
            "clearinghouse",
            "named operator",
            "healthcare operator",
            "subscribed bank",
            "client of the named",
            "named partner",
        ]),
        Tlp::AmberStrict => pick(&[
            "clearinghouse",
            "named operator",
            "healthcare operator",
            "subscribed bank",
            "named partner",
        ]),
        Tlp::Red => pick(&["clearinghouse", "named operator", "named partner"]),
    }
}

fn receivers(orgs: &[Org], release: &Release<'_>) -> BTreeSet<&'static str> {
    orgs.iter()
        .filter(|o| {
            let reader = Reader {
                org: o.id,
                kind: o.kind,
                sector: o.sector,
                subscriptions: &o.subscriptions,
                client_of: &o.client_of,
            };
            may_receive(release, &reader, now()).is_ok()
        })
        .map(|o| o.name)
        .collect()
}

#[test]
fn each_label_reaches_exactly_its_readers() {
    let orgs = readers();
    let audience = audience(&orgs);
    for tlp in Tlp::ALL {
        let release = Release {
            tlp,
            audience: &audience,
            published: true,
            embargo_until: None,
        };
        assert_eq!(receivers(&orgs, &release), expected(tlp), "{}", tlp.label());
        let ended = Release {
            embargo_until: Some(now() - Duration::seconds(1)),
            ..release.clone()
        };
        assert_eq!(
            receivers(&orgs, &ended),
            expected(tlp),
            "{} after its embargo",
            tlp.label()
        );
    }
}

#[test]
fn an_embargo_keeps_every_label_with_the_clearinghouse_and_the_named() {
    let orgs = readers();
    let audience = audience(&orgs);
    let until = now() + Duration::days(3);
    for tlp in Tlp::ALL {
        let release = Release {
            tlp,
            audience: &audience,
            published: true,
            embargo_until: Some(until),
        };
        let named: BTreeSet<&str> = ["clearinghouse", "named operator", "named partner"].into();
        let want: BTreeSet<&str> = expected(tlp).intersection(&named).copied().collect();
        assert_eq!(
            receivers(&orgs, &release),
            want,
            "{} under embargo",
            tlp.label()
        );
        let energy = &orgs[4];
        let reader = Reader {
            org: energy.id,
            kind: energy.kind,
            sector: energy.sector,
            subscriptions: &energy.subscriptions,
            client_of: &energy.client_of,
        };
        assert_eq!(
            may_receive(&release, &reader, now()),
            Err(Withheld::Embargoed(until))
        );
    }
}

#[test]
fn drafts_stay_with_the_clearinghouse() {
    let orgs = readers();
    let audience = audience(&orgs);
    for tlp in Tlp::ALL {
        let release = Release {
            tlp,
            audience: &audience,
            published: false,
            embargo_until: None,
        };
        assert_eq!(
            receivers(&orgs, &release),
            BTreeSet::from(["clearinghouse"]),
            "{} draft",
            tlp.label()
        );
    }
}

#[test]
fn an_audience_without_sectors_addresses_every_operator_but_no_one_else() {
    let orgs = readers();
    let audience = Audience::default();
    let release = Release {
        tlp: Tlp::AmberStrict,
        audience: &audience,
        published: true,
        embargo_until: None,
    };
    assert_eq!(
        receivers(&orgs, &release),
        BTreeSet::from([
            "clearinghouse",
            "named operator",
            "healthcare operator",
            "subscribed bank",
            "energy operator",
            "client of the named",
        ])
    );
}
