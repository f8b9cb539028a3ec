//! C2SP tlog-tiles: the tree stored as tiles of 256 hashes, tile paths, the
//! tiles an append must (re)write, entry bundles, and a [`NodeSource`] that
//! answers from tiles alone.
//!
//! Tile `n` at tile level `l` holds the hashes of tree nodes at level `8 * l`
//! with indexes `n * 256 ..`, 256 of them when full, fewer (1 to 255) when it
//! is the partial tile on the right edge. A tree node at level `8 * l + k`
//! is recomputed from `2^k` consecutive hashes of a tile at level `l`.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use crate::LedgerError;
use crate::hash::{HASH_SIZE, Hash, leaf_hash, node_hash};
use crate::tree::{self, NodeSource, root_from_hashes};

/// Tree levels per tile level.
pub const TILE_HEIGHT: u8 = 8;
/// Hashes in a full tile, and entries in a full bundle.
pub const TILE_WIDTH: u16 = 256;
/// The highest tile level a path may name.
pub const MAX_TILE_LEVEL: u8 = 63;

const FULL: usize = TILE_WIDTH as usize;

/// Reads stored tiles.
pub trait TileReader {
    /// The first `width` hashes (1 to 256) of tile `index` at tile level
    /// `level`. Since tiles only grow, an implementation may return more (a
    /// wider partial tile or the full tile); it must not return fewer.
    fn tile(&self, level: u8, index: u64, width: u16) -> Result<Vec<Hash>, LedgerError>;

    /// The same tile at `width` or wider with every complete node inside it
    /// already hashed, when the reader keeps such a thing (a cache). A
    /// complete node is the same in every version of a tile that holds it,
    /// so this may be kept forever and answer for any narrower width. `None`
    /// makes [`TileSource`] hash the nodes it needs from [`TileReader::tile`].
    fn tile_nodes(
        &self,
        _level: u8,
        _index: u64,
        _width: u16,
    ) -> Result<Option<Arc<TileNodes>>, LedgerError> {
        Ok(None)
    }
}

impl<T: TileReader + ?Sized> TileReader for &T {
    fn tile(&self, level: u8, index: u64, width: u16) -> Result<Vec<Hash>, LedgerError> {
        (**self).tile(level, index, width)
    }

    fn tile_nodes(
        &self,
        level: u8,
        index: u64,
        width: u16,
    ) -> Result<Option<Arc<TileNodes>>, LedgerError> {
        (**self).tile_nodes(level, index, width)
    }
}

/// Every complete node of a tile at one width: `heights[h]` holds the nodes
/// of height `h` inside the tile, left to right (height 0: the tile's own
/// hashes). 511 hashes for a full tile, computed once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TileNodes {
    heights: Vec<Vec<Hash>>,
}

impl TileNodes {
    /// The nodes of the tile whose hashes are `hashes` (its width).
    pub fn new(hashes: Vec<Hash>) -> Self {
        let mut heights = vec![hashes];
        while let Some(last) = heights.last()
            && last.len() >= 2
        {
            let next = last
                .chunks_exact(2)
                .map(|pair| node_hash(&pair[0], &pair[1]))
                .collect();
            heights.push(next);
        }
        Self { heights }
    }

    /// The tile's width.
    pub fn width(&self) -> usize {
        self.heights[0].len()
    }

    /// The tile's hashes.
    pub fn hashes(&self) -> &[Hash] {
        &self.heights[0]
    }

    /// The complete node of height `height` at `index` inside the tile.
    pub fn node(&self, height: u8, index: usize) -> Option<Hash> {
        self.heights
            .get(usize::from(height))
            .and_then(|row| row.get(index))
            .copied()
    }
}

/// A tile of hashes: `hashes.len()` is its width, 256 when full.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tile {
    pub level: u8,
    pub index: u64,
    pub hashes: Vec<Hash>,
}

impl Tile {
    pub fn width(&self) -> u16 {
        self.hashes.len() as u16
    }

    pub fn is_full(&self) -> bool {
        self.hashes.len() == FULL
    }

    /// Its path, `tile/<L>/<N>[.p/<W>]`.
    pub fn path(&self) -> String {
        format_path(&self.level.to_string(), self.index, self.partial_width())
    }

