//! A content-addressed cache of model answers: the key is the SHA-256 of
//! the canonical JSON (RFC 8785) of the model's name, the epoch and the
//! request; each answer is a file `<dir>/<key[0..2]>/<key>.json`, written
//! to a temporary name and renamed, so a reader never sees half of one.
//!
//! The epoch is part of the key so that repeated epochs are fresh answers,
//! not the first one again.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::client::GenerateRequest;
use crate::model::ModelOutput;

#[derive(Debug, Clone)]
pub struct ResponseCache {
    dir: PathBuf,
}

#[derive(Serialize)]
struct Key<'a> {
    model: &'a str,
    epoch: u32,
    request: &'a GenerateRequest,
}

impl ResponseCache {
    pub fn new(dir: impl Into<PathBuf>) -> ResponseCache {
        ResponseCache { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The hex key of a request to `model` in `epoch`.
    pub fn key(model: &str, epoch: u32, request: &GenerateRequest) -> String {
        let key = Key {
            model,
            epoch,
            request,
        };
        // Plain data with string keys always encodes.
        let canonical = serde_jcs::to_vec(&key).unwrap_or_default();
        hex::encode(Sha256::digest(&canonical))
    }

    fn path(&self, key: &str) -> PathBuf {
        self.dir.join(&key[..2]).join(format!("{key}.json"))
    }

    /// The cached answer for `key`; a missing or unreadable entry is a miss.
    pub fn get(&self, key: &str) -> Option<ModelOutput> {
        let bytes = std::fs::read(self.path(key)).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    /// Stores `output` under `key`. Failing to cache never fails a sample.
    pub fn put(&self, key: &str, output: &ModelOutput) -> std::io::Result<()> {
        let path = self.path(key);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let unique = NEXT.fetch_add(1, Ordering::Relaxed);
        let temporary = path.with_extension(format!("{}-{unique}.partial", std::process::id()));
        let bytes = serde_json::to_vec(output).map_err(std::io::Error::other)?;
        std::fs::write(&temporary, bytes)?;
        std::fs::rename(&temporary, &path)
    }
}
