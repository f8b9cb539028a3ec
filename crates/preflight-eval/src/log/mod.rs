//! Evaluation logs: the native log a run appends to, what is computed from
//! it, and its export to Inspect's `.eval` format.
//!
//! The native log is JSON Lines (see [`record`]): a header naming the suite,
//! model, seed and a hash of the settings; one record per completed sample
//! and epoch, scored or ended by an error; a summary once the run is
//! complete. It is written crash-safe ([`LogWriter`]) and read back as a
//! stream ([`LogReader`]) into an [`Aggregate`] of per-sample values.

mod aggregate;
mod file;
pub mod inspect;
pub mod record;

use std::path::{Path, PathBuf};

pub use aggregate::{AgentSummary, Aggregate, Report, Spread, report_metrics};
pub use file::{LogReader, LogWriter};
pub use record::{
    GenerateSettings, Header, LOG_FORMAT, ModelInfo, Record, SampleError, SampleRecord,
    SampleStatus, SummaryRecord,
};

/// What can go wrong reading, writing or exporting a log.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: line {line} is not a log record: {reason}")]
    Corrupt {
        path: PathBuf,
        line: u64,
        reason: String,
    },
    #[error("{path}: not an evaluation log (its first line is not a header)")]
    NoHeader { path: PathBuf },
    #[error(
        "{path} was written by a run with other settings ({}); resume it with the same suite, model and options, or start a new log",
        differs.join(", ")
    )]
    Mismatch { path: PathBuf, differs: Vec<String> },
    #[error("{path}: {source}")]
    Zip {
        path: PathBuf,
        #[source]
        source: zip::result::ZipError,
    },
    #[error(transparent)]
    Eval(#[from] crate::error::Error),
}

impl LogError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> LogError {
        LogError::Io {
            path: path.to_owned(),
            source,
        }
    }
}

/// Reads the whole log at `path` into its header, aggregate and report.
pub fn read_report(path: &Path) -> Result<(Header, Aggregate, Report), LogError> {
    let mut reader = LogReader::open(path)?;
    let aggregate = reader.aggregate()?;
    let header = reader.header().clone();
    let report = aggregate.report(&header)?;
    Ok((header, aggregate, report))
}
