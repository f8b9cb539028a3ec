//! C2SP signed notes: text ending in a newline, a blank line, then one or
//! more lines `— <key name> base64(key id || signature)`. Keys are Ed25519
//! (signature type 0x01) for notes and timestamped Ed25519 cosignatures
//! (type 0x04, see [`crate::cosignature`]); the key id is
//! `SHA-256(name || 0x0A || type || public key)[:4]`.
//!
//! Key strings follow golang.org/x/mod/sumdb/note: a verifier key is
//! `<name>+<hex key id>+<base64(type || public key)>`, a signer key
//! `PRIVATE+KEY+<name>+<hex key id>+<base64(type || seed)>`.

use std::collections::HashSet;
use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use rand::{CryptoRng, RngCore};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::LedgerError;
use crate::cosignature;

/// The most signature lines a note may carry (as the Go reference).
pub const MAX_SIGNATURES: usize = 100;

const SIGNATURE_PREFIX: &str = "\u{2014} ";

/// The kinds of key this crate signs and verifies with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyKind {
    /// Ed25519 over the note text, signature type 0x01.
    Ed25519,
    /// A C2SP tlog-cosignature/v1 (timestamped Ed25519), type 0x04.
    CosignatureV1,
}

impl KeyKind {
    /// The signature type byte.
    pub fn byte(self) -> u8 {
        match self {
            Self::Ed25519 => 0x01,
            Self::CosignatureV1 => 0x04,
        }
    }

    fn from_byte(byte: u8) -> Option<Self> {
        match byte {
            0x01 => Some(Self::Ed25519),
            0x04 => Some(Self::CosignatureV1),
            _ => None,
        }
    }
}

/// The key id of a named key: `SHA-256(name || 0x0A || type || key)[:4]`,
/// big-endian.
pub fn key_id(name: &str, kind: KeyKind, key: &VerifyingKey) -> u32 {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update([b'\n', kind.byte()]);
    h.update(key.as_bytes());
    let digest = h.finalize();
    u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]])
}

/// A key name is non-empty and has no Unicode space and no `+`.
pub fn is_valid_key_name(name: &str) -> bool {
    !name.is_empty() && !name.chars().any(|c| c.is_whitespace() || c == '+')
}

fn check_name(name: &str) -> Result<(), LedgerError> {
    if is_valid_key_name(name) {
        Ok(())
    } else {
        Err(LedgerError::InvalidKeyName {
            name: name.to_owned(),
        })
    }
}

/// A named Ed25519 private key with its key id; shared by [`Signer`] and
/// [`crate::Cosigner`].
#[derive(Clone)]
pub(crate) struct NamedKey {
    pub(crate) name: String,
    pub(crate) key: SigningKey,
    pub(crate) key_id: u32,
    pub(crate) kind: KeyKind,
}

impl NamedKey {
    pub(crate) fn new(name: &str, kind: KeyKind, key: SigningKey) -> Result<Self, LedgerError> {
        check_name(name)?;
        let key_id = key_id(name, kind, &key.verifying_key());
        Ok(Self {
            name: name.to_owned(),
            key,
            key_id,
            kind,
        })
    }

    pub(crate) fn generate<R: CryptoRng + RngCore>(
        name: &str,
        kind: KeyKind,
        rng: &mut R,
    ) -> Result<Self, LedgerError> {
        let mut seed = Zeroizing::new([0u8; 32]);
        rng.fill_bytes(seed.as_mut());
        Self::new(name, kind, SigningKey::from_bytes(&seed))
    }

