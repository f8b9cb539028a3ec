//! A fake OpenAI-compatible server for the runner tests. It answers every
//! request as a script says, by sample number and attempt: a normal answer
//! (whole or streamed), or a fault (429 with Retry-After, 500, 400, a hang,
//! a body or stream cut short, invalid JSON).
//!
//! Prompts are `question <n>`; a judge prompt is recognised by the default
//! rubric's `[Answer]` heading. Answers are `yes` for even n and `no` for
//! odd n, so an `includes` scorer with target `yes` scores by parity.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::Response;
use axum::routing::post;
use serde_json::{Value, json};

/// What the server does with one request.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// A normal answer with this text.
    Answer(String),
    /// 429, with `retry-after-ms`.
    RateLimit { retry_after_ms: u64 },
    /// 500.
    ServerError,
    /// 400.
    BadRequest,
    /// Never answers (well, after a minute).
    Hang,
    /// Starts the answer, then breaks the connection.
    Cut,
    /// A stream that ends cleanly but without a finish reason or [DONE].
    EndEarly,
    /// 200 with a body that is not JSON.
    InvalidJson,
}

/// Who is asking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Asked {
    /// The sample number in the prompt.
    pub n: u64,
    /// This request's number for this prompt, from 1.
    pub attempt: u32,
    pub judge: bool,
}

type Script = dyn Fn(Asked) -> Action + Send + Sync;

pub struct FakeState {
    script: Box<Script>,
    attempts: Mutex<HashMap<String, u32>>,
    /// Requests answered, of any kind.
    pub requests: AtomicU64,
    pub rate_limited: AtomicU64,
    in_flight: AtomicUsize,
    /// The most requests in flight at once.
    pub peak: AtomicUsize,
    /// Above this many requests in flight, answer 429.
    capacity: Option<usize>,
    /// How long each answer takes.
    delay: Duration,
}

/// A running fake; stops when dropped.
pub struct FakeModel {
    pub url: String,
    pub state: Arc<FakeState>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for FakeModel {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl FakeModel {
    /// Serves `script` on a free loopback port.
    pub async fn start(script: impl Fn(Asked) -> Action + Send + Sync + 'static) -> FakeModel {
        FakeModel::start_with(script, None, Duration::ZERO).await
    }

    /// Serves `script`, answering 429 above `capacity` requests in flight,
    /// each answer taking `delay`.
    pub async fn start_with(
        script: impl Fn(Asked) -> Action + Send + Sync + 'static,
        capacity: Option<usize>,
        delay: Duration,
    ) -> FakeModel {
        let state = Arc::new(FakeState {
            script: Box::new(script),
            attempts: Mutex::new(HashMap::new()),
            requests: AtomicU64::new(0),
            rate_limited: AtomicU64::new(0),
            in_flight: AtomicUsize::new(0),
            peak: AtomicUsize::new(0),
            capacity,
            delay,
        });
        let app = Router::new()
            .route("/v1/chat/completions", post(chat))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a loopback port");
        let url = format!(
            "http://{}/v1",
            listener.local_addr().expect("local address")
        );
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("serve the fake");
        });
        FakeModel { url, state, server }
    }

    pub fn requests(&self) -> u64 {
        self.state.requests.load(Ordering::SeqCst)
    }
}

/// The normal answer: `yes` for even n, `no` for odd.
pub fn parity_answer(asked: Asked) -> Action {
    if asked.judge {
        Action::Answer("The answer is fine.\nGRADE: C".to_owned())
    } else if asked.n.is_multiple_of(2) {
        Action::Answer("yes".to_owned())
    } else {
        Action::Answer("no".to_owned())
    }
}

struct InFlight<'a>(&'a FakeState);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

