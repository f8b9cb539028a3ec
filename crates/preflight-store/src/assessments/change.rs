//! An analyst's change to one assessment (opened by hand, its coordination,
//! its label and audience, its publication): the row, its event and the
//! webhook notifications it causes, in one transaction.

use super::{Publication, StoredAssessment, fold, write};
use crate::{Store, StoreError, events, time};
use chrono::{DateTime, Utc};
use preflight_core::event::Event;
use preflight_core::ids::OrgId;
use preflight_vuln::Assessment;
use sqlx::AnyConnection;
use uuid::Uuid;

/// A webhook notification to queue with the change.
#[derive(Clone, Debug)]
pub struct NewDelivery {
    pub org_id: OrgId,
    /// The JSON body, exactly as it will be signed and sent.
    pub body: String,
}

/// The state an assessment is to have after a change, and what records it.
#[derive(Clone, Copy, Debug)]
pub struct AssessmentChange<'a> {
    pub assessment: &'a Assessment,
    pub publication: &'a Publication,
    pub event: &'a Event,
    pub deliveries: &'a [NewDelivery],
}

impl Store {
    /// Opens assessment `id` (not from an import): its row, every alias (an
    /// alias another assessment owns is a `Duplicate`), its event and any
    /// notifications, all or nothing.
    pub async fn create_assessment(
        &self,
        id: Uuid,
        change: AssessmentChange<'_>,
        now: DateTime<Utc>,
    ) -> Result<StoredAssessment, StoreError> {
        let mut tx = self.begin().await?;
        insert(&mut tx, id, change, now).await?;
        tx.commit().await?;
        self.assessment(id).await
    }

    /// Rewrites assessment `id` if it is still at `row_version` (else
    /// `Concurrent`), with its event and notifications. Aliases change only
    /// through imports.
    pub async fn save_assessment(
        &self,
        id: Uuid,
        row_version: i64,
        change: AssessmentChange<'_>,
        now: DateTime<Utc>,
    ) -> Result<StoredAssessment, StoreError> {
        let mut tx = self.begin().await?;
        write::rewrite(&mut tx, id, row_version, change.assessment, now).await?;
        set_publication(&mut tx, id, change.publication).await?;
        record(&mut tx, id, change, now).await?;
        tx.commit().await?;
        self.assessment(id).await
    }
}

/// Inserts a new assessment with its aliases and records the change,
/// inside the caller's transaction.
pub(crate) async fn insert(
    conn: &mut AnyConnection,
    id: Uuid,
    change: AssessmentChange<'_>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    write::insert_assessments(conn, &[(id, change.assessment.clone())], now).await?;
    let aliases: Vec<(String, Uuid)> = fold::keys(change.assessment)
        .into_iter()
        .map(|key| (key, id))
        .collect();
    write::insert_aliases(conn, &aliases).await?;
    set_publication(conn, id, change.publication).await?;
    record(conn, id, change, now).await
}

async fn set_publication(
    conn: &mut AnyConnection,
    id: Uuid,
    publication: &Publication,
) -> Result<(), StoreError> {
    let audience = serde_json::to_string(&publication.audience)
        .map_err(|e| StoreError::corrupt("audience", e))?;
    sqlx::query(
        "UPDATE assessments SET published_at = $1, shared_at = $2, audience = $3 WHERE id = $4",
    )
    .bind(publication.published_at.map(time::encode))
    .bind(publication.shared_at.map(time::encode))
    .bind(audience)
    .bind(id.to_string())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn record(
    conn: &mut AnyConnection,
    id: Uuid,
    change: AssessmentChange<'_>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    events::append(conn, change.event).await?;
    let now = time::encode(now);
    for delivery in change.deliveries {
        sqlx::query(
            "INSERT INTO webhook_deliveries (id, org_id, assessment_id, body, created_at, attempts, \
             next_attempt_at) VALUES ($1, $2, $3, $4, $5, 0, $6)",
        )
        .bind(Uuid::now_v7().to_string())
        .bind(delivery.org_id.to_string())
        .bind(id.to_string())
        .bind(&delivery.body)
        .bind(&now)
        .bind(&now)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}
