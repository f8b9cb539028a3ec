//! Crash and resume: a run of 500 samples and 2 epochs against the fake
//! model, in a child process killed (SIGKILL) at random moments and resumed
//! each time, ends with every (sample, epoch) in its log exactly once and
//! the same scores as an uninterrupted run.
//!
//! The child is this test binary, started on the `resume::child` test with
//! its settings in an environment variable; without it that test does
//! nothing. The moments come from a seeded generator; set
//! `PREFLIGHT_RESUME_SEED` to replay another sequence.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use preflight_eval::Suite;
use preflight_eval::runner::{LogTarget, RunConfig};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::fake_model::{Action, Asked, FakeModel, parity_answer};
use crate::fixtures::TempDir;
use crate::runner::{fake_suite, fast_config, records, run_to_end};

const CHILD: &str = "PREFLIGHT_EVAL_RESUME_CHILD";
const SAMPLES: u64 = 500;
const EPOCHS: u32 = 2;
const KILLS: usize = 6;
const DEFAULT_SEED: u64 = 0x5eed_e7a1;

#[derive(Debug, Serialize, Deserialize)]
struct ChildRun {
    suite: PathBuf,
    url: String,
    log: PathBuf,
}

fn config() -> RunConfig {
    RunConfig {
        epochs: Some(EPOCHS),
        max_connections: 4,
        ..fast_config()
    }
}

/// Some retries, some samples that always fail.
fn script(asked: Asked) -> Action {
    match asked.n {
        n if n.is_multiple_of(13) => Action::BadRequest,
        n if n.is_multiple_of(7) && asked.attempt == 1 => Action::ServerError,
        _ => parity_answer(asked),
    }
}

/// The run in the child process: a new log, or the existing one resumed.
#[test]
fn child() {
    let Ok(settings) = std::env::var(CHILD) else {
        return;
    };
    let settings: ChildRun = serde_json::from_str(&settings).expect("child settings");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let suite = Suite::load(&settings.suite).expect("the suite loads");
        let target = if settings.log.exists() {
            LogTarget::Resume(settings.log.clone())
        } else {
            LogTarget::New(settings.log.clone())
        };
        run_to_end(&suite, &settings.url, target, config(), None)
            .await
            .expect("the run completes");
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_runs_resume_to_the_uninterrupted_result() {
    let seed = std::env::var("PREFLIGHT_RESUME_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(DEFAULT_SEED);
    let dir = TempDir::new();
    let suite = fake_suite(dir.path(), SAMPLES, "includes", "");

    let reference_fake = FakeModel::start_with(script, None, Duration::from_millis(2)).await;
    let reference = dir.path().join("reference.jsonl");
    run_to_end(
        &suite,
        &reference_fake.url,
        LogTarget::New(reference.clone()),
        config(),
        None,
    )
    .await
    .expect("the uninterrupted run completes");

    let fake = FakeModel::start_with(script, None, Duration::from_millis(2)).await;
    let log = dir.path().join("crashed.jsonl");
    let settings = serde_json::to_string(&ChildRun {
        suite: suite.path().to_owned(),
        url: fake.url.clone(),
        log: log.clone(),
    })
    .expect("encode");
    let exe = std::env::current_exe().expect("the test binary");
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut kills = 0;
    let mut starts = 0;
    // Sample records in the log after each kill.
    let mut after_kills = Vec::new();
    loop {
        starts += 1;
        assert!(starts < 40, "the run never completed");
        let mut child = tokio::process::Command::new(&exe)
            .args([
                "resume::child",
                "--exact",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD, &settings)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("start the child");
        if kills < KILLS {
            let after = Duration::from_millis(rng.gen_range(30..=400));
            if tokio::time::timeout(after, child.wait()).await.is_err() {
                child.start_kill().expect("kill the child");
                child.wait().await.expect("reap the child");
                kills += 1;
                let text = std::fs::read_to_string(&log).unwrap_or_default();
                after_kills.push(text.matches("\"type\":\"sample\"").count());
                continue;
            }
        }
        let output = tokio::time::timeout(Duration::from_secs(120), child.wait_with_output())
            .await
            .expect("the child ends")
            .expect("the child's output");
        assert!(
            output.status.success(),
            "the child failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        break;
    }
    eprintln!(
        "resume: {kills} kills, {starts} starts, records after each kill {after_kills:?} (seed {seed:#x})"
    );
    let total = (SAMPLES * u64::from(EPOCHS)) as usize;
    assert!(
        after_kills.iter().any(|&n| n > 0 && n < total),
        "at least one kill lands mid-run: {after_kills:?}"
    );

    let crashed = records(&log);
    let expected = records(&reference);
    assert_eq!(crashed.len(), total);
    let outcome = |records: Vec<preflight_eval::SampleRecord>| {
        records
            .into_iter()
            .map(|r| {
                let value = r.value();
                let error = r.error.map(|e| e.kind);
                ((r.id, r.epoch), (r.status, value, error))
            })
            .collect::<BTreeMap<_, _>>()
    };
    assert_eq!(outcome(crashed), outcome(expected));
    let text = std::fs::read_to_string(&log).expect("read the log");
    assert_eq!(
        text.lines()
            .filter(|l| l.starts_with("{\"type\":\"summary\""))
            .count(),
        1,
        "one summary, at the end"
    );
}
