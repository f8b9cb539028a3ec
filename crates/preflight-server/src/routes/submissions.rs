use crate::auth::Caller;
use crate::error::ErrorResponses;
use crate::extract::{ApiJson, ApiPath};
use crate::routes::review::Review;
use crate::{ApiError, AppState};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use preflight_core::event::{Event, EventKind};
use preflight_core::ids::SubmissionId;
use preflight_core::lifecycle::{self, Transition};
use preflight_core::org::Role;
use preflight_core::policy::{Visibility, visibility};
use preflight_core::submission::{NewSubmission, Submission, Upstream, UpstreamKind};
use preflight_core::terms::latest_agreed;
use serde::{Deserialize, Serialize};
use serde_json::json;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpstreamInput {
    pub kind: UpstreamKind,
    pub url: String,
    /// The upstream API key. Stored sealed; never returned.
    pub credential: Option<String>,
    /// The model name the upstream expects, when it is not the submission's
    /// model name (an Anthropic model id, a llama.cpp alias).
    #[serde(default)]
    pub model: Option<String>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSubmission {
    pub model_name: String,
    pub model_version: String,
    #[serde(default)]
    pub description: String,
    /// The developer's planned public release (RFC 3339, UTC or with offset).
    pub planned_release_at: DateTime<Utc>,
    pub upstream: UpstreamInput,
}

/// A submission as its reader may see it.
#[derive(Serialize, Deserialize, utoipa::ToSchema)]
pub struct SubmissionView {
    #[serde(flatten)]
    pub submission: Submission,
    /// Whether an upstream credential is stored (the credential itself never leaves the server).
    pub has_upstream_credential: bool,
    /// The latest terms version both sides signed.
    pub agreed_terms_version: Option<u32>,
}

pub(crate) async fn view(state: &AppState, review: &Review) -> Result<SubmissionView, ApiError> {
    let mut submission = review.submission.clone();
    if review.visibility != Visibility::Full {
        // Partners reach the model through the gateway, never directly.
        submission.upstream.url = "(confidential)".to_owned();
        submission.upstream.model = None;
    }
    Ok(SubmissionView {
        has_upstream_credential: state.store.has_upstream_credential(submission.id).await?,
        agreed_terms_version: review.agreed.as_ref().map(|t| t.document.version),
        submission,
    })
}

/// Registers a model version for review (developers). It starts as a draft.
#[utoipa::path(post, path = "/submissions", tag = "reviews", request_body = CreateSubmission,
    responses((status = 201, body = SubmissionView), ErrorResponses))]
pub async fn create_submission(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<CreateSubmission>,
) -> Result<(StatusCode, Json<SubmissionView>), ApiError> {
    let (Role::Developer, Some(org)) = (caller.actor.role, caller.actor.org_id) else {
        return Err(ApiError::forbidden("only developers submit models"));
    };
    let now = Utc::now();
    let upstream = Upstream::new(body.upstream.kind, &body.upstream.url)?
        .with_model(body.upstream.model.as_deref())?;
    let credential = match body.upstream.credential.as_deref().map(str::trim) {
        Some("") => {
            return Err(ApiError::invalid(
                "upstream.credential",
                "invalid upstream.credential: empty",
            ));
        }
        Some(c) if c.len() > 4096 => {
            return Err(ApiError::invalid(
                "upstream.credential",
                "invalid upstream.credential: longer than 4096 bytes",
            ));
        }
        other => other,
    };
    let new = NewSubmission::new(
        &body.model_name,
        &body.model_version,
        &body.description,
        body.planned_release_at,
        upstream,
        now,
    )?;
    let submission = new.into_submission(org, now);
    let mut record = json!(submission);
    record["has_upstream_credential"] = json!(credential.is_some());
    let event = Event::new(
        EventKind::SubmissionCreated,
        Some(submission.id),
        Some(caller.user.id),
        now,
        record,
    );
    state
        .store
        .create_submission(&submission, credential, &state.master, &event)
        .await?;
    let review = Review {
        submission,
        row_version: 1,
        versions: Vec::new(),
        agreed: None,
        visibility: Visibility::Full,
    };
    Ok((StatusCode::CREATED, Json(view(&state, &review).await?)))
}