    /// The bytes served for it: the hashes concatenated.
    pub fn encode(&self) -> Vec<u8> {
        encode_tile(&self.hashes)
    }

    fn partial_width(&self) -> Option<u16> {
        (!self.is_full()).then(|| self.width())
    }
}

/// An entry bundle: the log entries of one level-0 tile, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryBundle {
    pub index: u64,
    pub entries: Vec<Vec<u8>>,
}

impl EntryBundle {
    pub fn width(&self) -> u16 {
        self.entries.len() as u16
    }

    pub fn is_full(&self) -> bool {
        self.entries.len() == FULL
    }

    /// Its path, `tile/entries/<N>[.p/<W>]`.
    pub fn path(&self) -> String {
        let width = (!self.is_full()).then(|| self.width());
        format_path("entries", self.index, width)
    }

    /// The bytes served for it: each entry with a big-endian u16 length.
    pub fn encode(&self) -> Result<Vec<u8>, LedgerError> {
        encode_entry_bundle(&self.entries)
    }
}

/// What one append must write: every new or grown tile at every tile level
/// and every new or grown entry bundle. Writing all of them (partial tiles
/// under their own paths, so older checkpoints stay servable) is enough to
/// serve roots and proofs for `new_size` from tiles alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appended {
    pub old_size: u64,
    pub new_size: u64,
    pub tiles: Vec<Tile>,
    pub bundles: Vec<EntryBundle>,
}

/// Appends `entries` to a log of `old_size` entries. `partial_bundle` holds
/// the entries of the current partial bundle (`old_size % 256` of them);
/// `reader` gives the current partial tiles.
pub fn append<E: AsRef<[u8]>>(
    old_size: u64,
    entries: &[E],
    partial_bundle: &[Vec<u8>],
    reader: &impl TileReader,
) -> Result<Appended, LedgerError> {
    let leaves: Vec<Hash> = entries.iter().map(|e| leaf_hash(e.as_ref())).collect();
    let bundles = append_bundles(old_size, partial_bundle, entries)?;
    let tiles = append_tiles(old_size, &leaves, reader)?;
    let new_size = old_size + leaves.len() as u64;
    Ok(Appended {
        old_size,
        new_size,
        tiles,
        bundles,
    })
}

/// The tiles to write when `leaves` (leaf hashes) are appended to a tree of
/// `old_size` leaves, lowest level first: at each tile level, the partial
/// tile the tree ended in, grown, and every tile after it; full tiles made
/// by this append put their root one tile level up.
pub fn append_tiles(
    old_size: u64,
    leaves: &[Hash],
    reader: &impl TileReader,
) -> Result<Vec<Tile>, LedgerError> {
    let new_size = u128::from(old_size) + leaves.len() as u128;
    if new_size > u128::from(u64::MAX) {
        return Err(LedgerError::SizeOverflow { size: new_size });
    }
    let mut tiles = Vec::new();
    let mut added = leaves.to_vec();
    let mut old_count = old_size;
    let mut level = 0u8;
    while !added.is_empty() {
        let first_tile = old_count / FULL as u64;
        let old_width = (old_count % FULL as u64) as usize;
        let mut hashes = if old_width > 0 {
            let mut existing = reader.tile(level, first_tile, old_width as u16)?;
            if existing.len() < old_width {
                return Err(LedgerError::TileTooShort {
                    level,
                    index: first_tile,
                    got: existing.len(),
                    want: old_width,
                });
            }
            existing.truncate(old_width);
            existing
        } else {
            Vec::new()
        };
        hashes.extend_from_slice(&added);
        let mut completed = Vec::new();
        for (offset, chunk) in hashes.chunks(FULL).enumerate() {
            if chunk.len() == FULL {
                completed.push(root_from_hashes(chunk));
            }
            tiles.push(Tile {
                level,
                index: first_tile + offset as u64,
                hashes: chunk.to_vec(),
            });
        }
        added = completed;
        old_count /= FULL as u64;
        level += 1;
    }
    Ok(tiles)
}

