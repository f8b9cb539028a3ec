//! The terms' usage limits, enforced per reviewing organisation and review:
//! requests per minute and tokens per minute over a sliding minute,
//! concurrent requests, and the total token budget. State lives in memory
//! (each replica enforces its share); the budget starts from what the store
//! has recorded.

use crate::refusal::Refusal;
use preflight_core::ids::{OrgId, SubmissionId};
use preflight_core::terms::UsageLimits;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

const MINUTE: Duration = Duration::from_secs(60);

/// Whose limits: one organisation on one review.
pub type LimitKey = (SubmissionId, OrgId);

#[derive(Debug, Default)]
struct Usage {
    requests: VecDeque<Instant>,
    tokens: VecDeque<(Instant, u64)>,
    tokens_in_window: u64,
    in_flight: u32,
    /// Tokens used so far on the review; `None` until loaded from the store.
    used: Option<u64>,
    /// Tokens promised to calls in flight.
    reserved: u64,
}

impl Usage {
    fn prune(&mut self, now: Instant) {
        while self
            .requests
            .front()
            .is_some_and(|t| now.duration_since(*t) >= MINUTE)
        {
            self.requests.pop_front();
        }
        while let Some(&(t, n)) = self.tokens.front() {
            if now.duration_since(t) < MINUTE {
                break;
            }
            self.tokens_in_window -= n;
            self.tokens.pop_front();
        }
    }
}

/// All organisations' usage.
#[derive(Clone, Debug, Default)]
pub struct Limiter {
    usage: Arc<Mutex<HashMap<LimitKey, Usage>>>,
}

/// A call admitted under the limits; releases its slot when dropped.
#[derive(Debug)]
pub struct Permit {
    limiter: Limiter,
    key: LimitKey,
    reserved: u64,
    settled: bool,
}

impl Limiter {
    fn lock(&self) -> MutexGuard<'_, HashMap<LimitKey, Usage>> {
        self.usage.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether the budget for `key` is known yet (else load it with
    /// [`Limiter::load_budget`] first).
    pub fn budget_loaded(&self, key: LimitKey) -> bool {
        self.lock().get(&key).is_some_and(|u| u.used.is_some())
    }

    pub fn load_budget(&self, key: LimitKey, used: u64) {
        let mut map = self.lock();
        let usage = map.entry(key).or_default();
        if usage.used.is_none() {
            usage.used = Some(used);
        }
    }

    /// Admits a call expected to use about `estimate` tokens, or names the
    /// limit that refuses it.
    pub fn admit(
        &self,
        key: LimitKey,
        limits: &UsageLimits,
        estimate: u64,
        now: Instant,
    ) -> Result<Permit, Refusal> {
        let mut map = self.lock();
        let usage = map.entry(key).or_default();
        usage.prune(now);
        if usage.in_flight >= limits.max_concurrent_requests {
            return Err(Refusal::rate_limited(
                "concurrency_limit",
                format!(
                    "{} requests already in flight; the terms allow {} at once",
                    usage.in_flight, limits.max_concurrent_requests
                ),
                1,
            ));
        }
        if usage.requests.len() >= limits.requests_per_minute as usize {
            let retry = usage
                .requests
                .front()
                .map(|t| MINUTE.saturating_sub(now.duration_since(*t)).as_secs() + 1)
                .unwrap_or(1);
            return Err(Refusal::rate_limited(
                "requests_per_minute",
                format!(
                    "{} requests in the last minute; the terms allow {} per minute",
                    usage.requests.len(),
                    limits.requests_per_minute
                ),
                retry,
            ));
        }
        let tpm = u64::from(limits.tokens_per_minute);
        // A call larger than the whole limit still passes in an empty minute,
        // so that no limit makes a call impossible.
        if usage.tokens_in_window > 0 && usage.tokens_in_window + estimate > tpm {
            let retry = usage
                .tokens
                .front()
                .map(|(t, _)| MINUTE.saturating_sub(now.duration_since(*t)).as_secs() + 1)
                .unwrap_or(60);
            return Err(Refusal::rate_limited(
                "tokens_per_minute",
                format!(
                    "{} tokens used in the last minute and about {estimate} requested; the terms allow {tpm} per minute",
                    usage.tokens_in_window
                ),
                retry,
            ));
        }
        let used = usage.used.unwrap_or(0);
        if used + usage.reserved + estimate > limits.total_token_budget {
            return Err(Refusal::budget_exhausted(format!(
                "{used} of the total budget of {} tokens used, {} promised to calls in flight, and about {estimate} requested",
                limits.total_token_budget, usage.reserved
            )));
        }
        usage.requests.push_back(now);
        usage.in_flight += 1;
        usage.reserved += estimate;
        Ok(Permit {
            limiter: self.clone(),
            key,
            reserved: estimate,
            settled: false,
        })
    }
}

impl Permit {
    /// Charges the tokens the call really used and frees its slot.
    pub fn settle(mut self, tokens: u64) {
        self.release(tokens);
    }

