use std::fmt;
use std::path::PathBuf;

/// Everything that can go wrong while reading suites and datasets, building
/// prompts, scoring and summarising. Messages are lower-case and carry the
/// offending value.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Bad records of a dataset: one record's problems while streaming,
    /// every record's from a full check.
    #[error("{count} bad sample record(s) in {path}:{list}", count = errors.len(), list = list(errors))]
    BadSamples {
        path: PathBuf,
        errors: Vec<BadSample>,
    },
    #[error("suite {path}: {message}")]
    SuiteSyntax { path: PathBuf, message: String },
    #[error("suite {path}: unknown key(s) {}", quoted(keys))]
    UnknownKeys { path: PathBuf, keys: Vec<String> },
    #[error("suite {path}: {key} = {value}: {reason}")]
    InvalidSuite {
        path: PathBuf,
        key: String,
        value: String,
        reason: String,
    },
    #[error("{context} template {template:?}: {reason}")]
    Template {
        context: &'static str,
        template: String,
        reason: String,
    },
    #[error("invalid regular expression {pattern:?} for {key}: {source}")]
    Pattern {
        key: &'static str,
        pattern: String,
        #[source]
        source: Box<regex::Error>,
    },
    /// A sample that loaded but does not fit the solver or scorer asked of it.
    #[error("sample {id:?}: {reason}")]
    SampleUnfit { id: String, reason: String },
    #[error("scorer kind {kind:?} needs the key {key:?}")]
    MissingKey {
        kind: &'static str,
        key: &'static str,
    },
    #[error("scorer kind {kind:?} takes no judge output")]
    NotJudged { kind: &'static str },
    #[error("pass@k needs 1 <= k <= n and c <= n, got n = {n}, c = {c}, k = {k}")]
    PassAtK { n: u64, c: u64, k: u64 },
    #[error("epoch reducer at_least_k needs k >= 1, got {k}")]
    AtLeastK { k: u32 },
    #[error("{what}: no values")]
    NoValues { what: &'static str },
    #[error(
        "paired comparison needs the same sample ids in both runs: only in the first {}, only in the second {}",
        quoted(only_a),
        quoted(only_b)
    )]
    Unpaired {
        only_a: Vec<String>,
        only_b: Vec<String>,
    },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Where a bad record sits in its file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    /// The file as a whole (not JSON, not an array).
    Document,
    /// A JSON Lines line, counted from 1.
    Line(u64),
    /// An element of a JSON array, counted from 0.
    Index(usize),
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Document => f.write_str("document"),
            Location::Line(n) => write!(f, "line {n}"),
            Location::Index(n) => write!(f, "record [{n}]"),
        }
    }
}

/// One problem with one record: where, which field (a path such as
/// `messages[1].role`, or none for the record as a whole) and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadSample {
    pub location: Location,
    pub field: Option<String>,
    pub problem: String,
}

impl BadSample {
    pub fn new(location: Location, field: Option<String>, problem: impl Into<String>) -> Self {
        BadSample {
            location,
            field,
            problem: problem.into(),
        }
    }
}

impl fmt::Display for BadSample {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.field {
            Some(field) => write!(f, "{}, field {field}: {}", self.location, self.problem),
            None => write!(f, "{}: {}", self.location, self.problem),
        }
    }
}

fn list(errors: &[BadSample]) -> String {
    errors.iter().map(|e| format!("\n  {e}")).collect()
}

fn quoted(items: &[String]) -> String {
    let items: Vec<String> = items.iter().map(|i| format!("{i:?}")).collect();
    if items.is_empty() {
        "(none)".to_owned()
    } else {
        items.join(", ")
    }
}

/// A JSON value shortened for an error message.
pub(crate) fn show(value: &serde_json::Value) -> String {
    let text = value.to_string();
    shorten(&text)
}

pub(crate) fn shorten(text: &str) -> String {
    const MAX: usize = 80;
    if text.chars().count() <= MAX {
        text.to_owned()
    } else {
        let head: String = text.chars().take(MAX).collect();
        format!("{head}…")
    }
}
