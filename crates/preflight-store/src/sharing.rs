//! Who receives the clearinghouse's releases: each organisation's
//! subscription (sectors, products, webhook), the organisations a provider
//! serves, and the webhook outbox.

use crate::{MasterKey, Store, StoreError, events, time};
use chrono::{DateTime, Utc};
use preflight_core::event::Event;
use preflight_core::ids::OrgId;
use preflight_core::org::Sector;
use sqlx::Row;
use std::collections::BTreeSet;
use uuid::Uuid;
use zeroize::Zeroizing;

/// An organisation's subscription.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Subscription {
    pub org_id: OrgId,
    /// Sectors it follows beyond its own.
    pub sectors: BTreeSet<Sector>,
    /// Products it runs, matched case-insensitively against an assessment's
    /// product names, vendors, PURLs and CPEs; empty follows every product.
    pub products: Vec<String>,
    /// Where notifications are posted; `None` for none.
    pub webhook_url: Option<String>,
    pub updated_at: DateTime<Utc>,
}

/// A queued webhook notification.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivery {
    pub id: Uuid,
    pub org_id: OrgId,
    pub assessment_id: Uuid,
    pub body: String,
    pub created_at: DateTime<Utc>,
    pub attempts: i64,
    pub delivered_at: Option<DateTime<Utc>>,
    /// The last attempt's outcome: an HTTP status or a transport error.
    pub last_status: Option<String>,
}

fn secret_context(org: OrgId) -> String {
    format!("webhook:{org}")
}

fn parse<T: std::str::FromStr>(what: &'static str, text: &str) -> Result<T, StoreError>
where
    T::Err: std::fmt::Display,
{
    text.parse()
        .map_err(|e: T::Err| StoreError::corrupt(what, format!("{text:?}: {e}")))
}

impl Store {
    /// Replaces `sub.org_id`'s subscription. `secret` is the webhook
    /// signing secret, sealed under `master`; `None` keeps the stored one.
    pub async fn set_subscription(
        &self,
        master: &MasterKey,
        sub: &Subscription,
        secret: Option<&[u8]>,
        event: &Event,
    ) -> Result<(), StoreError> {
        let sectors =
            serde_json::to_string(&sub.sectors).map_err(|e| StoreError::corrupt("sectors", e))?;
        let products =
            serde_json::to_string(&sub.products).map_err(|e| StoreError::corrupt("products", e))?;
        let sealed = secret
            .map(|s| master.seal_secret(s, &secret_context(sub.org_id)))
            .transpose()?;
        let mut tx = self.begin().await?;
        let kept: Option<String> =
            sqlx::query("SELECT webhook_secret FROM subscriptions WHERE org_id = $1")
                .bind(sub.org_id.to_string())
                .fetch_optional(&mut *tx)
                .await?
                .map(|row| row.try_get::<Option<String>, _>("webhook_secret"))
                .transpose()?
                .flatten();
        sqlx::query("DELETE FROM subscriptions WHERE org_id = $1")
            .bind(sub.org_id.to_string())
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO subscriptions (org_id, sectors, products, webhook_url, webhook_secret, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(sub.org_id.to_string())
        .bind(sectors)
        .bind(products)
        .bind(sub.webhook_url.clone())
        .bind(sealed.or(kept))
        .bind(time::encode(sub.updated_at))
        .execute(&mut *tx)
        .await?;
        events::append(&mut tx, event).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn subscription(&self, org: OrgId) -> Result<Option<Subscription>, StoreError> {
        let row = sqlx::query(
            "SELECT org_id, sectors, products, webhook_url, updated_at FROM subscriptions WHERE org_id = $1",
        )
        .bind(org.to_string())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(decode_subscription).transpose()
    }

    pub async fn subscriptions(&self) -> Result<Vec<Subscription>, StoreError> {
        let rows = sqlx::query(
            "SELECT org_id, sectors, products, webhook_url, updated_at FROM subscriptions ORDER BY org_id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(decode_subscription).collect()
    }

    /// The webhook signing secret of `org`, opened in memory.
    pub async fn webhook_secret(
        &self,
        master: &MasterKey,
        org: OrgId,
    ) -> Result<Option<Zeroizing<Vec<u8>>>, StoreError> {
        let sealed: Option<String> =
            sqlx::query("SELECT webhook_secret FROM subscriptions WHERE org_id = $1")
                .bind(org.to_string())
                .fetch_optional(&self.pool)
                .await?
                .map(|row| row.try_get::<Option<String>, _>("webhook_secret"))
                .transpose()?
                .flatten();
        sealed
            .map(|s| master.open_secret(&s, &secret_context(org)))
            .transpose()
    }

    /// Replaces the organisations `provider` serves.
    pub async fn set_org_clients(
        &self,
        provider: OrgId,
        clients: &BTreeSet<OrgId>,
        event: &Event,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        sqlx::query("DELETE FROM org_clients WHERE provider_id = $1")
            .bind(provider.to_string())
            .execute(&mut *tx)
            .await?;
        for client in clients {
            sqlx::query("INSERT INTO org_clients (provider_id, client_id) VALUES ($1, $2)")
                .bind(provider.to_string())
                .bind(client.to_string())
                .execute(&mut *tx)
                .await?;
        }
        events::append(&mut tx, event).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The organisations `provider` serves.
    pub async fn org_clients(&self, provider: OrgId) -> Result<BTreeSet<OrgId>, StoreError> {
        let rows = sqlx::query("SELECT client_id FROM org_clients WHERE provider_id = $1")
            .bind(provider.to_string())
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| parse("org id", &r.try_get::<String, _>("client_id")?))
            .collect()
    }

    /// The providers `client` is a client of.
    pub async fn providers_of(&self, client: OrgId) -> Result<BTreeSet<OrgId>, StoreError> {
        let rows = sqlx::query("SELECT provider_id FROM org_clients WHERE client_id = $1")
            .bind(client.to_string())
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| parse("org id", &r.try_get::<String, _>("provider_id")?))
            .collect()
    }

    /// Notifications not yet delivered whose next attempt is due at `now`,
    /// oldest first.
    pub async fn due_deliveries(
        &self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<Delivery>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries \
             WHERE delivered_at IS NULL AND next_attempt_at <= $1 ORDER BY next_attempt_at, id LIMIT $2"
        ))
        .bind(time::encode(now))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(decode_delivery).collect()
    }

    /// Every notification queued for `org`, newest first.
    pub async fn deliveries_to(&self, org: OrgId) -> Result<Vec<Delivery>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE org_id = $1 \
             ORDER BY created_at DESC, id DESC"
        ))
        .bind(org.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(decode_delivery).collect()
    }

    /// Records one attempt: delivered at `delivered_at`, or to be tried
    /// again at `retry_at`.
    pub async fn record_delivery_attempt(
        &self,
        id: Uuid,
        status: &str,
        delivered_at: Option<DateTime<Utc>>,
        retry_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE webhook_deliveries SET attempts = attempts + 1, last_status = $1, \
             delivered_at = $2, next_attempt_at = $3 WHERE id = $4",
        )
        .bind(status)
        .bind(delivered_at.map(time::encode))
        .bind(time::encode(retry_at))
        .bind(id.to_string())
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

