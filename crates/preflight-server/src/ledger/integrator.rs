//! Integrates written entries into tiles in batches and signs a checkpoint
//! for each new size: at least once a second while there are new entries.

use super::LedgerSettings;
use super::reader::{TileCache, with_tiles};
use super::witnessing::{WitnessProgress, cosign_latest};
use preflight_ledger::tiles::append_tiles;
use preflight_ledger::{Checkpoint, TileSource, leaf_hash};
use preflight_store::{Store, StoreError, StoredTile};
use std::time::Duration;

/// Entries integrated per step at most.
const BATCH: u64 = 4096;
/// How often the integrator looks for new entries.
const TICK: Duration = Duration::from_millis(200);

/// Integrates until `stop` resolves. Errors are logged and retried: the
/// entries are durable, so a failed step loses nothing.
pub async fn run_integrator(
    store: Store,
    settings: LedgerSettings,
    cache: TileCache,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let mut witnesses = WitnessProgress::default();
    loop {
        match integrate_pending(&store, &settings, &cache).await {
            Ok(_) => cosign_latest(&store, &settings, &cache, &mut witnesses).await,
            Err(IntegrateError::Store(StoreError::Concurrent(_))) => {}
            Err(err) => tracing::error!(error = %err, "ledger integration failed; retrying"),
        }
        tokio::select! {
            _ = stop.changed() => break,
            () = tokio::time::sleep(TICK) => {}
        }
    }
    // One last step so that entries acknowledged before shutdown are signed.
    if let Err(err) = integrate_pending(&store, &settings, &cache).await {
        tracing::warn!(error = %err, "final ledger integration failed");
    }
}

#[derive(Debug, thiserror::Error)]
pub enum IntegrateError {
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("ledger: {0}")]
    Ledger(#[from] preflight_ledger::LedgerError),
    #[error("integration task: {0}")]
    Task(#[from] tokio::task::JoinError),
}

/// Integrates every entry written before the call; returns the new
/// integrated size. Entries written meanwhile wait for the next call, so a
/// steady stream of appends costs one signed checkpoint (and one synced
/// commit) per tick, not one per append. Signs the empty checkpoint when the
/// log has none yet.
pub async fn integrate_pending(
    store: &Store,
    settings: &LedgerSettings,
    cache: &TileCache,
) -> Result<u64, IntegrateError> {
    let mut target = None;
    loop {
        let (written, integrated) = store.ledger_sizes().await?;
        let target = *target.get_or_insert(written);
        let has_checkpoint = store.ledger_latest_checkpoint().await?.is_some();
        if integrated >= target && has_checkpoint {
            return Ok(integrated);
        }
        let to = target.max(integrated).min(integrated + BATCH);
        let entries = store.ledger_entries(integrated, to).await?;
        let leaves: Vec<_> = entries.iter().map(|e| leaf_hash(e.as_bytes())).collect();
        let signer = settings.signer.clone();
        let origin = settings.origin().to_owned();
        let (tiles, note) = with_tiles(store, cache, move |reader| {
            let tiles = append_tiles(integrated, &leaves, reader)?;
            reader.overlay(&tiles);
            let root = TileSource::new(&*reader, to).root()?;
            let note = Checkpoint::new(&origin, to, root)?.sign(&signer)?;
            Ok::<_, preflight_ledger::LedgerError>((tiles, note))
        })
        .await??;
        let stored: Vec<StoredTile> = tiles
            .iter()
            .map(|t| StoredTile {
                level: t.level,
                index: t.index,
                width: t.width(),
                hashes: t.encode(),
            })
            .collect();
        store
            .ledger_integrate(integrated, to, &stored, &note)
            .await?;
        for tile in &tiles {
            cache.keep(tile.level, tile.index, &tile.hashes);
        }
        cache.saw_integrated(to);
        tracing::debug!(size = to, "ledger checkpoint signed");
    }
}
