//! What both clients do with HTTP: credentials, status codes, Retry-After
//! and transport errors turned into [`ClientError`]s.

use std::time::Duration;

use bytes::Bytes;
use preflight_http::{Request, Response};
use serde::Serialize;

use super::error::ClientError;
use super::{ApiKey, ClientConfig, Provider};
use crate::error::shorten;

/// The Messages API version the Anthropic client speaks.
pub(super) const ANTHROPIC_VERSION: &str = "2023-06-01";

/// A provider's HTTP side: the connection pool, the credential and the
/// longest a whole request may take.
#[derive(Debug)]
pub(super) struct Http {
    client: preflight_http::Client,
    provider: Provider,
    api_key: Option<ApiKey>,
    request_timeout: Duration,
}

impl Http {
    /// The HTTP side of `config`, through the proxies the environment
    /// names (`https_proxy`, `http_proxy`, `all_proxy`, `no_proxy`).
    pub(super) fn new(config: &ClientConfig) -> Result<Http, ClientError> {
        let proxies = preflight_http::Proxies::from_env().map_err(|e| ClientError::Request {
            reason: e.to_string(),
        })?;
        Ok(Http {
            client: preflight_http::Client::new(preflight_http::Config {
                connect_timeout: config.connect_timeout,
                read_timeout: config.read_timeout,
                proxies,
                ..preflight_http::Config::default()
            }),
            provider: config.provider,
            api_key: config.api_key.clone(),
            request_timeout: config.request_timeout,
        })
    }

    /// `answer`, unless the whole request to `url` takes longer than the
    /// configured deadline.
    pub(super) async fn within_deadline<T>(
        &self,
        url: &str,
        answer: impl Future<Output = Result<T, ClientError>>,
    ) -> Result<T, ClientError> {
        match tokio::time::timeout(self.request_timeout, answer).await {
            Ok(result) => result,
            Err(_) => Err(ClientError::Timeout {
                message: format!(
                    "{url}: no complete answer within {} s",
                    self.request_timeout.as_secs_f64()
                ),
            }),
        }
    }

    /// `POST url` with `body` as JSON: the response when its status is 2xx,
    /// the error it means otherwise.
    pub(super) async fn post_json(
        &self,
        url: &str,
        body: &impl Serialize,
    ) -> Result<Response, ClientError> {
        let json = serde_json::to_vec(body).map_err(|e| ClientError::Request {
            reason: format!("the request is not encodable: {e}"),
        })?;
        let request = Request::post(url, json).header("content-type", "application/json");
        self.send(url, request).await
    }

    /// `GET url`: the body of a 2xx answer, or the error its status means.
    pub(super) async fn get(&self, url: &str) -> Result<Bytes, ClientError> {
        let response = self.send(url, Request::get(url)).await?;
        response.bytes().await.map_err(body_error)
    }

    /// Sends `request` with the provider's credential headers.
    async fn send(&self, url: &str, request: Request<'_>) -> Result<Response, ClientError> {
        let bearer = match (self.provider, &self.api_key) {
            (Provider::Openai, Some(key)) => Some(format!("Bearer {}", key.expose())),
            _ => None,
        };
        let request = match (self.provider, &bearer, &self.api_key) {
            (Provider::Openai, Some(bearer), _) => request.header("authorization", bearer),
            (Provider::Openai, None, _) => request,
            (Provider::Anthropic, _, key) => {
                let request = request.header("anthropic-version", ANTHROPIC_VERSION);
                match key {
                    Some(key) => request.header("x-api-key", key.expose()),
                    None => request,
                }
            }
        };
        let response = self
            .client
            .send(request)
            .await
            .map_err(|e| send_error(url, e))?;
        check_status(response).await
    }
}

/// An error sending the request or waiting for the status line.
pub(super) fn send_error(url: &str, error: preflight_http::Error) -> ClientError {
    if error.is_timeout() {
        ClientError::Timeout {
            message: format!("{url}: no answer ({error})"),
        }
    } else {
        ClientError::Network {
            reason: format!("{url}: {error}"),
        }
    }
}

/// An error while reading the body: the answer was cut short.
pub(super) fn body_error(error: preflight_http::Error) -> ClientError {
    if error.is_timeout() {
        ClientError::Timeout {
            message: format!("reading the answer: {error}"),
        }
    } else {
        ClientError::TruncatedStream {
            reason: format!("the connection broke mid-answer: {error}"),
        }
    }
}

/// The response itself when its status is 2xx, the error it means otherwise.
pub(super) async fn check_status(response: Response) -> Result<Response, ClientError> {
    let status = response.status();
    if (200..300).contains(&status) {
        return Ok(response);
    }
    let retry_after = retry_after(|name| response.header(name));
    // The body only explains; a broken one leaves the status to speak.
    let body = response.bytes().await.unwrap_or_default();
    Err(status_error(status, retry_after, &body))
}

/// Whether the answer is a stream of server-sent events.
pub(super) fn is_event_stream(response: &Response) -> bool {
    response
        .header("content-type")
        .is_some_and(|v| v.starts_with("text/event-stream"))
}

/// The error a non-2xx status means, with the server's message.
pub(super) fn status_error(status: u16, retry_after: Option<Duration>, body: &[u8]) -> ClientError {
    let message = error_message(body);
    match status {
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

/// `retry-after-ms`, else `retry-after` in seconds or as an HTTP date,
/// from a response's headers as `header` finds them.
pub(super) fn retry_after<'a>(header: impl Fn(&str) -> Option<&'a str>) -> Option<Duration> {
    if let Some(ms) = header("retry-after-ms").and_then(|v| v.trim().parse::<f64>().ok())
        && ms.is_finite()
        && ms >= 0.0
    {
        return Some(Duration::from_secs_f64(ms / 1000.0));
    }
    let value = header("retry-after")?.trim();
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
    use std::collections::HashMap;

    #[test]
    fn retry_after_forms() {
        let mut headers: HashMap<&str, &str> = HashMap::new();
        let find = |h: &HashMap<&str, &'static str>| retry_after(|name| h.get(name).copied());
        assert_eq!(find(&headers), None);
        headers.insert("retry-after", "2");
        assert_eq!(find(&headers), Some(Duration::from_secs(2)));
        headers.insert("retry-after", "0.25");
        assert_eq!(find(&headers), Some(Duration::from_millis(250)));
        headers.insert("retry-after", "Wed, 21 Oct 2015 07:28:00 GMT");
        assert_eq!(find(&headers), Some(Duration::ZERO));
        headers.insert("retry-after-ms", "1500");
        assert_eq!(find(&headers), Some(Duration::from_millis(1500)));
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
