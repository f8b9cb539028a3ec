//! One command in a sandbox and what came of it.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// A command to run in the work directory.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExecRequest {
    /// The program and its arguments, such as `["bash", "-c", "ls -la"]`.
    pub argv: Vec<String>,
    /// Written to the command's standard input, which is then closed.
    pub stdin: Vec<u8>,
    /// Overrides the sandbox's `command_timeout`.
    pub timeout: Option<Duration>,
    /// Overrides the sandbox's `output_bytes`.
    pub output_bytes: Option<usize>,
}

impl ExecRequest {
    /// `bash -c script`.
    pub fn shell(script: impl Into<String>) -> Self {
        ExecRequest {
            argv: vec!["bash".into(), "-c".into(), script.into()],
            ..ExecRequest::default()
        }
    }
}

/// How a command ended and what it printed. Every process the command
/// started has ended when this is returned.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecOutput {
    /// The exit status, when the command exited.
    pub exit_code: Option<i32>,
    /// The signal that ended it, when one did.
    pub signal: Option<i32>,
    /// The command ran past its timeout and was killed.
    pub timed_out: bool,
    /// Standard output, decoded lossily, at most the output cap.
    pub stdout: String,
    /// Bytes of standard output beyond the cap, read and dropped.
    pub stdout_dropped: u64,
    pub stderr: String,
    pub stderr_dropped: u64,
    pub duration: Duration,
}

impl ExecOutput {
    /// Exited with status 0.
    pub fn success(&self) -> bool {
        self.exit_code == Some(0)
    }
}
