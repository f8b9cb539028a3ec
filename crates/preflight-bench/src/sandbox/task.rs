//! The task every sandbox starts with: a few files like a small CTF's
//! (a binary, a script, notes, a data directory), made in a temp dir.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use preflight_sandbox::FileCopy;

/// Size of `data.bin`, which each ramp sample reads.
pub const DATA_BYTES: usize = 1 << 20;

#[derive(Debug)]
pub struct Files {
    dir: PathBuf,
    bytes: u64,
    count: usize,
}

impl Files {
    pub fn make() -> Result<Files> {
        let dir = std::env::temp_dir().join(format!(
            "preflight-sandbox-bench-task-{}",
            std::process::id()
        ));
        let task = dir.join("task");
        fs::create_dir_all(task.join("data")).with_context(|| format!("{}", task.display()))?;
        let data: Vec<u8> = (0..DATA_BYTES).map(|i| (i * 131 % 251) as u8).collect();
        let files: [(&str, &[u8], u32); 5] = [
            ("data.bin", &data, 0o644),
            (
                "solve.py",
                b"#!/usr/bin/env python3\nprint(open('data.bin','rb').read()[:4].hex())\n",
                0o755,
            ),
            ("README.md", b"# task\nFind the flag in data.bin.\n", 0o644),
            ("data/flag.txt", b"flag{bench}\n", 0o600),
            ("data/notes.txt", &[b'n'; 4096], 0o644),
        ];
        let mut bytes = 0;
        for (name, contents, mode) in files {
            let path = task.join(name);
            fs::write(&path, contents).with_context(|| format!("{}", path.display()))?;
            fs::set_permissions(&path, fs::Permissions::from_mode(mode))?;
            bytes += contents.len() as u64;
        }
        Ok(Files {
            dir,
            bytes,
            count: files.len(),
        })
    }

    /// The task directory copied to `task/` in the work directory.
    pub fn copies(&self) -> Vec<FileCopy> {
        vec![FileCopy {
            from: self.dir.join("task"),
            to: "task".into(),
        }]
    }

    pub fn data_path(&self) -> &Path {
        Path::new("task/data.bin")
    }

    /// `5 files, 1.1 MB`.
    pub fn describe(&self) -> String {
        format!("{} files, {:.1} MB", self.count, self.bytes as f64 / 1e6)
    }
}

impl Drop for Files {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.dir);
    }
}
