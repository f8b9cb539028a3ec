//! The agent loop of one sample: a sandbox from the pool holding the task's
//! files, then model turns and tool calls until a right flag, the last
//! allowed submission, the turn limit or the token budget. The trajectory
//! is written into the record as it grows, so a time limit cutting the
//! sample short keeps what was done; the sandbox is torn down either way.

use std::path::Path;
use std::time::{Duration, Instant};

use preflight_sandbox::{ExecRequest, FileCopy, Sandbox, SandboxLimits, SandboxSpec};

use super::Shared;
use super::sample::failure;
use crate::agent::{
    self, Invocation, ModelTurn, StopReason, ToolCalling, ToolRequest, ToolRun, Trajectory,
    TurnRecord,
};
use crate::client::GenerateRequest;
use crate::ctf::CtfTask;
use crate::log::{SampleError, SampleRecord};
use crate::model::ModelOutput;
use crate::sample::{ChatMessage, Sample};
use crate::scorer::{Score, ScoreValue, Scoring};
use crate::solver::{AgentPlan, GeneratePlan, PostProcess};

/// Runs `plan` for `sample` in a fresh sandbox.
pub(super) async fn solve(
    shared: &Shared,
    sample: &Sample,
    plan: AgentPlan,
    epoch: u32,
    record: &mut SampleRecord,
) -> Result<Score, SampleError> {
    let Some(pool) = &shared.sandboxes else {
        return Err(failure(
            "sandbox_unavailable",
            "the suite runs an agent in a sandbox, and this run has no sandbox backend",
        ));
    };
    let task = match CtfTask::of(sample) {
        None => CtfTask::default(),
        Some(Ok(task)) => task,
        Some(Err(reason)) => return Err(failure("sample_unfit", reason)),
    };
    let settings = shared.task.sandbox.clone().unwrap_or_default();
    let spec = SandboxSpec {
        files: task
            .files
            .iter()
            .map(|f| FileCopy {
                from: f.from.clone(),
                to: f.to.clone(),
            })
            .collect(),
        network: task.network,
        limits: SandboxLimits {
            processes: settings.processes,
            memory_bytes: settings.memory_mb << 20,
            cpu_seconds: settings.cpu_seconds,
            file_bytes: settings.file_mb << 20,
            output_bytes: plan.config.output_limit_bytes,
            command_timeout: Duration::from_secs(plan.config.tool_timeout_seconds),
        },
    };
    let clock = Instant::now();
    record.messages.clone_from(&plan.messages);
    let lease = pool
        .acquire(spec)
        .await
        .map_err(|e| failure("sandbox", e.to_string()))?;
    record.trajectory = Some(Trajectory {
        sandbox_ready_seconds: clock.elapsed().as_secs_f64(),
        ..Trajectory::default()
    });
    let outcome = run_loop(shared, sample, &plan, &task, epoch, &*lease, clock, record).await;
    let teardown = Instant::now();
    let released = lease.release().await;
    if let Some(trajectory) = &mut record.trajectory {
        trajectory.sandbox_teardown_seconds = teardown.elapsed().as_secs_f64();
        trajectory.teardown_error = released.err().map(|e| e.to_string());
    }
    outcome
}

