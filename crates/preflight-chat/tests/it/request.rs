//! OpenAI requests as Messages API requests: whole conversations compared as
//! JSON, and every refusal naming the field and value.

use preflight_chat::openai::ChatRequest;
use preflight_chat::translate::{TranslateError, openai_to_anthropic};
use serde_json::{Value, json};

const DEFAULT_MAX_TOKENS: u32 = 4096;

fn translate(request: Value) -> Result<Value, TranslateError> {
    let request: ChatRequest = serde_json::from_value(request).unwrap();
    openai_to_anthropic(&request, "claude-upstream", DEFAULT_MAX_TOKENS)
        .map(|translated| serde_json::to_value(translated).unwrap())
}

fn check(request: Value, expect: Value) {
    assert_eq!(
        translate(request.clone()).unwrap(),
        expect,
        "request {request}"
    );
}

fn check_error(request: Value, expect: &str) {
    let error = translate(request.clone()).unwrap_err();
    assert_eq!(error.to_string(), expect, "request {request}");
}

#[test]
fn a_tool_use_conversation_translates_whole() {
    check(
        json!({
            "model": "reviewer-alias",
            "messages": [
                {"role": "system", "content": "You are a security assistant."},
                {"role": "developer", "content": [{"type": "text", "text": "Answer in English."}]},
                {"role": "user", "content": "Scan host 10.0.0.5 and look up CVE-2024-3094."},
                {"role": "assistant", "content": "Running both.", "tool_calls": [
                    {"id": "call_a", "type": "function", "function": {"name": "scan", "arguments": "{\"host\": \"10.0.0.5\", \"ports\": [22, 443]}"}},
                    {"id": "call_b", "type": "function", "function": {"name": "cve", "arguments": "{\"id\":\"CVE-2024-3094\"}"}}
                ]},
                {"role": "tool", "tool_call_id": "call_a", "content": "22/tcp open ssh"},
                {"role": "tool", "tool_call_id": "call_b", "content": [{"type": "text", "text": "xz backdoor"}]},
                {"role": "user", "content": "Summarise."},
                {"role": "assistant", "content": null, "tool_calls": [
                    {"id": "call_c", "type": "function", "function": {"name": "noop", "arguments": ""}}
                ]},
                {"role": "tool", "tool_call_id": "call_c", "content": ""}
            ],
            "tools": [
                {"type": "function", "function": {"name": "scan", "description": "Port scan", "parameters": {"type": "object", "properties": {"host": {"type": "string"}}, "required": ["host"]}}},
                {"type": "function", "function": {"name": "cve", "parameters": {"type": "object", "properties": {"id": {"type": "string"}}}}},
                {"type": "function", "function": {"name": "noop"}}
            ],
            "tool_choice": "required",
            "parallel_tool_calls": false,
            "max_completion_tokens": 1024,
            "max_tokens": 10,
            "temperature": 0.5,
            "top_p": 0.95,
            "stop": "###",
            "stream": true,
            "stream_options": {"include_usage": true},
            "seed": 7,
            "user": "reviewer-17",
            "logit_bias": {"50256": -100}
        }),
        json!({
            "model": "claude-upstream",
            "max_tokens": 1024,
            "system": [
                {"type": "text", "text": "You are a security assistant."},
                {"type": "text", "text": "Answer in English."}
            ],
            "messages": [
                {"role": "user", "content": "Scan host 10.0.0.5 and look up CVE-2024-3094."},
                {"role": "assistant", "content": [
                    {"type": "text", "text": "Running both."},
                    {"type": "tool_use", "id": "call_a", "name": "scan", "input": {"host": "10.0.0.5", "ports": [22, 443]}},
                    {"type": "tool_use", "id": "call_b", "name": "cve", "input": {"id": "CVE-2024-3094"}}
                ]},
                {"role": "user", "content": [
                    {"type": "tool_result", "tool_use_id": "call_a", "content": "22/tcp open ssh"},
                    {"type": "tool_result", "tool_use_id": "call_b", "content": [{"type": "text", "text": "xz backdoor"}]},
                    {"type": "text", "text": "Summarise."}
                ]},
                {"role": "assistant", "content": [
                    {"type": "tool_use", "id": "call_c", "name": "noop", "input": {}}
                ]},
                {"role": "user", "content": [
                    {"type": "tool_result", "tool_use_id": "call_c", "content": ""}
                ]}
            ],
            "tools": [
                {"name": "scan", "description": "Port scan", "input_schema": {"type": "object", "properties": {"host": {"type": "string"}}, "required": ["host"]}},
                {"name": "cve", "input_schema": {"type": "object", "properties": {"id": {"type": "string"}}}},
                {"name": "noop", "input_schema": {"type": "object", "properties": {}}}
            ],
            "tool_choice": {"type": "any", "disable_parallel_tool_use": true},
            "temperature": 0.5,
            "top_p": 0.95,
            "stop_sequences": ["###"],
            "stream": true,
            "metadata": {"user_id": "reviewer-17"}
        }),
    );
}

