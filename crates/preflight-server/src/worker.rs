//! The evaluation worker: claims queued runs, runs their suite against the
//! model through the gateway (with the run's own gateway token, so the
//! terms, the limits and the ledger apply as to any reviewer), and stores
//! the aggregate scores. Runs inside `serve` by default; `preflight worker`
//! runs more of them beside it. A worker that stops beating loses its run
//! to the next one, which resumes from the run's log when it can read it.

use crate::AppState;
use crate::routes::evaluations::finished_event;
use chrono::Utc;
use preflight_eval::client::{ApiKey, ClientConfig, Provider, connect};
use preflight_eval::runner::{LogTarget, RunConfig, RunSpec, Silent};
use preflight_store::ClaimedRun;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// How often a worker says it is still at its run.
const HEARTBEAT: Duration = Duration::from_secs(15);
/// A run whose worker has not beaten for this long is taken over.
const STALE_AFTER: Duration = Duration::from_secs(90);
/// How often an idle worker looks for runs queued by another process.
const POLL: Duration = Duration::from_secs(5);

/// Where a worker reaches the gateway and keeps its logs.
#[derive(Clone, Debug)]
pub struct WorkerSettings {
    /// The gateway's OpenAI-compatible base, such as `http://127.0.0.1:8080/v1`.
    pub gateway_url: String,
    /// This worker's name in the queue.
    pub name: String,
    /// Run logs (`<run id>.jsonl`), kept for resuming and for the record.
    pub log_dir: PathBuf,
    /// Requests in flight at once per run.
    pub max_connections: usize,
}

/// Claims and runs evaluation runs until `stop` turns true.
pub async fn run_worker(
    state: AppState,
    settings: WorkerSettings,
    mut stop: watch::Receiver<bool>,
) {
    if let Err(err) = std::fs::create_dir_all(&settings.log_dir) {
        tracing::error!(error = %err, dir = %settings.log_dir.display(), "cannot create the evaluation log directory; the worker does not start");
        return;
    }
    loop {
        if *stop.borrow() {
            return;
        }
        let now = Utc::now();
        let stale = now - chrono::Duration::from_std(STALE_AFTER).unwrap_or_default();
        match state
            .store
            .claim_evaluation(&settings.name, now, stale, &state.master)
            .await
        {
            Ok(Some(claimed)) => {
                let run = claimed.run.clone();
                tracing::info!(run = %run.id, suite = %run.suite, "evaluation run claimed");
                let outcome = tokio::select! {
                    outcome = with_heartbeat(&state, &settings, claimed) => outcome,
                    () = stopped(&mut stop) => {
                        // Left running: another worker takes it over and resumes.
                        return;
                    }
                };
                let (result, word) = match &outcome {
                    Ok(summary) => (Ok(summary), "succeeded"),
                    Err(error) => (Err(error.as_str()), "failed"),
                };
                if let Err(err) = state
                    .store
                    .finish_evaluation(run.id, result, Utc::now(), &finished_event(&run, word))
                    .await
                {
                    tracing::error!(run = %run.id, error = %err, "the evaluation's result could not be stored");
                }
                tracing::info!(run = %run.id, outcome = word, "evaluation run finished");
            }
            Ok(None) => {
                tokio::select! {
                    _ = state.evaluation_wakeup.notified() => {}
                    _ = tokio::time::sleep(POLL) => {}
                    () = stopped(&mut stop) => return,
                }
            }
            Err(err) => {
                tracing::error!(error = %err, "claiming an evaluation run failed; retrying");
                tokio::select! {
                    _ = tokio::time::sleep(POLL) => {}
                    () = stopped(&mut stop) => return,
                }
            }
        }
    }
}

async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}

async fn with_heartbeat(
    state: &AppState,
    settings: &WorkerSettings,
    claimed: ClaimedRun,
) -> Result<Value, String> {
    let id = claimed.run.id;
    let beat = async {
        loop {
            tokio::time::sleep(HEARTBEAT).await;
            if let Err(err) = state
                .store
                .heartbeat_evaluation(id, &settings.name, Utc::now())
                .await
            {
                tracing::warn!(run = %id, error = %err, "heartbeat failed");
            }
        }
    };
    tokio::select! {
        outcome = run_suite(state, settings, claimed) => outcome,
        () = beat => Err("the heartbeat stopped".into()),
    }
}

/// Runs the claimed run's suite; the aggregate scores, or why it failed.
async fn run_suite(
    state: &AppState,
    settings: &WorkerSettings,
    claimed: ClaimedRun,
) -> Result<Value, String> {
    let run = &claimed.run;
    let path = state.suites_dir.join(format!("{}.toml", run.suite));
    let suite = preflight_eval::Suite::load(&path)
        .map_err(|e| format!("suite {:?} cannot be read: {e}", run.suite))?;
    let submission = state
        .store
        .submission(run.submission_id)
        .await
        .map_err(|e| format!("the review cannot be read: {e}"))?
        .value;
    let config = ClientConfig::new(
        Provider::Openai,
        settings.gateway_url.clone(),
        submission.model_name.clone(),
    )
    .with_api_key(Some(ApiKey::new(claimed.gateway_token.as_str())));
    let model = connect(config).map_err(|e| format!("cannot reach the gateway: {e}"))?;
    let log = settings.log_dir.join(format!("{}.jsonl", run.id));
    let target = if log.exists() {
        LogTarget::Resume(log.clone())
    } else {
        LogTarget::New(log.clone())
    };
    let option = |name: &str| run.options.get(name).and_then(Value::as_u64);
    let sandboxes = preflight_eval::runner::sandbox_pool(&suite, None)
        .map_err(|e| format!("suite {:?} runs an agent in a sandbox: {e}", suite.name))?;
    let outcome = preflight_eval::runner::run(
        RunSpec {
            suite: &suite,
            model,
            judge: None,
            log: target,
            cache: None,
            config: RunConfig {
                max_connections: settings.max_connections,
                epochs: option("epochs").and_then(|e| u32::try_from(e).ok()),
                limit: option("limit").and_then(|l| usize::try_from(l).ok()),
                ..RunConfig::default()
            },
            sandboxes,
        },
        Arc::new(Silent),
    )
    .await
    .map_err(|e| format!("the run failed: {e}"))?;
    let report = &outcome.report;
    if report.scored == 0 {
        let kinds: Vec<String> = report
            .errors_by_kind
            .iter()
            .map(|(kind, n)| format!("{n} {kind}"))
            .collect();
        return Err(format!(
            "no sample could be scored ({} errors: {})",
            report.errors,
            kinds.join(", ")
        ));
    }
    Ok(json!({
        "suite": suite.name,
        "model": submission.model_name,
        "samples": report.expected,
        "scored": report.scored,
        "errors": report.errors,
        "errors_by_kind": report.errors_by_kind,
        "scores": report.summary,
        "by_tag": report.by_tag,
        "agent": report.agent,
        "usage": report.usage,
    }))
}
