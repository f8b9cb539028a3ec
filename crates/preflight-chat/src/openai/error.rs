//! The error body an OpenAI-compatible server answers with.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `{"error": {"message", "type", "param", "code"}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// The `error` object of an [`ErrorBody`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// What went wrong, for a person.
    pub message: String,
    /// Its category (`invalid_request_error`, `server_error`, ...).
    #[serde(rename = "type")]
    pub kind: String,
    /// The request field at fault (`null` when none, as OpenAI writes it).
    #[serde(default)]
    pub param: Option<String>,
    /// A machine-readable code; some servers send a number here (`null` when
    /// none, as OpenAI writes it).
    #[serde(default)]
    pub code: Option<Value>,
}

impl ErrorBody {
    /// An error of category `kind` with `message`, no param and no code.
    pub fn new(kind: impl Into<String>, message: impl Into<String>) -> ErrorBody {
        ErrorBody {
            error: ErrorDetail {
                message: message.into(),
                kind: kind.into(),
                param: None,
                code: None,
            },
        }
    }

    /// The same error naming the request field at fault.
    pub fn with_param(mut self, param: impl Into<String>) -> ErrorBody {
        self.error.param = Some(param.into());
        self
    }

    /// The same error with a machine-readable code.
    pub fn with_code(mut self, code: impl Into<String>) -> ErrorBody {
        self.error.code = Some(Value::String(code.into()));
        self
    }
}
