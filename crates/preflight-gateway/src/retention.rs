//! Crypto-shredding: once a review's retention date has passed, its data
//! key is destroyed, and with it every transcript and the upstream
//! credential. The destruction is an event on the ledger.

use crate::GatewayState;
use chrono::{DateTime, Utc};
use preflight_core::access::transcripts_expire_at;
use preflight_core::event::{Event, EventKind};
use preflight_core::ids::SubmissionId;
use preflight_core::terms::latest_agreed;
use preflight_store::{Store, StoreError};
use serde_json::json;
use std::time::Duration;
use tokio::sync::watch;

/// How often [`run`] looks for reviews past retention.
pub const SWEEP_EVERY: Duration = Duration::from_secs(60);

/// Destroys the data key of every review whose retention ended by `now`;
/// returns the reviews it shredded.
pub async fn sweep(store: &Store, now: DateTime<Utc>) -> Result<Vec<SubmissionId>, StoreError> {
    let mut shredded = Vec::new();
    for id in store.reviews_with_live_keys().await? {
        let submission = store.submission(id).await?.value;
        let versions = store.terms_versions(id).await?;
        // Without agreed terms no reviewer ever called the model: nothing to shred.
        let Some(terms) = latest_agreed(&versions) else {
            continue;
        };
        let expires_at = transcripts_expire_at(&submission, &terms);
        if now < expires_at {
            continue;
        }
        let event = Event::new(
            EventKind::TranscriptsDestroyed,
            Some(id),
            None,
            now,
            json!({
                "retention_days": terms.document.transcript_retention_days,
                "terms_version": terms.document.version,
                "retention_ended_at": expires_at,
            }),
        );
        if store.destroy_review_key(id, &event).await? {
            tracing::info!(submission = %id, "review data key destroyed at the end of retention");
            shredded.push(id);
        }
    }
    Ok(shredded)
}

impl GatewayState {
    /// One sweep at the gateway's now; forgets the shredded reviews'
    /// opened credentials.
    pub async fn sweep_retention(&self) -> Result<Vec<SubmissionId>, StoreError> {
        let shredded = sweep(&self.store, self.clock.now()).await?;
        for id in &shredded {
            self.upstreams.forget(*id);
        }
        Ok(shredded)
    }
}

/// Sweeps every [`SWEEP_EVERY`] until `stop` turns true.
pub async fn run(state: GatewayState, mut stop: watch::Receiver<bool>) {
    loop {
        if let Err(err) = state.sweep_retention().await {
            tracing::error!(error = %err, "retention sweep failed; retrying later");
        }
        tokio::select! {
            _ = tokio::time::sleep(SWEEP_EVERY) => {}
            _ = stop.wait_for(|s| *s) => return,
        }
    }
}
