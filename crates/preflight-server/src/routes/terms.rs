use crate::auth::Caller;
use crate::error::ErrorResponses;
use crate::extract::{ApiJson, ApiPath};
use crate::routes::review::Review;
use crate::{ApiError, AppState};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use chrono::{DateTime, Utc};
use preflight_core::event::{Event, EventKind};
use preflight_core::ids::{OrgId, SubmissionId, UserId};
use preflight_core::lifecycle::{self, Stage, Transition};
use preflight_core::org::Role;
use preflight_core::policy::Visibility;
use preflight_core::terms::{
    AccessList, AgreedTerms, ClearinghouseSharing, IpClauses, Side, TermsContext, TermsDocument,
    TermsSignature, TermsVersion, UsageLimits, verify_signature,
};
use preflight_core::window::{ReviewWindow, Span};
use preflight_store::StoreError;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::HashMap;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WindowInput {
    pub opens_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
}

/// A proposed terms version. The review and the version number are set by
/// the server; the window ends no later than the planned release.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProposeTerms {
    pub window: WindowInput,
    pub government_phase_days: u32,
    pub partner_window: Span,
    pub government_access: AccessList,
    pub partner_access: AccessList,
    pub limits: UsageLimits,
    pub transcript_retention_days: u32,
    pub ip: IpClauses,
    pub clearinghouse: ClearinghouseSharing,
    #[serde(default)]
    pub insider_risk_attestations: Vec<String>,
}

/// A terms version with the exact bytes to sign.
#[derive(Serialize, Deserialize, utoipa::ToSchema)]
pub struct TermsVersionView {
    #[serde(flatten)]
    pub version: TermsVersion,
    pub fully_signed: bool,
    /// RFC 8785 canonical JSON of the document.
    pub canonical_json: String,
    /// Base64 of the bytes each side signs with Ed25519:
    /// `preflight.terms.v1\n` followed by the canonical JSON.
    pub signing_payload: String,
}

impl From<TermsVersion> for TermsVersionView {
    fn from(version: TermsVersion) -> Self {
        Self {
            fully_signed: version.fully_signed(),
            canonical_json: version.document.canonical_json(),
            signing_payload: B64.encode(version.document.signing_payload()),
            version,
        }
    }
}

/// Proposes a new terms version (the developer or a government evaluator).
#[utoipa::path(post, path = "/submissions/{submission_id}/terms", tag = "terms", request_body = ProposeTerms,
    params(("submission_id" = SubmissionId, Path)),
    responses((status = 201, body = TermsVersionView), ErrorResponses))]
