//! Times are stored as fixed-width RFC 3339 UTC text, so they sort as text.

use crate::StoreError;
use chrono::{DateTime, SecondsFormat, Utc};

pub(crate) fn encode(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

pub(crate) fn decode(text: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| StoreError::corrupt("time", format!("{text:?}: {e}")))
}

pub(crate) fn decode_opt(text: Option<String>) -> Result<Option<DateTime<Utc>>, StoreError> {
    text.as_deref().map(decode).transpose()
}
