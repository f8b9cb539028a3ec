//! Client commands for the review lifecycle, against a running server.

use crate::client::Client;
use crate::keys;
use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use clap::{Args, Subcommand};
use serde_json::{Value, json};
use std::path::PathBuf;

/// Which server, and who is calling.
#[derive(Debug, Args)]
pub struct Remote {
    /// Server base URL.
    #[arg(
        long,
        env = "PREFLIGHT_SERVER",
        default_value = "http://127.0.0.1:8080"
    )]
    pub server: String,
    /// Bearer token (see `preflight admin create-token`).
    #[arg(long, env = "PREFLIGHT_TOKEN", hide_env_values = true)]
    pub token: String,
}

impl Remote {
    fn client(&self) -> Client {
        Client::new(&self.server, &self.token)
    }
}

#[derive(Debug, Subcommand)]
pub enum ReviewCommand {
    /// Register your public key (from a key file) for signing terms.
    #[command(after_help = "Example:\n  preflight register-key --key-file ~/.preflight/me.key")]
    RegisterKey {
        #[command(flatten)]
        remote: Remote,
        #[arg(long)]
        key_file: PathBuf,
    },
    /// Register a model version and submit it for review (developers).
    #[command(
        after_help = "Example:\n  preflight submit --model frontier-7 --model-version rc1 --release 2027-01-15T00:00:00Z \\\n    --upstream-url https://models.lab.example/v1 --credential-env LAB_API_KEY"
    )]
    Submit {
        #[command(flatten)]
        remote: Remote,
        #[arg(long)]
        model: String,
        #[arg(long)]
        model_version: String,
        /// Planned public release (RFC 3339).
        #[arg(long)]
        release: DateTime<Utc>,
        #[arg(long)]
        upstream_url: String,
        /// openai_compatible or anthropic_messages.
        #[arg(long, default_value = "openai_compatible")]
        upstream_kind: String,
        /// The model name the upstream expects, if not --model.
        #[arg(long)]
        upstream_model: Option<String>,
        /// Name of an environment variable holding the upstream API key.
        #[arg(long)]
        credential_env: Option<String>,
        #[arg(long, default_value = "")]
        description: String,
        /// Keep it as a draft instead of submitting.
        #[arg(long)]
        draft: bool,
    },
    /// Propose or sign terms.
    #[command(subcommand)]
    Terms(TermsCommand),
    /// Start the government or the partner phase.
    #[command(after_help = "Example:\n  preflight start-phase SUBMISSION_ID government")]
    StartPhase {
        #[command(flatten)]
        remote: Remote,
        submission: String,
        /// government or partner.
        phase: String,
    },
    /// Record the developer's release decision. Never refused.
    #[command(after_help = "Example:\n  preflight release SUBMISSION_ID")]
    Release {
        #[command(flatten)]
        remote: Remote,
        submission: String,
    },
    /// Withdraw a submission (developers). Access ends at once.
    #[command(after_help = "Example:\n  preflight withdraw SUBMISSION_ID")]
    Withdraw {
        #[command(flatten)]
        remote: Remote,
        submission: String,
    },
    /// Close a review after its report, release or withdrawal.
    #[command(after_help = "Example:\n  preflight close SUBMISSION_ID")]
    Close {
        #[command(flatten)]
        remote: Remote,
        submission: String,
    },
    /// Show a review's state.
    #[command(after_help = "Example:\n  preflight status SUBMISSION_ID")]
    Status {
        #[command(flatten)]
        remote: Remote,
        submission: String,
    },
    /// Deliver the review report (government evaluators).
    #[command(after_help = "Example:\n  preflight deliver-report SUBMISSION_ID")]
    DeliverReport {
        #[command(flatten)]
        remote: Remote,
        submission: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum TermsCommand {
    /// Propose a new terms version from a JSON file (the body of POST /submissions/{id}/terms).
    #[command(after_help = "Example:\n  preflight terms propose SUBMISSION_ID --file terms.json")]
    Propose {
        #[command(flatten)]
        remote: Remote,
        submission: String,
        #[arg(long)]
        file: PathBuf,
    },
    /// Sign the latest terms version with your key file.
    #[command(
        after_help = "Example:\n  preflight terms sign SUBMISSION_ID --side developer --key-file ~/.preflight/me.key"
    )]
    Sign {
        #[command(flatten)]
        remote: Remote,
        submission: String,
        /// developer or government.
        #[arg(long)]
        side: String,
        #[arg(long)]
        key_file: PathBuf,
        /// Version to sign; defaults to the latest.
        #[arg(long)]
        version: Option<u32>,
    },
}