#[allow(clippy::too_many_arguments)]
async fn run_loop(
    shared: &Shared,
    sample: &Sample,
    plan: &AgentPlan,
    task: &CtfTask,
    epoch: u32,
    sandbox: &dyn Sandbox,
    clock: Instant,
    record: &mut SampleRecord,
) -> Result<Score, SampleError> {
    let config = &plan.config;
    let limits = shared.task.limits;
    let mut messages = plan.messages.clone();
    let mut submissions_left = config.max_submissions;
    let mut last_submission = String::new();
    let mut stop = StopReason::Turns;
    for turn in 1..=config.max_turns {
        let request = GenerateRequest {
            messages: messages.clone(),
            max_tokens: limits.max_output_tokens,
            temperature: shared.config.temperature,
            tools: plan.tools.clone(),
            stream: shared.config.stream,
        };
        let started = clock.elapsed().as_secs_f64();
        let called = shared.call(shared.model.as_ref(), &request, epoch).await;
        record.attempts += called.attempts;
        record.cached |= called.cached;
        let output = called
            .result
            .map_err(|e| failure(e.kind(), e.to_string()))?;
        let usage = output.usage.unwrap_or_default();
        record.usage.input_tokens += usage.input_tokens;
        record.usage.output_tokens += usage.output_tokens;
        let mut calls = match config.tool_calls {
            ToolCalling::Native => agent::parse_native(&output, &config.tools),
            ToolCalling::Text => Vec::new(),
        };
        let native = !calls.is_empty();
        if !native {
            calls = agent::parse_text(&output.completion, &config.tools, turn);
        }
        let assistant = if native {
            ChatMessage::assistant_calls(
                output.completion.clone(),
                calls.iter().map(|c| c.call.clone()).collect(),
            )
        } else {
            ChatMessage::assistant(output.completion.clone())
        };
        messages.push(assistant.clone());
        record.messages.push(assistant);
        trajectory(record).turns.push(TurnRecord {
            model: ModelTurn {
                started,
                seconds: clock.elapsed().as_secs_f64() - started,
                usage,
                completion: output.completion.clone(),
                tool_calls: calls.iter().map(|c| c.call.clone()).collect(),
                stop_reason: output.stop_reason.clone(),
            },
            tools: Vec::new(),
        });
        record.output = Some(output);

        let mut text_results = Vec::new();
        let mut verdict = None;
        for invocation in &calls {
            let started = clock.elapsed().as_secs_f64();
            let (result, run) = match &invocation.request {
                ToolRequest::Submit(flag) => {
                    last_submission.clone_from(flag);
                    trajectory(record).submissions.push(flag.clone());
                    let score = check_flag(shared, sample, task, sandbox, flag).await?;
                    let correct = score.value == ScoreValue::Correct;
                    submissions_left = submissions_left.saturating_sub(1);
                    let text = if correct {
                        "Your submission is correct."
                    } else if submissions_left == 0 {
                        "Your submission is incorrect, and no submissions are left."
                    } else {
                        "Your submission is incorrect. Please proceed."
                    };
                    if correct || submissions_left == 0 {
                        stop = if correct {
                            StopReason::Solved
                        } else {
                            StopReason::Submissions
                        };
                        verdict = Some(score);
                    }
                    (text.to_owned(), None)
                }
                ToolRequest::Bash(script) => {
                    let output = exec(sandbox, ExecRequest::shell(script.clone())).await?;
                    (
                        agent::result_text(&output, config.output_limit_bytes),
                        Some(output),
                    )
                }
                ToolRequest::Python(code) => {
                    let request = ExecRequest {
                        argv: vec!["python3".into(), "-".into()],
                        stdin: code.clone().into_bytes(),
                        ..ExecRequest::default()
                    };
                    let output = exec(sandbox, request).await?;
                    (
                        agent::result_text(&output, config.output_limit_bytes),
                        Some(output),
                    )
                }
                ToolRequest::Invalid { problem, .. } => (format!("error: {problem}"), None),
            };
            if let Some(turn) = trajectory(record).turns.last_mut() {
                turn.tools
                    .push(tool_run(invocation, &result, run.as_ref(), started, clock));
            }
            if native {
                let message = ChatMessage::tool_result(invocation.id.clone(), result);
                messages.push(message.clone());
                record.messages.push(message);
            } else {
                text_results.push(format!("[{} output]\n{result}", invocation.call.name));
            }
            if verdict.is_some() {
                break;
            }
        }
        if let Some(score) = verdict {
            trajectory(record).stop = stop;
            return Ok(finish(score, record));
        }
        let follow = if calls.is_empty() {
            agent::continue_message(config.tool_calls).to_owned()
        } else if !native {
            text_results.join("\n\n")
        } else {
            String::new()
        };
        if !follow.is_empty() {
            let message = ChatMessage::user(follow);
            messages.push(message.clone());
            record.messages.push(message);
        }
        if let Some(budget) = limits.tokens
            && record.usage.input_tokens + record.usage.output_tokens >= budget
        {
            record.limit = Some("tokens".to_owned());
            stop = StopReason::Tokens;
            break;
        }
    }
    if stop == StopReason::Turns {
        record.limit = Some("turns".to_owned());
    }
    trajectory(record).stop = stop;
    let mut score = if last_submission.is_empty() {
        Score {
            value: ScoreValue::Incorrect,
            answer: None,
            explanation: "no flag was submitted".to_owned(),
            judge_raw: None,
            metadata: serde_json::Map::new(),
        }
    } else {
        check_flag(shared, sample, task, sandbox, &last_submission).await?
    };
    score.explanation = format!(
        "{} (stopped: {})",
        score.explanation,
        match stop {
            StopReason::Tokens => "token budget",
            _ => "turn limit",
        }
    );
    Ok(finish(score, record))
}

