//! One run of the suite through `preflight_eval::runner::run` at a
//! connection limit, with a fresh sandbox pool: its wall time, its CPU, the
//! fake model's handling times, and every record of its log, each checked
//! to have solved its task in the planned number of turns.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use preflight_eval::client::connect;
use preflight_eval::runner::{LogTarget, RunConfig, RunSpec, Silent, run};
use preflight_eval::{ClientConfig, LogReader, Provider, SampleRecord, ScoreValue, Suite};
use preflight_sandbox::{PoolStats, SandboxBackend, SandboxPool};

use super::cpu::Cpu;
use super::model::FakeModel;
use crate::stats::Latencies;

/// A run to make.
#[derive(Debug)]
pub struct Run<'a> {
    pub suite: &'a Suite,
    pub model: &'a FakeModel,
    pub backend: Arc<dyn SandboxBackend>,
    pub max_connections: usize,
    pub max_alive: usize,
    /// At most this many samples of the suite.
    pub limit: Option<usize>,
    /// Turns every sample takes, the submission included.
    pub turns: u32,
    pub log: PathBuf,
}

/// What a run did.
#[derive(Debug)]
pub struct Done {
    pub wall: Duration,
    pub cpu: Cpu,
    pub records: Vec<SampleRecord>,
    /// The fake model's own time per request.
    pub handled: Latencies,
    pub pool: PoolStats,
}

impl Run<'_> {
    pub async fn go(self) -> Result<Done> {
        let client = connect(ClientConfig::new(
            Provider::Openai,
            self.model.url(),
            "instant",
        ))
        .context("the model client")?;
        let pool = Arc::new(SandboxPool::new(self.backend.clone(), self.max_alive));
        let spec = RunSpec {
            suite: self.suite,
            model: client,
            judge: None,
            log: LogTarget::New(self.log.clone()),
            cache: None,
            config: RunConfig {
                max_connections: self.max_connections,
                // A failed call ends its sample, and the run is refused below.
                max_attempts: 1,
                attempt_timeout: Duration::from_secs(60),
                limit: self.limit,
                ..RunConfig::default()
            },
            sandboxes: Some(pool.clone()),
        };
        self.model.take_handled();
        let cpu = Cpu::now()?;
        let started = Instant::now();
        run(spec, Arc::new(Silent))
            .await
            .context("running the suite")?;
        let wall = started.elapsed();
        let cpu = Cpu::now()?.since(cpu);
        let handled = self.model.take_handled();
        let records = read(&self.log)?;
        for record in &records {
            check(record, self.turns)?;
        }
        let pool = pool.stats();
        ensure!(
            pool.alive == 0 && pool.peak_alive <= self.max_alive,
            "the pool's books do not balance: {pool:?}"
        );
        Ok(Done {
            wall,
            cpu,
            records,
            handled,
            pool,
        })
    }
}

fn read(log: &Path) -> Result<Vec<SampleRecord>> {
    let mut reader =
        LogReader::open(log).with_context(|| format!("opening the log {}", log.display()))?;
    let mut records = Vec::new();
    while let Some(record) = reader.next_sample()? {
        records.push(record);
    }
    Ok(records)
}

/// Refuses a record that did not solve its task in `turns` turns, so every
/// figure is of the loop the benchmark means to time.
fn check(record: &SampleRecord, turns: u32) -> Result<()> {
    if let Some(error) = &record.error {
        bail!(
            "sample {} ended with {}: {}",
            record.id,
            error.kind,
            error.message
        );
    }
    let solved = record
        .score
        .as_ref()
        .is_some_and(|s| s.value == ScoreValue::Correct);
    let taken = record.trajectory.as_ref().map_or(0, |t| t.turn_count());
    ensure!(
        solved && taken == turns,
        "sample {} took {taken} turns (planned {turns}) and was {}",
        record.id,
        if solved { "solved" } else { "not solved" }
    );
    Ok(())
}
