//! Benchmark suites attached to a review by the government, run by a worker
//! through the gateway; their aggregate scores for the developer.

use crate::auth::Caller;
use crate::error::ErrorResponses;
use crate::extract::{ApiJson, ApiPath};
use crate::routes::review::Review;
use crate::{ApiError, AppState};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::Utc;
use preflight_core::access::{access_ends_at, reviewer_phase};
use preflight_core::event::{Event, EventKind};
use preflight_core::ids::SubmissionId;
use preflight_core::org::Role;
use preflight_store::{EvaluationRun, RunState};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::path::{Path, PathBuf};
use uuid::Uuid;

/// A suite the server can run.
#[derive(Serialize, utoipa::ToSchema)]
pub struct SuiteInfo {
    /// Its name: the suite file's name without `.toml`.
    pub name: String,
    pub description: String,
    pub tags: Vec<String>,
}

/// The suite files of the server's suite directory, by name.
fn suite_files(dir: &Path) -> Vec<(String, PathBuf)> {
    let mut files: Vec<(String, PathBuf)> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|e| e == "toml"))
        .filter_map(|path| {
            let name = path.file_stem()?.to_str()?.to_owned();
            Some((name, path))
        })
        .collect();
    files.sort();
    files
}

fn may_run(role: Role) -> bool {
    matches!(role, Role::Admin | Role::GovernmentEvaluator)
}

/// The suites this server can run (for government evaluators and admins).
#[utoipa::path(get, path = "/suites", tag = "evaluations",
    responses((status = 200, body = Vec<SuiteInfo>), ErrorResponses))]
pub async fn list_suites(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<SuiteInfo>>, ApiError> {
    if !may_run(caller.actor.role) {
        return Err(ApiError::forbidden("suites are for government evaluators"));
    }
    let mut out = Vec::new();
    for (name, path) in suite_files(&state.suites_dir) {
        if let Ok(suite) = preflight_eval::Suite::load(&path) {
            out.push(SuiteInfo {
                name,
                description: suite.description.clone(),
                tags: suite.tags.clone(),
            });
        }
    }
    Ok(Json(out))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QueueEvaluation {
    /// A suite name from `GET /suites`.
    pub suite: String,
    /// Run only the first N samples.
    #[serde(default)]
    pub limit: Option<u32>,
    /// Epochs, overriding the suite's.
    #[serde(default)]
    pub epochs: Option<u32>,
}

/// Attaches a suite to the review and queues its run. Government evaluators
/// with access to the model now; the run calls the model through the
/// gateway with a token of its own, within the terms' limits.
#[utoipa::path(post, path = "/submissions/{submission_id}/evaluations", tag = "evaluations",
    request_body = QueueEvaluation,
    params(("submission_id" = SubmissionId, Path)),
    responses((status = 201, body = EvaluationRun), ErrorResponses))]
