//! OpenAI types: requests survive a parse and re-serialisation unchanged,
//! absent fields stay absent, and the accounting functions read the right
//! numbers.

use preflight_chat::openai::{
    ChatChunk, ChatRequest, ContentPart, ErrorBody, FinishReason, Message, MessageContent, Role,
    Stop, ToolChoice, ToolChoiceMode, Usage, usage_of_chunk,
};
use serde_json::{Value, json};

/// `input` parses as a request and serialises back to the same JSON.
fn check_round_trip(input: Value) -> ChatRequest {
    let request: ChatRequest = serde_json::from_value(input.clone()).unwrap();
    assert_eq!(serde_json::to_value(&request).unwrap(), input);
    request
}

#[test]
fn a_minimal_request_gains_no_fields() {
    let request = check_round_trip(json!({
        "model": "m",
        "messages": [{"role": "user", "content": "hi"}]
    }));
    assert_eq!(request.messages, vec![Message::user("hi")]);
    assert!(!request.is_stream());
    assert_eq!(request.max_output_tokens(), None);
}

#[test]
fn unknown_fields_are_forwarded_at_every_level() {
    let request = check_round_trip(json!({
        "model": "gpt-4o",
        "messages": [
            {"role": "developer", "content": [{"type": "text", "text": "be brief", "cache_control": {"type": "ephemeral"}}]},
            {"role": "user", "content": [
                {"type": "text", "text": "what is this?"},
                {"type": "image_url", "image_url": {"url": "https://example.com/a.png", "detail": "low"}},
                {"type": "input_audio", "input_audio": {"data": "AAAA", "format": "wav"}}
            ], "name": "alice"},
            {"role": "assistant", "refusal": null, "tool_calls": [
                {"id": "call_1", "type": "function", "function": {"name": "look", "arguments": "{}"}}
            ]},
            {"role": "tool", "tool_call_id": "call_1", "content": "a cat"},
            {"role": "assistant", "content": "A cat.", "reasoning_content": "it has whiskers"}
        ],
        "stream": true,
        "stream_options": {"include_usage": true, "include_obfuscation": false},
        "tools": [{"type": "function", "function": {"name": "look", "description": "looks", "parameters": {"type": "object"}, "strict": true}}],
        "tool_choice": {"type": "function", "function": {"name": "look"}},
        "parallel_tool_calls": false,
        "max_tokens": 100,
        "max_completion_tokens": 200,
        "temperature": 0.2,
        "top_p": 0.9,
        "stop": ["END", "STOP"],
        "n": 2,
        "seed": 42,
        "response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": {}}},
        "user": "u-1",
        "logprobs": true,
        "reasoning_effort": "low",
        "metadata": {"run": "7"}
    }));
    assert!(request.is_stream());
    assert!(request.include_usage());
    assert_eq!(request.max_output_tokens(), Some(400));
    assert_eq!(request.extra.len(), 3);
    assert!(matches!(
        &request.messages[1].content,
        Some(MessageContent::Parts(parts)) if matches!(parts[2], ContentPart::Other(_))
    ));
    // No content: absent, and written as absent.
    assert_eq!(request.messages[2].content, None);
}

#[test]
fn content_null_is_not_written_back() {
    let request: ChatRequest = serde_json::from_value(json!({
        "model": "m",
        "messages": [{"role": "assistant", "content": null, "tool_calls": []}]
    }))
    .unwrap();
    assert_eq!(
        serde_json::to_value(&request).unwrap(),
        json!({"model": "m", "messages": [{"role": "assistant", "tool_calls": []}]})
    );
}

#[test]
fn stop_and_tool_choice_take_both_forms() {
    let cases = [
        (json!("END"), Stop::One("END".to_owned())),
        (
            json!(["a", "b"]),
            Stop::Many(vec!["a".to_owned(), "b".to_owned()]),
        ),
    ];
    for (input, expect) in cases {
        assert_eq!(serde_json::from_value::<Stop>(input).unwrap(), expect);
    }
    let modes = [
        ("none", ToolChoiceMode::None),
        ("auto", ToolChoiceMode::Auto),
        ("required", ToolChoiceMode::Required),
    ];
    for (input, mode) in modes {
        assert_eq!(
            serde_json::from_value::<ToolChoice>(json!(input)).unwrap(),
            ToolChoice::Mode(mode)
        );
    }
    assert!(serde_json::from_value::<ToolChoice>(json!("sometimes")).is_err());
}