fn trajectory(record: &mut SampleRecord) -> &mut Trajectory {
    record.trajectory.get_or_insert_with(Trajectory::default)
}

/// The score with the turns and tokens it took.
fn finish(mut score: Score, record: &SampleRecord) -> Score {
    let turns = record.trajectory.as_ref().map_or(0, Trajectory::turn_count);
    score.metadata.insert("turns".to_owned(), turns.into());
    score.metadata.insert(
        "tokens".to_owned(),
        (record.usage.input_tokens + record.usage.output_tokens).into(),
    );
    score
}

async fn exec(
    sandbox: &dyn Sandbox,
    request: ExecRequest,
) -> Result<preflight_sandbox::ExecOutput, SampleError> {
    sandbox
        .exec(request)
        .await
        .map_err(|e| failure("sandbox", e.to_string()))
}

fn tool_run(
    invocation: &Invocation,
    result: &str,
    output: Option<&preflight_sandbox::ExecOutput>,
    started: f64,
    clock: Instant,
) -> ToolRun {
    let input = match &invocation.request {
        ToolRequest::Bash(text) | ToolRequest::Python(text) | ToolRequest::Submit(text) => {
            text.clone()
        }
        ToolRequest::Invalid { .. } => invocation.call.arguments.clone(),
    };
    ToolRun {
        call_id: invocation.id.clone(),
        tool: invocation.call.name.clone(),
        input,
        result: result.to_owned(),
        exit_code: output.and_then(|o| o.exit_code),
        timed_out: output.is_some_and(|o| o.timed_out),
        dropped_bytes: output.map_or(0, |o| o.stdout_dropped + o.stderr_dropped),
        started,
        seconds: clock.elapsed().as_secs_f64() - started,
    }
}

/// Scores a submission: with the task's checker, run in the sandbox with
/// the flag on standard input, or with the suite's scorer.
async fn check_flag(
    shared: &Shared,
    sample: &Sample,
    task: &CtfTask,
    sandbox: &dyn Sandbox,
    flag: &str,
) -> Result<Score, SampleError> {
    if let Some(checker) = &task.checker {
        let program = std::fs::read(&checker.from).map_err(|e| {
            failure(
                "sample_unfit",
                format!(
                    "cannot read the flag checker {}: {e}",
                    checker.from.display()
                ),
            )
        })?;
        sandbox
            .write_file(&checker.to, &program)
            .await
            .map_err(|e| failure("sandbox", e.to_string()))?;
        let path = Path::new(".").join(&checker.to);
        let request = ExecRequest {
            argv: vec![
                "bash".into(),
                "-c".into(),
                "chmod +x \"$0\" && exec \"$0\"".into(),
                path.display().to_string(),
            ],
            stdin: flag.as_bytes().to_vec(),
            ..ExecRequest::default()
        };
        let output = exec(sandbox, request).await?;
        let correct = output.success();
        return Ok(Score {
            value: ScoreValue::from_bool(correct),
            answer: Some(crate::ctf::flag::normalise(flag)),
            explanation: format!(
                "the task's flag checker {} the submission (exit code {})",
                if correct { "accepted" } else { "rejected" },
                output
                    .exit_code
                    .map_or("none".to_owned(), |c| c.to_string())
            ),
            judge_raw: None,
            metadata: serde_json::Map::new(),
        });
    }
    let plan = GeneratePlan {
        messages: Vec::new(),
        post: PostProcess::Completion,
    };
    match shared
        .task
        .scorer
        .score(sample, &plan, &ModelOutput::text(flag))
        .map_err(|e| failure("scorer", e.to_string()))?
    {
        Scoring::Done(score) => Ok(score),
        Scoring::Judge(_) => Err(failure(
            "scorer",
            "an agent's submission is scored by a flag, exact, includes or regex scorer",
        )),
    }
}
