//! C2SP tlog-tiles: paths, tile geometry after appends, entry bundles, and
//! how many tiles a proof reads.

use std::cell::Cell;
use std::collections::BTreeMap;

use preflight_ledger::tiles::{
    self, EntryBundle, Tile, TilePath, decode_entry_bundle, decode_tile, encode_entry_bundle,
    encode_tile, entries_path, tile_path,
};
use preflight_ledger::{
    Hash, LedgerError, MemoryLog, TileNodes, TileReader, TileSource, leaf_hash, tree,
};
use rand::Rng;

use crate::support::{self, entries, leaf_hashes, mth};

fn check_path(path: &str, expect: TilePath) {
    assert_eq!(TilePath::parse(path).unwrap(), expect, "{path}");
    assert_eq!(expect.path(), path);
}

#[test]
fn tile_paths_follow_the_spec_examples() {
    assert_eq!(
        tile_path(0, 1_234_067, None).unwrap(),
        "tile/0/x001/x234/067"
    );
    assert_eq!(
        entries_path(1_234_067, None).unwrap(),
        "tile/entries/x001/x234/067"
    );
    assert_eq!(tile_path(1, 1, Some(17)).unwrap(), "tile/1/001.p/17");
    assert_eq!(tile_path(63, 0, Some(1)).unwrap(), "tile/63/000.p/1");
    assert_eq!(
        entries_path(273, Some(112)).unwrap(),
        "tile/entries/273.p/112"
    );
    assert_eq!(tile_path(0, 1000, None).unwrap(), "tile/0/x001/000");
    assert_eq!(
        tile_path(2, u64::MAX, None).unwrap(),
        "tile/2/x018/x446/x744/x073/x709/x551/615"
    );

    check_path(
        "tile/0/x001/x234/067",
        TilePath::Hashes {
            level: 0,
            index: 1_234_067,
            width: None,
        },
    );
    check_path(
        "tile/3/000.p/255",
        TilePath::Hashes {
            level: 3,
            index: 0,
            width: Some(255),
        },
    );
    check_path(
        "tile/entries/x999/999",
        TilePath::Entries {
            index: 999_999,
            width: None,
        },
    );
    check_path(
        "tile/entries/042.p/7",
        TilePath::Entries {
            index: 42,
            width: Some(7),
        },
    );
}

#[test]
fn tile_paths_round_trip() {
    let mut rng = support::rng(10);
    for _ in 0..2000 {
        let index = match rng.gen_range(0..3) {
            0 => rng.gen_range(0..1000),
            1 => rng.gen_range(0..10_000_000),
            _ => rng.r#gen::<u64>(),
        };
        let width = rng.gen_bool(0.5).then(|| rng.gen_range(1..=255u16));
        let level = rng.gen_range(0..=63u8);
        let path = tile_path(level, index, width).unwrap();
        assert_eq!(
            TilePath::parse(&path).unwrap(),
            TilePath::Hashes {
                level,
                index,
                width
            }
        );
        let path = entries_path(index, width).unwrap();
        assert_eq!(
            TilePath::parse(&path).unwrap(),
            TilePath::Entries { index, width }
        );
    }
}

#[test]
fn malformed_tile_paths_are_refused_with_the_reason() {
    for (path, reason) in [
        ("tile/0/1234", "not 3 digits"),
        ("tile/0/x1234", "not 3 digits"),
        ("tile/0/001/x234", "lacks the 'x'"),
        ("tile/0/x000/001", "not in canonical form"),
        ("tile/00/000", "leading zeroes"),
        ("tile/64/000", "above 63"),
        ("tile/-1/000", "leading zeroes"),
        ("tile/0/000.p/0", "not between 1 and 255"),
        ("tile/0/000.p/256", "not between 1 and 255"),
        ("tile/0/000.p/010", "leading zeroes"),
        ("tile/0/000.p/5/6", "leading zeroes"),
        ("tile/0/000.p/", "leading zeroes"),
        ("tile/0/", "not 3 digits"),
        ("tile/0", "no tile index"),
        ("/tile/0/000", "does not start with"),
        ("tiles/0/000", "does not start with"),
        (
            "tile/entries/x018/x446/x744/x073/x709/x551/616",
            "too large",
        ),
        ("tile/0/x001/x234/067/", "lacks the 'x'"),
        ("tile/0/x001/x234", "not 3 digits"),
    ] {
        let err = TilePath::parse(path).unwrap_err();
        assert!(
            matches!(err, LedgerError::InvalidTilePath { .. }) && err.to_string().contains(reason),
            "{path}: {err}"
        );
    }
    assert_eq!(
        tile_path(64, 0, None),
        Err(LedgerError::InvalidTileLevel { level: 64 })
    );
    assert_eq!(
        tile_path(0, 0, Some(0)),
        Err(LedgerError::InvalidTileWidth { width: 0 })
    );
    assert_eq!(
        entries_path(0, Some(256)),
        Err(LedgerError::InvalidTileWidth { width: 256 })
    );
}

