//! RFC 9162 hashing: SHA-256 with domain separation between leaves (0x00)
//! and interior nodes (0x01), and the base64 form hashes take in checkpoints
//! and witness requests.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};

use crate::LedgerError;

/// A SHA-256 Merkle tree hash.
pub type Hash = [u8; 32];

/// The length of a [`Hash`] in bytes.
pub const HASH_SIZE: usize = 32;

/// The hash of a leaf: SHA-256(0x00 || data).
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0x00]);
    h.update(data);
    h.finalize().into()
}

/// The hash of an interior node: SHA-256(0x01 || left || right).
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([0x01]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The root of the empty tree: SHA-256 of the empty string.
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// A hash in standard base64 with padding, as checkpoints carry it.
pub fn encode_hash(hash: &Hash) -> String {
    STANDARD.encode(hash)
}

/// Parses a base64 hash; it must decode to exactly 32 bytes.
pub fn decode_hash(text: &str) -> Result<Hash, LedgerError> {
    let bytes = STANDARD
        .decode(text)
        .map_err(|e| LedgerError::InvalidHash {
            value: text.to_owned(),
            reason: e.to_string(),
        })?;
    Hash::try_from(bytes.as_slice()).map_err(|_| LedgerError::InvalidHash {
        value: text.to_owned(),
        reason: format!("{} bytes, expected {HASH_SIZE}", bytes.len()),
    })
}
