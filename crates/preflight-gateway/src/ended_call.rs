//! A call that has ended, as it waits in the journal's queue. A plain
//! call's transcript is small and built when the call ends, outside the
//! journal's commits. A stream's is built only when the call is written:
//! when a thousand streams end together, the queue holds their relayed
//! frames in their compact form, and only the batch being written holds
//! full transcripts.

use crate::relayed_frames::RelayedFrames;
use crate::transcript::{self, Transcript};
use chrono::{DateTime, Utc};
use preflight_chat::openai::Usage;
use preflight_core::event::{Event, EventKind};
use preflight_core::ids::SubmissionId;
use preflight_store::{CallFinished, CallOrigin};
use serde_json::{Value, json};
use std::time::Duration;
use uuid::Uuid;

#[derive(Debug)]
pub(crate) enum EndedCall {
    Built(CallFinished),
    Streamed(CallEnd),
}

impl EndedCall {
    /// Builds a plain call's record now and keeps a stream's for later.
    pub(crate) fn new(end: CallEnd) -> Self {
        if end.relayed.is_empty() {
            Self::Built(end.into_finished())
        } else {
            Self::Streamed(end)
        }
    }

    pub(crate) fn is_built(&self) -> bool {
        matches!(self, Self::Built(_))
    }

    /// The call as the store records it.
    pub(crate) fn into_finished(self) -> CallFinished {
        match self {
            Self::Built(finished) => finished,
            Self::Streamed(end) => end.into_finished(),
        }
    }
}

/// What is known of a call when it ends.
#[derive(Debug)]
pub(crate) struct CallEnd {
    pub id: Uuid,
    pub submission_id: SubmissionId,
    pub origin: CallOrigin,
    pub model: String,
    pub finished_at: DateTime<Utc>,
    pub outcome: String,
    pub status: u16,
    /// The caller's request body, as sent.
    pub request: Box<[u8]>,
    /// The whole answer (or the error) when it was not streamed.
    pub answer: Option<Value>,
    /// The stream's pieces as relayed, when it was streamed.
    pub relayed: RelayedFrames,
    pub usage: Usage,
    pub usage_source: &'static str,
    pub first_byte: Option<Duration>,
    pub total: Duration,
}

impl CallEnd {
    /// The call as the store records it, its transcript built now.
    pub(crate) fn into_finished(self) -> CallFinished {
        let stream_bytes = (!self.relayed.is_empty()).then(|| self.relayed.into_bytes());
        let stream = stream_bytes.as_deref().map(String::from_utf8_lossy);
        let transcript = Transcript {
            call_id: self.id,
            submission_id: self.submission_id,
            model: &self.model,
            request: transcript::request_json(&self.request),
            response: transcript::Answer {
                status: self.status,
                outcome: &self.outcome,
                body: self.answer.as_ref(),
                stream: stream.as_deref(),
            },
            usage: self.usage,
            usage_source: self.usage_source,
            timing: transcript::Timing {
                started_at: self.origin.started_at,
                first_byte_ms: self.first_byte.map(|d| d.as_secs_f64() * 1e3),
                total_ms: self.total.as_secs_f64() * 1e3,
            },
        }
        .to_bytes();
        let ms = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        let usage = self.usage;
        CallFinished {
            id: self.id,
            submission_id: self.submission_id,
            origin: self.origin,
            finished_at: self.finished_at,
            http_status: self.status,
            prompt_tokens: usage.prompt_tokens,
            completion_tokens: usage.completion_tokens,
            first_byte_ms: self.first_byte.map(ms),
            total_ms: ms(self.total),
            transcript,
            event: Event::new(
                EventKind::ModelCallFinished,
                Some(self.submission_id),
                Some(self.origin.user_id),
                self.finished_at,
                json!({
                    "call_id": self.id,
                    "outcome": self.outcome,
                    "http_status": self.status,
                    "prompt_tokens": usage.prompt_tokens,
                    "completion_tokens": usage.completion_tokens,
                    "usage_source": self.usage_source,
                }),
            ),
            outcome: self.outcome,
        }
    }
}
