//! Tiles read from the store for proof computation. The ledger crate's
//! tree code is synchronous, so proofs run on a blocking thread that reads
//! tiles through the async store. A tile never changes below the width it
//! has (a wider version only adds hashes), so the widest version of each
//! tile read or integrated is kept, and every tile's interior nodes are kept
//! hashed at the widths proofs asked for: a proof then costs lookups, not
//! hashing or reads.

use preflight_ledger::tiles::decode_tile;
use preflight_ledger::{Hash, LedgerError, TileNodes, TileReader};
use preflight_store::Store;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::runtime::Handle;

/// Tiles kept in memory with their nodes, at most this many (a full one is
/// 16 KiB: about 64 MiB).
const CACHE_LIMIT: usize = 4096;

/// The widest version seen of each tile, by `(level, index)`.
type TileMap = HashMap<(u8, u64), Arc<Vec<Hash>>>;

/// The widest version seen of each tile with its nodes, by `(level, index)`.
type NodeMap = HashMap<(u8, u64), Arc<TileNodes>>;

/// Tiles already read or integrated, shared by the integrator and the proof
/// routes: each tile's widest hashes, the nodes of the widest version a
/// proof asked for, and the integrated size last seen.
#[derive(Clone, Debug, Default)]
pub struct TileCache(
    Arc<Mutex<TileMap>>,
    Arc<Mutex<NodeMap>>,
    Arc<std::sync::atomic::AtomicU64>,
);

impl TileCache {
    /// Keeps `hashes` as tile `(level, index)` unless a wider version is kept.
    pub(crate) fn keep(&self, level: u8, index: u64, hashes: &[Hash]) {
        let Ok(mut cache) = self.0.lock() else { return };
        if cache
            .get(&(level, index))
            .is_some_and(|kept| kept.len() >= hashes.len())
        {
            return;
        }
        if cache.len() >= CACHE_LIMIT {
            cache.clear();
        }
        cache.insert((level, index), Arc::new(hashes.to_vec()));
    }

    /// The integrated size last seen (0 before any).
    pub(crate) fn integrated(&self) -> u64 {
        self.2.load(std::sync::atomic::Ordering::Acquire)
    }

    /// Records an integrated size read or committed; sizes only grow.
    pub(crate) fn saw_integrated(&self, size: u64) {
        self.2.fetch_max(size, std::sync::atomic::Ordering::AcqRel);
    }
}

/// Reads tiles from the store, blocking the calling (blocking-pool) thread.
#[derive(Debug)]
pub(crate) struct StoreTiles {
    store: Store,
    handle: Handle,
    cache: TileCache,
    /// Tiles written by an integration step not yet committed.
    overlay: HashMap<(u8, u64), Vec<Hash>>,
    /// Reads only the cache, on an async worker: a miss is noted and fails.
    cached_only: bool,
    missed: std::sync::atomic::AtomicBool,
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
            .filter(|kept| kept.len() >= usize::from(width))
        {
            return Ok(hit.as_ref().clone());
        }
        if self.cached_only {
            self.missed
                .store(true, std::sync::atomic::Ordering::Relaxed);
            return Err(LedgerError::TileUnavailable {
                level,
                index,
                width,
                reason: "not cached".into(),
            });
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
        self.cache.keep(level, index, &hashes);
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
        // A complete node is the same in every version of the tile that
        // holds it, so a wider version answers for a narrower one.
        let key = (level, index);
        if let Some(hit) = self
            .cache
            .1
            .lock()
            .ok()
            .and_then(|c| c.get(&key).cloned())
            .filter(|kept| kept.width() >= usize::from(width))
        {
            return Ok(Some(hit));
        }
        let nodes = Arc::new(TileNodes::new(self.tile(level, index, width)?));
        if let Ok(mut cache) = self.cache.1.lock() {
            if cache.len() >= CACHE_LIMIT {
                cache.clear();
            }
            if cache
                .get(&key)
                .is_none_or(|kept| kept.width() < nodes.width())
            {
                cache.insert(key, nodes.clone());
            }
        }
        Ok(Some(nodes))
    }
}

/// Runs `work` with a tile reader on a blocking thread.
pub(crate) async fn with_tiles<T: Send + 'static>(
    store: &Store,
    cache: &TileCache,
    work: impl FnOnce(&mut StoreTiles) -> T + Send + 'static,
) -> Result<T, tokio::task::JoinError> {
    let mut tiles = StoreTiles::new(store, cache, false);
    tokio::task::spawn_blocking(move || work(&mut tiles)).await
}

/// Runs `work` here when every tile it needs is cached (a proof on warm
/// tiles costs tens of microseconds, less than a hand-off to another
/// thread); otherwise again on a blocking thread that reads the store.
pub(crate) async fn with_cached_tiles<T: Send + 'static>(
    store: &Store,
    cache: &TileCache,
    work: impl Fn(&mut StoreTiles) -> T + Send + 'static,
) -> Result<T, tokio::task::JoinError> {
    let mut cached = StoreTiles::new(store, cache, true);
    let done = work(&mut cached);
    if !cached.missed.load(std::sync::atomic::Ordering::Relaxed) {
        return Ok(done);
    }
    with_tiles(store, cache, work).await
}

impl StoreTiles {
    fn new(store: &Store, cache: &TileCache, cached_only: bool) -> Self {
        Self {
            store: store.clone(),
            handle: Handle::current(),
            cache: cache.clone(),
            overlay: HashMap::new(),
            cached_only,
            missed: std::sync::atomic::AtomicBool::new(false),
        }
    }
}