#[test]
fn max_output_tokens_prefers_max_completion_tokens_and_counts_every_answer() {
    let cases = [
        (json!({}), None),
        (json!({"max_tokens": 50}), Some(50)),
        (
            json!({"max_completion_tokens": 70, "max_tokens": 50}),
            Some(70),
        ),
        (json!({"max_tokens": 50, "n": 3}), Some(150)),
        (json!({"max_tokens": 50, "n": 0}), Some(50)),
        (json!({"n": 3}), None),
    ];
    for (fields, expect) in cases {
        let mut body = json!({"model": "m", "messages": []});
        body.as_object_mut()
            .unwrap()
            .extend(fields.as_object().unwrap().clone());
        let request: ChatRequest = serde_json::from_value(body).unwrap();
        assert_eq!(request.max_output_tokens(), expect, "{fields}");
    }
}

#[test]
fn usage_of_chunk_finds_only_a_non_null_usage() {
    let cases: &[(&str, Option<Usage>)] = &[
        (
            r#"{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[],"usage":{"prompt_tokens":21,"completion_tokens":4,"total_tokens":25,"prompt_tokens_details":{"cached_tokens":0}}}"#,
            Some(Usage::new(21, 4)),
        ),
        (
            r#"{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":null}],"usage":null}"#,
            None,
        ),
        (
            r#"{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"the \"usage\" key"},"finish_reason":null}]}"#,
            None,
        ),
        (r#"{"choices":[]}"#, None),
        ("[DONE]", None),
        (r#"{"usage": {"prompt_tokens": "#, None),
    ];
    for (data, expect) in cases {
        assert_eq!(usage_of_chunk(data.as_bytes()), *expect, "{data}");
    }
}

#[test]
fn chunks_from_llama_cpp_parse() {
    let chunk: ChatChunk = serde_json::from_str(
        r#"{"choices":[{"finish_reason":"stop","index":0,"delta":{}}],"created":1735689600,"id":"chatcmpl-Xq3","model":"qwen","system_fingerprint":"b4520","object":"chat.completion.chunk","timings":{"predicted_n":4}}"#,
    )
    .unwrap();
    assert_eq!(chunk.choices[0].finish_reason, Some(FinishReason::Stop));
    let other: FinishReason = serde_json::from_value(json!("eos")).unwrap();
    assert_eq!(other, FinishReason::Other("eos".to_owned()));
    assert_eq!(serde_json::to_value(&other).unwrap(), json!("eos"));
}

#[test]
fn error_bodies_have_the_openai_shape() {
    let body = ErrorBody::new("invalid_request_error", "model \"x\" not found")
        .with_param("model")
        .with_code("model_not_found");
    assert_eq!(
        serde_json::to_value(&body).unwrap(),
        json!({"error": {"message": "model \"x\" not found", "type": "invalid_request_error", "param": "model", "code": "model_not_found"}})
    );
    assert_eq!(
        serde_json::to_value(ErrorBody::new("server_error", "down")).unwrap(),
        json!({"error": {"message": "down", "type": "server_error", "param": null, "code": null}})
    );
    // llama.cpp sends a numeric code.
    let body: ErrorBody = serde_json::from_str(
        r#"{"error":{"code":400,"message":"bad","type":"invalid_request_error"}}"#,
    )
    .unwrap();
    assert_eq!(body.error.code, Some(json!(400)));
}

#[test]
fn message_constructors_and_content_text() {
    let message = Message::tool_result("call_1", "42");
    assert_eq!(message.role, Role::Tool);
    assert_eq!(
        serde_json::to_value(&message).unwrap(),
        json!({"role": "tool", "content": "42", "tool_call_id": "call_1"})
    );
    let parts: Message = serde_json::from_value(json!({"role": "user", "content": [
        {"type": "text", "text": "a"},
        {"type": "image_url", "image_url": {"url": "https://example.com"}},
        {"type": "text", "text": "b"}
    ]}))
    .unwrap();
    assert_eq!(parts.content_text().as_deref(), Some("ab"));
}
