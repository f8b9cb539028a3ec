//! The gateway seen from the API: reviewers' gateway tokens, and who called
//! the model, when and how much, with the transcripts of those calls.

use crate::auth::Caller;
use crate::error::ErrorResponses;
use crate::extract::{ApiJson, ApiPath};
use crate::routes::review::Review;
use crate::{ApiError, AppState};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use preflight_core::access::access_ends_at;
use preflight_core::actor::Actor;
use preflight_core::event::{Event, EventKind};
use preflight_core::ids::{OrgId, SubmissionId, TokenId};
use preflight_core::org::Role;
use preflight_core::submission::Submission;
use preflight_store::{GatewayTokenRecord, ModelCall, Transcript, UsageRow};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateGatewayToken {
    /// What the token is for, in the reviewer's words.
    pub label: String,
    /// When the token stops working; at most (and by default) when access
    /// to the model ends.
    #[serde(default)]
    pub expires_at: Option<DateTime<Utc>>,
}

/// A gateway token, its secret shown this once.
#[derive(Serialize, utoipa::ToSchema)]
pub struct CreatedGatewayToken {
    pub id: TokenId,
    /// Send as `Authorization: Bearer ...` to `/v1/chat/completions`.
    pub token: String,
    pub label: String,
    pub expires_at: DateTime<Utc>,
    /// The OpenAI-compatible base URL path to use with the token.
    pub base_path: String,
    /// The model name to ask for.
    pub model: String,
}

/// Makes a gateway token for the caller on this review: one person, one
/// submission, expiring. Only reviewers on an access list of the agreed
/// terms get one; each call is still checked against the terms when made.
#[utoipa::path(post, path = "/submissions/{submission_id}/gateway-tokens", tag = "gateway",
    request_body = CreateGatewayToken,
    params(("submission_id" = SubmissionId, Path)),
    responses((status = 201, body = CreatedGatewayToken), ErrorResponses))]
pub async fn create_gateway_token(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<SubmissionId>,
    ApiJson(body): ApiJson<CreateGatewayToken>,
) -> Result<(StatusCode, Json<CreatedGatewayToken>), ApiError> {
    let review = Review::load(&state, &caller, id).await?;
    let Some(org) = caller.actor.org_id else {
        return Err(ApiError::forbidden("only reviewers call the model"));
    };
    let Some(agreed) = review.agreed.as_ref() else {
        return Err(ApiError::forbidden(
            "no terms signed by both sides: nobody may call the model yet",
        ));
    };
    let listed = match caller.actor.role {
        Role::GovernmentEvaluator => agreed
            .document
            .government_access
            .admits(org, caller.user.id),
        Role::TrustedPartner => agreed.document.partner_access.admits(org, caller.user.id),
        role => {
            return Err(ApiError::forbidden(format!(
                "a {role} does not call the model"
            )));
        }
    };
    if !listed {
        return Err(ApiError::forbidden(
            "not on the access list of the agreed terms",
        ));
    }
    let label = body.label.trim();
    if label.is_empty() || label.chars().count() > 200 {
        return Err(ApiError::invalid(
            "label",
            format!("label {:?} must have 1 to 200 characters", body.label),
        ));
    }
    let now = state.gateway.clock.now();
    let ends = access_ends_at(&review.submission, agreed);
    let expires_at = body.expires_at.unwrap_or(ends);
    if expires_at <= now {
        return Err(ApiError::invalid(
            "expires_at",
            format!("expires_at {expires_at} is not in the future"),
        ));
    }
    if expires_at > ends {
        return Err(ApiError::invalid(
            "expires_at",
            format!("expires_at {expires_at} is after access to the model ends at {ends}"),
        ));
    }
    let token_id_event = Event::new(
        EventKind::GatewayTokenCreated,
        Some(id),
        Some(caller.user.id),
        now,
        json!({ "label": label, "expires_at": expires_at }),
    );
    let made = state
        .store
        .create_gateway_token(
            &state.pepper,
            caller.user.id,
            id,
            label,
            expires_at,
            &token_id_event,
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedGatewayToken {
            id: made.id,
            token: made.secret.to_string(),
            label: label.to_owned(),
            expires_at,
            base_path: "/v1".into(),
            model: review.submission.model_name.clone(),
        }),
    ))
}

/// The caller's own gateway tokens on this review (never their secrets).
#[utoipa::path(get, path = "/submissions/{submission_id}/gateway-tokens", tag = "gateway",
    params(("submission_id" = SubmissionId, Path)),
    responses((status = 200, body = Vec<GatewayTokenRecord>), ErrorResponses))]
pub async fn list_gateway_tokens(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<SubmissionId>,
) -> Result<Json<Vec<GatewayTokenRecord>>, ApiError> {
    Review::load(&state, &caller, id).await?;
    Ok(Json(
        state.store.gateway_tokens_of(caller.user.id, id).await?,
    ))
}

/// Revokes one of the caller's gateway tokens; calls with it stop at once.
#[utoipa::path(delete, path = "/submissions/{submission_id}/gateway-tokens/{token_id}", tag = "gateway",
    params(("submission_id" = SubmissionId, Path), ("token_id" = TokenId, Path)),
    responses((status = 204), ErrorResponses))]
