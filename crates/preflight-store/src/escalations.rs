//! Review findings escalated to the clearinghouse: each at most once, into
//! the assessment it opened, written with that assessment and the review's
//! event in one transaction.

use crate::assessments::{AssessmentChange, StoredAssessment, insert_change};
use crate::{Store, StoreError, time};
use chrono::{DateTime, Utc};
use preflight_core::ids::{FindingId, SubmissionId, UserId};
use sqlx::Row;
use uuid::Uuid;

/// A finding's escalation.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Escalation {
    pub finding_id: FindingId,
    pub submission_id: SubmissionId,
    pub assessment_id: Uuid,
    pub actor: UserId,
    pub escalated_at: DateTime<Utc>,
}

impl Store {
    /// Opens the assessment of an escalated finding and records the
    /// escalation. A finding escalated before is a `Duplicate`.
    pub async fn escalate_finding(
        &self,
        escalation: &Escalation,
        change: AssessmentChange<'_>,
    ) -> Result<StoredAssessment, StoreError> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO escalations (finding_id, submission_id, assessment_id, actor, escalated_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(escalation.finding_id.to_string())
        .bind(escalation.submission_id.to_string())
        .bind(escalation.assessment_id.to_string())
        .bind(escalation.actor.to_string())
        .bind(time::encode(escalation.escalated_at))
        .execute(&mut *tx)
        .await
        .map_err(|e| StoreError::on_unique(e, "finding_id", &escalation.finding_id.to_string()))?;
        insert_change(
            &mut tx,
            escalation.assessment_id,
            change,
            escalation.escalated_at,
        )
        .await?;
        tx.commit().await?;
        self.assessment(escalation.assessment_id).await
    }

    /// The escalations of a review's findings, oldest first.
    pub async fn escalations_of(
        &self,
        submission: SubmissionId,
    ) -> Result<Vec<Escalation>, StoreError> {
        let rows = sqlx::query(
            "SELECT finding_id, submission_id, assessment_id, actor, escalated_at FROM escalations \
             WHERE submission_id = $1 ORDER BY escalated_at, finding_id",
        )
        .bind(submission.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(decode).collect()
    }
}

fn decode(row: &sqlx::any::AnyRow) -> Result<Escalation, StoreError> {
    let parse = |col: &str| -> Result<String, StoreError> { Ok(row.try_get::<String, _>(col)?) };
    let bad = |what: &'static str| move |e: &dyn std::fmt::Display| StoreError::corrupt(what, e);
    Ok(Escalation {
        finding_id: parse("finding_id")?
            .parse()
            .map_err(|e| bad("finding id")(&e))?,
        submission_id: parse("submission_id")?
            .parse()
            .map_err(|e| bad("submission id")(&e))?,
        assessment_id: parse("assessment_id")?
            .parse()
            .map_err(|e| bad("assessment id")(&e))?,
        actor: parse("actor")?.parse().map_err(|e| bad("user id")(&e))?,
        escalated_at: time::decode(&parse("escalated_at")?)?,
    })
}
