//! Export of a native log to Inspect's `.eval` format, so Inspect's viewer
//! and `inspect log dump` read our runs.
//!
//! Source: the layout follows `inspect_ai/log/_recorders/eval.py` and the
//! models of `inspect_ai/log/_log.py` (UKGovernmentBEIS/inspect_ai, MIT),
//! log schema version 2. A `.eval` file is a zip archive whose entries are
//! JSON, compressed with zstd (zip method 93):
//! - `_journal/start.json`: `{version, eval: EvalSpec, plan: EvalPlan}`;
//! - `samples/{id}_epoch_{epoch}.json`: one `EvalSample` each;
//! - `summaries.json`: an `EvalSampleSummary` per sample record;
//! - `reductions.json`: per scorer, each sample's epoch-reduced value;
//! - `header.json`: the `EvalLog` without samples (status, results, stats).
//!
//! Scores are written as Inspect writes them (`"C"` correct, `"I"`
//! incorrect, numbers as numbers) under the scorer's kind as their name.
//! The log is read as a stream; per-sample summaries go through a temporary
//! file, so memory does not grow with the run.

use std::fs::File;
use std::io::{BufWriter, Seek, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};
use zip::CompressionMethod;
use zip::write::SimpleFileOptions;

use super::aggregate::Aggregate;
use super::record::{Header, SampleRecord, SampleStatus};
use super::{LogError, LogReader, Report};
use crate::model::{ModelOutput, Usage};
use crate::sample::{ChatMessage, Input, Role, Target};
use crate::scorer::{Score, ScoreValue};

/// Inspect's log schema version.
pub const INSPECT_LOG_VERSION: u32 = 2;

/// What an export wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct Exported {
    pub path: PathBuf,
    pub samples: u64,
}

/// Writes the log at `log` as an Inspect `.eval` file at `out`.
pub fn export(log: &Path, out: &Path) -> Result<Exported, LogError> {
    let mut reader = LogReader::open(log)?;
    let header = reader.header().clone();
    let partial = out.with_extension("eval.partial");
    let summaries_path = out.with_extension("summaries.partial");
    let result = write_archive(&mut reader, &header, &partial, &summaries_path);
    let _ = std::fs::remove_file(&summaries_path);
    let samples = match result {
        Ok(samples) => samples,
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            return Err(e);
        }
    };
    std::fs::rename(&partial, out).map_err(|source| LogError::io(out, source))?;
    Ok(Exported {
        path: out.to_owned(),
        samples,
    })
}

