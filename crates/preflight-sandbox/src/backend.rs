//! The two traits a sandbox backend implements.

use std::fmt;
use std::path::Path;

use futures_util::future::BoxFuture;

use crate::{ExecOutput, ExecRequest, SandboxError, SandboxSpec};

/// Creates sandboxes: bubblewrap on this machine, pods on a cluster.
pub trait SandboxBackend: Send + Sync + fmt::Debug {
    /// As logs and reports name it (`bubblewrap`).
    fn name(&self) -> &str;

    /// A new sandbox holding `spec.files`, ready to run commands.
    fn create(&self, spec: SandboxSpec) -> BoxFuture<'_, Result<Box<dyn Sandbox>, SandboxError>>;
}

/// A live sandbox. Files written by one command are seen by the next;
/// processes end with the command that started them.
pub trait Sandbox: Send + Sync + fmt::Debug {
    /// Runs one command in the work directory.
    fn exec(&self, request: ExecRequest) -> BoxFuture<'_, Result<ExecOutput, SandboxError>>;

    /// Reads a file of the work directory (a relative path that must not
    /// leave it).
    fn read_file<'a>(&'a self, path: &'a Path) -> BoxFuture<'a, Result<Vec<u8>, SandboxError>>;

    /// Writes a file into the work directory.
    fn write_file<'a>(
        &'a self,
        path: &'a Path,
        contents: &'a [u8],
    ) -> BoxFuture<'a, Result<(), SandboxError>>;

    /// Ends every process and removes the sandbox's files. Dropping a
    /// sandbox without calling this tears it down too, synchronously.
    fn teardown(self: Box<Self>) -> BoxFuture<'static, Result<(), SandboxError>>;
}
