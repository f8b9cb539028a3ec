//! Resident memory of a server process, read from `/proc/PID/status`, and a
//! sampler that keeps the highest `VmRSS` seen while a measurement runs.

use anyhow::{Context, Result};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;
use tokio::task::JoinHandle;

/// `VmRSS` and `VmHWM` in bytes.
#[derive(Clone, Copy, Debug, Default)]
pub struct Memory {
    pub rss: u64,
    pub peak: u64,
}

/// The process's memory now.
pub fn read(pid: u32) -> Result<Memory> {
    let path = format!("/proc/{pid}/status");
    let text = std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?;
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| {
                rest.trim()
                    .trim_end_matches("kB")
                    .trim()
                    .parse::<u64>()
                    .ok()
            })
            .map_or(0, |kb| kb * 1024)
    };
    Ok(Memory {
        rss: field("VmRSS:"),
        peak: field("VmHWM:"),
    })
}

/// Polls a process's `VmRSS` until stopped.
#[derive(Debug)]
pub struct Sampler {
    max: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    task: JoinHandle<()>,
}

impl Sampler {
    pub fn start(pid: u32) -> Self {
        let max = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let task = tokio::spawn({
            let (max, stop) = (max.clone(), stop.clone());
            async move {
                while !stop.load(Ordering::Relaxed) {
                    if let Ok(m) = read(pid) {
                        max.fetch_max(m.rss, Ordering::Relaxed);
                    }
                    tokio::time::sleep(Duration::from_millis(25)).await;
                }
            }
        });
        Self { max, stop, task }
    }

    /// The highest `VmRSS` seen, in bytes.
    pub async fn finish(self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.task.await;
        self.max.load(Ordering::Relaxed)
    }
}

/// `123.4 MB` (10^6 bytes).
pub fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}
