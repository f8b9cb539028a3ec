//! The runner: a suite against a model, sample by sample, into a log.
//!
//! - Samples are streamed from the dataset and run as tokio tasks, at most
//!   twice the connection limit at once; only per-sample values are kept in
//!   memory ([`Aggregate`]), transcripts go to the log as each sample ends.
//! - Every request (the model's and the judge's) goes through one
//!   [`ConnectionLimiter`] (AIMD on 429), is retried with back-off while
//!   its error is retryable, and is bounded by a per-attempt timeout; a
//!   sample is bounded by the suite's time limit. Nothing waits forever.
//! - Every sample and epoch ends in exactly one log record, `scored` or
//!   `error` with the reason, even when its task panics.
//! - Resuming reads the log, skips the (sample, epoch) pairs it has and
//!   appends the others.

mod agent;
mod cache;
mod call;
mod limiter;
mod sample;

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use sha2::{Digest, Sha256};
use tokio::task::JoinSet;

pub use cache::ResponseCache;
pub use call::Backoff;
pub use limiter::{ConnectionLimiter, Permit};

use preflight_sandbox::SandboxPool;

use crate::client::{ClientError, ModelClient};
use crate::error::Error;
use crate::log::{
    Aggregate, GenerateSettings, Header, LOG_FORMAT, LogError, LogWriter, ModelInfo, Record,
    Report, SampleRecord,
};
use crate::sample::Sample;
use crate::suite::{Suite, Task};

/// How a run runs; none of it but `epochs`, `limit`, `seed`, `temperature`,
/// `stream` and `judge_max_tokens` changes results, and only those are in
/// the log's configuration hash.
#[derive(Debug, Clone)]
pub struct RunConfig {
    /// Requests in flight at once, model and judge together.
    pub max_connections: usize,
    /// Successes that add one connection back after a 429 took some.
    pub increase_every: u32,
    /// Requests per model call, the first included.
    pub max_attempts: u32,
    pub backoff: Backoff,
    /// One request, first byte to last.
    pub attempt_timeout: Duration,
    /// Instead of the suite's epochs.
    pub epochs: Option<u32>,
    /// At most this many samples of the suite's selection.
    pub limit: Option<usize>,
    /// Seeds the bootstrap intervals.
    pub seed: u64,
    pub temperature: Option<f64>,
    pub stream: bool,
    /// `max_tokens` of judge requests.
    pub judge_max_tokens: u32,
    /// The log is synced to disk at most this long after a record.
    pub sync_interval: Duration,
}

impl Default for RunConfig {
    fn default() -> Self {
        RunConfig {
            max_connections: 10,
            increase_every: 10,
            max_attempts: 6,
            backoff: Backoff::default(),
            attempt_timeout: Duration::from_secs(300),
            epochs: None,
            limit: None,
            seed: 0,
            temperature: None,
            stream: false,
            judge_max_tokens: 1024,
            sync_interval: Duration::from_secs(1),
        }
    }
}

/// Where the log goes.
#[derive(Debug, Clone)]
pub enum LogTarget {
    /// A new file; fails if it exists.
    New(PathBuf),
    /// An existing log of the same run, to complete.
    Resume(PathBuf),
}

/// A run to make.
#[derive(Debug)]
pub struct RunSpec<'a> {
    pub suite: &'a Suite,
    pub model: Arc<dyn ModelClient>,
    /// Grades model-graded samples; the model itself when `None`.
    pub judge: Option<Arc<dyn ModelClient>>,
    pub log: LogTarget,
    pub cache: Option<ResponseCache>,
    pub config: RunConfig,
    /// Where agentic samples get their sandboxes; an agentic suite without
    /// one ends each sample with `sandbox_unavailable`.
    pub sandboxes: Option<Arc<SandboxPool>>,
}

/// What a run did.
#[derive(Debug, Clone)]
pub struct RunOutcome {
    pub log: PathBuf,
    pub header: Header,
    pub report: Report,
    /// Records already in the log when resuming.
    pub resumed: u64,
    /// Records this run wrote.
    pub written: u64,
}

/// Hears about a run as it goes, for a progress display.
pub trait Progress: Send + Sync {
    /// Before the first sample: records a complete run has, records
    /// already in the log.
    fn start(&self, _total: u64, _done: u64) {}
    /// A sample and epoch completed.
    fn record(&self, _record: &SampleRecord) {}
    /// A request failed and is tried again after `delay`.
    fn retry(&self, _error: &ClientError, _delay: Duration) {}
}

