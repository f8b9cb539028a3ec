//! What can go wrong on the way to an answer.

use std::time::Duration;

/// What a [`Error::Timeout`] names while a connection is being opened.
pub(crate) const CONNECTING: [&str; 3] = [
    "connecting",
    "the TLS handshake",
    "opening a tunnel through the proxy",
];

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
    /// Whether the server was never reached: the connection, its TLS
    /// handshake or the proxy's tunnel failed or took too long.
    pub fn is_connect(&self) -> bool {
        match self {
            Error::Connect { .. } | Error::Tls { .. } => true,
            Error::Timeout { what, .. } | Error::Io { what, .. } => CONNECTING.contains(what),
            _ => false,
        }
    }

    /// Whether a deadline passed (connecting, or waiting for bytes).
    pub fn is_timeout(&self) -> bool {
        match self {
            Error::Timeout { .. } => true,
            Error::Connect { source, .. } => source.kind() == std::io::ErrorKind::TimedOut,
            _ => false,
        }
    }
}
