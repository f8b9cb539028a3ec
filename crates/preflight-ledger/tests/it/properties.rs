//! Property tests with a seeded generator: a log grown in random batches
//! serves, from its tiles alone, the roots and proofs the RFC's recursive
//! definitions give, the proofs verify, and any change to them fails.

use preflight_ledger::{Hash, LedgerError, MemoryLog, verify_consistency, verify_inclusion};
use rand::Rng;

use crate::support::{self, consistency, entries, leaf_hashes, mth, path};

const MAX_SIZE: u64 = 2000;

/// A log of at least `MAX_SIZE` entries grown in random batches (crossing
/// tile boundaries at random points), its leaf hashes, and the sizes it had
/// after each batch.
fn grown_log(salt: u64) -> (MemoryLog, Vec<Hash>, Vec<u64>) {
    let mut rng = support::rng(salt);
    let all = entries(MAX_SIZE as usize + 300);
    let mut log = MemoryLog::new();
    let mut sizes = Vec::new();
    while log.size() < MAX_SIZE {
        let start = log.size() as usize;
        let n = rng.gen_range(1..=300);
        log.append(&all[start..start + n]).unwrap();
        sizes.push(log.size());
    }
    let leaves = leaf_hashes(&all[..log.size() as usize]);
    (log, leaves, sizes)
}

fn flip(hash: &Hash, bit: usize) -> Hash {
    let mut h = *hash;
    h[bit / 8] ^= 1 << (bit % 8);
    h
}

#[test]
fn roots_from_tiles_are_the_tree_hash_at_every_size() {
    let (log, leaves, sizes) = grown_log(1);
    for &size in &sizes {
        assert_eq!(
            log.root(size).unwrap(),
            mth(&leaves[..size as usize]),
            "size {size}"
        );
    }
    let mut rng = support::rng(2);
    for _ in 0..50 {
        let size = rng.gen_range(0..=log.size());
        assert_eq!(
            log.root(size).unwrap(),
            mth(&leaves[..size as usize]),
            "size {size}"
        );
    }
}

#[test]
fn inclusion_proofs_verify_and_any_change_fails() {
    let (log, leaves, _) = grown_log(3);
    let mut rng = support::rng(4);
    for case in 0..40 {
        let size = rng.gen_range(1..=MAX_SIZE);
        let index = rng.gen_range(0..size);
        let leaf = leaves[index as usize];
        let root = log.root(size).unwrap();
        let proof = log.inclusion_proof(index, size).unwrap();
        assert_eq!(
            proof,
            path(index as usize, &leaves[..size as usize]),
            "{index} in {size}"
        );
        verify_inclusion(&leaf, index, size, &proof, &root).unwrap();

        // Every bit of every hash for the first cases, a random bit after.
        for i in 0..proof.len() {
            let bits: Vec<usize> = if case < 3 {
                (0..256).collect()
            } else {
                vec![rng.gen_range(0..256)]
            };
            for bit in bits {
                let mut bad = proof.clone();
                bad[i] = flip(&bad[i], bit);
                assert!(
                    verify_inclusion(&leaf, index, size, &bad, &root).is_err(),
                    "flipped bit {bit} of hash {i}: {index} in {size}"
                );
            }
        }
        assert!(verify_inclusion(&flip(&leaf, 0), index, size, &proof, &root).is_err());
        assert!(verify_inclusion(&leaf, index, size, &proof, &flip(&root, 255)).is_err());
        for other in [
            index.wrapping_sub(1),
            index + 1,
            index ^ 2,
            rng.gen_range(0..size),
        ] {
            if other != index && other < size {
                assert!(
                    verify_inclusion(&leaf, other, size, &proof, &root).is_err(),
                    "index {other} instead of {index} in {size}"
                );
            }
        }
        // A tree head binds its size and root together: the proof must not
        // verify against the tree head of another size.
        for other in [
            size - 1,
            size + 1,
            size * 2,
            size / 2,
            rng.gen_range(1..=MAX_SIZE),
        ] {
            if other != size && other > index && other <= log.size() {
                let other_root = log.root(other).unwrap();
                assert!(
                    verify_inclusion(&leaf, index, other, &proof, &other_root).is_err(),
                    "size {other} instead of {size} for index {index}"
                );
            }
        }
        if !proof.is_empty() {
            let mut short = proof.clone();
            short.pop();
            assert!(verify_inclusion(&leaf, index, size, &short, &root).is_err());
        }
        let mut long = proof.clone();
        long.push(root);
        assert!(verify_inclusion(&leaf, index, size, &long, &root).is_err());
    }
}

