//! Bearer-token authentication: every `/api/v1` route but the OpenAPI
//! document takes a `Caller`.

use crate::{ApiError, AppState};
use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use chrono::Utc;
use preflight_core::actor::{Actor, User};

/// The authenticated person behind a request.
#[derive(Clone, Debug)]
pub struct Caller {
    pub user: User,
    pub actor: Actor,
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let header = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let Some(secret) = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
        else {
            return Err(ApiError::unauthorized());
        };
        authenticate(state, secret.trim())
            .await?
            .ok_or_else(ApiError::unauthorized)
    }
}

/// The person an API token belongs to, if it is valid now.
pub async fn authenticate(state: &AppState, secret: &str) -> Result<Option<Caller>, ApiError> {
    Ok(state
        .store
        .authenticate(&state.pepper, secret, Utc::now())
        .await?
        .map(|(user, _token)| Caller {
            actor: Actor::of(&user),
            user,
        }))
}
