use crate::auth::Caller;
use crate::error::ErrorResponses;
use crate::extract::{ApiJson, ApiPath};
use crate::routes::review::Review;
use crate::{ApiError, AppState};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::Utc;
use preflight_core::access::reviewer_phase;
use preflight_core::event::{Event, EventKind};
use preflight_core::finding::{Finding, FindingResponse, NewFinding, ResponseStatus, Severity};
use preflight_core::ids::{FindingId, SubmissionId};
use preflight_core::org::Role;
use preflight_core::policy::may_read_finding;
use preflight_core::taxonomy::Category;
use serde::Deserialize;
use serde_json::json;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FileFinding {
    pub title: String,
    pub severity: Severity,
    pub category: Category,
    pub description: String,
    pub reproduction_steps: String,
    /// Ids of gateway transcripts showing the behaviour.
    #[serde(default)]
    pub transcript_refs: Vec<String>,
}

/// Files a finding. Government evaluators file while their access is open;
/// trusted partners in the partner phase, inside their window.
#[utoipa::path(post, path = "/submissions/{submission_id}/findings", tag = "findings", request_body = FileFinding,
    params(("submission_id" = SubmissionId, Path)),
    responses((status = 201, body = Finding), ErrorResponses))]
pub async fn file_finding(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<SubmissionId>,
    ApiJson(body): ApiJson<FileFinding>,
) -> Result<(StatusCode, Json<Finding>), ApiError> {
    let review = Review::load(&state, &caller, id).await?;
    let now = Utc::now();
    let phase = reviewer_phase(
        &review.submission,
        review.agreed.as_ref(),
        &caller.actor,
        now,
    )?;
    let new = NewFinding::new(
        &body.title,
        body.severity,
        body.category,
        &body.description,
        &body.reproduction_steps,
        body.transcript_refs,
    )?;
    let Some(author_org) = caller.actor.org_id else {
        return Err(ApiError::forbidden("only reviewers file findings"));
    };
    let finding = Finding {
        id: FindingId::new(),
        submission_id: id,
        author: caller.user.id,
        author_org,
        phase,
        title: new.title,
        severity: new.severity,
        category: new.category,
        description: new.description,
        reproduction_steps: new.reproduction_steps,
        transcript_refs: new.transcript_refs,
        filed_at: now,
        responses: Vec::new(),
    };
    let event = Event::new(
        EventKind::FindingFiled,
        Some(id),
        Some(caller.user.id),
        now,
        json!(finding),
    );
    state.store.create_finding(&finding, &event).await?;
    Ok((StatusCode::CREATED, Json(finding)))
}

/// The findings the caller may read: all of them for the developer and the
/// government, a partner's own organisation's for a partner.
#[utoipa::path(get, path = "/submissions/{submission_id}/findings", tag = "findings",
    params(("submission_id" = SubmissionId, Path)),
    responses((status = 200, body = Vec<Finding>), ErrorResponses))]
pub async fn list_findings(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<SubmissionId>,
) -> Result<Json<Vec<Finding>>, ApiError> {
    let review = Review::load(&state, &caller, id).await?;
    let findings = state.store.findings_of(id).await?;
    Ok(Json(
        findings
            .into_iter()
            .filter(|f| may_read_finding(&caller.actor, review.visibility, f))
            .collect(),
    ))
}

/// One finding.
#[utoipa::path(get, path = "/submissions/{submission_id}/findings/{finding_id}", tag = "findings",
    params(("submission_id" = SubmissionId, Path), ("finding_id" = FindingId, Path)),
    responses((status = 200, body = Finding), ErrorResponses))]
pub async fn get_finding(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((id, finding_id)): ApiPath<(SubmissionId, FindingId)>,
) -> Result<Json<Finding>, ApiError> {
    let review = Review::load(&state, &caller, id).await?;
    let finding = state.store.finding(finding_id).await?;
    if finding.submission_id != id || !may_read_finding(&caller.actor, review.visibility, &finding)
    {
        return Err(ApiError::not_found("finding", finding_id));
    }
    Ok(Json(finding))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerFinding {
    pub status: ResponseStatus,
    pub comment: String,
}

/// The developer answers a finding. Answers inform; none holds a release.
#[utoipa::path(post, path = "/submissions/{submission_id}/findings/{finding_id}/responses", tag = "findings",
    request_body = AnswerFinding,
    params(("submission_id" = SubmissionId, Path), ("finding_id" = FindingId, Path)),
    responses((status = 201, body = Finding), ErrorResponses))]
pub async fn answer_finding(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((id, finding_id)): ApiPath<(SubmissionId, FindingId)>,
    ApiJson(body): ApiJson<AnswerFinding>,
) -> Result<(StatusCode, Json<Finding>), ApiError> {
    let review = Review::load(&state, &caller, id).await?;
    let finding = state.store.finding(finding_id).await?;
    if finding.submission_id != id || !may_read_finding(&caller.actor, review.visibility, &finding)
    {
        return Err(ApiError::not_found("finding", finding_id));
    }
    if !(caller.actor.role == Role::Developer
        && caller.actor.belongs_to(review.submission.developer_org))
    {
        return Err(ApiError::forbidden("only the developer answers findings"));
    }
    let comment = preflight_core::org::non_empty("comment", &body.comment, 20_000)?;
    let now = Utc::now();
    let response = FindingResponse {
        status: body.status,
        comment,
        responder: caller.user.id,
        responded_at: now,
    };
    let event = Event::new(
        EventKind::FindingAnswered,
        Some(id),
        Some(caller.user.id),
        now,
        json!({ "finding_id": finding_id, "response": response }),
    );
    let updated = state
        .store
        .answer_finding(finding_id, &response, &event)
        .await?;
    Ok((StatusCode::CREATED, Json(updated)))
}