pub async fn queue_evaluation(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<SubmissionId>,
    ApiJson(body): ApiJson<QueueEvaluation>,
) -> Result<(StatusCode, Json<EvaluationRun>), ApiError> {
    let review = Review::load(&state, &caller, id).await?;
    if caller.actor.role != Role::GovernmentEvaluator {
        return Err(ApiError::forbidden(
            "only government evaluators run benchmark suites",
        ));
    }
    let now = state.gateway.clock.now();
    reviewer_phase(
        &review.submission,
        review.agreed.as_ref(),
        &caller.actor,
        now,
    )?;
    let Some(org) = caller.actor.org_id else {
        return Err(ApiError::forbidden("only reviewers run suites"));
    };
    let Some((_, path)) = suite_files(&state.suites_dir)
        .into_iter()
        .find(|(name, _)| *name == body.suite)
    else {
        return Err(ApiError::invalid(
            "suite",
            format!(
                "unknown suite {:?} (GET /api/v1/suites lists them)",
                body.suite
            ),
        ));
    };
    let suite = preflight_eval::Suite::load(&path)
        .and_then(|s| s.build().map(|_| s))
        .map_err(|e| {
            ApiError::invalid("suite", format!("suite {:?} cannot run: {e}", body.suite))
        })?;
    for (field, value) in [("limit", body.limit), ("epochs", body.epochs)] {
        if value == Some(0) || value.is_some_and(|v| v > 100_000) {
            return Err(ApiError::invalid(
                field,
                format!(
                    "{field} {} must be between 1 and 100000",
                    value.unwrap_or(0)
                ),
            ));
        }
    }
    let agreed = review
        .agreed
        .as_ref()
        .ok_or_else(|| ApiError::forbidden("no terms signed by both sides"))?;
    let run = EvaluationRun {
        id: Uuid::now_v7(),
        submission_id: id,
        requested_by: caller.user.id,
        org_id: org,
        suite: body.suite.clone(),
        options: json!({ "limit": body.limit, "epochs": body.epochs, "suite_name": suite.name }),
        state: RunState::Queued,
        created_at: now,
        attempts: 0,
        finished_at: None,
        summary: None,
        error: None,
    };
    let token_event = Event::new(
        EventKind::GatewayTokenCreated,
        Some(id),
        Some(caller.user.id),
        now,
        json!({ "label": format!("evaluation run {}", run.id), "evaluation_run": run.id }),
    );
    let token = state
        .store
        .create_gateway_token(
            &state.pepper,
            caller.user.id,
            id,
            &format!("evaluation run {}", run.id),
            access_ends_at(&review.submission, agreed),
            &token_event,
        )
        .await?;
    let event = Event::new(
        EventKind::EvaluationQueued,
        Some(id),
        Some(caller.user.id),
        now,
        json!({ "run_id": run.id, "suite": run.suite, "options": run.options }),
    );
    state
        .store
        .queue_evaluation(&run, &token.secret, &state.master, &event)
        .await?;
    state.evaluation_wakeup.notify_one();
    Ok((StatusCode::CREATED, Json(run)))
}

/// Who sees runs: the government and admins in full; the developer the
/// aggregate scores (sealed task sets never leave); partners nothing.
fn may_see_runs(caller: &Caller, review: &Review) -> Result<(), ApiError> {
    match caller.actor.role {
        Role::Admin | Role::GovernmentEvaluator => Ok(()),
        Role::Developer if caller.actor.belongs_to(review.submission.developer_org) => Ok(()),
        role => Err(ApiError::forbidden(format!(
            "a {role} does not see the government's evaluation runs"
        ))),
    }
}

/// The review's evaluation runs with their scores.
#[utoipa::path(get, path = "/submissions/{submission_id}/evaluations", tag = "evaluations",
    params(("submission_id" = SubmissionId, Path)),
    responses((status = 200, body = Vec<EvaluationRun>), ErrorResponses))]
pub async fn list_evaluations(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<SubmissionId>,
) -> Result<Json<Vec<EvaluationRun>>, ApiError> {
    let review = Review::load(&state, &caller, id).await?;
    may_see_runs(&caller, &review)?;
    Ok(Json(state.store.evaluations(id).await?))
}

/// One evaluation run.
#[utoipa::path(get, path = "/submissions/{submission_id}/evaluations/{run_id}", tag = "evaluations",
    params(("submission_id" = SubmissionId, Path), ("run_id" = String, Path, format = Uuid)),
    responses((status = 200, body = EvaluationRun), ErrorResponses))]
pub async fn get_evaluation(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((id, run)): ApiPath<(SubmissionId, Uuid)>,
) -> Result<Json<EvaluationRun>, ApiError> {
    let review = Review::load(&state, &caller, id).await?;
    let run = state.store.evaluation(id, run).await?;
    may_see_runs(&caller, &review)?;
    Ok(Json(run))
}

/// The ledger's record of a run's end.
pub(crate) fn finished_event(run: &EvaluationRun, outcome: &str) -> Event {
    Event::new(
        EventKind::EvaluationFinished,
        Some(run.submission_id),
        None,
        Utc::now(),
        json!({ "run_id": run.id, "suite": run.suite, "outcome": outcome }),
    )
}
