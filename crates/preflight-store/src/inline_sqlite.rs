//! A second connection on the SQLite file for the writes on the gateway's
//! hot path (the call journal). It runs in the calling thread with its
//! statements prepared once, where sqlx hands every statement to the
//! connection's own thread and every result back: on a busy two-core
//! machine those hand-offs, not SQLite, were most of a call's cost.
//!
//! It shares SQLite's write lock with the store's writer connection (the
//! ledger integrator, the API's changes). It never sleeps in SQLite's busy
//! handler, which would hold the calling worker thread: when the lock is
//! taken, the write waits asynchronously and tries again. It never
//! checkpoints on its own commits, so that no commit stalls for a whole
//! one: [`Store::checkpoint`] copies the bulk beside the writers and only
//! what they committed meanwhile in their turn.

use crate::{Store, StoreError};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How long a write waits for SQLite's write lock in all.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a write waits before trying the write lock again.
const BUSY_RETRY: Duration = Duration::from_micros(500);

#[derive(Debug)]
pub(crate) struct InlineSqlite {
    /// Writes in this process, and the end of each checkpoint, take turns
    /// here, waiting asynchronously, so that none blocks its thread on the
    /// connection's lock.
    turn: tokio::sync::Mutex<()>,
    conn: Mutex<rusqlite::Connection>,
    /// The write-ahead log's file, synced on its own by [`Store::sync_log`].
    wal: PathBuf,
}

impl InlineSqlite {
    /// Opens the database at `path` (already created and migrated).
    pub(crate) fn open(path: &Path) -> Result<Self, StoreError> {
        let conn = rusqlite::Connection::open_with_flags(
            path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        // A taken write lock is reported at once (see the module's doc).
        conn.busy_timeout(Duration::ZERO)?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // Commits here are synced with the next synced commit (see
        // `Store::begin_deferred`) unless a write asks otherwise.
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "wal_autocheckpoint", 0)?;
        conn.set_prepared_statement_cache_capacity(32);
        let mut wal = path.as_os_str().to_owned();
        wal.push("-wal");
        Ok(Self {
            turn: tokio::sync::Mutex::new(()),
            conn: Mutex::new(conn),
            wal: wal.into(),
        })
    }

    /// Runs `body` in one `BEGIN IMMEDIATE` transaction, committed when it
    /// returns `Ok` (waiting for the disk if `synced`), rolled back when it
    /// fails. `None` when another connection holds the write lock: nothing
    /// was done.
    fn transaction<T>(
        &self,
        synced: bool,
        body: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<T, StoreError>,
    ) -> Option<Result<T, StoreError>> {
        let mut conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        if synced && let Err(err) = conn.pragma_update(None, "synchronous", "FULL") {
            return Some(Err(err.into()));
        }
        let result = match conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        {
            Ok(tx) => Some(body(&tx).and_then(|value| {
                tx.commit()?;
                Ok(value)
            })),
            Err(err) if err.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseBusy) => None,
            Err(err) => Some(Err(err.into())),
        };
        if synced && let Err(err) = conn.pragma_update(None, "synchronous", "NORMAL") {
            return Some(Err(err.into()));
        }
        result
    }
}

impl Store {
    /// Runs `body` as one transaction on the inline connection; while
    /// another connection holds SQLite's write lock, waits (without holding
    /// the thread) and tries again, for as long as the store's other
    /// connections would. `None` on PostgreSQL.
    pub(crate) async fn inline_write<T>(
        &self,
        synced: bool,
        body: impl Fn(&rusqlite::Transaction<'_>) -> Result<T, StoreError>,
    ) -> Option<Result<T, StoreError>> {
        let inline = self.inline.as_ref()?;
        let deadline = tokio::time::Instant::now() + BUSY_TIMEOUT;
        loop {
            let turn = inline.turn.lock().await;
            if let Some(result) = inline.transaction(synced, &body) {
                return Some(result);
            }
            drop(turn);
            if tokio::time::Instant::now() >= deadline {
                return Some(Err(StoreError::Concurrent("the database's write lock")));
            }
            tokio::time::sleep(BUSY_RETRY).await;
        }
    }

    /// Makes every commit made so far durable without taking SQLite's
    /// write lock, so that no writer waits for the disk meanwhile: syncs the
    /// write-ahead log's file, on a blocking thread. A commit's pages are in
    /// that file or, once a checkpoint moved them, in the database file,
    /// which the checkpoint synced before the log could be restarted. `None`
    /// on PostgreSQL, where a synced commit does this.
    pub(crate) async fn sync_log(&self) -> Option<Result<(), StoreError>> {
        let wal = self.inline.as_ref()?.wal.clone();
        let synced = tokio::task::spawn_blocking(move || match std::fs::File::open(&wal) {
            Ok(file) => file.sync_data(),
            // No log: every commit is in the database file, synced.
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(err) => Err(err),
        })
        .await
        .unwrap_or_else(|join| Err(std::io::Error::other(join)));
        Some(synced.map_err(|err| sqlx::Error::Io(err).into()))
    }

    /// Copies committed pages from the write-ahead log into the database,
    /// so that the log stays small. The bulk is copied beside the writers
    /// (a passive checkpoint: it waits for no reader and no writer), what
    /// they committed meanwhile in their turn, which then restarts the log
    /// unless a reader still reads from it (that reader waited for by
    /// nobody: the next commit restarts it then). Under a steady load a
    /// checkpoint beside the writers never catches up, and the log grew
    /// without end (half a gigabyte in eight seconds of calls). Writes
    /// through the inline connection never checkpoint themselves.
    pub async fn checkpoint(&self) -> Result<(), StoreError> {
        let Some(inline) = self.inline.clone() else {
            return Ok(());
        };
        sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
            .execute(&self.pool)
            .await?;
        let turn = inline.turn.lock().await;
        let connection = Arc::clone(&inline);
        let restart = tokio::task::spawn_blocking(move || {
            let conn = connection.conn.lock().unwrap_or_else(|e| e.into_inner());
            // With no busy handler, a restart that would wait for a reader
            // copies what it can, leaves the log as it is and says so.
            conn.query_row("PRAGMA wal_checkpoint(RESTART)", [], |row| {
                row.get::<_, i64>(0)
            })
        })
        .await
        .map_err(|join| sqlx::Error::Io(std::io::Error::other(join)))?;
        drop(turn);
        if restart? != 0 {
            tracing::debug!("the write-ahead log was not restarted: a reader still reads from it");
        }
        Ok(())
    }
}
