//! Percentile bootstrap intervals with a seeded generator.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::Interval;

/// How a bootstrap interval is drawn: `resamples` resamples (with
/// replacement, each the size of the data) from ChaCha8 seeded with `seed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bootstrap {
    pub resamples: usize,
    pub seed: u64,
}

impl Default for Bootstrap {
    /// 1,000 resamples, seed 0.
    fn default() -> Self {
        Bootstrap {
            resamples: 1000,
            seed: 0,
        }
    }
}

impl Bootstrap {
    /// The 2.5th and 97.5th percentiles of `statistic` over resamples of
    /// `n` indexes; `None` when `n` or `resamples` is 0.
    pub fn interval(&self, n: usize, statistic: impl Fn(&[usize]) -> f64) -> Option<Interval> {
        if n == 0 || self.resamples == 0 {
            return None;
        }
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        let mut indexes = vec![0; n];
        let mut stats: Vec<f64> = (0..self.resamples)
            .map(|_| {
                for slot in indexes.iter_mut() {
                    *slot = rng.gen_range(0..n);
                }
                statistic(&indexes)
            })
            .collect();
        stats.sort_by(f64::total_cmp);
        Some(Interval {
            lower: percentile(&stats, 2.5),
            upper: percentile(&stats, 97.5),
        })
    }
}

/// The 95% percentile bootstrap interval of the mean of `values`.
pub fn bootstrap_mean(values: &[f64], bootstrap: Bootstrap) -> Option<Interval> {
    bootstrap.interval(values.len(), |indexes| {
        indexes.iter().map(|&i| values[i]).sum::<f64>() / indexes.len() as f64
    })
}

/// The `q`th percentile of sorted data, interpolating linearly between
/// neighbours (numpy's default): rank `(len − 1) · q / 100`.
pub fn percentile(sorted: &[f64], q: f64) -> f64 {
    let Some(&last) = sorted.last() else {
        return f64::NAN;
    };
    let rank = (sorted.len() - 1) as f64 * q / 100.0;
    let below = rank.floor() as usize;
    match sorted.get(below + 1) {
        Some(&above) => sorted[below] + (rank - below as f64) * (above - sorted[below]),
        None => last,
    }
}
