//! `preflight model`: the local model (Gemma 3 270M) on its own, for the
//! tests and for trying the gateway by hand.

use crate::{local_model, serve};
use anyhow::{Result, bail};
use clap::{Args, Subcommand};

#[derive(Debug, Subcommand)]
pub enum ModelCommand {
    /// Install the local model if needed, then serve it until Ctrl-C or SIGTERM.
    #[command(
        after_help = "Prints `model ready at http://127.0.0.1:PORT/v1` on stdout once it answers.\n\nExample:\n  preflight model serve --port 8099"
    )]
    Serve(ModelServeArgs),
}

#[derive(Debug, Args)]
pub struct ModelServeArgs {
    /// Port on 127.0.0.1 (default: any free port).
    #[arg(long)]
    pub port: Option<u16>,
}

pub async fn run(command: ModelCommand) -> Result<()> {
    match command {
        ModelCommand::Serve(args) => serve_model(args).await,
    }
}

async fn serve_model(args: ModelServeArgs) -> Result<()> {
    let installed = local_model::ensure_installed(&|line| eprintln!("{line}")).await?;
    let mut model = local_model::start(&installed, args.port).await?;
    eprintln!(
        "serving model \"{}\"; server log: {}",
        model.model_name(),
        model.log_path().display()
    );
    println!("model ready at {}", model.base_url());
    tokio::select! {
        () = serve::shutdown_signal() => {}
        status = model.exited() => {
            bail!(
                "the model server exited by itself ({}); see {}",
                status?,
                model.log_path().display()
            );
        }
    }
    model.stop().await
}
