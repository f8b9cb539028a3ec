/// What went wrong in the store, in the caller's words.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{what} {id} not found")]
    NotFound { what: &'static str, id: String },
    #[error("{field} {value:?} already exists")]
    Duplicate { field: &'static str, value: String },
    #[error("{0} changed concurrently; retry")]
    Concurrent(&'static str),
    #[error("unsupported database URL {0:?} (expected sqlite://PATH or postgres://...)")]
    UnsupportedUrl(String),
    #[error("stored {what} is corrupt: {reason}")]
    Corrupt { what: &'static str, reason: String },
    /// An import in which some files could not be read: nothing was
    /// written. One error per failing file, each naming the file, the JSON
    /// path and the value.
    #[error(
        "{} of {files} file(s) rejected, nothing imported:\n  {}",
        errors.len(),
        errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n  ")
    )]
    ImportRejected {
        files: usize,
        errors: Vec<preflight_vuln::VulnError>,
    },
    #[error("sealing failed: {0}")]
    Crypto(&'static str),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl StoreError {
    pub(crate) fn corrupt(what: &'static str, reason: impl ToString) -> Self {
        Self::Corrupt {
            what,
            reason: reason.to_string(),
        }
    }

    /// Maps a unique-constraint violation to `Duplicate`.
    pub(crate) fn on_unique(err: sqlx::Error, field: &'static str, value: &str) -> Self {
        match &err {
            sqlx::Error::Database(db) if db.is_unique_violation() => Self::Duplicate {
                field,
                value: value.to_owned(),
            },
            _ => Self::Database(err),
        }
    }
}
