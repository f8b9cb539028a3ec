//! Every answer the gateway gives instead of the model's: an OpenAI-style
//! error body whose `code` names the rule (or the fault) and whose message
//! carries the values at fault. Never the upstream credential.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use preflight_core::access::AccessRefusal;
use serde_json::json;

/// A refused or failed call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub status: StatusCode,
    /// OpenAI's error `type`.
    pub kind: &'static str,
    /// The rule or fault, stable for clients.
    pub code: &'static str,
    pub message: String,
    pub param: Option<&'static str>,
    pub retry_after_secs: Option<u64>,
}

impl Refusal {
    fn new(status: StatusCode, kind: &'static str, code: &'static str, message: String) -> Self {
        Self {
            status,
            kind,
            code,
            message,
            param: None,
            retry_after_secs: None,
        }
    }

    pub fn unauthenticated(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "authentication_error",
            code,
            message.into(),
        )
    }

    pub fn denied(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "permission_denied",
            code,
            message.into(),
        )
    }

    pub fn rate_limited(code: &'static str, message: impl Into<String>, retry_after: u64) -> Self {
        Self {
            retry_after_secs: Some(retry_after.max(1)),
            ..Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limit_exceeded",
                code,
                message.into(),
            )
        }
    }

    pub fn budget_exhausted(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "insufficient_quota",
            "token_budget_exhausted",
            message.into(),
        )
    }

    pub fn invalid(param: &'static str, message: impl Into<String>) -> Self {
        Self {
            param: Some(param),
            ..Self::new(
                StatusCode::BAD_REQUEST,
                "invalid_request_error",
                "invalid_request",
                message.into(),
            )
        }
    }

    pub fn model_not_found(requested: &str, served: &str) -> Self {
        Self {
            param: Some("model"),
            ..Self::new(
                StatusCode::NOT_FOUND,
                "invalid_request_error",
                "model_not_found",
                format!("model {requested:?} is not served to this token (it reaches {served:?})"),
            )
        }
    }

    /// The call could not be recorded, so it was not made.
    pub fn not_recorded() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "service_unavailable",
            "audit_unavailable",
            "the call could not be recorded on the audit ledger, so it was not sent to the model; retry later".into(),
        )
    }

    pub fn unavailable(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "service_unavailable",
            code,
            message.into(),
        )
    }

    /// The upstream failed; `status` is what the client gets.
    pub fn upstream(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self::new(status, "upstream_error", code, message.into())
    }

    pub fn body(&self) -> serde_json::Value {
        json!({
            "error": {
                "message": self.message,
                "type": self.kind,
                "param": self.param,
                "code": self.code,
            }
        })
    }
}

impl From<AccessRefusal> for Refusal {
    fn from(refusal: AccessRefusal) -> Self {
        Refusal::denied(refusal.rule(), refusal.to_string())
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let mut response = (self.status, axum::Json(self.body())).into_response();
        if let Some(secs) = self.retry_after_secs {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}
