use std::path::PathBuf;

/// Why a sandbox could not be created, used or torn down. A command that
/// fails inside a sandbox is not an error: it is an [`crate::ExecOutput`].
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error("the sandbox backend is not available: {reason}")]
    Unavailable { reason: String },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("file copy {from} -> {to}: {reason}")]
    BadFile {
        from: PathBuf,
        to: PathBuf,
        reason: String,
    },
    #[error("cannot start the command: {reason}")]
    Spawn { reason: String },
    #[error("the sandbox has been torn down")]
    TornDown,
}