fn write_archive(
    reader: &mut LogReader,
    header: &Header,
    partial: &Path,
    summaries_path: &Path,
) -> Result<u64, LogError> {
    let zip_error = |source| LogError::Zip {
        path: partial.to_owned(),
        source,
    };
    let io_error = |source| LogError::io(partial, source);
    // The zip writer reads back what it wrote when it finishes.
    let file = File::options()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(partial)
        .map_err(io_error)?;
    let mut zip = zip::ZipWriter::new(BufWriter::new(file));
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Zstd)
        .large_file(true);
    let spec = eval_spec(header);
    let plan = eval_plan(header);

    let start = json!({ "version": INSPECT_LOG_VERSION, "eval": spec, "plan": plan });
    write_json(&mut zip, "_journal/start.json", &start, options, partial)?;

    let summaries_file = File::options()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(summaries_path)
        .map_err(|e| LogError::io(summaries_path, e))?;
    let mut summaries = BufWriter::new(summaries_file);
    let mut aggregate = Aggregate::default();
    let mut reductions: Vec<Value> = Vec::new();
    let mut first_start: Option<DateTime<Utc>> = None;
    let mut last_end: Option<DateTime<Utc>> = None;
    let mut count = 0u64;
    summaries
        .write_all(b"[")
        .map_err(|e| LogError::io(summaries_path, e))?;
    while let Some(record) = reader.next_sample()? {
        aggregate.add(&record);
        first_start = Some(first_start.map_or(record.started, |t| t.min(record.started)));
        last_end = Some(last_end.map_or(record.completed, |t| t.max(record.completed)));
        let sample = eval_sample(&record, header);
        let name = format!("samples/{}_epoch_{}.json", record.id, record.epoch);
        write_json(&mut zip, &name, &sample, options, partial)?;
        if count > 0 {
            summaries
                .write_all(b",")
                .map_err(|e| LogError::io(summaries_path, e))?;
        }
        serde_json::to_writer(&mut summaries, &sample_summary(&record, &sample))
            .map_err(|e| LogError::io(summaries_path, e.into()))?;
        count += 1;
    }
    summaries
        .write_all(b"]")
        .map_err(|e| LogError::io(summaries_path, e))?;
    let mut summaries = summaries
        .into_inner()
        .map_err(|e| LogError::io(summaries_path, e.into_error()))?;
    summaries
        .rewind()
        .map_err(|e| LogError::io(summaries_path, e))?;
    zip.start_file("summaries.json", options)
        .map_err(zip_error)?;
    std::io::copy(&mut summaries, &mut zip).map_err(io_error)?;

    let report = aggregate.report(header)?;
    let scorer = scorer_name(header);
    let reducer = reducer_name(header);
    let reduced = aggregate.reduced(header.suite_config.epoch_reducer)?;
    reductions.push(json!({
        "scorer": scorer,
        "reducer": reducer,
        "samples": reduced
            .iter()
            .map(|(id, value)| json!({ "value": value, "sample_id": id }))
            .collect::<Vec<_>>(),
    }));
    write_json(
        &mut zip,
        "reductions.json",
        &Value::Array(reductions),
        options,
        partial,
    )?;

    let started = first_start.map_or(String::new(), |t| t.to_rfc3339());
    let completed = last_end.map_or(String::new(), |t| t.to_rfc3339());
    let log_header = json!({
        "version": INSPECT_LOG_VERSION,
        "status": if report.is_complete() { "success" } else { "cancelled" },
        "eval": spec,
        "plan": plan,
        "results": results(header, &report),
        "stats": {
            "started_at": started,
            "completed_at": completed,
            "model_usage": model_usage(header, report.usage, report.judge_usage),
            "role_usage": {},
            "connection_limit_history": [],
        },
        "invalidated": false,
        "tags": header.suite_config.tags,
        "metadata": { "preflight_run_id": header.run_id, "config_hash": header.config_hash },
    });
    write_json(&mut zip, "header.json", &log_header, options, partial)?;
    let mut file = zip.finish().map_err(zip_error)?;
    file.flush().map_err(io_error)?;
    file.get_ref().sync_all().map_err(io_error)?;
    Ok(count)
}

fn write_json<W: Write + Seek>(
    zip: &mut zip::ZipWriter<W>,
    name: &str,
    value: &Value,
    options: SimpleFileOptions,
    path: &Path,
) -> Result<(), LogError> {
    zip.start_file(name, options)
        .map_err(|source| LogError::Zip {
            path: path.to_owned(),
            source,
        })?;
    serde_json::to_writer(&mut *zip, value).map_err(|e| LogError::io(path, e.into()))
}

/// The scorer's name in Inspect: the kind of the suite's scorer.
fn scorer_name(header: &Header) -> &'static str {
    header.suite_config.scorer.kind.as_str()
}

fn reducer_name(header: &Header) -> String {
    use crate::stats::EpochReducer;
    match header.suite_config.epoch_reducer {
        EpochReducer::Mean => "mean".to_owned(),
        EpochReducer::Max => "max".to_owned(),
        EpochReducer::Mode => "mode".to_owned(),
        EpochReducer::AtLeastK(k) => format!("at_least_{k}"),
    }
}

