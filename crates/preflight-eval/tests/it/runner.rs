//! The runner against the fake model: faults of every kind end each sample
//! scored or with its error recorded, none lost, nothing hanging; 429s
//! shrink the connection limit; the cache answers repeated runs; the judge
//! goes through the same retries; time limits hold; torn logs resume.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use preflight_eval::client::{ClientConfig, ModelClient, Provider, connect};
use preflight_eval::log::{LogReader, SampleRecord, SampleStatus};
use preflight_eval::runner::{
    Backoff, LogTarget, ResponseCache, RunConfig, RunOutcome, RunSpec, Silent, run,
};
use preflight_eval::{LogError, RunError, ScoreValue, Suite};

use crate::fake_model::{Action, Asked, FakeModel, parity_answer};
use crate::fixtures::TempDir;

/// A suite of `samples` prompts `question <n>` with target `yes`, tagged
/// by parity, scored by `scorer`, with more `[limits]` lines.
pub fn fake_suite(dir: &Path, samples: u64, scorer: &str, limits: &str) -> Suite {
    let mut data = String::new();
    for n in 0..samples {
        let parity = if n.is_multiple_of(2) { "even" } else { "odd" };
        data.push_str(&format!(
            "{{\"id\": \"s{n}\", \"input\": \"question {n}\", \"target\": \"yes\", \"tags\": [\"parity:{parity}\"]}}\n"
        ));
    }
    std::fs::write(dir.join("data.jsonl"), data).expect("write the dataset");
    let suite = format!(
        "name = \"fake\"\nmetrics = [\"accuracy\"]\n\n[dataset]\npath = \"data.jsonl\"\nformat = \"jsonl\"\n\n\
         [solver]\nkind = \"generate\"\n\n[scorer]\nkind = \"{scorer}\"\n\n[limits]\nmax_output_tokens = 16\n{limits}\n"
    );
    let path = dir.join("suite.toml");
    std::fs::write(&path, suite).expect("write the suite");
    Suite::load(&path).expect("the suite loads")
}

/// Short timeouts and back-off, so faults cost milliseconds.
pub fn fast_config() -> RunConfig {
    RunConfig {
        max_connections: 8,
        max_attempts: 3,
        backoff: Backoff {
            base: Duration::from_millis(5),
            max: Duration::from_millis(50),
            max_retry_after: Duration::from_millis(200),
        },
        attempt_timeout: Duration::from_millis(500),
        sync_interval: Duration::from_millis(50),
        ..RunConfig::default()
    }
}

pub fn client(url: &str) -> Arc<dyn ModelClient> {
    connect(ClientConfig::new(Provider::Openai, url, "fake")).expect("a client")
}

pub async fn run_to_end(
    suite: &Suite,
    url: &str,
    log: LogTarget,
    config: RunConfig,
    cache: Option<&Path>,
) -> Result<RunOutcome, RunError> {
    let spec = RunSpec {
        suite,
        model: client(url),
        judge: None,
        log,
        cache: cache.map(ResponseCache::new),
        config,
        sandboxes: None,
    };
    tokio::time::timeout(Duration::from_secs(60), run(spec, Arc::new(Silent)))
        .await
        .expect("the run ends within a minute")
}

/// Every sample record of a log, checking each (id, epoch) appears once.
pub fn records(path: &Path) -> Vec<SampleRecord> {
    let mut reader = LogReader::open(path).expect("the log opens");
    let mut records = Vec::new();
    let mut seen = HashSet::new();
    while let Some(record) = reader.next_sample().expect("the log reads") {
        assert!(
            seen.insert((record.id.clone(), record.epoch)),
            "{} epoch {} is in the log twice",
            record.id,
            record.epoch
        );
        records.push(record);
    }
    assert!(!reader.torn(), "the log ends with a whole line");
    records
}

fn number(record: &SampleRecord) -> u64 {
    record.id[1..].parse().expect("ids are s<n>")
}

/// First attempts fail in every retryable way; n % 10 of 5, 6 and 7 always
/// fail (500, 400, hang).
fn faulty(asked: Asked) -> Action {
    let first = asked.attempt == 1;
    match asked.n % 10 {
        0 if first => Action::RateLimit { retry_after_ms: 30 },
        1 if first => Action::ServerError,
        2 if first => Action::Hang,
        3 if first => Action::Cut,
        4 if first => Action::InvalidJson,
        5 => Action::ServerError,
        6 => Action::BadRequest,
        7 => Action::Hang,
        8 if first => Action::EndEarly,
        _ => parity_answer(asked),
    }
}

