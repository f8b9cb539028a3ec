//! Proof verification, exactly the algorithms of RFC 9162 sections 2.1.3.2
//! (inclusion) and 2.1.4.2 (consistency), with the edge cases decided as the
//! transparency-dev test vectors decide them:
//!
//! - an inclusion proof needs `index < size`;
//! - a consistency proof needs `0 < size1 <= size2`; from size 0 it is
//!   refused as meaningless (every tree extends the empty one, so such a
//!   "proof" proves nothing and a caller asking for one has a bug; the
//!   tlog-witness `old 0` case is decided by the witness, not here);
//! - between equal sizes the proof must be empty and the roots equal.
//!
//! The expected proof length is checked first, so a wrong length is reported
//! as such rather than as a root mismatch.

use crate::LedgerError;
use crate::hash::{Hash, node_hash};

/// Checks that `leaf` is the leaf hash at `index` in the tree of `size`
/// leaves whose root is `root`.
pub fn verify_inclusion(
    leaf: &Hash,
    index: u64,
    size: u64,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), LedgerError> {
    let computed = root_from_inclusion(leaf, index, size, proof)?;
    if computed != *root {
        return Err(LedgerError::RootMismatch { size });
    }
    Ok(())
}

/// The root an inclusion proof leads to (RFC 9162 2.1.3.2 without the final
/// comparison), for callers that compare against a signed checkpoint
/// themselves.
pub fn root_from_inclusion(
    leaf: &Hash,
    index: u64,
    size: u64,
    proof: &[Hash],
) -> Result<Hash, LedgerError> {
    if index >= size {
        return Err(LedgerError::IndexOutOfRange { index, size });
    }
    let want = inclusion_proof_len(index, size);
    if proof.len() != want {
        return Err(LedgerError::ProofLength {
            kind: "inclusion",
            got: proof.len(),
            want,
        });
    }
    let mut fnode = index;
    let mut snode = size - 1;
    let mut r = *leaf;
    for p in proof {
        if snode == 0 {
            return Err(LedgerError::ProofLength {
                kind: "inclusion",
                got: proof.len(),
                want,
            });
        }
        if fnode & 1 == 1 || fnode == snode {
            r = node_hash(p, &r);
            if fnode & 1 == 0 {
                while fnode & 1 == 0 && fnode != 0 {
                    fnode >>= 1;
                    snode >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    if snode != 0 {
        return Err(LedgerError::ProofLength {
            kind: "inclusion",
            got: proof.len(),
            want,
        });
    }
    Ok(r)
}

/// Checks that the tree of `size2` leaves with root `root2` extends the tree
/// of `size1` leaves with root `root1`.
pub fn verify_consistency(
    size1: u64,
    size2: u64,
    proof: &[Hash],
    root1: &Hash,
    root2: &Hash,
) -> Result<(), LedgerError> {
    if size1 > size2 {
        return Err(LedgerError::SizesOutOfOrder { size1, size2 });
    }
    if size1 == 0 {
        return Err(LedgerError::ConsistencyFromEmpty { size2 });
    }
    if size1 == size2 {
        if !proof.is_empty() {
            return Err(LedgerError::ProofLength {
                kind: "consistency",
                got: proof.len(),
                want: 0,
            });
        }
        if root1 != root2 {
            return Err(LedgerError::RootMismatch { size: size1 });
        }
        return Ok(());
    }
    let want = consistency_proof_len(size1, size2);
    let length_error = LedgerError::ProofLength {
        kind: "consistency",
        got: proof.len(),
        want,
    };
    if proof.len() != want {
        return Err(length_error);
    }

    // RFC 9162 2.1.4.2, step 2: if size1 is a power of two, root1 is the
    // first node of the path (the proof omits it).
    let (seed, rest) = if size1.is_power_of_two() {
        (*root1, proof)
    } else {
        match proof.split_first() {
            Some((first, rest)) => (*first, rest),
            None => return Err(length_error),
        }
    };
    let mut fnode = size1 - 1;
    let mut snode = size2 - 1;
    while fnode & 1 == 1 {
        fnode >>= 1;
        snode >>= 1;
    }
    let mut fr = seed;
    let mut sr = seed;
    for c in rest {
        if snode == 0 {
            return Err(length_error);
        }
        if fnode & 1 == 1 || fnode == snode {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            if fnode & 1 == 0 {
                while fnode & 1 == 0 && fnode != 0 {
                    fnode >>= 1;
                    snode >>= 1;
                }
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    if snode != 0 {
        return Err(length_error);
    }
    if fr != *root1 {
        return Err(LedgerError::RootMismatch { size: size1 });
    }
    if sr != *root2 {
        return Err(LedgerError::RootMismatch { size: size2 });
    }
    Ok(())
}

/// The number of hashes in the inclusion proof of `index` in a tree of
/// `size` leaves; 0 when there is no such proof (`index >= size`).
pub fn inclusion_proof_len(index: u64, size: u64) -> usize {
    if index >= size {
        return 0;
    }
    let (inner, border) = decompose(index, size);
    (inner + border) as usize
}

/// The number of hashes in the consistency proof from `size1` to `size2`;
/// 0 unless `0 < size1 < size2`.
pub fn consistency_proof_len(size1: u64, size2: u64) -> usize {
    if size1 == 0 || size1 >= size2 {
        return 0;
    }
    let (inner, border) = decompose(size1 - 1, size2);
    let shift = size1.trailing_zeros();
    let start = u32::from(!size1.is_power_of_two());
    (start + inner.saturating_sub(shift) + border) as usize
}

/// Splits the path from leaf `index` to the root of a tree of `size` leaves
/// at the point where it meets the path to leaf `size - 1`: the number of
/// levels below that point and the number of left siblings above it.
fn decompose(index: u64, size: u64) -> (u32, u32) {
    let inner = u64::BITS - (index ^ (size - 1)).leading_zeros();
    let border = index.checked_shr(inner).unwrap_or(0).count_ones();
    (inner, border)
}
