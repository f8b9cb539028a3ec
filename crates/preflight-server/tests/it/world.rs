//! The program as the tests see it: organisations of every kind, one person
//! per role with an Ed25519 key and a token, all made over HTTP by the first
//! admin; and reviews driven to any stage of their lifecycle.

use crate::harness::{Harness, Resp, UPSTREAM_CREDENTIAL, api};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use chrono::{DateTime, Duration, SubsecRound, Utc};
use ed25519_dalek::{Signer, SigningKey};
use preflight_core::event::{Event, EventKind};
use preflight_core::partner::{PartnerVetting, VettingStatus};
use serde_json::{Value, json};
use std::sync::atomic::{AtomicU64, Ordering};

/// Whoever makes a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Who {
    Admin,
    /// A developer of the lab "own".
    DevOwn,
    /// A developer of the lab "other".
    DevOther,
    Gov,
    /// A trusted partner whose organisation the own review's terms list.
    PartnerListed,
    /// A trusted partner on no list (vetted, but conflicted with "own").
    PartnerUnlisted,
    Analyst,
    Operator,
    /// No token at all.
    Anonymous,
}

impl Who {
    pub const ALL: [Who; 9] = [
        Who::Admin,
        Who::DevOwn,
        Who::DevOther,
        Who::Gov,
        Who::PartnerListed,
        Who::PartnerUnlisted,
        Who::Analyst,
        Who::Operator,
        Who::Anonymous,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Who::Admin => "admin",
            Who::DevOwn => "developer (own lab)",
            Who::DevOther => "developer (other lab)",
            Who::Gov => "government evaluator",
            Who::PartnerListed => "trusted partner on the list",
            Who::PartnerUnlisted => "trusted partner not on the list",
            Who::Analyst => "clearinghouse analyst",
            Who::Operator => "operator",
            Who::Anonymous => "no token",
        }
    }
}

/// The lab a review belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Lab {
    /// Its terms list the vetted partner.
    Own,
    /// Its terms list no partner.
    Other,
}

impl Lab {
    pub fn name(self) -> &'static str {
        match self {
            Lab::Own => "own lab's review",
            Lab::Other => "other lab's review",
        }
    }
}

/// How far a review has come.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum At {
    Draft,
    Submitted,
    /// Submitted, with terms version 1 proposed and signed by nobody.
    Proposed,
    Agreed,
    GovPhase,
    /// In the partner phase with a government finding and, on the own
    /// review, a partner finding.
    PartnerPhase,
    Delivered,
    /// Delivered, and the developer recorded the release. (Not in `ALL`:
    /// the stages before it are those at which the developer still acts.)
    Released,
}

impl At {
    pub const ALL: [At; 7] = [
        At::Draft,
        At::Submitted,
        At::Proposed,
        At::Agreed,
        At::GovPhase,
        At::PartnerPhase,
        At::Delivered,
    ];
}

#[derive(Debug)]
pub struct Person {
    pub id: String,
    pub org_id: Option<String>,
    pub token: String,
    pub key: SigningKey,
}

impl Person {
    pub fn public_key(&self) -> String {
        B64.encode(self.key.verifying_key().to_bytes())
    }
}

#[derive(Debug)]
pub struct Orgs {
    pub own_lab: String,
    pub other_lab: String,
    pub gov: String,
    pub vetted_partner: String,
    /// Vetted, with a declared conflict of interest with the own lab.
    pub conflicted_partner: String,
    /// Registered, vetting pending.
    pub pending_partner: String,
    /// Vetting lapsed yesterday.
    pub expired_partner: String,
    pub clearinghouse: String,
    /// An operator in the healthcare sector.
    pub hospital: String,
}

#[derive(Debug)]
pub struct Review {
    pub id: String,
    pub lab: Lab,
    pub release: DateTime<Utc>,
    pub gov_finding: Option<String>,
    pub partner_finding: Option<String>,
}

