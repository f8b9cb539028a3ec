//! Terms: versioned documents, signed by both sides with Ed25519 over a
//! canonical encoding (RFC 8785 JSON canonicalisation behind a domain tag).

use crate::DomainError;
use crate::ids::{OrgId, SubmissionId, UserId};
use crate::org::{OrgKind, snake_enum_text};
use crate::partner::PartnerVetting;
use crate::window::{ReviewWindow, Span};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use chrono::{DateTime, Utc};
use ed25519_dalek::{Signature, VerifyingKey};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

/// Prefix of every signed terms payload, so a terms signature can never be
/// replayed as a signature over anything else.
pub const SIGNING_DOMAIN: &[u8] = b"preflight.terms.v1\n";

/// The largest integer every JSON implementation represents exactly (2^53 - 1).
pub const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// Who may reach the model in one phase: whole organisations, narrowed to
/// named people where any are named for that organisation.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AccessList {
    pub organisations: Vec<OrgId>,
    #[serde(default)]
    pub people: Vec<NamedPerson>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct NamedPerson {
    pub user_id: UserId,
    pub org_id: OrgId,
}

impl AccessList {
    pub fn has_org(&self, org: OrgId) -> bool {
        self.organisations.contains(&org)
    }

    /// A person may act when their organisation is listed and either nobody
    /// of that organisation is named or they are.
    pub fn admits(&self, org: OrgId, user: UserId) -> bool {
        if !self.has_org(org) {
            return false;
        }
        let mut named = self.people.iter().filter(|p| p.org_id == org).peekable();
        named.peek().is_none() || named.any(|p| p.user_id == user)
    }
}

/// Limits the gateway enforces for each reviewer organisation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct UsageLimits {
    pub requests_per_minute: u32,
    pub tokens_per_minute: u32,
    pub max_concurrent_requests: u32,
    pub total_token_budget: u64,
}

/// Intellectual-property clauses.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct IpClauses {
    /// Reviewers may not train any model on the outputs.
    pub no_training_on_outputs: bool,
    /// Reviewers keep no copy of outputs beyond Preflight's transcripts.
    pub no_retention_of_outputs: bool,
    /// Further clauses in the parties' words.
    #[serde(default)]
    pub other: Vec<String>,
}

/// When findings may go to the clearinghouse.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "when", rename_all = "snake_case")]
pub enum ShareWhen {
    Never,
    AfterRelease,
    AfterDaysFromReport { days: u32 },
}

/// What may go to the clearinghouse.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ShareWhat {
    SummaryOnly,
    FullFindings,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ClearinghouseSharing {
    #[serde(flatten)]
    pub when: ShareWhen,
    pub what: ShareWhat,
}

/// One version of the terms of a review, as both sides sign it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TermsDocument {
    pub submission_id: SubmissionId,
    pub version: u32,
    /// When reviewers may reach the model at all.
    pub window: ReviewWindow,
    /// Longest the government-only phase lasts; the government may hand over sooner.
    pub government_phase_days: u32,
    /// When trusted partners may reach the model, inside the window.
    pub partner_window: Span,
    pub government_access: AccessList,
    pub partner_access: AccessList,
    pub limits: UsageLimits,
    pub transcript_retention_days: u32,
    pub ip: IpClauses,
    pub clearinghouse: ClearinghouseSharing,
    /// Attestations each reviewer must make before access (for example,
    /// "completed insider-risk training").
    pub insider_risk_attestations: Vec<String>,
}

/// What the terms are checked against: the review and the program's registry.
#[derive(Debug)]
pub struct TermsContext<'a> {
    pub developer_org: OrgId,
    pub planned_release_at: DateTime<Utc>,
    pub org_kinds: &'a HashMap<OrgId, OrgKind>,
    pub user_orgs: &'a HashMap<UserId, Option<OrgId>>,
    pub vetting: &'a HashMap<OrgId, PartnerVetting>,
}

