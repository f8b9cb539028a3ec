//! Organisations and people: roles fit the kind of organisation.

use crate::fixtures::assert_err;
use preflight_core::actor::{Actor, User};
use preflight_core::org::{OrgKind, Organisation, Role, Sector};

#[test]
fn organisations() {
    use OrgKind::*;
    #[rustfmt::skip]
    let cases = [
        ("operator with a sector", "Grid Co", Operator, Some(Sector::Energy), Ok(())),
        ("operator without a sector", "Grid Co", Operator, None, Err(vec!["sector", "an operator must name its sector"])),
        ("lab without a sector", "Lab", DeveloperLab, None, Ok(())),
        ("lab with a sector", "Lab", DeveloperLab, Some(Sector::Finance), Err(vec!["sector", "finance", "not a developer_lab"])),
        ("partner with a sector", "Red", TrustedPartner, Some(Sector::Water), Err(vec!["sector", "water", "trusted_partner"])),
        ("government with a sector", "Gov", GovernmentEvaluator, Some(Sector::Other), Err(vec!["sector", "other"])),
        ("clearinghouse", "CERT", Clearinghouse, None, Ok(())),
        ("clearinghouse with a sector", "CERT", Clearinghouse, Some(Sector::Healthcare), Err(vec!["sector", "healthcare"])),
        ("blank name", "   ", DeveloperLab, None, Err(vec!["name", "must not be empty"])),
        ("control characters in the name", "Lab\u{7}", DeveloperLab, None, Err(vec!["name", "control characters"])),
    ];
    for (case, name, kind, sector, expect) in cases {
        match (Organisation::new(name, kind, sector), expect) {
            (Ok(org), Ok(())) => {
                assert_eq!(
                    (org.name.as_str(), org.kind, org.sector),
                    (name.trim(), kind, sector),
                    "{case}"
                );
            }
            (Err(e), Err(needles)) => assert_err(case, &e, "Invalid", &needles),
            (got, _) => panic!("{case}: unexpected {got:?}"),
        }
    }
    let long = "x".repeat(201);
    let e = Organisation::new(&long, DeveloperLab, None).expect_err("too long");
    assert_err(
        "long name",
        &e,
        "Invalid",
        &["name", "longer than 200 characters"],
    );
}

#[test]
fn users_fit_their_organisation() {
    use Role::*;
    let org = |kind| {
        let sector = (kind == OrgKind::Operator).then_some(Sector::Education);
        Organisation::new("Org", kind, sector).expect("valid")
    };
    let lab = org(OrgKind::DeveloperLab);
    let gov = org(OrgKind::GovernmentEvaluator);
    let partner = org(OrgKind::TrustedPartner);
    let ch = org(OrgKind::Clearinghouse);
    let op = org(OrgKind::Operator);
    let lab_id = lab.id.to_string();
    #[rustfmt::skip]
    let cases = [
        ("developer of a lab", Some(&lab), Developer, Ok(())),
        ("evaluator of a government", Some(&gov), GovernmentEvaluator, Ok(())),
        ("partner of a partner", Some(&partner), TrustedPartner, Ok(())),
        ("analyst of a clearinghouse", Some(&ch), ClearinghouseAnalyst, Ok(())),
        ("operator of an operator", Some(&op), Operator, Ok(())),
        ("admin of nothing", None, Admin, Ok(())),
        ("admin of a lab", Some(&lab), Admin, Err(vec!["org_id", lab_id.as_str(), "an admin belongs to no organisation"])),
        ("developer of a government", Some(&gov), Developer, Err(vec!["role", "developer", "a government_evaluator organisation cannot have a developer"])),
        ("evaluator of a lab", Some(&lab), GovernmentEvaluator, Err(vec!["role", "government_evaluator"])),
        ("partner of a lab", Some(&lab), TrustedPartner, Err(vec!["role", "trusted_partner"])),
        ("analyst of an operator", Some(&op), ClearinghouseAnalyst, Err(vec!["role", "clearinghouse_analyst"])),
        ("operator of a partner", Some(&partner), Operator, Err(vec!["role", "operator"])),
        ("developer of nothing", None, Developer, Err(vec!["org_id", "a developer must belong to a developer_lab organisation"])),
        ("partner of nothing", None, TrustedPartner, Err(vec!["org_id", "trusted_partner"])),
    ];
    for (case, org, role, expect) in cases {
        match (User::new(org, "Ada", "ada@example.org", role), expect) {
            (Ok(user), Ok(())) => {
                assert_eq!(
                    (user.org_id, user.role),
                    (org.map(|o| o.id), role),
                    "{case}"
                );
                let actor = Actor::of(&user);
                assert_eq!(actor.org_kind, role.org_kind(), "{case}");
                assert_eq!(actor.is_admin(), role == Admin, "{case}");
                assert_eq!(
                    org.is_some_and(|o| actor.belongs_to(o.id)),
                    org.is_some(),
                    "{case}"
                );
            }
            (Err(e), Err(needles)) => assert_err(case, &e, "Invalid", &needles),
            (got, _) => panic!("{case}: unexpected {got:?}"),
        }
    }
}

