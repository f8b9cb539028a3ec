//! `preflight-bench`: the audit-ledger benchmark. Measures durable
//! appends (every event with its ledger entry, fsync included) at several
//! batch sizes and writer counts, the integrator's throughput, and proof
//! latency on a large log, on SQLite and PostgreSQL; prints one markdown
//! table. `bench/run` builds it, starts a private PostgreSQL and runs it.
//!
//! `preflight-bench gateway` is the model-access gateway's benchmark (see
//! the `gateway` module); `bench/gateway` runs it. `preflight-bench
//! sandbox` is the sandbox backend's (the `sandbox` module); `bench/sandbox`
//! runs it. `preflight-bench agent` is the agent loop's overhead per turn
//! (the `agent` module); `bench/agent` runs it. `preflight-bench vuln` is the
//! clearinghouse's import throughput (the `vuln` module); `bench/vuln` runs it.

mod agent;
mod appends;
mod backend;
mod gateway;
mod host;
mod log;
mod proofs;
mod sandbox;
mod stats;
mod table;
mod vuln;
mod workload;

use anyhow::{Context, Result};
use backend::{Backend, Place};
use clap::Parser;
use preflight_server::ledger::{LedgerSettings, TileCache, integrate_pending};
use stats::{Latencies, count, duration, rate};
use std::path::PathBuf;
use std::time::{Duration, Instant};
use table::Row;

const APPEND_TARGET: f64 = 5_000.0;
const PROOF_TARGET: Duration = Duration::from_micros(200);
/// Default size of the PostgreSQL proof log, to keep the run near 10 minutes.
const POSTGRES_LOG_CAP: u64 = 200_000;

/// Ledger benchmark: durable appends, integration and proof latency.
#[derive(Debug, Parser)]
#[command(after_help = "Examples:\n  bench/run\n  bench/run --quick\n  \
    preflight-bench --backends sqlite --entries 100000\n\n\
    The gateway benchmark: preflight-bench gateway --help\n\
    The sandbox benchmark: preflight-bench sandbox --help\n\
    The agent loop benchmark: preflight-bench agent --help\n\
    The clearinghouse import benchmark: preflight-bench vuln --help")]
struct Args {
    /// Entries in the log the proofs are timed on [default: 1000000; --quick: 20000].
    #[arg(long)]
    entries: Option<u64>,
    /// Entries in the PostgreSQL proof log, 0 to skip it [default: --entries, at most
    /// 200000: PostgreSQL writes about 2,000 entries/s here, so a million takes ~8 minutes].
    #[arg(long)]
    postgres_entries: Option<u64>,
    /// Seconds each append measurement runs [default: 3; --quick: 0.5].
    #[arg(long)]
    seconds: Option<f64>,
    /// Proof requests timed per measurement [default: 2000; --quick: 200].
    #[arg(long)]
    requests: Option<usize>,
    /// Entries per transaction while building the proof log.
    #[arg(long, default_value_t = 1_024)]
    build_batch: usize,
    /// Concurrent writers of the many-writers measurements (each appends on
    /// its own; concurrent appends share commits).
    #[arg(long, value_delimiter = ',', default_values_t = [16, 64])]
    writers: Vec<usize>,
    /// Backends to measure.
    #[arg(long, value_enum, value_delimiter = ',', default_values = ["sqlite", "postgres"])]
    backends: Vec<Backend>,
    /// A smoke run: small log, short measurements (under a minute).
    #[arg(long)]
    quick: bool,
    /// PostgreSQL server to create throwaway databases on (its user must
    /// be allowed to CREATE DATABASE).
    #[arg(long, env = "PREFLIGHT_TEST_DATABASE_URL", hide_env_values = true)]
    postgres_url: Option<String>,
    /// Directory for the SQLite stores and the fsync probe [default: the temp dir].
    #[arg(long)]
    dir: Option<PathBuf>,
}

/// What to run, with the defaults and `--quick` applied.
#[derive(Debug)]
struct Plan {
    entries: u64,
    postgres_entries: u64,
    run: Duration,
    requests: usize,
    writers: Vec<usize>,
    build_batch: usize,
}

