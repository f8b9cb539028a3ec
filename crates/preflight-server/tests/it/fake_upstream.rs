//! A fake model server for fault injection and protocol translation only:
//! each path prefix is one behaviour. It counts what reaches it, so a test
//! can tell that nothing was sent.

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Debug, Default)]
pub struct Seen {
    pub calls: AtomicUsize,
    /// Request bodies as received, newest last.
    pub bodies: Mutex<Vec<Value>>,
    /// Authentication headers as received (`authorization` or `x-api-key`).
    pub keys: Mutex<Vec<String>>,
}

#[derive(Debug)]
pub struct FakeUpstream {
    pub base: String,
    pub seen: Arc<Seen>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for FakeUpstream {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl FakeUpstream {
    pub async fn start() -> Self {
        let seen = Arc::new(Seen::default());
        let app = Router::new()
            .route("/{mode}/v1/chat/completions", axum::routing::post(openai))
            .route("/{mode}/v1/messages", axum::routing::post(anthropic))
            .with_state(seen.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the fake upstream");
        let base = format!("http://{}", listener.local_addr().expect("address"));
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { base, seen, server }
    }

    /// The base URL of behaviour `mode` (`ok`, `echo_key`, `status_500`,
    /// `status_429`, `slow`, `cut`, `invalid_json`, `anthropic`).
    pub fn url(&self, mode: &str) -> String {
        format!("{}/{mode}/v1", self.base)
    }

    pub fn calls(&self) -> usize {
        self.seen.calls.load(Ordering::SeqCst)
    }
}

fn remember(seen: &Seen, headers: &HeaderMap, body: &Bytes) -> Value {
    seen.calls.fetch_add(1, Ordering::SeqCst);
    let key = headers
        .get(header::AUTHORIZATION)
        .or_else(|| headers.get("x-api-key"))
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    seen.keys.lock().expect("lock").push(key);
    let value: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    seen.bodies.lock().expect("lock").push(value.clone());
    value
}

fn completion(content: &str) -> Value {
    json!({
        "id": "chatcmpl-fake", "object": "chat.completion", "created": 1, "model": "upstream-name",
        "choices": [{ "index": 0, "message": { "role": "assistant", "content": content }, "finish_reason": "stop" }],
        "usage": { "prompt_tokens": 11, "completion_tokens": 3, "total_tokens": 14 }
    })
}

fn sse(frames: Vec<String>) -> Response {
    let stream = futures_util::stream::iter(
        frames
            .into_iter()
            .map(|f| Ok::<_, std::io::Error>(Bytes::from(f))),
    );
    (
        [(header::CONTENT_TYPE, "text/event-stream")],
        Body::from_stream(stream),
    )
        .into_response()
}

fn chunk(content: &str) -> String {
    let value = json!({
        "id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 1, "model": "upstream-name",
        "choices": [{ "index": 0, "delta": { "content": content }, "finish_reason": null }]
    });
    format!("data: {value}\n\n")
}

async fn openai(
    State(seen): State<Arc<Seen>>,
    Path(mode): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let request = remember(&seen, &headers, &body);
    let streamed = request["stream"] == json!(true);
    match mode.as_str() {
        "ok" if streamed => {
            let mut frames: Vec<String> = ["Hel", "lo", "!"].iter().map(|c| chunk(c)).collect();
            let usage = json!({
                "id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 1, "model": "upstream-name",
                "choices": [], "usage": { "prompt_tokens": 11, "completion_tokens": 3, "total_tokens": 14 }
            });
            frames.push(format!("data: {usage}\n\n"));
            frames.push("data: [DONE]\n\n".into());
            sse(frames)
        }
        "ok" => axum::Json(completion("Hello!")).into_response(),
        // A careless upstream that repeats the key it was given.
        "echo_key" => {
            let key = headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned();
            if streamed {
                sse(vec![chunk(&key), "data: [DONE]\n\n".into()])
            } else {
                (
                    StatusCode::UNAUTHORIZED,
                    axum::Json(json!({ "error": { "message": format!("Incorrect API key provided: {key}") } })),
                )
                    .into_response()
            }
        }
        "status_500" => (
            StatusCode::INTERNAL_SERVER_ERROR,
            axum::Json(json!({ "error": { "message": "the model crashed" } })),
        )
            .into_response(),
        "status_429" => (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, "7")],
            axum::Json(json!({ "error": { "message": "slow down" } })),
        )
            .into_response(),
        "slow" => {
            tokio::time::sleep(Duration::from_secs(30)).await;
            axum::Json(completion("too late")).into_response()
        }
        "cut" => {
            let pieces = vec![
                Ok(Bytes::from(chunk("partial "))),
                Ok(Bytes::from(chunk("answer"))),
                Err(std::io::Error::other("connection reset")),
            ];
            // A pause before each piece, so the first ones go out before the cut.
            let stream =
                futures_util::StreamExt::then(futures_util::stream::iter(pieces), |piece| async {
                    tokio::time::sleep(Duration::from_millis(30)).await;
                    piece
                });
            (
                [(header::CONTENT_TYPE, "text/event-stream")],
                Body::from_stream(stream),
            )
                .into_response()
        }
        "invalid_json" if streamed => sse(vec![chunk("fine"), "data: {not json\n\n".into()]),
        "invalid_json" => (
            [(header::CONTENT_TYPE, "application/json")],
            "{\"choices\": [ oops",
        )
            .into_response(),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn anthropic(
    State(seen): State<Arc<Seen>>,
    Path(_mode): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let request = remember(&seen, &headers, &body);
    if request["stream"] == json!(true) {
        let event = |name: &str, data: Value| format!("event: {name}\ndata: {data}\n\n");
        return sse(vec![
            event(
                "message_start",
                json!({"type": "message_start", "message": {
                "id": "msg_fake", "type": "message", "role": "assistant", "content": [], "model": "claude-fake",
                "stop_reason": null, "stop_sequence": null, "usage": {"input_tokens": 21, "output_tokens": 1}}}),
            ),
            event(
                "content_block_start",
                json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
            ),
            event("ping", json!({"type": "ping"})),
            event(
                "content_block_delta",
                json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Checking "}}),
            ),
            event(
                "content_block_delta",
                json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "the port."}}),
            ),
            event(
                "content_block_stop",
                json!({"type": "content_block_stop", "index": 0}),
            ),
            event(
                "content_block_start",
                json!({"type": "content_block_start", "index": 1, "content_block": {"type": "tool_use", "id": "toolu_1", "name": "scan_port", "input": {}}}),
            ),
            event(
                "content_block_delta",
                json!({"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": "{\"host\": \"10.0.0.5\","}}),
            ),
            event(
                "content_block_delta",
                json!({"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": " \"port\": 443}"}}),
            ),
            event(
                "content_block_stop",
                json!({"type": "content_block_stop", "index": 1}),
            ),
            event(
                "message_delta",
                json!({"type": "message_delta", "delta": {"stop_reason": "tool_use", "stop_sequence": null}, "usage": {"output_tokens": 17}}),
            ),
            event("message_stop", json!({"type": "message_stop"})),
        ]);
    }
    axum::Json(json!({
        "id": "msg_fake", "type": "message", "role": "assistant", "model": "claude-fake",
        "content": [
            {"type": "text", "text": "Checking the port."},
            {"type": "tool_use", "id": "toolu_1", "name": "scan_port", "input": {"host": "10.0.0.5", "port": 443}}
        ],
        "stop_reason": "tool_use", "stop_sequence": null,
        "usage": {"input_tokens": 21, "output_tokens": 17}
    }))
    .into_response()
}