#[test]
fn a_plain_request_stays_plain() {
    check(
        json!({"model": "m", "messages": [
            {"role": "system", "content": "Be terse."},
            {"role": "user", "content": "Hi"},
            {"role": "user", "content": "Anyone there?"},
            {"role": "assistant", "content": ""},
            {"role": "user", "content": "Hello?"}
        ]}),
        json!({
            "model": "claude-upstream",
            "max_tokens": DEFAULT_MAX_TOKENS,
            "system": "Be terse.",
            "messages": [
                {"role": "user", "content": [
                    {"type": "text", "text": "Hi"},
                    {"type": "text", "text": "Anyone there?"},
                    {"type": "text", "text": "Hello?"}
                ]}
            ]
        }),
    );
}

#[test]
fn tool_choice_and_stop_map_to_their_equivalents() {
    let base = |extra: Value| {
        let mut request = json!({"model": "m", "messages": [{"role": "user", "content": "x"}],
            "tools": [{"type": "function", "function": {"name": "f"}}]});
        request
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        request
    };
    let cases = [
        (json!({"tool_choice": "auto"}), json!({"type": "auto"})),
        (json!({"tool_choice": "none"}), json!({"type": "none"})),
        (json!({"tool_choice": "required"}), json!({"type": "any"})),
        (
            json!({"tool_choice": {"type": "function", "function": {"name": "f"}}}),
            json!({"type": "tool", "name": "f"}),
        ),
        (
            json!({"parallel_tool_calls": false}),
            json!({"type": "auto", "disable_parallel_tool_use": true}),
        ),
        (json!({}), Value::Null),
        (json!({"parallel_tool_calls": true}), Value::Null),
    ];
    for (extra, expect) in cases {
        let translated = translate(base(extra.clone())).unwrap();
        assert_eq!(
            translated
                .get("tool_choice")
                .cloned()
                .unwrap_or(Value::Null),
            expect,
            "{extra}"
        );
    }
    let stops = [
        (json!("x"), json!(["x"])),
        (json!(["a", "b"]), json!(["a", "b"])),
        (json!([]), Value::Null),
    ];
    for (stop, expect) in stops {
        let translated = translate(base(json!({"stop": stop}))).unwrap();
        assert_eq!(
            translated
                .get("stop_sequences")
                .cloned()
                .unwrap_or(Value::Null),
            expect
        );
    }
}

#[test]
fn images_become_base64_or_url_sources() {
    check(
        json!({"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": [
            {"type": "text", "text": "Compare"},
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
            {"type": "image_url", "image_url": {"url": "HTTPS://example.com/b.jpg", "detail": "high"}}
        ]}]}),
        json!({"model": "claude-upstream", "max_tokens": 5, "messages": [{"role": "user", "content": [
            {"type": "text", "text": "Compare"},
            {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}},
            {"type": "image", "source": {"type": "url", "url": "HTTPS://example.com/b.jpg"}}
        ]}]}),
    );
}