/// Every tile an append sequence wrote, by (level, index), at its last width.
fn written(batches: &[usize]) -> (MemoryLog, BTreeMap<(u8, u64), u16>) {
    let mut log = MemoryLog::new();
    let mut tiles = BTreeMap::new();
    let total: usize = batches.iter().sum();
    let all = entries(total);
    let mut start = 0;
    for &n in batches {
        let appended = log.append(&all[start..start + n]).unwrap();
        start += n;
        for tile in appended.tiles {
            tiles.insert((tile.level, tile.index), tile.width());
        }
    }
    (log, tiles)
}

#[test]
fn a_tree_of_70000_has_the_tiles_of_the_spec_example() {
    // "a tree of size 70,000 will be represented by 273 full level 0 tiles,
    // one partial level 0 tile of width 112, one full level 1 tile, one
    // partial level 1 tile of width 17, and one partial level 2 tile of
    // width 1"
    let mut rng = support::rng(11);
    let mut batches = Vec::new();
    let mut total = 0;
    while total < 70_000 {
        let n = rng.gen_range(1..=5000).min(70_000 - total);
        batches.push(n);
        total += n;
    }
    let (log, tiles) = written(&batches);
    let mut expect = BTreeMap::new();
    for i in 0..273 {
        expect.insert((0, i), 256);
    }
    expect.insert((0, 273), 112);
    expect.insert((1, 0), 256);
    expect.insert((1, 1), 17);
    expect.insert((2, 0), 1);
    assert_eq!(tiles, expect);

    let all = leaf_hashes(&entries(70_000));
    assert_eq!(log.root(70_000).unwrap(), mth(&all));
}

#[test]
fn a_tree_of_256_is_a_full_tile_and_a_partial_tile_of_width_1() {
    let (log, tiles) = written(&[256]);
    assert_eq!(tiles, BTreeMap::from([((0, 0), 256), ((1, 0), 1)]));
    // The level-1 hash is the root of the full level-0 tile.
    assert_eq!(
        log.tile(1, 0, 1).unwrap(),
        vec![mth(&leaf_hashes(&entries(256)))]
    );
}

#[test]
fn an_append_writes_only_the_tiles_it_changes() {
    let mut log = MemoryLog::new();
    let all = entries(1000);
    log.append(&all[..300]).unwrap();
    // 300 -> 520: level 0 tiles 1 (grown to full) and 2 (partial 8);
    // level 1 tile 0 grows from width 1 to 2.
    let appended = log.append(&all[300..520]).unwrap();
    let got: Vec<(u8, u64, u16)> = appended
        .tiles
        .iter()
        .map(|t| (t.level, t.index, t.width()))
        .collect();
    assert_eq!(got, vec![(0, 1, 256), (0, 2, 8), (1, 0, 2)]);
    let bundles: Vec<(u64, u16)> = appended
        .bundles
        .iter()
        .map(|b| (b.index, b.width()))
        .collect();
    assert_eq!(bundles, vec![(1, 256), (2, 8)]);
    assert_eq!(appended.tiles[1].path(), "tile/0/002.p/8");
    assert_eq!(appended.tiles[0].path(), "tile/0/001");
    assert_eq!(appended.bundles[1].path(), "tile/entries/002.p/8");
    // Appending nothing writes nothing.
    let appended = log.append::<Vec<u8>>(&[]).unwrap();
    assert!(appended.tiles.is_empty() && appended.bundles.is_empty());
}

