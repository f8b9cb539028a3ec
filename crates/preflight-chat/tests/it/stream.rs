//! Streamed Messages API answers as OpenAI chunks: a recorded-style stream
//! with thinking, text and two tool calls, and the ways a stream goes wrong.

use preflight_chat::openai::{ChatChunk, Usage};
use preflight_chat::sse::SseParser;
use preflight_chat::translate::{StreamTranslator, TranslateError};
use serde_json::{Value, json};

const CREATED: i64 = 1_735_689_600;

/// A stream as the Messages API sends it, one frame per event.
fn frames(events: &[(&str, Value)]) -> String {
    events
        .iter()
        .map(|(name, data)| format!("event: {name}\ndata: {data}\n\n"))
        .collect()
}

/// Events as (name, data) pairs.
type Events = Vec<(&'static str, Value)>;

/// A change to the recorded stream.
type Edit = Box<dyn FnOnce(&mut Events)>;

fn recorded() -> Events {
    vec![
        (
            "message_start",
            json!({"type": "message_start", "message": {"id": "msg_014p7gG3wDgGV9EUtLvnow3U", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5", "stop_sequence": null, "usage": {"input_tokens": 472, "output_tokens": 2, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 128}, "content": [], "stop_reason": null}}),
        ),
        (
            "content_block_start",
            json!({"type": "content_block_start", "index": 0, "content_block": {"type": "thinking", "thinking": "", "signature": ""}}),
        ),
        (
            "content_block_delta",
            json!({"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": "Two lookups."}}),
        ),
        (
            "content_block_delta",
            json!({"type": "content_block_delta", "index": 0, "delta": {"type": "signature_delta", "signature": "EqQBCgIYAhIM"}}),
        ),
        (
            "content_block_stop",
            json!({"type": "content_block_stop", "index": 0}),
        ),
        (
            "content_block_start",
            json!({"type": "content_block_start", "index": 1, "content_block": {"type": "text", "text": ""}}),
        ),
        ("ping", json!({"type": "ping"})),
        (
            "content_block_delta",
            json!({"type": "content_block_delta", "index": 1, "delta": {"type": "text_delta", "text": "Okay, let's"}}),
        ),
        (
            "content_block_delta",
            json!({"type": "content_block_delta", "index": 1, "delta": {"type": "text_delta", "text": " check."}}),
        ),
        (
            "content_block_stop",
            json!({"type": "content_block_stop", "index": 1}),
        ),
        (
            "content_block_start",
            json!({"type": "content_block_start", "index": 2, "content_block": {"type": "tool_use", "id": "toolu_01T1x1fJ34qAmk2tNTrN7Up6", "name": "scan", "input": {}}}),
        ),
        (
            "content_block_delta",
            json!({"type": "content_block_delta", "index": 2, "delta": {"type": "input_json_delta", "partial_json": ""}}),
        ),
        (
            "content_block_delta",
            json!({"type": "content_block_delta", "index": 2, "delta": {"type": "input_json_delta", "partial_json": "{\"host\": \"10.0"}}),
        ),
        (
            "content_block_delta",
            json!({"type": "content_block_delta", "index": 2, "delta": {"type": "input_json_delta", "partial_json": ".0.5\", \"ports\": [22"}}),
        ),
        (
            "content_block_delta",
            json!({"type": "content_block_delta", "index": 2, "delta": {"type": "input_json_delta", "partial_json": ", 443]}"}}),
        ),
        (
            "content_block_stop",
            json!({"type": "content_block_stop", "index": 2}),
        ),
        (
            "content_block_start",
            json!({"type": "content_block_start", "index": 3, "content_block": {"type": "tool_use", "id": "toolu_02", "name": "cve", "input": {}}}),
        ),
        (
            "content_block_delta",
            json!({"type": "content_block_delta", "index": 3, "delta": {"type": "input_json_delta", "partial_json": "{\"id\": \"CVE-2024-3094\"}"}}),
        ),
        (
            "content_block_stop",
            json!({"type": "content_block_stop", "index": 3}),
        ),
        (
            "message_delta",
            json!({"type": "message_delta", "delta": {"stop_reason": "tool_use", "stop_sequence": null}, "usage": {"output_tokens": 89}}),
        ),
        ("message_stop", json!({"type": "message_stop"})),
    ]
}

/// Parses `stream` as SSE and translates every event; returns the chunks as
/// JSON, the first error, and the translator.
fn run(
    stream: &str,
    include_usage: bool,
) -> (Vec<Value>, Result<(), TranslateError>, StreamTranslator) {
    let mut parser = SseParser::default();
    let mut translator = StreamTranslator::new("reviewer-alias", CREATED, include_usage);
    let mut chunks: Vec<ChatChunk> = Vec::new();
    let mut result = Ok(());
    for event in parser.push(stream.as_bytes()) {
        match translator.push(event.event.as_deref(), &event.data) {
            Ok(more) => chunks.extend(more),
            Err(error) => {
                result = Err(error);
                break;
            }
        }
    }
    if result.is_ok() {
        result = translator.finish().map(|more| chunks.extend(more));
    }
    let chunks = chunks
        .iter()
        .map(|chunk| serde_json::to_value(chunk).unwrap())
        .collect();
    (chunks, result, translator)
}

fn chunk(delta: Value, finish_reason: Value) -> Value {
    json!({
        "id": "msg_014p7gG3wDgGV9EUtLvnow3U",
        "object": "chat.completion.chunk",
        "created": CREATED,
        "model": "reviewer-alias",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}]
    })
}

fn tool_delta(index: u32, call: Value) -> Value {
    let mut call = call;
    call["index"] = json!(index);
    chunk(json!({"tool_calls": [call]}), Value::Null)
}

#[test]
fn a_recorded_stream_translates_chunk_by_chunk() {
    let (chunks, result, translator) = run(&frames(&recorded()), true);
    result.unwrap();
    let expect = vec![
        chunk(json!({"role": "assistant", "content": ""}), Value::Null),
        chunk(json!({"content": "Okay, let's"}), Value::Null),
        chunk(json!({"content": " check."}), Value::Null),
        tool_delta(
            0,
            json!({"id": "toolu_01T1x1fJ34qAmk2tNTrN7Up6", "type": "function", "function": {"name": "scan", "arguments": ""}}),
        ),
        tool_delta(0, json!({"function": {"arguments": "{\"host\": \"10.0"}})),
        tool_delta(
            0,
            json!({"function": {"arguments": ".0.5\", \"ports\": [22"}}),
        ),
        tool_delta(0, json!({"function": {"arguments": ", 443]}"}})),
        tool_delta(
            1,
            json!({"id": "toolu_02", "type": "function", "function": {"name": "cve", "arguments": ""}}),
        ),
        tool_delta(
            1,
            json!({"function": {"arguments": "{\"id\": \"CVE-2024-3094\"}"}}),
        ),
        chunk(json!({}), json!("tool_calls")),
        json!({
            "id": "msg_014p7gG3wDgGV9EUtLvnow3U",
            "object": "chat.completion.chunk",
            "created": CREATED,
            "model": "reviewer-alias",
            "choices": [],
            "usage": {"prompt_tokens": 600, "completion_tokens": 89, "total_tokens": 689}
        }),
    ];
    assert_eq!(chunks, expect);
    assert_eq!(translator.usage(), Some(Usage::new(600, 89)));

    // The arguments, concatenated per tool call, are the tools' inputs.
    let mut arguments = [String::new(), String::new()];
    for chunk in &chunks {
        for call in chunk["choices"][0]["delta"]["tool_calls"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let index = call["index"].as_u64().unwrap() as usize;
            arguments[index].push_str(call["function"]["arguments"].as_str().unwrap());
        }
    }
    let inputs: Vec<Value> = arguments
        .iter()
        .map(|arguments| serde_json::from_str(arguments).unwrap())
        .collect();
    assert_eq!(
        inputs,
        vec![
            json!({"host": "10.0.0.5", "ports": [22, 443]}),
            json!({"id": "CVE-2024-3094"})
        ]
    );
}

#[test]
fn without_include_usage_there_is_no_usage_chunk_but_usage_is_counted() {
    let (chunks, result, translator) = run(&frames(&recorded()), false);
    result.unwrap();
    assert_eq!(chunks.len(), 10);
    assert_eq!(
        chunks[9]["choices"][0]["finish_reason"],
        json!("tool_calls")
    );
    assert!(chunks.iter().all(|chunk| chunk.get("usage").is_none()));
    assert_eq!(translator.usage(), Some(Usage::new(600, 89)));
}

/// Runs the recorded stream with `edit` applied to its events and returns
/// the error it ends with.
fn error_of(edit: Edit) -> String {
    let mut events = recorded();
    edit(&mut events);
    let (_, result, _) = run(&frames(&events), true);
    result.unwrap_err().to_string()
}

#[test]
fn broken_streams_are_errors() {
    let cases: Vec<(Edit, &str)> = vec![
        (
            Box::new(|events| events.truncate(14)),
            "upstream stream ended before message_stop",
        ),
        (
            Box::new(|events| events.truncate(events.len() - 1)),
            "upstream stream ended before message_stop",
        ),
        (
            Box::new(|events| {
                events.insert(
                    8,
                    ("error", json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}})),
                );
            }),
            "upstream error (overloaded_error): Overloaded",
        ),
        (
            Box::new(|events| {
                events.remove(0);
            }),
            "upstream content_block_start event is invalid: it came before message_start",
        ),
        (
            Box::new(|events| {
                events.remove(10);
            }),
            "upstream content_block_delta event is invalid: block 2 was never started",
        ),
        (
            Box::new(|events| {
                events[7].1 = json!({"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": "{"}});
            }),
            "upstream content_block_delta event is invalid: input_json_delta for text block 1",
        ),
        (
            Box::new(|events| {
                events[7].1 = json!({"type": "content_block_delta", "index": 1});
            }),
            "upstream content_block_delta event is invalid: not a valid content_block_delta event",
        ),
        (
            Box::new(|events| {
                events[7].1 = json!({"type": "content_block_delta", "index": 1, "delta": {"type": "text_delta"}});
            }),
            "upstream content_block_delta event is invalid: not a valid text_delta",
        ),
        (
            Box::new(|events| {
                events[10].1 = json!({"type": "content_block_start", "index": 2, "content_block": {"type": "tool_use", "id": "x"}});
            }),
            "upstream content_block_start event is invalid: not a valid tool_use block",
        ),
        (
            Box::new(|events| {
                events[7].1 = json!("text");
            }),
            "upstream content_block_delta event is invalid: not a messages stream event",
        ),
    ];
    for (edit, expect) in cases {
        assert_eq!(error_of(edit), expect);
    }
}

