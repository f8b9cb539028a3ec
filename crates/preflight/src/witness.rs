//! `preflight witness`: a C2SP tlog-witness for one Preflight ledger. It
//! cosigns a checkpoint only if it is consistent with the last one it saw.

use crate::config::write_private;
use crate::serve;
use anyhow::{Context, Result};
use clap::Args;
use preflight_ledger::{Cosigner, Verifier, Witness};
use preflight_server::witness::{WitnessService, witness_app};
use rand::RngCore;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[derive(Debug, Args)]
pub struct WitnessArgs {
    /// Directory for the witness's key and its latest cosigned checkpoint.
    #[arg(
        long,
        env = "PREFLIGHT_WITNESS_DIR",
        default_value = "./preflight-witness"
    )]
    pub data_dir: PathBuf,
    #[arg(long, default_value = "127.0.0.1:8090")]
    pub listen: SocketAddr,
    /// The verifier key of the log to witness (from `preflight serve`'s log).
    #[arg(long)]
    pub log_key: String,
}

/// A witness ready to serve: the service and its verifier key.
pub fn open(data_dir: &Path, log_key: &str) -> Result<(Arc<WitnessService>, String)> {
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("creating {}", data_dir.display()))?;
    let log = Verifier::parse(log_key.trim()).context("--log-key is not a verifier key")?;
    let key_file = data_dir.join("witness.key");
    if !key_file.exists() {
        let mut id = [0u8; 4];
        rand::rngs::OsRng.fill_bytes(&mut id);
        let name = format!("preflight.local/witness-{}", hex::encode(id));
        let cosigner = Cosigner::generate(&name, &mut rand::rngs::OsRng)?;
        write_private(&key_file, cosigner.to_key_string().as_bytes())?;
    }
    let text = std::fs::read_to_string(&key_file)
        .with_context(|| format!("reading {}", key_file.display()))?;
    let cosigner = Cosigner::parse(text.trim()).context("witness.key")?;
    let verifier = cosigner.verifier().to_key_string();
    let state_file = data_dir.join(format!("{}.checkpoint", hex::encode(log.name().as_bytes())));
    let last = WitnessService::load_state(&state_file)
        .with_context(|| format!("reading {}", state_file.display()))?;
    let origin = log.name().to_owned();
    let witness = Witness::new(&origin, vec![log], cosigner, last)?;
    Ok((Arc::new(WitnessService::new(witness, state_file)), verifier))
}

pub async fn run(args: WitnessArgs) -> Result<()> {
    serve::init_logging("info");
    let (service, verifier) = open(&args.data_dir, &args.log_key)?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("binding {}", args.listen))?;
    println!("witness key: {verifier}");
    println!(
        "add-checkpoint: http://{}/add-checkpoint",
        listener.local_addr()?
    );
    axum::serve(listener, witness_app(service))
        .with_graceful_shutdown(serve::shutdown_signal())
        .await?;
    Ok(())
}
