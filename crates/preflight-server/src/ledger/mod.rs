//! The running ledger: the integrator that turns entries into tiles and
//! signed checkpoints, the tile reader and the proofs it serves, and the
//! submission of checkpoints to witnesses.

mod integrator;
mod proofs;
mod reader;
mod witnessing;

pub use integrator::{integrate_pending, run_integrator};
pub use proofs::{ProofError, consistency_proof, inclusion_proof};
pub use reader::TileCache;
pub use witnessing::WitnessProgress;

use preflight_ledger::{Signer, Verifier};
use std::sync::Arc;

/// How the ledger signs, who may read it and who witnesses it.
#[derive(Clone, Debug)]
pub struct LedgerSettings {
    /// Signs checkpoints; its name is the log's origin.
    pub signer: Arc<Signer>,
    /// Serve the checkpoint, tiles and proofs without a token (for a CDN).
    pub public: bool,
    /// Witnesses asked to cosign each new checkpoint.
    pub witnesses: Vec<WitnessEndpoint>,
}

/// A witness the log submits its checkpoints to.
#[derive(Clone, Debug)]
pub struct WitnessEndpoint {
    /// Base URL; requests go to `{url}/add-checkpoint`.
    pub url: String,
    pub key: Verifier,
}

impl LedgerSettings {
    /// A fresh key, for tests and throwaway instances.
    pub fn ephemeral() -> Self {
        let signer = Signer::generate("preflight.invalid/ephemeral-ledger", &mut rand::rngs::OsRng)
            .expect("a fixed valid key name");
        Self {
            signer: Arc::new(signer),
            public: false,
            witnesses: Vec::new(),
        }
    }

    pub fn origin(&self) -> &str {
        self.signer.name()
    }
}
