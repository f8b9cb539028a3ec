//! Terms: what a document must meet before anyone signs it, the signatures
//! over it, and which version governs the review.

use crate::fixtures::{
    Registry, Who, World, assert_err, day, opens, public_key_b64, release, secs, sign_b64,
};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use chrono::Duration;
use ed25519_dalek::{Signer, SigningKey};
use preflight_core::ids::{OrgId, SubmissionId, UserId};
use preflight_core::partner::VettingStatus;
use preflight_core::terms::{
    AccessList, NamedPerson, SIGNING_DOMAIN, ShareWhat, ShareWhen, Side, TermsDocument,
    TermsVersion, latest_agreed, verify_signature,
};
use preflight_core::window::{ReviewWindow, Span};
use uuid::Uuid;

use Side::{Developer as D, Government as G};

// ---------------------------------------------------------------- validate

enum Expect {
    Ok,
    /// Variant and the field the error names (`DomainError::field`).
    Err(&'static str, &'static str),
}

/// An edit of the standard terms or registry; returns the offending value,
/// which the error message must name.
type Edit = fn(&World, &mut TermsDocument, &mut Registry) -> String;

#[track_caller]
fn check_validate(case: &str, edit: Edit, expect: Expect) {
    let world = World::new();
    let mut doc = world.terms_doc();
    let mut registry = world.registry();
    let value = edit(&world, &mut doc, &mut registry);
    match (doc.validate(&registry.ctx()), expect) {
        (Ok(()), Expect::Ok) => {}
        (Err(e), Expect::Err(variant, field)) => {
            assert_err(case, &e, variant, &[field, &value]);
            assert_eq!(e.field(), Some(field), "{case}: {e}");
        }
        (Ok(()), Expect::Err(variant, field)) => {
            panic!("{case}: expected {variant} on {field}, the terms validated")
        }
        (Err(e), Expect::Ok) => panic!("{case}: expected valid terms, got {e}"),
    }
}

fn set_vetting(
    r: &mut Registry,
    org: OrgId,
    f: impl FnOnce(&mut preflight_core::partner::PartnerVetting),
) {
    f(r.vetting
        .get_mut(&org)
        .expect("the org is vetted in the fixture"));
}

