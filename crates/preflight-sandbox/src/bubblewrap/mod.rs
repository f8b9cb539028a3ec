//! The backend for one machine: each command runs under
//! [bubblewrap](https://github.com/containers/bubblewrap) in fresh user,
//! PID, IPC, UTS, cgroup and (unless asked) network namespaces, over the
//! sandbox's persistent directories, with `prlimit` setting its limits.
//!
//! A sandbox is a directory under [`BubblewrapConfig::root`]:
//!
//! ```text
//! <root>/<random id>/
//!     owner            the Preflight process (pid and start time) and the uid
//!     passwd group hosts    bound read-only at /etc/passwd, /etc/group, /etc/hosts
//!     work/            bound read-write at /work: the task's files, the cwd, $HOME
//!     tmp/             bound read-write at /tmp
//! ```
//!
//! and, when running as root, `/run/preflight-sandbox-uids/<uid>` for each
//! uid a live sandbox holds ([`BubblewrapConfig::uid_claims`]), shared by
//! every Preflight process of the host whatever its root.
//!
//! Everything else the command sees is read-only: the system paths bound
//! from the host and a root file system that is remounted read-only.
//!
//! **Users.** When Preflight runs as root, every live sandbox gets a host
//! uid of its own from [`BubblewrapConfig::uid_range`] (bubblewrap run by
//! root without a user namespace would keep every capability, and the
//! kernel does not enforce `RLIMIT_NPROC` for root). The process limit is
//! then the sandbox's own, and teardown kills every process of that uid.
//! When Preflight runs as another user, sandboxes run as that user: the
//! process limit then counts all of that user's processes, and teardown
//! relies on the PID namespace alone. Inside, the user is `ctf`, uid 1000.
//!
//! **Processes end with their command.** Each command has a PID namespace
//! of its own. When its main process exits, bubblewrap's PID 1 there exits
//! too and the kernel kills everything else in the namespace; with a uid of
//! its own, `exec` waits for that (killing whatever of the uid is left)
//! before it returns, unless another command of the sandbox is running.
//! When its time is up, PID 1 is killed first, and bubblewrap exits only
//! once the namespace is empty. `--die-with-parent` does the same if
//! Preflight itself dies; the directories it leaves are removed by the
//! next [`Bubblewrap::new`] on the same root.
//!
//! `--die-with-parent` is tied to the thread that started bubblewrap (the
//! one polling `exec` when it spawns): call `exec` from a runtime's worker
//! threads, which live as long as the runtime, not from a thread that may
//! end while its command runs.
//!
//! **Not bounded**: disk space of `work/` and `tmp/` (only the size of each
//! file) and the memory of files written to `/dev/shm`; there is no
//! seccomp filter. Per-process writable memory, CPU time, file size, open
//! files and the number of processes are bounded.

mod command;
mod files;
mod home;
mod host;
mod procs;
mod run;
mod uids;

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures_util::future::BoxFuture;

use crate::{
    ExecOutput, ExecRequest, Sandbox, SandboxBackend, SandboxError, SandboxLimits, SandboxSpec,
};
use home::Home;
use host::Host;

/// Uids given to sandboxes when Preflight runs as root: 1,024 from
/// 3,000,000, far above the uids of people, system users and the usual
/// subordinate ranges of rootless containers (100,000 to 165,535).
pub const DEFAULT_UID_RANGE: Range<u32> = 3_000_000..3_001_024;

/// Where uids held by live sandboxes are recorded.
pub const DEFAULT_UID_CLAIMS: &str = "/run/preflight-sandbox-uids";

/// The uid and gid of the sandbox user `ctf`, as commands see them.
pub const SANDBOX_UID: u32 = 1000;

