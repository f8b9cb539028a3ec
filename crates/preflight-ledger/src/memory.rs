//! An in-memory tiled log for tests: entries go through the same
//! [`crate::tiles::append`] a real store uses, and roots and proofs are read
//! back from the tiles alone.

use std::collections::HashMap;

use crate::LedgerError;
use crate::hash::Hash;
use crate::tiles::{self, Appended, TileReader, TileSource};

/// A log held in memory as tiles and entry bundles. Each tile is kept at
/// its latest width, which serves every narrower (older) width too.
#[derive(Debug, Default, Clone)]
pub struct MemoryLog {
    size: u64,
    tiles: HashMap<(u8, u64), Vec<Hash>>,
    bundles: HashMap<u64, Vec<Vec<u8>>>,
}

impl MemoryLog {
    pub fn new() -> Self {
        Self::default()
    }

    /// The number of entries.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Appends entries; returns what was written.
    pub fn append<E: AsRef<[u8]>>(&mut self, entries: &[E]) -> Result<Appended, LedgerError> {
        let partial = self
            .bundles
            .get(&(self.size / 256))
            .cloned()
            .unwrap_or_default();
        // At a multiple of 256 there is no such bundle yet: nothing partial.
        let appended = tiles::append(self.size, entries, &partial, self)?;
        for tile in &appended.tiles {
            self.tiles
                .insert((tile.level, tile.index), tile.hashes.clone());
        }
        for bundle in &appended.bundles {
            self.bundles.insert(bundle.index, bundle.entries.clone());
        }
        self.size = appended.new_size;
        Ok(appended)
    }

    /// Entry `index`, if the log has it.
    pub fn entry(&self, index: u64) -> Option<&[u8]> {
        if index >= self.size {
            return None;
        }
        let bundle = self.bundles.get(&(index / 256))?;
        bundle.get((index % 256) as usize).map(Vec::as_slice)
    }

    /// A node source over the tiles of the tree of `size` entries.
    pub fn source(&self, size: u64) -> TileSource<'_, Self> {
        TileSource::new(self, size)
    }

    pub fn root(&self, size: u64) -> Result<Hash, LedgerError> {
        self.check_size(size)?;
        self.source(size).root()
    }

    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, LedgerError> {
        self.check_size(size)?;
        self.source(size).inclusion_proof(index)
    }

    pub fn consistency_proof(&self, size1: u64, size2: u64) -> Result<Vec<Hash>, LedgerError> {
        self.check_size(size2)?;
        self.source(size2).consistency_proof(size1)
    }

    fn check_size(&self, size: u64) -> Result<(), LedgerError> {
        if size > self.size {
            return Err(LedgerError::SizesOutOfOrder {
                size1: size,
                size2: self.size,
            });
        }
        Ok(())
    }
}

impl TileReader for MemoryLog {
    fn tile(&self, level: u8, index: u64, width: u16) -> Result<Vec<Hash>, LedgerError> {
        let unavailable = |reason: &str| LedgerError::TileUnavailable {
            level,
            index,
            width,
            reason: reason.to_owned(),
        };
        let hashes = self
            .tiles
            .get(&(level, index))
            .ok_or_else(|| unavailable("not written"))?;
        let width = usize::from(width);
        if hashes.len() < width {
            return Err(unavailable("written narrower"));
        }
        Ok(hashes[..width].to_vec())
    }
}