#[test]
fn terms_validate() {
    let cases: Vec<(&str, Edit, Expect)> = vec![
        ("the standard terms", |_, _, _| String::new(), Expect::Ok),
        // The window belongs to the developer's planned release.
        (
            "window release differs from the planned release",
            |_, _, r| {
                r.planned_release_at = release() + Duration::days(1);
                release().to_rfc3339()
            },
            Expect::Err("Invalid", "window.release_at"),
        ),
        (
            "a shorter window ending before release",
            |_, d, _| {
                d.window = ReviewWindow::new(release(), day(5), day(29)).expect("valid");
                String::new()
            },
            Expect::Ok,
        ),
        // The partner window lies inside the access window.
        (
            "partner window starts before the window opens",
            |_, d, _| {
                d.partner_window.start = opens() - secs(1);
                (opens() - secs(1)).to_string()
            },
            Expect::Err("OutsideWindow", "partner_window"),
        ),
        (
            "partner window ends after the window ends",
            |_, d, _| {
                d.window = ReviewWindow::new(release(), opens(), day(27)).expect("valid");
                day(28).to_string()
            },
            Expect::Err("OutsideWindow", "partner_window"),
        ),
        (
            "partner window is the whole window",
            |_, d, _| {
                d.partner_window = Span {
                    start: opens(),
                    end: release(),
                };
                String::new()
            },
            Expect::Ok,
        ),
        (
            "partner window is empty",
            |_, d, _| {
                d.partner_window = Span {
                    start: day(9),
                    end: day(9),
                };
                day(9).to_string()
            },
            Expect::Err("Invalid", "partner_window"),
        ),
        // The government phase fits the window.
        (
            "government phase of zero days",
            |_, d, _| {
                d.government_phase_days = 0;
                "0".into()
            },
            Expect::Err("Invalid", "government_phase_days"),
        ),
        (
            "government phase as long as the window",
            |_, d, _| {
                d.government_phase_days = 30;
                String::new()
            },
            Expect::Ok,
        ),
        (
            "government phase longer than the window",
            |_, d, _| {
                d.government_phase_days = 31;
                "31".into()
            },
            Expect::Err("Invalid", "government_phase_days"),
        ),
        (
            "government phase longer than a 20-day window",
            |_, d, _| {
                d.window = ReviewWindow::new(release(), day(10), release()).expect("valid");
                d.partner_window = Span {
                    start: day(15),
                    end: day(28),
                };
                d.government_phase_days = 21;
                "21".into()
            },
            Expect::Err("Invalid", "government_phase_days"),
        ),
        // Limits are positive.
        (
            "zero requests per minute",
            |_, d, _| {
                d.limits.requests_per_minute = 0;
                "0".into()
            },
            Expect::Err("Invalid", "limits.requests_per_minute"),
        ),
        (
            "zero tokens per minute",
            |_, d, _| {
                d.limits.tokens_per_minute = 0;
                "0".into()
            },
            Expect::Err("Invalid", "limits.tokens_per_minute"),
        ),
        (
            "zero concurrent requests",
            |_, d, _| {
                d.limits.max_concurrent_requests = 0;
                "0".into()
            },
            Expect::Err("Invalid", "limits.max_concurrent_requests"),
        ),
        (
            "zero token budget",
            |_, d, _| {
                d.limits.total_token_budget = 0;
                "0".into()
            },
            Expect::Err("Invalid", "limits.total_token_budget"),
        ),
        (
            "retention of ten years",
            |_, d, _| {
                d.transcript_retention_days = 3650;
                String::new()
            },
            Expect::Ok,
        ),
        (
            "retention longer than ten years",
            |_, d, _| {
                d.transcript_retention_days = 3651;
                "3651".into()
            },
            Expect::Err("Invalid", "transcript_retention_days"),
        ),
        (
            "clearinghouse delay longer than ten years",
            |_, d, _| {
                d.clearinghouse.when = ShareWhen::AfterDaysFromReport { days: 3651 };
                "3651".into()
            },
            Expect::Err("Invalid", "clearinghouse.days"),
        ),
        (
            "blank attestation",
            |_, d, _| {
                d.insider_risk_attestations.push("  ".into());
                "[1]".into()
            },
            Expect::Err("Invalid", "insider_risk_attestations"),
        ),
        // The government list.
        (
            "no government evaluator",
            |_, d, _| {
                d.government_access.organisations.clear();
                "[]".into()
            },
            Expect::Err("Invalid", "government_access.organisations"),
        ),
        (
            "government list names a partner organisation",
            |w, d, _| {
                d.government_access.organisations.push(w.partner_org.id);
                format!(
                    "{}\": is a trusted_partner, not a government_evaluator",
                    w.partner_org.id
                )
            },
            Expect::Err("Invalid", "government_access"),
        ),
        (
            "government list names the developer",
            |w, d, _| {
                d.government_access.organisations.push(w.dev_org.id);
                w.dev_org.id.to_string()
            },
            Expect::Err("Invalid", "government_access"),
        ),
        (
            "government list names an unknown organisation",
            |_, d, _| {
                let unknown = OrgId(Uuid::from_u128(7));
                d.government_access.organisations.push(unknown);
                unknown.to_string()
            },
            Expect::Err("Invalid", "government_access"),
        ),
        (
            "government list names an organisation twice",
            |w, d, _| {
                d.government_access.organisations.push(w.gov_org.id);
                w.gov_org.id.to_string()
            },
            Expect::Err("Invalid", "government_access"),
        ),
        (
            "two government evaluators",
            |w, d, _| {
                d.government_access
                    .organisations
                    .push(w.gov_unlisted_org.id);
                String::new()
            },
            Expect::Ok,
        ),
        // The partner list.
        (
            "no partners at all",
            |_, d, _| {
                d.partner_access = AccessList::default();
                String::new()
            },
            Expect::Ok,
        ),
        (
            "partner list names a government evaluator",
            |w, d, _| {
                d.partner_access.organisations.push(w.gov_unlisted_org.id);
                w.gov_unlisted_org.id.to_string()
            },
            Expect::Err("Invalid", "partner_access"),
        ),
        (
            "named person belongs to another organisation",
            |w, d, _| {
                let colleague = w.user(Who::Partner).id;
                d.partner_access.people.push(NamedPerson {
                    user_id: colleague,
                    org_id: w.named_org.id,
                });
                colleague.to_string()
            },
            Expect::Err("Invalid", "partner_access"),
        ),
        (
            "named person of an organisation not on the list",
            |w, d, _| {
                let outsider = w.user(Who::UnlistedPartner).id;
                d.partner_access.people.push(NamedPerson {
                    user_id: outsider,
                    org_id: w.unlisted_partner_org.id,
                });
                outsider.to_string()
            },
            Expect::Err("Invalid", "partner_access"),
        ),
        (
            "named person unknown",
            |w, d, _| {
                let ghost = UserId(Uuid::from_u128(9));
                d.partner_access.people.push(NamedPerson {
                    user_id: ghost,
                    org_id: w.named_org.id,
                });
                ghost.to_string()
            },
            Expect::Err("Invalid", "partner_access"),
        ),
        (
            "government list narrowed to a named evaluator",
            |w, d, _| {
                let gov = w.user(Who::Gov).id;
                d.government_access.people.push(NamedPerson {
                    user_id: gov,
                    org_id: w.gov_org.id,
                });
                String::new()
            },
            Expect::Ok,
        ),
        (
            "government list names a developer as a person",
            |w, d, _| {
                let dev = w.user(Who::Dev).id;
                d.government_access.people.push(NamedPerson {
                    user_id: dev,
                    org_id: w.dev_org.id,
                });
                dev.to_string()
            },
            Expect::Err("Invalid", "government_access"),
        ),
        // Partner vetting through the end of the partner window.
        (
            "partner with no vetting record",
            |w, _, r| {
                r.vetting.remove(&w.partner_org.id);
                format!("{}\": partner has no vetting record", w.partner_org.id)
            },
            Expect::Err("Invalid", "partner_access.organisations"),
        ),
        (
            "partner vetting pending",
            |w, _, r| {
                set_vetting(r, w.partner_org.id, |v| v.status = VettingStatus::Pending);
                format!("{}\": partner is pending, not vetted", w.partner_org.id)
            },
            Expect::Err("Invalid", "partner_access.organisations"),
        ),
        (
            "partner vetting suspended",
            |w, _, r| {
                set_vetting(r, w.named_org.id, |v| v.status = VettingStatus::Suspended);
                format!("{}\": partner is suspended", w.named_org.id)
            },
            Expect::Err("Invalid", "partner_access.organisations"),
        ),
        (
            "partner vetting revoked",
            |w, _, r| {
                set_vetting(r, w.partner_org.id, |v| v.status = VettingStatus::Revoked);
                format!("{}\": partner is revoked", w.partner_org.id)
            },
            Expect::Err("Invalid", "partner_access.organisations"),
        ),
        (
            "partner vetting expires a second before the partner window ends",
            |w, _, r| {
                set_vetting(r, w.partner_org.id, |v| {
                    v.vetted_until = Some(day(28) - secs(1))
                });
                format!(
                    "{}\": partner vetting expires at {}",
                    w.partner_org.id,
                    day(28) - secs(1)
                )
            },
            Expect::Err("Invalid", "partner_access.organisations"),
        ),
        (
            "partner vetting expires exactly when the partner window ends",
            |w, _, r| {
                set_vetting(r, w.partner_org.id, |v| v.vetted_until = Some(day(28)));
                String::new()
            },
            Expect::Ok,
        ),
        (
            "partner vetting has no expiry",
            |w, _, r| {
                set_vetting(r, w.partner_org.id, |v| v.vetted_until = None);
                format!("{}\": partner vetting has no expiry date", w.partner_org.id)
            },
            Expect::Err("Invalid", "partner_access.organisations"),
        ),
        (
            "partner conflicted with this developer",
            |w, _, r| {
                let dev = w.dev_org.id;
                set_vetting(r, w.named_org.id, |v| v.conflicts_with.push(dev));
                format!(
                    "{}\": partner declared a conflict of interest with this developer",
                    w.named_org.id
                )
            },
            Expect::Err("Invalid", "partner_access.organisations"),
        ),
        (
            "partner conflicted only with another developer",
            |w, _, r| {
                let other = w.other_dev_org.id;
                set_vetting(r, w.named_org.id, |v| v.conflicts_with = vec![other]);
                String::new()
            },
            Expect::Ok,
        ),
        (
            "an unvetted partner that is not on the list does not matter",
            |w, _, r| {
                set_vetting(r, w.unlisted_partner_org.id, |v| {
                    v.status = VettingStatus::Revoked
                });
                String::new()
            },
            Expect::Ok,
        ),
    ];
    for (case, edit, expect) in cases {
        check_validate(case, edit, expect);
    }
}

