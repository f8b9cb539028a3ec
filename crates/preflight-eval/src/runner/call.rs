//! One model request as the runner makes it: from the cache if it is there,
//! otherwise under the connection limit, retried with jittered exponential
//! back-off (or the server's Retry-After) while the error is retryable.

use std::time::Duration;

use rand::Rng;

use super::Shared;
use super::cache::ResponseCache;
use crate::client::{ClientError, GenerateRequest, ModelClient};
use crate::model::ModelOutput;

/// How long to wait between attempts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backoff {
    /// The wait after the first failure, doubled after each one.
    pub base: Duration,
    /// The longest computed wait.
    pub max: Duration,
    /// The longest Retry-After honoured; a longer one is cut to this.
    pub max_retry_after: Duration,
}

impl Default for Backoff {
    /// 0.5 s doubling up to 30 s; Retry-After honoured up to 120 s.
    fn default() -> Self {
        Backoff {
            base: Duration::from_millis(500),
            max: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(120),
        }
    }
}

impl Backoff {
    /// The wait after failed attempt `attempt` (from 1): the server's
    /// Retry-After plus up to 10% more, or "equal jitter", half of
    /// `base · 2^(attempt-1)` (capped at `max`) plus a random part of the
    /// other half.
    pub fn delay(
        &self,
        attempt: u32,
        retry_after: Option<Duration>,
        rng: &mut impl Rng,
    ) -> Duration {
        if let Some(wait) = retry_after {
            let wait = wait.min(self.max_retry_after);
            return wait + wait.mul_f64(rng.gen_range(0.0..=0.1));
        }
        let doubled = self
            .base
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(20));
        let ceiling = doubled.min(self.max);
        let half = ceiling / 2;
        half + half.mul_f64(rng.gen_range(0.0..=1.0))
    }
}

/// What a call came to.
#[derive(Debug)]
pub(super) struct Called {
    pub result: Result<ModelOutput, ClientError>,
    /// Requests sent.
    pub attempts: u32,
    pub cached: bool,
}

impl Shared {
    pub(super) async fn call(
        &self,
        client: &dyn ModelClient,
        request: &GenerateRequest,
        epoch: u32,
    ) -> Called {
        let key = self
            .cache
            .as_ref()
            .map(|_| ResponseCache::key(client.model(), epoch, request));
        if let (Some(cache), Some(key)) = (&self.cache, &key)
            && let Some(output) = cache.get(key)
        {
            return Called {
                result: Ok(output),
                attempts: 0,
                cached: true,
            };
        }
        let max_attempts = self.config.max_attempts.max(1);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let permit = self.limiter.acquire().await;
            let result =
                match tokio::time::timeout(self.config.attempt_timeout, client.generate(request))
                    .await
                {
                    Ok(result) => result,
                    Err(_) => Err(ClientError::Timeout {
                        message: format!(
                            "no complete answer within {} s",
                            self.config.attempt_timeout.as_secs_f64()
                        ),
                    }),
                };
            let error = match result {
                Ok(output) => {
                    permit.success();
                    if let (Some(cache), Some(key)) = (&self.cache, &key) {
                        // A full disk costs only future cache hits.
                        let _ = cache.put(key, &output);
                    }
                    return Called {
                        result: Ok(output),
                        attempts: attempt,
                        cached: false,
                    };
                }
                Err(error) => error,
            };
            if matches!(error, ClientError::RateLimited { .. }) {
                permit.rate_limited();
            } else {
                drop(permit);
            }
            if !error.is_retryable() || attempt >= max_attempts {
                return Called {
                    result: Err(error),
                    attempts: attempt,
                    cached: false,
                };
            }
            let delay = {
                let mut rng = rand::thread_rng();
                self.config
                    .backoff
                    .delay(attempt, error.retry_after(), &mut rng)
            };
            self.progress.retry(&error, delay);
            tokio::time::sleep(delay).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn delays() {
        let backoff = Backoff::default();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        for attempt in 1..=12 {
            let ceiling = (Duration::from_millis(500) * 2u32.pow(attempt - 1)).min(backoff.max);
            let d = backoff.delay(attempt, None, &mut rng);
            assert!(d >= ceiling / 2 && d <= ceiling, "attempt {attempt}: {d:?}");
        }
        let d = backoff.delay(1, Some(Duration::from_secs(2)), &mut rng);
        assert!(d >= Duration::from_secs(2) && d <= Duration::from_millis(2200));
        let d = backoff.delay(1, Some(Duration::from_secs(3600)), &mut rng);
        assert!(d <= Duration::from_secs(132), "retry-after is capped");
    }
}
