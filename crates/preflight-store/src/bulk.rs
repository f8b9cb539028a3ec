//! Many events in one transaction: a transactional import, or a benchmark
//! that measures what a durable commit costs per entry.

use crate::{Store, StoreError};
use preflight_core::event::Event;

impl Store {
    /// Records `events`, each with its ledger entry, in one transaction: all
    /// of them or none. Their leaf indexes are consecutive, in slice order.
    pub async fn record_events(&self, events: &[Event]) -> Result<(), StoreError> {
        if events.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin().await?;
        let all: Vec<&Event> = events.iter().collect();
        crate::events::append_all(&mut tx, &all).await?;
        tx.commit().await?;
        Ok(())
    }
}
