//! The access window: when reviewers may reach a model.

use crate::DomainError;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// The longest a review may last before release.
pub const MAX_REVIEW_DAYS: i64 = 30;

/// A span of time `[opens_at, ends_at)` that opens no earlier than 30 days
/// before the planned release and ends no later than the release. A window
/// that exists is valid.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(try_from = "RawWindow")]
pub struct ReviewWindow {
    release_at: DateTime<Utc>,
    opens_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
}

#[derive(Deserialize)]
struct RawWindow {
    release_at: DateTime<Utc>,
    opens_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
}

impl TryFrom<RawWindow> for ReviewWindow {
    type Error = DomainError;
    fn try_from(raw: RawWindow) -> Result<Self, DomainError> {
        ReviewWindow::new(raw.release_at, raw.opens_at, raw.ends_at)
    }
}

impl ReviewWindow {
    pub fn new(
        release_at: DateTime<Utc>,
        opens_at: DateTime<Utc>,
        ends_at: DateTime<Utc>,
    ) -> Result<Self, DomainError> {
        let earliest = release_at - Duration::days(MAX_REVIEW_DAYS);
        if opens_at < earliest {
            return Err(DomainError::WindowOpensTooEarly {
                opens_at,
                earliest,
                release_at,
            });
        }
        if ends_at > release_at {
            return Err(DomainError::WindowEndsAfterRelease {
                ends_at,
                release_at,
            });
        }
        if ends_at <= opens_at {
            return Err(DomainError::WindowEmpty { opens_at, ends_at });
        }
        Ok(Self {
            release_at,
            opens_at,
            ends_at,
        })
    }

    pub fn release_at(&self) -> DateTime<Utc> {
        self.release_at
    }
    pub fn opens_at(&self) -> DateTime<Utc> {
        self.opens_at
    }
    pub fn ends_at(&self) -> DateTime<Utc> {
        self.ends_at
    }

    pub fn contains(&self, at: DateTime<Utc>) -> bool {
        self.opens_at <= at && at < self.ends_at
    }

    /// A sub-span `[start, end)` of this window, checked to lie inside it.
    pub fn sub_span(
        &self,
        field: &'static str,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<Span, DomainError> {
        for value in [start, end] {
            if value < self.opens_at || value > self.ends_at {
                return Err(DomainError::OutsideWindow {
                    field,
                    value,
                    opens_at: self.opens_at,
                    ends_at: self.ends_at,
                });
            }
        }
        if end <= start {
            return Err(DomainError::invalid(
                field,
                format!("{start} .. {end}"),
                "ends before it starts",
            ));
        }
        Ok(Span { start, end })
    }
}

/// A half-open span of time `[start, end)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Span {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

impl Span {
    pub fn contains(&self, at: DateTime<Utc>) -> bool {
        self.start <= at && at < self.end
    }
}