    /// Parses `PRIVATE+KEY+<name>+<hex id>+<base64(type || seed)>`.
    pub(crate) fn parse(skey: &str, kind: KeyKind) -> Result<Self, LedgerError> {
        // The key itself is never echoed into the error.
        let invalid = |reason: &str| LedgerError::InvalidKey {
            kind: "signer",
            key: "PRIVATE+KEY+…".to_owned(),
            reason: reason.to_owned(),
        };
        let mut parts = skey.splitn(5, '+');
        let (Some("PRIVATE"), Some("KEY"), Some(name), Some(hex_id), Some(key64)) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(invalid("expected PRIVATE+KEY+<name>+<key id>+<key>"));
        };
        check_name(name)?;
        let id = parse_key_id(hex_id).ok_or_else(|| invalid("key id is not 8 hex digits"))?;
        let raw = Zeroizing::new(
            STANDARD
                .decode(key64)
                .map_err(|_| invalid("key is not base64"))?,
        );
        let (&type_byte, seed) = raw.split_first().ok_or_else(|| invalid("key is empty"))?;
        if type_byte != kind.byte() {
            return Err(invalid(&format!(
                "signature type {type_byte:#04x}, expected {:#04x}",
                kind.byte()
            )));
        }
        let seed: &[u8; 32] = seed
            .try_into()
            .map_err(|_| invalid("seed is not 32 bytes"))?;
        let named = Self::new(name, kind, SigningKey::from_bytes(seed))?;
        if named.key_id != id {
            return Err(invalid("key id does not match the key"));
        }
        Ok(named)
    }

    pub(crate) fn to_key_string(&self) -> Zeroizing<String> {
        let mut raw = Zeroizing::new(Vec::with_capacity(33));
        raw.push(self.kind.byte());
        raw.extend_from_slice(self.key.as_bytes());
        Zeroizing::new(format!(
            "PRIVATE+KEY+{}+{:08x}+{}",
            self.name,
            self.key_id,
            STANDARD.encode(raw.as_slice())
        ))
    }

    pub(crate) fn verifier(&self) -> Verifier {
        Verifier {
            name: self.name.clone(),
            key_id: self.key_id,
            kind: self.kind,
            key: self.key.verifying_key(),
        }
    }

    /// `— <name> base64(key id || signature)\n`.
    pub(crate) fn line(&self, signature: &[u8]) -> String {
        signature_line(&self.name, self.key_id, signature)
    }

    pub(crate) fn sign_bytes(&self, message: &[u8]) -> Signature {
        self.key.sign(message)
    }
}

impl fmt::Debug for NamedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NamedKey")
            .field("name", &self.name)
            .field("key_id", &format_args!("{:08x}", self.key_id))
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

fn parse_key_id(hex_id: &str) -> Option<u32> {
    if hex_id.len() != 8 || !hex_id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(hex_id, 16).ok()
}

/// `— <name> base64(key id || signature)\n`.
pub fn signature_line(name: &str, key_id: u32, signature: &[u8]) -> String {
    let mut raw = Vec::with_capacity(4 + signature.len());
    raw.extend_from_slice(&key_id.to_be_bytes());
    raw.extend_from_slice(signature);
    format!("{SIGNATURE_PREFIX}{name} {}\n", STANDARD.encode(raw))
}

/// Signs note texts with an Ed25519 key (signature type 0x01). Its `Debug`
/// shows the name and key id, never the key.
#[derive(Clone, Debug)]
pub struct Signer(NamedKey);

impl Signer {
    pub fn new(name: &str, key: SigningKey) -> Result<Self, LedgerError> {
        NamedKey::new(name, KeyKind::Ed25519, key).map(Self)
    }

    pub fn from_seed(name: &str, seed: &[u8; 32]) -> Result<Self, LedgerError> {
        Self::new(name, SigningKey::from_bytes(seed))
    }

    pub fn generate<R: CryptoRng + RngCore>(name: &str, rng: &mut R) -> Result<Self, LedgerError> {
        NamedKey::generate(name, KeyKind::Ed25519, rng).map(Self)
    }

    /// Parses a signer key string `PRIVATE+KEY+<name>+<hex id>+<base64>`.
    pub fn parse(skey: &str) -> Result<Self, LedgerError> {
        NamedKey::parse(skey, KeyKind::Ed25519).map(Self)
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

    pub fn verifier(&self) -> Verifier {
        self.0.verifier()
    }

    /// The signed note: `text`, a blank line, this key's signature line.
    /// The text must end in a newline and hold no control character but
    /// newlines.
    pub fn sign(&self, text: &str) -> Result<String, LedgerError> {
        let line = self.signature_line(text)?;
        Ok(format!("{text}\n{line}"))
    }

    /// Only this key's signature line over `text`, to add to a note.
    pub fn signature_line(&self, text: &str) -> Result<String, LedgerError> {
        check_text(text)?;
        Ok(self.0.line(&self.0.sign_bytes(text.as_bytes()).to_bytes()))
    }
}

fn check_text(text: &str) -> Result<(), LedgerError> {
    if !text.ends_with('\n') {
        return Err(LedgerError::malformed_note(
            "text does not end with a newline",
        ));
    }
    check_characters(text)
}

fn check_characters(msg: &str) -> Result<(), LedgerError> {
    match msg.chars().find(|&c| c < ' ' && c != '\n') {
        Some(c) => Err(LedgerError::malformed_note(format!(
            "control character U+{:04X} is not allowed",
            u32::from(c)
        ))),
        None => Ok(()),
    }
}

/// A public key that signatures in a note are checked against.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verifier {
    name: String,
    key_id: u32,
    kind: KeyKind,
    key: VerifyingKey,
}

