//! Calls whose start is recorded and whose row is not written yet: under
//! way, or cut off by a crash. A call's start is recorded by its
//! `model_called` ledger event alone (its row is written once, when it
//! ends), so these calls are read from their events, whose details are
//! written and read here as [`StartDetails`].

use crate::gateway::ModelCall;
use crate::{Store, StoreError, time};
use preflight_core::event::EventKind;
use preflight_core::ids::{OrgId, SubmissionId, TokenId, UserId};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use std::borrow::Cow;
use uuid::Uuid;

/// What a `model_called` event's details say of its call.
#[derive(Serialize, Deserialize)]
pub(crate) struct StartDetails {
    pub call_id: Uuid,
    pub org_id: OrgId,
    pub token_id: TokenId,
    pub phase: Cow<'static, str>,
    pub streamed: bool,
}

impl Store {
    /// Every call started under `submission`, as its start recorded it
    /// (outcome `started`): those that ended too, which the caller leaves
    /// out by their rows.
    pub(crate) async fn calls_under_way(
        &self,
        submission: SubmissionId,
    ) -> Result<Vec<ModelCall>, StoreError> {
        let rows = sqlx::query(
            "SELECT actor, at, details FROM events WHERE submission_id = $1 AND kind = $2",
        )
        .bind(submission.to_string())
        .bind(EventKind::ModelCalled.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let details: StartDetails =
                    serde_json::from_str(&row.try_get::<String, _>("details")?)
                        .map_err(|e| StoreError::corrupt("model_called event", e))?;
                let user_id: UserId = row
                    .try_get::<Option<String>, _>("actor")?
                    .ok_or_else(|| StoreError::corrupt("model_called event", "no actor"))?
                    .parse()
                    .map_err(|e| StoreError::corrupt("model_called event", e))?;
                Ok(ModelCall {
                    id: details.call_id,
                    submission_id: submission,
                    org_id: details.org_id,
                    user_id,
                    token_id: details.token_id,
                    phase: details.phase.into_owned(),
                    streamed: details.streamed,
                    started_at: time::decode(&row.try_get::<String, _>("at")?)?,
                    finished_at: None,
                    outcome: "started".to_owned(),
                    http_status: None,
                    prompt_tokens: 0,
                    completion_tokens: 0,
                    first_byte_ms: None,
                    total_ms: None,
                })
            })
            .collect()
    }
}
