//! Two models on the same samples: the mean difference with a paired
//! bootstrap interval, and McNemar's test on correct/incorrect outcomes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Bootstrap, Interval};
use crate::error::{Error, Result};

/// Below this many discordant pairs the exact test is used, from it on the
/// chi-square approximation.
pub const MCNEMAR_EXACT_BELOW: u64 = 25;

/// The comparison of run A with run B.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Paired {
    pub samples: usize,
    pub mean_a: f64,
    pub mean_b: f64,
    /// mean(A − B).
    pub difference: f64,
    /// 95% percentile interval of the difference, resampling sample ids.
    pub interval: Option<Interval>,
    /// When every value of both runs is 0 or 1.
    pub mcnemar: Option<McNemar>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum McNemarMethod {
    /// Two-sided exact binomial test on the discordant pairs:
    /// p = min(1, 2 · P(X ≤ min(b, c))), X ~ Binomial(b + c, ½).
    ExactBinomial,
    /// Chi-square with Edwards' continuity correction, one degree of
    /// freedom: (max(0, |b − c| − 1))² / (b + c).
    ChiSquareCorrected,
}

/// McNemar's test on `only_a` (b: A right, B wrong) and `only_b` (c).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct McNemar {
    pub only_a: u64,
    pub only_b: u64,
    pub method: McNemarMethod,
    /// min(b, c) for the exact test, the chi-square value otherwise.
    pub statistic: f64,
    pub p_value: f64,
}

/// McNemar's test, exact below [`MCNEMAR_EXACT_BELOW`] discordant pairs,
/// chi-square with continuity correction from there on.
pub fn mcnemar(only_a: u64, only_b: u64) -> McNemar {
    if only_a + only_b < MCNEMAR_EXACT_BELOW {
        mcnemar_exact(only_a, only_b)
    } else {
        mcnemar_chi_square(only_a, only_b)
    }
}

pub fn mcnemar_exact(only_a: u64, only_b: u64) -> McNemar {
    let n = only_a + only_b;
    let low = only_a.min(only_b);
    let p_value = if n == 0 {
        1.0
    } else {
        (2.0 * binomial_half_cdf(low, n)).min(1.0)
    };
    McNemar {
        only_a,
        only_b,
        method: McNemarMethod::ExactBinomial,
        statistic: low as f64,
        p_value,
    }
}

pub fn mcnemar_chi_square(only_a: u64, only_b: u64) -> McNemar {
    let n = only_a + only_b;
    let (statistic, p_value) = if n == 0 {
        (0.0, 1.0)
    } else {
        let corrected = (only_a.abs_diff(only_b) as f64 - 1.0).max(0.0);
        let statistic = corrected * corrected / n as f64;
        // The chi-square survival function with one degree of freedom.
        (statistic, libm::erfc((statistic / 2.0).sqrt()))
    };
    McNemar {
        only_a,
        only_b,
        method: McNemarMethod::ChiSquareCorrected,
        statistic,
        p_value,
    }
}

/// P(X ≤ m) for X ~ Binomial(n, ½), summed in log space.
fn binomial_half_cdf(m: u64, n: u64) -> f64 {
    let ln_n_fact = libm::lgamma(n as f64 + 1.0);
    let ln_half_n = n as f64 * std::f64::consts::LN_2;
    (0..=m.min(n))
        .map(|i| {
            let ln_choose =
                ln_n_fact - libm::lgamma(i as f64 + 1.0) - libm::lgamma((n - i) as f64 + 1.0);
            (ln_choose - ln_half_n).exp()
        })
        .sum::<f64>()
        .min(1.0)
}

/// Compares run `a` with run `b`, each mapping sample id to its (reduced)
/// value; both must hold the same ids.
pub fn compare_paired(
    a: &BTreeMap<String, f64>,
    b: &BTreeMap<String, f64>,
    bootstrap: Bootstrap,
) -> Result<Paired> {
    let only_a: Vec<String> = a.keys().filter(|k| !b.contains_key(*k)).cloned().collect();
    let only_b: Vec<String> = b.keys().filter(|k| !a.contains_key(*k)).cloned().collect();
    if !only_a.is_empty() || !only_b.is_empty() {
        return Err(Error::Unpaired { only_a, only_b });
    }
    if a.is_empty() {
        return Err(Error::NoValues {
            what: "paired comparison",
        });
    }
    // Both maps iterate in id order, so pairs line up.
    let pairs: Vec<(f64, f64)> = a.values().copied().zip(b.values().copied()).collect();
    let n = pairs.len() as f64;
    let mean_a = pairs.iter().map(|p| p.0).sum::<f64>() / n;
    let mean_b = pairs.iter().map(|p| p.1).sum::<f64>() / n;
    let differences: Vec<f64> = pairs.iter().map(|(x, y)| x - y).collect();
    let interval = super::bootstrap_mean(&differences, bootstrap);
    let binary = |v: f64| v == 0.0 || v == 1.0;
    let mcnemar = pairs.iter().all(|&(x, y)| binary(x) && binary(y)).then(|| {
        let only_a = pairs.iter().filter(|&&(x, y)| x > y).count() as u64;
        let only_b = pairs.iter().filter(|&&(x, y)| x < y).count() as u64;
        mcnemar(only_a, only_b)
    });
    Ok(Paired {
        samples: pairs.len(),
        mean_a,
        mean_b,
        difference: mean_a - mean_b,
        interval,
        mcnemar,
    })
}
