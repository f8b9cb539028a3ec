//! Ledger storage: entries as written by each change, the tiles the
//! integrator derives from them, and signed checkpoints.

use crate::{Store, StoreError, time};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use chrono::Utc;
use preflight_core::event::Event;
use preflight_core::ids::SubmissionId;
use sqlx::Row;

/// A tile as stored: `width` concatenated 32-byte hashes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredTile {
    pub level: u8,
    pub index: u64,
    pub width: u16,
    pub hashes: Vec<u8>,
}

/// An event with what a participant needs to check it against the ledger.
#[derive(Clone, Debug)]
pub struct LedgerEvent {
    pub event: Event,
    /// The exact record text the commitment covers.
    pub record: String,
    /// Hex of the 32-byte salt.
    pub salt: String,
    pub leaf_index: u64,
    /// The ledger entry text (the Merkle leaf).
    pub entry: String,
}

fn to_i64(v: u64) -> Result<i64, StoreError> {
    i64::try_from(v).map_err(|e| StoreError::corrupt("ledger index", e))
}

fn to_u64(v: i64) -> Result<u64, StoreError> {
    u64::try_from(v).map_err(|e| StoreError::corrupt("ledger index", e))
}

impl Store {
    /// `(entries written, entries integrated into tiles)`.
    pub async fn ledger_sizes(&self) -> Result<(u64, u64), StoreError> {
        let row = sqlx::query(
            "SELECT s.next_index, p.integrated_size FROM ledger_state s, ledger_progress p \
             WHERE s.id = 1 AND p.id = 1",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok((
            to_u64(row.try_get("next_index")?)?,
            to_u64(row.try_get("integrated_size")?)?,
        ))
    }

    /// Entries `from..to` (leaf data), in index order.
    pub async fn ledger_entries(&self, from: u64, to: u64) -> Result<Vec<String>, StoreError> {
        let rows = sqlx::query(
            "SELECT leaf_index, entry FROM events WHERE leaf_index >= $1 AND leaf_index < $2 ORDER BY leaf_index",
        )
        .bind(to_i64(from)?)
        .bind(to_i64(to)?)
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for (expected, row) in (from..).zip(&rows) {
            if to_u64(row.try_get("leaf_index")?)? != expected {
                return Err(StoreError::corrupt(
                    "ledger",
                    format!("entry {expected} is missing"),
                ));
            }
            out.push(row.try_get("entry")?);
        }
        Ok(out)
    }

    /// One tile at its latest width, if it is at least `width` wide.
    pub async fn ledger_tile(
        &self,
        level: u8,
        index: u64,
        width: u16,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        let row = sqlx::query(
            "SELECT hashes FROM ledger_tiles WHERE level = $1 AND idx = $2 AND width >= $3",
        )
        .bind(i64::from(level))
        .bind(to_i64(index)?)
        .bind(i64::from(width))
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            B64.decode(r.try_get::<String, _>("hashes")?)
                .map_err(|e| StoreError::corrupt("ledger tile", e))
        })
        .transpose()
    }

    /// Records an integration step: the tiles for the new size and its signed
    /// checkpoint, only if nobody integrated past `old_size` meanwhile. The
    /// entries integrated (read before the call) are durable before the
    /// checkpoint can be read, and so is every write committed before them
    /// unsynced (`begin_deferred`, the call journal).
    pub async fn ledger_integrate(
        &self,
        old_size: u64,
        new_size: u64,
        tiles: &[StoredTile],
        checkpoint_note: &str,
    ) -> Result<(), StoreError> {
        if let Some(synced) = self.sync_log().await {
            synced?;
            return self
                .ledger_integrate_sqlite(old_size, new_size, tiles, checkpoint_note)
                .await;
        }
        let mut tx = self.begin().await?;
        let done = sqlx::query(
            "UPDATE ledger_progress SET integrated_size = $1 WHERE id = 1 AND integrated_size = $2",
        )
        .bind(to_i64(new_size)?)
        .bind(to_i64(old_size)?)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Concurrent("ledger"));
        }
        for tile in tiles {
            sqlx::query("DELETE FROM ledger_tiles WHERE level = $1 AND idx = $2")
                .bind(i64::from(tile.level))
                .bind(to_i64(tile.index)?)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO ledger_tiles (level, idx, width, hashes) VALUES ($1, $2, $3, $4)",
            )
            .bind(i64::from(tile.level))
            .bind(to_i64(tile.index)?)
            .bind(i64::from(tile.width))
            .bind(B64.encode(&tile.hashes))
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query("INSERT INTO ledger_checkpoints (size, note, created_at) VALUES ($1, $2, $3)")
            .bind(to_i64(new_size)?)
            .bind(checkpoint_note)
            .bind(time::encode(Utc::now()))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// [`Store::ledger_integrate`] on SQLite, once the entries are synced:
    /// one transaction on the inline connection, committed without waiting
    /// for the disk. A crash may lose it, never the entries it integrates,
    /// and integrating them again signs the same checkpoint.
    async fn ledger_integrate_sqlite(
        &self,
        old_size: u64,
        new_size: u64,
        tiles: &[StoredTile],
        checkpoint_note: &str,
    ) -> Result<(), StoreError> {
        let (old_size, new_size) = (to_i64(old_size)?, to_i64(new_size)?);
        let tiles = tiles
            .iter()
            .map(|t| {
                Ok((
                    i64::from(t.level),
                    to_i64(t.index)?,
                    i64::from(t.width),
                    B64.encode(&t.hashes),
                ))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let created_at = time::encode(Utc::now());
        let written = self.inline_write(false, |tx| {
            let done = tx
                .prepare_cached(
                    "UPDATE ledger_progress SET integrated_size = ?1 WHERE id = 1 AND integrated_size = ?2",
                )?
                .execute(rusqlite::params![new_size, old_size])?;
            if done == 0 {
                return Err(StoreError::Concurrent("ledger"));
            }
            let mut replace = tx.prepare_cached(
                "INSERT OR REPLACE INTO ledger_tiles (level, idx, width, hashes) VALUES (?1, ?2, ?3, ?4)",
            )?;
            for (level, index, width, hashes) in &tiles {
                replace.execute(rusqlite::params![level, index, width, hashes])?;
            }
            tx.prepare_cached(
                "INSERT INTO ledger_checkpoints (size, note, created_at) VALUES (?1, ?2, ?3)",
            )?
            .execute(rusqlite::params![new_size, checkpoint_note, created_at])?;
            Ok(())
        });
        written
            .await
            .unwrap_or_else(|| Err(StoreError::corrupt("SQLite connection", "not open")))
    }

    /// Replaces the latest checkpoint note (to add witness cosignatures).
    pub async fn ledger_replace_checkpoint(&self, size: u64, note: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE ledger_checkpoints SET note = $1 WHERE size = $2")
            .bind(note)
            .bind(to_i64(size)?)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    /// The newest signed checkpoint `(size, note)`.
    pub async fn ledger_latest_checkpoint(&self) -> Result<Option<(u64, String)>, StoreError> {
        let row =
            sqlx::query("SELECT size, note FROM ledger_checkpoints ORDER BY size DESC LIMIT 1")
                .fetch_optional(&self.pool)
                .await?;
        row.map(|r| Ok((to_u64(r.try_get("size")?)?, r.try_get("note")?)))
            .transpose()
    }

    /// A submission's events with their ledger evidence, oldest first.
    pub async fn ledger_events_of(
        &self,
        submission: SubmissionId,
    ) -> Result<Vec<LedgerEvent>, StoreError> {
        let rows = sqlx::query(
            "SELECT record, salt, leaf_index, entry FROM events \
             WHERE submission_id = $1 AND entry IS NOT NULL ORDER BY leaf_index",
        )
        .bind(submission.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let record: String = row.try_get("record")?;
                Ok(LedgerEvent {
                    event: serde_json::from_str(&record)
                        .map_err(|e| StoreError::corrupt("event", e))?,
                    record,
                    salt: row.try_get("salt")?,
                    leaf_index: to_u64(row.try_get("leaf_index")?)?,
                    entry: row.try_get("entry")?,
                })
            })
            .collect()
    }
}
