//! One step of the ramp: `n` samples acquire a sandbox each from a pool of
//! `n`, wait until all are ready, run a small python3 command together,
//! and release their sandboxes. Memory is sampled meanwhile.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Result;
use preflight_sandbox::bubblewrap::Bubblewrap;
use preflight_sandbox::{ExecRequest, SandboxPool, SandboxSpec};
use tokio::sync::Barrier;
use tokio::task::JoinSet;

use super::memory;
use super::task::{DATA_BYTES, Files};
use crate::stats::Latencies;

#[derive(Debug, Default)]
pub struct Level {
    pub failures: usize,
    pub first_failure: Option<String>,
    /// From the first acquire to the last release.
    pub wall: Duration,
    /// Each sample's acquire (every sandbox created at once).
    pub create: Latencies,
    /// Highest resident set of this process during the step.
    pub runner_rss: u64,
    /// Highest host memory in use during the step, above what was in use
    /// just before it.
    pub host_extra: u64,
}

/// How one sample went: its sandbox's creation time, or why it failed.
type Sample = Result<Duration, String>;

pub async fn level(
    backend: Arc<Bubblewrap>,
    spec: &SandboxSpec,
    files: &Files,
    n: usize,
    sleep: Duration,
) -> Result<Level> {
    let pool = Arc::new(SandboxPool::new(backend, n));
    let barrier = Arc::new(Barrier::new(n));
    let script = format!(
        "import time\nd = open('{}', 'rb').read()\ntime.sleep({})\nprint(len(d))\n",
        files.data_path().display(),
        sleep.as_secs_f64()
    );
    let expected = format!("{DATA_BYTES}\n");

    let idle = memory::host_in_use()?;
    let stop = Arc::new(AtomicBool::new(false));
    let runner = Arc::new(AtomicU64::new(0));
    let host = Arc::new(AtomicU64::new(0));
    let sampler = tokio::spawn({
        let (stop, runner, host) = (stop.clone(), runner.clone(), host.clone());
        async move {
            while !stop.load(Ordering::Relaxed) {
                if let Ok(rss) = memory::own_rss() {
                    runner.fetch_max(rss, Ordering::Relaxed);
                }
                if let Ok(used) = memory::host_in_use() {
                    host.fetch_max(used, Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    });

    let started = Instant::now();
    let mut samples: JoinSet<Sample> = JoinSet::new();
    for _ in 0..n {
        let (pool, barrier, spec) = (pool.clone(), barrier.clone(), spec.clone());
        let (script, expected) = (script.clone(), expected.clone());
        samples.spawn(async move {
            let t = Instant::now();
            let lease = pool.acquire(spec).await;
            let created = t.elapsed();
            // Every sandbox of the step is alive before any command runs;
            // a sample whose sandbox failed still meets the others here.
            barrier.wait().await;
            let lease = lease.map_err(|e| format!("create: {e}"))?;
            let out = lease
                .exec(ExecRequest {
                    argv: vec!["python3".into(), "-c".into(), script],
                    ..ExecRequest::default()
                })
                .await
                .map_err(|e| format!("exec: {e}"))?;
            let ok = out.success() && out.stdout == expected;
            lease
                .release()
                .await
                .map_err(|e| format!("teardown: {e}"))?;
            if ok {
                Ok(created)
            } else {
                Err(format!(
                    "command: exit {:?} signal {:?} timed out {}: {}",
                    out.exit_code,
                    out.signal,
                    out.timed_out,
                    out.stderr.lines().last().unwrap_or("")
                ))
            }
        });
    }
    let mut level = Level::default();
    while let Some(joined) = samples.join_next().await {
        match joined {
            Ok(Ok(created)) => level.create.push(created),
            Ok(Err(why)) => {
                level.failures += 1;
                level.first_failure.get_or_insert(why);
            }
            Err(panicked) => {
                level.failures += 1;
                level
                    .first_failure
                    .get_or_insert(format!("sample task: {panicked}"));
            }
        }
    }
    level.wall = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    sampler.await?;
    level.runner_rss = runner.load(Ordering::Relaxed);
    level.host_extra = host.load(Ordering::Relaxed).saturating_sub(idle);
    let stats = pool.stats();
    anyhow::ensure!(
        stats.alive == 0 && stats.peak_alive <= n,
        "the pool's books do not balance: {stats:?}"
    );
    Ok(level)
}
