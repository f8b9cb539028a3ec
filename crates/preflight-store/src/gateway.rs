//! The gateway's records: reviewer tokens scoped to one person and one
//! submission, calls to the model with their usage, sealed transcripts, and
//! the destruction of a review's data key at the end of retention.

use crate::calls_under_way::StartDetails;
use crate::{MasterKey, Store, StoreError, events, time};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use chrono::{DateTime, Utc};
use preflight_core::actor::User;
use preflight_core::event::{Event, EventKind};
use preflight_core::ids::{OrgId, SubmissionId, TokenId, UserId};
use rand::RngCore;
use serde::Serialize;
use sqlx::Row;
use std::collections::HashSet;
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::tokens::{NewToken, TokenPepper};

/// Prefix of gateway tokens, distinct from API tokens so neither is taken
/// for the other.
pub const GATEWAY_TOKEN_PREFIX: &str = "pfg_";

/// A live gateway token: who calls, for which submission, until when.
#[derive(Clone, Debug)]
pub struct GatewayGrant {
    pub token_id: TokenId,
    pub user: User,
    pub submission_id: SubmissionId,
    pub expires_at: DateTime<Utc>,
}

/// What a presented gateway token turned out to be.
#[derive(Clone, Debug)]
pub enum GrantLookup {
    Live(GatewayGrant),
    Expired { at: DateTime<Utc> },
    Revoked { at: DateTime<Utc> },
    Unknown,
}

/// What is shown of a gateway token after it was made (never its secret).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct GatewayTokenRecord {
    pub id: TokenId,
    pub user_id: UserId,
    pub submission_id: SubmissionId,
    pub label: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// Who made a call, how and when it started: what its row takes from its
/// start.
#[derive(Clone, Copy, Debug)]
pub struct CallOrigin {
    pub org_id: OrgId,
    pub user_id: UserId,
    pub token_id: TokenId,
    pub phase: &'static str,
    pub streamed: bool,
    pub started_at: DateTime<Utc>,
}

/// A call about to go upstream. Its start is recorded by its
/// `model_called` ledger event alone; the call's row is written once,
/// complete, when it ends (a row written at the start and grown by its
/// transcript at the end cost every call a second index entry and split
/// the table's pages).
#[derive(Clone, Debug)]
pub struct CallStarted {
    pub(crate) event: Event,
}

impl CallStarted {
    /// The start of call `id` under `submission`, made by `origin`. Its
    /// event's details are what [`Store::model_calls`] reads back while the
    /// call has no row.
    pub fn new(id: Uuid, submission: SubmissionId, origin: &CallOrigin) -> Self {
        let details = StartDetails {
            call_id: id,
            org_id: origin.org_id,
            token_id: origin.token_id,
            phase: origin.phase.into(),
            streamed: origin.streamed,
        };
        Self {
            event: Event::new(
                EventKind::ModelCalled,
                Some(submission),
                Some(origin.user_id),
                origin.started_at,
                // Plain data of ids, strings and a flag always serialises.
                serde_json::to_value(details).unwrap_or_default(),
            ),
        }
    }
}

/// How a call ended. `transcript` is sealed under the review's data key;
/// when that key is gone the call is still recorded, without transcript.
#[derive(Clone, Debug)]
pub struct CallFinished {
    pub id: Uuid,
    pub submission_id: SubmissionId,
    pub origin: CallOrigin,
    pub finished_at: DateTime<Utc>,
    pub outcome: String,
    pub http_status: u16,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub first_byte_ms: Option<u64>,
    pub total_ms: u64,
    pub transcript: Zeroizing<Vec<u8>>,
    /// The `model_call_finished` event.
    pub event: Event,
}

/// One call as listed to those who may see it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ModelCall {
    #[schema(value_type = String, format = Uuid)]
    pub id: Uuid,
    pub submission_id: SubmissionId,
    pub org_id: OrgId,
    pub user_id: UserId,
    pub token_id: TokenId,
    pub phase: String,
    pub streamed: bool,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    /// `started` until the answer has been relayed; then `ok`, `upstream_error`,
    /// `client_gone` or another word for how it ended.
    pub outcome: String,
    pub http_status: Option<u16>,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub first_byte_ms: Option<u64>,
    pub total_ms: Option<u64>,
}