impl Plan {
    fn of(args: &Args) -> Result<Self> {
        let pick = |flag: Option<u64>, full: u64, quick: u64| {
            flag.unwrap_or(if args.quick { quick } else { full })
        };
        let entries = pick(args.entries, 1_000_000, 20_000);
        let seconds = args.seconds.unwrap_or(if args.quick { 0.5 } else { 3.0 });
        anyhow::ensure!(
            seconds.is_finite() && seconds > 0.0,
            "invalid --seconds {seconds}: must be a positive number"
        );
        anyhow::ensure!(
            args.writers.iter().all(|&w| w >= 1),
            "invalid --writers 0: must be at least 1"
        );
        anyhow::ensure!(
            args.build_batch >= 1,
            "invalid --build-batch 0: must be at least 1"
        );
        Ok(Self {
            entries,
            postgres_entries: args
                .postgres_entries
                .unwrap_or(entries.min(POSTGRES_LOG_CAP)),
            run: Duration::from_secs_f64(seconds),
            requests: args
                .requests
                .unwrap_or(if args.quick { 200 } else { 2_000 }),
            writers: args.writers.clone(),
            build_batch: args.build_batch,
        })
    }
}

#[tokio::main]
async fn main() -> Result<()> {
    if std::env::args_os().nth(1).is_some_and(|a| a == "gateway") {
        let args = gateway::Args::parse_from(std::env::args_os().skip(1));
        return gateway::main(args).await;
    }
    if std::env::args_os().nth(1).is_some_and(|a| a == "sandbox") {
        let args = sandbox::Args::parse_from(std::env::args_os().skip(1));
        return sandbox::main(args).await;
    }
    if std::env::args_os().nth(1).is_some_and(|a| a == "vuln") {
        let args = vuln::Args::parse_from(std::env::args_os().skip(1));
        return vuln::main(args).await;
    }
    if std::env::args_os().nth(1).is_some_and(|a| a == "agent") {
        let args = agent::Args::parse_from(std::env::args_os().skip(1));
        return agent::main(args).await;
    }
    let args = Args::parse();
    let plan = Plan::of(&args)?;
    let started = Instant::now();
    let dir = args.dir.clone().unwrap_or_else(std::env::temp_dir);
    let mut rows = Vec::new();
    let mut failed = false;

    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let probe_dir = dir.clone();
    let sync =
        tokio::task::spawn_blocking(move || host::append_sync(&probe_dir, Duration::from_secs(1)))
            .await?
            .with_context(|| format!("fsync probe in {}", dir.display()))?;
    rows.push(Row::new(
        "host",
        format!("disk under {}: 4 KiB append + fdatasync", dir.display()),
        format!(
            "{} syncs/s ({})",
            count(1.0 / sync.percentile(0.5).as_secs_f64().max(1e-9)),
            sync.summary()
        ),
        format!("{cores} cores; one commit at a time cannot beat this"),
    ));

    let wake = tokio::task::spawn_blocking(|| host::thread_ping_pong(10_000)).await?;
    rows.push(Row::new(
        "host",
        "thread ping-pong: two threads waking each other (std channels)",
        wake.summary(),
        "every statement to PostgreSQL or to sqlx's SQLite thread pays about this",
    ));
    let hashing = host::node_hash_time();
    rows.push(Row::new(
        "host",
        "SHA-256 interior node hash (RFC 9162), one core",
        format!("{:.0} ns", hashing.as_secs_f64() * 1e9),
        "a proof computed from tiles costs hundreds of these",
    ));

    for &backend in &args.backends {
        let place = match backend {
            Backend::Sqlite => Place::Sqlite { dir: dir.clone() },
            Backend::Postgres => match &args.postgres_url {
                Some(url) => backend::postgres_place(url)?,
                None => {
                    rows.push(Row::new(
                        backend.to_string(),
                        "everything",
                        "not run: PREFLIGHT_TEST_DATABASE_URL is not set",
                        "bench/run starts a private PostgreSQL and sets it",
                    ));
                    continue;
                }
            },
        };
        if let Err(err) = bench_backend(backend, &place, &plan, &mut rows).await {
            eprintln!("error: {backend}: {err:#}");
            rows.push(Row::new(
                backend.to_string(),
                "error",
                format!("{err:#}"),
                "—",
            ));
            failed = true;
        }
    }

    rows.push(Row::new(
        "Tessera (Go)",
        "durable appends, POSIX storage",
        "not run: no Go toolchain is reachable on this machine",
        "≈ 2,900 appends/s on 12 cores (its published figure, not measured here)",
    ));

    println!(
        "Preflight ledger benchmark: {} log entries for proofs (PostgreSQL: {}), {} s per \
         append cell, {} proof requests per row, events of {} bytes of details.\n",
        count(plan.entries as f64),
        count(plan.postgres_entries as f64),
        plan.run.as_secs_f64(),
        count(plan.requests as f64),
        workload::details_len(),
    );
    print!("{}", table::render(&rows));
    println!(
        "\nAppends: every entry is an `events` row holding its ledger entry; each writer calls \
         `Store::record_events` with one batch at a time and is acknowledged only after the \
         commit holding it is fsynced. A batch is all or nothing; concurrent writers' batches \
         share a transaction and its sync (group commit). Commit latencies are per call as \
         each writer saw it. HTTP proofs: \
         `preflight_server::serve` on 127.0.0.1 with bearer-token auth, one keep-alive \
         client, requests one at a time, time to the last byte of the body; random sizes \
         and indexes; every served proof is compared with one computed from the tiles. \
         Total run time {}.",
        duration(started.elapsed())
    );
    if failed {
        anyhow::bail!("some measurements failed; see the table");
    }
    Ok(())
}

