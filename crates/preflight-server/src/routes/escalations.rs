//! Review findings escalated to the clearinghouse, only as the signed terms
//! allow. The escalation is an event of the review: the developer sees
//! when it happened, and by whom.

use crate::auth::Caller;
use crate::clearinghouse::escalate;
use crate::error::ErrorResponses;
use crate::extract::{ApiJson, ApiPath};
use crate::routes::review::Review;
use crate::{ApiError, AppState};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::Utc;
use preflight_core::escalation::may_escalate;
use preflight_core::event::{Event, EventKind};
use preflight_core::ids::{FindingId, SubmissionId};
use preflight_core::policy::may_read_finding;
use preflight_store::{AssessmentChange, Escalation, Publication};
use preflight_vuln::Tlp;
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EscalateFinding {
    /// The label the clearinghouse starts from (default AMBER); its
    /// analysts decide the released label.
    #[schema(value_type = Option<String>)]
    pub tlp: Option<Tlp>,
}

/// Escalates a finding to the clearinghouse, as the agreed terms allow
/// (after the release, or an agreed number of days after filing). The
/// finder's organisation or the government does it; once per finding.
#[utoipa::path(post, path = "/submissions/{submission_id}/findings/{finding_id}/escalation", tag = "findings",
    request_body = EscalateFinding,
    params(("submission_id" = SubmissionId, Path), ("finding_id" = FindingId, Path)),
    responses((status = 201, body = Object), ErrorResponses))]
pub async fn escalate_finding(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((id, finding_id)): ApiPath<(SubmissionId, FindingId)>,
    ApiJson(body): ApiJson<EscalateFinding>,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let review = Review::load(&state, &caller, id).await?;
    let finding = state.store.finding(finding_id).await?;
    if finding.submission_id != id || !may_read_finding(&caller.actor, review.visibility, &finding)
    {
        return Err(ApiError::not_found("finding", finding_id));
    }
    let now = Utc::now();
    let agreed = review.agreed.as_ref().map(|a| &a.document);
    let what = may_escalate(&caller.actor, &review.submission, agreed, &finding, now)?;
    let developer = state.store.org(review.submission.developer_org).await?;
    let assessment = escalate::assessment(
        &finding,
        &review.submission,
        &developer.name,
        what,
        body.tlp.unwrap_or_default(),
    );
    let assessment_id = Uuid::now_v7();
    let escalation = Escalation {
        finding_id,
        submission_id: id,
        assessment_id,
        actor: caller.user.id,
        escalated_at: now,
    };
    let event = Event::new(
        EventKind::FindingEscalated,
        Some(id),
        Some(caller.user.id),
        now,
        json!({
            "finding_id": finding_id,
            "assessment_id": assessment_id,
            "shared": what,
            "terms_version": agreed.map(|t| t.version),
        }),
    );
    let publication = Publication::default();
    state
        .store
        .escalate_finding(
            &escalation,
            AssessmentChange {
                assessment: &assessment,
                publication: &publication,
                event: &event,
                deliveries: &[],
            },
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "escalation": escalation, "shared": what })),
    ))
}

/// The review's escalated findings that the caller may read, with when
/// and by whom.
#[utoipa::path(get, path = "/submissions/{submission_id}/escalations", tag = "findings",
    params(("submission_id" = SubmissionId, Path)),
    responses((status = 200, body = Vec<Object>), ErrorResponses))]
pub async fn list_escalations(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<SubmissionId>,
) -> Result<Json<Vec<Escalation>>, ApiError> {
    let review = Review::load(&state, &caller, id).await?;
    let findings = state.store.findings_of(id).await?;
    let readable: std::collections::HashSet<FindingId> = findings
        .iter()
        .filter(|f| may_read_finding(&caller.actor, review.visibility, f))
        .map(|f| f.id)
        .collect();
    Ok(Json(
        state
            .store
            .escalations_of(id)
            .await?
            .into_iter()
            .filter(|e| readable.contains(&e.finding_id))
            .collect(),
    ))
}
