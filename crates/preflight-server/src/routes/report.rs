use crate::auth::Caller;
use crate::error::ErrorResponses;
use crate::extract::ApiPath;
use crate::routes::review::Review;
use crate::{ApiError, AppState};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Html;
use chrono::Utc;
use preflight_core::event::{Event, EventKind};
use preflight_core::ids::{OrgId, SubmissionId};
use preflight_core::lifecycle::{self, Transition};
use preflight_core::report::{ReviewReport, compile};
use serde_json::json;
use std::collections::HashMap;

async fn current_report(state: &AppState, review: &Review) -> Result<ReviewReport, ApiError> {
    if let Some(delivered) = state.store.delivered_report(review.submission.id).await? {
        return Ok(delivered);
    }
    compile_now(state, review).await
}

async fn compile_now(state: &AppState, review: &Review) -> Result<ReviewReport, ApiError> {
    let names: HashMap<OrgId, String> = state
        .store
        .orgs()
        .await?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect();
    let findings = state.store.findings_of(review.submission.id).await?;
    Ok(compile(
        &review.submission,
        review.agreed.as_ref(),
        findings,
        |org| names.get(&org).cloned().unwrap_or_else(|| org.to_string()),
        Utc::now(),
    ))
}

/// The review report: as delivered, or a live draft until then.
#[utoipa::path(get, path = "/submissions/{submission_id}/report", tag = "reports",
    params(("submission_id" = SubmissionId, Path)),
    responses((status = 200, body = ReviewReport), ErrorResponses))]
pub async fn get_report(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<SubmissionId>,
) -> Result<Json<ReviewReport>, ApiError> {
    let review = Review::load(&state, &caller, id).await?;
    review.require_full("read the review report")?;
    Ok(Json(current_report(&state, &review).await?))
}

/// The review report as a readable HTML document.
#[utoipa::path(get, path = "/submissions/{submission_id}/report.html", tag = "reports",
    params(("submission_id" = SubmissionId, Path)),
    responses((status = 200, content_type = "text/html", body = String), ErrorResponses))]
pub async fn get_report_html(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<SubmissionId>,
) -> Result<Html<String>, ApiError> {
    let review = Review::load(&state, &caller, id).await?;
    review.require_full("read the review report")?;
    let report = current_report(&state, &review).await?;
    let delivered = review.submission.report_delivered_at.is_some();
    Ok(Html(crate::report_html::render(&report, delivered)))
}

/// Delivers the report to the developer (the government evaluator), moving
/// the review to `report delivered`. The delivered report is kept as it was.
#[utoipa::path(post, path = "/submissions/{submission_id}/report", tag = "reports",
    params(("submission_id" = SubmissionId, Path)),
    responses((status = 201, body = ReviewReport), ErrorResponses))]
pub async fn deliver_report(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<SubmissionId>,
) -> Result<(StatusCode, Json<ReviewReport>), ApiError> {
    let review = Review::load(&state, &caller, id).await?;
    let now = Utc::now();
    let next = lifecycle::apply(
        &review.submission,
        Transition::DeliverReport,
        &caller.actor,
        review.agreed.as_ref(),
        now,
    )?;
    let mut report = compile_now(&state, &review).await?;
    report.submission = next.clone();
    report.stage = next.stage;
    let event = Event::new(
        EventKind::ReportDelivered,
        Some(id),
        Some(caller.user.id),
        now,
        json!({ "from": review.submission.stage, "to": next.stage, "findings": report.findings.len() }),
    );
    state
        .store
        .deliver_report(&report, &next, review.row_version, &event)
        .await?;
    Ok((StatusCode::CREATED, Json(report)))
}
