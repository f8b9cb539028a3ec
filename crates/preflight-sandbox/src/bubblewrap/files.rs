//! Files into and out of the work directory. The task's files are copied
//! before any command runs; later reads and writes go through `openat2`
//! with `RESOLVE_BENEATH`, so that a link the sandbox planted in its work
//! directory can never lead the host outside it.

use std::ffi::OsStr;
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::os::fd::OwnedFd;
use std::os::unix::fs::PermissionsExt;
use std::path::{Component, Path, PathBuf};

use rustix::fs::{Mode, OFlags, ResolveFlags, mkdirat, openat2};
use rustix::io::Errno;

use crate::{FileCopy, SandboxError};

/// Copies the task's files into `work` (which nothing runs in yet).
pub(super) fn copy_in(work: &Path, files: &[FileCopy]) -> Result<(), SandboxError> {
    for file in files {
        let bad = |reason: String| SandboxError::BadFile {
            from: file.from.clone(),
            to: file.to.clone(),
            reason,
        };
        let rel = inside(&file.to).ok_or_else(|| {
            bad("the destination must be a relative path that stays in the work directory".into())
        })?;
        let meta = fs::metadata(&file.from).map_err(|e| bad(e.to_string()))?;
        let dest = work.join(&rel);
        if meta.is_dir() {
            copy_dir(&file.from, &dest).map_err(bad)?;
        } else if meta.is_file() {
            if rel.as_os_str().is_empty() {
                return Err(bad("a file cannot replace the work directory".into()));
            }
            if let Some(parent) = dest.parent() {
                fs::create_dir_all(parent).map_err(|e| bad(e.to_string()))?;
            }
            copy_file(&file.from, &dest).map_err(|e| bad(e.to_string()))?;
        } else {
            return Err(bad("not a regular file or a directory".into()));
        }
    }
    Ok(())
}

/// Content and permission bits (the executable bit with them; never
/// set-uid, set-gid or sticky).
fn copy_file(from: &Path, to: &Path) -> io::Result<()> {
    let mode = fs::metadata(from)?.permissions().mode() & 0o777;
    fs::copy(from, to)?;
    fs::set_permissions(to, fs::Permissions::from_mode(mode))
}

/// A tree, links copied as links (they resolve inside the sandbox).
fn copy_dir(from: &Path, to: &Path) -> Result<(), String> {
    let at = |p: &Path, e: io::Error| format!("{}: {e}", p.display());
    fs::create_dir_all(to).map_err(|e| at(to, e))?;
    let mode = fs::metadata(from)
        .map_err(|e| at(from, e))?
        .permissions()
        .mode()
        & 0o777;
    fs::set_permissions(to, fs::Permissions::from_mode(mode | 0o700)).map_err(|e| at(to, e))?;
    for entry in fs::read_dir(from).map_err(|e| at(from, e))? {
        let entry = entry.map_err(|e| at(from, e))?;
        let (source, dest) = (entry.path(), to.join(entry.file_name()));
        let kind = entry.file_type().map_err(|e| at(&source, e))?;
        if kind.is_symlink() {
            let target = fs::read_link(&source).map_err(|e| at(&source, e))?;
            std::os::unix::fs::symlink(&target, &dest).map_err(|e| at(&dest, e))?;
        } else if kind.is_dir() {
            copy_dir(&source, &dest)?;
        } else if kind.is_file() {
            copy_file(&source, &dest).map_err(|e| at(&source, e))?;
        } else {
            return Err(format!(
                "{}: not a regular file, a directory or a link",
                source.display()
            ));
        }
    }
    Ok(())
}

/// `path` without `.` components when it is relative and never goes up;
/// empty for the work directory itself.
pub(super) fn inside(path: &Path) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::Normal(part) => out.push(part),
            Component::CurDir => {}
            Component::ParentDir | Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(out)
}

fn leaves(path: &Path) -> SandboxError {
    SandboxError::Io {
        path: path.to_owned(),
        source: io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a relative path to a file inside the work directory",
        ),
    }
}

