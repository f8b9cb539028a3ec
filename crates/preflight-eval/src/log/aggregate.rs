//! What a run keeps of its samples: its id and one 24-byte entry per
//! sample (its tag set, the epochs done, its first value), counts and token
//! totals. Built while running and again from a log, so memory grows by a
//! few dozen bytes per sample id, never with transcripts.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use super::record::{Header, SampleRecord, SampleStatus, SummaryRecord};
use crate::error::Result;
use crate::ids::IdTable;
use crate::model::Usage;
use crate::stats::{self, Bootstrap, EpochReducer, Metric, SampleScores, Summary};

/// Completed samples of a run, reduced to what statistics need. Every id
/// is held once in one buffer, and each distinct set of tags once for the
/// whole run.
#[derive(Debug, Clone, Default)]
pub struct Aggregate {
    samples: Samples,
    tag_sets: TagSets,
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

/// Every sample id seen, each with its [`Entry`] at the same position.
#[derive(Debug, Clone, Default)]
struct Samples {
    ids: IdTable,
    entries: Vec<Entry>,
    /// (position, epoch) of records for epochs from 64 on (rare).
    done_beyond: Vec<(u32, u32)>,
    /// (position, epoch, value) of scored epochs after a sample's first,
    /// and of an epoch 0.
    more_values: Vec<(u32, u32, f64)>,
}

/// One sample: its tag set, the epochs below 64 that have a record (scored
/// or not) as bits, and its first scored epoch (0 for none) and value.
#[derive(Debug, Clone, Copy)]
struct Entry {
    tag_set: u32,
    first_epoch: u32,
    done: u64,
    first_value: f64,
}

impl Samples {
    fn id(&self, at: u32) -> &str {
        self.ids.get(at)
    }

    fn find(&self, id: &str) -> Option<u32> {
        self.ids.find(id)
    }

    /// The position of `id`, added with `tag_set` when new.
    fn find_or_add(&mut self, id: &str, tag_set: impl FnOnce() -> u32) -> u32 {
        let (at, new) = self.ids.add(id);
        if new {
            self.entries.push(Entry {
                tag_set: tag_set(),
                first_epoch: 0,
                done: 0,
                first_value: 0.0,
            });
        }
        at
    }

    fn mark(&mut self, at: u32, epoch: u32) {
        match 1u64.checked_shl(epoch) {
            Some(bit) => self.entries[at as usize].done |= bit,
            None => self.done_beyond.push((at, epoch)),
        }
    }

    fn has(&self, at: u32, epoch: u32) -> bool {
        match 1u64.checked_shl(epoch) {
            Some(bit) => self.entries[at as usize].done & bit != 0,
            None => self.done_beyond.contains(&(at, epoch)),
        }
    }

    fn add_value(&mut self, at: u32, epoch: u32, value: f64) {
        let entry = &mut self.entries[at as usize];
        if entry.first_epoch == 0 && epoch != 0 {
            entry.first_epoch = epoch;
            entry.first_value = value;
        } else {
            self.more_values.push((at, epoch, value));
        }
    }

    /// The positions of scored samples in id order, and each one's epoch
    /// values in epoch order, flattened: sample `i`'s values are
    /// `values[offsets[i]..offsets[i + 1]]`.
    fn scored_by_id(&self) -> (Vec<u32>, Vec<usize>, Vec<f64>) {
        let mut more = self.more_values.clone();
        more.sort_by_key(|&(at, epoch, _)| (at, epoch));
        let has_more = |at: u32| {
            let from = more.partition_point(|&(other, _, _)| other < at);
            from < more.len() && more[from].0 == at
        };
        let mut order: Vec<u32> = (0..self.entries.len() as u32)
            .filter(|&at| self.entries[at as usize].first_epoch != 0 || has_more(at))
            .collect();
        order.sort_unstable_by(|&a, &b| self.id(a).cmp(self.id(b)));
        let mut offsets = Vec::with_capacity(order.len() + 1);
        let mut values = Vec::with_capacity(order.len() + more.len());
        let mut epochs: Vec<(u32, f64)> = Vec::new();
        for &at in &order {
            offsets.push(values.len());
            epochs.clear();
            let entry = &self.entries[at as usize];
            if entry.first_epoch != 0 {
                epochs.push((entry.first_epoch, entry.first_value));
            }
            let from = more.partition_point(|&(other, _, _)| other < at);
            let to = more.partition_point(|&(other, _, _)| other <= at);
            epochs.extend(
                more[from..to]
                    .iter()
                    .map(|&(_, epoch, value)| (epoch, value)),
            );
            epochs.sort_by_key(|&(epoch, _)| epoch);
            values.extend(epochs.iter().map(|&(_, value)| value));
        }
        offsets.push(values.len());
        (order, offsets, values)
    }
}

/// Every distinct set of tags of the run, stored once.
#[derive(Debug, Clone, Default)]
struct TagSets {
    sets: Vec<Box<[String]>>,
    index: HashMap<Box<[String]>, u32>,
}

impl TagSets {
    fn intern(&mut self, tags: &[String]) -> u32 {
        if let Some(&i) = self.index.get(tags) {
            return i;
        }
        let i = u32::try_from(self.sets.len()).unwrap_or(u32::MAX);
        self.sets.push(tags.into());
        self.index.insert(tags.into(), i);
        i
    }

    fn tags(&self, set: u32) -> &[String] {
        self.sets.get(set as usize).map_or(&[], |tags| tags)
    }
}

/// What one sample id is guessed to take in the id buffer, for reserving.
const ID_BYTES_GUESS: usize = 16;

impl Aggregate {
    /// An empty aggregate with room for `samples` sample ids.
    pub fn with_capacity(samples: usize) -> Aggregate {
        let mut aggregate = Aggregate::default();
        aggregate
            .samples
            .ids
            .reserve(samples, samples * ID_BYTES_GUESS);
        aggregate.samples.entries.reserve(samples);
        aggregate
    }

