//! What both clients do with HTTP: credentials, status codes, Retry-After
//! and transport errors turned into [`ClientError`]s.

use std::time::Duration;

use reqwest::header::HeaderMap;
use reqwest::{RequestBuilder, Response, StatusCode};

use super::error::ClientError;
use super::{ApiKey, Provider};
use crate::error::shorten;

/// The Messages API version the Anthropic client speaks.
pub(super) const ANTHROPIC_VERSION: &str = "2023-06-01";

/// Adds the provider's credential header.
pub(super) fn authorise(
    request: RequestBuilder,
    provider: Provider,
    key: Option<&ApiKey>,
) -> RequestBuilder {
    match (provider, key) {
        (Provider::Openai, Some(key)) => request.bearer_auth(key.expose()),
        (Provider::Anthropic, key) => {
            let request = request.header("anthropic-version", ANTHROPIC_VERSION);
            match key {
                Some(key) => request.header("x-api-key", key.expose()),
                None => request,
            }
        }
        (Provider::Openai, None) => request,
    }
}

/// An error sending the request or waiting for the status line.
pub(super) fn send_error(url: &str, error: reqwest::Error) -> ClientError {
    if error.is_timeout() {
        ClientError::Timeout {
            message: format!("{url}: no answer ({error})"),
        }
    } else {
        ClientError::Network {
            reason: format!("{url}: {}", chain(&error)),
        }
    }
}

/// An error while reading the body: the answer was cut short.
pub(super) fn body_error(error: reqwest::Error) -> ClientError {
    if error.is_timeout() {
        ClientError::Timeout {
            message: format!("reading the answer: {error}"),
        }
    } else {
        ClientError::TruncatedStream {
            reason: format!("the connection broke mid-answer: {}", chain(&error)),
        }
    }
}

/// The error and its causes, `: `-separated.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// The body of a 2xx answer, or the error its status means.
pub(super) async fn read_ok_body(response: Response) -> Result<bytes::Bytes, ClientError> {
    let response = check_status(response).await?;
    response.bytes().await.map_err(body_error)
}

/// The response itself when its status is 2xx, the error it means otherwise.
pub(super) async fn check_status(response: Response) -> Result<Response, ClientError> {
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    let retry_after = retry_after(response.headers());
    // The body only explains; a broken one leaves the status to speak.
    let body = response.bytes().await.unwrap_or_default();
    Err(status_error(status, retry_after, &body))
}

/// The error a non-2xx status means, with the server's message.
pub(super) fn status_error(
    status: StatusCode,
    retry_after: Option<Duration>,
    body: &[u8],
) -> ClientError {
    let message = error_message(body);
    match status.as_u16() {
        429 => ClientError::RateLimited {
            retry_after,
            message,
        },
        408 => ClientError::Timeout {
            message: format!("the server gave up (408): {message}"),
        },
        code @ 500..=599 => ClientError::Server {
            status: code,
            message,
        },
        code => ClientError::Client {
            status: code,
            message,
        },
    }
}

/// The message of an OpenAI or Anthropic error body, or the body itself,
/// shortened.
pub(super) fn error_message(body: &[u8]) -> String {
    #[derive(serde::Deserialize)]
    struct Body {
        error: Detail,
    }
    #[derive(serde::Deserialize)]
    #[serde(untagged)]
    enum Detail {
        Object { message: String },
        Text(String),
    }
    match serde_json::from_slice::<Body>(body) {
        Ok(Body {
            error: Detail::Object { message } | Detail::Text(message),
        }) => shorten(&message),
        Err(_) if body.is_empty() => "(empty body)".to_owned(),
        Err(_) => shorten(String::from_utf8_lossy(body).trim()),
    }
}

/// `retry-after-ms`, else `retry-after` in seconds or as an HTTP date.
pub(super) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(ms) = text("retry-after-ms").and_then(|v| v.trim().parse::<f64>().ok())
        && ms.is_finite()
        && ms >= 0.0
    {
        return Some(Duration::from_secs_f64(ms / 1000.0));
    }
    let value = text("retry-after")?.trim();
    if let Ok(seconds) = value.parse::<f64>() {
        return (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let wait = at.signed_duration_since(chrono::Utc::now());
    Some(wait.to_std().unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn retry_after_forms() {
        let mut headers = HeaderMap::new();
        assert_eq!(retry_after(&headers), None);
        headers.insert("retry-after", HeaderValue::from_static("2"));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(2)));
        headers.insert("retry-after", HeaderValue::from_static("0.25"));
        assert_eq!(retry_after(&headers), Some(Duration::from_millis(250)));
        headers.insert(
            "retry-after",
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&headers), Some(Duration::ZERO));
        headers.insert("retry-after-ms", HeaderValue::from_static("1500"));
        assert_eq!(retry_after(&headers), Some(Duration::from_millis(1500)));
    }

    #[test]
    fn error_messages() {
        assert_eq!(
            error_message(br#"{"error":{"message":"slow down","type":"x"}}"#),
            "slow down"
        );
        assert_eq!(error_message(br#"{"error":"busy"}"#), "busy");
        assert_eq!(error_message(b"oops\n"), "oops");
        assert_eq!(error_message(b""), "(empty body)");
    }
}
