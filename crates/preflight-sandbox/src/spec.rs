//! What a sandbox is made of: the files it starts with, whether it may
//! reach the network, and its limits.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// A sandbox to create.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SandboxSpec {
    /// Copied into the work directory before the sandbox is ready.
    pub files: Vec<FileCopy>,
    /// Share the host's network. Off by default: the sandbox then has only
    /// its own loopback interface.
    pub network: bool,
    pub limits: SandboxLimits,
}

/// A host file or directory tree copied into the work directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileCopy {
    /// On the host.
    pub from: PathBuf,
    /// Relative to the work directory; must not leave it.
    pub to: PathBuf,
}

/// Limits of one sandbox. Process, memory, CPU and file-size limits apply
/// to every command run in it; `command_timeout` is the default wall-clock
/// limit of one command and `output_bytes` the default cap on what one
/// command may print (each of stdout and stderr).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SandboxLimits {
    /// Processes (and threads) alive at once.
    pub processes: u32,
    /// Memory each process may make writable (its data segment and private
    /// writable mappings: `RLIMIT_DATA`), in bytes. Unlike a limit on the
    /// address space, this lets runtimes that reserve large ranges they
    /// never use (the JVM, Go) start.
    pub memory_bytes: u64,
    /// CPU time of each process, in seconds.
    pub cpu_seconds: u64,
    /// The largest file a command may write, in bytes.
    pub file_bytes: u64,
    /// Bytes kept of each of stdout and stderr; the rest is counted, not kept.
    pub output_bytes: usize,
    #[serde(with = "seconds")]
    pub command_timeout: Duration,
}

impl Default for SandboxLimits {
    fn default() -> Self {
        SandboxLimits {
            processes: 256,
            memory_bytes: 2 << 30,
            cpu_seconds: 120,
            file_bytes: 256 << 20,
            output_bytes: 64 << 10,
            command_timeout: Duration::from_secs(180),
        }
    }
}

mod seconds {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(value: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_f64(value.as_secs_f64())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
        let seconds = f64::deserialize(deserializer)?;
        Duration::try_from_secs_f64(seconds).map_err(serde::de::Error::custom)
    }
}