fn append_verdict(per_second: f64) -> String {
    format!(
        "target ≥ 5,000/s: {}",
        if per_second >= APPEND_TARGET {
            "met"
        } else {
            "not met"
        }
    )
}

fn proof_verdict(lat: &Latencies) -> String {
    format!(
        "target p99 < 200 µs: {}",
        if lat.percentile(0.99) < PROOF_TARGET {
            "met"
        } else {
            "not met"
        }
    )
}

async fn bench_backend(
    backend: Backend,
    place: &Place,
    plan: &Plan,
    rows: &mut Vec<Row>,
) -> Result<()> {
    let name = &backend.to_string();
    let durability = place.durability().await?;
    eprintln!("==> {name}: {}", durability.how);
    rows.push(Row::new(
        name,
        "durability",
        &durability.how,
        if durability.durable {
            "durable: an acknowledged commit survives a power cut"
        } else {
            "NOT DURABLE: the append figures below do not count"
        },
    ));
    let durable_tag = if durability.durable {
        ""
    } else {
        " (NOT durable)"
    };
    if let Some(rt) = place.round_trip(2_000).await? {
        rows.push(Row::new(
            name,
            "round trip: SELECT 1 over TCP loopback (sqlx)",
            rt.summary(),
            "each entry costs 3 statements, each transaction 2 more",
        ));
    }

    append_rows(name, place, plan, durable_tag, rows).await?;
    log_rows(backend, name, place, plan, durable_tag, rows).await
}

/// Durable appends at each batch size and writer count, then the
/// integration of what they wrote.
async fn append_rows(
    name: &str,
    place: &Place,
    plan: &Plan,
    durable_tag: &str,
    rows: &mut Vec<Row>,
) -> Result<()> {
    let fresh = place.fresh().await?;
    let store = &fresh.store;
    let most = plan.writers.iter().copied().max().unwrap_or(1);
    let mut written = appends::warm_up(store, most).await?;
    let mut cells = Vec::new();
    for batch in [1, 64] {
        for writers in std::iter::once(1).chain(plan.writers.iter().copied()) {
            cells.push(appends::Cell { batch, writers });
        }
    }
    cells.push(appends::Cell {
        batch: 1024,
        writers: 1,
    });
    for cell in cells {
        let m = appends::measure(store, cell, plan.run).await?;
        written += m.entries;
        let per_second = rate(m.entries, m.elapsed);
        let label = format!(
            "durable appends, batch {}, {} writer{}",
            cell.batch,
            cell.writers,
            if cell.writers == 1 { "" } else { "s" }
        );
        eprintln!("==> {name}: {label}: {} entries/s", count(per_second));
        rows.push(Row::new(
            name,
            label + durable_tag,
            format!(
                "{} entries/s (commit {}; {} entries in {})",
                count(per_second),
                m.commits.summary(),
                count(m.entries as f64),
                duration(m.elapsed)
            ),
            append_verdict(per_second),
        ));
    }
    let (entries, _) = store.ledger_sizes().await?;
    anyhow::ensure!(
        entries == written,
        "{written} entries were acknowledged but the log has {entries}"
    );
    let settings = LedgerSettings::ephemeral();
    let t = Instant::now();
    integrate_pending(store, &settings, &TileCache::default()).await?;
    let integrating = t.elapsed();
    rows.push(Row::new(
        name,
        format!(
            "integration of the appends' backlog ({} entries)",
            count(written as f64)
        ),
        format!(
            "{} entries/s ({})",
            count(rate(written, integrating)),
            duration(integrating)
        ),
        "must outpace appends",
    ));
    fresh.remove().await?;
    Ok(())
}

