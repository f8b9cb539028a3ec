//! Sends queued notifications, signed as the Standard Webhooks
//! specification says: headers `webhook-id`, `webhook-timestamp` and
//! `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`
//! under the subscriber's secret (`whsec_` and the key in base64). A
//! failed delivery is tried again with growing pauses, up to a limit.

use crate::AppState;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use chrono::{Duration, Utc};
use hmac::{Hmac, Mac};
use preflight_store::Delivery;
use sha2::Sha256;
use std::sync::Arc;
use tokio::sync::{Notify, watch};

/// Attempts before a delivery is given up.
const MAX_ATTEMPTS: i64 = 8;
/// How long a subscriber has to answer.
const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);
/// Prefix of a webhook secret as handed to a subscriber.
pub const SECRET_PREFIX: &str = "whsec_";

/// A fresh signing key and the secret text the subscriber keeps.
pub fn new_secret() -> (Vec<u8>, String) {
    use rand::RngCore;
    let mut key = vec![0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut key);
    let text = format!("{SECRET_PREFIX}{}", B64.encode(&key));
    (key, text)
}

/// The `webhook-signature` header value for a message.
pub fn signature(key: &[u8], id: &str, timestamp: i64, body: &str) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else {
        unreachable!("HMAC takes keys of any length")
    };
    mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
    format!("v1,{}", B64.encode(mac.finalize().into_bytes()))
}

/// Sends due notifications until `stop`; `wake` starts a round at once.
pub async fn run(state: AppState, wake: Arc<Notify>, mut stop: watch::Receiver<bool>) {
    let client = match reqwest::Client::builder()
        .timeout(TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .build()
    {
        Ok(c) => c,
        Err(err) => {
            tracing::error!(error = %err, "webhook client could not be built");
            return;
        }
    };
    loop {
        if let Err(err) = round(&state, &client).await {
            tracing::warn!(error = %err, "webhook round failed");
        }
        tokio::select! {
            _ = wake.notified() => {}
            _ = tokio::time::sleep(std::time::Duration::from_secs(1)) => {}
            _ = stop.changed() => return,
        }
    }
}

async fn round(
    state: &AppState,
    client: &reqwest::Client,
) -> Result<(), preflight_store::StoreError> {
    let due = state.store.due_deliveries(Utc::now(), 64).await?;
    for delivery in due {
        send(state, client, &delivery).await?;
    }
    Ok(())
}

async fn send(
    state: &AppState,
    client: &reqwest::Client,
    delivery: &Delivery,
) -> Result<(), preflight_store::StoreError> {
    let now = Utc::now();
    let target = state.store.subscription(delivery.org_id).await?;
    let key = state
        .store
        .webhook_secret(&state.master, delivery.org_id)
        .await?;
    let (Some(url), Some(key)) = (target.and_then(|s| s.webhook_url), key) else {
        // The subscriber removed its webhook: nothing to send any more.
        return state
            .store
            .record_delivery_attempt(delivery.id, "no webhook", None, now + Duration::days(3650))
            .await;
    };
    let id = delivery.id.to_string();
    let timestamp = now.timestamp();
    let outcome = client
        .post(&url)
        .header("content-type", "application/json")
        .header("webhook-id", &id)
        .header("webhook-timestamp", timestamp.to_string())
        .header(
            "webhook-signature",
            signature(&key, &id, timestamp, &delivery.body),
        )
        .body(delivery.body.clone())
        .send()
        .await;
    let (status, ok) = match outcome {
        Ok(resp) => (
            resp.status().as_u16().to_string(),
            resp.status().is_success(),
        ),
        // Without the URL: it may carry credentials of the subscriber's.
        Err(err) => (transport_error(&err), false),
    };
    let attempts = delivery.attempts + 1;
    let retry_at = if ok || attempts >= MAX_ATTEMPTS {
        now + Duration::days(3650)
    } else {
        now + Duration::seconds(5 * (1 << attempts.min(12)))
    };
    if !ok {
        tracing::info!(delivery = %delivery.id, org = %delivery.org_id, %status, attempts, "webhook not delivered");
    }
    state
        .store
        .record_delivery_attempt(delivery.id, &status, ok.then_some(now), retry_at)
        .await
}

fn transport_error(err: &reqwest::Error) -> String {
    if err.is_timeout() {
        "timed out".into()
    } else if err.is_connect() {
        "connection failed".into()
    } else {
        "request failed".into()
    }
}