impl TermsDocument {
    /// Checks every rule a terms document must meet before anyone signs it.
    pub fn validate(&self, ctx: &TermsContext<'_>) -> Result<(), DomainError> {
        if self.window.release_at() != ctx.planned_release_at {
            return Err(DomainError::invalid(
                "window.release_at",
                self.window.release_at().to_rfc3339(),
                format!(
                    "must equal the developer's planned release {}",
                    ctx.planned_release_at.to_rfc3339()
                ),
            ));
        }
        self.window.sub_span(
            "partner_window",
            self.partner_window.start,
            self.partner_window.end,
        )?;
        let window_days = (self.window.ends_at() - self.window.opens_at()).num_days();
        if self.government_phase_days == 0
            || i64::from(self.government_phase_days) > window_days.max(1)
        {
            return Err(DomainError::invalid(
                "government_phase_days",
                self.government_phase_days,
                format!(
                    "must be between 1 and the window's {} days",
                    window_days.max(1)
                ),
            ));
        }
        positive(
            "limits.requests_per_minute",
            u64::from(self.limits.requests_per_minute),
        )?;
        positive(
            "limits.tokens_per_minute",
            u64::from(self.limits.tokens_per_minute),
        )?;
        positive(
            "limits.max_concurrent_requests",
            u64::from(self.limits.max_concurrent_requests),
        )?;
        positive("limits.total_token_budget", self.limits.total_token_budget)?;
        // RFC 8785 numbers are IEEE doubles: larger integers would not
        // canonicalise the same way in every signer's language.
        if self.limits.total_token_budget > MAX_SAFE_INTEGER {
            return Err(DomainError::invalid(
                "limits.total_token_budget",
                self.limits.total_token_budget,
                format!("at most {MAX_SAFE_INTEGER}"),
            ));
        }
        if self.transcript_retention_days > 3650 {
            return Err(DomainError::invalid(
                "transcript_retention_days",
                self.transcript_retention_days,
                "at most 3650 days",
            ));
        }
        match self.clearinghouse.when {
            ShareWhen::AfterDaysFromReport { days } if days > 3650 => {
                return Err(DomainError::invalid(
                    "clearinghouse.days",
                    days,
                    "at most 3650 days",
                ));
            }
            _ => {}
        }
        for (i, text) in self.insider_risk_attestations.iter().enumerate() {
            if text.trim().is_empty() || text.len() > 500 {
                return Err(DomainError::invalid(
                    "insider_risk_attestations",
                    format!("[{i}] {text:?}"),
                    "each attestation is 1 to 500 characters",
                ));
            }
        }
        if self.government_access.organisations.is_empty() {
            return Err(DomainError::invalid(
                "government_access.organisations",
                "[]",
                "name at least one government evaluator",
            ));
        }
        self.check_list(
            "government_access",
            &self.government_access,
            OrgKind::GovernmentEvaluator,
            ctx,
        )?;
        self.check_list(
            "partner_access",
            &self.partner_access,
            OrgKind::TrustedPartner,
            ctx,
        )?;
        for org in &self.partner_access.organisations {
            let vetting = ctx.vetting.get(org);
            crate::partner::check_assignable(
                *org,
                vetting,
                ctx.developer_org,
                self.partner_window.end,
            )?;
        }
        Ok(())
    }

    fn check_list(
        &self,
        field: &'static str,
        list: &AccessList,
        kind: OrgKind,
        ctx: &TermsContext<'_>,
    ) -> Result<(), DomainError> {
        let mut seen = Vec::new();
        for org in &list.organisations {
            if seen.contains(org) {
                return Err(DomainError::invalid(
                    field,
                    org,
                    "organisation listed twice",
                ));
            }
            seen.push(*org);
            match ctx.org_kinds.get(org) {
                None => return Err(DomainError::invalid(field, org, "no such organisation")),
                Some(k) if *k != kind => {
                    return Err(DomainError::invalid(
                        field,
                        org,
                        format!("is a {k}, not a {kind}"),
                    ));
                }
                _ => {}
            }
        }
        for person in &list.people {
            match ctx.user_orgs.get(&person.user_id) {
                Some(Some(org)) if *org == person.org_id && list.has_org(*org) => {}
                Some(Some(_)) => {
                    return Err(DomainError::invalid(
                        field,
                        person.user_id,
                        "named person does not belong to a listed organisation of that id",
                    ));
                }
                _ => {
                    return Err(DomainError::invalid(
                        field,
                        person.user_id,
                        "no such person",
                    ));
                }
            }
        }
        Ok(())
    }