/// The big log: its build, its integration, and proof latency on it.
async fn log_rows(
    backend: Backend,
    name: &str,
    place: &Place,
    plan: &Plan,
    durable_tag: &str,
    rows: &mut Vec<Row>,
) -> Result<()> {
    let size = match backend {
        Backend::Sqlite => plan.entries,
        Backend::Postgres => plan.postgres_entries,
    };
    if size == 0 {
        rows.push(Row::new(
            name,
            "proof latency",
            "not run (--postgres-entries 0)",
            "—",
        ));
        return Ok(());
    }
    if backend == Backend::Postgres && size < plan.entries {
        rows.push(Row::new(
            name,
            "proof log size",
            format!(
                "{} entries, not {}",
                count(size as f64),
                count(plan.entries as f64)
            ),
            "to fit the time budget (see the log build rate below); \
             --postgres-entries 1000000 for the full size",
        ));
    }
    eprintln!("==> {name}: building a log of {size} entries");
    let built = log::build(place.fresh().await?, size, plan.build_batch, name).await?;
    rows.push(Row::new(
        name,
        format!(
            "log build: {} entries, {} per transaction{durable_tag}",
            count(size as f64),
            count(plan.build_batch as f64)
        ),
        format!(
            "{} entries/s ({} writing)",
            count(rate(size, built.writing)),
            duration(built.writing)
        ),
        append_verdict(rate(size, built.writing)),
    ));
    rows.push(Row::new(
        name,
        format!(
            "integration: backlog of {} entries into tiles + signed checkpoints",
            count(size as f64)
        ),
        format!(
            "{} entries/s ({})",
            count(rate(size, built.integrating)),
            duration(built.integrating)
        ),
        "must outpace appends",
    ));
    eprintln!("==> {name}: timing proofs");
    let times = proofs::measure(&built, plan.requests).await?;
    let n = count(size as f64);
    let proof_rows: [(String, &Latencies, String); 9] = [
        (
            "HTTP GET /api/v1/me (auth only, no proof)".into(),
            &times.http_me,
            "baseline: HTTP + bearer token check".into(),
        ),
        (
            format!("HTTP inclusion proof, first read of each level-0 tile, log of {n}"),
            &times.http_cold,
            proof_verdict(&times.http_cold),
        ),
        (
            format!("HTTP inclusion proof, log of {n}"),
            &times.http_inclusion,
            proof_verdict(&times.http_inclusion),
        ),
        (
            format!("HTTP consistency proof, log of {n}"),
            &times.http_consistency,
            proof_verdict(&times.http_consistency),
        ),
        (
            "inclusion proof in process: the server's proof function and tile cache, warm".into(),
            &times.store_inclusion,
            proof_verdict(&times.store_inclusion),
        ),
        (
            "consistency proof in process: the server's proof function and tile cache, warm".into(),
            &times.store_consistency,
            proof_verdict(&times.store_consistency),
        ),
        (
            "inclusion proof, computation only (tiles in memory, nodes hashed each time)".into(),
            &times.memory_inclusion,
            proof_verdict(&times.memory_inclusion),
        ),
        (
            "consistency proof, computation only (tiles in memory, nodes hashed each time)".into(),
            &times.memory_consistency,
            proof_verdict(&times.memory_consistency),
        ),
        (
            "of which: the tree root alone, computation only (every proof response \
             recomputes it)"
                .into(),
            &times.memory_root,
            "part of each proof above".into(),
        ),
    ];
    for (label, lat, reference) in proof_rows {
        rows.push(Row::new(
            name,
            label,
            format!("{} ({} requests)", lat.summary(), count(lat.len() as f64)),
            reference,
        ));
    }
    eprintln!(
        "==> {name}: {} tiles; {} served proofs verified against their entries",
        times.tiles, times.verified
    );
    built.fresh.remove().await?;
    Ok(())
}