async fn chat(State(state): State<Arc<FakeState>>, body: Bytes) -> Response {
    state.requests.fetch_add(1, Ordering::SeqCst);
    let now = state.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    let _guard = InFlight(&state);
    state.peak.fetch_max(now, Ordering::SeqCst);
    let request: Value = serde_json::from_slice(&body).expect("the client sends JSON");
    let stream = request["stream"].as_bool().unwrap_or(false);
    let last = request["messages"]
        .as_array()
        .and_then(|m| m.last())
        .and_then(|m| m["content"].as_str())
        .unwrap_or_default()
        .to_owned();
    let judge = last.contains("[Answer]");
    let n = number_in(&last);
    let attempt = {
        let mut attempts = state.attempts.lock().expect("attempts lock");
        let count = attempts.entry(last).or_default();
        *count += 1;
        *count
    };
    if let Some(capacity) = state.capacity
        && now > capacity
    {
        state.rate_limited.fetch_add(1, Ordering::SeqCst);
        return rate_limit(20);
    }
    if !state.delay.is_zero() {
        tokio::time::sleep(state.delay).await;
    }
    let action = (state.script)(Asked { n, attempt, judge });
    match action {
        Action::Answer(text) if stream => sse(&text, true),
        Action::Answer(text) => whole(&text),
        Action::RateLimit { retry_after_ms } => {
            state.rate_limited.fetch_add(1, Ordering::SeqCst);
            rate_limit(retry_after_ms)
        }
        Action::ServerError => error(StatusCode::INTERNAL_SERVER_ERROR, "the fake broke"),
        Action::BadRequest => error(StatusCode::BAD_REQUEST, "the fake refuses this prompt"),
        Action::Hang => {
            tokio::time::sleep(Duration::from_secs(60)).await;
            whole("too late")
        }
        Action::Cut => cut(stream),
        Action::EndEarly => sse("half an ans", false),
        Action::InvalidJson => Response::builder()
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from("{\"choices\": [ this is not json"))
            .expect("a response"),
    }
}

/// The first number in `text`, or 0.
fn number_in(text: &str) -> u64 {
    let digits: String = text
        .chars()
        .skip_while(|c| !c.is_ascii_digit())
        .take_while(|c| c.is_ascii_digit())
        .collect();
    digits.parse().unwrap_or(0)
}

fn usage() -> Value {
    json!({ "prompt_tokens": 7, "completion_tokens": 3, "total_tokens": 10 })
}

fn whole(text: &str) -> Response {
    let body = json!({
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 0,
        "model": "fake",
        "choices": [{
            "index": 0,
            "message": { "role": "assistant", "content": text },
            "finish_reason": "stop",
        }],
        "usage": usage(),
    });
    Response::builder()
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .expect("a response")
}

fn chunk(delta: Value, finish: Option<&str>) -> String {
    let chunk = json!({
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": "fake",
        "choices": [{ "index": 0, "delta": delta, "finish_reason": finish }],
    });
    format!("data: {chunk}\n\n")
}

/// An event stream of `text` in two pieces; `complete` adds the finish
/// reason, the usage chunk and `[DONE]`.
fn sse(text: &str, complete: bool) -> Response {
    let middle = (0..=text.len() / 2)
        .rev()
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(0);
    let (a, b) = text.split_at(middle);
    let mut body = chunk(json!({ "role": "assistant", "content": "" }), None);
    body.push_str(&chunk(json!({ "content": a }), None));
    body.push_str(&chunk(json!({ "content": b }), None));
    if complete {
        body.push_str(&chunk(json!({}), Some("stop")));
        let usage_chunk = json!({
            "id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 0,
            "model": "fake", "choices": [], "usage": usage(),
        });
        body.push_str(&format!("data: {usage_chunk}\n\ndata: [DONE]\n\n"));
    }
    Response::builder()
        .header(header::CONTENT_TYPE, "text/event-stream")
        .body(Body::from(body))
        .expect("a response")
}

/// Sends the start of an answer, then breaks the connection.
fn cut(stream: bool) -> Response {
    let (content_type, start) = if stream {
        (
            "text/event-stream",
            chunk(json!({ "role": "assistant", "content": "ye" }), None),
        )
    } else {
        (
            "application/json",
            "{\"choices\": [{\"index\": 0, ".to_owned(),
        )
    };
    let parts: Vec<Result<Bytes, std::io::Error>> = vec![
        Ok(Bytes::from(start)),
        Err(std::io::Error::other("the fake cuts the connection")),
    ];
    Response::builder()
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from_stream(futures_util::stream::iter(parts)))
        .expect("a response")
}

fn error(status: StatusCode, message: &str) -> Response {
    let body = json!({ "error": { "message": message, "type": "fake_error" } });
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .expect("a response")
}

fn rate_limit(retry_after_ms: u64) -> Response {
    let body = json!({ "error": { "message": "slow down", "type": "rate_limit" } });
    Response::builder()
        .status(StatusCode::TOO_MANY_REQUESTS)
        .header("retry-after-ms", retry_after_ms.to_string())
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .expect("a response")
}
