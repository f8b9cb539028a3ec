//! Datasets: where samples come from and which of them a run takes.
//!
//! JSON Lines files are streamed: [`DatasetSource::samples`] holds one line
//! at a time (plus the ids seen, to catch duplicates), and a shuffled order
//! is read through byte offsets gathered in a first pass, so memory grows
//! with the samples a runner keeps in flight, not with the file. The
//! CyberSecEval sets are JSON arrays of a few hundred records and are read
//! whole.
//!
//! Bad records are never skipped: [`DatasetSource::check`] and
//! [`DatasetSource::load_all`] report every problem of every record, and the
//! stream yields each bad record as an error in its place.

pub mod cyberseceval;
pub mod jsonl;
pub(crate) mod record;

use std::collections::HashSet;
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{BadSample, Error, Location, Result, show};
use crate::ids::IdTable;
use crate::sample::Sample;
use jsonl::Lines;
pub(crate) use record::{letter, letter_index};

/// How a dataset file is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DatasetFormat {
    /// The native format, see [`jsonl`].
    Jsonl,
    /// CyberSecEval `crwd_meta/malware_analysis/questions.json`.
    CybersecevalMcq,
    /// CyberSecEval `prompt_injection/prompt_injection.json`.
    CybersecevalPromptInjection,
    /// CyberSecEval `mitre_frr/mitre_frr.json`.
    CybersecevalFrr,
    /// CyberSecEval `interpreter/interpreter.json`.
    CybersecevalInterpreter,
    /// InterCode-CTF's `ic_ctf.json`, its task files in `task_assets/`
    /// beside it.
    Intercode,
    /// A folder of task folders, each with a `task.toml`
    /// ([`crate::ctf::task_dir`]).
    CtfTasks,
}

/// Reads the record at an array index into a sample; the path is the
/// folder holding the file.
type Importer = fn(&Path, usize, &Value) -> Result<Sample, Vec<BadSample>>;

impl DatasetFormat {
    fn importer(self) -> Option<Importer> {
        match self {
            DatasetFormat::Jsonl | DatasetFormat::CtfTasks => None,
            DatasetFormat::CybersecevalMcq => Some(|_, i, v| cyberseceval::malware_analysis(i, v)),
            DatasetFormat::CybersecevalPromptInjection => {
                Some(|_, i, v| cyberseceval::prompt_injection(i, v))
            }
            DatasetFormat::CybersecevalFrr => Some(|_, i, v| cyberseceval::mitre_frr(i, v)),
            DatasetFormat::CybersecevalInterpreter => {
                Some(|_, i, v| cyberseceval::interpreter(i, v))
            }
            DatasetFormat::Intercode => Some(crate::ctf::intercode::task),
        }
    }
}

/// A suite's `[dataset]` table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatasetConfig {
    /// Relative to the suite file.
    pub path: PathBuf,
    pub format: DatasetFormat,
    /// Take at most this many samples (after shuffling and exclusions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<usize>,
    /// Shuffle the sample order with `seed`.
    #[serde(default)]
    pub shuffle: bool,
    #[serde(default)]
    pub seed: u64,
    /// Sample ids left out of every run; each must exist.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude: Vec<String>,
}

/// A dataset file and the selection a run takes from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatasetSource {
    path: PathBuf,
    format: DatasetFormat,
    limit: Option<usize>,
    shuffle_seed: Option<u64>,
    exclude: Vec<String>,
}

/// What a full pass over a dataset found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DatasetCheck {
    /// Records in the file.
    pub records: usize,
    /// Samples a run takes (after exclusions and the limit).
    pub selected: usize,
}

impl DatasetSource {
    /// The whole file in its order.
    pub fn new(path: impl Into<PathBuf>, format: DatasetFormat) -> Self {
        DatasetSource {
            path: path.into(),
            format,
            limit: None,
            shuffle_seed: None,
            exclude: Vec::new(),
        }
    }

