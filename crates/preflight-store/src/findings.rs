use crate::submissions::update_in;
use crate::{Store, StoreError, events, time};
use preflight_core::event::Event;
use preflight_core::finding::{Finding, FindingResponse};
use preflight_core::ids::{FindingId, SubmissionId};
use preflight_core::report::ReviewReport;
use preflight_core::submission::Submission;
use sqlx::Row;

impl Store {
    pub async fn create_finding(&self, finding: &Finding, event: &Event) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        sqlx::query("INSERT INTO findings (id, submission_id, author_org, body, filed_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(finding.id.to_string())
            .bind(finding.submission_id.to_string())
            .bind(finding.author_org.to_string())
            .bind(encode(finding)?)
            .bind(time::encode(finding.filed_at))
            .execute(&mut *tx)
            .await?;
        events::append(&mut tx, event).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn findings_of(&self, submission: SubmissionId) -> Result<Vec<Finding>, StoreError> {
        let rows =
            sqlx::query("SELECT body FROM findings WHERE submission_id = $1 ORDER BY filed_at, id")
                .bind(submission.to_string())
                .fetch_all(&self.pool)
                .await?;
        rows.iter().map(decode).collect()
    }

    pub async fn finding(&self, id: FindingId) -> Result<Finding, StoreError> {
        let row = sqlx::query("SELECT body FROM findings WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound {
                what: "finding",
                id: id.to_string(),
            })?;
        decode(&row)
    }

    /// Appends the developer's answer to a finding.
    pub async fn answer_finding(
        &self,
        id: FindingId,
        response: &FindingResponse,
        event: &Event,
    ) -> Result<Finding, StoreError> {
        let mut tx = self.begin().await?;
        let row = sqlx::query("SELECT body FROM findings WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| StoreError::NotFound {
                what: "finding",
                id: id.to_string(),
            })?;
        let mut finding = decode(&row)?;
        finding.responses.push(response.clone());
        sqlx::query("UPDATE findings SET body = $1 WHERE id = $2")
            .bind(encode(&finding)?)
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        events::append(&mut tx, event).await?;
        tx.commit().await?;
        Ok(finding)
    }

    /// Keeps the delivered report and moves the review to `report delivered`
    /// in one transaction.
    pub async fn deliver_report(
        &self,
        report: &ReviewReport,
        submission: &Submission,
        row_version: i64,
        event: &Event,
    ) -> Result<(), StoreError> {
        let body = serde_json::to_string(report).map_err(|e| StoreError::corrupt("report", e))?;
        let mut tx = self.begin().await?;
        update_in(&mut tx, submission, row_version).await?;
        sqlx::query("INSERT INTO reports (submission_id, delivered_at, body) VALUES ($1, $2, $3)")
            .bind(submission.id.to_string())
            .bind(time::encode(report.generated_at))
            .bind(body)
            .execute(&mut *tx)
            .await
            .map_err(|e| StoreError::on_unique(e, "report", &submission.id.to_string()))?;
        events::append(&mut tx, event).await?;
        tx.commit().await?;
        self.access_changed();
        Ok(())
    }

    /// The report as delivered, if it has been.
    pub async fn delivered_report(
        &self,
        submission: SubmissionId,
    ) -> Result<Option<ReviewReport>, StoreError> {
        let row = sqlx::query("SELECT body FROM reports WHERE submission_id = $1")
            .bind(submission.to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            serde_json::from_str(&r.try_get::<String, _>("body")?)
                .map_err(|e| StoreError::corrupt("report", e))
        })
        .transpose()
    }
}

fn encode(finding: &Finding) -> Result<String, StoreError> {
    serde_json::to_string(finding).map_err(|e| StoreError::corrupt("finding", e))
}

fn decode(row: &sqlx::any::AnyRow) -> Result<Finding, StoreError> {
    serde_json::from_str(&row.try_get::<String, _>("body")?)
        .map_err(|e| StoreError::corrupt("finding", e))
}