// -------------------------------------------------------------- signatures

type DocEdit = fn(&mut TermsDocument);

/// Case name, document checked, key, signature, and the expected variant
/// with the texts its message names.
type SigCase<'a> = (
    &'a str,
    &'a TermsDocument,
    String,
    String,
    Result<(), (&'a str, Vec<&'a str>)>,
);

/// Stored versions: each number with the sides that signed it.
type Signed<'a> = &'a [(u32, &'a [Side])];

/// Every field of the document is covered by the signature.
#[test]
fn a_signature_covers_every_field() {
    let world = World::new();
    let doc = world.terms_doc();
    let key = public_key_b64(&world.dev_key);
    let sig = sign_b64(&world.dev_key, &doc);
    verify_signature(&doc, &key, &sig).expect("the signed document verifies");

    let edits: Vec<(&str, DocEdit)> = vec![
        ("submission_id", |d| {
            d.submission_id = SubmissionId(Uuid::from_u128(1))
        }),
        ("window", |d| {
            d.window = ReviewWindow::new(release(), day(1), release()).expect("valid")
        }),
        ("government_phase_days", |d| d.government_phase_days += 1),
        ("partner_window.start", |d| {
            d.partner_window.start += secs(1)
        }),
        ("partner_window.end", |d| d.partner_window.end -= secs(1)),
        ("government_access.organisations", |d| {
            d.government_access
                .organisations
                .push(OrgId(Uuid::from_u128(2)))
        }),
        ("government_access.people", |d| {
            d.government_access.people.push(NamedPerson {
                user_id: UserId(Uuid::from_u128(3)),
                org_id: OrgId(Uuid::from_u128(4)),
            })
        }),
        ("partner_access.organisations", |d| {
            d.partner_access.organisations.pop();
        }),
        ("partner_access.people", |d| d.partner_access.people.clear()),
        ("limits.requests_per_minute", |d| {
            d.limits.requests_per_minute += 1
        }),
        ("limits.tokens_per_minute", |d| {
            d.limits.tokens_per_minute += 1
        }),
        ("limits.max_concurrent_requests", |d| {
            d.limits.max_concurrent_requests += 1
        }),
        ("limits.total_token_budget", |d| {
            d.limits.total_token_budget += 1
        }),
        ("transcript_retention_days", |d| {
            d.transcript_retention_days += 1
        }),
        ("ip.no_training_on_outputs", |d| {
            d.ip.no_training_on_outputs = false
        }),
        ("ip.no_retention_of_outputs", |d| {
            d.ip.no_retention_of_outputs = false
        }),
        ("ip.other", |d| {
            d.ip.other.push("no publication before release".into())
        }),
        ("clearinghouse.when", |d| {
            d.clearinghouse.when = ShareWhen::Never
        }),
        ("clearinghouse.what", |d| {
            d.clearinghouse.what = ShareWhat::FullFindings
        }),
        ("insider_risk_attestations", |d| {
            d.insider_risk_attestations[0].push('.')
        }),
        ("version", |d| d.version = 2),
    ];
    for (field, edit) in edits {
        let mut changed = doc.clone();
        edit(&mut changed);
        assert_ne!(changed, doc, "{field}: the edit changes nothing");
        let err = verify_signature(&changed, &key, &sig).expect_err(field);
        assert_err(
            &format!("changed {field}"),
            &err,
            "BadSignature",
            &[&format!("version {}", changed.version), &key],
        );
    }
}

#[test]
fn signature_checks() {
    let world = World::new();
    let doc = world.terms_doc();
    let dev_key = public_key_b64(&world.dev_key);
    let gov_key = public_key_b64(&world.gov_key);
    let dev_sig = sign_b64(&world.dev_key, &doc);
    let gov_sig = sign_b64(&world.gov_key, &doc);
    let mut v2 = doc.clone();
    v2.version = 2;
    let bare_sig = B64.encode(
        world
            .dev_key
            .sign(doc.canonical_json().as_bytes())
            .to_bytes(),
    );
    let short_key = B64.encode([7u8; 31]);
    let long_key = B64.encode([7u8; 33]);
    let short_sig = B64.encode([7u8; 63]);
    let stranger = SigningKey::from_bytes(&[3; 32]);

    let cases: Vec<SigCase<'_>> = vec![
        (
            "developer signs, developer key",
            &doc,
            dev_key.clone(),
            dev_sig.clone(),
            Ok(()),
        ),
        (
            "government signs, government key",
            &doc,
            gov_key.clone(),
            gov_sig.clone(),
            Ok(()),
        ),
        (
            "key with surrounding whitespace",
            &doc,
            format!(" {dev_key}\n"),
            dev_sig.clone(),
            Ok(()),
        ),
        (
            "government signature checked with the developer key",
            &doc,
            dev_key.clone(),
            gov_sig.clone(),
            Err(("BadSignature", vec!["version 1", &dev_key])),
        ),
        (
            "a stranger's key",
            &doc,
            public_key_b64(&stranger),
            dev_sig.clone(),
            Err(("BadSignature", vec!["version 1"])),
        ),
        (
            "signature over version 1 checked against version 2",
            &v2,
            dev_key.clone(),
            dev_sig.clone(),
            Err(("BadSignature", vec!["version 2", &dev_key])),
        ),
        (
            "signature over the bare JSON, without the domain tag",
            &doc,
            dev_key.clone(),
            bare_sig.clone(),
            Err(("BadSignature", vec!["version 1"])),
        ),
        (
            "key is not base64",
            &doc,
            "not base64!".into(),
            dev_sig.clone(),
            Err(("Invalid", vec!["public_key", "not base64!", "not base64"])),
        ),
        (
            "key of 31 bytes",
            &doc,
            short_key.clone(),
            dev_sig.clone(),
            Err(("Invalid", vec!["public_key", &short_key, "32 bytes"])),
        ),
        (
            "key of 33 bytes",
            &doc,
            long_key.clone(),
            dev_sig.clone(),
            Err(("Invalid", vec!["public_key", &long_key, "32 bytes"])),
        ),
        (
            "signature is not base64",
            &doc,
            dev_key.clone(),
            "%%%".into(),
            Err(("Invalid", vec!["signature", "%%%", "not base64"])),
        ),
        (
            "signature of 63 bytes",
            &doc,
            dev_key.clone(),
            short_sig.clone(),
            Err(("Invalid", vec!["signature", &short_sig, "64 bytes"])),
        ),
        (
            "empty signature",
            &doc,
            dev_key.clone(),
            String::new(),
            Err(("Invalid", vec!["signature", "64 bytes"])),
        ),
    ];
    for (case, doc, key, sig, expect) in cases {
        match (verify_signature(doc, &key, &sig), expect) {
            (Ok(()), Ok(())) => {}
            (Err(e), Err((variant, needles))) => assert_err(case, &e, variant, &needles),
            (got, _) => panic!("{case}: unexpected {got:?}"),
        }
    }
}

#[test]
fn signing_payload_is_the_domain_tag_then_canonical_json() {
    let world = World::new();
    let doc = world.terms_doc();
    let payload = doc.signing_payload();
    assert!(payload.starts_with(SIGNING_DOMAIN));
    assert_eq!(
        &payload[SIGNING_DOMAIN.len()..],
        doc.canonical_json().as_bytes()
    );
}

/// A document with fixed ids, so its canonical form can be written out.
fn fixed_doc() -> TermsDocument {
    TermsDocument {
        submission_id: SubmissionId(Uuid::from_u128(0x51)),
        version: 3,
        window: ReviewWindow::new(release(), opens(), release()).expect("valid"),
        government_phase_days: 10,
        partner_window: Span {
            start: day(7),
            end: day(28),
        },
        government_access: AccessList {
            organisations: vec![OrgId(Uuid::from_u128(0x60))],
            people: vec![],
        },
        partner_access: AccessList {
            organisations: vec![OrgId(Uuid::from_u128(0x70))],
            people: vec![NamedPerson {
                user_id: UserId(Uuid::from_u128(0x71)),
                org_id: OrgId(Uuid::from_u128(0x70)),
            }],
        },
        limits: preflight_core::terms::UsageLimits {
            requests_per_minute: 60,
            tokens_per_minute: 100_000,
            max_concurrent_requests: 4,
            total_token_budget: u64::MAX,
        },
        transcript_retention_days: 90,
        ip: preflight_core::terms::IpClauses {
            no_training_on_outputs: true,
            no_retention_of_outputs: false,
            other: vec!["é".into()],
        },
        clearinghouse: preflight_core::terms::ClearinghouseSharing {
            when: ShareWhen::AfterDaysFromReport { days: 30 },
            what: ShareWhat::FullFindings,
        },
        insider_risk_attestations: vec!["trained".into()],
    }
}

/// The signed bytes are part of the protocol: if this changes, every stored
/// signature stops verifying.
#[test]
fn canonical_json_is_pinned() {
    let expected = concat!(
        r#"{"clearinghouse":{"days":30,"what":"full_findings","when":"after_days_from_report"},"#,
        r#""government_access":{"organisations":["00000000-0000-0000-0000-000000000060"],"people":[]},"#,
        r#""government_phase_days":10,"#,
        r#""insider_risk_attestations":["trained"],"#,
        r#""ip":{"no_retention_of_outputs":false,"no_training_on_outputs":true,"other":["é"]},"#,
        r#""limits":{"max_concurrent_requests":4,"requests_per_minute":60,"tokens_per_minute":100000,"total_token_budget":18446744073709551615},"#,
        r#""partner_access":{"organisations":["00000000-0000-0000-0000-000000000070"],"people":[{"org_id":"00000000-0000-0000-0000-000000000070","user_id":"00000000-0000-0000-0000-000000000071"}]},"#,
        r#""partner_window":{"end":"2026-12-29T12:00:00Z","start":"2026-12-08T12:00:00Z"},"#,
        r#""submission_id":"00000000-0000-0000-0000-000000000051","#,
        r#""transcript_retention_days":90,"#,
        r#""version":3,"#,
        r#""window":{"ends_at":"2026-12-31T12:00:00Z","opens_at":"2026-12-01T12:00:00Z","release_at":"2026-12-31T12:00:00Z"}}"#,
    );
    assert_eq!(fixed_doc().canonical_json(), expected);
}

#[test]
fn canonical_json_is_stable() {
    let world = World::new();
    let doc = world.terms_doc();
    let first = doc.canonical_json();
    assert!(!first.is_empty());
    assert_eq!(
        doc.clone().canonical_json(),
        first,
        "same document, same bytes"
    );
    assert_eq!(doc.signing_payload(), doc.signing_payload());

    // Through serde_json and back (as the store keeps it) gives the same bytes.
    let stored = serde_json::to_string_pretty(&doc).expect("serialises");
    let loaded: TermsDocument = serde_json::from_str(&stored).expect("deserialises");
    assert_eq!(loaded, doc);
    assert_eq!(loaded.canonical_json(), first);

    // Keys are sorted at the top level (and, by the pinned test, below it).
    let keys = [
        "clearinghouse",
        "government_access",
        "government_phase_days",
        "insider_risk_attestations",
        "ip",
        "limits",
        "partner_access",
        "partner_window",
        "submission_id",
        "transcript_retention_days",
        "version",
        "window",
    ];
    let positions: Vec<usize> = keys
        .iter()
        .map(|k| {
            first
                .find(&format!("\"{k}\":"))
                .unwrap_or_else(|| panic!("key {k} missing"))
        })
        .collect();
    assert!(
        positions.windows(2).all(|p| p[0] < p[1]),
        "keys out of order in {first}"
    );
    assert!(!first.contains('\n'));
}

// ------------------------------------------------------------ latest_agreed

#[test]
fn latest_agreed_picks_the_latest_fully_signed_version() {
    let world = World::new();
    #[rustfmt::skip]
    let cases: [(&str, Signed<'_>, Option<u32>); 11] = [
        ("no versions", &[], None),
        ("one version signed by both", &[(1, &[D, G])], Some(1)),
        ("signed in the other order", &[(1, &[G, D])], Some(1)),
        ("two versions signed by both", &[(1, &[D, G]), (2, &[D, G])], Some(2)),
        ("newer version unsigned", &[(1, &[D, G]), (2, &[])], Some(1)),
        ("newer version signed by the developer only", &[(1, &[D, G]), (2, &[D])], Some(1)),
        ("newer version signed by the government only", &[(1, &[D, G]), (2, &[G])], Some(1)),
        ("only one side signed", &[(1, &[G])], None),
        ("each side signed a different version", &[(1, &[D]), (2, &[G])], None),
        ("the developer signed twice", &[(1, &[D, D])], None),
        ("versions out of order", &[(2, &[D, G]), (3, &[D]), (1, &[D, G])], Some(2)),
    ];
    for (case, versions, expect) in cases {
        let versions: Vec<TermsVersion> = versions
            .iter()
            .map(|(n, sides)| {
                let mut doc = world.terms_doc();
                doc.version = *n;
                world.version(doc, sides)
            })
            .collect();
        let got = latest_agreed(&versions);
        assert_eq!(got.as_ref().map(|a| a.document.version), expect, "{case}");
        if let Some(agreed) = got {
            let dev = &agreed.developer_signature;
            let gov = &agreed.government_signature;
            assert_eq!((dev.side, gov.side), (D, G), "{case}: sides swapped");
            assert_eq!(
                (dev.version, gov.version),
                (agreed.document.version, agreed.document.version),
                "{case}"
            );
            verify_signature(&agreed.document, &dev.public_key, &dev.signature).expect(case);
            verify_signature(&agreed.document, &gov.public_key, &gov.signature).expect(case);
        }
    }
}

/// A signature recorded against another version does not make this one agreed.
#[test]
fn signatures_of_another_version_do_not_count() {
    let world = World::new();
    let v1 = world.terms_doc();
    let mut v2 = world.terms_doc();
    v2.version = 2;
    let mut version2 = world.version(v2, &[D]);
    version2.signatures.push(world.sign(&v1, G));
    assert!(!version2.fully_signed());
    assert_eq!(
        latest_agreed(&[world.version(v1, &[D, G]), version2]).map(|a| a.document.version),
        Some(1)
    );
}
