//! The global connection limit, adapting to rate limits (AIMD): a 429
//! halves the connections allowed, every `increase_every` successes add one
//! back, never above the configured maximum.
//!
//! Requests in flight when the limit drops were admitted under the old
//! limit; a burst of 429s from them halves it once, not once per request
//! (as TCP's congestion window halves once per window).

use std::sync::{Mutex, MutexGuard, PoisonError};

use tokio::sync::Notify;

/// Shared by every model and judge request of a run.
#[derive(Debug)]
pub struct ConnectionLimiter {
    max: usize,
    increase_every: u32,
    state: Mutex<State>,
    released: Notify,
}

#[derive(Debug)]
struct State {
    allowed: usize,
    in_use: usize,
    successes: u32,
    /// Bumped on every decrease; a permit remembers the one it was taken in.
    generation: u64,
    decreases: u64,
}

/// One connection slot; dropping it frees the slot.
#[derive(Debug)]
#[must_use = "a permit frees its connection slot when dropped"]
pub struct Permit<'a> {
    limiter: &'a ConnectionLimiter,
    generation: u64,
}

impl ConnectionLimiter {
    /// A limiter of at most `max` connections (at least 1), adding one back
    /// every `increase_every` successes (at least 1).
    pub fn new(max: usize, increase_every: u32) -> ConnectionLimiter {
        let max = max.max(1);
        ConnectionLimiter {
            max,
            increase_every: increase_every.max(1),
            state: Mutex::new(State {
                allowed: max,
                in_use: 0,
                successes: 0,
                generation: 0,
                decreases: 0,
            }),
            released: Notify::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits for a free connection slot.
    pub async fn acquire(&self) -> Permit<'_> {
        loop {
            // Registered before the check, so a release in between wakes it.
            let released = self.released.notified();
            {
                let mut state = self.lock();
                if state.in_use < state.allowed {
                    state.in_use += 1;
                    return Permit {
                        limiter: self,
                        generation: state.generation,
                    };
                }
            }
            released.await;
        }
    }

    /// Connections allowed now.
    pub fn allowed(&self) -> usize {
        self.lock().allowed
    }

    /// Connections in use now.
    pub fn in_use(&self) -> usize {
        self.lock().in_use
    }

    /// How many times a 429 halved the limit.
    pub fn decreases(&self) -> u64 {
        self.lock().decreases
    }

    pub fn max(&self) -> usize {
        self.max
    }
}

impl Permit<'_> {
    /// The request succeeded: one step towards one more connection.
    pub fn success(self) {
        let limiter = self.limiter;
        let grew = {
            let mut state = limiter.lock();
            state.successes += 1;
            if state.successes >= limiter.increase_every && state.allowed < limiter.max {
                state.successes = 0;
                state.allowed += 1;
                true
            } else {
                false
            }
        };
        drop(self);
        if grew {
            limiter.released.notify_one();
        }
    }

    /// The server said 429: halve the limit, unless it was already halved
    /// since this request was admitted.
    pub fn rate_limited(self) {
        let mut state = self.limiter.lock();
        state.successes = 0;
        if state.generation == self.generation {
            state.allowed = (state.allowed / 2).max(1);
            state.generation += 1;
            state.decreases += 1;
        }
    }
}

impl Drop for Permit<'_> {
    /// One slot freed wakes one waiter: waking them all would have every
    /// waiting request lock the state to find one slot, on each answer.
    fn drop(&mut self) {
        self.limiter.lock().in_use -= 1;
        self.limiter.released.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn halves_once_per_window_and_grows_back() {
        let limiter = ConnectionLimiter::new(8, 2);
        let permits: Vec<Permit<'_>> =
            futures_util::future::join_all((0..8).map(|_| limiter.acquire())).await;
        assert_eq!(limiter.in_use(), 8);
        // Eight 429s from one window: halved once.
        for permit in permits {
            permit.rate_limited();
        }
        assert_eq!(limiter.allowed(), 4);
        assert_eq!(limiter.in_use(), 0);
        // A 429 in the new window halves again.
        limiter.acquire().await.rate_limited();
        assert_eq!(limiter.allowed(), 2);
        limiter.acquire().await.rate_limited();
        limiter.acquire().await.rate_limited();
        assert_eq!(limiter.allowed(), 1, "never below one");
        // Two successes per step back up, never above the maximum.
        for _ in 0..100 {
            limiter.acquire().await.success();
        }
        assert_eq!(limiter.allowed(), 8);
        assert_eq!(limiter.decreases(), 4);
    }

    #[tokio::test]
    async fn waits_for_a_free_slot() {
        let limiter = ConnectionLimiter::new(1, 1);
        let first = limiter.acquire().await;
        let second = tokio::time::timeout(std::time::Duration::from_millis(50), limiter.acquire());
        assert!(second.await.is_err(), "the second request waits");
        drop(first);
        let second =
            tokio::time::timeout(std::time::Duration::from_millis(50), limiter.acquire()).await;
        assert!(second.is_ok(), "and gets the freed slot");
    }
}