pub async fn run(cmd: ReviewCommand) -> Result<()> {
    match cmd {
        ReviewCommand::RegisterKey { remote, key_file } => {
            let key = keys::load(&key_file)?;
            remote
                .client()
                .put(
                    "/me/public-key",
                    &json!({ "public_key": keys::public_key_b64(&key) }),
                )
                .await?;
            println!("registered {}", keys::public_key_b64(&key));
        }
        ReviewCommand::Submit {
            remote,
            model,
            model_version,
            release,
            upstream_url,
            upstream_kind,
            upstream_model,
            credential_env,
            description,
            draft,
        } => {
            let credential = credential_env
                .map(|var| {
                    std::env::var(&var)
                        .with_context(|| format!("environment variable {var} is not set"))
                })
                .transpose()?;
            let client = remote.client();
            let created = client
                .post(
                    "/submissions",
                    &json!({
                        "model_name": model, "model_version": model_version, "description": description,
                        "planned_release_at": release,
                        "upstream": { "kind": upstream_kind, "url": upstream_url, "credential": credential, "model": upstream_model },
                    }),
                )
                .await?;
            let id = created["id"].as_str().unwrap_or_default().to_owned();
            if !draft {
                transition(&client, &id, "submit").await?;
            }
            println!("{id}");
        }
        ReviewCommand::Terms(TermsCommand::Propose {
            remote,
            submission,
            file,
        }) => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            let body: Value = serde_json::from_str(&text)
                .with_context(|| format!("{} is not JSON", file.display()))?;
            let version = remote
                .client()
                .post(&format!("/submissions/{submission}/terms"), &body)
                .await?;
            println!("proposed terms version {}", version["document"]["version"]);
        }
        ReviewCommand::Terms(TermsCommand::Sign {
            remote,
            submission,
            side,
            key_file,
            version,
        }) => {
            let key = keys::load(&key_file)?;
            let signed = sign_latest(&remote.client(), &submission, &side, &key, version).await?;
            println!(
                "signed terms version {} for the {side} side",
                signed["document"]["version"]
            );
        }
        ReviewCommand::StartPhase {
            remote,
            submission,
            phase,
        } => {
            let action = match phase.as_str() {
                "government" => "start_government_phase",
                "partner" => "start_partner_phase",
                other => anyhow::bail!("unknown phase {other:?} (expected government or partner)"),
            };
            print_state(&transition(&remote.client(), &submission, action).await?);
        }
        ReviewCommand::Release { remote, submission } => {
            print_state(&transition(&remote.client(), &submission, "record_release").await?);
        }
        ReviewCommand::Withdraw { remote, submission } => {
            print_state(&transition(&remote.client(), &submission, "withdraw").await?);
        }
        ReviewCommand::Close { remote, submission } => {
            print_state(&transition(&remote.client(), &submission, "close").await?);
        }
        ReviewCommand::Status { remote, submission } => {
            print_state(
                &remote
                    .client()
                    .get(&format!("/submissions/{submission}"))
                    .await?,
            );
        }
        ReviewCommand::DeliverReport { remote, submission } => {
            let report = remote
                .client()
                .post(&format!("/submissions/{submission}/report"), &json!({}))
                .await?;
            println!(
                "report delivered with {} finding(s)",
                report["findings"].as_array().map_or(0, Vec::len)
            );
        }
    }
    Ok(())
}

pub async fn transition(client: &Client, submission: &str, action: &str) -> Result<Value> {
    client
        .post(
            &format!("/submissions/{submission}/transitions"),
            &json!({ "action": action }),
        )
        .await
}

/// Fetches a terms version, checks its payload against its document, signs it.
pub async fn sign_latest(
    client: &Client,
    submission: &str,
    side: &str,
    key: &ed25519_dalek::SigningKey,
    version: Option<u32>,
) -> Result<Value> {
    let number = match version {
        Some(n) => n,
        None => {
            let all = client
                .get(&format!("/submissions/{submission}/terms"))
                .await?;
            let latest = all
                .as_array()
                .and_then(|a| a.last())
                .context("no terms proposed yet")?;
            u32::try_from(
                latest["document"]["version"]
                    .as_u64()
                    .context("terms version missing")?,
            )?
        }
    };
    let terms = client
        .get(&format!("/submissions/{submission}/terms/{number}"))
        .await?;
    let signature = keys::sign_terms(key, &terms)?;
    client
        .post(
            &format!("/submissions/{submission}/terms/{number}/signatures"),
            &json!({ "side": side, "signature": signature }),
        )
        .await
}

fn print_state(view: &Value) {
    let outcome = match view["outcome"]["kind"].as_str() {
        Some(kind) => format!(
            ", {kind} at {}",
            view["outcome"]["at"].as_str().unwrap_or("?")
        ),
        None => String::new(),
    };
    println!(
        "{} {} ({}): {}{outcome}",
        view["model_name"].as_str().unwrap_or("?"),
        view["model_version"].as_str().unwrap_or("?"),
        view["id"].as_str().unwrap_or("?"),
        view["stage"].as_str().unwrap_or("?"),
    );
}