/// A [`Progress`] that shows nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl Progress for Silent {}

/// Why a run could not run or finish.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Eval(#[from] Error),
    #[error(transparent)]
    Log(#[from] LogError),
}

/// What every sample task shares.
pub(crate) struct Shared {
    task: Task,
    model: Arc<dyn ModelClient>,
    judge: Arc<dyn ModelClient>,
    limiter: ConnectionLimiter,
    cache: Option<ResponseCache>,
    config: RunConfig,
    progress: Arc<dyn Progress>,
    sandboxes: Option<Arc<SandboxPool>>,
}

/// The bubblewrap sandbox pool an agentic suite's samples need, at most
/// `max_alive` alive at once (default: the suite's `sandbox.max_alive`);
/// `None` for other suites.
pub fn sandbox_pool(
    suite: &Suite,
    max_alive: Option<usize>,
) -> Result<Option<Arc<SandboxPool>>, preflight_sandbox::SandboxError> {
    if suite.solver.kind != crate::SolverKind::Agent {
        return Ok(None);
    }
    let backend = preflight_sandbox::bubblewrap::Bubblewrap::new(
        preflight_sandbox::bubblewrap::BubblewrapConfig::default(),
    )?;
    let settings = suite.sandbox.clone().unwrap_or_default();
    let max_alive = max_alive.unwrap_or(settings.max_alive).max(1);
    Ok(Some(Arc::new(SandboxPool::new(
        Arc::new(backend),
        max_alive,
    ))))
}

/// Runs `spec` to the end: every sample and epoch of the selection gets one
/// record in the log, then the summary.
pub async fn run(spec: RunSpec<'_>, progress: Arc<dyn Progress>) -> Result<RunOutcome, RunError> {
    let mut task = spec.suite.build()?;
    if let Some(epochs) = spec.config.epochs {
        task.epochs = epochs.max(1);
    }
    let checked = task.dataset.check()?;
    let samples = spec
        .config
        .limit
        .map_or(checked.selected, |l| l.min(checked.selected));
    let judge = spec.judge.unwrap_or_else(|| spec.model.clone());
    let header = header(
        spec.suite,
        &task,
        samples,
        spec.model.as_ref(),
        judge.as_ref(),
        &spec.config,
    )?;
    let (mut writer, header, mut aggregate) = match &spec.log {
        LogTarget::New(path) => (
            LogWriter::create(path, &header, spec.config.sync_interval)?,
            header,
            Aggregate::with_capacity(samples),
        ),
        LogTarget::Resume(path) => LogWriter::resume(path, &header, spec.config.sync_interval)?,
    };
    let resumed = aggregate.records;
    progress.start(header.expected_records(), resumed);

    // A few samples beyond the connection limit stand planned and waiting,
    // so a freed connection is taken at once; more would only hold memory.
    let limit = spec.config.max_connections.max(1);
    let in_flight = limit + (limit / 8).clamp(2, 64);
    let shared = Arc::new(Shared {
        limiter: ConnectionLimiter::new(spec.config.max_connections, spec.config.increase_every),
        task,
        model: spec.model,
        judge,
        cache: spec.cache,
        config: spec.config,
        progress: progress.clone(),
        sandboxes: spec.sandboxes,
    });
    let epochs = shared.task.epochs;
    let mut stream = shared.task.dataset.samples()?;
    stream.reserve(checked.records);
    let mut stream = stream.take(samples);
    let mut current: Option<(Arc<Sample>, u32)> = None;
    let mut tasks = JoinSet::new();
    let mut running: HashMap<tokio::task::Id, (Arc<Sample>, u32)> = HashMap::new();
    let mut written = 0;
    loop {
        while tasks.len() < in_flight {
            let Some((sample, epoch)) = next_job(&mut stream, &mut current, &aggregate, epochs)?
            else {
                break;
            };
            let handle = tasks.spawn(sample::process(shared.clone(), sample.clone(), epoch));
            running.insert(handle.id(), (sample, epoch));
        }
        let Some(joined) = tasks.join_next_with_id().await else {
            break;
        };
        let record = match joined {
            Ok((id, record)) => {
                running.remove(&id);
                record
            }
            Err(failure) => match running.remove(&failure.id()) {
                Some((sample, epoch)) => sample::panicked(&sample, epoch, &failure),
                None => continue,
            },
        };
        aggregate.add(&record);
        progress.record(&record);
        writer.append(&Record::Sample(Box::new(record)))?;
        written += 1;
    }
    writer.sync()?;
    let report = aggregate.report(&header)?;
    let log = writer.path().to_owned();
    writer.finish(report.summary_record())?;
    Ok(RunOutcome {
        log,
        header,
        report,
        resumed,
        written,
    })
}

