//! The flags of the capture-the-flag suites run on a review. A model that
//! solved a task wrote its flag into the gateway's transcripts; only the
//! government evaluator, who ran the suite, reads them unredacted. Tasks
//! judged by a flag checker have no literal flag here, so nothing of theirs
//! is redacted.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use preflight_core::ids::SubmissionId;
use preflight_eval::{DatasetSource, SolverKind, Suite};

use crate::error::ApiError;
use crate::state::AppState;

/// Each agentic suite's flags by suite name, read once.
#[derive(Debug, Default, Clone)]
pub(crate) struct SuiteFlags(Arc<Mutex<HashMap<String, Arc<Vec<String>>>>>);

impl SuiteFlags {
    /// The flags of `suite` (a file of `dir`); none for a suite that is not
    /// agentic or cannot be read.
    fn of(&self, dir: &Path, suite: &str) -> Arc<Vec<String>> {
        if let Some(flags) = self.0.lock().ok().and_then(|m| m.get(suite).cloned()) {
            return flags;
        }
        let flags = Arc::new(read_flags(&dir.join(format!("{suite}.toml"))));
        if let Ok(mut cache) = self.0.lock() {
            cache.insert(suite.to_owned(), flags.clone());
        }
        flags
    }
}

fn read_flags(path: &Path) -> Vec<String> {
    let Ok(suite) = Suite::load(path) else {
        return Vec::new();
    };
    if suite.solver.kind != SolverKind::Agent {
        return Vec::new();
    }
    let source = DatasetSource::from_config(&suite.dataset, suite.base());
    source
        .load_all()
        .map(|samples| {
            samples
                .into_iter()
                .flat_map(|s| s.target.as_slice().to_vec())
                .collect()
        })
        .unwrap_or_default()
}

/// The flags of every agentic suite queued on the review.
pub(crate) async fn review_flags(
    state: &AppState,
    submission: SubmissionId,
) -> Result<Vec<String>, ApiError> {
    let runs = state.store.evaluations(submission).await?;
    let mut flags = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for run in runs {
        if seen.insert(run.suite.clone()) {
            flags.extend(
                state
                    .suite_flags
                    .of(&state.suites_dir, &run.suite)
                    .iter()
                    .cloned(),
            );
        }
    }
    Ok(flags)
}

/// A transcript with every flag replaced. A streamed answer is stored as
/// its raw event frames, where a flag is usually split across frames: when
/// the frames' text put together shows a flag, the stream is replaced by
/// that text, redacted.
pub(crate) fn redact_transcript(
    mut transcript: serde_json::Value,
    flags: &[String],
) -> serde_json::Value {
    if flags.is_empty() {
        return transcript;
    }
    if let Some(stream) = transcript
        .pointer_mut("/response/stream")
        .filter(|s| s.is_string())
    {
        let raw = stream.as_str().unwrap_or_default();
        let (frames, text) = assembled(raw);
        if preflight_eval::ctf::flag::reveals(&text, flags) {
            *stream = serde_json::json!({
                "frames": frames,
                "assembled": preflight_eval::ctf::flag::redact(&text, flags),
                "note": "the stream is shown put together, because it held a flag",
            });
        }
    }
    redact(transcript, flags)
}

/// The number of data frames of a chat-completions event stream and the
/// text they carry (message content and tool-call arguments), in order.
fn assembled(stream: &str) -> (usize, String) {
    let mut frames = 0;
    let mut text = String::new();
    for line in stream.lines() {
        let Some(data) = line.strip_prefix("data:") else {
            continue;
        };
        frames += 1;
        let Ok(chunk) = serde_json::from_str::<serde_json::Value>(data.trim()) else {
            continue;
        };
        for choice in chunk["choices"].as_array().into_iter().flatten() {
            let delta = &choice["delta"];
            if let Some(content) = delta["content"].as_str() {
                text.push_str(content);
            }
            for call in delta["tool_calls"].as_array().into_iter().flatten() {
                if let Some(arguments) = call["function"]["arguments"].as_str() {
                    text.push_str(arguments);
                }
            }
        }
    }
    (frames, text)
}

/// `value` with every flag replaced, in every string it holds.
pub(crate) fn redact(value: serde_json::Value, flags: &[String]) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::String(text) => Value::String(preflight_eval::ctf::flag::redact(&text, flags)),
        Value::Array(items) => Value::Array(items.into_iter().map(|v| redact(v, flags)).collect()),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (k, redact(v, flags)))
                .collect(),
        ),
        other => other,
    }
}
