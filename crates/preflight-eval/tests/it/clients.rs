//! The model clients on their own: what they send (credentials, tools,
//! the Messages API translation) and how they read whole and streamed
//! answers, tool calls and usage, from canned servers.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::Response;
use axum::routing::post;
use preflight_eval::client::{
    ApiKey, ClientConfig, ClientError, GenerateRequest, Provider, connect,
};
use preflight_eval::{ChatMessage, Usage};
use serde_json::{Value, json};

/// The last request a canned server received: headers and body.
type Seen = Arc<Mutex<Option<(HeaderMap, Value)>>>;

/// Serves `answer(request body)` at `path`, as JSON or as an event stream
/// when it starts with `event:` or `data:`.
async fn canned(
    path: &'static str,
    answer: fn(&Value) -> String,
) -> (String, Seen, tokio::task::JoinHandle<()>) {
    #[derive(Clone)]
    struct Canned {
        seen: Seen,
        answer: fn(&Value) -> String,
    }
    async fn handle(State(canned): State<Canned>, headers: HeaderMap, body: String) -> Response {
        let request: Value = serde_json::from_str(&body).expect("JSON request");
        let text = (canned.answer)(&request);
        *canned.seen.lock().expect("lock") = Some((headers, request));
        let kind = if text.starts_with("event:") || text.starts_with("data:") {
            "text/event-stream"
        } else {
            "application/json"
        };
        Response::builder()
            .header(header::CONTENT_TYPE, kind)
            .body(Body::from(text))
            .expect("a response")
    }
    let seen: Seen = Arc::default();
    let app = Router::new().route(path, post(handle)).with_state(Canned {
        seen: seen.clone(),
        answer,
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/v1", listener.local_addr().expect("address"));
    let server = tokio::spawn(async move {
        axum::serve(listener, app).await.expect("serve");
    });
    (url, seen, server)
}

fn request(stream: bool) -> GenerateRequest {
    GenerateRequest {
        messages: vec![
            ChatMessage::system("Be brief."),
            ChatMessage::user("Look up CVE-2024-3094."),
        ],
        max_tokens: Some(64),
        temperature: Some(0.0),
        tools: vec![json!({
            "type": "function",
            "function": { "name": "lookup", "parameters": { "type": "object" } },
        })],
        stream,
    }
}

fn openai_answer(request: &Value) -> String {
    let call = json!({ "id": "call_1", "type": "function",
        "function": { "name": "lookup", "arguments": "{\"id\":\"CVE-2024-3094\"}" } });
    if request["stream"] == json!(true) {
        let chunk = |delta: Value, finish: Value| {
            let chunk = json!({ "id": "c", "object": "chat.completion.chunk", "created": 0,
                "model": "m", "choices": [{ "index": 0, "delta": delta, "finish_reason": finish }] });
            format!("data: {chunk}\n\n")
        };
        let mut body = chunk(
            json!({ "role": "assistant", "content": "Checking" }),
            Value::Null,
        );
        body += &chunk(
            json!({ "tool_calls": [{ "index": 0, "id": "call_1", "type": "function",
                "function": { "name": "lookup", "arguments": "{\"id\":" } }] }),
            Value::Null,
        );
        body += &chunk(
            json!({ "tool_calls": [{ "index": 0, "function": { "arguments": "\"CVE-2024-3094\"}" } }] }),
            Value::Null,
        );
        body += &chunk(json!({}), json!("tool_calls"));
        let usage = json!({ "id": "c", "object": "chat.completion.chunk", "created": 0,
            "model": "m", "choices": [],
            "usage": { "prompt_tokens": 11, "completion_tokens": 4, "total_tokens": 15 } });
        body + &format!("data: {usage}\n\ndata: [DONE]\n\n")
    } else {
        json!({ "id": "c", "object": "chat.completion", "created": 0, "model": "m",
            "choices": [{ "index": 0, "finish_reason": "tool_calls",
                "message": { "role": "assistant", "content": "Checking", "tool_calls": [call] } }],
            "usage": { "prompt_tokens": 11, "completion_tokens": 4, "total_tokens": 15 } })
        .to_string()
    }
}

#[tokio::test]
async fn openai_tool_calls_and_usage_whole_and_streamed() {
    let (url, seen, server) = canned("/v1/chat/completions", openai_answer).await;
    let config =
        ClientConfig::new(Provider::Openai, &url, "m").with_api_key(Some(ApiKey::new("sk-test")));
    assert!(
        !format!("{config:?}").contains("sk-test"),
        "Debug hides the key"
    );
    let client = connect(config).expect("a client");
    for stream in [false, true] {
        let output = client.generate(&request(stream)).await.expect("an answer");
        assert_eq!(output.completion, "Checking");
        assert_eq!(output.stop_reason.as_deref(), Some("tool_calls"));
        assert_eq!(
            output.usage,
            Some(Usage {
                input_tokens: 11,
                output_tokens: 4
            })
        );
        assert_eq!(output.tool_calls.len(), 1, "stream: {stream}");
        assert_eq!(output.tool_calls[0]["function"]["name"], "lookup");
        assert_eq!(
            output.tool_calls[0]["function"]["arguments"],
            "{\"id\":\"CVE-2024-3094\"}"
        );
        let (headers, body) = seen.lock().expect("lock").clone().expect("a request");
        assert_eq!(headers["authorization"], "Bearer sk-test");
        assert_eq!(body["tools"][0]["function"]["name"], "lookup");
        assert_eq!(body["max_tokens"], 64);
        assert_eq!(body["messages"][0]["role"], "system");
        if stream {
            assert_eq!(body["stream_options"]["include_usage"], true);
        }
    }
    server.abort();
}

fn anthropic_answer(request: &Value) -> String {
    if request["stream"] != json!(true) {
        return json!({ "id": "msg_1", "type": "message", "role": "assistant",
            "content": [{ "type": "text", "text": "Patched in 5.6.2." }], "model": "claude",
            "stop_reason": "end_turn", "stop_sequence": null,
            "usage": { "input_tokens": 20, "output_tokens": 6 } })
        .to_string();
    }
    let events = [
        (
            "message_start",
            json!({ "type": "message_start", "message": { "id": "msg_1",
            "type": "message", "role": "assistant", "content": [], "model": "claude",
            "stop_reason": null, "stop_sequence": null,
            "usage": { "input_tokens": 20, "output_tokens": 1 } } }),
        ),
        (
            "content_block_start",
            json!({ "type": "content_block_start", "index": 0,
            "content_block": { "type": "text", "text": "" } }),
        ),
        (
            "content_block_delta",
            json!({ "type": "content_block_delta", "index": 0,
            "delta": { "type": "text_delta", "text": "Patched " } }),
        ),
        (
            "content_block_delta",
            json!({ "type": "content_block_delta", "index": 0,
            "delta": { "type": "text_delta", "text": "in 5.6.2." } }),
        ),
        (
            "content_block_stop",
            json!({ "type": "content_block_stop", "index": 0 }),
        ),
        (
            "message_delta",
            json!({ "type": "message_delta",
            "delta": { "stop_reason": "end_turn", "stop_sequence": null },
            "usage": { "output_tokens": 6 } }),
        ),
        ("message_stop", json!({ "type": "message_stop" })),
    ];
    // A request with a very small budget gets a stream cut before its end.
    let keep = if request["max_tokens"] == json!(1) {
        4
    } else {
        events.len()
    };
    events[..keep]
        .iter()
        .map(|(name, data)| format!("event: {name}\ndata: {data}\n\n"))
        .collect()
}

#[tokio::test]
async fn anthropic_messages_translated_both_ways() {
    let (url, seen, server) = canned("/v1/messages", anthropic_answer).await;
    let config = ClientConfig::new(Provider::Anthropic, &url, "claude")
        .with_api_key(Some(ApiKey::new("sk-ant-test")));
    let client = connect(config).expect("a client");
    assert_eq!(client.provider(), "anthropic");
    for stream in [false, true] {
        let mut request = request(stream);
        request.tools.clear();
        let output = client.generate(&request).await.expect("an answer");
        assert_eq!(output.completion, "Patched in 5.6.2.", "stream: {stream}");
        assert_eq!(output.stop_reason.as_deref(), Some("stop"));
        assert_eq!(
            output.usage,
            Some(Usage {
                input_tokens: 20,
                output_tokens: 6
            })
        );
        let (headers, body) = seen.lock().expect("lock").clone().expect("a request");
        assert_eq!(headers["x-api-key"], "sk-ant-test");
        assert!(headers.contains_key("anthropic-version"));
        assert_eq!(body["system"], "Be brief.", "{body}");
        assert_eq!(body["messages"][0]["role"], "user");
        assert_eq!(body["max_tokens"], 64);
    }
    let mut cut = request(true);
    cut.tools.clear();
    cut.max_tokens = Some(1);
    let error = client.generate(&cut).await.expect_err("a cut stream");
    assert!(
        matches!(error, ClientError::TruncatedStream { .. }),
        "{error:?}"
    );
    assert!(error.is_retryable());
    server.abort();
}
