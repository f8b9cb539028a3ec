use std::time::Duration;

/// What went wrong with one request, sorted by what to do about it:
/// [`is_retryable`](Self::is_retryable) says whether another attempt may
/// succeed, [`retry_after`](Self::retry_after) how long the server asked to
/// wait.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ClientError {
    /// 429: too many requests.
    #[error("rate limited (429){}: {message}", wait(*retry_after))]
    RateLimited {
        retry_after: Option<Duration>,
        message: String,
    },
    /// 5xx, or an error event in the middle of a stream.
    #[error("server error ({status}): {message}")]
    Server { status: u16, message: String },
    /// No answer, or no more of it, in time (also a 408).
    #[error("timed out: {message}")]
    Timeout { message: String },
    /// The answer stopped before its end: a stream without its final event,
    /// or a body cut short.
    #[error("truncated answer: {reason}")]
    TruncatedStream { reason: String },
    /// The answer is not the JSON the API promises.
    #[error("invalid json in the answer: {reason}")]
    InvalidJson { reason: String },
    /// 4xx other than 408 and 429: the request itself is wrong; another
    /// attempt gets the same answer.
    #[error("request refused ({status}): {message}")]
    Client { status: u16, message: String },
    /// The connection failed or broke before an answer.
    #[error("network error: {reason}")]
    Network { reason: String },
    /// The request cannot be built or translated for this API.
    #[error("cannot build the request: {reason}")]
    Request { reason: String },
}

fn wait(retry_after: Option<Duration>) -> String {
    match retry_after {
        Some(d) => format!(", retry after {:.3} s", d.as_secs_f64()),
        None => String::new(),
    }
}

impl ClientError {
    /// A short stable name, as written in logs: `rate_limited`,
    /// `server_error`, `timeout`, `truncated_stream`, `invalid_json`,
    /// `client_error`, `network`, `request`.
    pub fn kind(&self) -> &'static str {
        match self {
            ClientError::RateLimited { .. } => "rate_limited",
            ClientError::Server { .. } => "server_error",
            ClientError::Timeout { .. } => "timeout",
            ClientError::TruncatedStream { .. } => "truncated_stream",
            ClientError::InvalidJson { .. } => "invalid_json",
            ClientError::Client { .. } => "client_error",
            ClientError::Network { .. } => "network",
            ClientError::Request { .. } => "request",
        }
    }

    /// Whether another attempt may succeed: everything but a refused or
    /// unbuildable request.
    pub fn is_retryable(&self) -> bool {
        !matches!(
            self,
            ClientError::Client { .. } | ClientError::Request { .. }
        )
    }

    /// How long the server asked to wait before the next attempt.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            ClientError::RateLimited { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}