/// The entry bundles to write when `entries` are appended to a log of
/// `old_size` entries whose current partial bundle holds `partial`.
pub fn append_bundles<E: AsRef<[u8]>>(
    old_size: u64,
    partial: &[Vec<u8>],
    entries: &[E],
) -> Result<Vec<EntryBundle>, LedgerError> {
    let want = (old_size % FULL as u64) as usize;
    if partial.len() != want {
        return Err(LedgerError::PartialBundleMismatch {
            size: old_size,
            got: partial.len(),
            want,
        });
    }
    for (i, entry) in entries.iter().enumerate() {
        let len = entry.as_ref().len();
        if len > usize::from(u16::MAX) {
            return Err(LedgerError::EntryTooLong {
                index: old_size + i as u64,
                len,
            });
        }
    }
    if entries.is_empty() {
        return Ok(Vec::new());
    }
    let first = old_size / FULL as u64;
    let all: Vec<Vec<u8>> = partial
        .iter()
        .cloned()
        .chain(entries.iter().map(|e| e.as_ref().to_vec()))
        .collect();
    Ok(all
        .chunks(FULL)
        .enumerate()
        .map(|(offset, chunk)| EntryBundle {
            index: first + offset as u64,
            entries: chunk.to_vec(),
        })
        .collect())
}

/// The hashes concatenated, as a tile is served.
pub fn encode_tile(hashes: &[Hash]) -> Vec<u8> {
    hashes.concat()
}

/// Parses served tile bytes: 1 to 256 hashes of 32 bytes.
pub fn decode_tile(bytes: &[u8]) -> Result<Vec<Hash>, LedgerError> {
    let invalid = |reason: &str| LedgerError::InvalidTileData {
        len: bytes.len(),
        reason: reason.to_owned(),
    };
    let chunks = bytes.chunks_exact(HASH_SIZE);
    if bytes.is_empty() || !chunks.remainder().is_empty() {
        return Err(invalid("not a positive multiple of 32"));
    }
    if bytes.len() > FULL * HASH_SIZE {
        return Err(invalid("more than 256 hashes"));
    }
    Ok(chunks
        .map(|c| {
            let mut h = [0u8; HASH_SIZE];
            h.copy_from_slice(c);
            h
        })
        .collect())
}

/// Encodes entries as a bundle: each as a big-endian u16 length, then the
/// bytes.
pub fn encode_entry_bundle<E: AsRef<[u8]>>(entries: &[E]) -> Result<Vec<u8>, LedgerError> {
    let mut out = Vec::new();
    for (i, entry) in entries.iter().enumerate() {
        let entry = entry.as_ref();
        let len = u16::try_from(entry.len()).map_err(|_| LedgerError::EntryTooLong {
            index: i as u64,
            len: entry.len(),
        })?;
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(entry);
    }
    Ok(out)
}

/// Parses a bundle back into its entries.
pub fn decode_entry_bundle(bytes: &[u8]) -> Result<Vec<Vec<u8>>, LedgerError> {
    let mut entries = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        let (len, tail) = match rest {
            [hi, lo, tail @ ..] => (usize::from(u16::from_be_bytes([*hi, *lo])), tail),
            _ => {
                return Err(LedgerError::InvalidEntryBundle {
                    reason: format!("truncated length prefix of entry {}", entries.len()),
                });
            }
        };
        if tail.len() < len {
            return Err(LedgerError::InvalidEntryBundle {
                reason: format!(
                    "entry {} claims {len} bytes but only {} remain",
                    entries.len(),
                    tail.len()
                ),
            });
        }
        entries.push(tail[..len].to_vec());
        rest = &tail[len..];
        if entries.len() > FULL {
            return Err(LedgerError::InvalidEntryBundle {
                reason: "more than 256 entries".to_owned(),
            });
        }
    }
    Ok(entries)
}

/// The path of a hash tile, `tile/<L>/<N>[.p/<W>]`; `width` is `None` for a
/// full tile and 1 to 255 for a partial one.
pub fn tile_path(level: u8, index: u64, width: Option<u16>) -> Result<String, LedgerError> {
    if level > MAX_TILE_LEVEL {
        return Err(LedgerError::InvalidTileLevel { level });
    }
    check_width(width)?;
    Ok(format_path(&level.to_string(), index, width))
}

