//! What the web interface keeps: passwords (Argon2id PHC strings, hashed
//! by the caller), browser sessions (an HMAC of the session id under the
//! token pepper, never the id itself) with their CSRF token, and failed
//! sign-ins.

use crate::{Store, StoreError, TokenPepper, events, time};
use chrono::{DateTime, Utc};
use preflight_core::actor::User;
use preflight_core::event::Event;
use preflight_core::ids::UserId;
use sqlx::Row;

/// A browser session about to be opened.
#[derive(Debug)]
pub struct NewSession<'a> {
    /// The random id the cookie carries; only its HMAC is stored.
    pub id: &'a str,
    pub user: UserId,
    pub csrf: &'a str,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

impl Store {
    /// Sets (or replaces) a person's password hash.
    pub async fn set_password(
        &self,
        user: UserId,
        hash: &str,
        now: DateTime<Utc>,
        event: &Event,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        sqlx::query("DELETE FROM user_passwords WHERE user_id = $1")
            .bind(user.to_string())
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO user_passwords (user_id, hash, updated_at) VALUES ($1, $2, $3)")
            .bind(user.to_string())
            .bind(hash)
            .bind(time::encode(now))
            .execute(&mut *tx)
            .await?;
        events::append(&mut tx, event).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The person with `email` and their password hash, if they have one.
    pub async fn password_of(&self, email: &str) -> Result<Option<(User, String)>, StoreError> {
        let row = sqlx::query(
            "SELECT u.id, u.org_id, u.name, u.email, u.role, u.public_key, p.hash \
             FROM users u JOIN user_passwords p ON p.user_id = u.id WHERE u.email = $1",
        )
        .bind(email)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| Ok((crate::users::decode(&row)?, row.try_get("hash")?)))
            .transpose()
    }

    /// Opens a browser session, recorded with `event`.
    pub async fn create_session(
        &self,
        pepper: &TokenPepper,
        session: &NewSession<'_>,
        event: &Event,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO web_sessions (id_hash, user_id, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(pepper.hash(session.id))
        .bind(session.user.to_string())
        .bind(session.csrf)
        .bind(time::encode(session.created_at))
        .bind(time::encode(session.expires_at))
        .execute(&mut *tx)
        .await?;
        events::append(&mut tx, event).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The person and CSRF token of a live session.
    pub async fn session(
        &self,
        pepper: &TokenPepper,
        session_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<(User, String)>, StoreError> {
        if session_id.len() > 100 {
            return Ok(None);
        }
        let row = sqlx::query(
            "SELECT u.id, u.org_id, u.name, u.email, u.role, u.public_key, s.csrf, s.expires_at \
             FROM web_sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = $1",
        )
        .bind(pepper.hash(session_id))
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        if time::decode(&row.try_get::<String, _>("expires_at")?)? <= now {
            return Ok(None);
        }
        Ok(Some((crate::users::decode(&row)?, row.try_get("csrf")?)))
    }

    /// Ends a session.
    pub async fn end_session(
        &self,
        pepper: &TokenPepper,
        session_id: &str,
    ) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM web_sessions WHERE id_hash = $1")
            .bind(pepper.hash(session_id))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn record_signin_failure(
        &self,
        email: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO signin_failures (email, at) VALUES ($1, $2)")
            .bind(email)
            .bind(time::encode(now))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Failed sign-ins for `email` since `since`.
    pub async fn signin_failures(
        &self,
        email: &str,
        since: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        Ok(
            sqlx::query("SELECT COUNT(*) AS n FROM signin_failures WHERE email = $1 AND at > $2")
                .bind(email)
                .bind(time::encode(since))
                .fetch_one(&self.pool)
                .await?
                .try_get("n")?,
        )
    }
}