/// The next sample and epoch the log does not have yet.
fn next_job(
    stream: &mut impl Iterator<Item = crate::error::Result<Sample>>,
    current: &mut Option<(Arc<Sample>, u32)>,
    aggregate: &Aggregate,
    epochs: u32,
) -> Result<Option<(Arc<Sample>, u32)>, RunError> {
    loop {
        if let Some((sample, next)) = current
            && *next <= epochs
        {
            let epoch = *next;
            *next += 1;
            if !aggregate.is_done(&sample.id, epoch) {
                return Ok(Some((sample.clone(), epoch)));
            }
            continue;
        }
        match stream.next() {
            None => return Ok(None),
            Some(sample) => *current = Some((Arc::new(sample?), 1)),
        }
    }
}

/// The settings that change results, hashed.
#[derive(Serialize)]
struct Hashed<'a> {
    format: u32,
    suite: &'a Suite,
    dataset_sha256: &'a str,
    model: (&'a str, &'a str),
    judge: (&'a str, &'a str),
    seed: u64,
    epochs: u32,
    samples: u64,
    generate: &'a GenerateSettings,
}

fn header(
    suite: &Suite,
    task: &Task,
    samples: usize,
    model: &dyn ModelClient,
    judge: &dyn ModelClient,
    config: &RunConfig,
) -> Result<Header, RunError> {
    let info = |client: &dyn ModelClient| ModelInfo {
        name: client.model().to_owned(),
        base_url: client.base_url().to_owned(),
        provider: client.provider().to_owned(),
    };
    let model = info(model);
    let judge = info(judge);
    let generate = GenerateSettings {
        temperature: config.temperature,
        max_tokens: task.limits.max_output_tokens,
        judge_max_tokens: config.judge_max_tokens,
        stream: config.stream,
    };
    let dataset_sha256 = sha256_file(task.dataset.path())?;
    let hashed = Hashed {
        format: LOG_FORMAT,
        suite,
        dataset_sha256: &dataset_sha256,
        model: (&model.name, &model.provider),
        judge: (&judge.name, &judge.provider),
        seed: config.seed,
        epochs: task.epochs,
        samples: samples as u64,
        generate: &generate,
    };
    let canonical = serde_jcs::to_vec(&hashed).map_err(|e| Error::InvalidSuite {
        path: suite.path().to_owned(),
        key: "(whole suite)".to_owned(),
        value: "(not encodable)".to_owned(),
        reason: e.to_string(),
    })?;
    Ok(Header {
        format: LOG_FORMAT,
        run_id: run_id(),
        created: chrono::Utc::now(),
        suite: suite.name.clone(),
        suite_path: suite.path().display().to_string(),
        suite_config: suite.clone(),
        dataset_sha256,
        model,
        judge,
        seed: config.seed,
        epochs: task.epochs,
        samples: samples as u64,
        generate,
        config_hash: hex::encode(Sha256::digest(&canonical)),
    })
}

/// 16 random hex digits.
fn run_id() -> String {
    hex::encode(rand::random::<[u8; 8]>())
}

/// SHA-256 of a dataset file; of a dataset folder, of every file in it
/// (names and contents, in name order).
fn sha256_file(path: &Path) -> Result<String, Error> {
    let mut hasher = Sha256::new();
    hash_into(&mut hasher, path, path)?;
    Ok(hex::encode(hasher.finalize()))
}

fn hash_into(hasher: &mut Sha256, root: &Path, path: &Path) -> Result<(), Error> {
    let io = |source| Error::Io {
        path: path.to_owned(),
        source,
    };
    if path.is_dir() {
        let mut entries = std::fs::read_dir(path)
            .map_err(io)?
            .map(|e| e.map(|e| e.path()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(io)?;
        entries.sort();
        for entry in entries {
            hash_into(hasher, root, &entry)?;
        }
        return Ok(());
    }
    if path != root {
        let name = path.strip_prefix(root).unwrap_or(path);
        hasher.update(name.to_string_lossy().as_bytes());
        hasher.update([0]);
    }
    let mut file = std::fs::File::open(path).map_err(io)?;
    let mut buf = vec![0; 256 << 10];
    loop {
        let n = file.read(&mut buf).map_err(io)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(())
}