const BENEATH: ResolveFlags = ResolveFlags::BENEATH.union(ResolveFlags::NO_MAGICLINKS);

/// `openat2`'s refusals in words: EXDEV for a path that would leave the
/// work directory, ELOOP for a link where none is followed.
fn refusal(e: Errno) -> io::Error {
    match e {
        Errno::XDEV => io::Error::new(
            io::ErrorKind::PermissionDenied,
            "the path leads out of the work directory",
        ),
        Errno::LOOP => io::Error::new(
            io::ErrorKind::PermissionDenied,
            "a link on the path (links are not followed when writing)",
        ),
        e => e.into(),
    }
}

/// A regular file of the work directory. Links inside it are followed as
/// long as they stay beneath it; a FIFO or a device is refused, not
/// waited on.
pub(super) fn read(work: &Path, path: &Path) -> Result<Vec<u8>, SandboxError> {
    let rel = inside(path)
        .filter(|r| !r.as_os_str().is_empty())
        .ok_or_else(|| leaves(path))?;
    let io_err = |source: io::Error| SandboxError::Io {
        path: path.to_owned(),
        source,
    };
    let dir = File::open(work).map_err(|source| SandboxError::Io {
        path: work.to_owned(),
        source,
    })?;
    let flags = OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NONBLOCK | OFlags::NOCTTY;
    let fd = openat2(&dir, &rel, flags, Mode::empty(), BENEATH).map_err(|e| io_err(refusal(e)))?;
    let mut file = File::from(fd);
    if !file.metadata().map_err(io_err)?.is_file() {
        return Err(io_err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file",
        )));
    }
    let mut contents = Vec::new();
    file.read_to_end(&mut contents).map_err(io_err)?;
    Ok(contents)
}

/// Creates or replaces a file of the work directory, and the directories
/// on its way, owned by the sandbox's uid when it has one. No link is
/// followed.
pub(super) fn write(
    work: &Path,
    path: &Path,
    contents: &[u8],
    owner: Option<u32>,
) -> Result<(), SandboxError> {
    let rel = inside(path)
        .filter(|r| !r.as_os_str().is_empty())
        .ok_or_else(|| leaves(path))?;
    let io_err = |source: io::Error| SandboxError::Io {
        path: path.to_owned(),
        source,
    };
    let strict = ResolveFlags::BENEATH | ResolveFlags::NO_SYMLINKS;
    let mut dir: OwnedFd = File::open(work)
        .map_err(|source| SandboxError::Io {
            path: work.to_owned(),
            source,
        })?
        .into();
    let parts: Vec<&OsStr> = rel.iter().collect();
    let (name, parents) = parts.split_last().ok_or_else(|| leaves(path))?;
    for part in parents {
        let created = match mkdirat(&dir, *part, Mode::from_raw_mode(0o755)) {
            Ok(()) => true,
            Err(Errno::EXIST) => false,
            Err(e) => return Err(io_err(e.into())),
        };
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC | OFlags::NOFOLLOW;
        let next =
            openat2(&dir, *part, flags, Mode::empty(), strict).map_err(|e| io_err(refusal(e)))?;
        if created && let Some(uid) = owner {
            std::os::unix::fs::fchown(&next, Some(uid), Some(uid)).map_err(io_err)?;
        }
        dir = next;
    }
    let flags = OFlags::WRONLY
        | OFlags::CREATE
        | OFlags::TRUNC
        | OFlags::CLOEXEC
        | OFlags::NOFOLLOW
        | OFlags::NONBLOCK
        | OFlags::NOCTTY;
    let fd = openat2(&dir, *name, flags, Mode::from_raw_mode(0o644), strict)
        .map_err(|e| io_err(refusal(e)))?;
    let mut file = File::from(fd);
    if !file.metadata().map_err(io_err)?.is_file() {
        return Err(io_err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file",
        )));
    }
    if let Some(uid) = owner {
        std::os::unix::fs::fchown(&file, Some(uid), Some(uid)).map_err(io_err)?;
    }
    file.write_all(contents).map_err(io_err)
}
