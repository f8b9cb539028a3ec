//! The agentic solver's pure half: its settings, the tools it offers, how
//! tool calls are read from an answer (native calls, or fenced code blocks
//! for models without tool calling), how results are shown to the model,
//! and the trajectory a sample's log record keeps. The loop itself runs in
//! the runner, against a model client and a sandbox.

mod config;
mod prompt;
pub(crate) mod tools;
mod trajectory;

pub use config::{AgentConfig, SandboxSettings, ToolCalling, ToolName};
pub use prompt::{continue_message, system_prompt};
pub use tools::{Invocation, ToolRequest, definitions, parse_native, parse_text, result_text};
pub use trajectory::{ModelTurn, StopReason, ToolRun, Trajectory, TurnRecord};