#[test]
fn append_needs_the_current_partial_tile() {
    struct Empty;
    impl TileReader for Empty {
        fn tile(&self, level: u8, index: u64, width: u16) -> Result<Vec<Hash>, LedgerError> {
            Err(LedgerError::TileUnavailable {
                level,
                index,
                width,
                reason: "empty".into(),
            })
        }
    }
    let leaves = [leaf_hash(b"x")];
    assert!(tiles::append_tiles(0, &leaves, &Empty).is_ok());
    let err = tiles::append_tiles(5, &leaves, &Empty).unwrap_err();
    assert!(matches!(
        err,
        LedgerError::TileUnavailable {
            level: 0,
            index: 0,
            width: 5,
            ..
        }
    ));
    let err = tiles::append_bundles(5, &[b"a".to_vec()], &[b"b".to_vec()]).unwrap_err();
    assert_eq!(
        err,
        LedgerError::PartialBundleMismatch {
            size: 5,
            got: 1,
            want: 5
        }
    );
}

#[test]
fn entry_bundles_round_trip_with_u16_lengths() {
    let entries = vec![Vec::new(), b"a".to_vec(), vec![7u8; 300], vec![1u8; 65_535]];
    let bytes = encode_entry_bundle(&entries).unwrap();
    assert_eq!(&bytes[..5], &[0, 0, 0, 1, b'a']);
    assert_eq!(&bytes[5..7], &300u16.to_be_bytes());
    assert_eq!(decode_entry_bundle(&bytes).unwrap(), entries);

    assert!(matches!(
        encode_entry_bundle(&[vec![0u8; 65_536]]),
        Err(LedgerError::EntryTooLong {
            index: 0,
            len: 65_536
        })
    ));
    assert!(matches!(
        tiles::append_bundles(3, &[vec![], vec![], vec![]], &[vec![0u8; 70_000]]),
        Err(LedgerError::EntryTooLong {
            index: 3,
            len: 70_000
        })
    ));
    for bad in [&bytes[..bytes.len() - 1], &[0u8][..], &[0, 2, b'a'][..]] {
        assert!(matches!(
            decode_entry_bundle(bad),
            Err(LedgerError::InvalidEntryBundle { .. })
        ));
    }
    let bundle = EntryBundle {
        index: 0,
        entries: entries.clone(),
    };
    assert_eq!(bundle.encode().unwrap(), bytes);
}

#[test]
fn tiles_encode_as_concatenated_hashes() {
    let hashes: Vec<Hash> = (0..3u8).map(|i| leaf_hash(&[i])).collect();
    let tile = Tile {
        level: 0,
        index: 0,
        hashes: hashes.clone(),
    };
    let bytes = tile.encode();
    assert_eq!(bytes.len(), 96);
    assert_eq!(bytes, encode_tile(&hashes));
    assert_eq!(decode_tile(&bytes).unwrap(), hashes);
    for bad in [&bytes[..95], &[][..], &vec![0u8; 257 * 32][..]] {
        assert!(matches!(
            decode_tile(bad),
            Err(LedgerError::InvalidTileData { .. })
        ));
    }
}

#[test]
fn entries_are_served_from_bundles() {
    let all = entries(600);
    let mut log = MemoryLog::new();
    log.append(&all[..10]).unwrap();
    log.append(&all[10..]).unwrap();
    for (i, e) in all.iter().enumerate() {
        assert_eq!(log.entry(i as u64), Some(e.as_slice()));
    }
    assert_eq!(log.entry(600), None);
}

/// Counts the tiles a node source reads.
struct Counting<'a> {
    log: &'a MemoryLog,
    reads: Cell<usize>,
}

impl TileReader for Counting<'_> {
    fn tile(&self, level: u8, index: u64, width: u16) -> Result<Vec<Hash>, LedgerError> {
        self.reads.set(self.reads.get() + 1);
        self.log.tile(level, index, width)
    }
}

#[test]
fn proofs_read_a_few_tiles_per_tile_level() {
    let (log, _) = written(&[40_000, 30_000, 1]);
    let mut rng = support::rng(12);
    for _ in 0..20 {
        let size = rng.gen_range(2..=log.size());
        let index = rng.gen_range(0..size);
        let old = rng.gen_range(1..size);
        let counting = Counting {
            log: &log,
            reads: Cell::new(0),
        };
        let src = TileSource::new(&counting, size);
        tree::root(size, &src).unwrap();
        tree::inclusion_proof(index, size, &src).unwrap();
        tree::consistency_proof(old, size, &src).unwrap();
        // Three tile levels: at most the tile on the path and the partial
        // tile on the right edge at each, and the old size's edge tiles.
        assert!(
            counting.reads.get() <= 9,
            "{} tile reads",
            counting.reads.get()
        );
    }
}