impl Review {
    pub fn path(&self, rest: &str) -> String {
        api(&format!("/submissions/{}{rest}", self.id))
    }
}

#[derive(Debug)]
pub struct World {
    pub orgs: Orgs,
    pub admin: Person,
    pub dev_own: Person,
    pub dev_other: Person,
    pub gov: Person,
    pub partner_listed: Person,
    pub partner_unlisted: Person,
    pub analyst: Person,
    pub operator: Person,
    /// The vetted partner's vetting expiry, as set.
    pub vetted_until: DateTime<Utc>,
    seq: AtomicU64,
}

/// Now, to the second (so that times read back equal times sent).
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(0)
}

pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn new_key() -> SigningKey {
    SigningKey::generate(&mut rand::rngs::OsRng)
}

pub async fn create_org(h: &Harness, name: &str, kind: &str, sector: Option<&str>) -> String {
    h.post(
        &api("/orgs"),
        Some(&h.admin_token),
        json!({ "name": name, "kind": kind, "sector": sector }),
    )
    .await
    .expect(201);
    let resp = h.get(&api("/orgs"), Some(&h.admin_token)).await;
    resp.expect(200)
        .as_array()
        .expect("orgs list")
        .iter()
        .find(|o| o["name"] == name)
        .and_then(|o| o["id"].as_str())
        .unwrap_or_else(|| panic!("organisation {name} is not listed: {}", resp.text))
        .to_owned()
}

/// A person made by the admin; half register their key at creation, half
/// with `PUT /me/public-key` afterwards.
pub async fn create_person(
    h: &Harness,
    org: &str,
    name: &str,
    email: &str,
    role: &str,
    key_at_creation: bool,
) -> Person {
    let key = new_key();
    let public_key = B64.encode(key.verifying_key().to_bytes());
    let user = h
        .post(
            &api("/users"),
            Some(&h.admin_token),
            json!({
                "org_id": org,
                "name": name,
                "email": email,
                "role": role,
                "public_key": if key_at_creation { Some(&public_key) } else { None },
            }),
        )
        .await;
    let id = user.expect(201)["id"].as_str().expect("user id").to_owned();
    let token = h
        .post(
            &api(&format!("/users/{id}/tokens")),
            Some(&h.admin_token),
            json!({ "label": format!("{name}'s laptop"), "expires_at": null }),
        )
        .await;
    let token = token.expect(201)["token"]
        .as_str()
        .expect("token secret")
        .to_owned();
    if !key_at_creation {
        let me = h
            .put(
                &api("/me/public-key"),
                Some(&token),
                json!({ "public_key": public_key }),
            )
            .await;
        assert_eq!(me.expect(200)["public_key"], public_key.as_str());
    }
    Person {
        id,
        org_id: Some(org.to_owned()),
        token,
        key,
    }
}

