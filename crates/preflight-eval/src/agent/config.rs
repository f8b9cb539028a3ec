//! A suite's `[agent]` and `[sandbox]` tables.

use serde::{Deserialize, Serialize};

/// How the agent runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentConfig {
    /// Model turns before the sample stops unsolved.
    #[serde(default = "default_max_turns")]
    pub max_turns: u32,
    /// How the model calls tools.
    #[serde(default)]
    pub tool_calls: ToolCalling,
    /// The tools offered.
    #[serde(default = "default_tools")]
    pub tools: Vec<ToolName>,
    /// Wall-clock limit of one tool call.
    #[serde(default = "default_tool_timeout")]
    pub tool_timeout_seconds: u64,
    /// Bytes of each of a tool's stdout and stderr shown to the model; the
    /// model is told how much was cut.
    #[serde(default = "default_output_limit")]
    pub output_limit_bytes: usize,
    /// Flags the model may submit before the sample ends unsolved.
    #[serde(default = "one")]
    pub max_submissions: u32,
}

impl Default for AgentConfig {
    fn default() -> Self {
        AgentConfig {
            max_turns: default_max_turns(),
            tool_calls: ToolCalling::default(),
            tools: default_tools(),
            tool_timeout_seconds: default_tool_timeout(),
            output_limit_bytes: default_output_limit(),
            max_submissions: 1,
        }
    }
}

fn default_max_turns() -> u32 {
    30
}
fn default_tools() -> Vec<ToolName> {
    vec![ToolName::Bash, ToolName::Python, ToolName::Submit]
}
fn default_tool_timeout() -> u64 {
    180
}
fn default_output_limit() -> usize {
    16 << 10
}
fn one() -> u32 {
    1
}

/// How tool calls travel.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ToolCalling {
    /// The API's tool calling; an answer without calls that holds fenced
    /// code blocks is read as [`ToolCalling::Text`] would.
    #[default]
    Native,
    /// No tool definitions are sent: the model writes ```bash or ```python
    /// blocks and `submit: FLAG`, for models without tool calling.
    Text,
}

/// A tool the agent may offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ToolName {
    Bash,
    Python,
    Submit,
}

impl ToolName {
    pub fn as_str(self) -> &'static str {
        match self {
            ToolName::Bash => "bash",
            ToolName::Python => "python",
            ToolName::Submit => "submit",
        }
    }
}

/// The sandbox each sample gets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SandboxSettings {
    /// `bubblewrap`, the one backend of a single machine.
    #[serde(default = "bubblewrap")]
    pub backend: String,
    /// Processes alive at once in one sandbox.
    #[serde(default = "default_processes")]
    pub processes: u32,
    /// Address space of each process, MiB.
    #[serde(default = "default_memory")]
    pub memory_mb: u64,
    /// CPU seconds of each process.
    #[serde(default = "default_cpu")]
    pub cpu_seconds: u64,
    /// The largest file a command may write, MiB.
    #[serde(default = "default_file")]
    pub file_mb: u64,
    /// Sandboxes alive at once when the command line does not say.
    #[serde(default = "default_alive")]
    pub max_alive: usize,
}

impl Default for SandboxSettings {
    fn default() -> Self {
        SandboxSettings {
            backend: bubblewrap(),
            processes: default_processes(),
            memory_mb: default_memory(),
            cpu_seconds: default_cpu(),
            file_mb: default_file(),
            max_alive: default_alive(),
        }
    }
}

fn bubblewrap() -> String {
    "bubblewrap".to_owned()
}
fn default_processes() -> u32 {
    128
}
fn default_memory() -> u64 {
    2048
}
fn default_cpu() -> u64 {
    120
}
fn default_file() -> u64 {
    256
}
fn default_alive() -> usize {
    4
}
