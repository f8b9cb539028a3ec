//! The log the proofs are timed on: one admin with a token, then filed
//! findings written in big transactions up to the size asked for, then
//! integrated into tiles and signed checkpoints on one backlog.

use crate::backend::Fresh;
use crate::workload;
use anyhow::{Context, Result, ensure};
use chrono::Utc;
use preflight_core::actor::User;
use preflight_core::event::{Event, EventKind};
use preflight_core::org::Role;
use preflight_server::ledger::{LedgerSettings, TileCache, integrate_pending};
use preflight_store::TokenPepper;
use rand::RngCore;
use serde_json::json;
use std::time::{Duration, Instant};

#[derive(Debug)]
pub struct Log {
    pub fresh: Fresh,
    pub settings: LedgerSettings,
    pub pepper: TokenPepper,
    /// A bearer token of the admin, for the proof routes.
    pub token: String,
    pub size: u64,
    /// Time spent in `record_events` (event generation excluded).
    pub writing: Duration,
    pub integrating: Duration,
}

/// Writes `size` entries to `fresh`, `batch` per transaction, and integrates
/// them all in one backlog.
pub async fn build(fresh: Fresh, size: u64, batch: usize, label: &str) -> Result<Log> {
    ensure!(
        size >= 2,
        "the log needs at least 2 entries (the admin and its token)"
    );
    let store = &fresh.store;
    let mut pepper = vec![0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut pepper);
    let pepper = TokenPepper::new(pepper);
    let admin = User::new(None, "Bench Admin", "bench@preflight.invalid", Role::Admin)
        .context("the bench admin")?;
    let created = Event::new(
        EventKind::UserCreated,
        None,
        None,
        Utc::now(),
        json!({ "user_id": admin.id, "bootstrap": true }),
    );
    store.create_user(&admin, &created).await?;
    let issued = Event::new(
        EventKind::TokenCreated,
        None,
        Some(admin.id),
        Utc::now(),
        json!({ "user_id": admin.id, "label": "bench" }),
    );
    let token = store
        .create_token(&pepper, admin.id, "bench", None, &issued)
        .await?
        .secret
        .to_string();

    let mut written = 2u64;
    let mut writing = Duration::ZERO;
    let mut next_report = size / 10;
    while written < size {
        let n = usize::try_from((size - written).min(batch as u64))?;
        let events = workload::batch(n);
        let t = Instant::now();
        store.record_events(&events).await?;
        writing += t.elapsed();
        written += n as u64;
        if written >= next_report && written < size {
            eprintln!(
                "    {label}: {written} of {size} entries written, {} entries/s so far",
                crate::stats::count(crate::stats::rate(written, writing))
            );
            next_report += size / 10;
        }
    }
    let (entries, _) = store.ledger_sizes().await?;
    ensure!(
        entries == size,
        "wrote {size} entries but the log has {entries}"
    );

    let settings = LedgerSettings::ephemeral();
    let t = Instant::now();
    let integrated = integrate_pending(store, &settings, &TileCache::default())
        .await
        .context("integrate the backlog")?;
    let integrating = t.elapsed();
    ensure!(
        integrated == size,
        "integrated {integrated} of {size} entries"
    );
    Ok(Log {
        fresh,
        settings,
        pepper,
        token,
        size,
        writing,
        integrating,
    })
}
