//! Evaluation runs as jobs: queued by a government evaluator, claimed by a
//! worker (one at a time, also across processes), finished with a summary.
//! A run's gateway token is sealed under the review's data key, so only a
//! worker holding the master key can call the model for it.

use crate::store::Backend;
use crate::{MasterKey, Store, StoreError, events, time};
use chrono::{DateTime, Utc};
use preflight_core::event::Event;
use preflight_core::ids::{OrgId, SubmissionId, UserId};
use serde::Serialize;
use sqlx::Row;
use uuid::Uuid;
use zeroize::Zeroizing;

/// Where a run is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RunState {
    Queued,
    Running,
    Succeeded,
    Failed,
}

impl RunState {
    fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
        }
    }

    fn parse(text: &str) -> Result<Self, StoreError> {
        Ok(match text {
            "queued" => Self::Queued,
            "running" => Self::Running,
            "succeeded" => Self::Succeeded,
            "failed" => Self::Failed,
            other => {
                return Err(StoreError::corrupt(
                    "evaluation run",
                    format!("state {other:?}"),
                ));
            }
        })
    }
}

/// A run as stored (never its token).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct EvaluationRun {
    #[schema(value_type = String, format = Uuid)]
    pub id: Uuid,
    pub submission_id: SubmissionId,
    pub requested_by: UserId,
    pub org_id: OrgId,
    /// The suite's name (a file of the server's suite directory).
    pub suite: String,
    /// Run options as requested (limit, epochs).
    #[schema(value_type = Object)]
    pub options: serde_json::Value,
    pub state: RunState,
    pub created_at: DateTime<Utc>,
    pub attempts: u64,
    pub finished_at: Option<DateTime<Utc>>,
    /// Scores with their intervals, once the run succeeded.
    #[schema(value_type = Option<Object>)]
    pub summary: Option<serde_json::Value>,
    pub error: Option<String>,
}

/// A run a worker has claimed, with its gateway token opened.
#[derive(Debug)]
pub struct ClaimedRun {
    pub run: EvaluationRun,
    pub gateway_token: Zeroizing<String>,
}

fn token_context(submission: SubmissionId, run: Uuid) -> String {
    format!("evaluation-token:{submission}:{run}")
}

const COLUMNS: &str = "id, submission_id, requested_by, org_id, suite, options, state, created_at, \
                       attempts, finished_at, summary, error";