pub async fn propose_terms(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<SubmissionId>,
    ApiJson(body): ApiJson<ProposeTerms>,
) -> Result<(StatusCode, Json<TermsVersionView>), ApiError> {
    let review = Review::load(&state, &caller, id).await?;
    let sub = &review.submission;
    let is_party = match caller.actor.role {
        Role::Developer => caller.actor.belongs_to(sub.developer_org),
        Role::GovernmentEvaluator => review.visibility == Visibility::Full,
        _ => false,
    };
    if !is_party {
        return Err(ApiError::forbidden(
            "only the developer and the government negotiate terms",
        ));
    }
    if let Some(outcome) = sub.outcome {
        return Err(ApiError::conflict(format!(
            "the review ended at {}; no new terms",
            outcome.at()
        )));
    }
    if !(Stage::Submitted..=Stage::PartnerPhase).contains(&sub.stage) {
        return Err(ApiError::conflict(format!(
            "cannot propose terms for a review in state {}",
            sub.stage
        )));
    }
    let window = ReviewWindow::new(
        sub.planned_release_at,
        body.window.opens_at,
        body.window.ends_at,
    )?;
    let document = TermsDocument {
        submission_id: id,
        version: review.versions.last().map_or(1, |v| v.document.version + 1),
        window,
        government_phase_days: body.government_phase_days,
        partner_window: body.partner_window,
        government_access: body.government_access,
        partner_access: body.partner_access,
        limits: body.limits,
        transcript_retention_days: body.transcript_retention_days,
        ip: body.ip,
        clearinghouse: body.clearinghouse,
        insider_risk_attestations: body.insider_risk_attestations,
    };
    // Only the organisations and people the document names are looked up.
    let lists = [&document.government_access, &document.partner_access];
    let mut org_kinds = HashMap::new();
    let mut vetting = HashMap::new();
    for org in lists.iter().flat_map(|l| l.organisations.iter()) {
        match state.store.org(*org).await {
            Ok(o) => org_kinds.insert(o.id, o.kind),
            Err(StoreError::NotFound { .. }) => continue,
            Err(e) => return Err(e.into()),
        };
        if let Some(v) = state.store.vetting(*org).await? {
            vetting.insert(*org, v);
        }
    }
    let mut user_orgs: HashMap<UserId, Option<OrgId>> = HashMap::new();
    for person in lists.iter().flat_map(|l| l.people.iter()) {
        match state.store.user(person.user_id).await {
            Ok(u) => user_orgs.insert(u.id, u.org_id),
            Err(StoreError::NotFound { .. }) => continue,
            Err(e) => return Err(e.into()),
        };
    }
    document.validate(&TermsContext {
        developer_org: sub.developer_org,
        planned_release_at: sub.planned_release_at,
        org_kinds: &org_kinds,
        user_orgs: &user_orgs,
        vetting: &vetting,
    })?;
    let now = Utc::now();
    let version = TermsVersion {
        document,
        proposed_by: caller.user.id,
        proposed_at: now,
        signatures: Vec::new(),
    };
    let event = Event::new(
        EventKind::TermsProposed,
        Some(id),
        Some(caller.user.id),
        now,
        json!({ "version": version.document.version, "document": version.document }),
    );
    state.store.propose_terms(&version, &event).await?;
    Ok((StatusCode::CREATED, Json(version.into())))
}

/// Every terms version with its signatures (the developer, the government
/// and admins; partners read the agreed terms).
#[utoipa::path(get, path = "/submissions/{submission_id}/terms", tag = "terms",
    params(("submission_id" = SubmissionId, Path)),
    responses((status = 200, body = Vec<TermsVersionView>), ErrorResponses))]
pub async fn list_terms(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<SubmissionId>,
) -> Result<Json<Vec<TermsVersionView>>, ApiError> {
    let review = Review::load(&state, &caller, id).await?;
    review.require_full("read terms under negotiation")?;
    Ok(Json(review.versions.into_iter().map(Into::into).collect()))
}

/// One terms version.
#[utoipa::path(get, path = "/submissions/{submission_id}/terms/{version}", tag = "terms",
    params(("submission_id" = SubmissionId, Path), ("version" = u32, Path)),
    responses((status = 200, body = TermsVersionView), ErrorResponses))]
pub async fn get_terms_version(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((id, number)): ApiPath<(SubmissionId, u32)>,
) -> Result<Json<TermsVersionView>, ApiError> {
    let review = Review::load(&state, &caller, id).await?;
    review.require_full("read terms under negotiation")?;
    review
        .versions
        .into_iter()
        .find(|v| v.document.version == number)
        .map(|v| Json(v.into()))
        .ok_or_else(|| ApiError::not_found("terms version", number))
}

/// The terms that govern the review now: the latest version both sides signed.
#[utoipa::path(get, path = "/submissions/{submission_id}/terms/agreed", tag = "terms",
    params(("submission_id" = SubmissionId, Path)),
    responses((status = 200, body = AgreedTerms), ErrorResponses))]
