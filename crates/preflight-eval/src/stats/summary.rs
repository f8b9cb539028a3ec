//! Accuracy, its standard error and intervals, for a whole run and per tag.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Bootstrap, EpochReducer, Interval, Metric, Z_95, bootstrap_mean, pass_at_k};
use crate::error::{Error, Result};

/// One sample's scores, one value per epoch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SampleScores {
    pub id: String,
    #[serde(default)]
    pub tags: Vec<String>,
    pub epochs: Vec<f64>,
}

/// The metrics asked for; those not asked for (or not defined for the
/// data) are `None` or empty.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub samples: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accuracy: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stderr: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wilson: Option<Interval>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bootstrap: Option<Interval>,
    /// k → pass@k.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub pass_at_k: BTreeMap<u64, f64>,
}

/// The mean; `None` for no values.
pub fn accuracy(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

/// The standard error of the mean, s / √n with the sample standard
/// deviation s (n − 1 in the denominator); `None` below two values.
pub fn stderr(values: &[f64]) -> Option<f64> {
    let n = values.len();
    if n < 2 {
        return None;
    }
    let mean = accuracy(values)?;
    let squares: f64 = values.iter().map(|v| (v - mean).powi(2)).sum();
    Some((squares / (n - 1) as f64).sqrt() / (n as f64).sqrt())
}

/// The 95% Wilson score interval for `successes` out of `n`; `None` when
/// `n` is 0 or `successes` exceeds it.
pub fn wilson(successes: u64, n: u64) -> Option<Interval> {
    if n == 0 || successes > n {
        return None;
    }
    let n = n as f64;
    let p = successes as f64 / n;
    let z2 = Z_95 * Z_95;
    let denominator = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denominator;
    let half = Z_95 / denominator * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    Some(Interval {
        lower: (centre - half).max(0.0),
        upper: (centre + half).min(1.0),
    })
}

/// Reduces each sample's epochs with `reducer` and computes `metrics`.
pub fn summarise(
    samples: &[SampleScores],
    reducer: EpochReducer,
    metrics: &[Metric],
    bootstrap: Bootstrap,
) -> Result<Summary> {
    let epochs: Vec<&[f64]> = samples.iter().map(|s| s.epochs.as_slice()).collect();
    summarise_epochs(&epochs, reducer, metrics, bootstrap)
}

/// [`summarise`] over each sample's epoch values alone, in sample order.
pub fn summarise_epochs(
    samples: &[&[f64]],
    reducer: EpochReducer,
    metrics: &[Metric],
    bootstrap: Bootstrap,
) -> Result<Summary> {
    if samples.is_empty() {
        return Err(Error::NoValues { what: "summary" });
    }
    let reduced = samples
        .iter()
        .map(|epochs| reducer.reduce(epochs))
        .collect::<Result<Vec<f64>>>()?;
    let binary = reduced.iter().all(|&v| v == 0.0 || v == 1.0);
    let mut summary = Summary {
        samples: samples.len(),
        accuracy: None,
        stderr: None,
        wilson: None,
        bootstrap: None,
        pass_at_k: BTreeMap::new(),
    };
    for metric in metrics {
        match metric {
            Metric::Accuracy => summary.accuracy = accuracy(&reduced),
            Metric::Stderr => summary.stderr = stderr(&reduced),
            Metric::Wilson if binary => {
                let successes = reduced.iter().filter(|&&v| v == 1.0).count();
                summary.wilson = wilson(successes as u64, reduced.len() as u64);
            }
            Metric::Wilson => {}
            Metric::Bootstrap => summary.bootstrap = bootstrap_mean(&reduced, bootstrap),
            Metric::PassAtK => summary.pass_at_k = pass_at_ks(samples)?,
        }
    }
    Ok(summary)
}

/// Mean pass@k over samples, for k from 1 to the fewest epochs a sample has.
fn pass_at_ks(samples: &[&[f64]]) -> Result<BTreeMap<u64, f64>> {
    let fewest = samples.iter().map(|epochs| epochs.len()).min().unwrap_or(0) as u64;
    let mut out = BTreeMap::new();
    for k in 1..=fewest {
        let mut total = 0.0;
        for epochs in samples {
            let n = epochs.len() as u64;
            let c = epochs.iter().filter(|&&v| v >= 1.0).count() as u64;
            total += pass_at_k(n, c, k)?;
        }
        out.insert(k, total / samples.len() as f64);
    }
    Ok(out)
}

/// A summary for each tag, over the samples carrying it.
pub fn by_tag(
    samples: &[SampleScores],
    reducer: EpochReducer,
    metrics: &[Metric],
    bootstrap: Bootstrap,
) -> Result<BTreeMap<String, Summary>> {
    let mut groups: BTreeMap<&str, Vec<&[f64]>> = BTreeMap::new();
    for sample in samples {
        for tag in &sample.tags {
            groups.entry(tag).or_default().push(&sample.epochs);
        }
    }
    groups
        .into_iter()
        .map(|(tag, group)| {
            Ok((
                tag.to_owned(),
                summarise_epochs(&group, reducer, metrics, bootstrap)?,
            ))
        })
        .collect()
}
