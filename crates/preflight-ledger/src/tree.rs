//! Tree heads and proof generation (RFC 9162 2.1.1, 2.1.3.1, 2.1.4.1) over a
//! source that only knows *complete* subtrees, as a tiled log does.
//!
//! A node `(level, index)` is the subtree of the `2^level` leaves starting at
//! leaf `index << level`. In a tree of `size` leaves the RFC's recursive
//! split makes every subtree either such a complete node or, on the right
//! edge, a truncated one; the hash of a truncated subtree is folded from the
//! complete nodes that cover it, so every function here reads O(log size)
//! nodes.

use crate::LedgerError;
use crate::hash::{Hash, empty_root, node_hash};

/// Hashes of complete subtrees of the log.
pub trait NodeSource {
    /// The hash of the complete subtree of `2^level` leaves starting at leaf
    /// `index << level`. Asked only for nodes that are complete in the tree
    /// being worked on.
    fn node(&self, level: u8, index: u64) -> Result<Hash, LedgerError>;
}

impl<T: NodeSource + ?Sized> NodeSource for &T {
    fn node(&self, level: u8, index: u64) -> Result<Hash, LedgerError> {
        (**self).node(level, index)
    }
}

/// The Merkle Tree Hash of the first `size` leaves (RFC 9162 2.1.1); the
/// empty tree's root is SHA-256 of nothing.
pub fn root(size: u64, src: &impl NodeSource) -> Result<Hash, LedgerError> {
    if size == 0 {
        return Ok(empty_root());
    }
    range_hash(0, u128::from(size), src)
}

/// The inclusion proof of leaf `index` in the tree of `size` leaves,
/// lowest level first (RFC 9162 2.1.3.1).
pub fn inclusion_proof(
    index: u64,
    size: u64,
    src: &impl NodeSource,
) -> Result<Vec<Hash>, LedgerError> {
    if index >= size {
        return Err(LedgerError::IndexOutOfRange { index, size });
    }
    path(0, index, size, src)
}

/// The consistency proof from the tree of `size1` leaves to the tree of
/// `size2` leaves (RFC 9162 2.1.4.1). Empty when the sizes are equal; an
/// error from size 0, as [`crate::verify_consistency`] refuses it.
pub fn consistency_proof(
    size1: u64,
    size2: u64,
    src: &impl NodeSource,
) -> Result<Vec<Hash>, LedgerError> {
    if size1 > size2 {
        return Err(LedgerError::SizesOutOfOrder { size1, size2 });
    }
    if size1 == 0 {
        return Err(LedgerError::ConsistencyFromEmpty { size2 });
    }
    if size1 == size2 {
        return Ok(Vec::new());
    }
    // The largest complete subtree ending at size1: its hash, unless it is
    // the whole old tree (the verifier has that root already), then its
    // inclusion path in the new tree.
    let level = size1.trailing_zeros();
    let index = (size1 - 1) >> level;
    let level = level as u8;
    let mut proof = Vec::new();
    if index != 0 {
        proof.push(src.node(level, index)?);
    }
    proof.extend(path(level, index, size2, src)?);
    Ok(proof)
}

/// The Merkle Tree Hash of hashes taken as the leaves of a tree (no
/// further leaf hashing): the root of a tile's subtree, or of any run of
/// sibling nodes at one level starting on a subtree boundary.
pub fn root_from_hashes(hashes: &[Hash]) -> Hash {
    match hashes.len() {
        0 => empty_root(),
        1 => hashes[0],
        n => {
            let split = largest_power_of_two_below(n);
            node_hash(
                &root_from_hashes(&hashes[..split]),
                &root_from_hashes(&hashes[split..]),
            )
        }
    }
}

fn largest_power_of_two_below(n: usize) -> usize {
    // n >= 2: the largest power of two strictly less than n.
    1 << (usize::BITS - 1 - (n - 1).leading_zeros())
}

/// The siblings on the way from the complete node `(level, index)` to the
/// root of the tree of `size` leaves: the inclusion proof of that node.
fn path(level: u8, index: u64, size: u64, src: &impl NodeSource) -> Result<Vec<Hash>, LedgerError> {
    let size = u128::from(size);
    let mut proof = Vec::new();
    let mut level = u32::from(level);
    let mut index = u128::from(index);
    // Climb until the node covers the whole tree.
    while !(index == 0 && (1u128 << level) >= size) {
        let sibling = index ^ 1;
        let begin = sibling << level;
        if begin < size {
            let end = begin + (1u128 << level);
            if end <= size {
                proof.push(src.node(level as u8, sibling as u64)?);
            } else {
                // The sibling is the truncated subtree on the right edge.
                proof.push(range_hash(begin, size, src)?);
            }
        }
        index >>= 1;
        level += 1;
    }
    Ok(proof)
}

/// The hash of leaves `[begin, end)`, a subtree of the RFC tree: `begin` is
/// a multiple of a power of two at least `end - begin`. Folds the complete
/// nodes covering it, largest first, from the right.
fn range_hash(begin: u128, end: u128, src: &impl NodeSource) -> Result<Hash, LedgerError> {
    let mut nodes = Vec::with_capacity(64);
    let mut pos = begin;
    while pos < end {
        let remaining = end - pos;
        let mut level = u128::BITS - 1 - remaining.leading_zeros();
        if pos != 0 {
            level = level.min(pos.trailing_zeros());
        }
        let index =
            u64::try_from(pos >> level).map_err(|_| LedgerError::SizeOverflow { size: end })?;
        nodes.push(src.node(level as u8, index)?);
        pos += 1u128 << level;
    }
    let mut acc = nodes.pop().unwrap_or_else(empty_root);
    while let Some(left) = nodes.pop() {
        acc = node_hash(&left, &acc);
    }
    Ok(acc)
}
