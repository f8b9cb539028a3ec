//! One error type for every route: a status, a stable code, a message that
//! names the field and value, and nothing internal.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use preflight_core::DomainError;
use preflight_store::StoreError;
use serde::Serialize;

#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    field: Option<String>,
}

/// The body of every error response.
#[derive(Debug, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ApiErrorBody {
    pub error: ApiErrorDetail,
}

#[derive(Debug, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ApiErrorDetail {
    /// Stable machine-readable code, such as `invalid_field` or `forbidden`.
    pub code: String,
    /// What was wrong, naming the field and the value.
    pub message: String,
    /// The request field at fault, when there is one.
    pub field: Option<String>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            field: None,
        }
    }
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: Some(field.into()),
            ..Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", message)
        }
    }
    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "missing, unknown, expired or revoked bearer token",
        )
    }
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }
    pub fn not_found(what: &str, id: impl std::fmt::Display) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{what} {id} not found"),
        )
    }
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "conflict", message)
    }
    /// A failure inside the server: logged here once, hidden from the client.
    pub fn internal(err: impl std::fmt::Display) -> Self {
        tracing::error!(error = %err, "internal failure");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error; see the server log",
        )
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// What was wrong, naming the field and the value.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl From<DomainError> for ApiError {
    fn from(err: DomainError) -> Self {
        let field = err.field().map(str::to_owned);
        let (status, code) = match &err {
            DomainError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            DomainError::WrongState { .. } | DomainError::Conflict(_) => {
                (StatusCode::CONFLICT, "conflict")
            }
            DomainError::BadSignature { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "bad_signature"),
            _ => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field"),
        };
        // Rules stated in words ("access window opens at ...") still name
        // the request field, as every error message does.
        let message = match &field {
            Some(f) if !err.to_string().contains(f.as_str()) => format!("invalid {f}: {err}"),
            _ => err.to_string(),
        };
        Self {
            status,
            code,
            message,
            field,
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound { what, id } => Self::not_found(what, id),
            StoreError::Duplicate { field, value } => Self {
                field: Some(field.to_owned()),
                ..Self::new(
                    StatusCode::CONFLICT,
                    "duplicate",
                    format!("{field} {value:?} already exists"),
                )
            },
            StoreError::Concurrent(what) => {
                Self::conflict(format!("the {what} changed while this request ran; retry"))
            }
            other => {
                // Logged once here; the client learns only that it failed.
                tracing::error!(error = %other, "store failure");
                Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "internal error; see the server log",
                )
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ApiErrorBody {
            error: ApiErrorDetail {
                code: self.code.to_owned(),
                message: self.message,
                field: self.field,
            },
        };
        (self.status, Json(body)).into_response()
    }
}

/// Every error a route may answer with, for the OpenAPI document.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)]
pub enum ErrorResponses {
    /// The request is malformed: bad JSON, a bad path parameter.
    #[response(status = 400)]
    BadRequest(ApiErrorBody),
    /// No valid bearer token.
    #[response(status = 401)]
    Unauthorized(ApiErrorBody),
    /// The caller's role or relation to the review does not allow this.
    #[response(status = 403)]
    Forbidden(ApiErrorBody),
    /// No such object, or the caller may not know it exists.
    #[response(status = 404)]
    NotFound(ApiErrorBody),
    /// The review is not in a state that allows this, or a duplicate.
    #[response(status = 409)]
    Conflict(ApiErrorBody),
    /// The request body is not JSON.
    #[response(status = 415)]
    UnsupportedMediaType(ApiErrorBody),
    /// A field breaks a rule; the body names the field and the value.
    #[response(status = 422)]
    Invalid(ApiErrorBody),
}
