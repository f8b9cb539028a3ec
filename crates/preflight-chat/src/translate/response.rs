//! A whole Messages API answer as an OpenAI answer.

use serde_json::{Map, Value};

use crate::anthropic::{self, ContentBlock, StopReason};
use crate::openai::{self, FinishReason, FunctionCall, MessageContent, Role, ToolCall, Usage};

/// Translates an answer, naming `model` (the model the client asked for) and
/// stamping it `created` (Unix seconds).
///
/// Text blocks are concatenated into `content` (absent when there is none),
/// `tool_use` blocks become `tool_calls` with compact JSON arguments, thinking
/// and other blocks are left out, the stop reason is mapped by
/// [`finish_reason`], and cached input tokens count as prompt tokens.
pub fn anthropic_to_openai(
    resp: anthropic::MessagesResponse,
    model: &str,
    created: i64,
) -> openai::ChatResponse {
    let mut text: Option<String> = None;
    let mut tool_calls = Vec::new();
    for block in resp.content {
        match block {
            ContentBlock::Text { text: more } => text.get_or_insert_default().push_str(&more),
            ContentBlock::ToolUse { id, name, input } => tool_calls.push(ToolCall {
                id,
                kind: "function".to_owned(),
                function: FunctionCall {
                    name,
                    arguments: compact_arguments(&input),
                },
            }),
            _ => {}
        }
    }
    let message = openai::Message {
        role: Role::Assistant,
        content: text.map(MessageContent::Text),
        tool_calls: (!tool_calls.is_empty()).then_some(tool_calls),
        tool_call_id: None,
        name: None,
        extra: Map::new(),
    };
    openai::ChatResponse {
        id: resp.id,
        object: "chat.completion".to_owned(),
        created,
        model: model.to_owned(),
        choices: vec![openai::ChatChoice {
            index: 0,
            message,
            finish_reason: resp.stop_reason.as_ref().map(finish_reason),
            logprobs: None,
        }],
        usage: Some(Usage::new(
            resp.usage.total_input_tokens(),
            resp.usage.output_tokens,
        )),
        extra: Map::new(),
    }
}

/// The OpenAI finish reason for a stop reason: `end_turn`, `stop_sequence`
/// and `pause_turn` are `stop`, `max_tokens` (and a full context window) is
/// `length`, `tool_use` is `tool_calls`, `refusal` is `content_filter`, and
/// any other is `stop`.
pub fn finish_reason(reason: &StopReason) -> FinishReason {
    match reason {
        StopReason::EndTurn | StopReason::StopSequence | StopReason::PauseTurn => {
            FinishReason::Stop
        }
        StopReason::MaxTokens => FinishReason::Length,
        StopReason::ToolUse => FinishReason::ToolCalls,
        StopReason::Refusal => FinishReason::ContentFilter,
        StopReason::Other(other) if other == "model_context_window_exceeded" => {
            FinishReason::Length
        }
        StopReason::Other(_) => FinishReason::Stop,
    }
}

/// A tool's input as OpenAI arguments: compact JSON, `{}` when absent.
pub(super) fn compact_arguments(input: &Value) -> String {
    match input {
        Value::Null => "{}".to_owned(),
        input => input.to_string(),
    }
}
