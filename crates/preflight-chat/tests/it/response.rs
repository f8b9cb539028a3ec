//! Whole Messages API answers as OpenAI answers.

use preflight_chat::anthropic::MessagesResponse;
use preflight_chat::translate::anthropic_to_openai;
use serde_json::{Value, json};

const CREATED: i64 = 1_735_689_600;

fn check(answer: Value, expect: Value) {
    let answer: MessagesResponse = serde_json::from_value(answer).unwrap();
    let translated = anthropic_to_openai(answer, "reviewer-alias", CREATED);
    assert_eq!(serde_json::to_value(translated).unwrap(), expect);
}

fn answer(content: Value, stop_reason: &str, usage: Value) -> Value {
    json!({
        "id": "msg_01XFDUDYJgAACzvnptvVoYEL",
        "type": "message",
        "role": "assistant",
        "content": content,
        "model": "claude-sonnet-4-5",
        "stop_reason": stop_reason,
        "stop_sequence": null,
        "usage": usage
    })
}

fn expect(message: Value, finish_reason: &str, usage: Value) -> Value {
    json!({
        "id": "msg_01XFDUDYJgAACzvnptvVoYEL",
        "object": "chat.completion",
        "created": CREATED,
        "model": "reviewer-alias",
        "choices": [{"index": 0, "message": message, "finish_reason": finish_reason, "logprobs": null}],
        "usage": usage
    })
}

#[test]
fn text_blocks_are_concatenated() {
    check(
        answer(
            json!([
                {"type": "thinking", "thinking": "hmm", "signature": "sig"},
                {"type": "text", "text": "Hello"},
                {"type": "text", "text": ", world", "citations": []}
            ]),
            "end_turn",
            json!({"input_tokens": 12, "output_tokens": 5, "cache_creation_input_tokens": 100, "cache_read_input_tokens": 30, "service_tier": "standard"}),
        ),
        expect(
            json!({"role": "assistant", "content": "Hello, world"}),
            "stop",
            json!({"prompt_tokens": 142, "completion_tokens": 5, "total_tokens": 147}),
        ),
    );
}

#[test]
fn tool_use_becomes_tool_calls_with_compact_arguments() {
    check(
        answer(
            json!([
                {"type": "text", "text": "Checking."},
                {"type": "tool_use", "id": "toolu_01A", "name": "scan", "input": {"host": "10.0.0.5", "ports": [22, 443]}},
                {"type": "tool_use", "id": "toolu_01B", "name": "noop", "input": {}}
            ]),
            "tool_use",
            json!({"input_tokens": 400, "output_tokens": 60}),
        ),
        expect(
            json!({"role": "assistant", "content": "Checking.", "tool_calls": [
                {"id": "toolu_01A", "type": "function", "function": {"name": "scan", "arguments": "{\"host\":\"10.0.0.5\",\"ports\":[22,443]}"}},
                {"id": "toolu_01B", "type": "function", "function": {"name": "noop", "arguments": "{}"}}
            ]}),
            "tool_calls",
            json!({"prompt_tokens": 400, "completion_tokens": 60, "total_tokens": 460}),
        ),
    );
}

#[test]
fn stop_reasons_map_to_finish_reasons() {
    let cases = [
        ("end_turn", "stop"),
        ("stop_sequence", "stop"),
        ("max_tokens", "length"),
        ("tool_use", "tool_calls"),
        ("refusal", "content_filter"),
        ("pause_turn", "stop"),
        ("model_context_window_exceeded", "length"),
        ("something_new", "stop"),
    ];
    for (stop_reason, finish_reason) in cases {
        let usage = json!({"input_tokens": 1, "output_tokens": 2});
        check(
            answer(json!([{"type": "text", "text": "x"}]), stop_reason, usage),
            expect(
                json!({"role": "assistant", "content": "x"}),
                finish_reason,
                json!({"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3}),
            ),
        );
    }
}

#[test]
fn an_answer_without_text_has_no_content() {
    check(
        answer(
            json!([]),
            "max_tokens",
            json!({"input_tokens": 3, "output_tokens": 0}),
        ),
        expect(
            json!({"role": "assistant"}),
            "length",
            json!({"prompt_tokens": 3, "completion_tokens": 0, "total_tokens": 3}),
        ),
    );
}