impl Verifier {
    pub fn new(name: &str, kind: KeyKind, key: VerifyingKey) -> Result<Self, LedgerError> {
        check_name(name)?;
        Ok(Self {
            name: name.to_owned(),
            key_id: key_id(name, kind, &key),
            kind,
            key,
        })
    }

    /// Parses a verifier key string `<name>+<hex id>+<base64(type || key)>`
    /// of type 0x01 (Ed25519) or 0x04 (cosignature/v1).
    pub fn parse(vkey: &str) -> Result<Self, LedgerError> {
        let invalid = |reason: &str| LedgerError::InvalidKey {
            kind: "verifier",
            key: vkey.to_owned(),
            reason: reason.to_owned(),
        };
        let mut parts = vkey.splitn(3, '+');
        let (Some(name), Some(hex_id), Some(key64)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(invalid("expected <name>+<key id>+<key>"));
        };
        check_name(name)?;
        let id = parse_key_id(hex_id).ok_or_else(|| invalid("key id is not 8 hex digits"))?;
        let raw = STANDARD
            .decode(key64)
            .map_err(|_| invalid("key is not base64"))?;
        let (&type_byte, key) = raw.split_first().ok_or_else(|| invalid("key is empty"))?;
        let kind = KeyKind::from_byte(type_byte).ok_or_else(|| {
            invalid(&format!(
                "unsupported signature type {type_byte:#04x} (expected 0x01 or 0x04)"
            ))
        })?;
        let key: &[u8; 32] = key
            .try_into()
            .map_err(|_| invalid("public key is not 32 bytes"))?;
        let key =
            VerifyingKey::from_bytes(key).map_err(|_| invalid("not an Ed25519 public key"))?;
        let verifier = Self::new(name, kind, key)?;
        if verifier.key_id != id {
            return Err(invalid("key id does not match the key"));
        }
        Ok(verifier)
    }

    pub fn to_key_string(&self) -> String {
        let mut raw = vec![self.kind.byte()];
        raw.extend_from_slice(self.key.as_bytes());
        format!("{}+{:08x}+{}", self.name, self.key_id, STANDARD.encode(raw))
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    pub fn kind(&self) -> KeyKind {
        self.kind
    }

    pub fn verifying_key(&self) -> &VerifyingKey {
        &self.key
    }

    /// Checks one signature (without its key id) over `text`. `Some` when
    /// it verifies, holding the cosignature's timestamp if it is one.
    fn check(&self, text: &str, signature: &[u8]) -> Option<Option<u64>> {
        match self.kind {
            KeyKind::Ed25519 => {
                let signature = Signature::from_slice(signature).ok()?;
                self.key.verify_strict(text.as_bytes(), &signature).ok()?;
                Some(None)
            }
            KeyKind::CosignatureV1 => cosignature::verify(&self.key, text, signature).map(Some),
        }
    }
}

/// One signature line of a note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteSignature {
    pub name: String,
    pub key_id: u32,
    /// The signature bytes after the key id.
    pub signature: Vec<u8>,
}

impl NoteSignature {
    pub fn line(&self) -> String {
        signature_line(&self.name, self.key_id, &self.signature)
    }

    fn parse(line: &str) -> Result<Self, LedgerError> {
        let rest = line.strip_prefix(SIGNATURE_PREFIX).ok_or_else(|| {
            LedgerError::malformed_note(format!(
                "signature line {line:?} does not start with \"— \""
            ))
        })?;
        let (name, b64) = rest.split_once(' ').unwrap_or((rest, ""));
        if !is_valid_key_name(name) {
            return Err(LedgerError::malformed_note(format!(
                "signature line {line:?} has an invalid key name"
            )));
        }
        let raw = STANDARD.decode(b64).map_err(|_| {
            LedgerError::malformed_note(format!("signature line {line:?} is not base64"))
        })?;
        if raw.len() < 5 {
            return Err(LedgerError::malformed_note(format!(
                "signature line {line:?} is too short"
            )));
        }
        Ok(Self {
            name: name.to_owned(),
            key_id: u32::from_be_bytes([raw[0], raw[1], raw[2], raw[3]]),
            signature: raw[4..].to_vec(),
        })
    }
}

/// A note taken apart, nothing verified yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// The text, ending in a newline, without the blank line.
    pub text: String,
    pub signatures: Vec<NoteSignature>,
}

