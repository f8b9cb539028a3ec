//! `preflight eval` as a user runs it: `run` against a fake OpenAI-compatible
//! server writes a log and prints the summary, `run --resume` on a complete
//! log sends nothing more, `report` writes the HTML and Inspect files,
//! `compare` pairs two logs.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::extract::State;
use axum::routing::{get, post};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_preflight");

/// Answers `yes` to even-numbered questions and `no` to the others.
async fn fake_model() -> (String, Arc<AtomicU64>, tokio::task::JoinHandle<()>) {
    async fn chat(State(count): State<Arc<AtomicU64>>, body: String) -> axum::Json<Value> {
        count.fetch_add(1, Ordering::SeqCst);
        let request: Value = serde_json::from_str(&body).unwrap();
        let prompt = request["messages"][0]["content"].as_str().unwrap_or("");
        let n: u64 = prompt.trim_start_matches("question ").parse().unwrap_or(0);
        let answer = if n.is_multiple_of(2) { "yes" } else { "no" };
        axum::Json(json!({
            "id": "x", "object": "chat.completion", "created": 0, "model": "fake",
            "choices": [{ "index": 0, "message": { "role": "assistant", "content": answer },
                          "finish_reason": "stop" }],
            "usage": { "prompt_tokens": 5, "completion_tokens": 1, "total_tokens": 6 },
        }))
    }
    async fn models() -> axum::Json<Value> {
        axum::Json(json!({ "object": "list", "data": [{ "id": "fake", "object": "model" }] }))
    }
    let count = Arc::new(AtomicU64::new(0));
    let app = Router::new()
        .route("/v1/chat/completions", post(chat))
        .route("/v1/models", get(models))
        .with_state(count.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/v1", listener.local_addr().unwrap());
    let server = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (url, count, server)
}

fn suite(dir: &Path) -> PathBuf {
    let mut data = String::new();
    for n in 0..10 {
        let tag = if n < 5 { "low" } else { "high" };
        data.push_str(&format!(
            "{{\"id\": \"q{n}\", \"input\": \"question {n}\", \"target\": \"yes\", \"tags\": [\"{tag}\"]}}\n"
        ));
    }
    std::fs::write(dir.join("data.jsonl"), data).unwrap();
    let path = dir.join("suite.toml");
    std::fs::write(
        &path,
        "name = \"cli\"\n[dataset]\npath = \"data.jsonl\"\nformat = \"jsonl\"\n\
         [solver]\nkind = \"generate\"\n[scorer]\nkind = \"includes\"\n",
    )
    .unwrap();
    path
}

async fn preflight(args: &[&str]) -> Output {
    let output = tokio::process::Command::new(BIN)
        .args(args)
        .output()
        .await
        .unwrap();
    assert!(
        output.status.success(),
        "preflight {} failed:\n{}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn text(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_report_compare() {
    let dir = std::env::temp_dir().join(format!("preflight-eval-cli-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let suite = suite(&dir);
    let (url, requests, server) = fake_model().await;
    let logs = dir.join("logs");
    let run = preflight(&[
        "eval",
        "run",
        suite.to_str().unwrap(),
        "--model",
        &url,
        "--log-dir",
        logs.to_str().unwrap(),
        "--epochs",
        "2",
    ])
    .await;
    let summary = text(&run);
    assert!(summary.contains("records 20/20"), "{summary}");
    assert!(
        summary.contains("accuracy        0.500  [0.237, 0.763] Wilson"),
        "{summary}"
    );
    assert!(summary.contains("pass@2"), "{summary}");
    assert!(summary.lines().any(|l| l.starts_with("high")), "{summary}");
    assert_eq!(requests.load(Ordering::SeqCst), 20);
    let log = std::fs::read_dir(&logs)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .expect("a log");
    let log = log.to_str().unwrap();

    let resumed = preflight(&[
        "eval",
        "run",
        suite.to_str().unwrap(),
        "--model",
        &url,
        "--epochs",
        "2",
        "--resume",
        log,
    ])
    .await;
    assert!(text(&resumed).contains("records 20/20"));
    assert_eq!(
        requests.load(Ordering::SeqCst),
        20,
        "a complete log needs nothing more"
    );

    let html = dir.join("report.html");
    let eval = dir.join("run.eval");
    let report = preflight(&[
        "eval",
        "report",
        log,
        "--html",
        html.to_str().unwrap(),
        "--inspect",
        eval.to_str().unwrap(),
    ])
    .await;
    assert_eq!(
        text(&report),
        summary,
        "the report reproduces the run's summary"
    );
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("<svg") && !page.contains("<script") && !page.contains("http://cdn"));
    assert!(std::fs::read(&eval).unwrap().starts_with(b"PK\x03\x04"));

    let compare = text(&preflight(&["eval", "compare", log, log]).await);
    assert!(compare.contains("paired samples 10"), "{compare}");
    assert!(
        compare.contains("difference A - B          0.000  [0.000, 0.000]"),
        "{compare}"
    );
    assert!(compare.contains("McNemar (exact binomial)"), "{compare}");

    server.abort();
    let _ = std::fs::remove_dir_all(&dir);
}