    /// The selection `config` describes, its path resolved against `base`
    /// (the suite file's folder).
    pub fn from_config(config: &DatasetConfig, base: &Path) -> Self {
        DatasetSource {
            path: base.join(&config.path),
            format: config.format,
            limit: config.limit,
            shuffle_seed: config.shuffle.then_some(config.seed),
            exclude: config.exclude.clone(),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn format(&self) -> DatasetFormat {
        self.format
    }

    /// The samples of the selection, in run order. A bad record is yielded
    /// as [`Error::BadSamples`] in its place; reading goes on after it.
    pub fn samples(&self) -> Result<SampleStream> {
        self.stream(self.limit)
    }

    /// Reads every record, reporting every problem of every record (and
    /// every excluded id the file does not have) at once.
    pub fn check(&self) -> Result<DatasetCheck> {
        let mut kept = 0;
        self.drain(|_| kept += 1)?;
        // Every excluded id was found, or `drain` would have failed.
        let excluded: HashSet<&String> = self.exclude.iter().collect();
        Ok(DatasetCheck {
            records: kept + excluded.len(),
            selected: self.limit.map_or(kept, |l| l.min(kept)),
        })
    }

    /// The selection in memory, after checking every record like
    /// [`check`](Self::check).
    pub fn load_all(&self) -> Result<Vec<Sample>> {
        let mut samples = Vec::new();
        self.drain(|sample| samples.push(sample))?;
        if let Some(limit) = self.limit {
            samples.truncate(limit);
        }
        Ok(samples)
    }

    fn drain(&self, mut keep: impl FnMut(Sample)) -> Result<()> {
        let mut errors = Vec::new();
        for item in self.stream(None)? {
            match item {
                Ok(sample) => keep(sample),
                Err(Error::BadSamples { errors: bad, .. }) => errors.extend(bad),
                Err(other) => return Err(other),
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(Error::BadSamples {
                path: self.path.clone(),
                errors,
            })
        }
    }

    fn stream(&self, limit: Option<usize>) -> Result<SampleStream> {
        let io = |source| Error::Io {
            path: self.path.clone(),
            source,
        };
        let inner = match self.format.importer() {
            None if self.format == DatasetFormat::CtfTasks => {
                let mut records = Vec::new();
                let mut errors = Vec::new();
                for (i, task) in crate::ctf::task_dir::load(&self.path)
                    .map_err(io)?
                    .into_iter()
                    .enumerate()
                {
                    match task {
                        Ok(sample) => records.push((Location::Index(i), sample)),
                        Err(bad) => errors.extend(bad),
                    }
                }
                if !errors.is_empty() {
                    return Err(Error::BadSamples {
                        path: self.path.clone(),
                        errors,
                    });
                }
                if let Some(seed) = self.shuffle_seed {
                    records.shuffle(&mut ChaCha8Rng::seed_from_u64(seed));
                }
                Inner::Loaded(records.into_iter())
            }
            None => {
                let file = File::open(&self.path).map_err(io)?;
                let mut lines = Lines::new(BufReader::new(file));
                let order = match self.shuffle_seed {
                    None => None,
                    Some(seed) => {
                        let mut offsets = Vec::new();
                        while let Some((line, offset, _)) = lines.next_line().map_err(io)? {
                            offsets.push((offset, line));
                        }
                        offsets.shuffle(&mut ChaCha8Rng::seed_from_u64(seed));
                        Some(offsets.into_iter())
                    }
                };
                Inner::Jsonl { lines, order }
            }
            Some(import) => {
                let bytes = std::fs::read(&self.path).map_err(io)?;
                let folder = self.path.parent().unwrap_or(Path::new(""));
                let mut records = Vec::new();
                let mut errors = Vec::new();
                match serde_json::from_slice::<Value>(&bytes) {
                    Ok(Value::Array(items)) => {
                        for (i, item) in items.iter().enumerate() {
                            match import(folder, i, item) {
                                Ok(sample) => records.push((Location::Index(i), sample)),
                                Err(bad) => errors.extend(bad),
                            }
                        }
                    }
                    Ok(other) => errors.push(BadSample::new(
                        Location::Document,
                        None,
                        format!("expected a JSON array of records, got {}", show(&other)),
                    )),
                    Err(e) => errors.push(BadSample::new(
                        Location::Document,
                        None,
                        format!("invalid JSON: {e}"),
                    )),
                }
                if !errors.is_empty() {
                    return Err(Error::BadSamples {
                        path: self.path.clone(),
                        errors,
                    });
                }
                if let Some(seed) = self.shuffle_seed {
                    records.shuffle(&mut ChaCha8Rng::seed_from_u64(seed));
                }
                Inner::Loaded(records.into_iter())
            }
        };
        Ok(SampleStream {
            path: self.path.clone(),
            inner,
            exclude: self.exclude.iter().cloned().collect(),
            excluded_seen: HashSet::new(),
            seen: IdTable::default(),
            seen_at: Vec::new(),
            remaining: limit,
            done: false,
        })
    }
}

#[derive(Debug)]
enum Inner {
    Jsonl {
        lines: Lines<BufReader<File>>,
        /// Byte offsets and line numbers in shuffled order, when shuffled.
        order: Option<std::vec::IntoIter<(u64, u64)>>,
    },
    Loaded(std::vec::IntoIter<(Location, Sample)>),
}

/// The samples of a selection, in run order, read as they are asked for.
#[derive(Debug)]
pub struct SampleStream {
    path: PathBuf,
    inner: Inner,
    exclude: HashSet<String>,
    excluded_seen: HashSet<String>,
    /// Ids met so far, and where each was (at the same position), to
    /// report duplicates.
    seen: IdTable,
    seen_at: Vec<Location>,
    remaining: Option<usize>,
    done: bool,
}

impl SampleStream {
    /// Room for the ids of `samples` records, when their number is known.
    pub fn reserve(&mut self, samples: usize) {
        self.seen.reserve(samples, samples * 16);
        self.seen_at.reserve(samples);
    }

    fn bad(&self, errors: Vec<BadSample>) -> Error {
        Error::BadSamples {
            path: self.path.clone(),
            errors,
        }
    }

    /// The next record, parsed; `None` at the end of the file.
    fn next_record(&mut self) -> Option<Result<(Location, Sample)>> {
        match &mut self.inner {
            Inner::Loaded(records) => records.next().map(Ok),
            Inner::Jsonl { lines, order } => {
                let read = match order {
                    Some(order) => {
                        let (offset, line) = order.next()?;
                        lines.line_at(offset, line).map(Some)
                    }
                    None => lines
                        .next_line()
                        .map(|l| l.map(|(line, _, text)| (line, text))),
                };
                match read {
                    Err(source) => Some(Err(Error::Io {
                        path: self.path.clone(),
                        source,
                    })),
                    Ok(None) => None,
                    Ok(Some((line, text))) => {
                        let location = Location::Line(line);
                        Some(match jsonl::parse_line(text, location) {
                            Ok(sample) => Ok((location, sample)),
                            Err(errors) => Err(self.bad(errors)),
                        })
                    }
                }
            }
        }
    }
}

impl Iterator for SampleStream {
    type Item = Result<Sample>;

    fn next(&mut self) -> Option<Result<Sample>> {
        loop {
            if self.done || self.remaining == Some(0) {
                return None;
            }
            let Some(record) = self.next_record() else {
                self.done = true;
                let mut missing: Vec<&String> =
                    self.exclude.difference(&self.excluded_seen).collect();
                if missing.is_empty() {
                    return None;
                }
                missing.sort();
                let errors = missing
                    .into_iter()
                    .map(|id| {
                        BadSample::new(
                            Location::Document,
                            Some("exclude".to_owned()),
                            format!("no sample has id {id:?}"),
                        )
                    })
                    .collect();
                return Some(Err(self.bad(errors)));
            };
            let (location, sample) = match record {
                Ok(record) => record,
                Err(e) => {
                    // A bad record is followed by more; a read error ends the stream.
                    self.done = matches!(e, Error::Io { .. });
                    return Some(Err(e));
                }
            };
            let (at, new) = self.seen.add(&sample.id);
            if !new {
                let first = self.seen_at[at as usize];
                let problem = format!("duplicate id {:?} (first at {first})", sample.id);
                let error = BadSample::new(location, Some("id".to_owned()), problem);
                return Some(Err(self.bad(vec![error])));
            }
            self.seen_at.push(location);
            if self.exclude.contains(&sample.id) {
                self.excluded_seen.insert(sample.id.clone());
                continue;
            }
            if let Some(remaining) = &mut self.remaining {
                *remaining -= 1;
            }
            return Some(Ok(sample));
        }
    }
}