async fn faults_end_scored_or_recorded(stream: bool) {
    let dir = TempDir::new();
    let suite = fake_suite(dir.path(), 100, "includes", "");
    let fake = FakeModel::start(faulty).await;
    let log = dir.path().join("run.jsonl");
    let config = RunConfig {
        stream,
        ..fast_config()
    };
    let started = Instant::now();
    let outcome = run_to_end(&suite, &fake.url, LogTarget::New(log.clone()), config, None)
        .await
        .expect("the run completes");
    let records = records(&log);
    assert_eq!(records.len(), 100, "every sample has a record");
    for record in &records {
        let n = number(record);
        let error = record.error.as_ref().map(|e| e.kind.as_str());
        let (status, kind, attempts) = match n % 10 {
            5 => (SampleStatus::Error, Some("server_error"), 3),
            6 => (SampleStatus::Error, Some("client_error"), 1),
            7 => (SampleStatus::Error, Some("timeout"), 3),
            9 => (SampleStatus::Scored, None, 1),
            _ => (SampleStatus::Scored, None, 2),
        };
        assert_eq!(
            (record.status, error, record.attempts),
            (status, kind, attempts),
            "sample {n}: {:?} {:?}",
            record.error,
            record.output
        );
        if status == SampleStatus::Scored {
            let expected = ScoreValue::from_bool(n.is_multiple_of(2));
            assert_eq!(record.score.as_ref().map(|s| s.value), Some(expected));
            assert_eq!(
                record.usage.input_tokens, 7,
                "usage read (stream: {stream})"
            );
        } else {
            assert!(record.score.is_none());
        }
    }
    let report = outcome.report;
    assert_eq!(
        (report.records, report.scored, report.errors),
        (100, 70, 30)
    );
    let kinds: BTreeMap<&str, u64> = report
        .errors_by_kind
        .iter()
        .map(|(k, v)| (k.as_str(), *v))
        .collect();
    assert_eq!(
        kinds,
        BTreeMap::from([("client_error", 10), ("server_error", 10), ("timeout", 10)])
    );
    let summary = report.summary.expect("a summary");
    assert_eq!(summary.samples, 70);
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_whole_answers() {
    faults_end_scored_or_recorded(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_streamed_answers() {
    faults_end_scored_or_recorded(true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_shrink_the_connection_limit() {
    let dir = TempDir::new();
    let suite = fake_suite(dir.path(), 120, "includes", "");
    // The server takes two requests at a time and sends 429 to the rest.
    let fake = FakeModel::start_with(parity_answer, Some(2), Duration::from_millis(10)).await;
    let log = dir.path().join("run.jsonl");
    let config = RunConfig {
        max_connections: 16,
        increase_every: 10,
        max_attempts: 10,
        ..fast_config()
    };
    let outcome = run_to_end(&suite, &fake.url, LogTarget::New(log.clone()), config, None)
        .await
        .expect("the run completes");
    assert_eq!(
        outcome.report.scored, 120,
        "{:?}",
        outcome.report.errors_by_kind
    );
    let rate_limited = fake
        .state
        .rate_limited
        .load(std::sync::atomic::Ordering::SeqCst);
    // Sixteen connections against a capacity of two would draw about seven
    // 429s per answer; halving on each window keeps it to a fraction.
    assert!(
        rate_limited < 120,
        "{rate_limited} rate-limited answers for 120 samples"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cache_answers_a_repeated_run() {
    let dir = TempDir::new();
    let suite = fake_suite(dir.path(), 20, "includes", "");
    let fake = FakeModel::start(parity_answer).await;
    let cache = dir.path().join("cache");
    let first = dir.path().join("first.jsonl");
    let second = dir.path().join("second.jsonl");
    run_to_end(
        &suite,
        &fake.url,
        LogTarget::New(first.clone()),
        fast_config(),
        Some(&cache),
    )
    .await
    .expect("the first run completes");
    assert_eq!(fake.requests(), 20);
    run_to_end(
        &suite,
        &fake.url,
        LogTarget::New(second.clone()),
        fast_config(),
        Some(&cache),
    )
    .await
    .expect("the second run completes");
    assert_eq!(fake.requests(), 20, "the second run sent nothing");
    let values = |records: Vec<SampleRecord>| -> BTreeMap<String, Option<f64>> {
        records.iter().map(|r| (r.id.clone(), r.value())).collect()
    };
    let again = records(&second);
    assert!(again.iter().all(|r| r.cached && r.attempts == 0));
    assert_eq!(values(records(&first)), values(again));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn judge_calls_are_retried_and_recorded() {
    let dir = TempDir::new();
    let suite = fake_suite(dir.path(), 40, "model_graded", "");
    let fake = FakeModel::start(|asked: Asked| match (asked.judge, asked.n % 4) {
        (true, 3) => Action::ServerError,
        (true, 1) if asked.attempt == 1 => Action::RateLimit { retry_after_ms: 10 },
        _ => parity_answer(asked),
    })
    .await;
    let log = dir.path().join("run.jsonl");
    run_to_end(
        &suite,
        &fake.url,
        LogTarget::New(log.clone()),
        fast_config(),
        None,
    )
    .await
    .expect("the run completes");
    let records = records(&log);
    assert_eq!(records.len(), 40);
    for record in &records {
        let n = number(record);
        if n % 4 == 3 {
            let error = record.error.as_ref().expect("an error");
            assert_eq!(error.kind, "judge_server_error");
            assert!(record.output.is_some(), "the model's answer is kept");
        } else {
            let score = record.score.as_ref().expect("a score");
            assert_eq!(score.value, ScoreValue::Correct);
            assert!(
                score
                    .judge_raw
                    .as_deref()
                    .is_some_and(|r| r.contains("GRADE: C"))
            );
            assert!(record.judge_usage.is_some());
            let attempts = if n % 4 == 1 { 3 } else { 2 };
            assert_eq!(record.attempts, attempts, "sample {n}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn time_limit_ends_a_hanging_sample() {
    let dir = TempDir::new();
    let suite = fake_suite(dir.path(), 4, "includes", "time_seconds = 1");
    let fake = FakeModel::start(|asked: Asked| {
        if asked.n == 0 {
            Action::Hang
        } else {
            parity_answer(asked)
        }
    })
    .await;
    let log = dir.path().join("run.jsonl");
    let config = RunConfig {
        attempt_timeout: Duration::from_secs(30),
        ..fast_config()
    };
    let started = Instant::now();
    run_to_end(&suite, &fake.url, LogTarget::New(log.clone()), config, None)
        .await
        .expect("the run completes");
    assert!(started.elapsed() < Duration::from_secs(10));
    let records = records(&log);
    let hung = records.iter().find(|r| r.id == "s0").expect("s0 recorded");
    assert_eq!(
        hung.error.as_ref().map(|e| e.kind.as_str()),
        Some("time_limit")
    );
    assert_eq!(records.iter().filter(|r| r.value().is_some()).count(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_torn_last_line_is_cut_off_on_resume() {
    let dir = TempDir::new();
    let suite = fake_suite(dir.path(), 10, "includes", "");
    let fake = FakeModel::start(parity_answer).await;
    let log = dir.path().join("run.jsonl");
    run_to_end(
        &suite,
        &fake.url,
        LogTarget::New(log.clone()),
        fast_config(),
        None,
    )
    .await
    .expect("the run completes");
    // Drop the summary and two records, and leave half a record behind, as
    // a process killed mid-write would.
    let text = std::fs::read_to_string(&log).expect("read the log");
    let lines: Vec<&str> = text.lines().collect();
    let mut torn = lines[..lines.len() - 3].join("\n");
    torn.push('\n');
    torn.push_str(&lines[lines.len() - 2][..40]);
    std::fs::write(&log, torn).expect("tear the log");
    let reader_records = {
        let mut reader = LogReader::open(&log).expect("opens");
        let aggregate = reader.aggregate().expect("reads up to the torn line");
        assert!(reader.torn());
        aggregate.records
    };
    assert_eq!(reader_records, 8);
    let outcome = run_to_end(
        &suite,
        &fake.url,
        LogTarget::Resume(log.clone()),
        fast_config(),
        None,
    )
    .await
    .expect("the resumed run completes");
    assert_eq!((outcome.resumed, outcome.written), (8, 2));
    assert_eq!(records(&log).len(), 10);
    let text = std::fs::read_to_string(&log).expect("read the log");
    assert!(text.ends_with('\n'));
    assert!(
        text.lines()
            .all(|l| serde_json::from_str::<serde_json::Value>(l).is_ok()),
        "every line is whole"
    );
    assert_eq!(fake.requests(), 12);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resume_refuses_a_log_of_other_settings() {
    let dir = TempDir::new();
    let suite = fake_suite(dir.path(), 3, "includes", "");
    let fake = FakeModel::start(parity_answer).await;
    let log = dir.path().join("run.jsonl");
    run_to_end(
        &suite,
        &fake.url,
        LogTarget::New(log.clone()),
        fast_config(),
        None,
    )
    .await
    .expect("the run completes");
    let other = RunConfig {
        seed: 9,
        epochs: Some(2),
        ..fast_config()
    };
    let error = run_to_end(
        &suite,
        &fake.url,
        LogTarget::Resume(log.clone()),
        other,
        None,
    )
    .await
    .expect_err("other settings are refused");
    match error {
        RunError::Log(LogError::Mismatch { differs, .. }) => {
            assert_eq!(differs, ["seed", "epochs"]);
        }
        other => panic!("expected a mismatch, got {other}"),
    }
    let exists = run_to_end(&suite, &fake.url, LogTarget::New(log), fast_config(), None).await;
    assert!(
        matches!(exists, Err(RunError::Log(LogError::Io { .. }))),
        "a new run never overwrites a log"
    );
}
