//! What can go wrong on the way to an answer.

use std::time::Duration;

/// An HTTP exchange that did not come to a complete answer.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    #[error("connecting to {origin}: {source}")]
    Connect {
        origin: String,
        source: std::io::Error,
    },
    #[error("TLS with {origin}: {reason}")]
    Tls { origin: String, reason: String },
    #[error("{what}: nothing for {} s", after.as_secs_f64())]
    Timeout { what: &'static str, after: Duration },
    #[error("{what}: {source}")]
    Io {
        what: &'static str,
        source: std::io::Error,
    },
    #[error("the server closed the connection {0}")]
    Closed(&'static str),
    #[error("invalid response: {0}")]
    InvalidResponse(String),
}

impl Error {
    /// Whether a deadline passed (connecting, or waiting for bytes).
    pub fn is_timeout(&self) -> bool {
        match self {
            Error::Timeout { .. } => true,
            Error::Connect { source, .. } => source.kind() == std::io::ErrorKind::TimedOut,
            _ => false,
        }
    }
}
