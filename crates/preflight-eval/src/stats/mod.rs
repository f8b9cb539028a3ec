//! Statistics over scores: accuracy and its uncertainty, pass@k, epoch
//! reduction, per-tag breakdowns and paired comparisons of two models.
//! Everything random takes a seed, so a report can be recomputed exactly.

pub mod bootstrap;
pub mod paired;
pub mod pass_at_k;
pub mod reduce;
pub mod summary;

use serde::{Deserialize, Serialize};

pub use bootstrap::{Bootstrap, bootstrap_mean};
pub use paired::{McNemar, McNemarMethod, Paired, compare_paired, mcnemar};
pub use pass_at_k::pass_at_k;
pub use reduce::EpochReducer;
pub use summary::{
    SampleScores, Summary, accuracy, by_tag, stderr, summarise, summarise_epochs, wilson,
};

/// The 0.975 quantile of the standard normal distribution
/// (`scipy.stats.norm.ppf(0.975)`), for two-sided 95% intervals.
pub const Z_95: f64 = 1.959_963_984_540_054;

/// A two-sided 95% interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    pub lower: f64,
    pub upper: f64,
}

/// The metrics a suite may ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// Mean of the per-sample (epoch-reduced) values.
    Accuracy,
    /// Standard error of that mean (sample standard deviation / √n).
    Stderr,
    /// 95% Wilson score interval, when every value is 0 or 1.
    Wilson,
    /// 95% percentile bootstrap interval of the mean.
    Bootstrap,
    /// pass@k for every k from 1 to the number of epochs, over the raw
    /// epoch scores (a value of at least 1 is a pass).
    PassAtK,
}
