//! Proofs as the routes serve them: the root of the requested tree and the
//! proof path, computed from cached tiles where they are warm.

use super::reader::{TileCache, with_cached_tiles};
use preflight_ledger::{Hash, LedgerError, TileSource};
use preflight_store::Store;

/// Why a proof could not be computed.
#[derive(Debug, thiserror::Error)]
pub enum ProofError {
    #[error("ledger: {0}")]
    Ledger(#[from] LedgerError),
    #[error("proof task: {0}")]
    Task(#[from] tokio::task::JoinError),
}

/// The root of the tree of `size` entries and the inclusion proof of
/// entry `index` in it. `size` must be covered by a checkpoint.
pub async fn inclusion_proof(
    store: &Store,
    cache: &TileCache,
    index: u64,
    size: u64,
) -> Result<(Hash, Vec<Hash>), ProofError> {
    Ok(with_cached_tiles(store, cache, move |reader| {
        let source = TileSource::new(&*reader, size);
        Ok::<_, LedgerError>((source.root()?, source.inclusion_proof(index)?))
    })
    .await??)
}

/// The root of the tree of `to` entries and the consistency proof from
/// the tree of `from` entries. `to` must be covered by a checkpoint.
pub async fn consistency_proof(
    store: &Store,
    cache: &TileCache,
    from: u64,
    to: u64,
) -> Result<(Hash, Vec<Hash>), ProofError> {
    Ok(with_cached_tiles(store, cache, move |reader| {
        let source = TileSource::new(&*reader, to);
        Ok::<_, LedgerError>((source.root()?, source.consistency_proof(from)?))
    })
    .await??)
}
