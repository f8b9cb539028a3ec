//! A standard, valid review to start every case from: one developer lab, one
//! listed government evaluator, two listed trusted partners (one narrowed to a
//! named person) and everyone who must be refused. All times are fixed.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use chrono::{DateTime, Duration, TimeZone, Utc};
use ed25519_dalek::{Signer, SigningKey};
use preflight_core::DomainError;
use preflight_core::actor::{Actor, User};
use preflight_core::finding::{Finding, Phase, Severity};
use preflight_core::ids::{FindingId, OrgId, UserId};
use preflight_core::lifecycle::{Outcome, Stage};
use preflight_core::org::{OrgKind, Organisation, Role, Sector};
use preflight_core::partner::{PartnerVetting, VettingStatus};
use preflight_core::submission::{NewSubmission, Submission, Upstream, UpstreamKind};
use preflight_core::taxonomy::{Category, Taxonomy};
use preflight_core::terms::{
    AccessList, AgreedTerms, ClearinghouseSharing, IpClauses, NamedPerson, ShareWhat, ShareWhen,
    Side, TermsContext, TermsDocument, TermsSignature, TermsVersion, UsageLimits,
};
use preflight_core::window::{ReviewWindow, Span};
use std::collections::HashMap;

/// Agreed length of the government-only phase, in days.
pub const GOV_DAYS: u32 = 10;

/// The developer's planned release: 2026-12-31 12:00 UTC.
pub fn release() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 31, 12, 0, 0)
        .single()
        .expect("a valid instant")
}

/// The earliest the window may open: 30 days before the release.
pub fn opens() -> DateTime<Utc> {
    release() - Duration::days(30)
}

/// `n` days after the window opens (negative: before).
pub fn day(n: i64) -> DateTime<Utc> {
    opens() + Duration::days(n)
}

pub fn secs(n: i64) -> Duration {
    Duration::seconds(n)
}

/// The agreed partner window: days 7 .. 28 of the review window.
pub fn partner_window() -> Span {
    Span {
        start: day(7),
        end: day(28),
    }
}

/// Who acts in a case; printed in failure messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Who {
    /// Developer of the lab that submitted the model.
    Dev,
    /// Developer of another lab.
    OtherDev,
    /// Government evaluator whose organisation is on the government list.
    Gov,
    /// Government evaluator of an organisation not on the list.
    GovUnlisted,
    /// Partner of a listed organisation that names nobody.
    Partner,
    /// Colleague of `Partner`, same organisation.
    PartnerColleague,
    /// The named person of a listed organisation that names people.
    Named,
    /// Unnamed colleague of `Named`.
    NamedColleague,
    /// Vetted partner of an organisation not on the partner list.
    UnlistedPartner,
    Analyst,
    Operator,
    Admin,
}

/// The registry the terms are checked against, owned so cases can edit it.
#[derive(Debug, Clone)]
pub struct Registry {
    pub developer_org: OrgId,
    pub planned_release_at: DateTime<Utc>,
    pub org_kinds: HashMap<OrgId, OrgKind>,
    pub user_orgs: HashMap<UserId, Option<OrgId>>,
    pub vetting: HashMap<OrgId, PartnerVetting>,
}

impl Registry {
    pub fn ctx(&self) -> TermsContext<'_> {
        TermsContext {
            developer_org: self.developer_org,
            planned_release_at: self.planned_release_at,
            org_kinds: &self.org_kinds,
            user_orgs: &self.user_orgs,
            vetting: &self.vetting,
        }
    }
}

#[derive(Debug)]
pub struct World {
    pub dev_org: Organisation,
    pub other_dev_org: Organisation,
    pub gov_org: Organisation,
    pub gov_unlisted_org: Organisation,
    pub partner_org: Organisation,
    pub named_org: Organisation,
    pub unlisted_partner_org: Organisation,
    pub clearinghouse_org: Organisation,
    pub operator_org: Organisation,
    users: Vec<(Who, User)>,
    pub dev_key: SigningKey,
    pub gov_key: SigningKey,
    pub submission: Submission,
}

fn org(name: &str, kind: OrgKind) -> Organisation {
    let sector = (kind == OrgKind::Operator).then_some(Sector::Energy);
    Organisation::new(name, kind, sector).expect("a valid organisation")
}

fn user(org: Option<&Organisation>, name: &str, role: Role) -> User {
    let email = format!("{}@example.org", name.to_lowercase().replace(' ', "."));
    User::new(org, name, &email, role).expect("a valid user")
}

