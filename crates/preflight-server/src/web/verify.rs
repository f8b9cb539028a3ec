//! The "verified" badge of a review's accesses: each access's event is
//! checked the way `preflight ledger verify` checks it (its record against
//! the entry's salted commitment, and the entry's inclusion proof against
//! the latest checkpoint, whose log signature is verified), not read from
//! a flag.

use crate::AppState;
use crate::extract::{ApiPath, ApiQuery};
use crate::routes::ledger::{self, InclusionQuery};
use crate::web::session::Session;
use axum::extract::State;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use preflight_core::event::EventKind;
use preflight_core::ids::SubmissionId;
use preflight_core::ledger_entry::{LedgerEntry, commitment};
use preflight_ledger::{Checkpoint, Hash, leaf_hash, verify_inclusion};
use std::collections::HashSet;

/// What the check found.
#[derive(Debug, Default)]
pub struct Verified {
    /// The checkpoint's tree size.
    pub size: u64,
    /// Calls whose `model_called` event passed every check.
    pub calls: HashSet<String>,
    /// Events checked and events not yet in the checkpoint.
    pub checked: usize,
    pub pending: usize,
    /// Events that failed, with why.
    pub failures: Vec<String>,
}

fn hash(text: &str) -> Option<Hash> {
    B64.decode(text).ok()?.try_into().ok()
}

/// Checks every event of review `id` the caller may read in full; `None`
/// when it may not, or there is no checkpoint yet.
pub async fn review(state: &AppState, session: &Session, id: SubmissionId) -> Option<Verified> {
    let axum::Json(events) =
        ledger::review_events(State(state.clone()), session.caller(), ApiPath(id))
            .await
            .ok()?;
    let (_, note) = state.store.ledger_latest_checkpoint().await.ok()??;
    let log = state.ledger.signer.verifier();
    let (checkpoint, _) = Checkpoint::open(&note, std::slice::from_ref(&log)).ok()?;
    let mut out = Verified {
        size: checkpoint.size(),
        ..Verified::default()
    };
    for e in &events {
        if e.leaf_index >= checkpoint.size() {
            out.pending += 1;
            continue;
        }
        let ok = async {
            let entry: LedgerEntry = serde_json::from_str(&e.entry).ok()?;
            let salt = hex::decode(&e.salt).ok()?;
            if entry.commitment != commitment(&salt, &e.record) || entry.event_id != e.event_id {
                return None;
            }
            let query = InclusionQuery {
                index: e.leaf_index,
                size: checkpoint.size(),
            };
            let axum::Json(proof) =
                ledger::inclusion(State(state.clone()), session.caller(), ApiQuery(query))
                    .await
                    .ok()?;
            let proof: Vec<Hash> = proof.proof.iter().map(|h| hash(h)).collect::<Option<_>>()?;
            verify_inclusion(
                &leaf_hash(e.entry.as_bytes()),
                e.leaf_index,
                checkpoint.size(),
                &proof,
                checkpoint.root(),
            )
            .ok()?;
            Some(())
        }
        .await;
        out.checked += 1;
        match ok {
            Some(()) if e.kind == EventKind::ModelCalled => {
                let record: serde_json::Value = serde_json::from_str(&e.record).unwrap_or_default();
                if let Some(call) = record["details"]["call_id"].as_str() {
                    out.calls.insert(call.to_owned());
                }
            }
            Some(()) => {}
            None => out
                .failures
                .push(format!("event at index {} does not verify", e.leaf_index)),
        }
    }
    Some(out)
}