impl Note {
    /// Splits a signed note into text and signature lines, checking the
    /// format only.
    pub fn parse(msg: &str) -> Result<Self, LedgerError> {
        check_characters(msg)?;
        let split = msg
            .rfind("\n\n")
            .ok_or_else(|| LedgerError::malformed_note("no blank line before the signatures"))?;
        let (text, block) = (&msg[..=split], &msg[split + 2..]);
        if block.is_empty() {
            return Err(LedgerError::malformed_note("no signature lines"));
        }
        let Some(block) = block.strip_suffix('\n') else {
            return Err(LedgerError::malformed_note(
                "signature lines do not end with a newline",
            ));
        };
        let lines: Vec<&str> = block.split('\n').collect();
        if lines.len() > MAX_SIGNATURES {
            return Err(LedgerError::malformed_note(format!(
                "{} signature lines, more than {MAX_SIGNATURES}",
                lines.len()
            )));
        }
        let signatures = lines
            .into_iter()
            .map(NoteSignature::parse)
            .collect::<Result<_, _>>()?;
        Ok(Self {
            text: text.to_owned(),
            signatures,
        })
    }
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)?;
        f.write_str("\n")?;
        for s in &self.signatures {
            f.write_str(&s.line())?;
        }
        Ok(())
    }
}

/// A signature that verified against a known key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedSignature {
    pub name: String,
    pub key_id: u32,
    pub kind: KeyKind,
    /// The time a cosignature states, in seconds since the epoch.
    pub timestamp: Option<u64>,
}

/// A note whose signatures were checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenedNote {
    pub text: String,
    /// The signatures by known keys, each verified, each key once.
    pub verified: Vec<VerifiedSignature>,
    /// The signatures by keys not among the verifiers, unchecked.
    pub unknown: Vec<NoteSignature>,
}

impl OpenedNote {
    /// The names of the keys whose signatures verified.
    pub fn signer_names(&self) -> Vec<&str> {
        self.verified.iter().map(|s| s.name.as_str()).collect()
    }

    /// Whether `verifier`'s key signed the note.
    pub fn is_signed_by(&self, verifier: &Verifier) -> bool {
        self.verified.iter().any(|s| {
            s.name == verifier.name && s.key_id == verifier.key_id && s.kind == verifier.kind
        })
    }
}

/// Parses `msg` and checks its signatures against `verifiers`, as C2SP
/// signed-note says: signatures by unknown keys (name and key id not both
/// known) are ignored, a known key's signature that fails rejects the whole
/// note, and a note with no verified signature is rejected.
pub fn open(msg: &str, verifiers: &[Verifier]) -> Result<OpenedNote, LedgerError> {
    let note = Note::parse(msg)?;
    let mut verified = Vec::new();
    let mut unknown = Vec::new();
    let mut seen = HashSet::new();
    for sig in note.signatures {
        let mut matching = verifiers
            .iter()
            .filter(|v| v.name == sig.name && v.key_id == sig.key_id);
        let Some(verifier) = matching.next() else {
            if !unknown.contains(&sig) {
                unknown.push(sig);
            }
            continue;
        };
        if matching.next().is_some() {
            return Err(LedgerError::AmbiguousKey {
                name: sig.name,
                key_id: sig.key_id,
            });
        }
        if !seen.insert((sig.name.clone(), sig.key_id)) {
            continue;
        }
        let Some(timestamp) = verifier.check(&note.text, &sig.signature) else {
            return Err(LedgerError::InvalidSignature {
                name: sig.name,
                key_id: sig.key_id,
            });
        };
        verified.push(VerifiedSignature {
            name: sig.name,
            key_id: sig.key_id,
            kind: verifier.kind,
            timestamp,
        });
    }
    if verified.is_empty() {
        return Err(LedgerError::UnverifiedNote);
    }
    Ok(OpenedNote {
        text: note.text,
        verified,
        unknown,
    })
}

/// Adds signature lines (such as a witness's `add-checkpoint` response) to
/// a signed note, skipping lines the note already has.
pub fn append_signatures(msg: &str, lines: &str) -> Result<String, LedgerError> {
    let mut note = Note::parse(msg)?;
    check_characters(lines)?;
    let Some(block) = lines.strip_suffix('\n') else {
        return Err(LedgerError::malformed_note(
            "signature lines do not end with a newline",
        ));
    };
    for line in block.split('\n') {
        let sig = NoteSignature::parse(line)?;
        if !note.signatures.contains(&sig) {
            note.signatures.push(sig);
        }
    }
    if note.signatures.len() > MAX_SIGNATURES {
        return Err(LedgerError::malformed_note(format!(
            "{} signature lines, more than {MAX_SIGNATURES}",
            note.signatures.len()
        )));
    }
    Ok(note.to_string())
}
