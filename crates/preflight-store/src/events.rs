use crate::sql::placeholders;
use crate::{Store, StoreError, time};
use preflight_core::event::Event;
use preflight_core::ids::{EventId, SubmissionId};
use preflight_core::ledger_entry::LedgerEntry;
use rand::RngCore;
use sqlx::AnyConnection;
use sqlx::Row;

/// Writes `event` and its ledger entry inside the caller's transaction: the
/// change, its record and its entry commit together or not at all. The leaf
/// index is taken under the `ledger_state` row lock, so indexes are dense
/// and never reused.
pub(crate) async fn append(conn: &mut AnyConnection, event: &Event) -> Result<u64, StoreError> {
    append_all(conn, &[event]).await
}

/// Writes `events` with consecutive leaf indexes, in slice order, taking
/// them with one update of the counter and writing the rows (each with its
/// ledger entry) with multi-row inserts: a batch costs a few statements, not
/// two per event. Returns the first leaf index taken.
pub(crate) async fn append_all(
    conn: &mut AnyConnection,
    events: &[&Event],
) -> Result<u64, StoreError> {
    let first = reserve(conn, events.len()).await?;
    let rows = events
        .iter()
        .map(|event| EventRow::of(event))
        .collect::<Result<Vec<_>, _>>()?;
    let indexes = (first..)
        .map(|i| i64::try_from(i).map_err(|e| StoreError::corrupt("ledger index", e)))
        .take(rows.len())
        .collect::<Result<Vec<_>, _>>()?;
    for (chunk, indexes) in rows
        .chunks(EVENT_ROWS_PER_INSERT)
        .zip(indexes.chunks(EVENT_ROWS_PER_INSERT))
    {
        let sql = format!(
            "INSERT INTO events (id, kind, submission_id, actor, at, details, salt, leaf_index, record, entry) VALUES {}",
            placeholders(chunk.len(), 10)
        );
        let mut query = sqlx::query(&sql);
        for (row, index) in chunk.iter().zip(indexes) {
            query = query
                .bind(&row.id)
                .bind(row.kind)
                .bind(row.submission_id.as_deref())
                .bind(row.actor.as_deref())
                .bind(&row.at)
                .bind(&row.details)
                .bind(&row.salt)
                .bind(*index)
                .bind(&row.record)
                .bind(&row.entry);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(first)
}

/// SQLite, on the inline connection (see [`crate::inline_sqlite`]): appends
/// `rows` at the counter's next leaf indexes, in slice order, inside the
/// caller's transaction, and advances the counter.
pub(crate) fn append_inline(
    tx: &rusqlite::Transaction<'_>,
    rows: &[EventRow],
) -> Result<(), StoreError> {
    if rows.is_empty() {
        return Ok(());
    }
    let n = i64::try_from(rows.len()).map_err(|e| StoreError::corrupt("ledger batch", e))?;
    let first: i64 = tx
        .prepare_cached(
            "UPDATE ledger_state SET next_index = next_index + ?1 WHERE id = 1 RETURNING next_index - ?1",
        )?
        .query_row([n], |row| row.get(0))?;
    let mut events = tx.prepare_cached(
        "INSERT INTO events (id, kind, submission_id, actor, at, details, salt, leaf_index, record, entry) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?;
    for (row, index) in rows.iter().zip(first..) {
        events.execute(rusqlite::params![
            row.id,
            row.kind,
            row.submission_id,
            row.actor,
            row.at,
            row.details,
            row.salt,
            index,
            row.record,
            row.entry,
        ])?;
    }
    Ok(())
}

/// Event rows one insert writes (10 values a row).
const EVENT_ROWS_PER_INSERT: usize = 100;

/// An event's columns but its leaf index: the change, its full record, the
/// salt and the ledger entry committing to the record.
pub(crate) struct EventRow {
    id: String,
    kind: &'static str,
    submission_id: Option<String>,
    actor: Option<String>,
    at: String,
    details: String,
    salt: String,
    record: String,
    entry: String,
}

impl EventRow {
    /// The columns of `event`, with a fresh salt and the entry committing
    /// to the full record.
    pub(crate) fn of(event: &Event) -> Result<Self, StoreError> {
        let mut salt = [0u8; 32];
        // The thread's CSPRNG (ChaCha, seeded from the OS): no system call
        // per event.
        rand::thread_rng().fill_bytes(&mut salt);
        let record = serde_json::to_string(event).map_err(|e| StoreError::corrupt("event", e))?;
        let entry = LedgerEntry::of(event, &salt, &record);
        Ok(Self {
            id: event.id.to_string(),
            kind: event.kind.as_str(),
            submission_id: event.submission_id.map(|s| s.to_string()),
            actor: event.actor.map(|a| a.to_string()),
            at: time::encode(event.at),
            details: event.details.to_string(),
            salt: hex::encode(salt),
            record,
            entry: String::from_utf8_lossy(&entry.to_bytes()).into_owned(),
        })
    }
}

/// Takes `n` leaf indexes under the counter's row lock; returns the first.
async fn reserve(conn: &mut AnyConnection, n: usize) -> Result<u64, StoreError> {
    let n = i64::try_from(n).map_err(|e| StoreError::corrupt("ledger batch", e))?;
    let first: i64 = sqlx::query(
        "UPDATE ledger_state SET next_index = next_index + $1 WHERE id = 1 RETURNING next_index - $1 AS idx",
    )
    .bind(n)
    .fetch_one(&mut *conn)
    .await?
    .try_get("idx")?;
    u64::try_from(first).map_err(|e| StoreError::corrupt("ledger index", e))
}

impl Store {
    /// A submission's events, oldest first.
    pub async fn events_of(&self, submission: SubmissionId) -> Result<Vec<Event>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, kind, submission_id, actor, at, details FROM events WHERE submission_id = $1 ORDER BY id",
        )
        .bind(submission.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(decode).collect()
    }

    /// One recorded event.
    pub async fn event(&self, id: EventId) -> Result<Event, StoreError> {
        let row = sqlx::query(
            "SELECT id, kind, submission_id, actor, at, details FROM events WHERE id = $1",
        )
        .bind(id.to_string())
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::NotFound {
            what: "event",
            id: id.to_string(),
        })?;
        decode(&row)
    }

    /// The number of events recorded so far.
    pub async fn event_count(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query("SELECT COUNT(*) AS n FROM events")
            .fetch_one(&self.pool)
            .await?
            .try_get("n")?)
    }
}

fn decode(row: &sqlx::any::AnyRow) -> Result<Event, StoreError> {
    let parse_id = |s: String| s.parse().map_err(|e| StoreError::corrupt("event", e));
    Ok(Event {
        id: parse_id(row.try_get("id")?)?,
        kind: row
            .try_get::<String, _>("kind")?
            .parse()
            .map_err(|e| StoreError::corrupt("event", e))?,
        submission_id: row
            .try_get::<Option<String>, _>("submission_id")?
            .map(|s| s.parse().map_err(|e| StoreError::corrupt("event", e)))
            .transpose()?,
        actor: row
            .try_get::<Option<String>, _>("actor")?
            .map(|s| s.parse().map_err(|e| StoreError::corrupt("event", e)))
            .transpose()?,
        at: time::decode(&row.try_get::<String, _>("at")?)?,
        details: serde_json::from_str(&row.try_get::<String, _>("details")?)
            .map_err(|e| StoreError::corrupt("event", e))?,
    })
}
