//! Tiles read from the store for proof computation. The ledger crate's
//! tree code is synchronous, so proofs run on a blocking thread that reads
//! tiles through the async store. A tile at a given width never changes, so
//! every tile read is kept with its interior nodes hashed: a proof then
//! costs lookups, not hashing.

use preflight_ledger::tiles::{TILE_WIDTH, decode_tile};
use preflight_ledger::{Hash, LedgerError, TileNodes, TileReader};
use preflight_store::Store;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::runtime::Handle;

/// Tiles kept in memory with their nodes, at most this many (a full one is
/// 16 KiB: about 64 MiB).
const CACHE_LIMIT: usize = 4096;

/// Full tiles by `(level, index)`.
type TileMap = HashMap<(u8, u64), Arc<Vec<Hash>>>;

/// Tiles with their nodes by `(level, index, width)`.
type NodeMap = HashMap<(u8, u64, u16), Arc<TileNodes>>;

/// Tiles already read, shared by the integrator and the proof routes: full
/// tiles' hashes, and every tile's nodes at the widths proofs asked for.
#[derive(Clone, Debug, Default)]
pub struct FullTileCache(Arc<Mutex<TileMap>>, Arc<Mutex<NodeMap>>);

/// Reads tiles from the store, blocking the calling (blocking-pool) thread.
#[derive(Debug)]
pub(crate) struct StoreTiles {
    store: Store,
    handle: Handle,
    cache: FullTileCache,
    /// Tiles written by an integration step not yet committed.
    overlay: HashMap<(u8, u64), Vec<Hash>>,
}

impl StoreTiles {
    pub(crate) fn overlay(&mut self, tiles: &[preflight_ledger::tiles::Tile]) {
        for tile in tiles {
            self.overlay
                .insert((tile.level, tile.index), tile.hashes.clone());
        }
    }
}

impl TileReader for StoreTiles {
    fn tile(&self, level: u8, index: u64, width: u16) -> Result<Vec<Hash>, LedgerError> {
        if let Some(hashes) = self.overlay.get(&(level, index))
            && hashes.len() >= usize::from(width)
        {
            return Ok(hashes.clone());
        }
        if let Some(hit) = self
            .cache
            .0
            .lock()
            .ok()
            .and_then(|c| c.get(&(level, index)).cloned())
        {
            return Ok(hit.as_ref().clone());
        }
        let bytes = self
            .handle
            .block_on(self.store.ledger_tile(level, index, width))
            .map_err(|e| LedgerError::TileUnavailable {
                level,
                index,
                width,
                reason: e.to_string(),
            })?
            .ok_or_else(|| LedgerError::TileUnavailable {
                level,
                index,
                width,
                reason: "not stored".into(),
            })?;
        let hashes = decode_tile(&bytes)?;
        if hashes.len() == usize::from(TILE_WIDTH)
            && let Ok(mut cache) = self.cache.0.lock()
        {
            if cache.len() >= CACHE_LIMIT {
                cache.clear();
            }
            cache.insert((level, index), Arc::new(hashes.clone()));
        }
        Ok(hashes)
    }

    fn tile_nodes(
        &self,
        level: u8,
        index: u64,
        width: u16,
    ) -> Result<Option<Arc<TileNodes>>, LedgerError> {
        // Tiles of an integration not yet committed are not kept.
        if self.overlay.contains_key(&(level, index)) {
            return Ok(None);
        }
        let key = (level, index, width);
        if let Some(hit) = self.cache.1.lock().ok().and_then(|c| c.get(&key).cloned()) {
            return Ok(Some(hit));
        }
        let mut hashes = self.tile(level, index, width)?;
        hashes.truncate(usize::from(width));
        let nodes = Arc::new(TileNodes::new(hashes));
        if let Ok(mut cache) = self.cache.1.lock() {
            if cache.len() >= CACHE_LIMIT {
                cache.clear();
            }
            cache.insert(key, nodes.clone());
        }
        Ok(Some(nodes))
    }
}

/// Runs `work` with a tile reader on a blocking thread.
pub(crate) async fn with_tiles<T: Send + 'static>(
    store: &Store,
    cache: &FullTileCache,
    work: impl FnOnce(&mut StoreTiles) -> T + Send + 'static,
) -> Result<T, tokio::task::JoinError> {
    let mut tiles = StoreTiles {
        store: store.clone(),
        handle: Handle::current(),
        cache: cache.clone(),
        overlay: HashMap::new(),
    };
    tokio::task::spawn_blocking(move || work(&mut tiles)).await
}
