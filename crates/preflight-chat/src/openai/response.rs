//! Whole answers, stream chunks and token usage.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::request::{Message, Role};

/// A whole (non-streamed) answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatResponse {
    /// The answer's id.
    pub id: String,
    /// Always `chat.completion`.
    pub object: String,
    /// Unix time, in seconds, when it was created.
    pub created: i64,
    /// The model that answered.
    pub model: String,
    /// The answers, one per `n`.
    pub choices: Vec<ChatChoice>,
    /// Tokens used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
    /// Every other field, as received.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One answer of a [`ChatResponse`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatChoice {
    /// Its position among the answers.
    pub index: u32,
    /// The assistant's message.
    pub message: Message,
    /// Why generation stopped (`null` is written when unknown, as OpenAI does).
    #[serde(default)]
    pub finish_reason: Option<FinishReason>,
    /// Log probabilities, when asked for (`null` otherwise, as OpenAI does).
    #[serde(default)]
    pub logprobs: Option<Value>,
}

/// Why generation stopped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FinishReason {
    /// A natural end or a stop sequence.
    Stop,
    /// The token limit.
    Length,
    /// The model called tools.
    ToolCalls,
    /// Content was withheld.
    ContentFilter,
    /// The model called a function (deprecated).
    FunctionCall,
    /// Any other reason a server reports.
    #[serde(untagged)]
    Other(String),
}

/// One chunk of a streamed answer (`object: "chat.completion.chunk"`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatChunk {
    /// The answer's id, the same in every chunk.
    pub id: String,
    /// Always `chat.completion.chunk`.
    pub object: String,
    /// Unix time, in seconds, when the answer was created.
    pub created: i64,
    /// The model that answers.
    pub model: String,
    /// What this chunk adds to each answer; empty in the final usage chunk.
    pub choices: Vec<ChunkChoice>,
    /// Tokens used, in the final chunk when `stream_options.include_usage`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
}

impl ChatChunk {
    /// The `object` value of every chunk.
    pub const OBJECT: &'static str = "chat.completion.chunk";
}

/// What a chunk adds to one answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChunkChoice {
    /// The answer's position.
    pub index: u32,
    /// The increment.
    pub delta: Delta,
    /// Set in the answer's last chunk (`null` before, as OpenAI writes it).
    #[serde(default)]
    pub finish_reason: Option<FinishReason>,
}

/// An increment of the assistant's message.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Delta {
    /// `assistant`, in the first chunk.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    /// More text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    /// Tool calls started or continued.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_calls: Option<Vec<ToolCallDelta>>,
}

/// An increment of one tool call. The first one for an `index` carries its
/// `id`, `type` and function name; later ones add to `function.arguments`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolCallDelta {
    /// Which tool call of the message (counting tool calls only).
    pub index: u32,
    /// The call's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `function`.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// The function's name and more of its arguments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function: Option<FunctionCallDelta>,
}

/// The function part of a [`ToolCallDelta`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FunctionCallDelta {
    /// The function's name, in the first increment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// More of the JSON-encoded arguments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arguments: Option<String>,
}

/// Tokens used by one request. Only the three counts are kept.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    /// Input tokens.
    #[serde(default)]
    pub prompt_tokens: u64,
    /// Output tokens.
    #[serde(default)]
    pub completion_tokens: u64,
    /// Their sum.
    #[serde(default)]
    pub total_tokens: u64,
}

impl Usage {
    /// Usage with `total_tokens` the sum of the two counts.
    pub fn new(prompt_tokens: u64, completion_tokens: u64) -> Usage {
        Usage {
            prompt_tokens,
            completion_tokens,
            total_tokens: prompt_tokens.saturating_add(completion_tokens),
        }
    }
}

/// The usage a stream chunk reports: `Some` when `data` (the JSON of one
/// chunk, without the `data:` prefix) has a non-null `usage`. Chunks without
/// the key are rejected by a byte search before any parsing, so this is cheap
/// to call on every chunk of a stream; `[DONE]` and malformed JSON give `None`.
pub fn usage_of_chunk(data: &[u8]) -> Option<Usage> {
    const KEY: &[u8] = b"\"usage\"";
    if !data.windows(KEY.len()).any(|window| window == KEY) {
        return None;
    }
    #[derive(Deserialize)]
    struct UsageOnly {
        #[serde(default)]
        usage: Option<Usage>,
    }
    serde_json::from_slice::<UsageOnly>(data).ok()?.usage
}
