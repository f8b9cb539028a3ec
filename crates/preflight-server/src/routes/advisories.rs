//! What an organisation receives from the clearinghouse: every released
//! assessment its TLP label, audience and embargo let reach the caller's
//! organisation, and nothing else. An advisory the caller may not receive
//! is answered as if it did not exist.

use crate::auth::Caller;
use crate::clearinghouse::{ReaderOrg, advisory};
use crate::error::ErrorResponses;
use crate::extract::{ApiPath, ApiQuery};
use crate::routes::assessments::find;
use crate::{ApiError, AppState};
use axum::Json;
use axum::extract::State;
use chrono::Utc;
use preflight_store::SharedCursor;
use serde::Deserialize;
use serde_json::Value;

/// The caller's organisation as a reader.
pub(crate) async fn reader_of(state: &AppState, caller: &Caller) -> Result<ReaderOrg, ApiError> {
    let Some(org) = caller.actor.org_id else {
        return Err(ApiError::forbidden(
            "advisories are released to organisations; this account belongs to none",
        ));
    };
    ReaderOrg::load(state, org).await
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AdvisoryQuery {
    /// At most this many (default 100, at most 1000).
    pub limit: Option<u32>,
}

/// The advisories the caller's organisation receives, in the order they
/// were shared, newest last.
#[utoipa::path(get, path = "/advisories", tag = "clearinghouse", params(AdvisoryQuery),
    responses((status = 200, body = Vec<Object>), ErrorResponses))]
pub async fn list_advisories(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<AdvisoryQuery>,
) -> Result<Json<Vec<Value>>, ApiError> {
    let reader = reader_of(&state, &caller).await?;
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::invalid(
            "limit",
            format!("invalid limit {limit}: between 1 and 1000"),
        ));
    }
    let now = Utc::now();
    let mut out = Vec::new();
    let mut cursor = None;
    loop {
        let page = state.store.shared_assessments(None, cursor, 500).await?;
        let Some(last) = page.last() else { break };
        cursor = Some(SharedCursor {
            shared_at: last.publication.shared_at.unwrap_or(last.updated_at),
            id: last.id,
        });
        let full = page.len() == 500;
        out.extend(
            page.iter()
                .filter(|s| reader.receives(s, now).is_ok())
                .map(advisory),
        );
        if !full {
            break;
        }
    }
    let skip = out.len().saturating_sub(limit as usize);
    Ok(Json(out.split_off(skip)))
}

/// One advisory the caller's organisation receives.
#[utoipa::path(get, path = "/advisories/{assessment_id}", tag = "clearinghouse",
    params(("assessment_id" = String, Path, description = "Assessment id (UUID) or an alias")),
    responses((status = 200, body = Object), ErrorResponses))]
pub async fn get_advisory(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Value>, ApiError> {
    let reader = reader_of(&state, &caller).await?;
    let stored = find(&state, &id)
        .await
        .map_err(|_| ApiError::not_found("advisory", &id))?;
    if reader.receives(&stored, Utc::now()).is_err() {
        return Err(ApiError::not_found("advisory", &id));
    }
    Ok(Json(advisory(&stored)))
}
