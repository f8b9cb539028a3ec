//! The one error type of the ledger core. Each message names what was wrong
//! and carries the offending value.

/// What went wrong in a ledger operation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    #[error("invalid hash {value:?}: {reason}")]
    InvalidHash { value: String, reason: String },

    #[error("leaf index {index} is outside a tree of size {size}")]
    IndexOutOfRange { index: u64, size: u64 },
    #[error("tree size {size1} is larger than tree size {size2}")]
    SizesOutOfOrder { size1: u64, size2: u64 },
    #[error("a consistency proof from the empty tree (size 0) to size {size2} is meaningless")]
    ConsistencyFromEmpty { size2: u64 },
    #[error("{kind} proof has {got} hashes, expected {want}")]
    ProofLength {
        kind: &'static str,
        got: usize,
        want: usize,
    },
    #[error("computed root hash for tree size {size} does not match the expected root hash")]
    RootMismatch { size: u64 },
    #[error("tree size {size} is too large (the tree holds at most 2^64 - 1 leaves)")]
    SizeOverflow { size: u128 },

    #[error(
        "node at level {level}, index {index} is not a complete subtree of a tree of size {size}"
    )]
    NodeNotInTree { level: u8, index: u64, size: u64 },
    #[error("node at level {level}, index {index} is not available: {reason}")]
    NodeUnavailable {
        level: u8,
        index: u64,
        reason: String,
    },
    #[error("tile at level {level}, index {index} is not available with width {width}: {reason}")]
    TileUnavailable {
        level: u8,
        index: u64,
        width: u16,
        reason: String,
    },
    #[error("tile at level {level}, index {index} has {got} hashes, expected at least {want}")]
    TileTooShort {
        level: u8,
        index: u64,
        got: usize,
        want: usize,
    },
    #[error("invalid tile path {path:?}: {reason}")]
    InvalidTilePath { path: String, reason: String },
    #[error("invalid tile level {level} (expected 0 to 63)")]
    InvalidTileLevel { level: u8 },
    #[error("invalid partial tile width {width} (expected 1 to 255)")]
    InvalidTileWidth { width: u16 },
    #[error("invalid tile data of {len} bytes: {reason}")]
    InvalidTileData { len: usize, reason: String },
    #[error("log entry {index} is {len} bytes, more than the 65535 an entry bundle can hold")]
    EntryTooLong { index: u64, len: usize },
    #[error("invalid entry bundle: {reason}")]
    InvalidEntryBundle { reason: String },
    #[error("partial entry bundle for tree size {size} has {got} entries, expected {want}")]
    PartialBundleMismatch { size: u64, got: usize, want: usize },

    #[error("invalid key name {name:?}: it must be non-empty, without spaces or '+'")]
    InvalidKeyName { name: String },
    #[error("invalid {kind} key {key:?}: {reason}")]
    InvalidKey {
        kind: &'static str,
        key: String,
        reason: String,
    },
    #[error("malformed note: {reason}")]
    MalformedNote { reason: String },
    #[error("note has no signature from a known key")]
    UnverifiedNote,
    #[error("signature by known key {name}+{key_id:08x} does not verify")]
    InvalidSignature { name: String, key_id: u32 },
    #[error("two known keys share the name {name} and key id {key_id:08x}")]
    AmbiguousKey { name: String, key_id: u32 },
    #[error("malformed checkpoint: {reason}")]
    MalformedCheckpoint { reason: String },
    #[error("timestamp {timestamp} is above 2^63 - 1")]
    TimestampTooLarge { timestamp: u64 },
    #[error("invalid tree size {text:?} (expected a decimal without leading zeroes)")]
    InvalidSize { text: String },
    #[error("invalid witness configuration: {reason}")]
    InvalidWitness { reason: String },
}

impl LedgerError {
    pub(crate) fn malformed_note(reason: impl Into<String>) -> Self {
        Self::MalformedNote {
            reason: reason.into(),
        }
    }

    pub(crate) fn malformed_checkpoint(reason: impl Into<String>) -> Self {
        Self::MalformedCheckpoint {
            reason: reason.into(),
        }
    }
}
