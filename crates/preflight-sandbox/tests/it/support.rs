//! Shared helpers: one backend for the binary, sandboxes with short
//! limits, temporary host directories, and `/proc` as the host sees it.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use preflight_sandbox::bubblewrap::{Bubblewrap, BubblewrapConfig, BubblewrapSandbox};
use preflight_sandbox::{ExecOutput, ExecRequest, Sandbox, SandboxLimits, SandboxSpec};

/// The backend on the default root, shared by the tests of this binary.
pub fn backend() -> Bubblewrap {
    static BACKEND: OnceLock<Bubblewrap> = OnceLock::new();
    BACKEND
        .get_or_init(|| {
            Bubblewrap::new(BubblewrapConfig::default()).unwrap_or_else(|e| {
                panic!("{e} (scripts/lib/sandbox.sh: sandbox_tools_install installs it)")
            })
        })
        .clone()
}

/// A backend of its own whose sandboxes live under `root`.
pub fn backend_in(root: &Path) -> Bubblewrap {
    Bubblewrap::new(BubblewrapConfig {
        root: root.to_owned(),
        ..BubblewrapConfig::default()
    })
    .expect("bubblewrap backend")
}

/// Default limits, but a 60 s command timeout.
pub fn spec() -> SandboxSpec {
    SandboxSpec {
        limits: SandboxLimits {
            command_timeout: Duration::from_secs(60),
            ..SandboxLimits::default()
        },
        ..SandboxSpec::default()
    }
}

pub async fn sandbox(spec: SandboxSpec) -> BubblewrapSandbox {
    backend()
        .create_sandbox(spec)
        .await
        .expect("sandbox creation")
}

/// `bash -c script`, which must run (whatever its status).
pub async fn sh(sandbox: &dyn Sandbox, script: &str) -> ExecOutput {
    sandbox
        .exec(ExecRequest::shell(script))
        .await
        .expect("exec")
}

/// `bash -c script` with a timeout.
pub async fn sh_within(sandbox: &dyn Sandbox, script: &str, timeout: Duration) -> ExecOutput {
    sandbox
        .exec(ExecRequest {
            timeout: Some(timeout),
            ..ExecRequest::shell(script)
        })
        .await
        .expect("exec")
}

/// A word no other test or process uses.
pub fn marker(prefix: &str) -> String {
    format!("{prefix}-{:016x}", rand::random::<u64>())
}

/// A host directory removed when dropped.
#[derive(Debug)]
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(prefix: &str) -> TempDir {
        Self::under(&std::env::temp_dir(), prefix)
    }

    pub fn under(parent: &Path, prefix: &str) -> TempDir {
        let dir = parent.join(marker(prefix));
        fs::create_dir_all(&dir).expect("temp dir");
        TempDir(dir)
    }

    /// Under `/root` when running as root (a place no other user may
    /// read), else under the temp dir.
    pub fn private(prefix: &str) -> TempDir {
        if rustix::process::geteuid().is_root() {
            Self::under(Path::new("/root"), prefix)
        } else {
            Self::new(prefix)
        }
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// A host process as `/proc` shows it.
#[derive(Debug, Clone)]
pub struct HostProcess {
    pub uids: Vec<u32>,
    pub cmdline: String,
}

/// Every live (not zombie) process of the host.
pub fn host_processes() -> Vec<HostProcess> {
    let mut out = Vec::new();
    for entry in fs::read_dir("/proc").expect("/proc").flatten() {
        if entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
            .is_none()
        {
            continue;
        }
        let Ok(status) = fs::read_to_string(entry.path().join("status")) else {
            continue;
        };
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .unwrap_or("")
                .trim()
                .to_owned()
        };
        if field("State:").starts_with('Z') {
            continue;
        }
        let uids = field("Uid:")
            .split_whitespace()
            .filter_map(|u| u.parse().ok())
            .collect();
        let cmdline = fs::read(entry.path().join("cmdline"))
            .map(|b| String::from_utf8_lossy(&b).replace('\0', " "))
            .unwrap_or_default();
        out.push(HostProcess { uids, cmdline });
    }
    out
}

pub fn processes_of_uid(uid: u32) -> Vec<HostProcess> {
    host_processes()
        .into_iter()
        .filter(|p| p.uids.contains(&uid))
        .collect()
}

pub fn processes_with(marker: &str) -> Vec<HostProcess> {
    host_processes()
        .into_iter()
        .filter(|p| p.cmdline.contains(marker))
        .collect()
}

/// Polls `check` until it holds or `limit` passes; whether it held.
pub async fn eventually(limit: Duration, mut check: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    loop {
        if check() {
            return true;
        }
        if start.elapsed() > limit {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Sandbox directories under `root`.
pub fn sandbox_dirs(root: &Path) -> Vec<PathBuf> {
    fs::read_dir(root)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.is_dir())
                .collect()
        })
        .unwrap_or_default()
}