/// Where bubblewrap, `prlimit` and the sandboxes are, and what of the host
/// a command may read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BubblewrapConfig {
    /// The `bwrap` program; a bare name is looked up on `PATH`.
    pub bwrap: PathBuf,
    /// util-linux's `prlimit`; a bare name is looked up on `PATH`.
    pub prlimit: PathBuf,
    /// Where sandbox directories live. Created with mode 0711 when missing;
    /// when it exists it must belong to the current user and be writable by
    /// nobody else.
    pub root: PathBuf,
    /// Host paths bound read-only at the same place. A symbolic link (such
    /// as `/lib -> usr/lib` on a merged-`/usr` system) is recreated as a
    /// link when it points into another system path, and bound otherwise.
    pub system_paths: Vec<PathBuf>,
    /// Host uids for sandboxes when Preflight runs as root, one per live
    /// sandbox; uids named in `/etc/passwd` or gids in `/etc/group` are
    /// skipped. Reserve the range for Preflight: processes of a uid are
    /// killed when its sandbox ends. Unused when not running as root.
    pub uid_range: Range<u32>,
    /// One file per uid held by a live sandbox, created exclusively: the
    /// same directory for every Preflight process of the host, so that two
    /// never hold one uid. Under `/run`, emptied at boot. Unused when not
    /// running as root.
    pub uid_claims: PathBuf,
}

impl Default for BubblewrapConfig {
    fn default() -> Self {
        BubblewrapConfig {
            bwrap: "bwrap".into(),
            prlimit: "prlimit".into(),
            root: std::env::temp_dir().join("preflight-sandboxes"),
            system_paths: default_system_paths(),
            uid_range: DEFAULT_UID_RANGE,
            uid_claims: DEFAULT_UID_CLAIMS.into(),
        }
    }
}

/// The host paths a CTF task needs, those of them that exist here: `/usr`,
/// `/bin`, `/sbin`, `/lib*` (links on a merged-`/usr` system, directories
/// otherwise), the dynamic linker's cache, and the configuration under
/// `/etc` of the C library, `file`, Python, Perl, Java, gdb, Wireshark and
/// TLS certificates.
pub fn default_system_paths() -> Vec<PathBuf> {
    const FIXED: &[&str] = &[
        "/usr",
        "/bin",
        "/sbin",
        "/lib",
        "/lib32",
        "/lib64",
        "/libx32",
        "/etc/alternatives",
        "/etc/ld.so.cache",
        "/etc/ld.so.conf",
        "/etc/ld.so.conf.d",
        "/etc/localtime",
        "/etc/nsswitch.conf",
        "/etc/protocols",
        "/etc/services",
        "/etc/ssl",
        "/etc/ca-certificates",
        "/etc/gdb",
        "/etc/wireshark",
        "/etc/perl",
    ];
    // Prefixes of /etc entries: /etc/magic and /etc/magic.mime, /etc/python3
    // and /etc/python3.11, /etc/java-17-openjdk.
    const PREFIXES: &[&str] = &["magic", "python3", "java-"];
    let mut paths: Vec<PathBuf> = FIXED
        .iter()
        .map(PathBuf::from)
        .filter(|p| p.symlink_metadata().is_ok())
        .collect();
    if let Ok(entries) = std::fs::read_dir("/etc") {
        let mut found: Vec<PathBuf> = entries
            .flatten()
            .filter(|e| {
                let name = e.file_name();
                let name = name.to_string_lossy();
                PREFIXES.iter().any(|p| name.starts_with(p))
            })
            .map(|e| e.path())
            .collect();
        found.sort();
        paths.extend(found);
    }
    paths
}

/// The bubblewrap backend. Cheap to clone; clones share the uid range.
#[derive(Clone)]
pub struct Bubblewrap {
    host: Arc<Host>,
}

impl fmt::Debug for Bubblewrap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Bubblewrap")
            .field("version", &self.host.version)
            .field("root", &self.host.root)
            .field("own_uids", &self.host.own_uids())
            .finish_non_exhaustive()
    }
}

