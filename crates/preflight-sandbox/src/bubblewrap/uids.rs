//! Host uids held by live sandboxes: one file per uid in the host-wide
//! claims directory, created exclusively, so that no two sandboxes of any
//! Preflight processes hold the same uid. A claim names its process; the
//! claim of a process that died is taken over before its uid's processes
//! are killed, so that a uid held by a live sandbox is never swept.

use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::time::Duration;

use super::host::{Host, Identity};
use super::procs::Owner;
use crate::SandboxError;

/// A uid taken; the claim file is removed when dropped, unless kept.
#[derive(Debug)]
pub(super) struct UidClaim {
    uid: u32,
    file: PathBuf,
    keep: bool,
}

impl UidClaim {
    /// A free uid of the range, or `None` when sandboxes share the
    /// current user's.
    pub fn take(host: &Host) -> Result<Option<UidClaim>, SandboxError> {
        let Identity::Own {
            range,
            cursor,
            reserved,
        } = &host.identity
        else {
            return Ok(None);
        };
        let len = range.end - range.start;
        for _ in 0..len {
            let uid = range.start + cursor.fetch_add(1, Ordering::Relaxed) % len;
            if reserved.contains(&uid) {
                continue;
            }
            let file = host.claims.join(uid.to_string());
            let created = fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&file);
            match created {
                Ok(mut f) => {
                    let claim = UidClaim {
                        uid,
                        file,
                        keep: false,
                    };
                    writeln!(f, "{}", host.owner).map_err(|source| SandboxError::Io {
                        path: claim.file.clone(),
                        source,
                    })?;
                    return Ok(Some(claim));
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(source) => return Err(SandboxError::Io { path: file, source }),
            }
        }
        Err(SandboxError::Unavailable {
            reason: format!(
                "every sandbox uid of {}..{} is taken; widen uid_range or run fewer \
                 sandboxes at once",
                range.start, range.end
            ),
        })
    }

    pub fn uid(&self) -> u32 {
        self.uid
    }

    /// Leaves the uid held for good (its processes could not be killed):
    /// the first [`super::Bubblewrap::new`] after this process ends frees it.
    pub fn keep(mut self) {
        self.keep = true;
    }
}

impl Drop for UidClaim {
    fn drop(&mut self) {
        if !self.keep {
            let _ = fs::remove_file(&self.file);
        }
    }
}

/// A claim file without its owner line yet younger than this is being
/// written.
const UNWRITTEN_GRACE: Duration = Duration::from_secs(60);

impl UidClaim {
    /// `uid`'s claim, taken over from a process that died (or made, when
    /// there is none), or `None` when a live process holds the uid.
    pub fn reclaim(host: &Host, uid: u32) -> Option<UidClaim> {
        let file = host.claims.join(uid.to_string());
        if let Ok(text) = fs::read_to_string(&file) {
            if held(&file, &text) {
                return None;
            }
            let _ = fs::remove_file(&file);
        }
        let mut f = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&file)
            .ok()?;
        let claim = UidClaim {
            uid,
            file,
            keep: false,
        };
        writeln!(f, "{}", host.owner).ok()?;
        Some(claim)
    }
}

/// The claim's process is alive, or it is too new to have said who it is.
fn held(file: &Path, text: &str) -> bool {
    match Owner::parse(text) {
        Some(owner) => owner.alive(),
        None => fs::metadata(file)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_none_or(|age| age < UNWRITTEN_GRACE),
    }
}

/// Uids of every claim file, live or not.
pub(super) fn claimed(host: &Host) -> Vec<u32> {
    fs::read_dir(&host.claims)
        .map(|entries| {
            entries
                .flatten()
                .filter_map(|e| e.file_name().to_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default()
}
