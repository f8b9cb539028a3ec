//! A Messages API error body as an OpenAI error body.

use crate::anthropic;
use crate::openai::ErrorBody;

/// The longest upstream message, in characters, passed on.
const MESSAGE_CHARS: usize = 1000;

/// Translates the error body an Anthropic upstream answered with `status`.
///
/// | Anthropic `error.type`  | OpenAI `type`           | `code`                |
/// |-------------------------|-------------------------|-----------------------|
/// | `invalid_request_error` | `invalid_request_error` |                       |
/// | `request_too_large`     | `invalid_request_error` | `request_too_large`   |
/// | `authentication_error`  | `invalid_request_error` | `invalid_api_key`     |
/// | `permission_error`      | `invalid_request_error` | `permission_denied`   |
/// | `not_found_error`       | `invalid_request_error` | `not_found`           |
/// | `billing_error`         | `insufficient_quota`    | `insufficient_quota`  |
/// | `rate_limit_error`      | `rate_limit_error`      | `rate_limit_exceeded` |
/// | `api_error`             | `server_error`          |                       |
/// | `overloaded_error`      | `server_error`          | `overloaded`          |
///
/// Other types become `invalid_request_error` for a 4xx status and
/// `server_error` otherwise. The upstream message is kept (cut at 1000
/// characters). A body that is not an Anthropic error object gives a generic
/// message naming only the status, never the body.
pub fn anthropic_error_to_openai(status: u16, body: &[u8]) -> ErrorBody {
    let by_status = if (400..500).contains(&status) {
        "invalid_request_error"
    } else {
        "server_error"
    };
    let Ok(upstream) = serde_json::from_slice::<anthropic::ErrorBody>(body) else {
        return ErrorBody::new(
            by_status,
            format!("upstream answered with status {status} and an unreadable error body"),
        );
    };
    let kind = upstream.error.kind.as_str();
    let (openai_kind, code) = match kind {
        "invalid_request_error" => ("invalid_request_error", None),
        "request_too_large" => ("invalid_request_error", Some("request_too_large")),
        "authentication_error" => ("invalid_request_error", Some("invalid_api_key")),
        "permission_error" => ("invalid_request_error", Some("permission_denied")),
        "not_found_error" => ("invalid_request_error", Some("not_found")),
        "billing_error" => ("insufficient_quota", Some("insufficient_quota")),
        "rate_limit_error" => ("rate_limit_error", Some("rate_limit_exceeded")),
        "api_error" => ("server_error", None),
        "overloaded_error" => ("server_error", Some("overloaded")),
        _ => (by_status, None),
    };
    let message = if upstream.error.message.is_empty() {
        format!("upstream {kind} (status {status})")
    } else {
        super::cut(&upstream.error.message, MESSAGE_CHARS)
    };
    let body = ErrorBody::new(openai_kind, message);
    match code {
        Some(code) => body.with_code(code),
        None => body,
    }
}
