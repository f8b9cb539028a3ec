//! Fresh, empty stores to measure on: a SQLite file in a temp dir, or a new
//! database on the PostgreSQL server the bench was pointed at. Each is
//! removed when the bench is done with it.

use crate::stats::Latencies;
use anyhow::{Context, Result, bail};
use preflight_store::Store;
use sqlx::{Connection, Executor, PgConnection};
use std::fmt;
use std::path::PathBuf;
use std::time::Instant;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Sqlite => "SQLite",
            Self::Postgres => "PostgreSQL",
        })
    }
}

/// Where the stores of one backend are made.
#[derive(Debug)]
pub enum Place {
    Sqlite { dir: PathBuf },
    Postgres { admin_url: String },
}

/// A store made for one measurement, and what to remove afterwards.
#[derive(Debug)]
pub struct Fresh {
    pub store: Store,
    leftover: Leftover,
}

#[derive(Debug)]
enum Leftover {
    Dir(PathBuf),
    Database { admin_url: String, name: String },
}

impl Place {
    pub async fn fresh(&self) -> Result<Fresh> {
        let name = format!("pf_bench_{}", uuid::Uuid::new_v4().simple());
        let (url, leftover) = match self {
            Self::Sqlite { dir } => {
                let dir = dir.join(&name);
                std::fs::create_dir_all(&dir)
                    .with_context(|| format!("create {}", dir.display()))?;
                (Store::sqlite_url(&dir), Leftover::Dir(dir))
            }
            Self::Postgres { admin_url } => {
                admin_sql(admin_url, &format!("CREATE DATABASE {name}")).await?;
                (
                    with_database(admin_url, &name),
                    Leftover::Database {
                        admin_url: admin_url.clone(),
                        name,
                    },
                )
            }
        };
        let store = Store::open(&url)
            .await
            .with_context(|| format!("open the store at {}", preflight_store::redact_url(&url)))?;
        Ok(Fresh { store, leftover })
    }

    /// How commits are made durable here, and whether they are.
    pub async fn durability(&self) -> Result<Durability> {
        match self {
            Self::Sqlite { .. } => Ok(Durability {
                durable: true,
                how: "WAL, synchronous=FULL (the store's settings): fsync at each commit".into(),
            }),
            Self::Postgres { admin_url } => {
                let mut conn = PgConnection::connect(admin_url)
                    .await
                    .context("connect to PostgreSQL")?;
                let mut show = async |name: &str| -> Result<String> {
                    Ok(sqlx::query_scalar::<_, String>(&format!("SHOW {name}"))
                        .fetch_one(&mut conn)
                        .await?)
                };
                let fsync = show("fsync").await?;
                let commit = show("synchronous_commit").await?;
                let method = show("wal_sync_method").await?;
                let pages = show("full_page_writes").await?;
                let version = show("server_version").await?;
                conn.close().await?;
                Ok(Durability {
                    durable: fsync == "on" && commit != "off",
                    how: format!(
                        "PostgreSQL {version}: fsync={fsync}, synchronous_commit={commit}, \
                         wal_sync_method={method}, full_page_writes={pages}"
                    ),
                })
            }
        }
    }
}

impl Place {
    /// `SELECT 1` on its own connection, as the store sends it: what one
    /// statement costs before it does anything. `None` for SQLite, which
    /// runs in process.
    pub async fn round_trip(&self, samples: usize) -> Result<Option<Latencies>> {
        let Self::Postgres { admin_url } = self else {
            return Ok(None);
        };
        let mut conn = PgConnection::connect(admin_url)
            .await
            .context("connect to PostgreSQL")?;
        let mut lat = Latencies::default();
        for i in 0..samples + samples / 10 {
            let t = Instant::now();
            sqlx::query("SELECT 1").execute(&mut conn).await?;
            if i >= samples / 10 {
                lat.push(t.elapsed());
            }
        }
        conn.close().await?;
        Ok(Some(lat))
    }
}

/// Whether an acknowledged commit survives a power cut, and why.
#[derive(Debug)]
pub struct Durability {
    pub durable: bool,
    pub how: String,
}

impl Fresh {
    /// Closes the store and removes its file or database.
    pub async fn remove(self) -> Result<()> {
        self.store.close().await;
        match self.leftover {
            Leftover::Dir(dir) => std::fs::remove_dir_all(&dir)
                .with_context(|| format!("remove {}", dir.display()))?,
            Leftover::Database { admin_url, name } => {
                // FORCE: a connection being handed back as the pool closed may still be open.
                admin_sql(&admin_url, &format!("DROP DATABASE {name} WITH (FORCE)")).await?;
            }
        }
        Ok(())
    }
}

async fn admin_sql(admin_url: &str, sql: &str) -> Result<()> {
    let mut conn = PgConnection::connect(admin_url)
        .await
        .with_context(|| format!("connect to {}", preflight_store::redact_url(admin_url)))?;
    conn.execute(sql)
        .await
        .with_context(|| format!("run {sql:?}"))?;
    conn.close().await?;
    Ok(())
}

/// `base` (a postgres:// URL) naming database `name` instead.
fn with_database(base: &str, name: &str) -> String {
    let (without_query, query) = match base.split_once('?') {
        Some((u, q)) => (u, format!("?{q}")),
        None => (base, String::new()),
    };
    let authority_start = without_query.find("://").map_or(0, |i| i + 3);
    let root = match without_query[authority_start..].find('/') {
        Some(i) => &without_query[..authority_start + i],
        None => without_query,
    };
    format!("{root}/{name}{query}")
}

/// Checks `url` looks like a PostgreSQL URL before anything is created on it.
pub fn postgres_place(url: &str) -> Result<Place> {
    if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        bail!(
            "PostgreSQL URL {:?} does not start with postgres:// or postgresql://",
            preflight_store::redact_url(url)
        );
    }
    Ok(Place::Postgres {
        admin_url: url.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn database_is_replaced() {
        assert_eq!(
            with_database("postgres://u@h:5/a?sslmode=disable", "b"),
            "postgres://u@h:5/b?sslmode=disable"
        );
        assert_eq!(with_database("postgres://u@h:5", "b"), "postgres://u@h:5/b");
    }
}
