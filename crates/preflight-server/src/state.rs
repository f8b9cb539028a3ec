use crate::ledger::LedgerSettings;
use preflight_gateway::{GatewaySettings, GatewayState};
use preflight_store::{MasterKey, Store, TokenPepper};
use std::sync::Arc;

/// What every handler shares.
#[derive(Clone, Debug)]
pub struct AppState {
    pub store: Store,
    pub pepper: TokenPepper,
    pub master: MasterKey,
    pub ledger: LedgerSettings,
    pub gateway: GatewayState,
    pub(crate) tiles: crate::ledger::FullTileCache,
    pub(crate) metrics: Arc<crate::metrics::Metrics>,
}

impl AppState {
    /// State with a throwaway ledger key (see [`AppState::with_ledger`]) and
    /// the gateway's default settings. Starts the gateway's journal writers
    /// on the current runtime.
    pub fn new(store: Store, pepper: TokenPepper, master: MasterKey) -> Self {
        Self::with_gateway_settings(store, pepper, master, GatewaySettings::default())
    }

    pub fn with_gateway_settings(
        store: Store,
        pepper: TokenPepper,
        master: MasterKey,
        settings: GatewaySettings,
    ) -> Self {
        let gateway = GatewayState::start(store.clone(), pepper.clone(), master.clone(), settings);
        Self {
            metrics: crate::metrics::Metrics::install(&gateway.metrics),
            store,
            pepper,
            master,
            ledger: LedgerSettings::ephemeral(),
            gateway,
            tiles: Default::default(),
        }
    }

    pub fn with_ledger(mut self, ledger: LedgerSettings) -> Self {
        self.ledger = ledger;
        self
    }
}
