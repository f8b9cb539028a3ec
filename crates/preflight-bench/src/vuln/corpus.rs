//! The shared test data's vulnerability documents, read into memory.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// (file name, bytes) of each document.
pub type Files = Vec<(String, Vec<u8>)>;

/// The `*.json` files of `../shared/testdata/vuln/<dir>`, in name order,
/// at most `limit` of them.
pub fn load(dir: &str, limit: Option<usize>) -> Result<Files> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/testdata/vuln")
        .join(dir);
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    paths.truncate(limit.unwrap_or(usize::MAX));
    paths
        .into_iter()
        .map(|p| {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let bytes = std::fs::read(&p).with_context(|| format!("reading {}", p.display()))?;
            Ok((name, bytes))
        })
        .collect()
}