#[test]
fn consistency_proofs_verify_and_any_change_fails() {
    let (log, leaves, sizes) = grown_log(5);
    let mut rng = support::rng(6);
    let mut pairs: Vec<(u64, u64)> = (0..40)
        .map(|_| {
            let a = rng.gen_range(1..=MAX_SIZE);
            let b = rng.gen_range(1..=MAX_SIZE);
            (a.min(b), a.max(b))
        })
        .collect();
    // The sizes the log had after each batch, as a witness would see them.
    pairs.extend(sizes.windows(2).map(|w| (w[0], w[1])));
    pairs.extend([
        (1, 2),
        (255, 256),
        (256, 257),
        (256, 512),
        (511, 513),
        (7, 7),
    ]);

    for (case, &(size1, size2)) in pairs.iter().enumerate() {
        let root1 = log.root(size1).unwrap();
        let root2 = log.root(size2).unwrap();
        let proof = log.consistency_proof(size1, size2).unwrap();
        assert_eq!(
            proof,
            consistency(size1 as usize, &leaves[..size2 as usize])
        );
        verify_consistency(size1, size2, &proof, &root1, &root2)
            .unwrap_or_else(|e| panic!("{size1} -> {size2}: {e}"));

        for i in 0..proof.len() {
            let bits: Vec<usize> = if case < 3 {
                (0..256).collect()
            } else {
                vec![rng.gen_range(0..256)]
            };
            for bit in bits {
                let mut bad = proof.clone();
                bad[i] = flip(&bad[i], bit);
                assert!(
                    verify_consistency(size1, size2, &bad, &root1, &root2).is_err(),
                    "flipped bit {bit} of hash {i}: {size1} -> {size2}"
                );
            }
        }
        if root1 != root2 {
            assert!(verify_consistency(size1, size2, &proof, &root2, &root1).is_err());
        }
        assert!(verify_consistency(size1, size2, &proof, &flip(&root1, 7), &root2).is_err());
        assert!(verify_consistency(size1, size2, &proof, &root1, &flip(&root2, 7)).is_err());
        for other in [size1 - 1, size1 + 1, size1 ^ 2, size1 / 2] {
            if other != size1 && other >= 1 && other <= size2 {
                let other_root = log.root(other).unwrap();
                assert!(
                    verify_consistency(other, size2, &proof, &other_root, &root2).is_err(),
                    "size1 {other} instead of {size1} (size2 {size2})"
                );
            }
        }
        for other in [size2 - 1, size2 + 1, size2 * 2, size2 / 2] {
            if other != size2 && other >= size1 && other <= log.size() {
                let other_root = log.root(other).unwrap();
                assert!(
                    verify_consistency(size1, other, &proof, &root1, &other_root).is_err(),
                    "size2 {other} instead of {size2} (size1 {size1})"
                );
            }
        }
        let mut long = proof.clone();
        long.push(root1);
        assert!(verify_consistency(size1, size2, &long, &root1, &root2).is_err());
        if !proof.is_empty() {
            let mut short = proof.clone();
            short.pop();
            assert!(verify_consistency(size1, size2, &short, &root1, &root2).is_err());
        }
    }
}

#[test]
fn a_forked_log_is_not_consistent_with_the_original() {
    // Two logs that agree on the first 700 entries and then differ.
    let shared = entries(700);
    let mut honest = MemoryLog::new();
    let mut forked = MemoryLog::new();
    honest.append(&shared).unwrap();
    forked.append(&shared).unwrap();
    honest.append(&[b"the real entry".to_vec()]).unwrap();
    forked.append(&[b"a rewritten entry".to_vec()]).unwrap();
    honest.append(&entries(300)).unwrap();
    forked.append(&entries(300)).unwrap();

    let old_root = honest.root(701).unwrap();
    let forked_root = forked.root(1001).unwrap();
    let proof = forked.consistency_proof(701, 1001).unwrap();
    assert!(verify_consistency(701, 1001, &proof, &old_root, &forked_root).is_err());
    // But both are consistent with the common prefix.
    let prefix = honest.root(700).unwrap();
    assert_eq!(prefix, forked.root(700).unwrap());
    let proof = forked.consistency_proof(700, 1001).unwrap();
    verify_consistency(700, 1001, &proof, &prefix, &forked_root).unwrap();
}

#[test]
fn proof_requests_outside_the_tree_are_refused() {
    let (log, _, _) = grown_log(7);
    assert!(matches!(
        log.inclusion_proof(5, 5),
        Err(LedgerError::IndexOutOfRange { index: 5, size: 5 })
    ));
    assert!(matches!(
        log.consistency_proof(6, 5),
        Err(LedgerError::SizesOutOfOrder { size1: 6, size2: 5 })
    ));
    assert!(matches!(
        log.consistency_proof(0, 5),
        Err(LedgerError::ConsistencyFromEmpty { size2: 5 })
    ));
    assert_eq!(log.consistency_proof(9, 9).unwrap(), Vec::<Hash>::new());
    assert_eq!(log.root(0).unwrap(), preflight_ledger::empty_root());
    assert!(log.root(log.size() + 1).is_err());
}