    fn release(&mut self, tokens: u64) {
        if self.settled {
            return;
        }
        self.settled = true;
        let now = Instant::now();
        let mut map = self.limiter.lock();
        let usage = map.entry(self.key).or_default();
        usage.in_flight = usage.in_flight.saturating_sub(1);
        usage.reserved = usage.reserved.saturating_sub(self.reserved);
        if tokens > 0 {
            usage.used = Some(usage.used.unwrap_or(0) + tokens);
            usage.tokens.push_back((now, tokens));
            usage.tokens_in_window += tokens;
        }
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        self.release(0);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn limits(rpm: u32, tpm: u32, concurrent: u32, budget: u64) -> UsageLimits {
        UsageLimits {
            requests_per_minute: rpm,
            tokens_per_minute: tpm,
            max_concurrent_requests: concurrent,
            total_token_budget: budget,
        }
    }

    fn key() -> LimitKey {
        (SubmissionId::new(), OrgId::new())
    }

    #[test]
    fn requests_per_minute_slide() {
        let limiter = Limiter::default();
        let (k, l, t0) = (key(), limits(2, 1_000, 10, 1_000_000), Instant::now());
        limiter.admit(k, &l, 1, t0).unwrap().settle(1);
        limiter.admit(k, &l, 1, t0).unwrap().settle(1);
        let refused = limiter.admit(k, &l, 1, t0).unwrap_err();
        assert_eq!(refused.code, "requests_per_minute");
        assert_eq!(refused.retry_after_secs, Some(61));
        assert!(limiter.admit(k, &l, 1, t0 + MINUTE).is_ok());
    }

    #[test]
    fn tokens_per_minute_count_what_was_used() {
        let limiter = Limiter::default();
        let (k, l, t0) = (key(), limits(100, 100, 10, 1_000_000), Instant::now());
        // One request larger than the limit passes while the minute is empty,
        // so that a limit never makes a call impossible...
        limiter.admit(k, &l, 150, t0).unwrap().settle(90);
        // ...but the next one waits for the minute to pass.
        let refused = limiter.admit(k, &l, 20, Instant::now()).unwrap_err();
        assert_eq!(refused.code, "tokens_per_minute");
        assert!(limiter.admit(k, &l, 5, Instant::now()).is_ok());
    }

    #[test]
    fn concurrency_frees_on_drop() {
        let limiter = Limiter::default();
        let (k, l, t0) = (key(), limits(100, 10_000, 1, 1_000_000), Instant::now());
        let held = limiter.admit(k, &l, 1, t0).unwrap();
        assert_eq!(
            limiter.admit(k, &l, 1, t0).unwrap_err().code,
            "concurrency_limit"
        );
        drop(held);
        assert!(limiter.admit(k, &l, 1, t0).is_ok());
    }

    #[test]
    fn budget_counts_loaded_usage_and_reservations() {
        let limiter = Limiter::default();
        let (k, l, t0) = (key(), limits(100, 1_000_000, 10, 1_000), Instant::now());
        limiter.load_budget(k, 900);
        let held = limiter.admit(k, &l, 60, t0).unwrap();
        let refused = limiter.admit(k, &l, 60, t0).unwrap_err();
        assert_eq!(refused.code, "token_budget_exhausted");
        assert!(refused.message.contains("900 of the total budget of 1000"));
        held.settle(100);
        assert_eq!(
            limiter.admit(k, &l, 1, t0).unwrap_err().code,
            "token_budget_exhausted"
        );
    }

    #[test]
    fn organisations_do_not_share_limits() {
        let limiter = Limiter::default();
        let l = limits(1, 1_000, 1, 1_000);
        let (a, b, t0) = (key(), key(), Instant::now());
        let _held = limiter.admit(a, &l, 1, t0).unwrap();
        assert!(limiter.admit(b, &l, 1, t0).is_ok());
    }
}