    /// The exact bytes both sides sign.
    pub fn signing_payload(&self) -> Vec<u8> {
        let mut payload = SIGNING_DOMAIN.to_vec();
        payload.extend_from_slice(self.canonical_json().as_bytes());
        payload
    }

    /// RFC 8785 canonical JSON of this document.
    pub fn canonical_json(&self) -> String {
        // Serialising plain structs of strings, numbers and booleans cannot fail.
        serde_jcs::to_string(self).unwrap_or_default()
    }
}

fn positive(field: &'static str, value: u64) -> Result<(), DomainError> {
    if value == 0 {
        Err(DomainError::invalid(
            field,
            value,
            "must be greater than zero",
        ))
    } else {
        Ok(())
    }
}

/// The two sides that sign terms.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Developer,
    Government,
}

snake_enum_text!(
    Side,
    "side",
    [Developer = "developer", Government = "government"]
);

/// One side's signature over one terms version.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TermsSignature {
    pub version: u32,
    pub side: Side,
    pub signer: UserId,
    /// Base64 of the signer's Ed25519 public key.
    pub public_key: String,
    /// Base64 of the 64-byte Ed25519 signature over the signing payload.
    pub signature: String,
    pub signed_at: DateTime<Utc>,
}

/// Parses a base64 Ed25519 public key.
pub fn parse_public_key(field: &'static str, b64: &str) -> Result<VerifyingKey, DomainError> {
    let bytes = B64
        .decode(b64.trim())
        .map_err(|_| DomainError::invalid(field, b64, "not base64"))?;
    let bytes: [u8; 32] = bytes
        .try_into()
        .map_err(|_| DomainError::invalid(field, b64, "an Ed25519 public key is 32 bytes"))?;
    VerifyingKey::from_bytes(&bytes)
        .map_err(|_| DomainError::invalid(field, b64, "not a valid Ed25519 public key"))
}

/// Checks `signature` (base64) over `document` with `public_key` (base64).
pub fn verify_signature(
    document: &TermsDocument,
    public_key: &str,
    signature: &str,
) -> Result<(), DomainError> {
    let key = parse_public_key("public_key", public_key)?;
    let bytes = B64
        .decode(signature.trim())
        .map_err(|_| DomainError::invalid("signature", signature, "not base64"))?;
    let sig = Signature::from_slice(&bytes).map_err(|_| {
        DomainError::invalid("signature", signature, "an Ed25519 signature is 64 bytes")
    })?;
    key.verify_strict(&document.signing_payload(), &sig)
        .map_err(|_| DomainError::BadSignature {
            version: document.version,
            signer: public_key.to_owned(),
        })
}

/// A stored terms version with the signatures it has gathered.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TermsVersion {
    pub document: TermsDocument,
    pub proposed_by: UserId,
    pub proposed_at: DateTime<Utc>,
    pub signatures: Vec<TermsSignature>,
}

impl TermsVersion {
    /// This side's signature over this version; a signature recorded for
    /// another version does not count.
    pub fn signature_of(&self, side: Side) -> Option<&TermsSignature> {
        self.signatures
            .iter()
            .find(|s| s.side == side && s.version == self.document.version)
    }
    pub fn fully_signed(&self) -> bool {
        self.signature_of(Side::Developer).is_some()
            && self.signature_of(Side::Government).is_some()
    }
}

/// The terms that govern a review: the latest version signed by both sides.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AgreedTerms {
    pub document: TermsDocument,
    pub developer_signature: TermsSignature,
    pub government_signature: TermsSignature,
}

/// Picks the latest version signed by both sides; later unsigned proposals
/// do not displace it.
pub fn latest_agreed(versions: &[TermsVersion]) -> Option<AgreedTerms> {
    versions
        .iter()
        .filter(|v| v.fully_signed())
        .max_by_key(|v| v.document.version)
        .and_then(|v| {
            Some(AgreedTerms {
                document: v.document.clone(),
                developer_signature: v.signature_of(Side::Developer)?.clone(),
                government_signature: v.signature_of(Side::Government)?.clone(),
            })
        })
}