impl World {
    /// Builds the program over HTTP as the first admin.
    pub async fn build(h: &Harness) -> World {
        let admin_key = new_key();
        h.put(
            &api("/me/public-key"),
            Some(&h.admin_token),
            json!({ "public_key": B64.encode(admin_key.verifying_key().to_bytes()) }),
        )
        .await
        .expect(200);
        let admin = Person {
            id: h.admin.id.to_string(),
            org_id: None,
            token: h.admin_token.clone(),
            key: admin_key,
        };
        let orgs = Orgs {
            own_lab: create_org(h, "Own Lab", "developer_lab", None).await,
            other_lab: create_org(h, "Other Lab", "developer_lab", None).await,
            gov: create_org(h, "Government Evaluator", "government_evaluator", None).await,
            vetted_partner: create_org(h, "Vetted Partner", "trusted_partner", None).await,
            conflicted_partner: create_org(h, "Conflicted Partner", "trusted_partner", None).await,
            pending_partner: create_org(h, "Pending Partner", "trusted_partner", None).await,
            expired_partner: create_org(h, "Expired Partner", "trusted_partner", None).await,
            clearinghouse: create_org(h, "Clearinghouse", "clearinghouse", None).await,
            hospital: create_org(h, "General Hospital", "operator", Some("healthcare")).await,
        };

        let vetted_until = now() + Duration::days(365);
        for (org, conflicts) in [
            (&orgs.vetted_partner, json!([])),
            (&orgs.conflicted_partner, json!([orgs.own_lab])),
        ] {
            h.put(
                &api(&format!("/partners/{org}/vetting")),
                Some(&h.admin_token),
                json!({
                    "status": "vetted",
                    "vetted_until": rfc3339(vetted_until),
                    "conflicts_with": conflicts,
                    "notes": "background checks done",
                }),
            )
            .await
            .expect(200);
        }
        h.put(
            &api(&format!("/partners/{}/vetting", orgs.pending_partner)),
            Some(&h.admin_token),
            json!({ "status": "pending", "vetted_until": null }),
        )
        .await
        .expect(200);
        // A vetting that has lapsed: the API (rightly) refuses to set an
        // expiry in the past, so time passing is simulated in the store.
        let lapsed = PartnerVetting {
            org_id: orgs.expired_partner.parse().expect("org id"),
            status: VettingStatus::Vetted,
            vetted_until: Some(now() - Duration::days(1)),
            conflicts_with: Vec::new(),
            notes: "lapsed".into(),
        };
        let event = Event::new(
            EventKind::PartnerVettingSet,
            None,
            Some(h.admin.id),
            Utc::now(),
            json!(lapsed),
        );
        h.store
            .set_vetting(&lapsed, &event)
            .await
            .expect("seed lapsed vetting");

        let dev_own = create_person(
            h,
            &orgs.own_lab,
            "Dana Own",
            "dana@own.example",
            "developer",
            true,
        )
        .await;
        let dev_other = create_person(
            h,
            &orgs.other_lab,
            "Olli Other",
            "olli@other.example",
            "developer",
            true,
        )
        .await;
        let gov = create_person(
            h,
            &orgs.gov,
            "Gail Gov",
            "gail@gov.example",
            "government_evaluator",
            false,
        )
        .await;
        let partner_listed = create_person(
            h,
            &orgs.vetted_partner,
            "Pat Listed",
            "pat@vetted.example",
            "trusted_partner",
            false,
        )
        .await;
        let partner_unlisted = create_person(
            h,
            &orgs.conflicted_partner,
            "Quinn Unlisted",
            "quinn@conflicted.example",
            "trusted_partner",
            true,
        )
        .await;
        let analyst = create_person(
            h,
            &orgs.clearinghouse,
            "Ana Lyst",
            "ana@clearinghouse.example",
            "clearinghouse_analyst",
            false,
        )
        .await;
        let operator = create_person(
            h,
            &orgs.hospital,
            "Opal Operator",
            "opal@hospital.example",
            "operator",
            true,
        )
        .await;
        World {
            orgs,
            admin,
            dev_own,
            dev_other,
            gov,
            partner_listed,
            partner_unlisted,
            analyst,
            operator,
            vetted_until,
            seq: AtomicU64::new(1),
        }
    }

    /// A number no other call of this world has had (for unique names).
    pub fn next(&self) -> u64 {
        self.seq.fetch_add(1, Ordering::Relaxed)
    }

    pub fn person(&self, who: Who) -> Option<&Person> {
        Some(match who {
            Who::Admin => &self.admin,
            Who::DevOwn => &self.dev_own,
            Who::DevOther => &self.dev_other,
            Who::Gov => &self.gov,
            Who::PartnerListed => &self.partner_listed,
            Who::PartnerUnlisted => &self.partner_unlisted,
            Who::Analyst => &self.analyst,
            Who::Operator => &self.operator,
            Who::Anonymous => return None,
        })
    }

    pub fn token(&self, who: Who) -> Option<&str> {
        self.person(who).map(|p| p.token.as_str())
    }

