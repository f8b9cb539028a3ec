//! `preflight`: the server, the admin and client commands, and the demo.

mod admin;
mod client;
mod config;
mod demo;
mod demo_calls;
mod demo_clearinghouse;
mod eval_command;
mod eval_html;
mod eval_progress;
mod eval_validate;
mod keys;
mod ledger_verify;
mod local_model;
mod model_command;
mod review;
mod serve;
mod vuln_command;
mod witness;

use anyhow::Result;
use clap::{Parser, Subcommand};

/// Preflight: the voluntary pre-release cybersecurity review of frontier AI
/// models. The developer always keeps the final say on release.
#[derive(Debug, Parser)]
#[command(
    name = "preflight",
    version,
    after_help = "Example:\n  preflight demo\n  preflight serve --listen 127.0.0.1:8080"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server: the REST API under /api/v1, /healthz and /metrics.
    #[command(
        after_help = "Example:\n  preflight serve --data-dir ./preflight-data --listen 127.0.0.1:8080"
    )]
    Serve(serve::ServeArgs),
    /// Serve only the model-access gateway (/v1/chat/completions, /v1/models) on the same store.
    #[command(
        after_help = "Example:\n  preflight gateway --data-dir ./preflight-data --listen 127.0.0.1:8081"
    )]
    Gateway(serve::GatewayArgs),
    /// Run queued evaluation runs (beside `serve`, which also runs them unless told not to).
    #[command(
        after_help = "Example:\n  preflight worker --data-dir ./preflight-data --gateway-url http://127.0.0.1:8080/v1"
    )]
    Worker(serve::WorkerArgs),
    /// Walk one model through a whole review on a fresh store, then keep serving.
    #[command(
        after_help = "Example:\n  preflight demo\n  preflight demo --exit --data-dir /tmp/pf-demo"
    )]
    Demo(demo::DemoArgs),
    /// Instance administration, directly on the store.
    #[command(subcommand)]
    Admin(admin::AdminCommand),
    /// Make an Ed25519 signing key; prints its public key.
    #[command(after_help = "Example:\n  preflight keygen --key-file ~/.preflight/me.key")]
    Keygen(keys::KeygenArgs),
    /// Witness a Preflight ledger: cosign checkpoints consistent with the last one seen.
    #[command(
        after_help = "Example:\n  preflight witness --log-key 'preflight.local/ledger-1a2b3c4d+...' --listen 127.0.0.1:8090\n  preflight serve --witness 'http://127.0.0.1:8090=preflight.local/witness-...'"
    )]
    Witness(witness::WitnessArgs),
    /// Verify the tamper-evident audit ledger, or export its evidence.
    #[command(subcommand)]
    Ledger(ledger_verify::LedgerCommand),
    /// Benchmark suites against a model: run, report, compare.
    #[command(subcommand)]
    Eval(eval_command::EvalCommand),
    /// The clearinghouse's vulnerability files: import (one batch, all or nothing) and export.
    #[command(subcommand)]
    Vuln(vuln_command::VulnCommand),
    /// The local model (Gemma 3 270M) for tests and the demo.
    #[command(subcommand)]
    Model(model_command::ModelCommand),
    /// Review lifecycle commands against a running server.
    #[command(flatten)]
    Review(review::ReviewCommand),
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    // An evaluation run is one client waiting on many sockets: one thread
    // serves it without the cross-thread wake-ups a pool of workers costs on
    // every answer. Servers keep a worker a core.
    let runtime = match &cli.command {
        Command::Eval(cmd) if cmd.is_run() => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?,
        _ => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?,
    };
    runtime.block_on(async move {
        match cli.command {
            Command::Serve(args) => serve::run(args).await,
            Command::Gateway(args) => serve::run_gateway(args).await,
            Command::Worker(args) => serve::run_worker(args).await,
            Command::Model(cmd) => model_command::run(cmd).await,
            Command::Eval(cmd) => eval_command::run(cmd).await,
            Command::Demo(args) => demo::run(args).await,
            Command::Admin(cmd) => admin::run(cmd).await,
            Command::Vuln(cmd) => vuln_command::run(cmd).await,
            Command::Keygen(args) => keys::keygen(&args),
            Command::Ledger(cmd) => ledger_verify::run(cmd).await,
            Command::Witness(args) => witness::run(args).await,
            Command::Review(cmd) => review::run(cmd).await,
        }
    })
}
