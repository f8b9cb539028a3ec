//! The running ledger: the integrator that turns entries into tiles and
//! signed checkpoints, and the tile reader that serves proofs from storage.

mod integrator;
mod reader;

pub use integrator::{integrate_pending, run_integrator};
pub use reader::FullTileCache;
pub(crate) use reader::with_tiles;

use preflight_ledger::Signer;
use std::sync::Arc;

/// How the ledger signs and who may read it.
#[derive(Clone, Debug)]
pub struct LedgerSettings {
    /// Signs checkpoints; its name is the log's origin.
    pub signer: Arc<Signer>,
    /// Serve the checkpoint, tiles and proofs without a token (for a CDN).
    pub public: bool,
}

impl LedgerSettings {
    /// A fresh key, for tests and throwaway instances.
    pub fn ephemeral() -> Self {
        let signer = Signer::generate("preflight.invalid/ephemeral-ledger", &mut rand::rngs::OsRng)
            .expect("a fixed valid key name");
        Self {
            signer: Arc::new(signer),
            public: false,
        }
    }

    pub fn origin(&self) -> &str {
        self.signer.name()
    }
}
