use crate::auth::Caller;
use crate::error::ErrorResponses;
use crate::extract::{ApiJson, ApiPath};
use crate::{ApiError, AppState};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use preflight_core::actor::User;
use preflight_core::event::{Event, EventKind};
use preflight_core::ids::TokenId;
use preflight_core::terms::parse_public_key;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// The caller's own account.
#[utoipa::path(get, path = "/me", tag = "identity",
    responses((status = 200, body = User), ErrorResponses))]
pub async fn me(caller: Caller) -> Json<User> {
    Json(caller.user)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterKey {
    /// Base64 of the caller's 32-byte Ed25519 public key.
    pub public_key: String,
}

/// Registers the caller's Ed25519 public key for signing terms. The private
/// key never reaches the server.
#[utoipa::path(put, path = "/me/public-key", tag = "identity", request_body = RegisterKey,
    responses((status = 200, body = User), ErrorResponses))]
pub async fn register_key(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<RegisterKey>,
) -> Result<Json<User>, ApiError> {
    parse_public_key("public_key", &body.public_key)?;
    let key = body.public_key.trim().to_owned();
    let event = Event::new(
        EventKind::UserKeyRegistered,
        None,
        Some(caller.user.id),
        Utc::now(),
        json!({ "user_id": caller.user.id, "public_key": key }),
    );
    state
        .store
        .set_public_key(caller.user.id, &key, &event)
        .await?;
    Ok(Json(state.store.user(caller.user.id).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateToken {
    /// What the token is for, such as "laptop" or "ci".
    pub label: String,
    /// When the token stops working; none means it lasts until revoked.
    pub expires_at: Option<DateTime<Utc>>,
}

/// A token just created. The secret is shown here once and never again.
#[derive(Serialize, Deserialize, utoipa::ToSchema)]
pub struct CreatedToken {
    pub id: TokenId,
    pub token: String,
    pub label: String,
    pub expires_at: Option<DateTime<Utc>>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct TokenInfo {
    pub id: TokenId,
    pub label: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

pub(crate) async fn issue_token(
    state: &AppState,
    issuer: &Caller,
    owner: &User,
    body: CreateToken,
) -> Result<CreatedToken, ApiError> {
    let label = preflight_core::org::non_empty("label", &body.label, 100)?;
    if let Some(expires) = body.expires_at.filter(|expires| *expires <= Utc::now()) {
        return Err(ApiError::invalid(
            "expires_at",
            format!("invalid expires_at {expires}: must lie in the future"),
        ));
    }
    let event = Event::new(
        EventKind::TokenCreated,
        None,
        Some(issuer.user.id),
        Utc::now(),
        json!({ "user_id": owner.id, "label": label, "expires_at": body.expires_at }),
    );
    let token = state
        .store
        .create_token(&state.pepper, owner.id, &label, body.expires_at, &event)
        .await?;
    Ok(CreatedToken {
        id: token.id,
        token: token.secret.to_string(),
        label,
        expires_at: body.expires_at,
    })
}

/// Creates a bearer token for the caller.
#[utoipa::path(post, path = "/me/tokens", tag = "identity", request_body = CreateToken,
    responses((status = 201, body = CreatedToken), ErrorResponses))]
pub async fn create_token(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<CreateToken>,
) -> Result<(StatusCode, Json<CreatedToken>), ApiError> {
    let owner = caller.user.clone();
    Ok((
        StatusCode::CREATED,
        Json(issue_token(&state, &caller, &owner, body).await?),
    ))
}

/// The caller's tokens (never their secrets).
#[utoipa::path(get, path = "/me/tokens", tag = "identity",
    responses((status = 200, body = Vec<TokenInfo>), ErrorResponses))]
pub async fn list_tokens(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<TokenInfo>>, ApiError> {
    let tokens = state.store.tokens_of(caller.user.id).await?;
    Ok(Json(
        tokens
            .into_iter()
            .map(|t| TokenInfo {
                id: t.id,
                label: t.label,
                created_at: t.created_at,
                expires_at: t.expires_at,
                revoked_at: t.revoked_at,
            })
            .collect(),
    ))
}

/// Revokes one of the caller's tokens.
#[utoipa::path(delete, path = "/me/tokens/{token_id}", tag = "identity",
    params(("token_id" = TokenId, Path, description = "the token to revoke")),
    responses((status = 204, description = "revoked"), ErrorResponses))]
pub async fn revoke_token(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(token_id): ApiPath<TokenId>,
) -> Result<StatusCode, ApiError> {
    let event = Event::new(
        EventKind::TokenRevoked,
        None,
        Some(caller.user.id),
        Utc::now(),
        json!({ "user_id": caller.user.id, "token_id": token_id }),
    );
    state
        .store
        .revoke_token(caller.user.id, token_id, &event)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
