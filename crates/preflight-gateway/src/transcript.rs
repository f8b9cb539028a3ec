//! The transcript of one call, as sealed under the review's data key: the
//! caller's request exactly as sent, the answer (whole, or the stream's
//! frames as relayed), usage and timing. Serialized straight from borrowed
//! parts, so a long stream is copied once, into the bytes that are sealed.

use chrono::{DateTime, Utc};
use preflight_chat::openai::Usage;
use serde::Serialize;
use serde_json::Value;
use serde_json::value::RawValue;
use uuid::Uuid;
use zeroize::Zeroizing;

#[derive(Serialize)]
pub(crate) struct Transcript<'a> {
    pub call_id: Uuid,
    pub submission_id: preflight_core::ids::SubmissionId,
    pub model: &'a str,
    /// The request body as the caller sent it (it was parsed as JSON).
    pub request: Option<&'a RawValue>,
    pub response: Answer<'a>,
    pub usage: Usage,
    pub usage_source: &'static str,
    pub timing: Timing,
}

#[derive(Serialize)]
pub(crate) struct Answer<'a> {
    pub status: u16,
    pub outcome: &'a str,
    pub body: Option<&'a Value>,
    /// The streamed frames as relayed, when the answer was streamed.
    pub stream: Option<&'a str>,
}

#[derive(Serialize)]
pub(crate) struct Timing {
    pub started_at: DateTime<Utc>,
    pub first_byte_ms: Option<f64>,
    pub total_ms: f64,
}

/// The caller's request body as JSON, if it is JSON (the gateway parsed it
/// before recording anything, so it is).
pub(crate) fn request_json(body: &[u8]) -> Option<&RawValue> {
    serde_json::from_slice(body).ok()
}

impl Transcript<'_> {
    /// The bytes to seal; wiped from memory when dropped.
    pub(crate) fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        Zeroizing::new(serde_json::to_vec(self).unwrap_or_default())
    }
}
