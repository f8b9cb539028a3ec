//! LiteLLM's proxy (PyPI `litellm[proxy]`) in front of the same fake models:
//! one worker, no database, the cost map read locally. A call needs a key:
//! a virtual key when the proxy can make one, else its master key.

use super::process::{Child, free_port, wait_ready};
use anyhow::{Context, Result};
use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// The proxy's model for plain calls (to nginx) and for streams.
pub const PLAIN_MODEL: &str = "Frontier";
pub const STREAM_MODEL: &str = "FrontierStream";

const MASTER_KEY: &str = "sk-bench-master-key";

/// The running proxy.
#[derive(Debug)]
pub struct LiteLlm {
    pub child: Child,
    pub addr: SocketAddr,
    pub version: String,
    /// The key callers send.
    pub key: String,
    /// Which key it is, and why.
    pub key_kind: String,
}

impl LiteLlm {
    /// Starts `bin` (the `litellm` script of its virtual environment).
    pub async fn start(
        bin: &Path,
        dir: &Path,
        plain: SocketAddr,
        stream: SocketAddr,
    ) -> Result<Self> {
        std::fs::create_dir_all(dir)?;
        let config = dir.join("config.yaml");
        std::fs::write(
            &config,
            format!(
                "model_list:\n\
                 \x20 - model_name: {PLAIN_MODEL}\n\
                 \x20   litellm_params:\n\
                 \x20     model: openai/frontier\n\
                 \x20     api_base: http://{plain}/v1\n\
                 \x20     api_key: bench-upstream-credential\n\
                 \x20 - model_name: {STREAM_MODEL}\n\
                 \x20   litellm_params:\n\
                 \x20     model: openai/frontier\n\
                 \x20     api_base: http://{stream}/v1\n\
                 \x20     api_key: bench-upstream-credential\n\
                 general_settings:\n\
                 \x20 master_key: {MASTER_KEY}\n"
            ),
        )
        .with_context(|| format!("writing {}", config.display()))?;
        let addr: SocketAddr = format!("127.0.0.1:{}", free_port()?).parse()?;
        let mut command = Command::new(bin);
        command
            .current_dir(dir)
            .arg("--config")
            .arg(&config)
            .args(["--host", "127.0.0.1", "--port", &addr.port().to_string()])
            .args(["--num_workers", "1"])
            .env("LITELLM_LOCAL_MODEL_COST_MAP", "True");
        let mut child = Child::spawn("litellm", &mut command, &dir.join("litellm.log"))?;
        let http = reqwest::Client::new();
        let live = format!("http://{addr}/health/liveliness");
        wait_ready(&mut child, Duration::from_secs(180), || {
            let request = http.get(&live).send();
            async move { request.await.is_ok_and(|r| r.status().is_success()) }
        })
        .await?;
        let (key, key_kind) = match virtual_key(&http, addr).await {
            Ok(key) => (key, "a virtual key".to_owned()),
            Err(why) => (
                MASTER_KEY.to_owned(),
                format!("its master key (no virtual key without a database: {why})"),
            ),
        };
        Ok(Self {
            child,
            addr,
            version: version(bin),
            key,
            key_kind,
        })
    }
}

/// Asks the proxy for a virtual key.
async fn virtual_key(http: &reqwest::Client, addr: SocketAddr) -> Result<String, String> {
    let response = http
        .post(format!("http://{addr}/key/generate"))
        .bearer_auth(MASTER_KEY)
        .json(&serde_json::json!({}))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    if !status.is_success() {
        let text: String = text.chars().take(80).collect();
        return Err(format!(
            "/key/generate answered {} ({text})",
            status.as_u16()
        ));
    }
    serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| v["key"].as_str().map(str::to_owned))
        .ok_or_else(|| format!("/key/generate answered without a key: {text}"))
}

/// The installed version, from the package metadata beside the script.
fn version(bin: &Path) -> String {
    let lib = bin
        .parent()
        .and_then(Path::parent)
        .map(|venv| venv.join("lib"));
    let found = lib
        .and_then(|lib| std::fs::read_dir(lib).ok())
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|python| std::fs::read_dir(python.path().join("site-packages")).ok())
        .flatten()
        .flatten()
        .find_map(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            name.strip_prefix("litellm-")
                .and_then(|rest| rest.strip_suffix(".dist-info"))
                .filter(|v| v.starts_with(|c: char| c.is_ascii_digit()))
                .map(str::to_owned)
        });
    found.unwrap_or_else(|| "(version unknown)".to_owned())
}