/// The path of an entry bundle, `tile/entries/<N>[.p/<W>]`.
pub fn entries_path(index: u64, width: Option<u16>) -> Result<String, LedgerError> {
    check_width(width)?;
    Ok(format_path("entries", index, width))
}

fn check_width(width: Option<u16>) -> Result<(), LedgerError> {
    match width {
        Some(w) if w == 0 || w >= TILE_WIDTH => Err(LedgerError::InvalidTileWidth { width: w }),
        _ => Ok(()),
    }
}

fn format_path(level: &str, index: u64, width: Option<u16>) -> String {
    let mut path = format!("tile/{level}/{}", encode_index(index));
    if let Some(w) = width {
        path.push_str(&format!(".p/{w}"));
    }
    path
}

/// `N` in 3-digit groups, all but the last prefixed with `x`:
/// 1234067 is `x001/x234/067`.
fn encode_index(index: u64) -> String {
    let mut groups = Vec::new();
    let mut n = index;
    loop {
        groups.push(n % 1000);
        n /= 1000;
        if n == 0 {
            break;
        }
    }
    let last = groups.len() - 1;
    groups
        .iter()
        .rev()
        .enumerate()
        .map(|(i, g)| {
            if i < last {
                format!("x{g:03}")
            } else {
                format!("{g:03}")
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// What a tile path names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TilePath {
    /// A tile of hashes; `width` is `None` when full.
    Hashes {
        level: u8,
        index: u64,
        width: Option<u16>,
    },
    /// An entry bundle; `width` is `None` when full.
    Entries { index: u64, width: Option<u16> },
}

impl TilePath {
    /// Parses `tile/<L>/<N>[.p/<W>]` or `tile/entries/<N>[.p/<W>]` (relative
    /// to the log prefix, no leading slash). Only the canonical spelling is
    /// accepted, so each resource has one path.
    pub fn parse(path: &str) -> Result<Self, LedgerError> {
        let invalid = |reason: String| LedgerError::InvalidTilePath {
            path: path.to_owned(),
            reason,
        };
        let rest = path
            .strip_prefix("tile/")
            .ok_or_else(|| invalid("does not start with \"tile/\"".to_owned()))?;
        let (kind, rest) = rest
            .split_once('/')
            .ok_or_else(|| invalid("no tile index".to_owned()))?;
        let (index_part, width) = match rest.split_once(".p/") {
            Some((index_part, w)) => (index_part, Some(parse_width(w).map_err(invalid)?)),
            None => (rest, None),
        };
        let index = parse_index(index_part).map_err(invalid)?;
        if kind == "entries" {
            return Ok(Self::Entries { index, width });
        }
        let level = parse_level(kind).map_err(invalid)?;
        Ok(Self::Hashes {
            level,
            index,
            width,
        })
    }

    /// The canonical path; `parse` of it gives back `self`.
    pub fn path(&self) -> String {
        match *self {
            Self::Hashes {
                level,
                index,
                width,
            } => format_path(&level.to_string(), index, width),
            Self::Entries { index, width } => format_path("entries", index, width),
        }
    }
}

impl fmt::Display for TilePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.path())
    }
}

fn parse_decimal(text: &str, what: &str) -> Result<u64, String> {
    let canonical = !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'));
    if !canonical {
        return Err(format!(
            "{what} {text:?} is not a decimal without leading zeroes"
        ));
    }
    text.parse()
        .map_err(|_| format!("{what} {text:?} is too large"))
}

fn parse_level(text: &str) -> Result<u8, String> {
    let level = parse_decimal(text, "level")?;
    if level > u64::from(MAX_TILE_LEVEL) {
        return Err(format!("level {level} is above {MAX_TILE_LEVEL}"));
    }
    Ok(level as u8)
}

fn parse_width(text: &str) -> Result<u16, String> {
    let width = parse_decimal(text, "width")?;
    if width == 0 || width >= u64::from(TILE_WIDTH) {
        return Err(format!("partial width {width} is not between 1 and 255"));
    }
    Ok(width as u16)
}