    pub fn developer(&self, lab: Lab) -> Who {
        match lab {
            Lab::Own => Who::DevOwn,
            Lab::Other => Who::DevOther,
        }
    }

    /// A valid body for `POST /submissions`.
    pub fn submission_body(&self, release: DateTime<Utc>) -> Value {
        self.submission_body_to(
            release,
            json!({
                "kind": "openai_compatible",
                "url": "https://models.lab.example/v1",
                "credential": UPSTREAM_CREDENTIAL,
            }),
        )
    }

    /// A valid body for `POST /submissions` with the model served at `upstream`.
    pub fn submission_body_to(&self, release: DateTime<Utc>, upstream: Value) -> Value {
        json!({
            "model_name": "Frontier",
            "model_version": format!("v{}", self.next()),
            "description": "a model due for release",
            "planned_release_at": rfc3339(release),
            "upstream": upstream,
        })
    }

    /// A valid body for `POST /submissions/{id}/terms`: the window opens a
    /// minute ago and ends at the release; partners share the same span.
    pub fn terms_body(&self, lab: Lab, release: DateTime<Utc>) -> Value {
        let opens = now() - Duration::minutes(1);
        let partners = match lab {
            Lab::Own => json!([self.orgs.vetted_partner]),
            Lab::Other => json!([]),
        };
        json!({
            "window": { "opens_at": rfc3339(opens), "ends_at": rfc3339(release) },
            "government_phase_days": 10,
            "partner_window": { "start": rfc3339(opens), "end": rfc3339(release) },
            "government_access": { "organisations": [self.orgs.gov], "people": [] },
            "partner_access": { "organisations": partners, "people": [] },
            "limits": {
                "requests_per_minute": 60,
                "tokens_per_minute": 100000,
                "max_concurrent_requests": 4,
                "total_token_budget": 10000000u64,
            },
            "transcript_retention_days": 90,
            "ip": { "no_training_on_outputs": true, "no_retention_of_outputs": true, "other": [] },
            "clearinghouse": { "when": "after_release", "what": "summary_only" },
            "insider_risk_attestations": ["completed insider-risk training"],
        })
    }

    /// A valid body for `POST /submissions/{id}/findings`.
    pub fn finding_body(&self, severity: &str) -> Value {
        json!({
            "title": format!("finding {}", self.next()),
            "severity": severity,
            "category": { "taxonomy": "capability", "id": "exploit_development" },
            "description": "the model writes a working exploit for a known CVE",
            "reproduction_steps": "ask for one",
            "transcript_refs": [],
        })
    }

    /// Base64 of `signer`'s signature over terms `version`'s signing payload,
    /// read back as the admin.
    pub async fn signature(
        &self,
        h: &Harness,
        review: &str,
        version: u32,
        signer: &SigningKey,
    ) -> String {
        let path = api(&format!("/submissions/{review}/terms/{version}"));
        let resp = h.get(&path, Some(&self.admin.token)).await;
        let payload = B64
            .decode(
                resp.expect(200)["signing_payload"]
                    .as_str()
                    .expect("signing_payload"),
            )
            .expect("signing_payload is base64");
        B64.encode(signer.sign(&payload).to_bytes())
    }

    /// `who` signs terms `version` for `side` with their own key.
    pub async fn sign(
        &self,
        h: &Harness,
        review: &str,
        version: u32,
        who: Who,
        side: &str,
    ) -> Resp {
        let key = &self.person(who).unwrap_or(&self.admin).key;
        let signature = self.signature(h, review, version, key).await;
        h.post(
            &api(&format!("/submissions/{review}/terms/{version}/signatures")),
            self.token(who),
            json!({ "side": side, "signature": signature }),
        )
        .await
    }

    pub async fn transition(&self, h: &Harness, review: &str, who: Who, action: &str) -> Resp {
        h.post(
            &api(&format!("/submissions/{review}/transitions")),
            self.token(who),
            json!({ "action": action }),
        )
        .await
    }

