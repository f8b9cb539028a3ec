//! The records of a native log, one JSON object per line, told apart by
//! `type`: a `header` first, a `sample` per completed sample and epoch, a
//! `summary` last once the run is complete.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::agent::Trajectory;
use crate::model::{ModelOutput, Usage};
use crate::sample::{ChatMessage, Input, Target};
use crate::scorer::Score;
use crate::stats::Summary;
use crate::suite::Suite;

/// The version of the log format this crate writes.
pub const LOG_FORMAT: u32 = 1;

/// One line of a log. Written with serde; read with [`Record::parse`].
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Record {
    Header(Box<Header>),
    Sample(Box<SampleRecord>),
    Summary(Box<SummaryRecord>),
}

impl Record {
    /// Reads one line: its `type` first, then the record of that type.
    ///
    /// Two passes rather than serde's internally tagged enums, which buffer
    /// the record and then cannot read maps with number keys (pass@k).
    pub fn parse(line: &[u8]) -> Result<Record, serde_json::Error> {
        #[derive(Deserialize)]
        struct Kind<'a> {
            #[serde(rename = "type", borrow)]
            kind: std::borrow::Cow<'a, str>,
        }
        let Kind { kind } = serde_json::from_slice(line)?;
        Ok(match kind.as_ref() {
            "header" => Record::Header(serde_json::from_slice(line)?),
            "sample" => Record::Sample(serde_json::from_slice(line)?),
            "summary" => Record::Summary(serde_json::from_slice(line)?),
            other => {
                return Err(serde::de::Error::unknown_variant(
                    other,
                    &["header", "sample", "summary"],
                ));
            }
        })
    }
}

/// What was run, against what, with which settings. `config_hash` covers
/// everything here that changes results, so a resumed run can refuse a log
/// written with other settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Header {
    pub format: u32,
    pub run_id: String,
    pub created: DateTime<Utc>,
    /// The suite's name.
    pub suite: String,
    /// The suite file as given on the command line.
    pub suite_path: String,
    /// The suite as loaded (its dataset path relative to the suite file).
    pub suite_config: Suite,
    /// SHA-256 of the dataset file.
    pub dataset_sha256: String,
    pub model: ModelInfo,
    pub judge: ModelInfo,
    pub seed: u64,
    pub epochs: u32,
    /// Samples taken (after the suite's own limit and exclusions).
    pub samples: u64,
    pub generate: GenerateSettings,
    /// Hex SHA-256 of the canonical JSON of the settings that change
    /// results: suite, dataset hash, model, judge, seed, epochs, samples,
    /// generate settings.
    pub config_hash: String,
}

impl Header {
    /// Sample records a complete run has.
    pub fn expected_records(&self) -> u64 {
        self.samples * u64::from(self.epochs)
    }
}

/// A model as the log names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelInfo {
    pub name: String,
    pub base_url: String,
    pub provider: String,
}

/// How every model request of the run was made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GenerateSettings {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    pub judge_max_tokens: u32,
    pub stream: bool,
}

/// How a sample ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SampleStatus {
    Scored,
    Error,
}

/// Why a sample ended without a score: `kind` is a client error kind
/// (`timeout`, `rate_limited`…, prefixed `judge_` for the judge's),
/// `time_limit`, `sample_unfit`, `sandbox_unavailable`, `sandbox`, `scorer` or
/// `panic`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SampleError {
    pub kind: String,
    pub message: String,
}

/// One sample and epoch, completed: scored, or ended by an error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SampleRecord {
    pub id: String,
    /// Counted from 1.
    pub epoch: u32,
    pub status: SampleStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<Score>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<SampleError>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// The sample's input as the dataset has it.
    pub input: Input,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<String>,
    #[serde(default, skip_serializing_if = "Target::is_empty")]
    pub target: Target,
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub metadata: Map<String, Value>,
    /// The messages sent to the model.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub messages: Vec<ChatMessage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<ModelOutput>,
    /// Tokens of the model's calls.
    #[serde(default)]
    pub usage: Usage,
    /// Tokens of the judge's calls.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub judge_usage: Option<Usage>,
    /// Requests sent, retries included (cache hits are not requests).
    pub attempts: u32,
    /// Whether an answer came from the response cache.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub cached: bool,
    /// `tokens` when the sample used more than its token limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<String>,
    pub started: DateTime<Utc>,
    pub completed: DateTime<Utc>,
    /// Wall-clock seconds from start to completion.
    pub seconds: f64,
    /// An agentic sample's turns and tool calls.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trajectory: Option<Trajectory>,
}

impl SampleRecord {
    /// The score's value as a number, for scored records.
    pub fn value(&self) -> Option<f64> {
        match (self.status, &self.score) {
            (SampleStatus::Scored, Some(score)) => Some(score.value.as_f64()),
            _ => None,
        }
    }
}

/// The last record of a complete run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SummaryRecord {
    pub completed: DateTime<Utc>,
    /// Sample records in the log.
    pub records: u64,
    pub scored: u64,
    pub errors: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<Summary>,
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub by_tag: std::collections::BTreeMap<String, Summary>,
    pub usage: Usage,
    pub judge_usage: Usage,
}
