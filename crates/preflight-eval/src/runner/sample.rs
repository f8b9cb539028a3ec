//! One sample and epoch: plan, ask the model, score (asking the judge when
//! the scorer needs one), and the record of it, whatever happened.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;

use super::Shared;
use crate::client::GenerateRequest;
use crate::log::{SampleError, SampleRecord, SampleStatus};
use crate::model::Usage;
use crate::sample::Sample;
use crate::scorer::{Score, Scoring};
use crate::solver::Plan;

/// Runs `sample` in `epoch` within the suite's time limit.
pub(super) async fn process(shared: Arc<Shared>, sample: Arc<Sample>, epoch: u32) -> SampleRecord {
    let clock = Instant::now();
    let mut record = blank_record(&sample, epoch);
    let work = solve(&shared, &sample, epoch, &mut record);
    let outcome = match shared.task.limits.time_seconds {
        None => work.await,
        Some(seconds) => match tokio::time::timeout(Duration::from_secs(seconds), work).await {
            Ok(outcome) => outcome,
            Err(_) => Err(failure(
                "time_limit",
                format!("the sample ran past its time limit of {seconds} s"),
            )),
        },
    };
    match outcome {
        Ok(score) => {
            record.status = SampleStatus::Scored;
            record.score = Some(score);
        }
        Err(error) => {
            record.status = SampleStatus::Error;
            record.error = Some(error);
        }
    }
    record.completed = Utc::now();
    record.seconds = clock.elapsed().as_secs_f64();
    record
}

/// The record of a sample whose task panicked.
pub(super) fn panicked(
    sample: &Sample,
    epoch: u32,
    join_error: &tokio::task::JoinError,
) -> SampleRecord {
    let mut record = blank_record(sample, epoch);
    record.error = Some(failure("panic", join_error.to_string()));
    record
}

fn blank_record(sample: &Sample, epoch: u32) -> SampleRecord {
    let now = Utc::now();
    SampleRecord {
        id: sample.id.clone(),
        epoch,
        status: SampleStatus::Error,
        score: None,
        error: None,
        tags: sample.tags.clone(),
        input: sample.input.clone(),
        choices: sample.choices.clone(),
        target: sample.target.clone(),
        metadata: sample.metadata.clone(),
        messages: Vec::new(),
        output: None,
        usage: Usage::default(),
        judge_usage: None,
        attempts: 0,
        cached: false,
        limit: None,
        started: now,
        completed: now,
        seconds: 0.0,
        trajectory: None,
    }
}

pub(super) fn failure(kind: &str, message: impl Into<String>) -> SampleError {
    SampleError {
        kind: kind.to_owned(),
        message: message.into(),
    }
}

/// The model's answer to the plan, scored. Fills `record` as it goes, so a
/// time limit cutting it short leaves what was done.
async fn solve(
    shared: &Shared,
    sample: &Sample,
    epoch: u32,
    record: &mut SampleRecord,
) -> Result<Score, SampleError> {
    let plan = match shared.task.solver.plan(sample) {
        Ok(Plan::Generate(plan)) => plan,
        Ok(Plan::Agent(plan)) => {
            return super::agent::solve(shared, sample, plan, epoch, record).await;
        }
        Err(e) => return Err(failure("sample_unfit", e.to_string())),
    };
    record.messages = plan.messages.clone();
    let limits = shared.task.limits;
    let token_cap = limits.tokens.map(|t| u32::try_from(t).unwrap_or(u32::MAX));
    let max_tokens = match (limits.max_output_tokens, token_cap) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    let request = GenerateRequest {
        messages: plan.messages.clone(),
        max_tokens,
        temperature: shared.config.temperature,
        tools: Vec::new(),
        stream: shared.config.stream,
    };
    let called = shared.call(shared.model.as_ref(), &request, epoch).await;
    record.attempts += called.attempts;
    record.cached |= called.cached;
    let output = called
        .result
        .map_err(|e| failure(e.kind(), e.to_string()))?;
    record.usage = output.usage.unwrap_or_default();
    if let Some(limit) = limits.tokens
        && record.usage.input_tokens + record.usage.output_tokens > limit
    {
        record.limit = Some("tokens".to_owned());
    }
    let output = record.output.insert(output);
    let scoring = shared
        .task
        .scorer
        .score(sample, &plan, output)
        .map_err(|e| failure("scorer", e.to_string()))?;
    let call = match scoring {
        Scoring::Done(score) => return Ok(score),
        Scoring::Judge(call) => call,
    };
    let request = GenerateRequest {
        messages: call.messages.clone(),
        max_tokens: Some(shared.config.judge_max_tokens),
        temperature: Some(0.0),
        tools: Vec::new(),
        stream: shared.config.stream,
    };
    let judged = shared.call(shared.judge.as_ref(), &request, epoch).await;
    record.attempts += judged.attempts;
    record.cached |= judged.cached;
    let judged = judged
        .result
        .map_err(|e| failure(&format!("judge_{}", e.kind()), format!("judge: {e}")))?;
    record.judge_usage = Some(judged.usage.unwrap_or_default());
    shared
        .task
        .scorer
        .grade(&call, &judged.completion)
        .map_err(|e| failure("scorer", e.to_string()))
}
