use chrono::{DateTime, Utc};

/// A rule of the review program that an action would break. Each variant
/// names the field and the value at fault, in the caller's words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    #[error("invalid {field} {value:?}: {reason}")]
    Invalid {
        field: &'static str,
        value: String,
        reason: String,
    },
    #[error(
        "access window opens at {opens_at} but may open no earlier than {earliest} (30 days before the planned release {release_at})"
    )]
    WindowOpensTooEarly {
        opens_at: DateTime<Utc>,
        earliest: DateTime<Utc>,
        release_at: DateTime<Utc>,
    },
    #[error("access window ends at {ends_at}, after the planned release {release_at}")]
    WindowEndsAfterRelease {
        ends_at: DateTime<Utc>,
        release_at: DateTime<Utc>,
    },
    #[error("access window ends at {ends_at}, not after it opens at {opens_at}")]
    WindowEmpty {
        opens_at: DateTime<Utc>,
        ends_at: DateTime<Utc>,
    },
    #[error("{field} {value} lies outside the access window {opens_at} .. {ends_at}")]
    OutsideWindow {
        field: &'static str,
        value: DateTime<Utc>,
        opens_at: DateTime<Utc>,
        ends_at: DateTime<Utc>,
    },
    #[error("cannot {action} a review in state {state}")]
    WrongState { action: &'static str, state: String },
    #[error("{0}")]
    Forbidden(String),
    #[error("signature on terms version {version} does not verify with the key of {signer}")]
    BadSignature { version: u32, signer: String },
    #[error("{0}")]
    Conflict(String),
}

impl DomainError {
    pub fn invalid(field: &'static str, value: impl ToString, reason: impl Into<String>) -> Self {
        Self::Invalid {
            field,
            value: value.to_string(),
            reason: reason.into(),
        }
    }

    /// The request field the error is about, when there is one.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            Self::Invalid { field, .. } | Self::OutsideWindow { field, .. } => Some(field),
            Self::WindowOpensTooEarly { .. } | Self::WindowEmpty { .. } => Some("window.opens_at"),
            Self::WindowEndsAfterRelease { .. } => Some("window.ends_at"),
            Self::BadSignature { .. } => Some("signature"),
            _ => None,
        }
    }
}
