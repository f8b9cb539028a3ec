//! A small client for the REST API.

use anyhow::{Result, anyhow};
use serde_json::Value;

#[derive(Clone, Debug)]
pub struct Client {
    base: String,
    token: String,
    http: reqwest::Client,
}

/// A refusal from the server, with its status and message.
#[derive(Debug, thiserror::Error)]
#[error("{status}: {message}")]
pub struct Refusal {
    pub status: u16,
    pub message: String,
}

impl Client {
    pub fn new(server: &str, token: &str) -> Self {
        Self {
            base: format!("{}/api/v1", server.trim_end_matches('/')),
            token: token.to_owned(),
            http: reqwest::Client::new(),
        }
    }

    /// The server's base URL.
    pub fn server(&self) -> &str {
        self.base.trim_end_matches("/api/v1")
    }

    pub fn token(&self) -> &str {
        &self.token
    }

    pub fn with_token(&self, token: &str) -> Self {
        Self {
            token: token.to_owned(),
            ..self.clone()
        }
    }

    pub async fn get(&self, path: &str) -> Result<Value> {
        self.send(self.http.get(self.url(path))).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Result<Value> {
        self.send(self.http.post(self.url(path)).json(body)).await
    }

    pub async fn put(&self, path: &str, body: &Value) -> Result<Value> {
        self.send(self.http.put(self.url(path)).json(body)).await
    }

    pub async fn get_text(&self, path: &str) -> Result<String> {
        let response = self
            .http
            .get(self.url(path))
            .bearer_auth(&self.token)
            .send()
            .await?;
        let status = response.status();
        let text = response.text().await?;
        if !status.is_success() {
            return Err(refusal(status.as_u16(), &text).into());
        }
        Ok(text)
    }

    /// A text resource outside `/api/v1`, such as `/ledger/checkpoint`.
    pub async fn get_text_root(&self, path: &str) -> Result<String> {
        let root = self.server();
        let response = self
            .http
            .get(format!("{root}{path}"))
            .bearer_auth(&self.token)
            .send()
            .await?;
        let status = response.status();
        let text = response.text().await?;
        if !status.is_success() {
            return Err(refusal(status.as_u16(), &text).into());
        }
        Ok(text)
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Result<Value> {
        let response = request
            .bearer_auth(&self.token)
            .send()
            .await
            .map_err(|e| anyhow!("cannot reach the server: {e}"))?;
        let status = response.status();
        let text = response.text().await?;
        if !status.is_success() {
            return Err(refusal(status.as_u16(), &text).into());
        }
        if text.is_empty() {
            return Ok(Value::Null);
        }
        Ok(serde_json::from_str(&text)?)
    }
}

fn refusal(status: u16, body: &str) -> Refusal {
    let message = serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|v| v["error"]["message"].as_str().map(str::to_owned))
        .unwrap_or_else(|| body.to_owned());
    Refusal { status, message }
}
