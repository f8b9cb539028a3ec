use crate::config::{EvaluationOptions, GatewayOptions, StoreArgs};
use anyhow::{Context, Result};
use clap::Args;
use std::net::SocketAddr;

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// Address to listen on.
    #[arg(long, env = "PREFLIGHT_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    #[command(flatten)]
    pub gateway: GatewayOptions,
    #[command(flatten)]
    pub evaluation: EvaluationOptions,
    /// Send the web interface's cookies without `Secure`, for an instance
    /// browsed over plain HTTP on a host other than localhost. Browsers send
    /// `Secure` cookies only over HTTPS (and to localhost); keep them on
    /// behind TLS.
    #[arg(long, env = "PREFLIGHT_WEB_INSECURE_COOKIES")]
    pub web_insecure_cookies: bool,
}

#[derive(Debug, Args)]
pub struct WorkerArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// The gateway the runs call the model through (a `serve` or `gateway`
    /// of the same instance).
    #[arg(
        long,
        env = "PREFLIGHT_GATEWAY_URL",
        default_value = "http://127.0.0.1:8080/v1"
    )]
    pub gateway_url: String,
    /// The suite files.
    #[arg(long, env = "PREFLIGHT_SUITES_DIR", default_value = "suites")]
    pub suites_dir: std::path::PathBuf,
    /// Requests in flight at once per run (the terms' limits still apply).
    #[arg(long, default_value_t = 4)]
    pub max_connections: usize,
}

#[derive(Debug, Args)]
pub struct GatewayArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// Address to listen on.
    #[arg(
        long,
        env = "PREFLIGHT_GATEWAY_LISTEN",
        default_value = "127.0.0.1:8081"
    )]
    pub listen: SocketAddr,
    #[command(flatten)]
    pub gateway: GatewayOptions,
}

pub fn init_logging(default: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

pub async fn run(args: ServeArgs) -> Result<()> {
    init_logging("info");
    let instance = args.store.open().await?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("binding {}", args.listen))?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, backend = ?instance.store.backend(), "preflight serving");
    tracing::info!(
        log_key = %instance.ledger.signer.verifier().to_key_string(),
        "ledger verifier key"
    );
    let mut state = args.evaluation.apply(
        instance.app_state_with(args.gateway.settings()),
        &args.store.data_dir,
    );
    state.web.secure_cookies = !args.web_insecure_cookies;
    preflight_server::serve(listener, state, shutdown_signal()).await?;
    instance.store.close().await;
    tracing::info!("preflight stopped");
    Ok(())
}

/// Serves only the gateway, on the same store (and keys) as `serve`.
pub async fn run_gateway(args: GatewayArgs) -> Result<()> {
    init_logging("info");
    let instance = args.store.open().await?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("binding {}", args.listen))?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, backend = ?instance.store.backend(), "preflight gateway serving");
    let state = instance.app_state_with(args.gateway.settings());
    preflight_server::serve_gateway(listener, state, shutdown_signal()).await?;
    instance.store.close().await;
    tracing::info!("preflight gateway stopped");
    Ok(())
}

/// Runs evaluation runs queued on the instance's store until stopped.
pub async fn run_worker(args: WorkerArgs) -> Result<()> {
    init_logging("info");
    let instance = args.store.open().await?;
    let state = instance
        .app_state()
        .with_suites_dir(args.suites_dir.clone());
    let settings = preflight_server::worker::WorkerSettings {
        gateway_url: args.gateway_url.trim_end_matches('/').to_owned(),
        name: format!("worker-{}", std::process::id()),
        log_dir: args.store.data_dir.join("evaluations"),
        max_connections: args.max_connections.max(1),
    };
    tracing::info!(gateway = %settings.gateway_url, name = %settings.name, "preflight worker started");
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let worker = tokio::spawn(preflight_server::worker::run_worker(
        state, settings, stop_rx,
    ));
    shutdown_signal().await;
    let _ = stop_tx.send(true);
    worker.await.context("the worker stopped abnormally")?;
    instance.store.close().await;
    tracing::info!("preflight worker stopped");
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
