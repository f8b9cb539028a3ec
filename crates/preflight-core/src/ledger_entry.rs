//! What the ledger records of an event: the action kind, opaque ids, the
//! time and a salted commitment to the full record. It names nobody in the
//! clear; a participant who may read the record checks it against the entry.

use crate::event::{Event, EventKind};
use crate::ids::{EventId, SubmissionId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Prefix of every commitment, so it cannot be confused with another hash.
const COMMITMENT_DOMAIN: &[u8] = b"preflight.event.v1\n";

/// One ledger entry. Its serialised JSON is the Merkle leaf.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LedgerEntry {
    pub kind: EventKind,
    pub event_id: EventId,
    pub submission_id: Option<SubmissionId>,
    pub at: DateTime<Utc>,
    /// Hex SHA-256 over the domain tag, the salt and the record.
    pub commitment: String,
}

impl LedgerEntry {
    /// The entry for `event`, whose stored `record` text is committed to with `salt`.
    pub fn of(event: &Event, salt: &[u8], record: &str) -> Self {
        Self {
            kind: event.kind,
            event_id: event.id,
            submission_id: event.submission_id,
            at: event.at,
            commitment: commitment(salt, record),
        }
    }

    /// The exact bytes that are hashed into the log.
    pub fn to_bytes(&self) -> Vec<u8> {
        // Plain data of strings and enums always serialises.
        serde_json::to_vec(self).unwrap_or_default()
    }
}

/// The salted commitment to a record.
pub fn commitment(salt: &[u8], record: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(COMMITMENT_DOMAIN);
    hasher.update(salt);
    hasher.update(record.as_bytes());
    hex::encode(hasher.finalize())
}