fn parse_index(text: &str) -> Result<u64, String> {
    let groups: Vec<&str> = text.split('/').collect();
    let last = groups.len() - 1;
    let mut index: u64 = 0;
    for (i, group) in groups.iter().enumerate() {
        let digits = if i < last {
            group
                .strip_prefix('x')
                .ok_or_else(|| format!("index element {group:?} lacks the 'x'"))?
        } else {
            group
        };
        if digits.len() != 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("index element {group:?} is not 3 digits"));
        }
        let value: u64 = digits
            .parse()
            .map_err(|_| format!("index element {group:?}"))?;
        index = index
            .checked_mul(1000)
            .and_then(|n| n.checked_add(value))
            .ok_or_else(|| format!("index {text:?} is too large"))?;
    }
    if encode_index(index) != text {
        return Err(format!("index {text:?} is not in canonical form"));
    }
    Ok(index)
}

/// A [`NodeSource`] reading the tiles of the tree of `size` leaves: each
/// node is recomputed from the tile below it, and each tile is read once
/// (it keeps the tiles it read, so make one per request; it is not `Sync`).
/// Use it only for trees of at most `size` leaves: the tile widths it asks
/// for are those of that size.
pub struct TileSource<'a, R: TileReader + ?Sized> {
    reader: &'a R,
    size: u64,
    cache: RefCell<HashMap<(u8, u64), Vec<Hash>>>,
}

impl<'a, R: TileReader + ?Sized> TileSource<'a, R> {
    pub fn new(reader: &'a R, size: u64) -> Self {
        Self {
            reader,
            size,
            cache: RefCell::new(HashMap::new()),
        }
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// The root of the tree of `self.size()` leaves.
    pub fn root(&self) -> Result<Hash, LedgerError> {
        tree::root(self.size, self)
    }

    /// The inclusion proof of leaf `index` in the tree of `self.size()`.
    pub fn inclusion_proof(&self, index: u64) -> Result<Vec<Hash>, LedgerError> {
        tree::inclusion_proof(index, self.size, self)
    }

    /// The consistency proof from the tree of `size1` leaves to this one.
    pub fn consistency_proof(&self, size1: u64) -> Result<Vec<Hash>, LedgerError> {
        tree::consistency_proof(size1, self.size, self)
    }

    /// The width tile `(level, index)` has in the tree of `self.size` leaves.
    fn width(&self, level: u8, index: u64) -> u16 {
        let count = u128::from(self.size) >> (u32::from(level) * u32::from(TILE_HEIGHT));
        let start = u128::from(index) * FULL as u128;
        count.saturating_sub(start).min(FULL as u128) as u16
    }
}

impl<R: TileReader + ?Sized> fmt::Debug for TileSource<'_, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TileSource")
            .field("size", &self.size)
            .field("cached_tiles", &self.cache.borrow().len())
            .finish_non_exhaustive()
    }
}

impl<R: TileReader + ?Sized> NodeSource for TileSource<'_, R> {
    fn node(&self, level: u8, index: u64) -> Result<Hash, LedgerError> {
        if level >= 64 || (u128::from(index) + 1) << level > u128::from(self.size) {
            return Err(LedgerError::NodeNotInTree {
                level,
                index,
                size: self.size,
            });
        }
        let tile_level = level / TILE_HEIGHT;
        let k = level % TILE_HEIGHT;
        let first = u128::from(index) << k;
        let tile_index = (first / FULL as u128) as u64;
        let offset = (first % FULL as u128) as usize;
        let count = 1usize << k;
        let width = self.width(tile_level, tile_index);

        if let Some(nodes) = self.reader.tile_nodes(tile_level, tile_index, width)? {
            return nodes.node(k, offset >> k).ok_or(LedgerError::TileTooShort {
                level: tile_level,
                index: tile_index,
                got: nodes.width(),
                want: offset + count,
            });
        }
        let mut cache = self.cache.borrow_mut();
        let hashes = match cache.entry((tile_level, tile_index)) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(self.reader.tile(tile_level, tile_index, width)?)
            }
        };
        let want = offset + count;
        if hashes.len() < want {
            return Err(LedgerError::TileTooShort {
                level: tile_level,
                index: tile_index,
                got: hashes.len(),
                want,
            });
        }
        Ok(root_from_hashes(&hashes[offset..want]))
    }
}