impl Store {
    /// Queues a run; `gateway_token` is sealed under the review's data key.
    pub async fn queue_evaluation(
        &self,
        run: &EvaluationRun,
        gateway_token: &str,
        master: &MasterKey,
        event: &Event,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        let wrapped: Option<String> =
            sqlx::query("SELECT wrapped_data_key FROM review_keys WHERE submission_id = $1")
                .bind(run.submission_id.to_string())
                .fetch_optional(&mut *tx)
                .await?
                .map(|row| row.try_get::<Option<String>, _>("wrapped_data_key"))
                .transpose()?
                .flatten();
        let Some(wrapped) = wrapped else {
            return Err(StoreError::Crypto("the review's data key is destroyed"));
        };
        let key = master.unwrap_data_key(&wrapped, &run.submission_id.to_string())?;
        let sealed = key.seal(
            gateway_token.as_bytes(),
            &token_context(run.submission_id, run.id),
        )?;
        sqlx::query(
            "INSERT INTO evaluation_runs (id, submission_id, requested_by, org_id, suite, options, state, \
             created_at, attempts, sealed_token) VALUES ($1, $2, $3, $4, $5, $6, 'queued', $7, 0, $8)",
        )
        .bind(run.id.to_string())
        .bind(run.submission_id.to_string())
        .bind(run.requested_by.to_string())
        .bind(run.org_id.to_string())
        .bind(&run.suite)
        .bind(run.options.to_string())
        .bind(time::encode(run.created_at))
        .bind(sealed)
        .execute(&mut *tx)
        .await?;
        events::append(&mut tx, event).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Claims the oldest queued run (or one whose worker stopped beating
    /// before `stale_before`) for `worker`.
    pub async fn claim_evaluation(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        stale_before: DateTime<Utc>,
        master: &MasterKey,
    ) -> Result<Option<ClaimedRun>, StoreError> {
        let mut tx = self.begin().await?;
        let pick = match self.backend() {
            Backend::Postgres => {
                "SELECT id FROM evaluation_runs WHERE state = 'queued' OR (state = 'running' AND heartbeat_at < $1) \
                 ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED"
            }
            // The write lock (BEGIN IMMEDIATE) already makes claims one at a time.
            Backend::Sqlite => {
                "SELECT id FROM evaluation_runs WHERE state = 'queued' OR (state = 'running' AND heartbeat_at < $1) \
                 ORDER BY created_at LIMIT 1"
            }
        };
        let Some(row) = sqlx::query(pick)
            .bind(time::encode(stale_before))
            .fetch_optional(&mut *tx)
            .await?
        else {
            return Ok(None);
        };
        let id: String = row.try_get("id")?;
        sqlx::query(
            "UPDATE evaluation_runs SET state = 'running', claimed_by = $1, heartbeat_at = $2, \
             attempts = attempts + 1 WHERE id = $3",
        )
        .bind(worker)
        .bind(time::encode(now))
        .bind(&id)
        .execute(&mut *tx)
        .await?;
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS}, sealed_token FROM evaluation_runs WHERE id = $1"
        ))
        .bind(&id)
        .fetch_one(&mut *tx)
        .await?;
        let run = decode(&row)?;
        let sealed: Option<String> = row.try_get("sealed_token")?;
        let wrapped: Option<String> =
            sqlx::query("SELECT wrapped_data_key FROM review_keys WHERE submission_id = $1")
                .bind(run.submission_id.to_string())
                .fetch_optional(&mut *tx)
                .await?
                .map(|row| row.try_get::<Option<String>, _>("wrapped_data_key"))
                .transpose()?
                .flatten();
        tx.commit().await?;
        let (Some(sealed), Some(wrapped)) = (sealed, wrapped) else {
            return Err(StoreError::Crypto(
                "the run's token can no longer be opened",
            ));
        };
        let key = master.unwrap_data_key(&wrapped, &run.submission_id.to_string())?;
        let plain = key.open(&sealed, &token_context(run.submission_id, run.id))?;
        let gateway_token = Zeroizing::new(
            String::from_utf8(plain.to_vec())
                .map_err(|_| StoreError::Crypto("the run's token is not UTF-8"))?,
        );
        Ok(Some(ClaimedRun { run, gateway_token }))
    }

    /// The claiming worker is still at it.
    pub async fn heartbeat_evaluation(
        &self,
        run: Uuid,
        worker: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE evaluation_runs SET heartbeat_at = $1 WHERE id = $2 AND claimed_by = $3 AND state = 'running'",
        )
        .bind(time::encode(now))
        .bind(run.to_string())
        .bind(worker)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    /// Ends a run with its summary or its error; the run's token is erased.
    pub async fn finish_evaluation(
        &self,
        run: Uuid,
        outcome: Result<&serde_json::Value, &str>,
        now: DateTime<Utc>,
        event: &Event,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        let (state, summary, error) = match outcome {
            Ok(summary) => (RunState::Succeeded, Some(summary.to_string()), None),
            Err(error) => (RunState::Failed, None, Some(error.to_owned())),
        };
        let done = sqlx::query(
            "UPDATE evaluation_runs SET state = $1, summary = $2, error = $3, finished_at = $4, sealed_token = NULL \
             WHERE id = $5 AND state = 'running'",
        )
        .bind(state.as_str())
        .bind(summary)
        .bind(error)
        .bind(time::encode(now))
        .bind(run.to_string())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if done == 0 {
            return Err(StoreError::Concurrent("evaluation run"));
        }
        events::append(&mut tx, event).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The review's runs, oldest first.
    pub async fn evaluations(
        &self,
        submission: SubmissionId,
    ) -> Result<Vec<EvaluationRun>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM evaluation_runs WHERE submission_id = $1 ORDER BY created_at, id"
        ))
        .bind(submission.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(decode).collect()
    }

    /// Finished runs of `suite` on every review, newest first: the
    /// references a new model's scores are read against.
    pub async fn succeeded_runs_of_suite(
        &self,
        suite: &str,
        limit: u32,
    ) -> Result<Vec<EvaluationRun>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM evaluation_runs WHERE suite = $1 AND state = 'succeeded' \
             ORDER BY created_at DESC, id DESC LIMIT $2"
        ))
        .bind(suite)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(decode).collect()
    }

    /// One run of the review.
    pub async fn evaluation(
        &self,
        submission: SubmissionId,
        run: Uuid,
    ) -> Result<EvaluationRun, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM evaluation_runs WHERE id = $1 AND submission_id = $2"
        ))
        .bind(run.to_string())
        .bind(submission.to_string())
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::NotFound {
            what: "evaluation run",
            id: run.to_string(),
        })?;
        decode(&row)
    }
}

fn decode(row: &sqlx::any::AnyRow) -> Result<EvaluationRun, StoreError> {
    let bad = |e: uuid::Error| StoreError::corrupt("evaluation run", e);
    let json = |text: String| {
        serde_json::from_str(&text).map_err(|e| StoreError::corrupt("evaluation run", e))
    };
    Ok(EvaluationRun {
        id: row.try_get::<String, _>("id")?.parse().map_err(bad)?,
        submission_id: row
            .try_get::<String, _>("submission_id")?
            .parse()
            .map_err(bad)?,
        requested_by: row
            .try_get::<String, _>("requested_by")?
            .parse()
            .map_err(bad)?,
        org_id: row.try_get::<String, _>("org_id")?.parse().map_err(bad)?,
        suite: row.try_get("suite")?,
        options: json(row.try_get("options")?)?,
        state: RunState::parse(&row.try_get::<String, _>("state")?)?,
        created_at: time::decode(&row.try_get::<String, _>("created_at")?)?,
        attempts: u64::try_from(row.try_get::<i64, _>("attempts")?).unwrap_or(0),
        finished_at: time::decode_opt(row.try_get("finished_at")?)?,
        summary: row
            .try_get::<Option<String>, _>("summary")?
            .map(json)
            .transpose()?,
        error: row.try_get("error")?,
    })
}
