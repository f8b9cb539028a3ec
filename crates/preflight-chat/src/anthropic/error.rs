//! The error body the Messages API answers with, also the `error` stream
//! event's payload.

use serde::{Deserialize, Serialize};

/// `{"type": "error", "error": {"type", "message"}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// Always `error`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The error.
    pub error: ErrorDetail,
}

/// The `error` object of an [`ErrorBody`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// `invalid_request_error`, `authentication_error`, `permission_error`,
    /// `not_found_error`, `rate_limit_error`, `api_error`,
    /// `overloaded_error`, ...
    #[serde(rename = "type")]
    pub kind: String,
    /// What went wrong, for a person.
    #[serde(default)]
    pub message: String,
}
