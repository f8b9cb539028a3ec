//! What the backend found on this machine: its programs, its root
//! directory, the system paths it binds, and whose uids sandboxes run as.

use std::collections::HashSet;
use std::fs;
use std::io;
use std::ops::Range;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::AtomicU32;

use super::procs::Owner;
use super::{BubblewrapConfig, command, uids};
use crate::SandboxError;

/// Open files allowed to each process, unless the host allows fewer.
const NOFILE: u64 = 1024;

#[derive(Debug)]
pub(super) struct Host {
    pub bwrap: PathBuf,
    pub prlimit: PathBuf,
    pub version: String,
    pub root: PathBuf,
    /// One file per uid held (when running as root).
    pub claims: PathBuf,
    pub system: Vec<SystemPath>,
    pub identity: Identity,
    /// This process, as sandbox directories and uid claims record it.
    pub owner: Owner,
    pub nofile: u64,
}

/// One read-only path of the host as the sandbox shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum SystemPath {
    Bind(PathBuf),
    Link { path: PathBuf, target: PathBuf },
}

#[derive(Debug)]
pub(super) enum Identity {
    /// Running as root: each sandbox takes a uid of `range`.
    Own {
        range: Range<u32>,
        /// Where the search for a free uid starts next.
        cursor: AtomicU32,
        /// Uids or gids of the host's users and groups.
        reserved: HashSet<u32>,
    },
    /// Running as another user: sandboxes run as this user.
    Shared,
}

impl Host {
    pub fn prepare(config: BubblewrapConfig) -> Result<Host, SandboxError> {
        let bwrap = find_program(&config.bwrap, "bubblewrap")?;
        let prlimit = find_program(&config.prlimit, "util-linux")?;
        let version = version_of(&bwrap)?;
        let root = absolute(&config.root)?;
        prepare_root(&root)?;
        let claims = absolute(&config.uid_claims)?;
        let system = classify(&config.system_paths)?;
        let identity = if rustix::process::geteuid().is_root() {
            prepare_private_dir(&claims, 0o700)?;
            let range = config.uid_range;
            if range.is_empty() || range.start < 1000 {
                return Err(unavailable(format!(
                    "invalid uid range {}..{}: it must be non-empty and start at 1000 or above",
                    range.start, range.end
                )));
            }
            let mut reserved = ids_in("/etc/passwd");
            reserved.extend(ids_in("/etc/group"));
            let len = range.end - range.start;
            Identity::Own {
                cursor: AtomicU32::new(rand::random::<u32>() % len),
                range,
                reserved,
            }
        } else {
            Identity::Shared
        };
        let owner = Owner::me().map_err(|source| SandboxError::Io {
            path: "/proc/self/stat".into(),
            source,
        })?;
        let nofile = rustix::process::getrlimit(rustix::process::Resource::Nofile)
            .maximum
            .map_or(NOFILE, |hard| hard.min(NOFILE));
        Ok(Host {
            bwrap,
            prlimit,
            version,
            root,
            claims,
            system,
            identity,
            owner,
            nofile,
        })
    }

    pub fn own_uids(&self) -> bool {
        matches!(self.identity, Identity::Own { .. })
    }

    /// Runs `true` in a sandbox without directories of its own, as a
    /// sandbox would run: proves that user namespaces work here.
    pub fn probe(&self) -> Result<(), SandboxError> {
        let claim = uids::UidClaim::take(self)?;
        let mut cmd = Command::new(&self.bwrap);
        cmd.args(command::probe_args(self))
            .env_clear()
            .current_dir("/")
            .stdin(Stdio::null());
        if let Some(claim) = &claim {
            cmd.uid(claim.uid()).gid(claim.uid());
        }
        let out = cmd
            .output()
            .map_err(|e| unavailable(format!("cannot run {}: {e}", self.bwrap.display())))?;
        if out.status.success() {
            return Ok(());
        }
        let stderr = String::from_utf8_lossy(&out.stderr);
        let mut reason = format!(
            "{} cannot create a sandbox here ({}): {}",
            self.bwrap.display(),
            out.status,
            stderr.trim()
        );
        if stderr.contains("namespace") || stderr.contains("uid map") {
            reason.push_str(
                " (unprivileged user namespaces must be allowed: sysctl \
                 user.max_user_namespaces above 0, kernel.unprivileged_userns_clone=1 \
                 where it exists, and no AppArmor rule against bwrap)",
            );
        }
        Err(unavailable(reason))
    }
}

fn unavailable(reason: String) -> SandboxError {
    SandboxError::Unavailable { reason }
}

