//! The command line of one command in a sandbox:
//! `prlimit <limits> -- bwrap <namespaces, mounts, environment> -- argv`.

use std::ffi::{OsStr, OsString};

use super::SANDBOX_UID;
use super::home::Home;
use super::host::{Host, SystemPath};
use crate::SandboxLimits;

/// Processes of bubblewrap itself under the sandbox's uid: the one outside
/// the namespaces and PID 1 inside. The process limit counts them.
const BWRAP_PROCESSES: u64 = 2;

/// The whole environment of a command.
pub(super) const ENVIRONMENT: &[(&str, &str)] = &[
    (
        "PATH",
        "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    ),
    ("HOME", "/work"),
    ("USER", "ctf"),
    ("LANG", "C.UTF-8"),
    ("TERM", "dumb"),
];

pub(super) struct Options<'a> {
    pub network: bool,
    pub limits: &'a SandboxLimits,
}

/// Arguments of `prlimit` (the program run) for `command` in `home`.
pub(super) fn argv(
    host: &Host,
    home: &Home,
    options: &Options<'_>,
    command: &[String],
) -> Vec<OsString> {
    let l = options.limits;
    let mut a = Args(Vec::with_capacity(96 + command.len()));
    // A bare `--name=N` sets both the soft and the hard limit.
    a.arg(format!(
        "--nproc={}",
        u64::from(l.processes) + BWRAP_PROCESSES
    ))
    .arg(format!("--data={}", l.memory_bytes))
    .arg(format!("--cpu={}", l.cpu_seconds))
    .arg(format!("--fsize={}", l.file_bytes))
    .arg(format!("--nofile={}", host.nofile))
    .arg("--core=0")
    .arg("--")
    .arg(&host.bwrap);
    namespaces(&mut a, options.network);
    system(&mut a, host);
    a.mount("--bind", home.work(), "/work")
        .mount("--bind", home.tmp(), "/tmp")
        .mount("--symlink", "../tmp", "/var/tmp")
        .mount("--ro-bind", home.file("passwd"), "/etc/passwd")
        .mount("--ro-bind", home.file("group"), "/etc/group");
    if options.network {
        a.mount("--ro-bind-try", "/etc/hosts", "/etc/hosts").mount(
            "--ro-bind-try",
            "/etc/resolv.conf",
            "/etc/resolv.conf",
        );
    } else {
        a.mount("--ro-bind", home.file("hosts"), "/etc/hosts");
    }
    finish(&mut a, "/work");
    a.arg("--");
    a.0.extend(command.iter().map(OsString::from));
    a.0
}

/// Arguments of `bwrap` for `true` in a sandbox with nothing of its own.
pub(super) fn probe_args(host: &Host) -> Vec<OsString> {
    let mut a = Args(Vec::with_capacity(64));
    namespaces(&mut a, false);
    system(&mut a, host);
    finish(&mut a, "/");
    a.arg("--").arg("true");
    a.0
}

fn namespaces(a: &mut Args, network: bool) {
    // Every namespace, the user namespace required (never root's
    // capabilities), and no further user namespaces inside.
    a.arg("--unshare-all");
    if network {
        a.arg("--share-net");
    }
    a.arg("--unshare-user")
        .arg("--disable-userns")
        .arg("--uid")
        .arg(SANDBOX_UID.to_string())
        .arg("--gid")
        .arg(SANDBOX_UID.to_string())
        .arg("--hostname")
        .arg("sandbox")
        .arg("--die-with-parent")
        .arg("--new-session")
        .arg("--cap-drop")
        .arg("ALL")
        .arg("--proc")
        .arg("/proc")
        .arg("--dev")
        .arg("/dev");
}

fn system(a: &mut Args, host: &Host) {
    for p in &host.system {
        match p {
            SystemPath::Bind(p) => a.mount("--ro-bind", p, p),
            SystemPath::Link { path, target } => a.mount("--symlink", target, path),
        };
    }
}

fn finish(a: &mut Args, cwd: &str) {
    // The tmpfs root that holds the mount points, read-only from now on.
    a.arg("--remount-ro").arg("/").arg("--chdir").arg(cwd);
    a.arg("--clearenv");
    for (k, v) in ENVIRONMENT {
        a.arg("--setenv").arg(k).arg(v);
    }
}

struct Args(Vec<OsString>);

impl Args {
    fn arg(&mut self, s: impl AsRef<OsStr>) -> &mut Self {
        self.0.push(s.as_ref().to_owned());
        self
    }

    /// `flag source destination`.
    fn mount(
        &mut self,
        flag: &str,
        source: impl AsRef<OsStr>,
        destination: impl AsRef<OsStr>,
    ) -> &mut Self {
        self.arg(flag).arg(source).arg(destination)
    }
}
