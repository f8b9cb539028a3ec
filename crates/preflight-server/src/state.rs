use preflight_store::{MasterKey, Store, TokenPepper};
use std::sync::Arc;

/// What every handler shares.
#[derive(Clone, Debug)]
pub struct AppState {
    pub store: Store,
    pub pepper: TokenPepper,
    pub master: MasterKey,
    pub(crate) metrics: Arc<crate::metrics::Metrics>,
}

impl AppState {
    pub fn new(store: Store, pepper: TokenPepper, master: MasterKey) -> Self {
        Self {
            store,
            pepper,
            master,
            metrics: crate::metrics::Metrics::install(),
        }
    }
}
