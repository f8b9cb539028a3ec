//! API tokens: 256 random bits shown once; the store keeps only their
//! HMAC-SHA256 under a server pepper.

use crate::{Store, StoreError, events, time};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use preflight_core::actor::User;
use preflight_core::event::Event;
use preflight_core::ids::{TokenId, UserId};
use rand::RngCore;
use sha2::Sha256;
use sqlx::Row;
use zeroize::Zeroizing;

/// Prefix that makes a Preflight token recognisable to secret scanners.
pub const TOKEN_PREFIX: &str = "pft_";

/// The server's token pepper. `Debug` never shows it.
#[derive(Clone)]
pub struct TokenPepper(Zeroizing<Vec<u8>>);

impl std::fmt::Debug for TokenPepper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenPepper(redacted)")
    }
}

impl TokenPepper {
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(Zeroizing::new(bytes))
    }

    /// A token's keyed fingerprint (what the store keeps of it): safe to use
    /// as a cache key, useless without the pepper.
    pub fn fingerprint(&self, token: &str) -> String {
        self.hash(token)
    }

    pub(crate) fn hash(&self, token: &str) -> String {
        // HMAC accepts keys of any length.
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(&self.0).expect("hmac takes any key length");
        mac.update(token.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }
}

/// A token just made: the secret is shown to its owner once and never stored.
#[derive(Debug)]
pub struct NewToken {
    pub id: TokenId,
    pub secret: Zeroizing<String>,
}

/// What the store keeps of a token.
#[derive(Clone, Debug)]
pub struct TokenRecord {
    pub id: TokenId,
    pub user_id: UserId,
    pub label: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl Store {
    pub async fn create_token(
        &self,
        pepper: &TokenPepper,
        user: UserId,
        label: &str,
        expires_at: Option<DateTime<Utc>>,
        event: &Event,
    ) -> Result<NewToken, StoreError> {
        let mut raw = Zeroizing::new([0u8; 32]);
        rand::rngs::OsRng.fill_bytes(raw.as_mut());
        let secret = Zeroizing::new(format!("{TOKEN_PREFIX}{}", B64URL.encode(raw.as_ref())));
        let id = TokenId::new();
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO api_tokens (id, user_id, label, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id.to_string())
        .bind(user.to_string())
        .bind(label)
        .bind(pepper.hash(&secret))
        .bind(time::encode(Utc::now()))
        .bind(expires_at.map(time::encode))
        .execute(&mut *tx)
        .await?;
        events::append(&mut tx, event).await?;
        tx.commit().await?;
        Ok(NewToken { id, secret })
    }

    /// The person a bearer token belongs to, if it is live.
    pub async fn authenticate(
        &self,
        pepper: &TokenPepper,
        secret: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<(User, TokenId)>, StoreError> {
        if !secret.starts_with(TOKEN_PREFIX) || secret.len() > 100 {
            return Ok(None);
        }
        let hash = pepper.hash(secret);
        let generation = self.access_generation();
        if let Some(hit) = self.tokens_seen.get(&hash, generation, now) {
            return Ok(Some((hit.user.clone(), hit.token)));
        }
        let row = sqlx::query(
            "SELECT t.id AS token_id, t.expires_at, t.revoked_at, u.id, u.org_id, u.name, u.email, u.role, u.public_key \
             FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1",
        )
        .bind(&hash)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        if row.try_get::<Option<String>, _>("revoked_at")?.is_some() {
            return Ok(None);
        }
        let expires_at = time::decode_opt(row.try_get("expires_at")?)?;
        if expires_at.is_some_and(|expires| expires <= now) {
            return Ok(None);
        }
        let token_id = row
            .try_get::<String, _>("token_id")?
            .parse()
            .map_err(|e| StoreError::corrupt("token", e))?;
        let user = crate::users::decode(&row)?;
        self.tokens_seen
            .put(hash, user.clone(), token_id, expires_at, generation);
        Ok(Some((user, token_id)))
    }

    pub async fn tokens_of(&self, user: UserId) -> Result<Vec<TokenRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, user_id, label, created_at, expires_at, revoked_at FROM api_tokens WHERE user_id = $1 ORDER BY id",
        )
        .bind(user.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let bad = |e: uuid::Error| StoreError::corrupt("token", e);
                Ok(TokenRecord {
                    id: row.try_get::<String, _>("id")?.parse().map_err(bad)?,
                    user_id: row.try_get::<String, _>("user_id")?.parse().map_err(bad)?,
                    label: row.try_get("label")?,
                    created_at: time::decode(&row.try_get::<String, _>("created_at")?)?,
                    expires_at: time::decode_opt(row.try_get("expires_at")?)?,
                    revoked_at: time::decode_opt(row.try_get("revoked_at")?)?,
                })
            })
            .collect()
    }

    /// Revokes one of `user`'s tokens. Revoking twice is a no-op.
    pub async fn revoke_token(
        &self,
        user: UserId,
        token: TokenId,
        event: &Event,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        let exists = sqlx::query("SELECT id FROM api_tokens WHERE id = $1 AND user_id = $2")
            .bind(token.to_string())
            .bind(user.to_string())
            .fetch_optional(&mut *tx)
            .await?;
        if exists.is_none() {
            return Err(StoreError::NotFound {
                what: "token",
                id: token.to_string(),
            });
        }
        sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(time::encode(Utc::now()))
            .bind(token.to_string())
            .execute(&mut *tx)
            .await?;
        events::append(&mut tx, event).await?;
        tx.commit().await?;
        self.access_changed();
        Ok(())
    }
}
