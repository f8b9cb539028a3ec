//! The call journal on SQLite, written through the inline connection (see
//! [`crate::inline_sqlite`]): each batch is one transaction of prepared
//! statements run in the calling thread. The journal writes on every model
//! call, so this is the gateway's hot path.

use crate::events::{EventRow, append_inline};
use crate::gateway::{CALL_COLUMNS, to_i64, transcript_context};
use crate::{CallFinished, CallStarted, MasterKey, Store, StoreError, time};
use preflight_core::ids::SubmissionId;
use sqlx::Row;
use std::collections::HashMap;

impl Store {
    /// [`Store::record_calls`] on SQLite: one transaction of the started
    /// calls' events, and the ended calls' rows and events, their
    /// transcripts already `sealed` (one for each, `None` where the review's
    /// data key is destroyed).
    pub(crate) async fn record_calls_sqlite(
        &self,
        started: &[CallStarted],
        finished: &[CallFinished],
        sealed: &[Option<String>],
        synced: bool,
    ) -> Result<(), StoreError> {
        let rows = started
            .iter()
            .map(|c| &c.event)
            .chain(finished.iter().map(|c| &c.event))
            .map(EventRow::of)
            .collect::<Result<Vec<_>, _>>()?;
        let written = self.inline_write(synced, |tx| {
            if !finished.is_empty() {
                let mut insert = tx.prepare_cached(&format!(
                    "INSERT INTO model_calls ({CALL_COLUMNS}, transcript) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)"
                ))?;
                for (call, sealed) in finished.iter().zip(sealed) {
                    let origin = &call.origin;
                    insert.execute(rusqlite::params![
                        call.id.to_string(),
                        call.submission_id.to_string(),
                        origin.org_id.to_string(),
                        origin.user_id.to_string(),
                        origin.token_id.to_string(),
                        origin.phase,
                        i64::from(origin.streamed),
                        time::encode(origin.started_at),
                        time::encode(call.finished_at),
                        call.outcome,
                        i64::from(call.http_status),
                        to_i64(call.prompt_tokens),
                        to_i64(call.completion_tokens),
                        call.first_byte_ms.map(to_i64),
                        to_i64(call.total_ms),
                        sealed.as_deref(),
                    ])?;
                }
            }
            append_inline(tx, &rows)
        });
        written
            .await
            .unwrap_or_else(|| Err(StoreError::corrupt("SQLite connection", "not open")))
    }

    /// Each call's transcript sealed under its review's data key; `None`
    /// where that key is destroyed.
    pub(crate) async fn seal_transcripts(
        &self,
        calls: &[CallFinished],
        master: &MasterKey,
    ) -> Result<Vec<Option<String>>, StoreError> {
        let mut keys = HashMap::new();
        let mut sealed = Vec::with_capacity(calls.len());
        for call in calls {
            if let std::collections::hash_map::Entry::Vacant(slot) = keys.entry(call.submission_id)
            {
                let key = self
                    .wrapped_data_key(call.submission_id)
                    .await?
                    .map(|w| master.unwrap_data_key(&w, &call.submission_id.to_string()))
                    .transpose()?;
                slot.insert(key);
            }
            sealed.push(
                match keys.get(&call.submission_id).and_then(Option::as_ref) {
                    Some(key) => Some(key.seal(
                        &call.transcript,
                        &transcript_context(call.submission_id, call.id),
                    )?),
                    None => None,
                },
            );
        }
        Ok(sealed)
    }

    /// The review's wrapped data key (`None` once destroyed), kept between
    /// batches while the access generation stays the same: destroying a key
    /// moves it. The key stays wrapped under the master key while kept.
    async fn wrapped_data_key(
        &self,
        submission: SubmissionId,
    ) -> Result<Option<String>, StoreError> {
        let generation = self.access_generation();
        if let Some((kept_in, wrapped)) = self
            .wrapped_keys
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&submission)
            && *kept_in == generation
        {
            return Ok(wrapped.clone());
        }
        let wrapped: Option<String> =
            sqlx::query("SELECT wrapped_data_key FROM review_keys WHERE submission_id = $1")
                .bind(submission.to_string())
                .fetch_optional(&self.pool)
                .await?
                .map(|row| row.try_get::<Option<String>, _>("wrapped_data_key"))
                .transpose()?
                .flatten();
        let mut kept = self.wrapped_keys.lock().unwrap_or_else(|e| e.into_inner());
        if kept.len() >= 10_000 {
            kept.clear();
        }
        kept.insert(submission, (generation, wrapped.clone()));
        Ok(wrapped)
    }
}