fn eval_spec(header: &Header) -> Value {
    let suite = &header.suite_config;
    let mut generate = Map::new();
    if let Some(max_tokens) = header.generate.max_tokens {
        generate.insert("max_tokens".into(), json!(max_tokens));
    }
    if let Some(temperature) = header.generate.temperature {
        generate.insert("temperature".into(), json!(temperature));
    }
    let mut config = Map::new();
    config.insert("epochs".into(), json!(header.epochs));
    config.insert("epochs_reducer".into(), json!([reducer_name(header)]));
    if let Some(tokens) = suite.limits.tokens {
        config.insert("token_limit".into(), json!(tokens));
    }
    if let Some(seconds) = suite.limits.time_seconds {
        config.insert("time_limit".into(), json!(seconds));
    }
    json!({
        "eval_id": header.run_id,
        "run_id": header.run_id,
        "created": header.created.to_rfc3339(),
        "task": header.suite,
        "task_id": header.config_hash.get(..22).unwrap_or(&header.config_hash),
        "task_version": 0,
        "task_file": header.suite_path,
        "task_description": suite.description,
        "task_attribs": {},
        "task_args": {},
        "task_args_passed": {},
        "solver": solver_name(header),
        "solver_args_passed": {},
        "tags": suite.tags,
        "dataset": {
            "name": suite.name,
            "location": suite.dataset.path,
            "samples": header.samples,
            "shuffled": suite.dataset.shuffle,
        },
        "model": header.model.name,
        "model_generate_config": generate,
        "model_base_url": header.model.base_url,
        "model_args": {},
        "model_roles": {
            "grader": { "model": header.judge.name, "base_url": header.judge.base_url },
        },
        "config": config,
        "packages": { "preflight-eval": env!("CARGO_PKG_VERSION") },
        "scorers": [{ "name": scorer_name(header), "options": {}, "metrics": [] }],
    })
}

fn solver_name(header: &Header) -> &'static str {
    use crate::solver::SolverKind;
    match header.suite_config.solver.kind {
        SolverKind::Generate => "generate",
        SolverKind::MultipleChoice => "multiple_choice",
        SolverKind::Agent => "agent",
    }
}

fn eval_plan(header: &Header) -> Value {
    let suite = &header.suite_config;
    let mut steps = Vec::new();
    if let Some(system) = &suite.solver.system_prompt {
        steps.push(json!({ "solver": "system_message", "params": { "template": system } }));
    }
    steps.push(json!({ "solver": solver_name(header), "params": {} }));
    json!({ "name": "plan", "steps": steps, "config": {} })
}

fn results(header: &Header, report: &Report) -> Value {
    let mut metrics = Map::new();
    let mut add = |name: &str, value: Option<f64>| {
        if let Some(value) = value.filter(|v| v.is_finite()) {
            metrics.insert(
                name.to_owned(),
                json!({ "name": name, "value": value, "params": {} }),
            );
        }
    };
    if let Some(summary) = &report.summary {
        add("accuracy", summary.accuracy);
        add("stderr", summary.stderr);
        if let Some(w) = summary.wilson {
            add("wilson_lower", Some(w.lower));
            add("wilson_upper", Some(w.upper));
        }
        if let Some(b) = summary.bootstrap {
            add("bootstrap_lower", Some(b.lower));
            add("bootstrap_upper", Some(b.upper));
        }
        for (k, value) in &summary.pass_at_k {
            add(&format!("pass_at_{k}"), Some(*value));
        }
    }
    let scored = report.summary.as_ref().map_or(0, |s| s.samples);
    json!({
        "total_samples": header.samples,
        "completed_samples": scored,
        "scores": [{
            "name": scorer_name(header),
            "scorer": scorer_name(header),
            "reducer": reducer_name(header),
            "scored_samples": scored,
            "unscored_samples": header.samples.saturating_sub(scored as u64),
            "params": {},
            "metrics": metrics,
        }],
    })
}

