use crate::{Store, StoreError, events, time};
use chrono::Utc;
use preflight_core::actor::User;
use preflight_core::event::Event;
use preflight_core::ids::{OrgId, UserId};
use sqlx::Row;

const COLUMNS: &str = "id, org_id, name, email, role, public_key";

impl Store {
    pub async fn create_user(&self, user: &User, event: &Event) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO users (id, org_id, name, email, role, public_key, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(user.id.to_string())
        .bind(user.org_id.map(|o| o.to_string()))
        .bind(&user.name)
        .bind(&user.email)
        .bind(user.role.as_str())
        .bind(user.public_key.clone())
        .bind(time::encode(Utc::now()))
        .execute(&mut *tx)
        .await
        .map_err(|e| StoreError::on_unique(e, "email", &user.email))?;
        events::append(&mut tx, event).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn user(&self, id: UserId) -> Result<User, StoreError> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM users WHERE id = $1"))
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound {
                what: "user",
                id: id.to_string(),
            })?;
        decode(&row)
    }

    pub async fn user_by_email(&self, email: &str) -> Result<Option<User>, StoreError> {
        sqlx::query(&format!("SELECT {COLUMNS} FROM users WHERE email = $1"))
            .bind(email.trim().to_ascii_lowercase())
            .fetch_optional(&self.pool)
            .await?
            .map(|row| decode(&row))
            .transpose()
    }

    /// Everyone, or the members of one organisation.
    pub async fn users(&self, org: Option<OrgId>) -> Result<Vec<User>, StoreError> {
        let rows = match org {
            Some(org) => {
                sqlx::query(&format!(
                    "SELECT {COLUMNS} FROM users WHERE org_id = $1 ORDER BY email"
                ))
                .bind(org.to_string())
                .fetch_all(&self.pool)
                .await?
            }
            None => {
                sqlx::query(&format!("SELECT {COLUMNS} FROM users ORDER BY email"))
                    .fetch_all(&self.pool)
                    .await?
            }
        };
        rows.iter().map(decode).collect()
    }

    /// Registers the person's Ed25519 public key (base64), replacing any earlier one.
    pub async fn set_public_key(
        &self,
        id: UserId,
        key: &str,
        event: &Event,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        let done = sqlx::query("UPDATE users SET public_key = $1 WHERE id = $2")
            .bind(key)
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound {
                what: "user",
                id: id.to_string(),
            });
        }
        events::append(&mut tx, event).await?;
        tx.commit().await?;
        self.access_changed();
        Ok(())
    }
}

pub(crate) fn decode(row: &sqlx::any::AnyRow) -> Result<User, StoreError> {
    let bad = |e: &dyn std::fmt::Display| StoreError::corrupt("user", e);
    Ok(User {
        id: row
            .try_get::<String, _>("id")?
            .parse()
            .map_err(|e| bad(&e))?,
        org_id: row
            .try_get::<Option<String>, _>("org_id")?
            .map(|s| s.parse().map_err(|e| bad(&e)))
            .transpose()?,
        name: row.try_get("name")?,
        email: row.try_get("email")?,
        role: row
            .try_get::<String, _>("role")?
            .parse()
            .map_err(|e| bad(&e))?,
        public_key: row.try_get("public_key")?,
    })
}
