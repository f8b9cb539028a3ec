//! Sandboxes for agentic tasks: one per sample, holding the task's files in
//! a writable work directory, running each command with no network (unless
//! asked), a private PID namespace, read-only system directories and limits
//! on processes, memory, CPU time, file size, output and wall-clock time.
//!
//! [`SandboxBackend`] creates sandboxes; [`Sandbox`] runs commands in one
//! and is torn down when its sample ends. [`bubblewrap`] is the backend
//! for one machine; a cluster backend (Kubernetes pods) implements the same
//! two traits. [`SandboxPool`] bounds how many sandboxes are alive at once.

mod backend;
pub mod bubblewrap;
mod error;
mod exec;
mod pool;
mod spec;

pub use backend::{Sandbox, SandboxBackend};
pub use error::SandboxError;
pub use exec::{ExecOutput, ExecRequest};
pub use pool::{PoolStats, SandboxLease, SandboxPool};
pub use spec::{FileCopy, SandboxLimits, SandboxSpec};
