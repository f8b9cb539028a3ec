//! What the bench appends: events shaped like the ones a review writes most,
//! a filed finding with a few hundred bytes of details.

use chrono::Utc;
use preflight_core::event::{Event, EventKind};
use preflight_core::ids::{SubmissionId, UserId};
use serde_json::json;

/// One filed finding, fresh ids, the current time.
pub fn finding_filed() -> Event {
    Event::new(
        EventKind::FindingFiled,
        Some(SubmissionId::new()),
        Some(UserId::new()),
        Utc::now(),
        json!({
            "finding_id": uuid::Uuid::now_v7(),
            "title": "Prompt injection through a retrieved document overrides the system prompt",
            "severity": "high",
            "cvss": "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:H/I:L/A:N",
            "categories": ["AML.T0051.001", "LLM01:2025", "CWE-77"],
            "tlp": "AMBER",
            "summary": "A crafted instruction hidden in a retrieved web page makes the model \
                        ignore its system prompt and reveal tool output it was told to withhold.",
        }),
    )
}

/// `n` filed findings.
pub fn batch(n: usize) -> Vec<Event> {
    (0..n).map(|_| finding_filed()).collect()
}

/// Bytes of one event's details, as stored.
pub fn details_len() -> usize {
    finding_filed().details.to_string().len()
}
