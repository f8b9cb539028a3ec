use crate::auth::Caller;
use crate::error::ErrorResponses;
use crate::extract::{ApiJson, ApiPath};
use crate::routes::me::{CreateToken, CreatedToken, issue_token};
use crate::{ApiError, AppState};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::Utc;
use preflight_core::actor::User;
use preflight_core::event::{Event, EventKind};
use preflight_core::ids::{OrgId, UserId};
use preflight_core::org::Role;
use preflight_core::terms::parse_public_key;
use serde::Deserialize;
use serde_json::json;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    /// The person's organisation; none for admins.
    pub org_id: Option<OrgId>,
    pub name: String,
    pub email: String,
    pub role: Role,
    /// Base64 Ed25519 public key, if the person already has one.
    pub public_key: Option<String>,
}

/// Creates an account (admins only).
#[utoipa::path(post, path = "/users", tag = "identity", request_body = CreateUser,
    responses((status = 201, body = User), ErrorResponses))]
pub async fn create_user(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<CreateUser>,
) -> Result<(StatusCode, Json<User>), ApiError> {
    if !caller.actor.is_admin() {
        return Err(ApiError::forbidden("only admins create accounts"));
    }
    let org = match body.org_id {
        Some(id) => Some(state.store.org(id).await.map_err(|_| {
            ApiError::invalid(
                "org_id",
                format!("invalid org_id {id}: no such organisation"),
            )
        })?),
        None => None,
    };
    let mut user = User::new(org.as_ref(), &body.name, &body.email, body.role)?;
    if let Some(key) = body.public_key {
        parse_public_key("public_key", &key)?;
        user.public_key = Some(key.trim().to_owned());
    }
    let event = Event::new(
        EventKind::UserCreated,
        None,
        Some(caller.user.id),
        Utc::now(),
        json!(user),
    );
    state.store.create_user(&user, &event).await?;
    Ok((StatusCode::CREATED, Json(user)))
}

/// Accounts: all of them for admins, the caller's organisation for others.
#[utoipa::path(get, path = "/users", tag = "identity",
    responses((status = 200, body = Vec<User>), ErrorResponses))]
pub async fn list_users(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<User>>, ApiError> {
    if caller.actor.is_admin() {
        return Ok(Json(state.store.users(None).await?));
    }
    match caller.actor.org_id {
        Some(org) => Ok(Json(state.store.users(Some(org)).await?)),
        None => Ok(Json(vec![caller.user])),
    }
}

/// Creates a bearer token for someone else (admins only); shown once.
#[utoipa::path(post, path = "/users/{user_id}/tokens", tag = "identity", request_body = CreateToken,
    params(("user_id" = UserId, Path)),
    responses((status = 201, body = CreatedToken), ErrorResponses))]
pub async fn create_token_for(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(user_id): ApiPath<UserId>,
    ApiJson(body): ApiJson<CreateToken>,
) -> Result<(StatusCode, Json<CreatedToken>), ApiError> {
    if !caller.actor.is_admin() {
        return Err(ApiError::forbidden(
            "only admins create tokens for others; use /me/tokens",
        ));
    }
    let owner = state.store.user(user_id).await?;
    Ok((
        StatusCode::CREATED,
        Json(issue_token(&state, &caller, &owner, body).await?),
    ))
}
