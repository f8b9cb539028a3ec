//! Processes as `/proc` shows them: who owns a sandbox (a Preflight
//! process, told from a later process with the same pid by its start
//! time), and killing every process of a sandbox's uid.

use std::fmt;
use std::fs;
use std::io;
use std::time::{Duration, Instant};

use rustix::process::{Pid, PidfdFlags, Signal, kill_process, pidfd_open, pidfd_send_signal};

/// How long killing a uid's processes may take before it is an error.
const KILL_PATIENCE: Duration = Duration::from_secs(5);

/// A process, named so that a later process reusing its pid is not it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Owner {
    pid: u32,
    /// Clock ticks after boot at which it started (`/proc/PID/stat` field 22).
    start: u64,
}

impl Owner {
    pub fn me() -> io::Result<Owner> {
        let pid = std::process::id();
        let start = start_time(pid).ok_or_else(|| {
            io::Error::new(io::ErrorKind::NotFound, "no start time for this process")
        })?;
        Ok(Owner { pid, start })
    }

    /// `PID START`, as [`fmt::Display`] writes it.
    pub fn parse(text: &str) -> Option<Owner> {
        let mut words = text.split_whitespace();
        Some(Owner {
            pid: words.next()?.parse().ok()?,
            start: words.next()?.parse().ok()?,
        })
    }

    pub fn alive(&self) -> bool {
        start_time(self.pid) == Some(self.start)
    }
}

impl fmt::Display for Owner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.pid, self.start)
    }
}

fn start_time(pid: u32) -> Option<u64> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces and parentheses: fields
    // are counted from the last ')', which ends it; field 3 comes next.
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(22 - 3)?.parse().ok()
}

/// Pids of the processes whose real, effective, saved or file-system uid
/// is `uid`, zombies excepted (they hold nothing but their pid).
pub(super) fn processes_of(uid: u32) -> io::Result<Vec<u32>> {
    let mut pids = Vec::new();
    for entry in fs::read_dir("/proc")? {
        let Ok(entry) = entry else { continue };
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        // Gone since the listing: not alive.
        let Ok(status) = fs::read_to_string(entry.path().join("status")) else {
            continue;
        };
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .map(str::trim)
        };
        if field("State:").is_some_and(|s| s.starts_with('Z') || s.starts_with('X')) {
            continue;
        }
        let owned = field("Uid:").is_some_and(|ids| {
            ids.split_whitespace()
                .any(|id| id.parse::<u32>().ok() == Some(uid))
        });
        if owned {
            pids.push(pid);
        }
    }
    Ok(pids)
}

/// SIGKILL to every process of `uid` until none is left: a process forked
/// between a scan and the kills is found by the next scan, and one with
/// SIGKILL pending cannot fork.
pub(super) fn kill_all_of(uid: u32) -> io::Result<()> {
    if uid == 0 || uid == rustix::process::geteuid().as_raw() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("refusing to kill every process of uid {uid}"),
        ));
    }
    let started = Instant::now();
    loop {
        let pids = processes_of(uid)?;
        if pids.is_empty() {
            return Ok(());
        }
        if started.elapsed() > KILL_PATIENCE {
            return Err(io::Error::other(format!(
                "{} processes of uid {uid} are still alive {} s after SIGKILL",
                pids.len(),
                KILL_PATIENCE.as_secs()
            )));
        }
        for pid in pids {
            if let Some(pid) = Pid::from_raw(pid as i32) {
                // Already gone (ESRCH) is what we want.
                let _ = kill_process(pid, Signal::KILL);
            }
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// SIGKILL to the children of `parent`: bubblewrap's PID 1 in the sandbox,
/// whose death takes the whole PID namespace with it. Signalled through a
/// pidfd, so that a pid reused in the meantime is never hit. Whether a
/// child was signalled.
pub(super) fn kill_children_of(parent: u32) -> bool {
    let Ok(list) = fs::read_to_string(format!("/proc/{parent}/task/{parent}/children")) else {
        return false;
    };
    let mut signalled = false;
    for pid in list
        .split_whitespace()
        .filter_map(|p| p.parse::<u32>().ok())
    {
        let Some(raw) = i32::try_from(pid).ok().and_then(Pid::from_raw) else {
            continue;
        };
        let Ok(pidfd) = pidfd_open(raw, PidfdFlags::empty()) else {
            continue;
        };
        // The pidfd holds whatever process had the pid when it was opened:
        // the child, if its parent is still `parent` now.
        if parent_of(pid) == Some(parent) && pidfd_send_signal(&pidfd, Signal::KILL).is_ok() {
            signalled = true;
        }
    }
    signalled
}

fn parent_of(pid: u32) -> Option<u32> {
    fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix("PPid:"))?
        .trim()
        .parse()
        .ok()
}
