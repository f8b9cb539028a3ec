//! The unbiased pass@k estimator of Chen et al. 2021 ("Evaluating Large
//! Language Models Trained on Code", section 2.1).

use crate::error::{Error, Result};

/// The chance that at least one of `k` of `n` attempts, `c` of which
/// passed, passes: 1 − C(n−c, k) / C(n, k), computed as the product
/// 1 − ∏_{i=n−c+1}^{n} (1 − k/i), which never forms the large binomials.
pub fn pass_at_k(n: u64, c: u64, k: u64) -> Result<f64> {
    if k == 0 || k > n || c > n {
        return Err(Error::PassAtK { n, c, k });
    }
    if n - c < k {
        return Ok(1.0);
    }
    let kf = k as f64;
    let fail: f64 = (n - c + 1..=n).map(|i| 1.0 - kf / i as f64).product();
    Ok(1.0 - fail)
}