/// A reader that keeps every tile's nodes, as a server's cache would.
struct WithNodes<'a> {
    log: &'a MemoryLog,
    kept: std::cell::RefCell<BTreeMap<(u8, u64, u16), std::sync::Arc<TileNodes>>>,
}

impl TileReader for WithNodes<'_> {
    fn tile(&self, level: u8, index: u64, width: u16) -> Result<Vec<Hash>, LedgerError> {
        self.log.tile(level, index, width)
    }

    fn tile_nodes(
        &self,
        level: u8,
        index: u64,
        width: u16,
    ) -> Result<Option<std::sync::Arc<TileNodes>>, LedgerError> {
        let mut kept = self.kept.borrow_mut();
        if let Some(nodes) = kept.get(&(level, index, width)) {
            return Ok(Some(nodes.clone()));
        }
        let mut hashes = self.log.tile(level, index, width)?;
        hashes.truncate(usize::from(width));
        let nodes = std::sync::Arc::new(TileNodes::new(hashes));
        kept.insert((level, index, width), nodes.clone());
        Ok(Some(nodes))
    }
}

/// A reader that answers every width with the tile's widest version in the
/// whole log, as a server's cache does once the log has grown.
struct WidestNodes<'a> {
    log: &'a MemoryLog,
}

impl TileReader for WidestNodes<'_> {
    fn tile(&self, level: u8, index: u64, width: u16) -> Result<Vec<Hash>, LedgerError> {
        self.log.tile(level, index, width)
    }

    fn tile_nodes(
        &self,
        level: u8,
        index: u64,
        width: u16,
    ) -> Result<Option<std::sync::Arc<TileNodes>>, LedgerError> {
        let at_level = self.log.size() >> (8 * u32::from(level));
        let widest = at_level.saturating_sub(index * 256).min(256) as u16;
        assert!(widest >= width, "asked for a width the log does not have");
        let mut hashes = self.log.tile(level, index, widest)?;
        hashes.truncate(usize::from(widest));
        Ok(Some(std::sync::Arc::new(TileNodes::new(hashes))))
    }
}

#[test]
fn nodes_of_a_wider_tile_give_the_same_roots_and_proofs() {
    let (log, _) = written(&[40_000, 30_000, 1]);
    assert_same_roots_and_proofs(&WidestNodes { log: &log }, &log, 17);
}

/// Roots and proofs through `fast` equal those read straight from `log`,
/// for random sizes, indexes and older sizes.
fn assert_same_roots_and_proofs(fast: &impl TileReader, log: &MemoryLog, seed: u64) {
    let mut rng = support::rng(seed);
    for _ in 0..200 {
        let size = rng.gen_range(1..=log.size());
        let index = rng.gen_range(0..size);
        let old = rng.gen_range(1..=size);
        let plain = TileSource::new(log, size);
        let fast = TileSource::new(fast, size);
        assert_eq!(
            fast.root().unwrap(),
            plain.root().unwrap(),
            "root of {size}"
        );
        assert_eq!(
            fast.inclusion_proof(index).unwrap(),
            plain.inclusion_proof(index).unwrap(),
            "inclusion of {index} in {size}"
        );
        if old < size {
            assert_eq!(
                fast.consistency_proof(old).unwrap(),
                plain.consistency_proof(old).unwrap(),
                "consistency {old} to {size}"
            );
        }
    }
}

#[test]
fn kept_tile_nodes_give_the_same_roots_and_proofs() {
    let (log, _) = written(&[40_000, 30_000, 1]);
    let kept = WithNodes {
        log: &log,
        kept: Default::default(),
    };
    assert_same_roots_and_proofs(&kept, &log, 13);
}

#[test]
fn tile_nodes_hold_exactly_the_complete_nodes() {
    let hashes: Vec<Hash> = (0..5u8).map(|i| leaf_hash(&[i])).collect();
    let nodes = TileNodes::new(hashes.clone());
    assert_eq!(nodes.width(), 5);
    assert_eq!(nodes.node(0, 4), Some(hashes[4]));
    assert_eq!(
        nodes.node(1, 1),
        Some(preflight_ledger::node_hash(&hashes[2], &hashes[3]))
    );
    assert_eq!(nodes.node(1, 2), None, "leaves 4..6 are not all there");
    assert_eq!(nodes.node(2, 0), Some(tree::root_from_hashes(&hashes[..4])));
    assert_eq!(nodes.node(3, 0), None);
}