impl World {
    pub fn new() -> Self {
        let dev_org = org("Frontier Lab", OrgKind::DeveloperLab);
        let other_dev_org = org("Rival Lab", OrgKind::DeveloperLab);
        let gov_org = org("AI Security Institute", OrgKind::GovernmentEvaluator);
        let gov_unlisted_org = org("Other Institute", OrgKind::GovernmentEvaluator);
        let partner_org = org("Red Team Co", OrgKind::TrustedPartner);
        let named_org = org("Named Partner Ltd", OrgKind::TrustedPartner);
        let unlisted_partner_org = org("Unlisted Partner", OrgKind::TrustedPartner);
        let clearinghouse_org = org("Clearinghouse", OrgKind::Clearinghouse);
        let operator_org = org("Grid Operator", OrgKind::Operator);
        let users = vec![
            (Who::Dev, user(Some(&dev_org), "Dev", Role::Developer)),
            (
                Who::OtherDev,
                user(Some(&other_dev_org), "Other Dev", Role::Developer),
            ),
            (
                Who::Gov,
                user(Some(&gov_org), "Gov", Role::GovernmentEvaluator),
            ),
            (
                Who::GovUnlisted,
                user(
                    Some(&gov_unlisted_org),
                    "Gov Unlisted",
                    Role::GovernmentEvaluator,
                ),
            ),
            (
                Who::Partner,
                user(Some(&partner_org), "Partner", Role::TrustedPartner),
            ),
            (
                Who::PartnerColleague,
                user(
                    Some(&partner_org),
                    "Partner Colleague",
                    Role::TrustedPartner,
                ),
            ),
            (
                Who::Named,
                user(Some(&named_org), "Named", Role::TrustedPartner),
            ),
            (
                Who::NamedColleague,
                user(Some(&named_org), "Named Colleague", Role::TrustedPartner),
            ),
            (
                Who::UnlistedPartner,
                user(
                    Some(&unlisted_partner_org),
                    "Unlisted Partner",
                    Role::TrustedPartner,
                ),
            ),
            (
                Who::Analyst,
                user(
                    Some(&clearinghouse_org),
                    "Analyst",
                    Role::ClearinghouseAnalyst,
                ),
            ),
            (
                Who::Operator,
                user(Some(&operator_org), "Operator", Role::Operator),
            ),
            (Who::Admin, user(None, "Admin", Role::Admin)),
        ];
        let upstream = Upstream::new(
            UpstreamKind::OpenaiCompatible,
            "https://models.example.org/v1",
        )
        .expect("a valid upstream");
        let submission = NewSubmission::new(
            "frontier-1",
            "2026-12",
            "the next model",
            release(),
            upstream,
            day(-20),
        )
        .expect("a valid submission")
        .into_submission(dev_org.id, day(-20));
        World {
            dev_org,
            other_dev_org,
            gov_org,
            gov_unlisted_org,
            partner_org,
            named_org,
            unlisted_partner_org,
            clearinghouse_org,
            operator_org,
            users,
            dev_key: SigningKey::from_bytes(&[1; 32]),
            gov_key: SigningKey::from_bytes(&[2; 32]),
            submission,
        }
    }

    pub fn user(&self, who: Who) -> &User {
        self.users
            .iter()
            .find(|(w, _)| *w == who)
            .map(|(_, u)| u)
            .expect("every Who has a user")
    }

    pub fn actor(&self, who: Who) -> Actor {
        Actor::of(self.user(who))
    }

    /// The registry: every organisation and person, every partner vetted
    /// until well after the review, the listed partner conflicted only with
    /// the *other* lab.
    pub fn registry(&self) -> Registry {
        let orgs = [
            &self.dev_org,
            &self.other_dev_org,
            &self.gov_org,
            &self.gov_unlisted_org,
            &self.partner_org,
            &self.named_org,
            &self.unlisted_partner_org,
            &self.clearinghouse_org,
            &self.operator_org,
        ];
        let vetted = |org: &Organisation, conflicts_with: Vec<OrgId>| PartnerVetting {
            org_id: org.id,
            status: VettingStatus::Vetted,
            vetted_until: Some(release() + Duration::days(365)),
            conflicts_with,
            notes: String::new(),
        };
        Registry {
            developer_org: self.dev_org.id,
            planned_release_at: release(),
            org_kinds: orgs.iter().map(|o| (o.id, o.kind)).collect(),
            user_orgs: self.users.iter().map(|(_, u)| (u.id, u.org_id)).collect(),
            vetting: [
                vetted(&self.partner_org, vec![self.other_dev_org.id]),
                vetted(&self.named_org, vec![]),
                vetted(&self.unlisted_partner_org, vec![]),
            ]
            .into_iter()
            .map(|v| (v.org_id, v))
            .collect(),
        }
    }