/// A transcript as read back.
#[derive(Debug)]
pub enum Transcript {
    Readable(Zeroizing<Vec<u8>>),
    /// The call finished without a transcript (key already destroyed) or has
    /// not finished yet.
    Missing,
    /// The review's data key was destroyed at this time.
    Destroyed {
        at: DateTime<Utc>,
    },
}

/// Usage summed per person of an organisation.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct UsageRow {
    pub org_id: OrgId,
    pub user_id: UserId,
    pub calls: u64,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub first_call_at: DateTime<Utc>,
    pub last_call_at: DateTime<Utc>,
}

pub(crate) fn transcript_context(submission: SubmissionId, call: Uuid) -> String {
    format!("transcript:{submission}:{call}")
}

fn count(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

pub(crate) fn to_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

impl Store {
    /// Makes a gateway token for `user` on `submission`, valid until `expires_at`.
    pub async fn create_gateway_token(
        &self,
        pepper: &TokenPepper,
        user: UserId,
        submission: SubmissionId,
        label: &str,
        expires_at: DateTime<Utc>,
        event: &Event,
    ) -> Result<NewToken, StoreError> {
        let mut raw = Zeroizing::new([0u8; 32]);
        rand::rngs::OsRng.fill_bytes(raw.as_mut());
        let secret = Zeroizing::new(format!(
            "{GATEWAY_TOKEN_PREFIX}{}",
            B64URL.encode(raw.as_ref())
        ));
        let id = TokenId::new();
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO gateway_tokens (id, user_id, submission_id, label, token_hash, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id.to_string())
        .bind(user.to_string())
        .bind(submission.to_string())
        .bind(label)
        .bind(pepper.hash(&secret))
        .bind(time::encode(Utc::now()))
        .bind(time::encode(expires_at))
        .execute(&mut *tx)
        .await?;
        events::append(&mut tx, event).await?;
        tx.commit().await?;
        Ok(NewToken { id, secret })
    }

    /// The grant behind a gateway token, and whether it is live at `now`.
    pub async fn gateway_grant(
        &self,
        pepper: &TokenPepper,
        secret: &str,
        now: DateTime<Utc>,
    ) -> Result<GrantLookup, StoreError> {
        if !secret.starts_with(GATEWAY_TOKEN_PREFIX) || secret.len() > 100 {
            return Ok(GrantLookup::Unknown);
        }
        let row = sqlx::query(
            "SELECT t.id AS token_id, t.submission_id, t.expires_at, t.revoked_at, \
             u.id, u.org_id, u.name, u.email, u.role, u.public_key \
             FROM gateway_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1",
        )
        .bind(pepper.hash(secret))
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Ok(GrantLookup::Unknown);
        };
        if let Some(at) = time::decode_opt(row.try_get("revoked_at")?)? {
            return Ok(GrantLookup::Revoked { at });
        }
        let expires_at = time::decode(&row.try_get::<String, _>("expires_at")?)?;
        if expires_at <= now {
            return Ok(GrantLookup::Expired { at: expires_at });
        }
        let bad = |e: uuid::Error| StoreError::corrupt("gateway token", e);
        Ok(GrantLookup::Live(GatewayGrant {
            token_id: row.try_get::<String, _>("token_id")?.parse().map_err(bad)?,
            submission_id: row
                .try_get::<String, _>("submission_id")?
                .parse()
                .map_err(bad)?,
            expires_at,
            user: crate::users::decode(&row)?,
        }))
    }

    /// The gateway tokens of `user` on `submission`, newest last.
    pub async fn gateway_tokens_of(
        &self,
        user: UserId,
        submission: SubmissionId,
    ) -> Result<Vec<GatewayTokenRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, user_id, submission_id, label, created_at, expires_at, revoked_at \
             FROM gateway_tokens WHERE submission_id = $1 AND user_id = $2 ORDER BY id",
        )
        .bind(submission.to_string())
        .bind(user.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let bad = |e: uuid::Error| StoreError::corrupt("gateway token", e);
                Ok(GatewayTokenRecord {
                    id: row.try_get::<String, _>("id")?.parse().map_err(bad)?,
                    user_id: row.try_get::<String, _>("user_id")?.parse().map_err(bad)?,
                    submission_id: row
                        .try_get::<String, _>("submission_id")?
                        .parse()
                        .map_err(bad)?,
                    label: row.try_get("label")?,
                    created_at: time::decode(&row.try_get::<String, _>("created_at")?)?,
                    expires_at: time::decode(&row.try_get::<String, _>("expires_at")?)?,
                    revoked_at: time::decode_opt(row.try_get("revoked_at")?)?,
                })
            })
            .collect()
    }

    /// Revokes one of `user`'s gateway tokens on `submission`. Twice is a no-op.
    pub async fn revoke_gateway_token(
        &self,
        user: UserId,
        submission: SubmissionId,
        token: TokenId,
        event: &Event,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        let exists = sqlx::query(
            "SELECT id FROM gateway_tokens WHERE id = $1 AND user_id = $2 AND submission_id = $3",
        )
        .bind(token.to_string())
        .bind(user.to_string())
        .bind(submission.to_string())
        .fetch_optional(&mut *tx)
        .await?;
        if exists.is_none() {
            return Err(StoreError::NotFound {
                what: "gateway token",
                id: token.to_string(),
            });
        }
        sqlx::query(
            "UPDATE gateway_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
        )
        .bind(time::encode(Utc::now()))
        .bind(token.to_string())
        .execute(&mut *tx)
        .await?;
        events::append(&mut tx, event).await?;
        tx.commit().await?;
        self.access_changed();
        Ok(())
    }

    /// Records calls about to go upstream, each by its ledger event (their
    /// rows are written when they end), in one transaction (group commit):
    /// all of them or none. With `synced`, the
    /// commit waits for the disk; otherwise it is committed for every reader
    /// and survives a crash of the process, and reaches the disk with the
    /// next synced commit (see [`Store::begin_deferred`]).
    pub async fn record_calls_started(
        &self,
        calls: &[CallStarted],
        synced: bool,
    ) -> Result<(), StoreError> {
        if calls.is_empty() {
            return Ok(());
        }
        if self.backend() == crate::Backend::Sqlite {
            return self.record_calls_sqlite(calls, &[], &[], synced).await;
        }
        let events: Vec<&Event> = calls.iter().map(|c| &c.event).collect();
        if synced {
            let mut tx = self.begin().await?;
            events::append_all(&mut tx, &events).await?;
            tx.commit().await?;
        } else {
            let mut tx = self.begin_deferred().await?;
            events::append_all(tx.conn(), &events).await?;
            tx.commit().await?;
        }
        Ok(())
    }

    /// Records calls about to go upstream and calls that ended, in one
    /// transaction: [`Store::record_calls_started`] and
    /// [`Store::record_calls_finished`] at the cost of one commit. On
    /// SQLite they are all or none; on PostgreSQL the ended calls are
    /// written after the started ones have committed.
    pub async fn record_calls(
        &self,
        started: &[CallStarted],
        finished: &[CallFinished],
        synced: bool,
        master: &MasterKey,
    ) -> Result<(), StoreError> {
        if started.is_empty() && finished.is_empty() {
            return Ok(());
        }
        if self.backend() == crate::Backend::Sqlite {
            let sealed = self.seal_transcripts(finished, master).await?;
            return self
                .record_calls_sqlite(started, finished, &sealed, synced)
                .await;
        }
        self.record_calls_started(started, synced).await?;
        self.record_calls_finished(finished, master).await
    }

    /// Writes ended calls' rows: who called, usage, timing, outcome and the
    /// transcript sealed under each review's data key, with a ledger entry
    /// each, in one
    /// transaction, committed without waiting for the disk (synced with the
    /// next synced commit, as call starts are; see [`Store::begin_deferred`]).
    pub async fn record_calls_finished(
        &self,
        calls: &[CallFinished],
        master: &MasterKey,
    ) -> Result<(), StoreError> {
        if calls.is_empty() {
            return Ok(());
        }
        if self.backend() == crate::Backend::Sqlite {
            let sealed = self.seal_transcripts(calls, master).await?;
            return self.record_calls_sqlite(&[], calls, &sealed, false).await;
        }
        let mut tx = self.begin_deferred().await?;
        let mut keys = std::collections::HashMap::new();
        for call in calls {
            if let std::collections::hash_map::Entry::Vacant(slot) = keys.entry(call.submission_id)
            {
                let wrapped: Option<String> = sqlx::query(
                    "SELECT wrapped_data_key FROM review_keys WHERE submission_id = $1",
                )
                .bind(call.submission_id.to_string())
                .fetch_optional(tx.conn())
                .await?
                .map(|row| row.try_get::<Option<String>, _>("wrapped_data_key"))
                .transpose()?
                .flatten();
                let key = wrapped
                    .map(|w| master.unwrap_data_key(&w, &call.submission_id.to_string()))
                    .transpose()?;
                slot.insert(key);
            }
            let sealed = match keys.get(&call.submission_id).and_then(Option::as_ref) {
                Some(key) => Some(key.seal(
                    &call.transcript,
                    &transcript_context(call.submission_id, call.id),
                )?),
                None => None,
            };
            sqlx::query(&format!(
                "INSERT INTO model_calls ({CALL_COLUMNS}, transcript) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)"
            ))
            .bind(call.id.to_string())
            .bind(call.submission_id.to_string())
            .bind(call.origin.org_id.to_string())
            .bind(call.origin.user_id.to_string())
            .bind(call.origin.token_id.to_string())
            .bind(call.origin.phase)
            .bind(i64::from(call.origin.streamed))
            .bind(time::encode(call.origin.started_at))
            .bind(time::encode(call.finished_at))
            .bind(&call.outcome)
            .bind(i64::from(call.http_status))
            .bind(to_i64(call.prompt_tokens))
            .bind(to_i64(call.completion_tokens))
            .bind(call.first_byte_ms.map(to_i64))
            .bind(to_i64(call.total_ms))
            .bind(sealed)
            .execute(tx.conn())
            .await?;
        }
        let all: Vec<&Event> = calls.iter().map(|c| &c.event).collect();
        events::append_all(tx.conn(), &all).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Calls to the model under `submission`, oldest first; only `org`'s
    /// when given. Calls under way (or cut off by a crash) are listed as
    /// `started`, from their ledger events.
    pub async fn model_calls(
        &self,
        submission: SubmissionId,
        org: Option<OrgId>,
    ) -> Result<Vec<ModelCall>, StoreError> {
        let rows = match org {
            Some(org) => sqlx::query(&format!(
                "SELECT {CALL_COLUMNS} FROM model_calls WHERE submission_id = $1 AND org_id = $2"
            ))
            .bind(submission.to_string())
            .bind(org.to_string())
            .fetch_all(&self.pool)
            .await?,
            None => {
                sqlx::query(&format!(
                    "SELECT {CALL_COLUMNS} FROM model_calls WHERE submission_id = $1"
                ))
                .bind(submission.to_string())
                .fetch_all(&self.pool)
                .await?
            }
        };
        let mut calls = rows
            .iter()
            .map(decode_call)
            .collect::<Result<Vec<_>, _>>()?;
        let ended: HashSet<Uuid> = calls.iter().map(|c| c.id).collect();
        calls.extend(
            self.calls_under_way(submission)
                .await?
                .into_iter()
                .filter(|c| !ended.contains(&c.id) && org.is_none_or(|org| c.org_id == org)),
        );
        calls.sort_by_key(|c| (c.started_at, c.id));
        Ok(calls)
    }

    /// One call, if it belongs to `submission`.
    pub async fn model_call(
        &self,
        submission: SubmissionId,
        call: Uuid,
    ) -> Result<ModelCall, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {CALL_COLUMNS} FROM model_calls WHERE id = $1 AND submission_id = $2"
        ))
        .bind(call.to_string())
        .bind(submission.to_string())
        .fetch_optional(&self.pool)
        .await?;
        if let Some(row) = row {
            return decode_call(&row);
        }
        self.calls_under_way(submission)
            .await?
            .into_iter()
            .find(|c| c.id == call)
            .ok_or_else(|| StoreError::NotFound {
                what: "model call",
                id: call.to_string(),
            })
    }

    /// A call's transcript, opened in memory with the review's data key.
    pub async fn transcript(
        &self,
        submission: SubmissionId,
        call: Uuid,
        master: &MasterKey,
    ) -> Result<Transcript, StoreError> {
        let keys = sqlx::query(
            "SELECT wrapped_data_key, destroyed_at FROM review_keys WHERE submission_id = $1",
        )
        .bind(submission.to_string())
        .fetch_optional(&self.pool)
        .await?;
        let Some(keys) = keys else {
            return Ok(Transcript::Missing);
        };
        if let Some(at) = time::decode_opt(keys.try_get("destroyed_at")?)? {
            return Ok(Transcript::Destroyed { at });
        }
        let Some(wrapped) = keys.try_get::<Option<String>, _>("wrapped_data_key")? else {
            return Ok(Transcript::Missing);
        };
        let sealed: Option<String> =
            sqlx::query("SELECT transcript FROM model_calls WHERE id = $1 AND submission_id = $2")
                .bind(call.to_string())
                .bind(submission.to_string())
                .fetch_optional(&self.pool)
                .await?
                .map(|row| row.try_get::<Option<String>, _>("transcript"))
                .transpose()?
                .flatten();
        let Some(sealed) = sealed else {
            return Ok(Transcript::Missing);
        };
        let key = master.unwrap_data_key(&wrapped, &submission.to_string())?;
        Ok(Transcript::Readable(
            key.open(&sealed, &transcript_context(submission, call))?,
        ))
    }

    /// Usage per person on `submission`, only `org`'s when given. A call
    /// counts once it has ended (its row is written then).
    pub async fn usage(
        &self,
        submission: SubmissionId,
        org: Option<OrgId>,
    ) -> Result<Vec<UsageRow>, StoreError> {
        let select = "SELECT org_id, user_id, COUNT(*) AS calls, CAST(SUM(prompt_tokens) AS BIGINT) AS prompt, \
                      CAST(SUM(completion_tokens) AS BIGINT) AS completion, MIN(started_at) AS first_at, MAX(started_at) AS last_at \
                      FROM model_calls WHERE submission_id = $1";
        let rows = match org {
            Some(org) => {
                sqlx::query(&format!(
                    "{select} AND org_id = $2 GROUP BY org_id, user_id ORDER BY org_id, user_id"
                ))
                .bind(submission.to_string())
                .bind(org.to_string())
                .fetch_all(&self.pool)
                .await?
            }
            None => {
                sqlx::query(&format!(
                    "{select} GROUP BY org_id, user_id ORDER BY org_id, user_id"
                ))
                .bind(submission.to_string())
                .fetch_all(&self.pool)
                .await?
            }
        };
        rows.iter()
            .map(|row| {
                let bad = |e: uuid::Error| StoreError::corrupt("model call", e);
                Ok(UsageRow {
                    org_id: row.try_get::<String, _>("org_id")?.parse().map_err(bad)?,
                    user_id: row.try_get::<String, _>("user_id")?.parse().map_err(bad)?,
                    calls: count(row.try_get("calls")?),
                    prompt_tokens: count(sum(row, "prompt")?),
                    completion_tokens: count(sum(row, "completion")?),
                    first_call_at: time::decode(&row.try_get::<String, _>("first_at")?)?,
                    last_call_at: time::decode(&row.try_get::<String, _>("last_at")?)?,
                })
            })
            .collect()
    }

    /// Tokens `org` has used on `submission` so far (for the total budget).
    pub async fn tokens_used(
        &self,
        submission: SubmissionId,
        org: OrgId,
    ) -> Result<u64, StoreError> {
        let row = sqlx::query(
            "SELECT CAST(SUM(prompt_tokens + completion_tokens) AS BIGINT) AS used FROM model_calls \
             WHERE submission_id = $1 AND org_id = $2",
        )
        .bind(submission.to_string())
        .bind(org.to_string())
        .fetch_one(&self.pool)
        .await?;
        Ok(count(sum(&row, "used")?))
    }

    /// Reviews whose data key still exists.
    pub async fn reviews_with_live_keys(&self) -> Result<Vec<SubmissionId>, StoreError> {
        let rows = sqlx::query(
            "SELECT submission_id FROM review_keys WHERE destroyed_at IS NULL ORDER BY submission_id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                row.try_get::<String, _>("submission_id")?
                    .parse()
                    .map_err(|e| StoreError::corrupt("review key", e))
            })
            .collect()
    }

    /// Destroys the review's data key (and with it the sealed credential):
    /// every transcript of the review becomes unreadable for good. Returns
    /// false when it was already destroyed.
    pub async fn destroy_review_key(
        &self,
        submission: SubmissionId,
        event: &Event,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin().await?;
        let done = sqlx::query(
            "UPDATE review_keys SET wrapped_data_key = NULL, sealed_credential = NULL, destroyed_at = $1 \
             WHERE submission_id = $2 AND destroyed_at IS NULL",
        )
        .bind(time::encode(event.at))
        .bind(submission.to_string())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if done == 0 {
            return Ok(false);
        }
        events::append(&mut tx, event).await?;
        tx.commit().await?;
        self.access_changed();
        Ok(true)
    }

    /// When the review's data key was destroyed, if it was.
    pub async fn review_key_destroyed_at(
        &self,
        submission: SubmissionId,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        let row = sqlx::query("SELECT destroyed_at FROM review_keys WHERE submission_id = $1")
            .bind(submission.to_string())
            .fetch_optional(&self.pool)
            .await?;
        match row {
            Some(row) => time::decode_opt(row.try_get("destroyed_at")?),
            None => Ok(None),
        }
    }
}

