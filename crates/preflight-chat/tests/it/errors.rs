//! Anthropic error bodies as OpenAI error bodies.

use preflight_chat::translate::anthropic_error_to_openai;
use serde_json::{Value, json};

fn check(status: u16, body: &[u8], expect: Value) {
    let translated = anthropic_error_to_openai(status, body);
    assert_eq!(
        serde_json::to_value(translated).unwrap(),
        expect,
        "status {status}, body {}",
        String::from_utf8_lossy(body)
    );
}

fn anthropic(kind: &str, message: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({"type": "error", "error": {"type": kind, "message": message}}))
        .unwrap()
}

fn openai(kind: &str, code: Option<&str>, message: &str) -> Value {
    json!({"error": {"message": message, "type": kind, "param": null, "code": code}})
}

#[test]
fn every_error_type_maps() {
    let cases = [
        (400, "invalid_request_error", "invalid_request_error", None),
        (
            413,
            "request_too_large",
            "invalid_request_error",
            Some("request_too_large"),
        ),
        (
            401,
            "authentication_error",
            "invalid_request_error",
            Some("invalid_api_key"),
        ),
        (
            403,
            "permission_error",
            "invalid_request_error",
            Some("permission_denied"),
        ),
        (
            404,
            "not_found_error",
            "invalid_request_error",
            Some("not_found"),
        ),
        (
            402,
            "billing_error",
            "insufficient_quota",
            Some("insufficient_quota"),
        ),
        (
            429,
            "rate_limit_error",
            "rate_limit_error",
            Some("rate_limit_exceeded"),
        ),
        (500, "api_error", "server_error", None),
        (529, "overloaded_error", "server_error", Some("overloaded")),
        (409, "conflict_error", "invalid_request_error", None),
        (504, "timeout_error", "server_error", None),
    ];
    for (status, kind, openai_kind, code) in cases {
        check(
            status,
            &anthropic(kind, "details here"),
            openai(openai_kind, code, "details here"),
        );
    }
}

#[test]
fn unreadable_bodies_are_not_echoed() {
    let html = format!("<html>{}</html>", "secret ".repeat(10_000));
    check(
        502,
        html.as_bytes(),
        openai(
            "server_error",
            None,
            "upstream answered with status 502 and an unreadable error body",
        ),
    );
    check(
        400,
        br#"{"error": "not anthropic"}"#,
        openai(
            "invalid_request_error",
            None,
            "upstream answered with status 400 and an unreadable error body",
        ),
    );
}

#[test]
fn long_messages_are_cut_and_empty_ones_replaced() {
    let long = "x".repeat(5000);
    let translated = anthropic_error_to_openai(400, &anthropic("invalid_request_error", &long));
    assert_eq!(translated.error.message, format!("{}...", "x".repeat(1000)));
    check(
        529,
        br#"{"type":"error","error":{"type":"overloaded_error"}}"#,
        openai(
            "server_error",
            Some("overloaded"),
            "upstream overloaded_error (status 529)",
        ),
    );
}