    /// A new review of `lab`, driven to `at`.
    /// A new assessment opened by the analyst from an outside report;
    /// validated when `valid`. Returns its id.
    pub async fn assessment(&self, h: &Harness, valid: bool) -> String {
        let n = self.next();
        let made = h
            .post(
                &api("/assessments"),
                self.token(Who::Analyst),
                json!({
                    "reporter": format!("Reporter {n}"),
                    "title": format!("Finding {n}"),
                    "description": "A model plug-in runs commands from retrieved pages.",
                }),
            )
            .await;
        let id = made.expect(201)["assessment_id"]
            .as_str()
            .expect("assessment id")
            .to_owned();
        if valid {
            h.post(
                &api(&format!("/assessments/{id}/report-state")),
                self.token(Who::Analyst),
                json!({ "state": "valid" }),
            )
            .await
            .expect(200);
        }
        id
    }

    /// A new assessment published TLP:CLEAR: every organisation receives it.
    pub async fn released_assessment(&self, h: &Harness) -> String {
        let id = self.assessment(h, true).await;
        h.post(
            &api(&format!("/assessments/{id}/publication")),
            self.token(Who::Analyst),
            json!({ "tlp": "CLEAR" }),
        )
        .await
        .expect(200);
        id
    }

    pub async fn review(&self, h: &Harness, lab: Lab, at: At) -> Review {
        self.review_with(h, lab, at, |w, release| w.submission_body(release), |_| {})
            .await
    }

    /// A new review of `lab` made from `submission`'s body, with its terms
    /// changed by `terms`, driven to `at`.
    pub async fn review_with(
        &self,
        h: &Harness,
        lab: Lab,
        at: At,
        submission: impl FnOnce(&World, DateTime<Utc>) -> Value,
        terms: impl FnOnce(&mut Value),
    ) -> Review {
        let dev = self.developer(lab);
        let release = now() + Duration::days(20);
        let created = h
            .post(
                &api("/submissions"),
                self.token(dev),
                submission(self, release),
            )
            .await;
        let mut review = Review {
            id: created.expect(201)["id"].as_str().expect("id").to_owned(),
            lab,
            release,
            gov_finding: None,
            partner_finding: None,
        };
        let id = review.id.clone();
        if at >= At::Submitted {
            self.transition(h, &id, dev, "submit").await.expect(200);
        }
        if at >= At::Proposed {
            let mut body = self.terms_body(lab, release);
            terms(&mut body);
            h.post(&review.path("/terms"), self.token(dev), body)
                .await
                .expect(201);
        }
        if at >= At::Agreed {
            self.sign(h, &id, 1, dev, "developer").await.expect(201);
            self.sign(h, &id, 1, Who::Gov, "government")
                .await
                .expect(201);
        }
        if at >= At::GovPhase {
            self.transition(h, &id, Who::Gov, "start_government_phase")
                .await
                .expect(200);
        }
        if at >= At::PartnerPhase {
            self.transition(h, &id, Who::Gov, "start_partner_phase")
                .await
                .expect(200);
            let gov = h
                .post(
                    &review.path("/findings"),
                    self.token(Who::Gov),
                    self.finding_body("high"),
                )
                .await;
            review.gov_finding = Some(gov.expect(201)["id"].as_str().expect("id").to_owned());
            if lab == Lab::Own {
                let partner = h
                    .post(
                        &review.path("/findings"),
                        self.token(Who::PartnerListed),
                        self.finding_body("medium"),
                    )
                    .await;
                review.partner_finding =
                    Some(partner.expect(201)["id"].as_str().expect("id").to_owned());
            }
        }
        if at >= At::Delivered {
            h.call(
                reqwest::Method::POST,
                &review.path("/report"),
                self.token(Who::Gov),
                None,
            )
            .await
            .expect(201);
        }
        if at >= At::Released {
            self.transition(h, &id, dev, "record_release")
                .await
                .expect(200);
        }
        review
    }
}
