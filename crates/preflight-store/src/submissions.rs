use crate::store::Tx;
use crate::{MasterKey, Store, StoreError, events, time};
use preflight_core::event::Event;
use preflight_core::ids::{OrgId, SubmissionId};
use preflight_core::submission::Submission;
use sqlx::Row;
use zeroize::Zeroizing;

/// A submission as stored, with the version that guards concurrent updates.
#[derive(Clone, Debug)]
pub struct Stored<T> {
    pub value: T,
    pub row_version: i64,
}

impl Store {
    /// Stores a new submission. Its upstream credential, if any, is sealed
    /// under a fresh per-review data key wrapped by `master`.
    pub async fn create_submission(
        &self,
        submission: &Submission,
        credential: Option<&str>,
        master: &MasterKey,
        event: &Event,
    ) -> Result<(), StoreError> {
        let context = submission.id.to_string();
        let (data_key, wrapped) = master.new_data_key(&context)?;
        let sealed = credential
            .map(|c| data_key.seal(c.as_bytes(), &format!("credential:{context}")))
            .transpose()?;
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO submissions (id, developer_org, stage, body, row_version, created_at) VALUES ($1, $2, $3, $4, 1, $5)",
        )
        .bind(&context)
        .bind(submission.developer_org.to_string())
        .bind(submission.stage.as_str())
        .bind(encode(submission)?)
        .bind(time::encode(submission.created_at))
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO review_keys (submission_id, wrapped_data_key, sealed_credential) VALUES ($1, $2, $3)",
        )
        .bind(&context)
        .bind(wrapped)
        .bind(sealed)
        .execute(&mut *tx)
        .await?;
        events::append(&mut tx, event).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn submission(&self, id: SubmissionId) -> Result<Stored<Submission>, StoreError> {
        let row = sqlx::query("SELECT body, row_version FROM submissions WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound {
                what: "submission",
                id: id.to_string(),
            })?;
        decode(&row)
    }

    /// Every submission, or one developer's.
    pub async fn submissions(
        &self,
        developer: Option<OrgId>,
    ) -> Result<Vec<Stored<Submission>>, StoreError> {
        let rows = match developer {
            Some(org) => sqlx::query(
                "SELECT body, row_version FROM submissions WHERE developer_org = $1 ORDER BY id",
            )
            .bind(org.to_string())
            .fetch_all(&self.pool)
            .await?,
            None => {
                sqlx::query("SELECT body, row_version FROM submissions ORDER BY id")
                    .fetch_all(&self.pool)
                    .await?
            }
        };
        rows.iter().map(decode).collect()
    }

    /// Saves a changed submission if nobody changed it since `row_version`.
    pub async fn update_submission(
        &self,
        submission: &Submission,
        row_version: i64,
        event: &Event,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        update_in(&mut tx, submission, row_version).await?;
        events::append(&mut tx, event).await?;
        tx.commit().await?;
        self.access_changed();
        Ok(())
    }

    /// The developer's upstream credential, opened in memory, if the review's
    /// data key still exists.
    pub async fn upstream_credential(
        &self,
        id: SubmissionId,
        master: &MasterKey,
    ) -> Result<Option<Zeroizing<String>>, StoreError> {
        let row = sqlx::query(
            "SELECT wrapped_data_key, sealed_credential FROM review_keys WHERE submission_id = $1",
        )
        .bind(id.to_string())
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let (Some(wrapped), Some(sealed)) = (
            row.try_get::<Option<String>, _>("wrapped_data_key")?,
            row.try_get::<Option<String>, _>("sealed_credential")?,
        ) else {
            return Ok(None);
        };
        let context = id.to_string();
        let key = master.unwrap_data_key(&wrapped, &context)?;
        let plain = key.open(&sealed, &format!("credential:{context}"))?;
        let text = String::from_utf8(plain.to_vec())
            .map_err(|_| StoreError::Crypto("credential is not UTF-8"))?;
        Ok(Some(Zeroizing::new(text)))
    }

    /// Whether a credential is stored for the review (never the credential).
    pub async fn has_upstream_credential(&self, id: SubmissionId) -> Result<bool, StoreError> {
        let row = sqlx::query("SELECT sealed_credential FROM review_keys WHERE submission_id = $1")
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        Ok(match row {
            Some(row) => row
                .try_get::<Option<String>, _>("sealed_credential")?
                .is_some(),
            None => false,
        })
    }
}

pub(crate) async fn update_in(
    tx: &mut Tx,
    submission: &Submission,
    row_version: i64,
) -> Result<(), StoreError> {
    let done = sqlx::query(
        "UPDATE submissions SET stage = $1, body = $2, row_version = row_version + 1 WHERE id = $3 AND row_version = $4",
    )
    .bind(submission.stage.as_str())
    .bind(encode(submission)?)
    .bind(submission.id.to_string())
    .bind(row_version)
    .execute(&mut **tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::Concurrent("submission"));
    }
    Ok(())
}

fn encode(submission: &Submission) -> Result<String, StoreError> {
    serde_json::to_string(submission).map_err(|e| StoreError::corrupt("submission", e))
}

fn decode(row: &sqlx::any::AnyRow) -> Result<Stored<Submission>, StoreError> {
    Ok(Stored {
        value: serde_json::from_str(&row.try_get::<String, _>("body")?)
            .map_err(|e| StoreError::corrupt("submission", e))?,
        row_version: row.try_get("row_version")?,
    })
}
