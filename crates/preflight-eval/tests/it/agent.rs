//! The agent loop in real bubblewrap sandboxes, driven by a scripted
//! OpenAI-compatible model: native and text tool calls, tool results fed
//! back, submissions scored by the flag or by the task's checker, the turn
//! limit, output truncation told to the model, and the trajectory in the
//! log.
//!
//! Without bubblewrap the tests say they were skipped, and fail under CI.

use std::path::Path;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::header;
use axum::response::Response;
use axum::routing::post;
use preflight_eval::agent::StopReason;
use preflight_eval::log::{SampleRecord, SampleStatus};
use preflight_eval::runner::{LogTarget, RunOutcome, RunSpec, Silent, run};
use preflight_eval::{Role, ScoreValue, Suite};
use preflight_sandbox::SandboxPool;
use preflight_sandbox::bubblewrap::{Bubblewrap, BubblewrapConfig};
use serde_json::{Value, json};

use crate::fixtures::TempDir;
use crate::runner::{client, fast_config, records};

/// Decides the model's answer from the whole request.
type Script = dyn Fn(&Value) -> Value + Send + Sync;

/// A model that answers as `script` says: `{"content": ..., "tool_calls": [...]}`.
async fn scripted_model(script: impl Fn(&Value) -> Value + Send + Sync + 'static) -> String {
    async fn chat(State(script): State<Arc<Script>>, body: Bytes) -> Response {
        let request: Value = serde_json::from_slice(&body).expect("JSON");
        let message = script(&request);
        let finish = if message["tool_calls"].is_array() {
            "tool_calls"
        } else {
            "stop"
        };
        let mut message = message;
        message["role"] = json!("assistant");
        let body = json!({
            "id": "chatcmpl-script", "object": "chat.completion", "created": 0, "model": "script",
            "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            "usage": {"prompt_tokens": 50, "completion_tokens": 10, "total_tokens": 60},
        });
        Response::builder()
            .header(header::CONTENT_TYPE, "application/json")
            .body(body.to_string().into())
            .expect("a response")
    }
    let script: Arc<Script> = Arc::new(script);
    let app = Router::new()
        .route("/v1/chat/completions", post(chat))
        .with_state(script);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/v1")
}

fn sandboxes() -> Option<Arc<SandboxPool>> {
    match Bubblewrap::new(BubblewrapConfig::default()) {
        Ok(backend) => Some(Arc::new(SandboxPool::new(Arc::new(backend), 2))),
        Err(e) if std::env::var_os("CI").is_some() => {
            panic!("bubblewrap is required under CI: {e}")
        }
        Err(e) => {
            eprintln!("agent: skipped, no sandbox: {e}");
            None
        }
    }
}

/// A suite over the shipped ctf-demo tasks, taking `task` only.
fn demo_suite(dir: &Path, task: &str, agent: &str) -> Suite {
    let tasks = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../suites/ctf-demo");
    let others: Vec<String> = std::fs::read_dir(&tasks)
        .expect("the demo tasks")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("task.toml").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name != task)
        .map(|name| format!("{name:?}"))
        .collect();
    let text = format!(
        "name = \"agent-test\"\n[dataset]\npath = {tasks:?}\nformat = \"ctf_tasks\"\nexclude = [{}]\n\
         [solver]\nkind = \"agent\"\n[agent]\n{agent}\n[sandbox]\nmax_alive = 2\nmemory_mb = 1024\n\
         [scorer]\nkind = \"flag\"\n[limits]\ntime_seconds = 120\n",
        others.join(", ")
    );
    let path = dir.join("suite.toml");
    std::fs::write(&path, text).expect("write the suite");
    Suite::load(&path).expect("the suite loads")
}

async fn run_agent(suite: &Suite, url: &str, dir: &Path, pool: Arc<SandboxPool>) -> RunOutcome {
    let spec = RunSpec {
        suite,
        model: client(url),
        judge: None,
        log: LogTarget::New(dir.join("run.jsonl")),
        cache: None,
        config: fast_config(),
        sandboxes: Some(pool),
    };
    run(spec, Arc::new(Silent))
        .await
        .expect("the run completes")
}

