//! The transparency-dev/merkle test vectors (inclusion and consistency):
//! every happy path verifies, every tampered probe is rejected, and the
//! proofs this crate generates for the same tree are the vectors' proofs.
//!
//! The vectors hold byte strings of any length where this crate takes
//! 32-byte hashes. A leaf hash of another length cannot be passed at all:
//! `Hash` carries the length check the reference makes on the leaf, so such
//! a probe counts as refused. A root or proof hash of another length ("",
//! "WrongRoot", "don't care 1"), which the reference only compares or hashes,
//! is mapped to SHA-256 of a marker and the value: distinct values stay
//! distinct, equal ones equal, and none is a hash any honest tree produces.

use std::path::{Path, PathBuf};

use preflight_ledger::{Hash, MemoryLog, verify_consistency, verify_inclusion};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::support::unb64;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct InclusionProbe {
    leaf_idx: u64,
    tree_size: u64,
    root: String,
    leaf_hash: String,
    proof: Option<Vec<String>>,
    desc: String,
    want_err: bool,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ConsistencyProbe {
    size1: u64,
    size2: u64,
    root1: String,
    root2: String,
    proof: Option<Vec<String>>,
    desc: String,
    want_err: bool,
}

fn vector_dir(kind: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/testdata/merkle/transparency-dev")
        .join(kind)
}

/// Every `.json` file under the directory, sorted; fails if there is none.
fn json_files(kind: &str) -> Vec<PathBuf> {
    let dir = vector_dir(kind);
    assert!(
        dir.is_dir(),
        "test vector directory {} is missing",
        dir.display()
    );
    let mut files = Vec::new();
    let mut stack = vec![dir.clone()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "json") {
                files.push(path);
            }
        }
    }
    files.sort();
    assert!(!files.is_empty(), "no test vectors under {}", dir.display());
    files
}

fn hash(text: &str) -> Hash {
    let bytes = unb64(text);
    match Hash::try_from(bytes.as_slice()) {
        Ok(h) => h,
        Err(_) => Sha256::new()
            .chain_update(b"not a 32-byte hash:")
            .chain_update(&bytes)
            .finalize()
            .into(),
    }
}

fn hashes(proof: &Option<Vec<String>>) -> Vec<Hash> {
    proof.iter().flatten().map(|h| hash(h)).collect()
}

fn read<T: for<'de> Deserialize<'de>>(path: &Path) -> T {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn inclusion_vectors() {
    let (mut happy, mut tampered) = (0, 0);
    let mut wrong = Vec::new();
    for path in json_files("inclusion") {
        let p: InclusionProbe = read(&path);
        let result = match Hash::try_from(unb64(&p.leaf_hash).as_slice()) {
            Ok(leaf) => verify_inclusion(
                &leaf,
                p.leaf_idx,
                p.tree_size,
                &hashes(&p.proof),
                &hash(&p.root),
            )
            .map_err(|e| e.to_string()),
            Err(_) => Err("leaf hash is not 32 bytes".to_owned()),
        };
        if p.want_err {
            tampered += 1;
        } else {
            happy += 1;
        }
        if result.is_err() != p.want_err {
            wrong.push(format!("{} ({}): {result:?}", path.display(), p.desc));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} vectors decided wrongly:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    assert!(
        happy >= 5 && tampered >= 50,
        "only {happy} happy and {tampered} tampered vectors"
    );
}

#[test]
fn consistency_vectors() {
    let (mut happy, mut tampered) = (0, 0);
    let mut wrong = Vec::new();
    for path in json_files("consistency") {
        let p: ConsistencyProbe = read(&path);
        let result = verify_consistency(
            p.size1,
            p.size2,
            &hashes(&p.proof),
            &hash(&p.root1),
            &hash(&p.root2),
        );
        if p.want_err {
            tampered += 1;
        } else {
            happy += 1;
        }
        if result.is_err() != p.want_err {
            wrong.push(format!("{} ({}): {result:?}", path.display(), p.desc));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} vectors decided wrongly:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    assert!(
        happy >= 5 && tampered >= 50,
        "only {happy} happy and {tampered} tampered vectors"
    );
}

/// The eight leaves of the tree the vectors were made from
/// (transparency-dev/merkle proof/verify_test.go).
fn reference_log() -> MemoryLog {
    let leaves: [&[u8]; 8] = [
        b"",
        &[0x00],
        &[0x10],
        &[0x20, 0x21],
        &[0x30, 0x31],
        &[0x40, 0x41, 0x42, 0x43],
        &[0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57],
        &[
            0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d,
            0x6e, 0x6f,
        ],
    ];
    let mut log = MemoryLog::new();
    log.append(&leaves).unwrap();
    log
}

/// The vectors in the numbered directories (`inclusion/0`, ...) are proofs
/// in that tree; `additional` and `single-entry` are made-up edge cases.
fn from_reference_tree(path: &Path) -> bool {
    let dir = path
        .parent()
        .and_then(Path::file_name)
        .and_then(|d| d.to_str())
        .unwrap_or("");
    let kind = path
        .parent()
        .and_then(Path::parent)
        .and_then(Path::file_name);
    dir.parse::<u32>().is_ok() && kind.is_some_and(|k| k == "inclusion" || k == "consistency")
}

#[test]
fn generated_proofs_are_the_vectors_happy_paths() {
    let log = reference_log();
    let mut checked = 0;
    for path in json_files("inclusion") {
        let p: InclusionProbe = read(&path);
        if p.want_err || !from_reference_tree(&path) {
            continue;
        }
        assert_eq!(
            log.root(p.tree_size).unwrap(),
            hash(&p.root),
            "{}",
            path.display()
        );
        let proof = log.inclusion_proof(p.leaf_idx, p.tree_size).unwrap();
        assert_eq!(proof, hashes(&p.proof), "{}", path.display());
        checked += 1;
    }
    for path in json_files("consistency") {
        let p: ConsistencyProbe = read(&path);
        if p.want_err || !from_reference_tree(&path) {
            continue;
        }
        assert_eq!(
            log.root(p.size1).unwrap(),
            hash(&p.root1),
            "{}",
            path.display()
        );
        assert_eq!(
            log.root(p.size2).unwrap(),
            hash(&p.root2),
            "{}",
            path.display()
        );
        let proof = log.consistency_proof(p.size1, p.size2).unwrap();
        assert_eq!(proof, hashes(&p.proof), "{}", path.display());
        checked += 1;
    }
    assert!(checked >= 8, "only {checked} happy paths compared");
}
