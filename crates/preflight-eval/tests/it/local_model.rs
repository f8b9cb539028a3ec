//! End to end against the real local model (`PREFLIGHT_TEST_MODEL_URL`,
//! an OpenAI-compatible base URL such as `http://127.0.0.1:8099/v1`): 20
//! malware-analysis questions and 20 prompt-injection cases, the second
//! graded by the same model as judge; logs written, report computed,
//! Inspect export produced. The model is a small base model, so the test
//! asserts the pipeline (every sample recorded, tokens counted, judge output
//! kept), never that answers are right.
//!
//! Without the variable the test says it was skipped, and fails under CI.

use std::sync::Arc;
use std::time::Duration;

use preflight_eval::client::{ClientConfig, Provider, connect, first_listed_model};
use preflight_eval::log::{inspect, read_report};
use preflight_eval::runner::{LogTarget, RunConfig, RunSpec, Silent, run};
use preflight_eval::{ScorerKind, Suite};

use crate::fixtures::{TempDir, suite_file};
use crate::runner::records;

const SAMPLES: usize = 20;

fn model_url() -> Option<String> {
    match std::env::var("PREFLIGHT_TEST_MODEL_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var_os("CI").is_some() => panic!(
            "PREFLIGHT_TEST_MODEL_URL is required under CI: start the local model \
             (preflight model serve) and set it to its /v1 base URL"
        ),
        _ => {
            eprintln!("local_model: skipped, PREFLIGHT_TEST_MODEL_URL is not set");
            None
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cyberseceval_suites_against_the_local_model() {
    let Some(url) = model_url() else {
        return;
    };
    let url = url.trim_end_matches('/').to_owned();
    let probe = ClientConfig::new(Provider::Openai, &url, "");
    let name = match std::env::var("PREFLIGHT_TEST_MODEL_NAME") {
        Ok(name) => name,
        Err(_) => first_listed_model(&probe)
            .await
            .expect("the server lists a model"),
    };
    let dir = TempDir::new();
    // The server sends no usage in streams, so only whole answers count
    // tokens; the second suite reads streams.
    for (file, kind, stream) in [
        (
            "cyberseceval-malware-analysis.toml",
            ScorerKind::Choice,
            false,
        ),
        (
            "cyberseceval-prompt-injection.toml",
            ScorerKind::ModelGraded,
            true,
        ),
    ] {
        let mut suite = Suite::load(suite_file(file)).expect("the suite loads");
        assert_eq!(suite.scorer.kind, kind);
        // The model's context is 2,048 tokens and it writes about 95 tokens
        // a second: short answers keep the test to a few minutes.
        suite.limits.max_output_tokens = Some(48);
        let mut config = ClientConfig::new(Provider::Openai, &url, &name);
        config.request_timeout = Duration::from_secs(120);
        let model = connect(config).expect("a client");
        let log = dir.path().join(format!("{}.jsonl", suite.name));
        let spec = RunSpec {
            suite: &suite,
            model: model.clone(),
            judge: Some(model),
            log: LogTarget::New(log.clone()),
            cache: None,
            config: RunConfig {
                limit: Some(SAMPLES),
                // The server answers one request at a time.
                max_connections: 1,
                stream,
                judge_max_tokens: 24,
                temperature: Some(0.0),
                attempt_timeout: Duration::from_secs(120),
                ..RunConfig::default()
            },
        };
        let outcome = run(spec, Arc::new(Silent))
            .await
            .expect("the run completes");
        let report = &outcome.report;
        eprintln!(
            "{}: {} scored, {} errors {:?}, accuracy {:?}, {} + {} tokens",
            suite.name,
            report.scored,
            report.errors,
            report.errors_by_kind,
            report.summary.as_ref().and_then(|s| s.accuracy),
            report.usage.input_tokens,
            report.usage.output_tokens,
        );
        let records = records(&log);
        assert_eq!(records.len(), SAMPLES);
        assert!(
            report.scored as usize >= SAMPLES / 2,
            "most samples are scored: {:?}",
            report.errors_by_kind
        );
        if !stream {
            assert!(report.usage.input_tokens > 0 && report.usage.output_tokens > 0);
        }
        assert!(
            records
                .iter()
                .filter(|r| r.score.is_some())
                .all(|r| r.output.is_some()),
            "scored samples keep the model's answer"
        );
        if kind == ScorerKind::ModelGraded {
            assert!(
                records
                    .iter()
                    .filter_map(|r| r.score.as_ref())
                    .all(|s| s.judge_raw.is_some()),
                "the judge's raw output is kept"
            );
        }
        let (_, _, again) = read_report(&log).expect("the log reads");
        assert_eq!(
            &again.summary, &report.summary,
            "the log reproduces the report"
        );
        let exported = inspect::export(&log, &dir.path().join(format!("{}.eval", suite.name)))
            .expect("the export is written");
        assert_eq!(exported.samples, SAMPLES as u64);
    }
}
