use crate::auth::Caller;
use crate::error::ErrorResponses;
use crate::extract::{ApiJson, ApiPath};
use crate::{ApiError, AppState};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::Utc;
use preflight_core::event::{Event, EventKind};
use preflight_core::ids::OrgId;
use preflight_core::org::{OrgKind, Organisation, Role, Sector};
use serde::Deserialize;
use serde_json::json;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOrg {
    pub name: String,
    pub kind: OrgKind,
    /// Required for operators, refused for every other kind.
    pub sector: Option<Sector>,
}

/// Registers an organisation (admins only).
#[utoipa::path(post, path = "/orgs", tag = "identity", request_body = CreateOrg,
    responses((status = 201, body = Organisation), ErrorResponses))]
pub async fn create_org(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<CreateOrg>,
) -> Result<(StatusCode, Json<Organisation>), ApiError> {
    if !caller.actor.is_admin() {
        return Err(ApiError::forbidden("only admins register organisations"));
    }
    let org = Organisation::new(&body.name, body.kind, body.sector)?;
    let event = Event::new(
        EventKind::OrgCreated,
        None,
        Some(caller.user.id),
        Utc::now(),
        json!(org),
    );
    state.store.create_org(&org, &event).await?;
    Ok((StatusCode::CREATED, Json(org)))
}

/// Who may list every organisation: those who choose reviewers.
fn sees_directory(role: Role) -> bool {
    matches!(
        role,
        Role::Admin | Role::Developer | Role::GovernmentEvaluator
    )
}

/// Organisations in the program. Admins, developers and government
/// evaluators see all of them (to build access lists); others see their own.
#[utoipa::path(get, path = "/orgs", tag = "identity",
    responses((status = 200, body = Vec<Organisation>), ErrorResponses))]
pub async fn list_orgs(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<Organisation>>, ApiError> {
    if sees_directory(caller.actor.role) {
        return Ok(Json(state.store.orgs().await?));
    }
    match caller.actor.org_id {
        Some(org) => Ok(Json(vec![state.store.org(org).await?])),
        None => Ok(Json(Vec::new())),
    }
}

/// One organisation.
#[utoipa::path(get, path = "/orgs/{org_id}", tag = "identity",
    params(("org_id" = OrgId, Path)),
    responses((status = 200, body = Organisation), ErrorResponses))]
pub async fn get_org(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(org_id): ApiPath<OrgId>,
) -> Result<Json<Organisation>, ApiError> {
    if !sees_directory(caller.actor.role) && !caller.actor.belongs_to(org_id) {
        return Err(ApiError::not_found("organisation", org_id));
    }
    Ok(Json(state.store.org(org_id).await?))
}

/// Refuses `field` unless every one of `ids` is a registered organisation;
/// the message names the first unknown one.
pub(crate) async fn require_known(
    state: &AppState,
    field: &'static str,
    ids: impl IntoIterator<Item = &OrgId>,
) -> Result<(), ApiError> {
    let known: std::collections::HashSet<OrgId> = state
        .store
        .orgs()
        .await?
        .into_iter()
        .map(|o| o.id)
        .collect();
    match ids.into_iter().find(|id| !known.contains(id)) {
        Some(unknown) => Err(ApiError::invalid(
            field,
            format!("invalid {field} entry {unknown}: no such organisation"),
        )),
        None => Ok(()),
    }
}
