//! Durable appends: writers that each commit `batch` events (every one with
//! its ledger entry) per transaction, as fast as the store acknowledges them.

use crate::stats::Latencies;
use crate::workload;
use anyhow::{Context, Result};
use preflight_store::Store;
use std::time::{Duration, Instant};
use tokio::task::JoinSet;

/// Each writer commits at least this many transactions, however long it takes.
const MIN_COMMITS: usize = 3;

/// One measurement: how many writers, how many entries per transaction.
#[derive(Clone, Copy, Debug)]
pub struct Cell {
    pub batch: usize,
    pub writers: usize,
}

#[derive(Debug)]
pub struct Measured {
    pub entries: u64,
    pub elapsed: Duration,
    /// Time of each committed transaction, as its writer saw it.
    pub commits: Latencies,
}

/// Runs `cell` for about `run`, then waits for every writer to finish.
pub async fn measure(store: &Store, cell: Cell, run: Duration) -> Result<Measured> {
    let started = Instant::now();
    let deadline = started + run;
    let mut writers = JoinSet::new();
    for _ in 0..cell.writers {
        let store = store.clone();
        writers.spawn(async move {
            let mut commits = Latencies::default();
            let mut entries = 0u64;
            while commits.len() < MIN_COMMITS || Instant::now() < deadline {
                let events = workload::batch(cell.batch);
                let t = Instant::now();
                store.record_events(&events).await?;
                commits.push(t.elapsed());
                entries += events.len() as u64;
            }
            anyhow::Ok((entries, commits))
        });
    }
    let mut measured = Measured {
        entries: 0,
        elapsed: Duration::ZERO,
        commits: Latencies::default(),
    };
    while let Some(joined) = writers.join_next().await {
        let (entries, commits) = joined.context("writer task")??;
        measured.entries += entries;
        measured.commits.extend(commits);
    }
    measured.elapsed = started.elapsed();
    Ok(measured)
}

/// Opens `writers` connections' worth of transactions once, so that
/// connecting is not measured.
pub async fn warm_up(store: &Store, writers: usize) -> Result<u64> {
    let mut tasks = JoinSet::new();
    for _ in 0..writers {
        let store = store.clone();
        tasks.spawn(async move { store.record_events(&workload::batch(1)).await });
    }
    while let Some(joined) = tasks.join_next().await {
        joined.context("warm-up task")??;
    }
    Ok(writers as u64)
}
