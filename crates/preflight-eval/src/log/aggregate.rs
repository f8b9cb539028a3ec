//! What a run keeps of its samples: one small entry per sample id (its
//! tags and epoch values), counts and token totals. Built while running and
//! again from a log, so memory grows with the number of sample ids, never
//! with transcripts.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use super::record::{Header, SampleRecord, SampleStatus, SummaryRecord};
use crate::error::Result;
use crate::model::Usage;
use crate::stats::{self, Bootstrap, EpochReducer, Metric, SampleScores, Summary};

/// Completed samples of a run, reduced to what statistics need. Each id
/// is held once, and each distinct tag once for the whole run.
#[derive(Debug, Clone, Default)]
pub struct Aggregate {
    samples: HashMap<Box<str>, Entry>,
    tags: Tags,
    pub records: u64,
    pub scored: u64,
    pub errors: u64,
    pub errors_by_kind: BTreeMap<String, u64>,
    pub usage: Usage,
    pub judge_usage: Usage,
    agent: AgentTally,
}

/// What agentic records add up to: how each loop stopped, and the turns
/// and tokens of each solved one.
#[derive(Debug, Clone, Default)]
struct AgentTally {
    records: u64,
    stops: BTreeMap<String, u64>,
    solved_turns: Vec<f64>,
    solved_tokens: Vec<f64>,
}

/// One sample: its tags (as indexes into [`Tags`]), the epochs that have a
/// record (scored or not), and the values of the scored ones.
#[derive(Debug, Clone, Default)]
struct Entry {
    tags: Box<[u32]>,
    /// Epochs below 64 that have a record, as bits.
    done: u64,
    /// Epochs from 64 on that have a record (rare: no allocation otherwise).
    done_beyond: Vec<u32>,
    /// (epoch, value) of scored epochs, in completion order.
    values: Vec<(u32, f64)>,
}

impl Entry {
    fn mark(&mut self, epoch: u32) {
        match 1u64.checked_shl(epoch) {
            Some(bit) => self.done |= bit,
            None => self.done_beyond.push(epoch),
        }
    }

    fn has(&self, epoch: u32) -> bool {
        match 1u64.checked_shl(epoch) {
            Some(bit) => self.done & bit != 0,
            None => self.done_beyond.contains(&epoch),
        }
    }
}

/// Every distinct tag of the run, stored once.
#[derive(Debug, Clone, Default)]
struct Tags {
    names: Vec<Box<str>>,
    index: HashMap<Box<str>, u32>,
}

impl Tags {
    fn intern(&mut self, tags: &[String]) -> Box<[u32]> {
        tags.iter()
            .map(|t| match self.index.get(t.as_str()) {
                Some(i) => *i,
                None => {
                    let i = u32::try_from(self.names.len()).unwrap_or(u32::MAX);
                    self.names.push(t.as_str().into());
                    self.index.insert(t.as_str().into(), i);
                    i
                }
            })
            .collect()
    }

    fn names(&self, ids: &[u32]) -> Vec<String> {
        ids.iter()
            .filter_map(|i| self.names.get(*i as usize))
            .map(|n| n.to_string())
            .collect()
    }
}

impl Aggregate {
    /// Counts a completed record.
    pub fn add(&mut self, record: &SampleRecord) {
        if !self.samples.contains_key(record.id.as_str()) {
            let tags = self.tags.intern(&record.tags);
            self.samples.insert(
                record.id.as_str().into(),
                Entry {
                    tags,
                    ..Entry::default()
                },
            );
        }
        if let Some(entry) = self.samples.get_mut(record.id.as_str()) {
            entry.mark(record.epoch);
        }
        self.records += 1;
        add_usage(&mut self.usage, record.usage);
        if let Some(judge) = record.judge_usage {
            add_usage(&mut self.judge_usage, judge);
        }
        if let Some(trajectory) = &record.trajectory {
            let tally = &mut self.agent;
            tally.records += 1;
            let stop = match record.status {
                SampleStatus::Error => "error".to_owned(),
                SampleStatus::Scored => serde_json::to_value(trajectory.stop)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
            };
            *tally.stops.entry(stop).or_default() += 1;
            if record.value() == Some(1.0) {
                tally.solved_turns.push(f64::from(trajectory.turn_count()));
                tally
                    .solved_tokens
                    .push((record.usage.input_tokens + record.usage.output_tokens) as f64);
            }
        }
        match (record.status, record.value()) {
            (SampleStatus::Scored, Some(value)) => {
                self.scored += 1;
                if let Some(entry) = self.samples.get_mut(record.id.as_str()) {
                    entry.values.push((record.epoch, value));
                }
            }
            _ => {
                self.errors += 1;
                let kind = record.error.as_ref().map_or("unknown", |e| e.kind.as_str());
                *self.errors_by_kind.entry(kind.to_owned()).or_default() += 1;
            }
        }
    }

    /// Whether this sample and epoch has a record.
    pub fn is_done(&self, id: &str, epoch: u32) -> bool {
        self.samples.get(id).is_some_and(|e| e.has(epoch))
    }

