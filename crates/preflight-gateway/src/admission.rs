//! Who may call, on which review, in which phase, under which limits: the
//! token is checked against the store and the review against the latest
//! terms both sides signed, at the moment of the call.

use crate::GatewayState;
use crate::refusal::Refusal;
use axum::http::{HeaderMap, header};
use preflight_core::access::reviewer_access;
use preflight_core::actor::Actor;
use preflight_core::finding::Phase;
use preflight_core::submission::Submission;
use preflight_core::terms::{UsageLimits, latest_agreed};
use preflight_store::{GatewayGrant, GrantLookup};

/// A call let through the door (limits are checked next).
#[derive(Debug)]
pub(crate) struct Admission {
    pub grant: GatewayGrant,
    pub submission: Submission,
    pub phase: Phase,
    pub limits: UsageLimits,
}

/// The bearer token of the request.
pub(crate) fn bearer(headers: &HeaderMap) -> Result<&str, Refusal> {
    let value = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| {
            Refusal::unauthenticated(
                "missing_token",
                "send a gateway token as `Authorization: Bearer pfg_...`",
            )
        })?;
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            Refusal::unauthenticated(
                "missing_token",
                "the Authorization header must be `Bearer <gateway token>`",
            )
        })?;
    Ok(token)
}

pub(crate) fn internal(err: impl std::fmt::Display) -> Refusal {
    tracing::error!(error = %err, "gateway store failure");
    Refusal::unavailable(
        "store_unavailable",
        "the gateway could not check this call; retry later",
    )
}

/// Checks the token and the review's terms at the gateway's now.
pub(crate) async fn admit(state: &GatewayState, headers: &HeaderMap) -> Result<Admission, Refusal> {
    let token = bearer(headers)?;
    let now = state.clock.now();
    let grant = match state
        .store
        .gateway_grant(&state.pepper, token, now)
        .await
        .map_err(internal)?
    {
        GrantLookup::Live(grant) => grant,
        GrantLookup::Expired { at } => {
            return Err(Refusal::unauthenticated(
                "token_expired",
                format!("the gateway token expired at {at}"),
            ));
        }
        GrantLookup::Revoked { at } => {
            return Err(Refusal::unauthenticated(
                "token_revoked",
                format!("the gateway token was revoked at {at}"),
            ));
        }
        GrantLookup::Unknown => {
            return Err(Refusal::unauthenticated(
                "invalid_token",
                "not a live gateway token (gateway tokens start with pfg_; API tokens are not accepted here)",
            ));
        }
    };
    let id = grant.submission_id;
    let submission = state.store.submission(id).await.map_err(internal)?.value;
    let versions = state.store.terms_versions(id).await.map_err(internal)?;
    let agreed = latest_agreed(&versions);
    let actor = Actor::of(&grant.user);
    let phase = reviewer_access(&submission, agreed.as_ref(), &actor, now)?;
    let limits = agreed
        .map(|t| t.document.limits)
        .ok_or_else(|| Refusal::denied("no_agreed_terms", "no terms signed by both sides"))?;
    Ok(Admission {
        grant,
        submission,
        phase,
        limits,
    })
}
