//! The confidential model-access gateway: an OpenAI-compatible endpoint
//! (`/v1/chat/completions`, `/v1/models`) in front of the developer's model.
//!
//! A call passes only with a live reviewer token, under the latest terms both
//! sides signed, in the caller's phase and window, within the terms' limits.
//! Its start is committed to the audit ledger before the first byte goes
//! upstream; the answer is relayed frame by frame; usage, timing and the
//! transcript (sealed under the review's data key) are recorded behind it.
//! The upstream credential is opened only in memory and scrubbed from
//! anything the upstream sends back.

mod admission;
mod clock;
mod ended_call;
mod journal;
mod limits;
mod metrics;
mod models;
mod refusal;
mod relay;
mod relayed_frames;
pub mod retention;
mod sent_body;
mod transcript;
mod upstream;

pub use clock::Clock;
pub use metrics::GatewayMetrics;
pub use refusal::Refusal;

use axum::Router;
use axum::routing::{get, post};
use preflight_store::{MasterKey, Store, TokenPepper};
use std::time::Duration;

/// Timeouts and sizes of the gateway.
#[derive(Clone, Debug)]
pub struct GatewaySettings {
    /// Longest wait for the upstream's answer to begin.
    pub first_byte_timeout: Duration,
    /// Longest silence between two pieces of a streamed answer, and longest
    /// wait for the rest of a plain answer.
    pub idle_timeout: Duration,
    /// Largest request body accepted.
    pub max_request_bytes: usize,
    /// `max_tokens` sent to an Anthropic upstream when the caller set none.
    pub default_max_tokens: u32,
    /// Whether each call's record waits for the disk before the call goes
    /// upstream. Off, the record is committed before the call (it survives
    /// a crash of the process) and reaches the disk with the ledger's next
    /// synced commit, within about a second; a power cut can lose at most
    /// those records, never one a published checkpoint covers.
    pub sync_each_call: bool,
}

impl Default for GatewaySettings {
    fn default() -> Self {
        Self {
            first_byte_timeout: Duration::from_secs(300),
            idle_timeout: Duration::from_secs(300),
            max_request_bytes: 16 * 1024 * 1024,
            default_max_tokens: 4096,
            sync_each_call: false,
        }
    }
}

/// What the gateway's handlers share.
#[derive(Clone, Debug)]
pub struct GatewayState {
    pub(crate) store: Store,
    pub(crate) pepper: TokenPepper,
    pub(crate) master: MasterKey,
    pub(crate) settings: GatewaySettings,
    pub(crate) http: preflight_http::Client,
    pub(crate) limiter: limits::Limiter,
    pub(crate) journal: journal::Journal,
    pub(crate) upstreams: upstream::UpstreamCache,
    pub(crate) admissions: admission::AdmissionCache,
    pub clock: Clock,
    pub metrics: GatewayMetrics,
}

impl GatewayState {
    /// The gateway over `store`; starts its journal writers on the current
    /// runtime. Call [`GatewayState::close`] on shutdown.
    pub fn start(
        store: Store,
        pepper: TokenPepper,
        master: MasterKey,
        settings: GatewaySettings,
    ) -> Self {
        // The relay keeps its own first-byte and idle deadlines; the
        // client's read deadline, a second later, only backs them up.
        let http = preflight_http::Client::new(preflight_http::Config {
            connect_timeout: Duration::from_secs(10),
            read_timeout: settings.first_byte_timeout.max(settings.idle_timeout)
                + Duration::from_secs(1),
            max_idle_per_origin: 1024,
            idle_timeout: Duration::from_secs(90),
            proxies: preflight_http::Proxies::from_env().unwrap_or_else(|error| {
                tracing::warn!(%error, "proxy settings ignored; upstreams are called directly");
                preflight_http::Proxies::default()
            }),
        });
        Self {
            journal: journal::Journal::start(
                store.clone(),
                master.clone(),
                settings.sync_each_call,
            ),
            store,
            pepper,
            master,
            settings,
            http,
            limiter: Default::default(),
            upstreams: Default::default(),
            admissions: Default::default(),
            clock: Clock::default(),
            metrics: GatewayMetrics::default(),
        }
    }

    /// Records what is still queued and stops the journal writers.
    pub async fn close(&self) {
        self.journal.close().await;
    }
}

/// The gateway's routes (`/v1/...`), with their state applied, ready to be
/// merged into any router.
pub fn router<S: Clone + Send + Sync + 'static>(state: GatewayState) -> Router<S> {
    let limit = state.settings.max_request_bytes;
    Router::new()
        .route("/v1/chat/completions", post(relay::chat_completions))
        .route("/v1/models", get(models::list))
        .route("/v1/models/{model}", get(models::one))
        .layer(axum::extract::DefaultBodyLimit::max(limit))
        .with_state(state)
}