pub async fn agreed_terms(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<SubmissionId>,
) -> Result<Json<AgreedTerms>, ApiError> {
    let review = Review::load(&state, &caller, id).await?;
    review
        .agreed
        .map(Json)
        .ok_or_else(|| ApiError::not_found("agreed terms of submission", id))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignTerms {
    pub side: Side,
    /// Base64 of the Ed25519 signature over the version's `signing_payload`,
    /// made with the caller's registered key.
    pub signature: String,
}

/// Signs a terms version for one side. The signature is checked against the
/// caller's registered public key; when it completes the terms of a
/// submitted review, the review moves to `terms agreed`.
#[utoipa::path(post, path = "/submissions/{submission_id}/terms/{version}/signatures", tag = "terms",
    request_body = SignTerms,
    params(("submission_id" = SubmissionId, Path), ("version" = u32, Path)),
    responses((status = 201, body = TermsVersionView), ErrorResponses))]
pub async fn sign_terms(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((id, number)): ApiPath<(SubmissionId, u32)>,
    ApiJson(body): ApiJson<SignTerms>,
) -> Result<(StatusCode, Json<TermsVersionView>), ApiError> {
    let review = Review::load(&state, &caller, id).await?;
    let sub = &review.submission;
    let Some(mut version) = review
        .versions
        .iter()
        .find(|v| v.document.version == number)
        .cloned()
    else {
        return Err(ApiError::not_found("terms version", number));
    };
    let latest = review.versions.last().map_or(0, |v| v.document.version);
    if number != latest {
        return Err(ApiError::conflict(format!(
            "terms version {number} was superseded by version {latest}"
        )));
    }
    if let Some(outcome) = sub.outcome {
        return Err(ApiError::conflict(format!(
            "the review ended at {}; nothing left to sign",
            outcome.at()
        )));
    }
    let entitled = match body.side {
        Side::Developer => {
            caller.actor.role == Role::Developer && caller.actor.belongs_to(sub.developer_org)
        }
        Side::Government => {
            caller.actor.role == Role::GovernmentEvaluator
                && caller
                    .actor
                    .org_id
                    .is_some_and(|org| version.document.government_access.has_org(org))
        }
    };
    if !entitled {
        return Err(ApiError::forbidden(format!(
            "the caller may not sign for the {} side",
            body.side
        )));
    }
    if version.signature_of(body.side).is_some() {
        return Err(ApiError::conflict(format!(
            "version {number} is already signed for the {} side",
            body.side
        )));
    }
    let Some(public_key) = caller.user.public_key.clone() else {
        return Err(ApiError::invalid(
            "public_key",
            "invalid public_key (none): register a key with PUT /me/public-key first",
        ));
    };
    verify_signature(&version.document, &public_key, &body.signature)?;
    let now = Utc::now();
    let signature = TermsSignature {
        version: number,
        side: body.side,
        signer: caller.user.id,
        public_key,
        signature: body.signature.trim().to_owned(),
        signed_at: now,
    };
    version.signatures.push(signature.clone());
    let mut events = vec![Event::new(
        EventKind::TermsSigned,
        Some(id),
        Some(caller.user.id),
        now,
        json!({ "version": number, "side": body.side, "public_key": signature.public_key, "signature": signature.signature }),
    )];
    let mut agreed = None;
    if version.fully_signed() && sub.stage == Stage::Submitted {
        let all: Vec<TermsVersion> = vec![version.clone()];
        let terms = preflight_core::terms::latest_agreed(&all);
        let next = lifecycle::apply(
            sub,
            Transition::AgreeTerms,
            &caller.actor,
            terms.as_ref(),
            now,
        )?;
        events.push(Event::new(
            EventKind::Transitioned,
            Some(id),
            Some(caller.user.id),
            now,
            json!({ "action": Transition::AgreeTerms, "from": sub.stage, "to": next.stage, "version": number }),
        ));
        agreed = Some(next);
    }
    state
        .store
        .add_signature(
            id,
            &signature,
            agreed.as_ref().map(|s| (s, review.row_version)),
            &events,
        )
        .await?;
    Ok((StatusCode::CREATED, Json(version.into())))
}
