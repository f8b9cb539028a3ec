use crate::ledger::LedgerSettings;
use preflight_gateway::{GatewaySettings, GatewayState};
use preflight_store::{MasterKey, Store, TokenPepper};
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::Notify;

/// What every handler shares.
#[derive(Clone, Debug)]
pub struct AppState {
    pub store: Store,
    pub pepper: TokenPepper,
    pub master: MasterKey,
    pub ledger: LedgerSettings,
    pub gateway: GatewayState,
    /// Where the suite files the government may run are.
    pub suites_dir: PathBuf,
    /// Where the in-process evaluation worker keeps its run logs; `None`
    /// runs no worker inside `serve`.
    pub evaluation_logs: Option<PathBuf>,
    /// Wakes the evaluation worker when a run is queued.
    pub(crate) evaluation_wakeup: Arc<Notify>,
    pub(crate) tiles: crate::ledger::TileCache,
    pub(crate) metrics: Arc<crate::metrics::Metrics>,
    pub(crate) suite_flags: crate::flags::SuiteFlags,
    /// The clearinghouse's name on what it publishes (CSAF publisher, STIX identity).
    pub clearinghouse_name: String,
    /// A URL naming the clearinghouse (CSAF `publisher.namespace`).
    pub clearinghouse_namespace: String,
    /// Wakes the webhook sender when a release queues notifications.
    pub(crate) webhook_wakeup: Arc<Notify>,
    pub web: crate::web::WebSettings,
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
            suites_dir: PathBuf::from("suites"),
            evaluation_logs: None,
            evaluation_wakeup: Arc::default(),
            tiles: Default::default(),
            suite_flags: Default::default(),
            clearinghouse_name: "Preflight clearinghouse".to_owned(),
            clearinghouse_namespace: "https://preflight.invalid".to_owned(),
            webhook_wakeup: Arc::default(),
            web: Default::default(),
        }
    }

    pub fn with_suites_dir(mut self, dir: PathBuf) -> Self {
        self.suites_dir = dir;
        self
    }

    /// Runs an evaluation worker inside `serve`, with its logs in `dir`.
    pub fn with_evaluation_worker(mut self, dir: PathBuf) -> Self {
        self.evaluation_logs = Some(dir);
        self
    }

    pub fn with_ledger(mut self, ledger: LedgerSettings) -> Self {
        self.ledger = ledger;
        self
    }
}
