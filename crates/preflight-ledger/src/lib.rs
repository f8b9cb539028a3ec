//! The audit ledger's pure core: an RFC 9162 Merkle tree over SHA-256, its
//! inclusion and consistency proofs, storage as C2SP tlog-tiles, C2SP
//! checkpoints signed as C2SP signed notes (Ed25519), cosignatures and the
//! C2SP tlog-witness `add-checkpoint` rules.
//!
//! No IO, no async, no SQL, no clock: callers pass the time in, read tiles
//! through [`TileReader`] and write the tiles [`tiles::append`] returns.

pub mod checkpoint;
pub mod cosignature;
pub mod error;
pub mod hash;
pub mod memory;
pub mod note;
pub mod proof;
pub mod tiles;
pub mod tree;
pub mod witness;

pub use checkpoint::Checkpoint;
pub use cosignature::Cosigner;
pub use error::LedgerError;
pub use hash::{Hash, empty_root, leaf_hash, node_hash};
pub use memory::MemoryLog;
pub use note::{OpenedNote, Signer, Verifier, open};
pub use proof::{verify_consistency, verify_inclusion};
pub use tiles::{TileNodes, TileReader, TileSource};
pub use tree::{NodeSource, consistency_proof, inclusion_proof, root};
pub use witness::{Witness, WitnessRefusal};