fn usage_json(usage: Usage) -> Value {
    json!({
        "input_tokens": usage.input_tokens,
        "output_tokens": usage.output_tokens,
        "total_tokens": usage.input_tokens + usage.output_tokens,
    })
}

/// Tokens by model name; the judge's are added to the model's when they
/// are the same model.
fn model_usage(header: &Header, usage: Usage, judge: Usage) -> Value {
    let mut by_model = Map::new();
    let mut add = |name: &str, more: Usage| {
        if more == Usage::default() {
            return;
        }
        let entry = by_model
            .entry(name.to_owned())
            .or_insert_with(|| usage_json(Usage::default()));
        let sum = |key: &str| entry[key].as_u64().unwrap_or(0);
        let total = Usage {
            input_tokens: sum("input_tokens") + more.input_tokens,
            output_tokens: sum("output_tokens") + more.output_tokens,
        };
        *entry = usage_json(total);
    };
    add(&header.model.name, usage);
    add(&header.judge.name, judge);
    Value::Object(by_model)
}

fn message_json(message: &ChatMessage) -> Value {
    let role = match message.role {
        Role::System | Role::Developer => "system",
        Role::User => "user",
        Role::Assistant => "assistant",
        Role::Tool => "tool",
    };
    let mut out = json!({ "role": role, "content": message.content });
    // Inspect's ToolCall holds the arguments parsed, and names its function.
    if !message.tool_calls.is_empty() {
        out["tool_calls"] = message
            .tool_calls
            .iter()
            .map(|call| {
                let arguments: Value =
                    serde_json::from_str(&call.arguments).unwrap_or_else(|_| json!({}));
                json!({ "id": call.id, "function": call.name, "arguments": arguments, "type": "function" })
            })
            .collect();
    }
    if let Some(id) = &message.tool_call_id {
        out["tool_call_id"] = json!(id);
    }
    out
}

fn input_json(input: &Input) -> Value {
    match input {
        Input::Prompt(prompt) => json!(prompt),
        Input::Messages(messages) => Value::Array(messages.iter().map(message_json).collect()),
    }
}

fn target_json(target: &Target) -> Value {
    match target.as_slice() {
        [] => json!(""),
        [one] => json!(one),
        many => json!(many),
    }
}

/// Inspect's stop reasons for the OpenAI finish reasons.
fn stop_reason(reason: Option<&str>) -> &'static str {
    match reason {
        Some("stop") => "stop",
        Some("length") => "max_tokens",
        Some("tool_calls") | Some("function_call") => "tool_calls",
        Some("content_filter") => "content_filter",
        _ => "unknown",
    }
}

/// An OpenAI tool call as Inspect's `ToolCall`.
fn tool_call_json(call: &Value) -> Value {
    let function = &call["function"];
    let raw = function["arguments"].as_str().unwrap_or("{}");
    let (arguments, parse_error) = match serde_json::from_str::<Value>(raw) {
        Ok(Value::Object(map)) => (Value::Object(map), Value::Null),
        Ok(_) | Err(_) => (
            json!({}),
            json!(format!("arguments are not a JSON object: {raw}")),
        ),
    };
    json!({
        "id": call["id"].as_str().unwrap_or(""),
        "function": function["name"].as_str().unwrap_or(""),
        "arguments": arguments,
        "parse_error": parse_error,
        "type": "function",
    })
}

fn assistant_json(output: &ModelOutput, model: &str) -> Value {
    let mut message = json!({
        "role": "assistant",
        "content": output.completion,
        "source": "generate",
        "model": model,
    });
    if !output.tool_calls.is_empty() {
        message["tool_calls"] =
            Value::Array(output.tool_calls.iter().map(tool_call_json).collect());
    }
    message
}

