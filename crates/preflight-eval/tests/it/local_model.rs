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
            sandboxes: None,
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

/// Five InterCode tasks, each in its own bubblewrap sandbox, with the real
/// model writing its calls as text (it has no tool calling): every task
/// ends scored with a trajectory, and the model's commands ran in the
/// sandbox.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_agent_loop_runs_intercode_tasks_against_the_local_model() {
    use preflight_eval::agent::ToolCalling;
    use preflight_eval::log::SampleStatus;
    use preflight_sandbox::SandboxPool;
    use preflight_sandbox::bubblewrap::{Bubblewrap, BubblewrapConfig};

    const TASKS: usize = 5;
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
    let backend = Bubblewrap::new(BubblewrapConfig::default()).expect("bubblewrap is installed");
    let pool = Arc::new(SandboxPool::new(Arc::new(backend), 2));
    let mut suite = Suite::load(suite_file("intercode.toml")).expect("the suite loads");
    let agent = suite.agent.get_or_insert_with(Default::default);
    agent.tool_calls = ToolCalling::Text;
    agent.max_turns = 2;
    agent.tool_timeout_seconds = 20;
    agent.output_limit_bytes = 1024;
    // A worked example of the text protocol, which a small model imitates.
    suite.solver.few_shot = [
        (
            "The flag is somewhere in the files here.",
            "```bash\nls -la\n```",
        ),
        (
            "[bash output]\nnotes.txt\n[exit code 0]",
            "```bash\ncat notes.txt\n```",
        ),
        (
            "[bash output]\nflag{example_only}\n[exit code 0]",
            "submit: flag{example_only}",
        ),
    ]
    .into_iter()
    .map(|(user, assistant)| preflight_eval::solver::FewShotExample {
        user: user.to_owned(),
        assistant: assistant.to_owned(),
    })
    .collect();
    // The model's context is 2,048 tokens: short answers, few turns.
    suite.limits.max_output_tokens = Some(96);
    suite.limits.tokens = Some(20_000);
    let mut config = ClientConfig::new(Provider::Openai, &url, &name);
    config.request_timeout = Duration::from_secs(120);
    let model = connect(config).expect("a client");
    let dir = TempDir::new();
    let log = dir.path().join("intercode.jsonl");
    let spec = RunSpec {
        suite: &suite,
        model,
        judge: None,
        log: LogTarget::New(log.clone()),
        cache: None,
        config: RunConfig {
            limit: Some(TASKS),
            max_connections: 1,
            temperature: Some(0.0),
            attempt_timeout: Duration::from_secs(120),
            ..RunConfig::default()
        },
        sandboxes: Some(pool.clone()),
    };
    let outcome = run(spec, Arc::new(Silent))
        .await
        .expect("the run completes");
    let records = records(&log);
    assert_eq!(records.len(), TASKS);
    let mut tool_runs = 0;
    for record in &records {
        assert_eq!(
            record.status,
            SampleStatus::Scored,
            "task {}: {:?}",
            record.id,
            record.error
        );
        let trajectory = record.trajectory.as_ref().expect("a trajectory");
        assert!(
            !trajectory.turns.is_empty(),
            "task {} took no turn",
            record.id
        );
        assert!(record.usage.output_tokens > 0);
        for turn in &trajectory.turns {
            for tool in &turn.tools {
                if tool.tool != "submit" {
                    tool_runs += 1;
                    assert!(
                        tool.exit_code.is_some() || tool.timed_out,
                        "a tool call ran in the sandbox: {tool:?}"
                    );
                }
            }
        }
    }
    let agent = outcome.report.agent.expect("an agent summary");
    eprintln!(
        "intercode x{TASKS} with the local model: {} solved, {tool_runs} tool runs, stops {:?}",
        agent.solved, agent.stops
    );
    assert!(tool_runs > 0, "the model's commands ran in the sandbox");
    assert_eq!(pool.stats().alive, 0, "every sandbox was torn down");
}