    /// Counts a completed record.
    pub fn add(&mut self, record: &SampleRecord) {
        let tag_sets = &mut self.tag_sets;
        let at = self
            .samples
            .find_or_add(&record.id, || tag_sets.intern(&record.tags));
        self.samples.mark(at, record.epoch);
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
                self.samples.add_value(at, record.epoch, value);
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
        self.samples
            .find(id)
            .is_some_and(|at| self.samples.has(at, epoch))
    }

    /// Each scored sample's epoch values in epoch order, sorted by id.
    pub fn sample_scores(&self) -> Vec<SampleScores> {
        let (order, offsets, values) = self.samples.scored_by_id();
        order
            .iter()
            .enumerate()
            .map(|(i, &at)| {
                let entry = &self.samples.entries[at as usize];
                SampleScores {
                    id: self.samples.id(at).to_owned(),
                    tags: self.tag_sets.tags(entry.tag_set).to_vec(),
                    epochs: values[offsets[i]..offsets[i + 1]].to_vec(),
                }
            })
            .collect()
    }

    /// Each scored sample's value reduced over its epochs, by id.
    pub fn reduced(&self, reducer: EpochReducer) -> Result<BTreeMap<String, f64>> {
        let (order, offsets, values) = self.samples.scored_by_id();
        order
            .iter()
            .enumerate()
            .map(|(i, &at)| {
                let id = self.samples.id(at);
                Ok((
                    id.to_owned(),
                    reducer.reduce(&values[offsets[i]..offsets[i + 1]])?,
                ))
            })
            .collect()
    }

    /// The statistics of the run as `header` describes it: over the scored
    /// samples in id order, for the run and for each tag.
    pub fn report(&self, header: &Header) -> Result<Report> {
        let (order, offsets, values) = self.samples.scored_by_id();
        let epochs: Vec<&[f64]> = offsets.windows(2).map(|w| &values[w[0]..w[1]]).collect();
        let reducer = header.suite_config.epoch_reducer;
        let bootstrap = Bootstrap {
            seed: header.seed,
            ..Bootstrap::default()
        };
        let metrics = report_metrics(header.epochs);
        let (summary, by_tag) = if epochs.is_empty() {
            (None, BTreeMap::new())
        } else {
            let mut groups: BTreeMap<&str, Vec<&[f64]>> = BTreeMap::new();
            for (&at, sample) in order.iter().zip(&epochs) {
                let set = self.samples.entries[at as usize].tag_set;
                for tag in self.tag_sets.tags(set) {
                    groups.entry(tag).or_default().push(sample);
                }
            }
            let by_tag = groups
                .into_iter()
                .map(|(tag, group)| {
                    let summary = stats::summarise_epochs(&group, reducer, &metrics, bootstrap)?;
                    Ok((tag.to_owned(), summary))
                })
                .collect::<Result<_>>()?;
            (
                Some(stats::summarise_epochs(
                    &epochs, reducer, &metrics, bootstrap,
                )?),
                by_tag,
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn record(id: &str, epoch: u32, value: Option<f64>, tags: &[&str]) -> SampleRecord {
        let (status, score) = match value {
            Some(v) => ("scored", json!({ "value": v, "explanation": "" })),
            None => ("error", Value::Null),
        };
        serde_json::from_value(json!({
            "id": id,
            "epoch": epoch,
            "status": status,
            "score": score,
            "error": if value.is_none() { json!({ "kind": "timeout", "message": "slow" }) } else { Value::Null },
            "tags": tags,
            "input": "q",
            "attempts": 1,
            "started": "2026-01-01T00:00:00Z",
            "completed": "2026-01-01T00:00:01Z",
            "seconds": 1.0,
        }))
        .unwrap_or_else(|e| panic!("a test record: {e}"))
    }

    #[test]
    fn epochs_in_any_order_come_back_by_id_and_epoch() {
        let mut aggregate = Aggregate::with_capacity(2);
        for (id, epoch, value) in [
            ("b", 3, Some(0.0)),
            ("a", 2, Some(1.0)),
            ("b", 1, Some(1.0)),
            ("a", 1, Some(0.5)),
            ("c", 1, None),
            ("b", 70, Some(0.25)),
            ("b", 2, None),
        ] {
            aggregate.add(&record(id, epoch, value, &["x", "y"]));
        }
        assert_eq!(
            (aggregate.records, aggregate.scored, aggregate.errors),
            (7, 5, 2)
        );
        let scores = aggregate.sample_scores();
        let got: Vec<(&str, &[f64])> = scores
            .iter()
            .map(|s| (s.id.as_str(), s.epochs.as_slice()))
            .collect();
        assert_eq!(
            got,
            vec![("a", &[0.5, 1.0][..]), ("b", &[1.0, 0.0, 0.25][..])],
            "errors have no value; values in epoch order; ids sorted"
        );
        assert_eq!(scores[0].tags, vec!["x".to_owned(), "y".to_owned()]);
        for (id, epoch, done) in [
            ("a", 1, true),
            ("a", 3, false),
            ("b", 2, true),
            ("b", 70, true),
            ("b", 71, false),
            ("c", 1, true),
            ("d", 1, false),
        ] {
            assert_eq!(aggregate.is_done(id, epoch), done, "{id} epoch {epoch}");
        }
        let reduced = aggregate
            .reduced(EpochReducer::Max)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(reduced.get("a"), Some(&1.0));
        assert_eq!(reduced.get("b"), Some(&1.0));
        assert_eq!(reduced.len(), 2);
    }
}