fn output_json(output: Option<&ModelOutput>, model: &str) -> Value {
    let Some(output) = output else {
        return json!({ "model": model, "choices": [], "completion": "" });
    };
    let mut value = json!({
        "model": model,
        "choices": [{
            "message": assistant_json(output, model),
            "stop_reason": stop_reason(output.stop_reason.as_deref()),
        }],
        "completion": output.completion,
    });
    if let Some(usage) = output.usage {
        value["usage"] = usage_json(usage);
    }
    value
}

fn score_json(score: &Score) -> Value {
    let value = match score.value {
        ScoreValue::Correct => json!("C"),
        ScoreValue::Incorrect => json!("I"),
        ScoreValue::Number(x) if x.is_finite() => json!(x),
        ScoreValue::Number(_) => Value::Null,
    };
    let mut metadata = score.metadata.clone();
    if let Some(raw) = &score.judge_raw {
        metadata.insert("judge_raw".into(), json!(raw));
    }
    json!({
        "value": value,
        "answer": score.answer,
        "explanation": score.explanation,
        "metadata": metadata,
    })
}

fn eval_sample(record: &SampleRecord, header: &Header) -> Value {
    let model = &header.model.name;
    let mut messages: Vec<Value> = record.messages.iter().map(message_json).collect();
    if let Some(output) = &record.output {
        messages.push(assistant_json(output, model));
    }
    let scores = match (&record.status, &record.score) {
        (SampleStatus::Scored, Some(score)) => json!({ scorer_name(header): score_json(score) }),
        _ => Value::Null,
    };
    let mut usage = Map::new();
    if record.usage != Usage::default() {
        usage.insert(model.clone(), usage_json(record.usage));
    }
    if let Some(judge) = record.judge_usage {
        let name = if header.judge.name == *model {
            format!("{model} (judge)")
        } else {
            header.judge.name.clone()
        };
        usage.insert(name, usage_json(judge));
    }
    let mut sample = json!({
        "id": record.id,
        "epoch": record.epoch,
        "input": input_json(&record.input),
        "target": target_json(&record.target),
        "messages": messages,
        "output": output_json(record.output.as_ref(), model),
        "scores": scores,
        "metadata": record.metadata,
        "store": {},
        "events": [],
        "model_usage": usage,
        "role_usage": {},
        "started_at": record.started.to_rfc3339(),
        "completed_at": record.completed.to_rfc3339(),
        "total_time": record.seconds,
        "working_time": record.seconds,
        "attachments": {},
    });
    if !record.choices.is_empty() {
        sample["choices"] = json!(record.choices);
    }
    if !record.tags.is_empty() {
        sample["metadata"]["tags"] = json!(record.tags);
    }
    if let Some(error) = &record.error {
        sample["error"] = json!({
            "message": format!("{}: {}", error.kind, error.message),
            "traceback": "",
            "traceback_ansi": "",
        });
    }
    if let Some(limit) = &record.limit
        && limit == "tokens"
    {
        let limit_value = header.suite_config.limits.tokens.unwrap_or(0);
        sample["limit"] = json!({ "type": "token", "limit": limit_value });
    }
    sample
}

fn sample_summary(record: &SampleRecord, sample: &Value) -> Value {
    let mut summary = json!({
        "id": sample["id"],
        "epoch": sample["epoch"],
        "input": sample["input"],
        "target": sample["target"],
        "metadata": sample["metadata"],
        "scores": sample["scores"],
        "model_usage": sample["model_usage"],
        "role_usage": {},
        "started_at": sample["started_at"],
        "completed_at": sample["completed_at"],
        "total_time": sample["total_time"],
        "working_time": sample["working_time"],
        "completed": true,
        "message_count": sample["messages"].as_array().map_or(0, Vec::len),
    });
    if let Some(choices) = sample.get("choices") {
        summary["choices"] = choices.clone();
    }
    if let Some(error) = &record.error {
        summary["error"] = json!(format!("{}: {}", error.kind, error.message));
    }
    if sample.get("limit").is_some() {
        summary["limit"] = json!("token");
    }
    summary
}
