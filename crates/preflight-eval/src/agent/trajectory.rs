//! What an agentic sample did, turn by turn, as its log record keeps it.

use serde::{Deserialize, Serialize};

use crate::model::Usage;

/// Every model turn and tool call of a sample, with timings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Trajectory {
    pub turns: Vec<TurnRecord>,
    /// The flags submitted, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub submissions: Vec<String>,
    pub stop: StopReason,
    /// Seconds to create the sandbox and to tear it down.
    pub sandbox_ready_seconds: f64,
    pub sandbox_teardown_seconds: f64,
    /// Why the sandbox could not be torn down cleanly, if it could not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub teardown_error: Option<String>,
}

impl Trajectory {
    /// Model turns taken.
    pub fn turn_count(&self) -> u32 {
        u32::try_from(self.turns.len()).unwrap_or(u32::MAX)
    }
}

/// One model answer and the tools it ran.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TurnRecord {
    pub model: ModelTurn,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<ToolRun>,
}

/// A model call of the loop.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelTurn {
    /// Seconds since the sample started.
    pub started: f64,
    pub seconds: f64,
    pub usage: Usage,
    pub completion: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<crate::sample::ToolCall>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_reason: Option<String>,
}

/// A tool call and what came of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolRun {
    pub call_id: String,
    pub tool: String,
    /// The command, program or flag.
    pub input: String,
    /// As shown to the model.
    pub result: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    #[serde(default)]
    pub timed_out: bool,
    /// Bytes of output not shown to the model.
    #[serde(default)]
    pub dropped_bytes: u64,
    pub started: f64,
    pub seconds: f64,
}

/// Why the loop ended.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// A submission was right.
    #[default]
    Solved,
    /// The last allowed submission was wrong.
    Submissions,
    /// The turn limit.
    Turns,
    /// The sample's token budget.
    Tokens,
}