    /// Version 1 of valid terms: the full 30-day window, ten government
    /// days, partners from day 7 to day 28.
    pub fn terms_doc(&self) -> TermsDocument {
        TermsDocument {
            submission_id: self.submission.id,
            version: 1,
            window: ReviewWindow::new(release(), opens(), release()).expect("a valid window"),
            government_phase_days: GOV_DAYS,
            partner_window: partner_window(),
            government_access: AccessList {
                organisations: vec![self.gov_org.id],
                people: vec![],
            },
            partner_access: AccessList {
                organisations: vec![self.partner_org.id, self.named_org.id],
                people: vec![NamedPerson {
                    user_id: self.user(Who::Named).id,
                    org_id: self.named_org.id,
                }],
            },
            limits: UsageLimits {
                requests_per_minute: 60,
                tokens_per_minute: 100_000,
                max_concurrent_requests: 4,
                total_token_budget: 50_000_000,
            },
            transcript_retention_days: 365,
            ip: IpClauses {
                no_training_on_outputs: true,
                no_retention_of_outputs: true,
                other: vec![],
            },
            clearinghouse: ClearinghouseSharing {
                when: ShareWhen::AfterRelease,
                what: ShareWhat::SummaryOnly,
            },
            insider_risk_attestations: vec!["completed insider-risk training".to_owned()],
        }
    }

    pub fn sign(&self, doc: &TermsDocument, side: Side) -> TermsSignature {
        let (key, signer) = match side {
            Side::Developer => (&self.dev_key, self.user(Who::Dev).id),
            Side::Government => (&self.gov_key, self.user(Who::Gov).id),
        };
        TermsSignature {
            version: doc.version,
            side,
            signer,
            public_key: public_key_b64(key),
            signature: sign_b64(key, doc),
            signed_at: day(-5),
        }
    }

    /// A stored version signed by the given sides.
    pub fn version(&self, doc: TermsDocument, sides: &[Side]) -> TermsVersion {
        let signatures = sides.iter().map(|side| self.sign(&doc, *side)).collect();
        TermsVersion {
            document: doc,
            proposed_by: self.user(Who::Dev).id,
            proposed_at: day(-6),
            signatures,
        }
    }

    pub fn agreed_with(&self, doc: TermsDocument) -> AgreedTerms {
        AgreedTerms {
            developer_signature: self.sign(&doc, Side::Developer),
            government_signature: self.sign(&doc, Side::Government),
            document: doc,
        }
    }

    /// The standard terms, signed by both sides.
    pub fn agreed(&self) -> AgreedTerms {
        self.agreed_with(self.terms_doc())
    }

    /// The submission as it stands once it has reached `stage` along the
    /// happy path: government phase from day 0, partner phase from day 7,
    /// report on day 20.
    pub fn at_stage(&self, stage: Stage) -> Submission {
        let mut s = self.submission.clone();
        s.stage = stage;
        if stage >= Stage::GovernmentPhase {
            s.government_phase_started_at = Some(day(0));
        }
        if stage >= Stage::PartnerPhase {
            s.partner_phase_started_at = Some(day(7));
        }
        if stage >= Stage::ReportDelivered {
            s.report_delivered_at = Some(day(20));
        }
        s
    }

    pub fn with_outcome(&self, stage: Stage, outcome: Option<Outcome>) -> Submission {
        let mut s = self.at_stage(stage);
        s.outcome = outcome;
        s
    }

    /// A finding filed by someone of `author_org`.
    pub fn finding(&self, author: Who) -> Finding {
        let user = self.user(author);
        Finding {
            id: FindingId::new(),
            submission_id: self.submission.id,
            author: user.id,
            author_org: user.org_id.expect("reviewers belong to an organisation"),
            phase: Phase::Partner,
            title: "prompt injection through tool output".to_owned(),
            severity: Severity::High,
            category: Category::new(Taxonomy::OwaspLlm2025, "LLM01").expect("a valid category"),
            description: "the model follows instructions found in tool output".to_owned(),
            reproduction_steps: "see transcript".to_owned(),
            transcript_refs: vec![],
            filed_at: day(10),
            responses: vec![],
        }
    }
}

pub fn public_key_b64(key: &SigningKey) -> String {
    B64.encode(key.verifying_key().to_bytes())
}

pub fn sign_b64(key: &SigningKey, doc: &TermsDocument) -> String {
    B64.encode(key.sign(&doc.signing_payload()).to_bytes())
}

/// Asserts `err` is the expected variant and that its message names every
/// one of `needles` (field names, offending values, the rule).
#[track_caller]
pub fn assert_err(case: &str, err: &DomainError, variant: &str, needles: &[&str]) {
    let name = variant_name(err);
    assert_eq!(name, variant, "{case}: expected {variant}, got {err:?}");
    let message = err.to_string();
    for needle in needles {
        assert!(
            message.contains(needle),
            "{case}: message {message:?} does not name {needle:?}"
        );
    }
}

pub fn variant_name(err: &DomainError) -> &'static str {
    match err {
        DomainError::Invalid { .. } => "Invalid",
        DomainError::WindowOpensTooEarly { .. } => "WindowOpensTooEarly",
        DomainError::WindowEndsAfterRelease { .. } => "WindowEndsAfterRelease",
        DomainError::WindowEmpty { .. } => "WindowEmpty",
        DomainError::OutsideWindow { .. } => "OutsideWindow",
        DomainError::WrongState { .. } => "WrongState",
        DomainError::Forbidden(_) => "Forbidden",
        DomainError::BadSignature { .. } => "BadSignature",
        DomainError::Conflict(_) => "Conflict",
    }
}
