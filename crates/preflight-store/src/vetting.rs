use crate::{Store, StoreError, events, time};
use chrono::Utc;
use preflight_core::event::Event;
use preflight_core::ids::OrgId;
use preflight_core::partner::PartnerVetting;
use sqlx::Row;
use std::collections::HashMap;

impl Store {
    /// Records a partner's vetting, replacing the previous record.
    pub async fn set_vetting(
        &self,
        vetting: &PartnerVetting,
        event: &Event,
    ) -> Result<(), StoreError> {
        let body = serde_json::to_string(vetting).map_err(|e| StoreError::corrupt("vetting", e))?;
        let mut tx = self.begin().await?;
        sqlx::query("DELETE FROM partner_vetting WHERE org_id = $1")
            .bind(vetting.org_id.to_string())
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO partner_vetting (org_id, body, updated_at) VALUES ($1, $2, $3)")
            .bind(vetting.org_id.to_string())
            .bind(body)
            .bind(time::encode(Utc::now()))
            .execute(&mut *tx)
            .await?;
        events::append(&mut tx, event).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn vetting(&self, org: OrgId) -> Result<Option<PartnerVetting>, StoreError> {
        let row = sqlx::query("SELECT body FROM partner_vetting WHERE org_id = $1")
            .bind(org.to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| decode(&r)).transpose()
    }

    pub async fn all_vetting(&self) -> Result<HashMap<OrgId, PartnerVetting>, StoreError> {
        let rows = sqlx::query("SELECT body FROM partner_vetting")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| decode(r).map(|v| (v.org_id, v)))
            .collect()
    }
}

fn decode(row: &sqlx::any::AnyRow) -> Result<PartnerVetting, StoreError> {
    serde_json::from_str(&row.try_get::<String, _>("body")?)
        .map_err(|e| StoreError::corrupt("vetting", e))
}
