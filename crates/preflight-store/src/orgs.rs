use crate::{Store, StoreError, events, time};
use chrono::Utc;
use preflight_core::event::Event;
use preflight_core::ids::OrgId;
use preflight_core::org::Organisation;
use sqlx::Row;

impl Store {
    pub async fn create_org(&self, org: &Organisation, event: &Event) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO orgs (id, name, kind, sector, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(org.id.to_string())
        .bind(&org.name)
        .bind(org.kind.as_str())
        .bind(org.sector.map(|s| s.as_str()))
        .bind(time::encode(Utc::now()))
        .execute(&mut *tx)
        .await
        .map_err(|e| StoreError::on_unique(e, "name", &org.name))?;
        events::append(&mut tx, event).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn org(&self, id: OrgId) -> Result<Organisation, StoreError> {
        let row = sqlx::query("SELECT id, name, kind, sector FROM orgs WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound {
                what: "organisation",
                id: id.to_string(),
            })?;
        decode(&row)
    }

    pub async fn org_by_name(&self, name: &str) -> Result<Option<Organisation>, StoreError> {
        sqlx::query("SELECT id, name, kind, sector FROM orgs WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?
            .map(|row| decode(&row))
            .transpose()
    }

    pub async fn orgs(&self) -> Result<Vec<Organisation>, StoreError> {
        let rows = sqlx::query("SELECT id, name, kind, sector FROM orgs ORDER BY name")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(decode).collect()
    }
}

fn decode(row: &sqlx::any::AnyRow) -> Result<Organisation, StoreError> {
    let bad = |e: &dyn std::fmt::Display| StoreError::corrupt("organisation", e);
    Ok(Organisation {
        id: row
            .try_get::<String, _>("id")?
            .parse()
            .map_err(|e| bad(&e))?,
        name: row.try_get("name")?,
        kind: row
            .try_get::<String, _>("kind")?
            .parse()
            .map_err(|e| bad(&e))?,
        sector: row
            .try_get::<Option<String>, _>("sector")?
            .map(|s| s.parse().map_err(|e| bad(&e)))
            .transpose()?,
    })
}
