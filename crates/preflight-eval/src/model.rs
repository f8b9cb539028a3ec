//! What a model returns, as plain data. The `ModelClient` trait that
//! produces it belongs to the runner.

use serde::{Deserialize, Serialize};

/// A model's answer to one request.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ModelOutput {
    /// The text of the answer.
    pub completion: String,
    /// Tool calls as the provider sent them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
    /// Why generation stopped, in the provider's words (`stop`, `length`…).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_reason: Option<String>,
}

impl ModelOutput {
    /// An output with only a completion.
    pub fn text(completion: impl Into<String>) -> Self {
        ModelOutput {
            completion: completion.into(),
            ..ModelOutput::default()
        }
    }
}

/// Tokens a request used.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    pub input_tokens: u64,
    pub output_tokens: u64,
}
