//! Envelope encryption: each review has its own random data key, sealed
//! under the instance master key. Secrets are sealed with XChaCha20-Poly1305
//! under the data key, bound to the review's id.

use crate::StoreError;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;
use zeroize::{Zeroize, Zeroizing};

/// The instance master key. `Debug` never shows it.
#[derive(Clone)]
pub struct MasterKey(Zeroizing<[u8; 32]>);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(redacted)")
    }
}

impl MasterKey {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(Zeroizing::new(bytes))
    }

    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        let key = Self::from_bytes(bytes);
        bytes.zeroize();
        key
    }

    /// Parses the base64 text form kept in a key file or the environment.
    pub fn from_base64(text: &str) -> Result<Self, StoreError> {
        let mut bytes = B64
            .decode(text.trim())
            .map_err(|_| StoreError::Crypto("master key is not base64"))?;
        let result = <[u8; 32]>::try_from(bytes.as_slice())
            .map(Self::from_bytes)
            .map_err(|_| StoreError::Crypto("master key must be 32 bytes"));
        bytes.zeroize();
        result
    }

    pub fn to_base64(&self) -> Zeroizing<String> {
        Zeroizing::new(B64.encode(*self.0))
    }

    /// A fresh data key, returned with its wrapped (sealed) form.
    pub(crate) fn new_data_key(&self, context: &str) -> Result<(DataKey, String), StoreError> {
        let mut bytes = Zeroizing::new([0u8; 32]);
        rand::rngs::OsRng.fill_bytes(bytes.as_mut());
        let wrapped = seal(&self.0, bytes.as_ref(), &format!("data-key:{context}"))?;
        Ok((DataKey(bytes), wrapped))
    }

    /// Seals a small instance-wide secret (a webhook signing secret)
    /// directly under the master key, bound to `context`.
    pub(crate) fn seal_secret(&self, plain: &[u8], context: &str) -> Result<String, StoreError> {
        seal(&self.0, plain, &format!("secret:{context}"))
    }

    pub(crate) fn open_secret(
        &self,
        sealed: &str,
        context: &str,
    ) -> Result<Zeroizing<Vec<u8>>, StoreError> {
        open(&self.0, sealed, &format!("secret:{context}"))
    }

    pub(crate) fn unwrap_data_key(
        &self,
        wrapped: &str,
        context: &str,
    ) -> Result<DataKey, StoreError> {
        let plain = open(&self.0, wrapped, &format!("data-key:{context}"))?;
        let bytes: [u8; 32] = plain
            .as_slice()
            .try_into()
            .map_err(|_| StoreError::Crypto("data key has the wrong length"))?;
        Ok(DataKey(Zeroizing::new(bytes)))
    }
}

/// A review's data key, only ever in memory.
pub(crate) struct DataKey(Zeroizing<[u8; 32]>);

impl DataKey {
    pub(crate) fn seal(&self, plain: &[u8], context: &str) -> Result<String, StoreError> {
        seal(&self.0, plain, context)
    }
    pub(crate) fn open(
        &self,
        sealed: &str,
        context: &str,
    ) -> Result<Zeroizing<Vec<u8>>, StoreError> {
        open(&self.0, sealed, context)
    }
}

fn seal(key: &[u8; 32], plain: &[u8], aad: &str) -> Result<String, StoreError> {
    let cipher = XChaCha20Poly1305::new(key.into());
    let mut nonce = [0u8; 24];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    let sealed = cipher
        .encrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: plain,
                aad: aad.as_bytes(),
            },
        )
        .map_err(|_| StoreError::Crypto("encryption failed"))?;
    let mut out = nonce.to_vec();
    out.extend_from_slice(&sealed);
    Ok(B64.encode(out))
}

fn open(key: &[u8; 32], sealed: &str, aad: &str) -> Result<Zeroizing<Vec<u8>>, StoreError> {
    let bytes = B64
        .decode(sealed)
        .map_err(|_| StoreError::Crypto("sealed value is not base64"))?;
    if bytes.len() < 24 + 16 {
        return Err(StoreError::Crypto("sealed value is too short"));
    }
    let (nonce, body) = bytes.split_at(24);
    let cipher = XChaCha20Poly1305::new(key.into());
    cipher
        .decrypt(
            XNonce::from_slice(nonce),
            Payload {
                msg: body,
                aad: aad.as_bytes(),
            },
        )
        .map(Zeroizing::new)
        .map_err(|_| StoreError::Crypto("sealed value does not open with this key"))
}