/// The submissions the caller may see.
#[utoipa::path(get, path = "/submissions", tag = "reviews",
    responses((status = 200, body = Vec<SubmissionView>), ErrorResponses))]
pub async fn list_submissions(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<SubmissionView>>, ApiError> {
    let scope = match caller.actor.role {
        Role::Developer => caller.actor.org_id,
        Role::Admin | Role::GovernmentEvaluator | Role::TrustedPartner => None,
        Role::ClearinghouseAnalyst | Role::Operator => return Ok(Json(Vec::new())),
    };
    let mut out = Vec::new();
    for stored in state.store.submissions(scope).await? {
        let versions = state.store.terms_versions(stored.value.id).await?;
        let agreed = latest_agreed(&versions);
        let vis = visibility(&caller.actor, &stored.value, agreed.as_ref());
        if vis == Visibility::None {
            continue;
        }
        let review = Review {
            submission: stored.value,
            row_version: stored.row_version,
            versions,
            agreed,
            visibility: vis,
        };
        out.push(view(&state, &review).await?);
    }
    Ok(Json(out))
}

/// One submission.
#[utoipa::path(get, path = "/submissions/{submission_id}", tag = "reviews",
    params(("submission_id" = SubmissionId, Path)),
    responses((status = 200, body = SubmissionView), ErrorResponses))]
pub async fn get_submission(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<SubmissionId>,
) -> Result<Json<SubmissionView>, ApiError> {
    let review = Review::load(&state, &caller, id).await?;
    Ok(Json(view(&state, &review).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransitionRequest {
    /// `submit`, `start_government_phase`, `start_partner_phase`, `close`,
    /// `withdraw` or `record_release`. Terms are agreed by signing them and
    /// the report is delivered at `/submissions/{id}/report`.
    pub action: Transition,
}

/// Moves a review along its lifecycle. Withdrawal and release are the
/// developer's and are never refused for any reason other than having
/// happened already.
#[utoipa::path(post, path = "/submissions/{submission_id}/transitions", tag = "reviews",
    request_body = TransitionRequest,
    params(("submission_id" = SubmissionId, Path)),
    responses((status = 200, body = SubmissionView), ErrorResponses))]
pub async fn transition(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<SubmissionId>,
    ApiJson(body): ApiJson<TransitionRequest>,
) -> Result<Json<SubmissionView>, ApiError> {
    match body.action {
        Transition::AgreeTerms => {
            return Err(ApiError::invalid(
                "action",
                "invalid action \"agree_terms\": terms are agreed when both sides sign them",
            ));
        }
        Transition::DeliverReport => {
            return Err(ApiError::invalid(
                "action",
                "invalid action \"deliver_report\": deliver it with POST /submissions/{id}/report",
            ));
        }
        _ => {}
    }
    let mut review = Review::load(&state, &caller, id).await?;
    let now = Utc::now();
    let next = lifecycle::apply(
        &review.submission,
        body.action,
        &caller.actor,
        review.agreed.as_ref(),
        now,
    )?;
    let event = Event::new(
        EventKind::Transitioned,
        Some(id),
        Some(caller.user.id),
        now,
        json!({ "action": body.action, "from": review.submission.stage, "to": next.stage, "outcome": next.outcome }),
    );
    state
        .store
        .update_submission(&next, review.row_version, &event)
        .await?;
    tracing::info!(submission = %id, action = %body.action, stage = %next.stage, "review moved");
    review.submission = next;
    Ok(Json(view(&state, &review).await?))
}

/// Every recorded event of a review, oldest first (developer, government, admins).
#[utoipa::path(get, path = "/submissions/{submission_id}/events", tag = "reviews",
    params(("submission_id" = SubmissionId, Path)),
    responses((status = 200, body = Vec<preflight_core::event::Event>), ErrorResponses))]
pub async fn list_events(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<SubmissionId>,
) -> Result<Json<Vec<Event>>, ApiError> {
    let review = Review::load(&state, &caller, id).await?;
    review.require_full("read a review's event record")?;
    Ok(Json(state.store.events_of(id).await?))
}
