//! Model clients: one request in, one [`ModelOutput`] out, over HTTP.
//!
//! [`ModelClient`] is the seam between the runner and a model. Two
//! implementations speak to real servers with `preflight-http`:
//! [`OpenAiClient`] (OpenAI-compatible chat completions, streamed or not)
//! and [`AnthropicClient`] (the Messages API, translated with
//! `preflight-chat`). Both classify what went wrong as a [`ClientError`], so
//! the runner knows what is worth another attempt.

mod anthropic;
mod error;
mod http;
mod openai;
mod stream;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use serde::{Deserialize, Serialize};

pub use anthropic::AnthropicClient;
pub use error::ClientError;
pub use openai::OpenAiClient;

use crate::model::ModelOutput;
use crate::sample::ChatMessage;

/// One request to a model.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GenerateRequest {
    pub messages: Vec<ChatMessage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    /// Tool definitions in OpenAI's shape (`{"type": "function",
    /// "function": {...}}`), sent as they are.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<serde_json::Value>,
    /// Ask for the answer as a stream of events. The output is the same
    /// either way; streaming keeps long answers from hitting idle timeouts.
    #[serde(default)]
    pub stream: bool,
}

/// A model behind some API.
pub trait ModelClient: Send + Sync + fmt::Debug {
    /// The model's name, as sent in requests and written in logs.
    fn model(&self) -> &str;

    /// Where the model is served.
    fn base_url(&self) -> &str;

    /// The API it speaks, as logs name it.
    fn provider(&self) -> &str {
        "custom"
    }

    /// Sends one request and reads the whole answer.
    fn generate<'a>(
        &'a self,
        request: &'a GenerateRequest,
    ) -> BoxFuture<'a, Result<ModelOutput, ClientError>>;
}

/// Which API a model server speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Provider {
    /// OpenAI-compatible chat completions (`POST {base}/chat/completions`).
    Openai,
    /// The Anthropic Messages API (`POST {base}/messages`).
    Anthropic,
}

impl Provider {
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Openai => "openai",
            Provider::Anthropic => "anthropic",
        }
    }
}

/// An API key; `Debug` does not show it.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    pub fn new(key: impl Into<String>) -> ApiKey {
        ApiKey(key.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

/// Where a model is and how long to wait for it.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    pub provider: Provider,
    /// Such as `http://127.0.0.1:8099/v1` or `https://api.anthropic.com/v1`.
    pub base_url: String,
    pub model: String,
    pub api_key: Option<ApiKey>,
    /// Opening the connection.
    pub connect_timeout: Duration,
    /// The longest silence while reading an answer.
    pub read_timeout: Duration,
    /// A whole request, first byte to last.
    pub request_timeout: Duration,
    /// `max_tokens` when a request names none (the Messages API needs one).
    pub default_max_tokens: u32,
}

impl ClientConfig {
    /// A configuration with default timeouts (10 s to connect, 120 s of
    /// silence, 600 s per request).
    pub fn new(provider: Provider, base_url: impl Into<String>, model: impl Into<String>) -> Self {
        ClientConfig {
            provider,
            base_url: base_url.into().trim_end_matches('/').to_owned(),
            model: model.into(),
            api_key: None,
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(120),
            request_timeout: Duration::from_secs(600),
            default_max_tokens: 4096,
        }
    }

    pub fn with_api_key(mut self, key: Option<ApiKey>) -> Self {
        self.api_key = key;
        self
    }
}

/// The client for `config`'s provider.
pub fn connect(config: ClientConfig) -> Result<Arc<dyn ModelClient>, ClientError> {
    Ok(match config.provider {
        Provider::Openai => Arc::new(OpenAiClient::new(config)?),
        Provider::Anthropic => Arc::new(AnthropicClient::new(config)?),
    })
}

/// The first model a server lists at `GET {base}/models`, for when the
/// caller did not name one.
pub async fn first_listed_model(config: &ClientConfig) -> Result<String, ClientError> {
    let url = format!("{}/models", config.base_url);
    let body = http::Http::new(config)?.get(&url).await?;
    #[derive(Deserialize)]
    struct Listed {
        data: Vec<Entry>,
    }
    #[derive(Deserialize)]
    struct Entry {
        id: String,
    }
    let listed: Listed = serde_json::from_slice(&body).map_err(|e| ClientError::InvalidJson {
        reason: format!("{url}: {e}"),
    })?;
    listed
        .data
        .into_iter()
        .next()
        .map(|m| m.id)
        .ok_or_else(|| ClientError::Client {
            status: 200,
            message: format!("{url} lists no model"),
        })
}
