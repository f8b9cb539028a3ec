//! Chat completion answers, whole or as chunks, read into a [`ModelOutput`].

use std::collections::BTreeMap;

use preflight_chat::openai::{ChatChoice, ChunkChoice, FinishReason, ToolCall, Usage};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::model::{self, ModelOutput};

/// A whole answer, reading only what the output needs, so a server that
/// leaves out `id`, `created` or `object` is still understood.
#[derive(Debug, Deserialize)]
pub(super) struct Answer {
    #[serde(default)]
    pub choices: Vec<ChatChoice>,
    #[serde(default)]
    pub usage: Option<Usage>,
}

/// One stream chunk, read as leniently as [`Answer`]; some servers send an
/// `error` object instead of a chunk.
#[derive(Debug, Deserialize)]
pub(super) struct Chunk {
    #[serde(default)]
    pub choices: Vec<ChunkChoice>,
    #[serde(default)]
    pub usage: Option<Usage>,
    #[serde(default)]
    pub error: Option<Value>,
}

/// The first answer of a whole response.
pub(super) fn output_of_answer(answer: Answer) -> ModelOutput {
    let usage = answer.usage.map(usage_of);
    let Some(choice) = answer.choices.into_iter().find(|c| c.index == 0) else {
        return ModelOutput {
            usage,
            ..ModelOutput::default()
        };
    };
    let tool_calls = choice
        .message
        .tool_calls
        .as_deref()
        .unwrap_or_default()
        .iter()
        .map(tool_call_value)
        .collect();
    ModelOutput {
        completion: choice.message.content_text().unwrap_or_default(),
        tool_calls,
        usage,
        stop_reason: choice.finish_reason.as_ref().map(reason_text),
    }
}

fn tool_call_value(call: &ToolCall) -> Value {
    serde_json::to_value(call).unwrap_or(Value::Null)
}

fn usage_of(usage: Usage) -> model::Usage {
    model::Usage {
        input_tokens: usage.prompt_tokens,
        output_tokens: usage.completion_tokens,
    }
}

fn reason_text(reason: &FinishReason) -> String {
    match serde_json::to_value(reason) {
        Ok(Value::String(text)) => text,
        _ => "unknown".to_owned(),
    }
}

/// The first answer of a stream, built chunk by chunk.
#[derive(Debug, Default)]
pub(super) struct Accumulator {
    text: String,
    tool_calls: BTreeMap<u32, ToolCallParts>,
    finish: Option<String>,
    usage: Option<Usage>,
}

#[derive(Debug, Default)]
struct ToolCallParts {
    id: String,
    kind: String,
    name: String,
    arguments: String,
}

impl Accumulator {
    pub(super) fn push(&mut self, chunk: Chunk) {
        if let Some(usage) = chunk.usage {
            self.usage = Some(usage);
        }
        for choice in chunk.choices.into_iter().filter(|c| c.index == 0) {
            if let Some(text) = choice.delta.content {
                self.text.push_str(&text);
            }
            for delta in choice.delta.tool_calls.unwrap_or_default() {
                let parts = self.tool_calls.entry(delta.index).or_default();
                if let Some(id) = delta.id {
                    parts.id = id;
                }
                if let Some(kind) = delta.kind {
                    parts.kind = kind;
                }
                if let Some(function) = delta.function {
                    if let Some(name) = function.name {
                        parts.name.push_str(&name);
                    }
                    if let Some(arguments) = function.arguments {
                        parts.arguments.push_str(&arguments);
                    }
                }
            }
            if let Some(reason) = choice.finish_reason {
                self.finish = Some(reason_text(&reason));
            }
        }
    }

    /// Whether the answer has said why it stopped.
    pub(super) fn finished(&self) -> bool {
        self.finish.is_some()
    }

    /// Usage from a translator that counts it outside the chunks.
    pub(super) fn set_usage(&mut self, usage: Option<Usage>) {
        if usage.is_some() {
            self.usage = usage;
        }
    }

    pub(super) fn output(self) -> ModelOutput {
        let tool_calls = self
            .tool_calls
            .into_values()
            .map(|parts| {
                json!({
                    "id": parts.id,
                    "type": if parts.kind.is_empty() { "function".to_owned() } else { parts.kind },
                    "function": { "name": parts.name, "arguments": parts.arguments },
                })
            })
            .collect();
        ModelOutput {
            completion: self.text,
            tool_calls,
            usage: self.usage.map(usage_of),
            stop_reason: self.finish,
        }
    }
}