#[test]
fn refusals_name_the_field_and_value() {
    let user = json!({"role": "user", "content": "x"});
    let with = |fields: Value| {
        let mut request = json!({"model": "m", "messages": [user.clone()]});
        request
            .as_object_mut()
            .unwrap()
            .extend(fields.as_object().unwrap().clone());
        request
    };
    let call = |arguments: &str| {
        json!({"model": "m", "messages": [user.clone(),
            {"role": "assistant", "content": "ok"},
            user.clone(),
            {"role": "assistant", "tool_calls": [
                {"id": "a", "type": "function", "function": {"name": "f", "arguments": "{}"}},
                {"id": "b", "type": "function", "function": {"name": "f", "arguments": arguments}}
            ]}
        ]})
    };
    let image = |url: &str| {
        json!({"model": "m", "messages": [{"role": "user", "content": [
            {"type": "image_url", "image_url": {"url": url}}
        ]}]})
    };
    let long = format!("{{\"a\": \"{}", "x".repeat(300));
    let cases: Vec<(Value, String)> = vec![
        (
            with(json!({"n": 2})),
            "n = 2 is not supported by the anthropic messages api".to_owned(),
        ),
        (
            with(json!({"response_format": {"type": "json_object"}})),
            r#"response_format = {"type":"json_object"} is not supported by the anthropic messages api"#.to_owned(),
        ),
        (
            call("{\"host\": "),
            r#"messages[3].tool_calls[1].function.arguments = "{\"host\": " is invalid: not json (EOF while parsing a value at line 1 column 9)"#.to_owned(),
        ),
        (
            call("[1, 2]"),
            r#"messages[3].tool_calls[1].function.arguments = "[1, 2]" is invalid: expected a json object"#.to_owned(),
        ),
        (
            call(&long),
            format!(
                r#"messages[3].tool_calls[1].function.arguments = "{{\"a\": \"{}..." is invalid: not json (EOF while parsing a string at line 1 column 307)"#,
                "x".repeat(113)
            ),
        ),
        (
            json!({"model": "m", "messages": [{"role": "tool", "content": "r"}]}),
            "messages[0].tool_call_id is missing".to_owned(),
        ),
        (
            json!({"model": "m", "messages": [{"role": "function", "name": "f", "content": "r"}]}),
            r#"messages[0].role = "function" is not supported by the anthropic messages api"#.to_owned(),
        ),
        (
            json!({"model": "m", "messages": [{"role": "user", "content": [
                {"type": "text", "text": "hear"},
                {"type": "input_audio", "input_audio": {"data": "AA", "format": "wav"}}
            ]}]}),
            r#"messages[0].content[1].type = "input_audio" is not supported by the anthropic messages api"#.to_owned(),
        ),
        (
            json!({"model": "m", "messages": [{"role": "system", "content": [
                {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}
            ]}]}),
            r#"messages[0].content[0].type = "image_url" is not supported by the anthropic messages api"#.to_owned(),
        ),
        (
            json!({"model": "m", "messages": [{"role": "user", "content": [{"type": "text"}]}]}),
            r#"messages[0].content[0] = {"type":"text"} is invalid: not a valid text part"#.to_owned(),
        ),
        (
            image("ftp://example.com/a.png"),
            r#"messages[0].content[0].image_url.url = "ftp://example.com/a.png" is invalid: expected a data: url or an http(s) url"#.to_owned(),
        ),
        (
            image("data:image/png,rawbytes"),
            r#"messages[0].content[0].image_url.url = "data:image/png,rawbytes" is invalid: only base64 data urls are supported"#.to_owned(),
        ),
        (
            image("data:;base64,AAAA"),
            r#"messages[0].content[0].image_url.url = "data:;base64,AAAA" is invalid: the data url names no media type"#.to_owned(),
        ),
        (
            with(json!({"tools": [{"type": "custom", "custom": {"name": "grammar"}}]})),
            r#"tools[0].type = "custom" is not supported by the anthropic messages api"#.to_owned(),
        ),
    ];
    for (request, expect) in cases {
        check_error(request, &expect);
    }
}

#[test]
fn n_of_one_and_text_format_are_accepted() {
    let translated = translate(
        json!({"model": "m", "n": 1, "response_format": {"type": "text"},
        "messages": [{"role": "user", "content": "x"}]}),
    )
    .unwrap();
    assert_eq!(
        translated["messages"],
        json!([{"role": "user", "content": "x"}])
    );
}