/// `program` itself when it names a path, else its first executable match
/// on `PATH`.
fn find_program(program: &Path, package: &str) -> Result<PathBuf, SandboxError> {
    let executable = |p: &Path| {
        fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    };
    if program.components().count() > 1 {
        return if executable(program) {
            Ok(program.to_owned())
        } else {
            Err(unavailable(format!(
                "{} is not an executable file; install the Debian package {package}",
                program.display()
            )))
        };
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|p| p.is_absolute() && executable(p))
        .ok_or_else(|| {
            unavailable(format!(
                "{} not found on PATH; install the Debian package {package}",
                program.display()
            ))
        })
}

fn version_of(bwrap: &Path) -> Result<String, SandboxError> {
    let out = Command::new(bwrap)
        .arg("--version")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| unavailable(format!("cannot run {}: {e}", bwrap.display())))?;
    if !out.status.success() {
        return Err(unavailable(format!(
            "{} --version failed ({}): {}",
            bwrap.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

fn absolute(path: &Path) -> Result<PathBuf, SandboxError> {
    std::path::absolute(path).map_err(|source| SandboxError::Io {
        path: path.to_owned(),
        source,
    })
}

/// The root exists, is a directory of ours that nobody else may write,
/// and others may traverse (each sandbox's bubblewrap runs as its uid).
fn prepare_root(root: &Path) -> Result<(), SandboxError> {
    prepare_private_dir(root, 0o711)?;
    fs::set_permissions(root, fs::Permissions::from_mode(0o711)).map_err(|source| {
        SandboxError::Io {
            path: root.to_owned(),
            source,
        }
    })
}

/// `dir` exists (made with `mode` when missing, parents too) and is a
/// directory of ours that nobody else may write.
fn prepare_private_dir(dir: &Path, mode: u32) -> Result<(), SandboxError> {
    let io_err = |source: io::Error| SandboxError::Io {
        path: dir.to_owned(),
        source,
    };
    if let Some(parent) = dir.parent() {
        fs::create_dir_all(parent).map_err(io_err)?;
    }
    make_private_dir(dir, mode)?;
    let meta = fs::symlink_metadata(dir).map_err(io_err)?;
    let me = rustix::process::geteuid().as_raw();
    if !meta.is_dir() || meta.uid() != me || meta.mode() & 0o022 != 0 {
        return Err(unavailable(format!(
            "{} must be a directory owned by uid {me} that only its owner may write \
             (it is {}, owned by uid {}, mode {:o})",
            dir.display(),
            if meta.is_dir() {
                "a directory"
            } else {
                "not a directory"
            },
            meta.uid(),
            meta.mode() & 0o7777
        )));
    }
    Ok(())
}

fn make_private_dir(dir: &Path, mode: u32) -> Result<(), SandboxError> {
    match fs::DirBuilder::new().mode(mode).create(dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
        Err(source) => Err(SandboxError::Io {
            path: dir.to_owned(),
            source,
        }),
    }
}

/// Binds, or links where a host link points into another bound path.
fn classify(paths: &[PathBuf]) -> Result<Vec<SystemPath>, SandboxError> {
    let mut out = Vec::with_capacity(paths.len());
    for path in paths {
        if !path.is_absolute() {
            return Err(unavailable(format!(
                "system path {} must be absolute",
                path.display()
            )));
        }
        let meta = fs::symlink_metadata(path)
            .map_err(|e| unavailable(format!("system path {} is unusable: {e}", path.display())))?;
        if !meta.file_type().is_symlink() {
            out.push(SystemPath::Bind(path.clone()));
            continue;
        }
        let target = fs::read_link(path).map_err(|source| SandboxError::Io {
            path: path.clone(),
            source,
        })?;
        let resolved = fs::canonicalize(path).map_err(|e| {
            unavailable(format!(
                "system path {} is a link to {} that does not resolve: {e}",
                path.display(),
                target.display()
            ))
        })?;
        let inside_another = paths.iter().any(|other| {
            other != path
                && fs::symlink_metadata(other).is_ok_and(|m| !m.file_type().is_symlink())
                && resolved.starts_with(other)
        });
        out.push(if inside_another {
            SystemPath::Link {
                path: path.clone(),
                target,
            }
        } else {
            SystemPath::Bind(path.clone())
        });
    }
    Ok(out)
}

/// The third field of each line of `/etc/passwd` or `/etc/group`.
fn ids_in(file: &str) -> HashSet<u32> {
    fs::read_to_string(file)
        .unwrap_or_default()
        .lines()
        .filter_map(|line| line.split(':').nth(2)?.parse().ok())
        .collect()
}