    /// Each scored sample's epoch values in epoch order, sorted by id.
    pub fn sample_scores(&self) -> Vec<SampleScores> {
        let mut scores: Vec<SampleScores> = self
            .samples
            .iter()
            .filter(|(_, entry)| !entry.values.is_empty())
            .map(|(id, entry)| {
                let mut values = entry.values.clone();
                values.sort_by_key(|(epoch, _)| *epoch);
                SampleScores {
                    id: id.to_string(),
                    tags: self.tags.names(&entry.tags),
                    epochs: values.into_iter().map(|(_, v)| v).collect(),
                }
            })
            .collect();
        scores.sort_by(|a, b| a.id.cmp(&b.id));
        scores
    }

    /// Each scored sample's value reduced over its epochs, by id.
    pub fn reduced(&self, reducer: EpochReducer) -> Result<BTreeMap<String, f64>> {
        self.sample_scores()
            .into_iter()
            .map(|s| Ok((s.id, reducer.reduce(&s.epochs)?)))
            .collect()
    }

    /// The statistics of the run as `header` describes it.
    pub fn report(&self, header: &Header) -> Result<Report> {
        let scores = self.sample_scores();
        let reducer = header.suite_config.epoch_reducer;
        let bootstrap = Bootstrap {
            seed: header.seed,
            ..Bootstrap::default()
        };
        let metrics = report_metrics(header.epochs);
        let (summary, by_tag) = if scores.is_empty() {
            (None, BTreeMap::new())
        } else {
            (
                Some(stats::summarise(&scores, reducer, &metrics, bootstrap)?),
                stats::by_tag(&scores, reducer, &metrics, bootstrap)?,
            )
        };
        Ok(Report {
            expected: header.expected_records(),
            records: self.records,
            scored: self.scored,
            errors: self.errors,
            errors_by_kind: self.errors_by_kind.clone(),
            usage: self.usage,
            judge_usage: self.judge_usage,
            summary,
            by_tag,
            agent: (self.agent.records > 0).then(|| AgentSummary {
                records: self.agent.records,
                solved: self.agent.solved_turns.len() as u64,
                stops: self.agent.stops.clone(),
                turns_to_solve: Spread::of(&self.agent.solved_turns),
                tokens_to_solve: Spread::of(&self.agent.solved_tokens),
            }),
        })
    }
}

/// How agentic samples went.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentSummary {
    /// Records with a trajectory.
    pub records: u64,
    /// Of those, scored correct.
    pub solved: u64,
    /// How loops ended: solved, submissions, turns, tokens, error.
    pub stops: BTreeMap<String, u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub turns_to_solve: Option<Spread>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tokens_to_solve: Option<Spread>,
}

/// Mean, median and range of some values.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Spread {
    pub mean: f64,
    pub median: f64,
    pub min: f64,
    pub max: f64,
}

impl Spread {
    pub fn of(values: &[f64]) -> Option<Spread> {
        if values.is_empty() {
            return None;
        }
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        let median = if n % 2 == 1 {
            sorted[n / 2]
        } else {
            (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
        };
        Some(Spread {
            mean: sorted.iter().sum::<f64>() / n as f64,
            median,
            min: sorted[0],
            max: sorted[n - 1],
        })
    }
}

fn add_usage(total: &mut Usage, more: Usage) {
    total.input_tokens += more.input_tokens;
    total.output_tokens += more.output_tokens;
}

/// Every metric a report shows: accuracy, stderr, Wilson and bootstrap
/// intervals, and pass@k when samples ran more than one epoch.
pub fn report_metrics(epochs: u32) -> Vec<Metric> {
    let mut metrics = vec![
        Metric::Accuracy,
        Metric::Stderr,
        Metric::Wilson,
        Metric::Bootstrap,
    ];
    if epochs > 1 {
        metrics.push(Metric::PassAtK);
    }
    metrics
}

/// A run's results: counts, tokens and statistics over the scored samples.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Sample records a complete run has.
    pub expected: u64,
    pub records: u64,
    pub scored: u64,
    pub errors: u64,
    pub errors_by_kind: BTreeMap<String, u64>,
    pub usage: Usage,
    pub judge_usage: Usage,
    /// `None` when no sample was scored.
    pub summary: Option<Summary>,
    pub by_tag: BTreeMap<String, Summary>,
    /// For agentic suites: how the loops ended, turns and tokens to solve.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<AgentSummary>,
}

impl Report {
    /// Whether every sample and epoch has a record.
    pub fn is_complete(&self) -> bool {
        self.records >= self.expected
    }

    /// The log's last record.
    pub fn summary_record(&self) -> SummaryRecord {
        SummaryRecord {
            completed: chrono::Utc::now(),
            records: self.records,
            scored: self.scored,
            errors: self.errors,
            summary: self.summary.clone(),
            by_tag: self.by_tag.clone(),
            usage: self.usage,
            judge_usage: self.judge_usage,
        }
    }
}