pub async fn revoke_gateway_token(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((id, token)): ApiPath<(SubmissionId, TokenId)>,
) -> Result<StatusCode, ApiError> {
    Review::load(&state, &caller, id).await?;
    let event = Event::new(
        EventKind::GatewayTokenRevoked,
        Some(id),
        Some(caller.user.id),
        Utc::now(),
        json!({ "token_id": token }),
    );
    state
        .store
        .revoke_gateway_token(caller.user.id, id, token, &event)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Whose calls the caller may see: every call for the review's developer
/// and admins, its own organisation's for a reviewer.
fn calls_scope(actor: &Actor, submission: &Submission) -> Result<Option<OrgId>, ApiError> {
    match actor.role {
        Role::Admin => Ok(None),
        Role::Developer if actor.belongs_to(submission.developer_org) => Ok(None),
        Role::GovernmentEvaluator | Role::TrustedPartner => actor
            .org_id
            .map(Some)
            .ok_or_else(|| ApiError::forbidden("only reviewers' calls are listed")),
        role => Err(ApiError::forbidden(format!(
            "a {role} does not see calls to the model"
        ))),
    }
}

/// Calls to the model under review: who called, when, how it ended and how
/// many tokens it used. The developer sees every call; a reviewer its own
/// organisation's.
#[utoipa::path(get, path = "/submissions/{submission_id}/calls", tag = "gateway",
    params(("submission_id" = SubmissionId, Path)),
    responses((status = 200, body = Vec<ModelCall>), ErrorResponses))]
pub async fn list_calls(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<SubmissionId>,
) -> Result<Json<Vec<ModelCall>>, ApiError> {
    let review = Review::load(&state, &caller, id).await?;
    let scope = calls_scope(&caller.actor, &review.submission)?;
    Ok(Json(state.store.model_calls(id, scope).await?))
}

/// Usage per person, with totals per organisation and for the review.
#[derive(Serialize, utoipa::ToSchema)]
pub struct UsageReport {
    pub people: Vec<UsageRow>,
    pub organisations: Vec<OrgUsage>,
    pub calls: u64,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct OrgUsage {
    pub org_id: OrgId,
    pub calls: u64,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
}

/// How much each organisation and person used the model.
#[utoipa::path(get, path = "/submissions/{submission_id}/usage", tag = "gateway",
    params(("submission_id" = SubmissionId, Path)),
    responses((status = 200, body = UsageReport), ErrorResponses))]
pub async fn usage(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<SubmissionId>,
) -> Result<Json<UsageReport>, ApiError> {
    let review = Review::load(&state, &caller, id).await?;
    let scope = calls_scope(&caller.actor, &review.submission)?;
    let people = state.store.usage(id, scope).await?;
    let mut organisations: Vec<OrgUsage> = Vec::new();
    for row in &people {
        match organisations.iter_mut().find(|o| o.org_id == row.org_id) {
            Some(org) => {
                org.calls += row.calls;
                org.prompt_tokens += row.prompt_tokens;
                org.completion_tokens += row.completion_tokens;
            }
            None => organisations.push(OrgUsage {
                org_id: row.org_id,
                calls: row.calls,
                prompt_tokens: row.prompt_tokens,
                completion_tokens: row.completion_tokens,
            }),
        }
    }
    Ok(Json(UsageReport {
        calls: people.iter().map(|r| r.calls).sum(),
        prompt_tokens: people.iter().map(|r| r.prompt_tokens).sum(),
        completion_tokens: people.iter().map(|r| r.completion_tokens).sum(),
        people,
        organisations,
    }))
}

/// One call's transcript: the request, the answer, usage and timing. The
/// developer reads every transcript of its model, a reviewer its own
/// organisation's; once the review's data key is destroyed at the end of
/// retention, nobody can (410). The flags of capture-the-flag suites run on
/// the review are redacted for everyone but the government evaluator.
#[utoipa::path(get, path = "/submissions/{submission_id}/calls/{call_id}/transcript", tag = "gateway",
    params(("submission_id" = SubmissionId, Path), ("call_id" = String, Path, format = Uuid)),
    responses((status = 200, body = Object), ErrorResponses))]
pub async fn transcript(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((id, call_id)): ApiPath<(SubmissionId, Uuid)>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let review = Review::load(&state, &caller, id).await?;
    let scope = calls_scope(&caller.actor, &review.submission)?;
    let call = state.store.model_call(id, call_id).await?;
    // Admins run the instance; they do not read what reviewers asked.
    if caller.actor.role == Role::Admin {
        return Err(ApiError::forbidden(
            "transcripts are for the developer and the calling organisation",
        ));
    }
    if scope.is_some_and(|org| org != call.org_id) {
        return Err(ApiError::not_found("model call", call_id));
    }
    match state.store.transcript(id, call_id, &state.master).await? {
        Transcript::Readable(bytes) => {
            let value = serde_json::from_slice(&bytes).map_err(ApiError::internal)?;
            if caller.actor.role == Role::GovernmentEvaluator {
                return Ok(Json(value));
            }
            let flags = crate::flags::review_flags(&state, id).await?;
            Ok(Json(crate::flags::redact_transcript(value, &flags)))
        }
        Transcript::Missing => Err(ApiError::not_found("transcript", call_id)),
        Transcript::Destroyed { at } => Err(ApiError::new(
            StatusCode::GONE,
            "transcript_destroyed",
            format!(
                "the review's transcripts were destroyed at {at}, at the end of the agreed retention"
            ),
        )),
    }
}
