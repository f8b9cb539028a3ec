use crate::StoreError;
use sqlx::AnyConnection;
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyPool, Executor, Transaction};
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Which database sits behind the store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The review program's records. Cheap to clone: it holds a pool.
#[derive(Clone, Debug)]
pub struct Store {
    pub(crate) pool: AnyPool,
    /// Where write transactions run. On SQLite one connection: writers queue
    /// for it in the process (woken as soon as it is free) instead of
    /// sleeping in SQLite's busy handler; on PostgreSQL the same pool.
    pub(crate) writer: AnyPool,
    backend: Backend,
    /// Bumped after every change that can change who may reach a model or
    /// the API (stages, outcomes, signed terms, revoked gateway and API
    /// tokens, a person's key, destroyed keys), so that caches of access
    /// decisions in this process notice.
    access_generation: Arc<AtomicU64>,
    /// Appends of events waiting to share a commit.
    pub(crate) group: Arc<crate::group_commit::GroupCommit>,
    /// API tokens recently authenticated.
    pub(crate) tokens_seen: Arc<crate::token_cache::TokenCache>,
    /// Reviews' wrapped data keys by the access generation they were read in.
    pub(crate) wrapped_keys: Arc<std::sync::Mutex<WrappedKeys>>,
    /// SQLite: the connection the call journal writes through in the
    /// calling thread (see [`crate::inline_sqlite`]).
    pub(crate) inline: Option<Arc<crate::inline_sqlite::InlineSqlite>>,
}

pub(crate) type WrappedKeys =
    std::collections::HashMap<preflight_core::ids::SubmissionId, (u64, Option<String>)>;

pub(crate) type Tx = Transaction<'static, Any>;

impl Store {
    /// Opens (creating if needed) the store at `url` and brings its schema up
    /// to date. `sqlite://PATH` or `postgres://...`.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            return Err(StoreError::UnsupportedUrl(redact_url(url)));
        };
        let url = match backend {
            Backend::Sqlite if !url.contains("mode=") => {
                format!("{url}{}mode=rwc", if url.contains('?') { "&" } else { "?" })
            }
            _ => url.to_owned(),
        };
        let options = |connections: u32| {
            let options = AnyPoolOptions::new()
                .max_connections(connections)
                .acquire_timeout(Duration::from_secs(30))
                // A file on this machine does not go stale: no ping (a round
                // trip to the connection's thread) before each use.
                .test_before_acquire(backend == Backend::Postgres);
            if backend == Backend::Sqlite {
                options.after_connect(|conn, _meta| {
                    Box::pin(async move {
                        conn.execute("PRAGMA busy_timeout = 10000").await?;
                        conn.execute("PRAGMA foreign_keys = ON").await?;
                        // Every acknowledged change, and its ledger entry,
                        // survives a power cut: the WAL is synced at each commit.
                        conn.execute("PRAGMA synchronous = FULL").await?;
                        Ok(())
                    })
                })
            } else {
                options
            }
        };
        let (pool, writer, inline) = match backend {
            Backend::Sqlite => {
                let writer = options(1).connect(&url).await?;
                writer.execute("PRAGMA journal_mode = WAL").await?;
                sqlx::migrate!("./migrations").run(&writer).await?;
                let path = sqlx::sqlite::SqliteConnectOptions::from_str(&url)?
                    .get_filename()
                    .to_owned();
                let inline = tokio::task::spawn_blocking(move || {
                    crate::inline_sqlite::InlineSqlite::open(&path)
                })
                .await
                .map_err(|e| StoreError::corrupt("SQLite connection", e))??;
                (
                    options(4).connect(&url).await?,
                    writer,
                    Some(Arc::new(inline)),
                )
            }
            Backend::Postgres => {
                let pool = options(16).connect(&url).await?;
                sqlx::migrate!("./migrations").run(&pool).await?;
                (pool.clone(), pool, None)
            }
        };
        Ok(Self {
            pool,
            writer,
            backend,
            access_generation: Arc::default(),
            group: Arc::default(),
            tokens_seen: Arc::default(),
            wrapped_keys: Arc::default(),
            inline,
        })
    }

    /// The SQLite URL of the store kept in `data_dir`.
    pub fn sqlite_url(data_dir: &std::path::Path) -> String {
        format!("sqlite://{}", data_dir.join("preflight.db").display())
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Starts a write transaction. On SQLite it takes the write lock up front
    /// (`BEGIN IMMEDIATE`) so concurrent writers wait instead of failing.
    pub(crate) async fn begin(&self) -> Result<Tx, StoreError> {
        Ok(match self.backend {
            Backend::Sqlite => self.writer.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.writer.begin().await?,
        })
    }

    /// Starts a write transaction whose commit is not synced to disk at once:
    /// it survives a crash of the process, and reaches the disk with the next
    /// synced commit or log sync (the ledger integrator's, at least once a
    /// second while entries arrive), never after a checkpoint that covers it
    /// is published.
    /// On SQLite the connection runs with `synchronous = NORMAL` for this
    /// transaction only; on PostgreSQL `synchronous_commit` is off for it.
    pub(crate) async fn begin_deferred(&self) -> Result<DeferredTx, StoreError> {
        let mut conn = self.writer.acquire().await?;
        match self.backend {
            Backend::Sqlite => {
                conn.execute("PRAGMA synchronous = NORMAL").await?;
                conn.execute("BEGIN IMMEDIATE").await?;
            }
            Backend::Postgres => {
                conn.execute("BEGIN").await?;
                conn.execute("SET LOCAL synchronous_commit = off").await?;
            }
        }
        Ok(DeferredTx {
            conn: Some(conn),
            backend: self.backend,
        })
    }

    /// The current access generation (see the field's doc).
    pub fn access_generation(&self) -> u64 {
        self.access_generation.load(Ordering::Acquire)
    }

    pub(crate) fn access_changed(&self) {
        self.access_generation.fetch_add(1, Ordering::AcqRel);
    }

    /// Checks the database answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
        self.writer.close().await;
    }
}

/// A transaction begun by [`Store::begin_deferred`]. Dropped without
/// [`DeferredTx::commit`], it rolls back (the connection is closed rather
/// than returned in an unknown state).
pub(crate) struct DeferredTx {
    conn: Option<PoolConnection<Any>>,
    backend: Backend,
}

impl DeferredTx {
    pub(crate) fn conn(&mut self) -> &mut AnyConnection {
        self.conn
            .as_mut()
            .expect("a deferred transaction is open until committed")
    }

    pub(crate) async fn commit(mut self) -> Result<(), StoreError> {
        let mut conn = self.conn.take().expect("committed once");
        if let Err(err) = conn.execute("COMMIT").await {
            // Its state is unknown: never hand it back to the pool.
            drop(conn.detach());
            return Err(err.into());
        }
        if self.backend == Backend::Sqlite {
            conn.execute("PRAGMA synchronous = FULL").await?;
        }
        Ok(())
    }
}

impl Drop for DeferredTx {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            // Mid-transaction: never hand it back to the pool.
            drop(conn.detach());
        }
    }
}

/// A database URL with any password removed, for messages.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            format!("{}://(redacted)@{}", &url[..scheme_end], &url[at + 1..])
        }
        _ => url.to_owned(),
    }
}