impl Bubblewrap {
    /// Checks that bubblewrap and `prlimit` run here and that unprivileged
    /// user namespaces work (a sandbox running `true`), prepares `root`,
    /// and removes what a killed Preflight left: its sandbox directories
    /// under `root`, and its uid claims after killing their processes.
    pub fn new(config: BubblewrapConfig) -> Result<Self, SandboxError> {
        let host = Host::prepare(config)?;
        home::sweep(&host);
        host.probe()?;
        Ok(Bubblewrap {
            host: Arc::new(host),
        })
    }

    /// `bubblewrap 0.8.0`, as `bwrap --version` says it.
    pub fn version(&self) -> &str {
        &self.host.version
    }

    /// Sandboxes get a host uid each (Preflight runs as root).
    pub fn own_uids(&self) -> bool {
        self.host.own_uids()
    }

    /// Where sandbox directories live.
    pub fn root(&self) -> &Path {
        &self.host.root
    }

    /// A new sandbox: its directory, the task's files, and a command
    /// (`true`) run in it, so that a sandbox returned is one that works.
    pub async fn create_sandbox(
        &self,
        spec: SandboxSpec,
    ) -> Result<BubblewrapSandbox, SandboxError> {
        let host = self.host.clone();
        let files = spec.files;
        // Directory work and copies block: off the runtime's threads.
        let home = tokio::task::spawn_blocking(move || -> Result<Home, SandboxError> {
            let home = Home::create(&host)?;
            files::copy_in(home.work(), &files)?;
            home.hand_over()?;
            Ok(home)
        })
        .await
        .map_err(|e| SandboxError::Spawn {
            reason: format!("sandbox set-up task failed: {e}"),
        })??;
        let sandbox = BubblewrapSandbox {
            host: self.host.clone(),
            home: Some(home),
            network: spec.network,
            limits: spec.limits,
            running: Commands::default(),
        };
        let probe = ExecRequest {
            argv: vec!["true".into()],
            timeout: Some(spec.limits.command_timeout.max(Duration::from_secs(30))),
            ..ExecRequest::default()
        };
        let out = sandbox.run(probe).await?;
        if !out.success() {
            return Err(SandboxError::Spawn {
                reason: format!(
                    "the new sandbox cannot run `true` ({}): {}",
                    run::describe_end(&out),
                    out.stderr.trim()
                ),
            });
        }
        Ok(sandbox)
    }
}

impl SandboxBackend for Bubblewrap {
    fn name(&self) -> &str {
        "bubblewrap"
    }

    fn create(&self, spec: SandboxSpec) -> BoxFuture<'_, Result<Box<dyn Sandbox>, SandboxError>> {
        Box::pin(async move {
            let sandbox = self.create_sandbox(spec).await?;
            Ok(Box::new(sandbox) as Box<dyn Sandbox>)
        })
    }
}

/// A live bubblewrap sandbox. Dropping it without [`Sandbox::teardown`]
/// tears it down synchronously.
pub struct BubblewrapSandbox {
    host: Arc<Host>,
    /// `None` once torn down.
    home: Option<Home>,
    network: bool,
    limits: SandboxLimits,
    running: Commands,
}

