use crate::auth::Caller;
use crate::error::ErrorResponses;
use crate::extract::{ApiJson, ApiPath};
use crate::{ApiError, AppState};
use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use preflight_core::event::{Event, EventKind};
use preflight_core::ids::OrgId;
use preflight_core::org::{OrgKind, Role};
use preflight_core::partner::{PartnerVetting, VettingStatus};
use serde::{Deserialize, Serialize};
use serde_json::json;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetVetting {
    pub status: VettingStatus,
    pub vetted_until: Option<DateTime<Utc>>,
    /// Developer organisations the partner declared a conflict of interest with.
    #[serde(default)]
    pub conflicts_with: Vec<OrgId>,
    #[serde(default)]
    pub notes: String,
}

/// A partner in the registry, with whether it may be assigned now.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PartnerEntry {
    pub org_id: OrgId,
    pub name: String,
    pub vetting: Option<PartnerVetting>,
    /// Vetted and not expired at the time of the request.
    pub vetted_now: bool,
}

fn sees_registry(role: Role) -> bool {
    matches!(
        role,
        Role::Admin | Role::GovernmentEvaluator | Role::Developer
    )
}

/// A developer learns a partner's standing and whether the partner declared a
/// conflict with the developer itself, never its conflicts with other labs
/// or the vetting notes.
fn as_seen_by(caller: &Caller, mut vetting: PartnerVetting) -> PartnerVetting {
    if caller.actor.role == Role::Developer {
        vetting
            .conflicts_with
            .retain(|dev| caller.actor.belongs_to(*dev));
        vetting.notes.clear();
    }
    vetting
}

/// The trusted-partner registry. Developers see it to choose partners with
/// the government.
#[utoipa::path(get, path = "/partners", tag = "partners",
    responses((status = 200, body = Vec<PartnerEntry>), ErrorResponses))]
pub async fn list_partners(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<PartnerEntry>>, ApiError> {
    let own_only = !sees_registry(caller.actor.role);
    if own_only && caller.actor.role != Role::TrustedPartner {
        return Err(ApiError::forbidden(format!(
            "a {} does not use the partner registry",
            caller.actor.role
        )));
    }
    let vetting = state.store.all_vetting().await?;
    let now = Utc::now();
    let entries = state
        .store
        .orgs()
        .await?
        .into_iter()
        .filter(|o| o.kind == OrgKind::TrustedPartner)
        .filter(|o| !own_only || caller.actor.belongs_to(o.id))
        .map(|o| {
            let v = vetting.get(&o.id).cloned().map(|v| as_seen_by(&caller, v));
            let vetted_now = v.as_ref().is_some_and(|v| {
                v.status == VettingStatus::Vetted && v.vetted_until.is_some_and(|u| u > now)
            });
            PartnerEntry {
                org_id: o.id,
                name: o.name,
                vetting: v,
                vetted_now,
            }
        })
        .collect();
    Ok(Json(entries))
}

/// One partner's vetting record.
#[utoipa::path(get, path = "/partners/{org_id}/vetting", tag = "partners",
    params(("org_id" = OrgId, Path)),
    responses((status = 200, body = PartnerVetting), ErrorResponses))]
pub async fn get_vetting(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(org_id): ApiPath<OrgId>,
) -> Result<Json<PartnerVetting>, ApiError> {
    let role = caller.actor.role;
    if !sees_registry(role) && !caller.actor.belongs_to(org_id) {
        return Err(ApiError::not_found("vetting record", org_id));
    }
    state
        .store
        .vetting(org_id)
        .await?
        .map(|v| Json(as_seen_by(&caller, v)))
        .ok_or_else(|| ApiError::not_found("vetting record", org_id))
}

/// Records a partner's vetting and declared conflicts (admins and
/// government evaluators).
#[utoipa::path(put, path = "/partners/{org_id}/vetting", tag = "partners", request_body = SetVetting,
    params(("org_id" = OrgId, Path)),
    responses((status = 200, body = PartnerVetting), ErrorResponses))]
pub async fn set_vetting(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(org_id): ApiPath<OrgId>,
    ApiJson(body): ApiJson<SetVetting>,
) -> Result<Json<PartnerVetting>, ApiError> {
    if !matches!(caller.actor.role, Role::Admin | Role::GovernmentEvaluator) {
        return Err(ApiError::forbidden(
            "only admins and government evaluators vet partners",
        ));
    }
    let org = state.store.org(org_id).await?;
    if org.kind != OrgKind::TrustedPartner {
        return Err(ApiError::invalid(
            "org_id",
            format!(
                "invalid org_id {org_id}: a {} is not a trusted partner",
                org.kind
            ),
        ));
    }
    if body.status == VettingStatus::Vetted && body.vetted_until.is_none_or(|u| u <= Utc::now()) {
        return Err(ApiError::invalid(
            "vetted_until",
            format!(
                "invalid vetted_until {:?}: a vetted partner needs an expiry in the future",
                body.vetted_until
            ),
        ));
    }
    for dev in &body.conflicts_with {
        match state.store.org(*dev).await {
            Ok(o) if o.kind == OrgKind::DeveloperLab => {}
            _ => {
                return Err(ApiError::invalid(
                    "conflicts_with",
                    format!("invalid conflicts_with {dev}: not a developer organisation"),
                ));
            }
        }
    }
    let vetting = PartnerVetting {
        org_id,
        status: body.status,
        vetted_until: body.vetted_until,
        conflicts_with: body.conflicts_with,
        notes: body.notes,
    };
    let event = Event::new(
        EventKind::PartnerVettingSet,
        None,
        Some(caller.user.id),
        Utc::now(),
        json!(vetting),
    );
    state.store.set_vetting(&vetting, &event).await?;
    Ok(Json(vetting))
}