/// The columns of a call's row but its transcript, in the order of the
/// insert's placeholders.
pub(crate) const CALL_COLUMNS: &str = "id, submission_id, org_id, user_id, token_id, phase, streamed, started_at, \
                            finished_at, outcome, http_status, prompt_tokens, completion_tokens, first_byte_ms, total_ms";

/// A SUM over no rows is NULL.
fn sum(row: &sqlx::any::AnyRow, column: &str) -> Result<i64, StoreError> {
    Ok(row.try_get::<Option<i64>, _>(column)?.unwrap_or(0))
}

fn decode_call(row: &sqlx::any::AnyRow) -> Result<ModelCall, StoreError> {
    let bad = |e: uuid::Error| StoreError::corrupt("model call", e);
    Ok(ModelCall {
        id: row.try_get::<String, _>("id")?.parse().map_err(bad)?,
        submission_id: row
            .try_get::<String, _>("submission_id")?
            .parse()
            .map_err(bad)?,
        org_id: row.try_get::<String, _>("org_id")?.parse().map_err(bad)?,
        user_id: row.try_get::<String, _>("user_id")?.parse().map_err(bad)?,
        token_id: row.try_get::<String, _>("token_id")?.parse().map_err(bad)?,
        phase: row.try_get("phase")?,
        streamed: row.try_get::<i64, _>("streamed")? != 0,
        started_at: time::decode(&row.try_get::<String, _>("started_at")?)?,
        finished_at: time::decode_opt(row.try_get("finished_at")?)?,
        outcome: row.try_get("outcome")?,
        http_status: row
            .try_get::<Option<i64>, _>("http_status")?
            .and_then(|s| u16::try_from(s).ok()),
        prompt_tokens: count(row.try_get("prompt_tokens")?),
        completion_tokens: count(row.try_get("completion_tokens")?),
        first_byte_ms: row.try_get::<Option<i64>, _>("first_byte_ms")?.map(count),
        total_ms: row.try_get::<Option<i64>, _>("total_ms")?.map(count),
    })
}
