//! A person's Ed25519 signing key, kept in a key file they hold. The server
//! only ever sees the public half.

use crate::config::write_private;
use anyhow::{Context, Result};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use clap::Args;
use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use std::path::{Path, PathBuf};

#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// Where to write the private key (PKCS#8 PEM, mode 0600). Must not exist.
    #[arg(long)]
    pub key_file: PathBuf,
}

pub fn keygen(args: &KeygenArgs) -> Result<()> {
    let key = generate(&args.key_file)?;
    println!("{}", public_key_b64(&key));
    Ok(())
}

pub fn generate(path: &Path) -> Result<SigningKey> {
    let key = SigningKey::generate(&mut rand::rngs::OsRng);
    let pem = key
        .to_pkcs8_pem(LineEnding::LF)
        .context("encoding the key")?;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    write_private(path, pem.as_bytes())?;
    Ok(key)
}

pub fn load(path: &Path) -> Result<SigningKey> {
    let pem = std::fs::read_to_string(path)
        .with_context(|| format!("reading key file {}", path.display()))?;
    SigningKey::from_pkcs8_pem(&pem)
        .with_context(|| format!("{} is not a PKCS#8 Ed25519 key", path.display()))
}

pub fn public_key_b64(key: &SigningKey) -> String {
    B64.encode(key.verifying_key().as_bytes())
}

/// Signs the server-provided payload after checking it is exactly what the
/// document says, so the server cannot slip other bytes under a signature.
pub fn sign_terms(key: &SigningKey, version: &serde_json::Value) -> Result<String> {
    use ed25519_dalek::Signer;
    let document: preflight_core::terms::TermsDocument =
        serde_json::from_value(version["document"].clone())
            .context("the server's terms document does not parse")?;
    let payload = B64
        .decode(version["signing_payload"].as_str().unwrap_or_default())
        .context("signing_payload is not base64")?;
    anyhow::ensure!(
        payload == document.signing_payload(),
        "the server's signing payload does not match the terms document; refusing to sign"
    );
    Ok(B64.encode(key.sign(&payload).to_bytes()))
}