impl fmt::Debug for BubblewrapSandbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BubblewrapSandbox")
            .field("dir", &self.home.as_ref().map(Home::dir))
            .field("host_uid", &self.host_uid())
            .field("network", &self.network)
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl BubblewrapSandbox {
    /// The host uid of the sandbox's processes when it has one of its own
    /// (Preflight runs as root).
    pub fn host_uid(&self) -> Option<u32> {
        self.home.as_ref().and_then(Home::own_uid)
    }

    /// The sandbox's directory on the host.
    pub fn dir(&self) -> Option<&Path> {
        self.home.as_ref().map(Home::dir)
    }

    pub fn limits(&self) -> &SandboxLimits {
        &self.limits
    }

    fn home(&self) -> Result<&Home, SandboxError> {
        self.home.as_ref().ok_or(SandboxError::TornDown)
    }

    async fn run(&self, request: ExecRequest) -> Result<ExecOutput, SandboxError> {
        let home = self.home()?;
        if request.argv.is_empty() {
            return Err(SandboxError::Spawn {
                reason: "the command is empty (no program to run)".into(),
            });
        }
        if !home.work().is_dir() {
            return Err(SandboxError::TornDown);
        }
        let argv = command::argv(
            &self.host,
            home,
            &command::Options {
                network: self.network,
                limits: &self.limits,
            },
            &request.argv,
        );
        let mut cmd = tokio::process::Command::new(&self.host.prlimit);
        cmd.args(argv);
        if let Some(uid) = home.own_uid() {
            cmd.uid(uid).gid(uid);
        }
        let timeout = request.timeout.unwrap_or(self.limits.command_timeout);
        let cap = request.output_bytes.unwrap_or(self.limits.output_bytes);

        let running = self.running.enter().await;
        let output = run::run(cmd, request.stdin, timeout, cap).await?;
        if let Some(uid) = home.own_uid() {
            // bubblewrap exits when the command's main process does; the
            // kernel then ends the rest of its PID namespace, a moment
            // later. When no other command runs, that moment is waited
            // for here, and whatever is left of the uid is killed.
            let _gate = self.running.gate.lock().await;
            if self.running.count.load(Ordering::SeqCst) == 1 {
                let _ = tokio::task::spawn_blocking(move || procs::kill_all_of(uid)).await;
            }
        }
        drop(running);
        Ok(output)
    }
}

/// The commands running in a sandbox.
#[derive(Debug, Default)]
struct Commands {
    count: AtomicUsize,
    /// Held while a command starts, and while the processes of the uid
    /// are killed after the last one: never both at once.
    gate: tokio::sync::Mutex<()>,
}

impl Commands {
    async fn enter(&self) -> Running<'_> {
        let _gate = self.gate.lock().await;
        self.count.fetch_add(1, Ordering::SeqCst);
        Running(&self.count)
    }
}

/// Counts a command as running while it lives, however it ends.
struct Running<'a>(&'a AtomicUsize);

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Sandbox for BubblewrapSandbox {
    fn exec(&self, request: ExecRequest) -> BoxFuture<'_, Result<ExecOutput, SandboxError>> {
        Box::pin(self.run(request))
    }

    fn read_file<'a>(&'a self, path: &'a Path) -> BoxFuture<'a, Result<Vec<u8>, SandboxError>> {
        Box::pin(async move {
            let work = self.home()?.work().to_owned();
            let path = path.to_owned();
            tokio::task::spawn_blocking(move || files::read(&work, &path))
                .await
                .map_err(|e| SandboxError::Spawn {
                    reason: format!("file read task failed: {e}"),
                })?
        })
    }

    fn write_file<'a>(
        &'a self,
        path: &'a Path,
        contents: &'a [u8],
    ) -> BoxFuture<'a, Result<(), SandboxError>> {
        Box::pin(async move {
            let home = self.home()?;
            let work = home.work().to_owned();
            let owner = home.own_uid();
            let path = path.to_owned();
            let contents = contents.to_vec();
            tokio::task::spawn_blocking(move || files::write(&work, &path, &contents, owner))
                .await
                .map_err(|e| SandboxError::Spawn {
                    reason: format!("file write task failed: {e}"),
                })?
        })
    }

    fn teardown(mut self: Box<Self>) -> BoxFuture<'static, Result<(), SandboxError>> {
        let home = self.home.take();
        Box::pin(async move {
            let Some(mut home) = home else {
                return Ok(());
            };
            tokio::task::spawn_blocking(move || home.destroy())
                .await
                .map_err(|e| SandboxError::Spawn {
                    reason: format!("teardown task failed: {e}"),
                })?
        })
    }
}