#[test]
fn emails() {
    let lab = Organisation::new("Lab", OrgKind::DeveloperLab, None).expect("valid");
    #[rustfmt::skip]
    let cases = [
        ("ada@example.org", Ok("ada@example.org")),
        ("  Ada.Lovelace@Example.ORG ", Ok("ada.lovelace@example.org")),
        ("a+tag@sub.example.org", Ok("a+tag@sub.example.org")),
        ("", Err("")),
        ("ada", Err("ada")),
        ("ada@", Err("ada@")),
        ("@example.org", Err("@example.org")),
        ("ada@example", Err("ada@example")),
        ("ada@.example.org", Err("ada@.example.org")),
        ("ada@example.org.", Err("ada@example.org.")),
        ("ada@@example.org", Err("ada@@example.org")),
        ("ada@b@example.org", Err("ada@b@example.org")),
        ("ada lovelace@example.org", Err("ada lovelace@example.org")),
        ("ada@exa\tmple.org", Err("ada@exa\\tmple.org")),
    ];
    for (email, expect) in cases {
        match (User::new(Some(&lab), "Ada", email, Role::Developer), expect) {
            (Ok(user), Ok(normalised)) => assert_eq!(user.email, normalised, "{email:?}"),
            (Err(e), Err(value)) => {
                assert_err(
                    email,
                    &e,
                    "Invalid",
                    &["email", value, "not an email address"],
                );
                assert_eq!(e.field(), Some("email"));
            }
            (got, _) => panic!("{email:?}: unexpected {got:?}"),
        }
    }
    let long = format!("{}@example.org", "a".repeat(250));
    let e = User::new(Some(&lab), "Ada", &long, Role::Developer).expect_err("too long");
    assert_err("long email", &e, "Invalid", &["email"]);
}

#[test]
fn enum_texts_round_trip() {
    for kind in OrgKind::ALL {
        assert_eq!(kind.as_str().parse::<OrgKind>().as_ref(), Ok(kind));
    }
    for role in Role::ALL {
        assert_eq!(role.as_str().parse::<Role>().as_ref(), Ok(role));
    }
    for sector in Sector::ALL {
        assert_eq!(sector.as_str().parse::<Sector>().as_ref(), Ok(sector));
    }
    let cases = [
        ("role", "superuser".parse::<Role>().map(drop)),
        ("kind", "lab".parse::<OrgKind>().map(drop)),
        ("sector", "Energy".parse::<Sector>().map(drop)),
    ];
    for (field, got) in cases {
        let e = got.expect_err(field);
        assert_eq!(e.field(), Some(field));
        assert!(e.to_string().contains("expected one of"), "{e}");
    }
}
