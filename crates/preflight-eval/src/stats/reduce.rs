//! Reducing a sample's epochs to one value.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Written in a suite as `"mean"`, `"max"`, `"mode"` or `{ at_least_k = 2 }`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EpochReducer {
    /// The mean of the epochs.
    Mean,
    /// The best epoch.
    Max,
    /// The most frequent value; among equally frequent values, the one
    /// reached first.
    Mode,
    /// 1 when at least k epochs scored 1 or more, else 0.
    AtLeastK(u32),
}

impl EpochReducer {
    pub fn reduce(self, values: &[f64]) -> Result<f64> {
        if values.is_empty() {
            return Err(Error::NoValues {
                what: "epoch reducer",
            });
        }
        Ok(match self {
            EpochReducer::Mean => values.iter().sum::<f64>() / values.len() as f64,
            EpochReducer::Max => values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            EpochReducer::Mode => {
                let mut counts: HashMap<u64, usize> = HashMap::new();
                for v in values {
                    *counts.entry(v.to_bits()).or_default() += 1;
                }
                let most = counts.values().copied().max().unwrap_or(0);
                values
                    .iter()
                    .copied()
                    .find(|v| counts.get(&v.to_bits()) == Some(&most))
                    .unwrap_or(f64::NAN)
            }
            EpochReducer::AtLeastK(k) => {
                if k == 0 {
                    return Err(Error::AtLeastK { k });
                }
                let passes = values.iter().filter(|&&v| v >= 1.0).count();
                if passes >= k as usize { 1.0 } else { 0.0 }
            }
        })
    }
}