/// The last message's content.
fn last_content(request: &Value) -> String {
    request["messages"]
        .as_array()
        .and_then(|m| m.last())
        .and_then(|m| m["content"].as_str())
        .unwrap_or_default()
        .to_owned()
}

/// The first `flag{...}` of word characters in `text` (not the
/// instructions' `flag{...}` placeholder).
fn found_flag(text: &str) -> Option<String> {
    text.match_indices("flag{").find_map(|(start, _)| {
        let body: String = text[start + 5..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        let end = start + 5 + body.len();
        (!body.is_empty() && text[end..].starts_with('}')).then(|| text[start..=end].to_owned())
    })
}

fn only(records: Vec<SampleRecord>) -> SampleRecord {
    assert_eq!(records.len(), 1, "one record");
    records.into_iter().next().expect("one record")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn native_tool_calls_run_in_the_sandbox_and_the_flag_is_submitted() {
    let Some(pool) = sandboxes() else { return };
    let url = scripted_model(|request| {
        assert!(request["tools"].is_array(), "native tools are offered");
        match found_flag(&last_content(request)) {
            None => json!({"content": null, "tool_calls": [{
                "id": "call_1", "type": "function",
                "function": {"name": "bash", "arguments": json!({"cmd": "ls; sed -n 2p note.txt | base64 -d"}).to_string()}}]}),
            Some(flag) => json!({"content": "Found it.", "tool_calls": [{
                "id": "call_2", "type": "function",
                "function": {"name": "submit", "arguments": json!({"answer": flag}).to_string()}}]}),
        }
    })
    .await;
    let dir = TempDir::new();
    let suite = demo_suite(dir.path(), "base64-note", "max_turns = 5");
    let outcome = run_agent(&suite, &url, dir.path(), pool.clone()).await;
    let record = only(records(&dir.path().join("run.jsonl")));
    assert_eq!(record.status, SampleStatus::Scored, "{:?}", record.error);
    let score = record.score.as_ref().expect("scored");
    assert_eq!(score.value, ScoreValue::Correct, "{}", score.explanation);
    assert_eq!(score.metadata["turns"], json!(2));
    let trajectory = record.trajectory.as_ref().expect("a trajectory");
    assert_eq!(trajectory.stop, StopReason::Solved);
    assert_eq!(trajectory.turns.len(), 2);
    let bash = &trajectory.turns[0].tools[0];
    assert_eq!((bash.tool.as_str(), bash.exit_code), ("bash", Some(0)));
    assert!(
        bash.result.contains("note.txt"),
        "ran in the task's files: {}",
        bash.result
    );
    assert!(trajectory.sandbox_ready_seconds > 0.0);
    let tool_message = record
        .messages
        .iter()
        .find(|m| m.role == Role::Tool)
        .expect("the tool's result went back to the model");
    assert_eq!(tool_message.tool_call_id.as_deref(), Some("call_1"));
    assert!(tool_message.content.contains("flag{b4s3_s1xty_f0ur_n0t3}"));
    let agent = outcome.report.agent.expect("an agent summary");
    assert_eq!((agent.records, agent.solved), (1, 1));
    assert_eq!(agent.turns_to_solve.map(|s| s.median), Some(2.0));
    assert_eq!(pool.stats().alive, 0, "the sandbox was torn down");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_calls_and_a_flag_checker_with_a_second_submission() {
    let Some(pool) = sandboxes() else { return };
    let url = scripted_model(|request| {
        assert!(request.get("tools").is_none(), "text calls send no tools");
        let last = last_content(request);
        let content = if last.contains("incorrect") {
            "Let me decrypt it properly.\n```python\ndata = open('cipher.bin','rb').read()\nprint(bytes(b ^ 0x5a for b in data).decode())\n```".to_owned()
        } else if let Some(flag) = found_flag(&last) {
            format!("submit: {flag}")
        } else if last.contains("[python output]") {
            "submit: flag{not_this_one}".to_owned()
        } else {
            "```python\nprint(len(open('cipher.bin','rb').read()))\n```".to_owned()
        };
        json!({"content": content})
    })
    .await;
    let dir = TempDir::new();
    let suite = demo_suite(
        dir.path(),
        "xor-checker",
        "max_turns = 6\ntool_calls = \"text\"\nmax_submissions = 2",
    );
    run_agent(&suite, &url, dir.path(), pool).await;
    let record = only(records(&dir.path().join("run.jsonl")));
    let score = record.score.as_ref().expect("scored");
    assert_eq!(score.value, ScoreValue::Correct, "{}", score.explanation);
    assert!(
        score.explanation.contains("flag checker accepted"),
        "{}",
        score.explanation
    );
    let trajectory = record.trajectory.as_ref().expect("a trajectory");
    assert_eq!(
        trajectory.submissions,
        ["flag{not_this_one}", "flag{x0r_w1th_0n3_byt3_k3y}"]
    );
    assert!(
        record
            .messages
            .iter()
            .any(|m| m.role == Role::User
                && m.content.contains("[python output]\n27\n[exit code 0]")),
        "the first block's output went back as text"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_turn_limit_ends_a_loop_that_calls_nothing_and_long_output_is_cut() {
    let Some(pool) = sandboxes() else { return };
    let url = scripted_model(|request| {
        let turns = request["messages"].as_array().map_or(0, Vec::len);
        if turns <= 2 {
            json!({"content": "```bash\nhead -c 100000 /dev/zero | tr '\\0' a\n```"})
        } else {
            json!({"content": "I am thinking about it."})
        }
    })
    .await;
    let dir = TempDir::new();
    let suite = demo_suite(
        dir.path(),
        "strings-binary",
        "max_turns = 3\ntool_calls = \"text\"\noutput_limit_bytes = 2048",
    );
    run_agent(&suite, &url, dir.path(), pool).await;
    let record = only(records(&dir.path().join("run.jsonl")));
    assert_eq!(record.status, SampleStatus::Scored);
    assert_eq!(record.limit.as_deref(), Some("turns"));
    let score = record.score.as_ref().expect("scored");
    assert_eq!(score.value, ScoreValue::Incorrect);
    assert!(
        score.explanation.contains("no flag was submitted"),
        "{}",
        score.explanation
    );
    let trajectory = record.trajectory.as_ref().expect("a trajectory");
    assert_eq!(
        (trajectory.stop, trajectory.turns.len()),
        (StopReason::Turns, 3)
    );
    let cut = &trajectory.turns[0].tools[0];
    assert_eq!(cut.dropped_bytes, 100_000 - 2048);
    assert!(
        cut.result.contains(
            "[stdout truncated: 97952 more bytes were not shown; the limit is 2048 bytes]"
        ),
        "{}",
        cut.result
    );
    assert!(
        record
            .messages
            .iter()
            .any(|m| m.content.starts_with("Please proceed")),
        "an answer without calls is told to go on"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_sandbox_backend_agentic_samples_say_so() {
    let url = scripted_model(|_| json!({"content": "hello"})).await;
    let dir = TempDir::new();
    let suite = demo_suite(dir.path(), "base64-note", "max_turns = 2");
    let spec = RunSpec {
        suite: &suite,
        model: client(&url),
        judge: None,
        log: LogTarget::New(dir.path().join("run.jsonl")),
        cache: None,
        config: fast_config(),
        sandboxes: None,
    };
    run(spec, Arc::new(Silent))
        .await
        .expect("the run completes");
    let record = only(records(&dir.path().join("run.jsonl")));
    let error = record.error.expect("an error");
    assert_eq!(error.kind, "sandbox_unavailable");
}
