//! A sandbox's directory on the host: made, handed to the sandbox's uid,
//! destroyed with every process of that uid, and swept when the Preflight
//! process that made it died before it could.

use std::fs;
use std::io;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::host::Host;
use super::procs::{self, Owner};
use super::uids::{self, UidClaim};
use crate::SandboxError;

/// A directory without an owner file younger than this may be one that
/// another process is making right now.
const UNOWNED_GRACE: Duration = Duration::from_secs(60);

const PASSWD: &str = "root:x:0:0:root:/root:/usr/sbin/nologin\n\
                      ctf:x:1000:1000:ctf:/work:/bin/bash\n\
                      nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n";
const GROUP: &str = "root:x:0:\nctf:x:1000:\nnogroup:x:65534:\n";
const HOSTS: &str = "127.0.0.1\tlocalhost\n\
                     ::1\tlocalhost ip6-localhost ip6-loopback\n\
                     127.0.1.1\tsandbox\n";

/// `<root>/<id>/`: see the module documentation of `bubblewrap`.
#[derive(Debug)]
pub(super) struct Home {
    dir: PathBuf,
    work: PathBuf,
    tmp: PathBuf,
    claim: Option<UidClaim>,
    destroyed: bool,
}

impl Home {
    pub fn create(host: &Host) -> Result<Home, SandboxError> {
        let claim = UidClaim::take(host)?;
        let dir = loop {
            let dir = host.root.join(format!("{:016x}", rand::random::<u64>()));
            match fs::DirBuilder::new().mode(0o711).create(&dir) {
                Ok(()) => break dir,
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(source) => return Err(SandboxError::Io { path: dir, source }),
            }
        };
        // From here on, dropping `home` removes the directory.
        let home = Home {
            work: dir.join("work"),
            tmp: dir.join("tmp"),
            dir,
            claim,
            destroyed: false,
        };
        let uid = home
            .own_uid()
            .map_or_else(|| "-".to_owned(), |u| u.to_string());
        home.write("owner", &format!("{} {uid}\n", host.owner))?;
        home.write("passwd", PASSWD)?;
        home.write("group", GROUP)?;
        home.write("hosts", HOSTS)?;
        for sub in [&home.work, &home.tmp] {
            fs::DirBuilder::new()
                .mode(0o700)
                .create(sub)
                .map_err(|source| SandboxError::Io {
                    path: sub.clone(),
                    source,
                })?;
        }
        Ok(home)
    }

    fn write(&self, name: &str, contents: &str) -> Result<(), SandboxError> {
        let path = self.dir.join(name);
        fs::write(&path, contents)
            .and_then(|()| fs::set_permissions(&path, fs::Permissions::from_mode(0o644)))
            .map_err(|source| SandboxError::Io { path, source })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn work(&self) -> &Path {
        &self.work
    }

    pub fn tmp(&self) -> &Path {
        &self.tmp
    }

    pub fn file(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    pub fn own_uid(&self) -> Option<u32> {
        self.claim.as_ref().map(UidClaim::uid)
    }

    /// Gives `work/` and `tmp/` with everything in them to the sandbox's
    /// uid (links themselves, never what they point to).
    pub fn hand_over(&self) -> Result<(), SandboxError> {
        let Some(uid) = self.own_uid() else {
            return Ok(());
        };
        for dir in [&self.work, &self.tmp] {
            chown_tree(dir, uid).map_err(|source| SandboxError::Io {
                path: dir.clone(),
                source,
            })?;
        }
        Ok(())
    }

    /// Kills every process of the sandbox's uid, removes the directory and
    /// frees the uid. Blocks. Safe to call twice.
    pub fn destroy(&mut self) -> Result<(), SandboxError> {
        if self.destroyed {
            return Ok(());
        }
        self.destroyed = true;
        if let Some(uid) = self.own_uid()
            && let Err(source) = procs::kill_all_of(uid)
        {
            // A uid with live processes is never handed out again.
            if let Some(claim) = self.claim.take() {
                claim.keep();
            }
            let _ = remove_tree(&self.dir);
            return Err(SandboxError::Io {
                path: format!("/proc (processes of uid {uid})").into(),
                source,
            });
        }
        let removed = remove_tree(&self.dir);
        self.claim = None;
        removed.map_err(|source| SandboxError::Io {
            path: self.dir.clone(),
            source,
        })
    }
}

impl Drop for Home {
    fn drop(&mut self) {
        let _ = self.destroy();
    }
}

fn chown_tree(path: &Path, uid: u32) -> io::Result<()> {
    std::os::unix::fs::lchown(path, Some(uid), Some(uid))?;
    if fs::symlink_metadata(path)?.is_dir() {
        for entry in fs::read_dir(path)? {
            chown_tree(&entry?.path(), uid)?;
        }
    }
    Ok(())
}

/// Removes a tree that the sandbox user may have made unwritable.
pub(super) fn remove_tree(path: &Path) -> io::Result<()> {
    let gone = |r: io::Result<()>| match r {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        other => other,
    };
    if gone(fs::remove_dir_all(path)).is_ok() {
        return Ok(());
    }
    make_writable(path);
    gone(fs::remove_dir_all(path))
}

fn make_writable(path: &Path) {
    let Ok(meta) = fs::symlink_metadata(path) else {
        return;
    };
    if !meta.is_dir() {
        return;
    }
    let mode = meta.permissions().mode() | 0o700;
    let _ = fs::set_permissions(path, fs::Permissions::from_mode(mode));
    if let Ok(entries) = fs::read_dir(path) {
        for entry in entries.flatten() {
            make_writable(&entry.path());
        }
    }
}

/// Removes what Preflight processes that died left: sandbox directories
/// under `host.root`, and uid claims, after killing the processes of their
/// uids. Best effort: what cannot be removed now is tried again next time.
pub(super) fn sweep(host: &Host) {
    if let Ok(entries) = fs::read_dir(&host.root) {
        for entry in entries.flatten() {
            let path = entry.path();
            if entry.file_type().is_ok_and(|t| t.is_dir()) && abandoned(&path) {
                // Its uid, if any, is swept with the claims below.
                let _ = remove_tree(&path);
            }
        }
    }
    if !host.own_uids() {
        return;
    }
    for uid in uids::claimed(host) {
        if let Some(claim) = UidClaim::reclaim(host, uid) {
            match procs::kill_all_of(uid) {
                Ok(()) => drop(claim),
                Err(_) => claim.keep(),
            }
        }
    }
}

/// A sandbox directory whose Preflight process has died.
fn abandoned(dir: &Path) -> bool {
    match fs::read_to_string(dir.join("owner")) {
        Ok(text) => !Owner::parse(&text).is_some_and(|o| o.alive()),
        // Being made right now, or left half-made long ago.
        Err(_) => fs::symlink_metadata(dir)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age >= UNOWNED_GRACE),
    }
}
