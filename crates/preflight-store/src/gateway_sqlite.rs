//! The call journal on SQLite, each batch one script: its transaction, its
//! rows, its events and their ledger entries go to SQLite's thread in one
//! hand-off instead of one per statement. The journal writes on every model
//! call, so this is the gateway's hot path.

use crate::events::{EventRow, bind_appended, sqlite_append_statements};
use crate::gateway::{to_i64, transcript_context};
use crate::sql::numbered;
use crate::{CallFinished, CallStarted, MasterKey, Store, StoreError, time};
use preflight_core::ids::SubmissionId;
use sqlx::Executor;
use sqlx::Row;
use std::collections::HashMap;

/// Calls one script carries at most; a larger batch is several scripts
/// (several transactions, each all or nothing). Every script size is kept
/// prepared: two kinds of this many sizes fit the connection's statement
/// cache.
const SCRIPT_CALLS: usize = 32;

/// The columns a call's end sets, in the order they are bound.
const FINISHED_COLUMNS: [&str; 8] = [
    "finished_at",
    "outcome",
    "http_status",
    "prompt_tokens",
    "completion_tokens",
    "first_byte_ms",
    "total_ms",
    "transcript",
];

/// `BEGIN` and `COMMIT` around `body`; unless `synced`, the commit does not
/// wait for the disk (`synchronous = NORMAL` for this transaction only: it
/// reaches the disk with the next synced commit, as [`Store::begin_deferred`]
/// describes).
fn transaction(body: &str, synced: bool) -> String {
    if synced {
        format!("BEGIN IMMEDIATE;\n{body}COMMIT;")
    } else {
        format!(
            "PRAGMA synchronous = NORMAL;\nBEGIN IMMEDIATE;\n{body}COMMIT;\nPRAGMA synchronous = FULL;"
        )
    }
}

impl Store {
    /// [`Store::record_calls_started`] on SQLite.
    pub(crate) async fn record_calls_started_sqlite(
        &self,
        calls: &[CallStarted],
        synced: bool,
    ) -> Result<(), StoreError> {
        for chunk in calls.chunks(SCRIPT_CALLS) {
            self.record_started_script(chunk, synced).await?;
        }
        Ok(())
    }

    async fn record_started_script(
        &self,
        calls: &[CallStarted],
        synced: bool,
    ) -> Result<(), StoreError> {
        const CALL_VALUES: usize = 8;
        let rows = calls
            .iter()
            .map(|c| EventRow::of(&c.event))
            .collect::<Result<Vec<_>, _>>()?;
        let call_rows = (0..calls.len())
            .map(|r| {
                format!(
                    "({}, 'started', 0, 0)",
                    numbered(r * CALL_VALUES + 1, CALL_VALUES)
                )
            })
            .collect::<Vec<_>>()
            .join(", ");
        let body = format!(
            "INSERT INTO model_calls (id, submission_id, org_id, user_id, token_id, phase, streamed, \
             started_at, outcome, prompt_tokens, completion_tokens) VALUES {call_rows};\n{}",
            sqlite_append_statements(calls.len(), calls.len() * CALL_VALUES + 1)
        );
        let sql = transaction(&body, synced);
        let mut query = sqlx::query(&sql);
        for call in calls {
            query = query
                .bind(call.id.to_string())
                .bind(call.submission_id.to_string())
                .bind(call.org_id.to_string())
                .bind(call.user_id.to_string())
                .bind(call.token_id.to_string())
                .bind(call.phase.as_str())
                .bind(i64::from(call.streamed))
                .bind(time::encode(call.started_at));
        }
        self.run_script(bind_appended(query, &rows)).await
    }

    /// [`Store::record_calls_finished`] on SQLite: the transcripts are sealed
    /// first, then each chunk of the batch is one script.
    pub(crate) async fn record_calls_finished_sqlite(
        &self,
        calls: &[CallFinished],
        master: &MasterKey,
    ) -> Result<(), StoreError> {
        for chunk in calls.chunks(SCRIPT_CALLS) {
            self.record_finished_script(chunk, master).await?;
        }
        Ok(())
    }

    async fn record_finished_script(
        &self,
        calls: &[CallFinished],
        master: &MasterKey,
    ) -> Result<(), StoreError> {
        const CALL_VALUES: usize = FINISHED_COLUMNS.len() + 1;
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
        drop(keys);
        let rows = calls
            .iter()
            .map(|c| EventRow::of(&c.event))
            .collect::<Result<Vec<_>, _>>()?;
        let updates: String = (0..calls.len())
            .map(|r| {
                let first = r * CALL_VALUES + 1;
                let sets = FINISHED_COLUMNS
                    .iter()
                    .zip(first..)
                    .map(|(column, n)| format!("{column} = ${n}"))
                    .collect::<Vec<_>>()
                    .join(", ");
                format!(
                    "UPDATE model_calls SET {sets} WHERE id = ${};\n",
                    first + FINISHED_COLUMNS.len()
                )
            })
            .collect();
        let body = format!(
            "{updates}{}",
            sqlite_append_statements(calls.len(), calls.len() * CALL_VALUES + 1)
        );
        let sql = transaction(&body, false);
        let mut query = sqlx::query(&sql);
        for (call, sealed) in calls.iter().zip(&sealed) {
            query = query
                .bind(time::encode(call.finished_at))
                .bind(call.outcome.as_str())
                .bind(i64::from(call.http_status))
                .bind(to_i64(call.prompt_tokens))
                .bind(to_i64(call.completion_tokens))
                .bind(call.first_byte_ms.map(to_i64))
                .bind(to_i64(call.total_ms))
                .bind(sealed.as_deref())
                .bind(call.id.to_string());
        }
        self.run_script(bind_appended(query, &rows)).await
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

    /// Runs a transaction script on the writer connection. If it fails part
    /// way, the connection is closed, which rolls back whatever it began.
    async fn run_script<'q>(
        &self,
        query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    ) -> Result<(), StoreError> {
        let mut conn = self.writer.acquire().await?;
        if let Err(err) = conn.execute(query).await {
            drop(conn.detach());
            return Err(err.into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::transaction;

    #[test]
    fn a_deferred_script_restores_full_sync_after_its_commit() {
        let sql = transaction("SELECT 1;\n", false);
        assert!(sql.starts_with("PRAGMA synchronous = NORMAL;"));
        assert!(sql.ends_with("COMMIT;\nPRAGMA synchronous = FULL;"));
        assert_eq!(
            transaction("SELECT 1;\n", true),
            "BEGIN IMMEDIATE;\nSELECT 1;\nCOMMIT;"
        );
    }
}
