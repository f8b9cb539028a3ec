//! An organisation's sharing settings: the sectors and products it follows
//! and its webhook (set by its own members), the organisations a provider
//! serves (set by admins), and the log of notifications sent to it.

use crate::auth::Caller;
use crate::clearinghouse::webhooks::new_secret;
use crate::error::ErrorResponses;
use crate::extract::{ApiJson, ApiPath};
use crate::{ApiError, AppState};
use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use preflight_core::event::{Event, EventKind};
use preflight_core::ids::OrgId;
use preflight_core::org::{Role, Sector};
use preflight_store::Subscription;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::BTreeSet;
use uuid::Uuid;

fn member_or_admin(caller: &Caller, org: OrgId) -> Result<(), ApiError> {
    if caller.actor.role == Role::Admin || caller.actor.org_id == Some(org) {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "only the organisation's own members (and admins) read its sharing settings",
        ))
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SubscriptionView {
    pub org_id: OrgId,
    #[schema(value_type = Vec<String>)]
    pub sectors: BTreeSet<Sector>,
    pub products: Vec<String>,
    pub webhook_url: Option<String>,
    pub updated_at: Option<DateTime<Utc>>,
    /// The webhook signing secret (`whsec_...`): only in the answer that
    /// creates or rotates it, never again.
    pub webhook_secret: Option<String>,
}

fn view(org: OrgId, sub: Option<Subscription>, secret: Option<String>) -> SubscriptionView {
    let sub = sub.unwrap_or_default();
    SubscriptionView {
        org_id: org,
        sectors: sub.sectors,
        products: sub.products,
        webhook_url: sub.webhook_url,
        updated_at: (sub.org_id == org).then_some(sub.updated_at),
        webhook_secret: secret,
    }
}

/// The organisation's subscription (empty when it has none).
#[utoipa::path(get, path = "/orgs/{org_id}/subscription", tag = "clearinghouse",
    params(("org_id" = OrgId, Path)),
    responses((status = 200, body = SubscriptionView), ErrorResponses))]
pub async fn get_subscription(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(org): ApiPath<OrgId>,
) -> Result<Json<SubscriptionView>, ApiError> {
    member_or_admin(&caller, org)?;
    state.store.org(org).await?;
    Ok(Json(view(org, state.store.subscription(org).await?, None)))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetSubscription {
    /// Sectors followed beyond the organisation's own.
    #[serde(default)]
    #[schema(value_type = Vec<String>)]
    pub sectors: BTreeSet<Sector>,
    /// Products run (names, `vendor product`, PURLs, CPEs); notifications
    /// come only for these. Empty: every product.
    #[serde(default)]
    pub products: Vec<String>,
    /// An http(s) URL for notifications; null for none.
    pub webhook_url: Option<String>,
    /// Issue a new signing secret (one is always issued with a first webhook).
    #[serde(default)]
    pub rotate_secret: bool,
}

/// Sets the organisation's subscription; only its own members do.
#[utoipa::path(put, path = "/orgs/{org_id}/subscription", tag = "clearinghouse",
    request_body = SetSubscription, params(("org_id" = OrgId, Path)),
    responses((status = 200, body = SubscriptionView), ErrorResponses))]