#[test]
fn data_that_is_not_json_is_an_error() {
    let mut translator = StreamTranslator::new("m", CREATED, false);
    let error = translator
        .push(Some("message_start"), r#"{"type": "message_start", "#)
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "upstream message_start event is invalid: not json (EOF while parsing a value at line 1 column 26)"
    );
    assert_eq!(translator.usage(), None);
    assert_eq!(translator.finish().unwrap_err(), TranslateError::Truncated);
}

#[test]
fn unknown_events_and_deltas_are_skipped() {
    let mut events = recorded();
    events.insert(
        6,
        ("content_block_delta", json!({"type": "content_block_delta", "index": 1, "delta": {"type": "citations_delta", "citation": {}}})),
    );
    events.insert(6, ("future_event", json!({"type": "future_event", "x": 1})));
    let (with_unknown, result, _) = run(&frames(&events), true);
    result.unwrap();
    let (plain, _, _) = run(&frames(&recorded()), true);
    assert_eq!(with_unknown, plain);
}

#[test]
fn a_stream_without_a_stop_reason_still_finishes() {
    let mut events = recorded();
    events[19].1 = json!({"type": "message_delta", "delta": {}, "usage": {"output_tokens": 3, "input_tokens": 10}});
    let (chunks, result, translator) = run(&frames(&events), false);
    result.unwrap();
    assert_eq!(
        chunks.last().unwrap()["choices"][0]["finish_reason"],
        json!("stop")
    );
    assert_eq!(translator.usage(), Some(Usage::new(138, 3)));
}
