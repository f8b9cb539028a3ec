//! Configuration at the edge: where the store lives and the instance's keys.

use anyhow::{Context, Result};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use clap::Args;
use preflight_ledger::{Signer, Verifier};
use preflight_server::ledger::{LedgerSettings, WitnessEndpoint};
use preflight_store::{MasterKey, Store, TokenPepper};
use rand::RngCore;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Where the store and the instance keys live.
#[derive(Debug, Clone, Args)]
pub struct StoreArgs {
    /// Directory for the SQLite store, keys and files.
    #[arg(long, env = "PREFLIGHT_DATA_DIR", default_value = "./preflight-data")]
    pub data_dir: PathBuf,
    /// Use PostgreSQL instead of the embedded SQLite store.
    #[arg(
        long,
        env = "PREFLIGHT_DATABASE_URL",
        value_name = "postgres://...",
        hide_env_values = true
    )]
    pub database_url: Option<String>,
    /// Serve the ledger's checkpoint, tiles and proofs to anyone (by default
    /// only to participants with a token).
    #[arg(long, env = "PREFLIGHT_LEDGER_PUBLIC")]
    pub ledger_public: bool,
    /// A witness to cosign the ledger's checkpoints, as URL=VERIFIER_KEY
    /// (see `preflight witness`); repeatable.
    #[arg(
        long = "witness",
        env = "PREFLIGHT_WITNESSES",
        value_delimiter = ',',
        value_name = "URL=KEY"
    )]
    pub witnesses: Vec<String>,
}

/// How the model-access gateway behaves (for `serve` and `gateway`).
#[derive(Debug, Clone, clap::Args)]
pub struct GatewayOptions {
    /// Make each batch of call records wait for the disk before the calls go
    /// upstream (by default they are committed first and synced with the
    /// ledger's next commit, within about a second).
    #[arg(long, env = "PREFLIGHT_GATEWAY_SYNC_EACH_CALL")]
    pub gateway_sync_each_call: bool,
    /// Seconds to wait for the model's server to start answering.
    #[arg(
        long,
        env = "PREFLIGHT_GATEWAY_FIRST_BYTE_TIMEOUT",
        default_value_t = 300
    )]
    pub gateway_first_byte_timeout: u64,
    /// Seconds of silence tolerated inside an answer.
    #[arg(long, env = "PREFLIGHT_GATEWAY_IDLE_TIMEOUT", default_value_t = 300)]
    pub gateway_idle_timeout: u64,
}

impl GatewayOptions {
    pub fn settings(&self) -> preflight_gateway::GatewaySettings {
        preflight_gateway::GatewaySettings {
            sync_each_call: self.gateway_sync_each_call,
            first_byte_timeout: std::time::Duration::from_secs(self.gateway_first_byte_timeout),
            idle_timeout: std::time::Duration::from_secs(self.gateway_idle_timeout),
            ..Default::default()
        }
    }
}

/// Where benchmark suites are and who runs them (for `serve` and `worker`).
#[derive(Debug, Clone, clap::Args)]
pub struct EvaluationOptions {
    /// The suite files government evaluators may attach to a review.
    #[arg(long, env = "PREFLIGHT_SUITES_DIR", default_value = "suites")]
    pub suites_dir: PathBuf,
    /// Run no evaluation worker inside this process (runs then wait for a
    /// `preflight worker`).
    #[arg(long, env = "PREFLIGHT_NO_EVALUATION_WORKER")]
    pub no_evaluation_worker: bool,
}

impl EvaluationOptions {
    /// `state` with the suite directory and, unless disabled, the worker
    /// keeping its run logs under `data_dir/evaluations`.
    pub fn apply(
        &self,
        state: preflight_server::AppState,
        data_dir: &Path,
    ) -> preflight_server::AppState {
        let state = state.with_suites_dir(self.suites_dir.clone());
        if self.no_evaluation_worker {
            state
        } else {
            state.with_evaluation_worker(data_dir.join("evaluations"))
        }
    }
}

