//! At most `max_alive` sandboxes at once, each created when a sample asks
//! for it and torn down when its lease ends.

use std::fmt;
use std::ops::Deref;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::{Sandbox, SandboxBackend, SandboxError, SandboxSpec};

/// Bounds the sandboxes alive at once. Nothing is created before
/// [`SandboxPool::acquire`]: a sample that never runs costs nothing.
pub struct SandboxPool {
    backend: Arc<dyn SandboxBackend>,
    slots: Arc<Semaphore>,
    max_alive: usize,
    counters: Arc<Counters>,
}

/// What a pool has done so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoolStats {
    /// Sandboxes alive now.
    pub alive: usize,
    /// The most alive at once.
    pub peak_alive: usize,
    pub created: u64,
    pub torn_down: u64,
}

#[derive(Debug, Default)]
struct Counters {
    alive: AtomicUsize,
    peak_alive: AtomicUsize,
    created: AtomicU64,
    torn_down: AtomicU64,
}

impl Counters {
    fn created(&self) {
        self.created.fetch_add(1, Ordering::SeqCst);
        let alive = self.alive.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak_alive.fetch_max(alive, Ordering::SeqCst);
    }

    fn torn_down(&self) {
        self.torn_down.fetch_add(1, Ordering::SeqCst);
        self.alive.fetch_sub(1, Ordering::SeqCst);
    }
}

impl fmt::Debug for SandboxPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SandboxPool")
            .field("backend", &self.backend.name())
            .field("max_alive", &self.max_alive)
            .field("stats", &self.stats())
            .finish()
    }
}

impl SandboxPool {
    /// A pool of at most `max_alive` live sandboxes (at least one).
    pub fn new(backend: Arc<dyn SandboxBackend>, max_alive: usize) -> Self {
        let max_alive = max_alive.max(1);
        SandboxPool {
            backend,
            slots: Arc::new(Semaphore::new(max_alive)),
            max_alive,
            counters: Arc::default(),
        }
    }

    pub fn backend(&self) -> &dyn SandboxBackend {
        self.backend.as_ref()
    }

    pub fn max_alive(&self) -> usize {
        self.max_alive
    }

    /// Waits for a free slot, then creates a sandbox for `spec`. The slot
    /// is freed when the lease is released or dropped, after the sandbox
    /// is torn down; it is freed at once if creation fails.
    pub async fn acquire(&self, spec: SandboxSpec) -> Result<SandboxLease, SandboxError> {
        let permit =
            self.slots
                .clone()
                .acquire_owned()
                .await
                .map_err(|_| SandboxError::Unavailable {
                    reason: "the sandbox pool is closed".into(),
                })?;
        let started = Instant::now();
        let sandbox = self.backend.create(spec).await?;
        self.counters.created();
        Ok(SandboxLease {
            sandbox: Some(sandbox),
            created_in: started.elapsed(),
            counters: self.counters.clone(),
            _slot: permit,
        })
    }

    pub fn stats(&self) -> PoolStats {
        let c = &self.counters;
        PoolStats {
            alive: c.alive.load(Ordering::SeqCst),
            peak_alive: c.peak_alive.load(Ordering::SeqCst),
            created: c.created.load(Ordering::SeqCst),
            torn_down: c.torn_down.load(Ordering::SeqCst),
        }
    }
}

/// A live sandbox of a pool, used through `Deref`. [`SandboxLease::release`]
/// tears it down; dropping the lease does too, synchronously.
pub struct SandboxLease {
    /// `None` once released.
    sandbox: Option<Box<dyn Sandbox>>,
    created_in: Duration,
    counters: Arc<Counters>,
    // Dropped after `sandbox` (see `Drop`), so a slot frees only once its
    // sandbox is gone.
    _slot: OwnedSemaphorePermit,
}

impl fmt::Debug for SandboxLease {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SandboxLease")
            .field("sandbox", &self.sandbox)
            .field("created_in", &self.created_in)
            .finish_non_exhaustive()
    }
}

impl SandboxLease {
    /// From the slot being granted to the sandbox being ready.
    pub fn created_in(&self) -> Duration {
        self.created_in
    }

    /// Tears the sandbox down, then frees its slot.
    pub async fn release(mut self) -> Result<(), SandboxError> {
        let Some(sandbox) = self.sandbox.take() else {
            return Ok(());
        };
        let result = sandbox.teardown().await;
        self.counters.torn_down();
        result
    }
}

impl Deref for SandboxLease {
    type Target = dyn Sandbox;

    fn deref(&self) -> &Self::Target {
        match &self.sandbox {
            Some(sandbox) => sandbox.as_ref(),
            // `release` takes the lease by value: nobody can see it after.
            None => unreachable!("a released lease is never used again"),
        }
    }
}

impl Drop for SandboxLease {
    fn drop(&mut self) {
        if let Some(sandbox) = self.sandbox.take() {
            drop(sandbox);
            self.counters.torn_down();
        }
    }
}
