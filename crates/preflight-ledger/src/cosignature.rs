//! C2SP tlog-cosignature, the Ed25519 `cosignature/v1` type: a witness's
//! statement that, at a time, the checkpoint is the largest consistent one
//! it has seen for the log.
//!
//! The key id uses signature type 0x04. The signed message is
//! `cosignature/v1\ntime <secs>\n` followed by the checkpoint text; the
//! signature bytes after the key id are the timestamp (u64, big-endian)
//! and the 64-byte Ed25519 signature.

use ed25519_dalek::{Signature, SigningKey, VerifyingKey};
use rand::{CryptoRng, RngCore};
use zeroize::Zeroizing;

use crate::LedgerError;
use crate::checkpoint::Checkpoint;
use crate::note::{KeyKind, NamedKey, Verifier};

/// The largest timestamp a cosignature may carry.
pub const MAX_TIMESTAMP: u64 = i64::MAX as u64;

/// The message a cosignature signs over a checkpoint text.
pub fn signed_message(checkpoint_text: &str, timestamp: u64) -> String {
    format!("cosignature/v1\ntime {timestamp}\n{checkpoint_text}")
}

/// Signs cosignatures with an Ed25519 key (signature type 0x04). Its
/// `Debug` shows the name and key id, never the key.
#[derive(Clone, Debug)]
pub struct Cosigner(NamedKey);

impl Cosigner {
    pub fn new(name: &str, key: SigningKey) -> Result<Self, LedgerError> {
        NamedKey::new(name, KeyKind::CosignatureV1, key).map(Self)
    }

    pub fn from_seed(name: &str, seed: &[u8; 32]) -> Result<Self, LedgerError> {
        Self::new(name, SigningKey::from_bytes(seed))
    }

    pub fn generate<R: CryptoRng + RngCore>(name: &str, rng: &mut R) -> Result<Self, LedgerError> {
        NamedKey::generate(name, KeyKind::CosignatureV1, rng).map(Self)
    }

    /// Parses `PRIVATE+KEY+<name>+<hex id>+<base64(0x04 || seed)>`, the
    /// signer key format of signed notes with the cosignature type byte.
    pub fn parse(skey: &str) -> Result<Self, LedgerError> {
        NamedKey::parse(skey, KeyKind::CosignatureV1).map(Self)
    }

    /// The signer key string; secret, wiped when dropped.
    pub fn to_key_string(&self) -> Zeroizing<String> {
        self.0.to_key_string()
    }

    pub fn name(&self) -> &str {
        &self.0.name
    }

    pub fn key_id(&self) -> u32 {
        self.0.key_id
    }

    /// The verifier of this cosigner's signatures (a 0x04 verifier key).
    pub fn verifier(&self) -> Verifier {
        self.0.verifier()
    }

    /// The cosignature line over `checkpoint` at `timestamp` (seconds since
    /// the epoch), to append to the checkpoint's note.
    pub fn cosign(&self, checkpoint: &Checkpoint, timestamp: u64) -> Result<String, LedgerError> {
        if timestamp > MAX_TIMESTAMP {
            return Err(LedgerError::TimestampTooLarge { timestamp });
        }
        let message = signed_message(&checkpoint.body(), timestamp);
        let signature = self.0.sign_bytes(message.as_bytes());
        let mut bytes = Vec::with_capacity(8 + 64);
        bytes.extend_from_slice(&timestamp.to_be_bytes());
        bytes.extend_from_slice(&signature.to_bytes());
        Ok(self.0.line(&bytes))
    }
}

/// The timestamp a cosignature's bytes (after the key id) state, without
/// checking the signature: `None` unless they are 8 + 64 bytes.
pub fn timestamp(signature: &[u8]) -> Option<u64> {
    if signature.len() != 8 + 64 {
        return None;
    }
    let (timestamp, _) = signature.split_first_chunk::<8>()?;
    Some(u64::from_be_bytes(*timestamp))
}

/// Checks a cosignature's bytes (after the key id) over `text`; the
/// timestamp it states when it verifies.
pub(crate) fn verify(key: &VerifyingKey, text: &str, signature: &[u8]) -> Option<u64> {
    let (timestamp, signature) = signature.split_first_chunk::<8>()?;
    let timestamp = u64::from_be_bytes(*timestamp);
    if timestamp > MAX_TIMESTAMP {
        return None;
    }
    let signature = Signature::from_slice(signature).ok()?;
    let message = signed_message(text, timestamp);
    key.verify_strict(message.as_bytes(), &signature).ok()?;
    Some(timestamp)
}