pub async fn set_subscription(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(org): ApiPath<OrgId>,
    ApiJson(body): ApiJson<SetSubscription>,
) -> Result<Json<SubscriptionView>, ApiError> {
    if caller.actor.org_id != Some(org) {
        return Err(ApiError::forbidden(
            "only the organisation's own members set its subscription",
        ));
    }
    if let Some(url) = &body.webhook_url {
        let ok = reqwest::Url::parse(url)
            .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some());
        if !ok {
            return Err(ApiError::invalid(
                "webhook_url",
                format!("invalid webhook_url {url:?}: an http or https URL"),
            ));
        }
    }
    if let Some(p) = body
        .products
        .iter()
        .find(|p| p.trim().is_empty() || p.len() > 500)
    {
        return Err(ApiError::invalid(
            "products",
            format!("invalid products entry {p:?}: 1 to 500 characters"),
        ));
    }
    let old = state.store.subscription(org).await?;
    let had_webhook = old.as_ref().is_some_and(|s| s.webhook_url.is_some());
    let issue = body.webhook_url.is_some() && (body.rotate_secret || !had_webhook);
    let (key, text) = if issue {
        let (k, t) = new_secret();
        (Some(k), Some(t))
    } else {
        (None, None)
    };
    let now = Utc::now();
    let sub = Subscription {
        org_id: org,
        sectors: body.sectors,
        products: body
            .products
            .into_iter()
            .map(|p| p.trim().to_owned())
            .collect(),
        webhook_url: body.webhook_url,
        updated_at: now,
    };
    let event = Event::new(
        EventKind::SubscriptionSet,
        None,
        Some(caller.user.id),
        now,
        json!({
            "org_id": org,
            "sectors": sub.sectors,
            "products": sub.products.len(),
            "webhook": sub.webhook_url.is_some(),
            "secret_issued": issue,
        }),
    );
    state
        .store
        .set_subscription(&state.master, &sub, key.as_deref(), &event)
        .await?;
    Ok(Json(view(org, Some(sub), text)))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetClients {
    /// The organisations this provider serves.
    pub clients: BTreeSet<OrgId>,
}

/// Sets the organisations a provider serves: they receive what TLP:AMBER
/// addresses to it. Admins only.
#[utoipa::path(put, path = "/orgs/{org_id}/clients", tag = "clearinghouse",
    request_body = SetClients, params(("org_id" = OrgId, Path)),
    responses((status = 200, body = SetClientsAnswer), ErrorResponses))]
pub async fn set_clients(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(org): ApiPath<OrgId>,
    ApiJson(body): ApiJson<SetClients>,
) -> Result<Json<SetClientsAnswer>, ApiError> {
    if caller.actor.role != Role::Admin {
        return Err(ApiError::forbidden("only admins set who a provider serves"));
    }
    state.store.org(org).await?;
    if body.clients.contains(&org) {
        return Err(ApiError::invalid(
            "clients",
            format!("invalid clients entry {org}: an organisation is not its own client"),
        ));
    }
    super::orgs::require_known(&state, "clients", &body.clients).await?;
    let event = Event::new(
        EventKind::OrgClientsSet,
        None,
        Some(caller.user.id),
        Utc::now(),
        json!({ "provider": org, "clients": body.clients }),
    );
    state
        .store
        .set_org_clients(org, &body.clients, &event)
        .await?;
    Ok(Json(SetClientsAnswer {
        provider: org,
        clients: body.clients,
    }))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SetClientsAnswer {
    pub provider: OrgId,
    pub clients: BTreeSet<OrgId>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct DeliveryView {
    pub id: Uuid,
    pub assessment_id: Uuid,
    pub created_at: DateTime<Utc>,
    pub attempts: i64,
    pub delivered_at: Option<DateTime<Utc>>,
    /// The last attempt: an HTTP status or a transport failure.
    pub last_status: Option<String>,
}

/// The notifications sent (or still to send) to the organisation's webhook.
#[utoipa::path(get, path = "/orgs/{org_id}/deliveries", tag = "clearinghouse",
    params(("org_id" = OrgId, Path)),
    responses((status = 200, body = Vec<DeliveryView>), ErrorResponses))]
pub async fn list_deliveries(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(org): ApiPath<OrgId>,
) -> Result<Json<Vec<DeliveryView>>, ApiError> {
    member_or_admin(&caller, org)?;
    state.store.org(org).await?;
    Ok(Json(
        state
            .store
            .deliveries_to(org)
            .await?
            .into_iter()
            .map(|d| DeliveryView {
                id: d.id,
                assessment_id: d.assessment_id,
                created_at: d.created_at,
                attempts: d.attempts,
                delivered_at: d.delivered_at,
                last_status: d.last_status,
            })
            .collect(),
    ))
}