/// The opened store with the instance secrets.
#[derive(Debug)]
pub struct Instance {
    pub store: Store,
    pub master: MasterKey,
    pub pepper: TokenPepper,
    pub ledger: LedgerSettings,
}

impl Instance {
    /// The server state for this instance, with the gateway's defaults.
    pub fn app_state(&self) -> preflight_server::AppState {
        self.app_state_with(Default::default())
    }

    pub fn app_state_with(
        &self,
        gateway: preflight_gateway::GatewaySettings,
    ) -> preflight_server::AppState {
        preflight_server::AppState::with_gateway_settings(
            self.store.clone(),
            self.pepper.clone(),
            self.master.clone(),
            gateway,
        )
        .with_ledger(self.ledger.clone())
    }
}

impl StoreArgs {
    pub async fn open(&self) -> Result<Instance> {
        std::fs::create_dir_all(&self.data_dir)
            .with_context(|| format!("creating data directory {}", self.data_dir.display()))?;
        let url = match &self.database_url {
            Some(url) => url.clone(),
            None => Store::sqlite_url(&self.data_dir),
        };
        let store = Store::open(&url).await.with_context(|| {
            format!("opening the store at {}", preflight_store::redact_url(&url))
        })?;
        let master = match std::env::var("PREFLIGHT_MASTER_KEY") {
            Ok(text) => MasterKey::from_base64(&text).context("PREFLIGHT_MASTER_KEY")?,
            Err(_) => {
                let text = secret_file(&self.data_dir.join("master.key"), || {
                    MasterKey::generate().to_base64().to_string()
                })?;
                MasterKey::from_base64(&text).context("master.key")?
            }
        };
        let pepper_text = match std::env::var("PREFLIGHT_TOKEN_PEPPER") {
            Ok(text) => text,
            Err(_) => secret_file(&self.data_dir.join("token-pepper.key"), || {
                let mut bytes = [0u8; 32];
                rand::rngs::OsRng.fill_bytes(&mut bytes);
                B64.encode(bytes)
            })?,
        };
        let pepper = TokenPepper::new(pepper_text.trim().as_bytes().to_vec());
        let ledger_key = match std::env::var("PREFLIGHT_LEDGER_KEY") {
            Ok(text) => text,
            Err(_) => secret_file(&self.data_dir.join("ledger.key"), new_ledger_key)?,
        };
        let signer =
            Signer::parse(ledger_key.trim()).context("the ledger signing key (ledger.key)")?;
        let witnesses = self
            .witnesses
            .iter()
            .map(|w| {
                let (url, key) = w
                    .split_once('=')
                    .with_context(|| format!("--witness {w:?} is not URL=KEY"))?;
                let key = Verifier::parse(key).with_context(|| format!("--witness key {key:?}"))?;
                Ok(WitnessEndpoint {
                    url: url.to_owned(),
                    key,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let ledger = LedgerSettings {
            witnesses,
            signer: Arc::new(signer),
            public: self.ledger_public,
        };
        Ok(Instance {
            store,
            master,
            pepper,
            ledger,
        })
    }
}

/// A fresh ledger signing key named `preflight.local/ledger-<8 hex digits>`.
fn new_ledger_key() -> String {
    let mut id = [0u8; 4];
    rand::rngs::OsRng.fill_bytes(&mut id);
    let name = format!("preflight.local/ledger-{}", hex::encode(id));
    Signer::generate(&name, &mut rand::rngs::OsRng)
        .map(|s| s.to_key_string().to_string())
        .unwrap_or_default()
}

/// Reads a secret file, creating it (mode 0600) with `make` if absent.
fn secret_file(path: &Path, make: impl FnOnce() -> String) -> Result<String> {
    if path.exists() {
        return std::fs::read_to_string(path)
            .with_context(|| format!("reading {}", path.display()));
    }
    let text = make();
    write_private(path, text.as_bytes())?;
    Ok(text)
}

/// Writes a file only its owner can read.
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    options.mode(0o600);
    let mut file = options
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    file.write_all(bytes)
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}