const DELIVERY_COLUMNS: &str =
    "id, org_id, assessment_id, body, created_at, attempts, delivered_at, last_status";

fn decode_subscription(row: &sqlx::any::AnyRow) -> Result<Subscription, StoreError> {
    Ok(Subscription {
        org_id: parse("org id", &row.try_get::<String, _>("org_id")?)?,
        sectors: serde_json::from_str(&row.try_get::<String, _>("sectors")?)
            .map_err(|e| StoreError::corrupt("subscription sectors", e))?,
        products: serde_json::from_str(&row.try_get::<String, _>("products")?)
            .map_err(|e| StoreError::corrupt("subscription products", e))?,
        webhook_url: row.try_get("webhook_url")?,
        updated_at: time::decode(&row.try_get::<String, _>("updated_at")?)?,
    })
}

fn decode_delivery(row: &sqlx::any::AnyRow) -> Result<Delivery, StoreError> {
    Ok(Delivery {
        id: parse("delivery id", &row.try_get::<String, _>("id")?)?,
        org_id: parse("org id", &row.try_get::<String, _>("org_id")?)?,
        assessment_id: parse("assessment id", &row.try_get::<String, _>("assessment_id")?)?,
        body: row.try_get("body")?,
        created_at: time::decode(&row.try_get::<String, _>("created_at")?)?,
        attempts: row.try_get("attempts")?,
        delivered_at: time::decode_opt(row.try_get("delivered_at")?)?,
        last_status: row.try_get("last_status")?,
    })
}
