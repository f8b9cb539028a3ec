use crate::submissions::update_in;
use crate::{Store, StoreError, events, time};
use preflight_core::event::Event;
use preflight_core::ids::SubmissionId;
use preflight_core::submission::Submission;
use preflight_core::terms::{TermsDocument, TermsSignature, TermsVersion};
use sqlx::Row;

impl Store {
    /// Stores a new terms version. Its number must be one more than the
    /// latest; a concurrent proposal of the same number fails as a duplicate.
    pub async fn propose_terms(
        &self,
        version: &TermsVersion,
        event: &Event,
    ) -> Result<(), StoreError> {
        let doc = &version.document;
        let mut tx = self.begin().await?;
        let latest: Option<i64> =
            sqlx::query("SELECT MAX(version) AS v FROM terms_versions WHERE submission_id = $1")
                .bind(doc.submission_id.to_string())
                .fetch_one(&mut *tx)
                .await?
                .try_get("v")?;
        if i64::from(doc.version) != latest.unwrap_or(0) + 1 {
            return Err(StoreError::Concurrent("terms"));
        }
        sqlx::query(
            "INSERT INTO terms_versions (submission_id, version, document, proposed_by, proposed_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(doc.submission_id.to_string())
        .bind(i64::from(doc.version))
        .bind(doc.canonical_json())
        .bind(version.proposed_by.to_string())
        .bind(time::encode(version.proposed_at))
        .execute(&mut *tx)
        .await
        .map_err(|e| StoreError::on_unique(e, "version", &doc.version.to_string()))?;
        events::append(&mut tx, event).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Every terms version of a review with its signatures, oldest first.
    pub async fn terms_versions(
        &self,
        submission: SubmissionId,
    ) -> Result<Vec<TermsVersion>, StoreError> {
        let rows = sqlx::query(
            "SELECT version, document, proposed_by, proposed_at FROM terms_versions WHERE submission_id = $1 ORDER BY version",
        )
        .bind(submission.to_string())
        .fetch_all(&self.pool)
        .await?;
        let sig_rows = sqlx::query(
            "SELECT version, side, signer, public_key, signature, signed_at FROM terms_signatures WHERE submission_id = $1 ORDER BY version, side",
        )
        .bind(submission.to_string())
        .fetch_all(&self.pool)
        .await?;
        let bad = |e: &dyn std::fmt::Display| StoreError::corrupt("terms", e);
        let mut signatures = Vec::new();
        for row in &sig_rows {
            signatures.push(TermsSignature {
                version: u32::try_from(row.try_get::<i64, _>("version")?).map_err(|e| bad(&e))?,
                side: row
                    .try_get::<String, _>("side")?
                    .parse()
                    .map_err(|e| bad(&e))?,
                signer: row
                    .try_get::<String, _>("signer")?
                    .parse()
                    .map_err(|e| bad(&e))?,
                public_key: row.try_get("public_key")?,
                signature: row.try_get("signature")?,
                signed_at: time::decode(&row.try_get::<String, _>("signed_at")?)?,
            });
        }
        let mut versions = Vec::new();
        for row in &rows {
            let document: TermsDocument =
                serde_json::from_str(&row.try_get::<String, _>("document")?)
                    .map_err(|e| bad(&e))?;
            let number = document.version;
            versions.push(TermsVersion {
                document,
                proposed_by: row
                    .try_get::<String, _>("proposed_by")?
                    .parse()
                    .map_err(|e| bad(&e))?,
                proposed_at: time::decode(&row.try_get::<String, _>("proposed_at")?)?,
                signatures: signatures
                    .iter()
                    .filter(|s| s.version == number)
                    .cloned()
                    .collect(),
            });
        }
        Ok(versions)
    }

    /// Records a checked signature and, when it completes the terms, the
    /// submission's move to `terms agreed`, in one transaction.
    pub async fn add_signature(
        &self,
        submission_id: SubmissionId,
        signature: &TermsSignature,
        agreed: Option<(&Submission, i64)>,
        events_to_write: &[Event],
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO terms_signatures (submission_id, version, side, signer, public_key, signature, signed_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(submission_id.to_string())
        .bind(i64::from(signature.version))
        .bind(signature.side.as_str())
        .bind(signature.signer.to_string())
        .bind(&signature.public_key)
        .bind(&signature.signature)
        .bind(time::encode(signature.signed_at))
        .execute(&mut *tx)
        .await
        .map_err(|e| StoreError::on_unique(e, "side", signature.side.as_str()))?;
        if let Some((submission, row_version)) = agreed {
            update_in(&mut tx, submission, row_version).await?;
        }
        for event in events_to_write {
            events::append(&mut tx, event).await?;
        }
        tx.commit().await?;
        self.access_changed();
        Ok(())
    }
}
