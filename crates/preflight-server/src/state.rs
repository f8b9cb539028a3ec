use crate::ledger::LedgerSettings;
use preflight_store::{MasterKey, Store, TokenPepper};
use std::sync::Arc;

/// What every handler shares.
#[derive(Clone, Debug)]
pub struct AppState {
    pub store: Store,
    pub pepper: TokenPepper,
    pub master: MasterKey,
    pub ledger: LedgerSettings,
    pub(crate) tiles: crate::ledger::FullTileCache,
    pub(crate) metrics: Arc<crate::metrics::Metrics>,
}

impl AppState {
    /// State with a throwaway ledger key; see [`AppState::with_ledger`].
    pub fn new(store: Store, pepper: TokenPepper, master: MasterKey) -> Self {
        Self {
            store,
            pepper,
            master,
            ledger: LedgerSettings::ephemeral(),
            tiles: Default::default(),
            metrics: crate::metrics::Metrics::install(),
        }
    }

    pub fn with_ledger(mut self, ledger: LedgerSettings) -> Self {
        self.ledger = ledger;
        self
    }
}
