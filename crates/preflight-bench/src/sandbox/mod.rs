//! `preflight-bench sandbox`: the bubblewrap sandbox backend. How long a
//! sandbox takes from nothing to ready and to tear down, the round trip of
//! one command, and how many sandboxes run at once on this machine before
//! any sample fails; prints one markdown table beside Inspect's published
//! figures. `bench/sandbox` installs what is missing and runs it.

mod lifecycle;
mod memory;
mod ramp;
mod task;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use clap::Parser;
use preflight_sandbox::bubblewrap::{Bubblewrap, BubblewrapConfig};
use preflight_sandbox::{SandboxLimits, SandboxSpec};

use crate::stats::{Latencies, count, duration};
use crate::table::{self, Row};
use memory::megabytes;

/// Sandbox benchmark: set-up and teardown, command round trip, and the
/// most sandboxes at once.
#[derive(Debug, Parser)]
#[command(
    name = "preflight-bench sandbox",
    after_help = "Examples:\n  bench/sandbox\n  bench/sandbox --quick\n  \
    preflight-bench sandbox --levels 8,64 --sleep 2"
)]
pub struct Args {
    /// Sandboxes created and torn down one after another [default: 100; --quick: 20].
    #[arg(long)]
    sandboxes: Option<usize>,
    /// `true` commands timed, spread over those sandboxes [default: 300; --quick: 60].
    #[arg(long)]
    execs: Option<usize>,
    /// Sandboxes at once at each step of the ramp; it stops after the first step
    /// where a sample fails [default: 8,16,32,64,128,256; --quick: 8,32].
    #[arg(long, value_delimiter = ',')]
    levels: Option<Vec<usize>>,
    /// Seconds each ramp sample's command sleeps.
    #[arg(long, default_value_t = 1.0)]
    sleep: f64,
    /// Where the sandboxes' directories go [default: the backend's, under the temp dir].
    #[arg(long)]
    dir: Option<PathBuf>,
    /// A smoke run: 20 sandboxes, ramp to 32 (well under a minute).
    #[arg(long)]
    quick: bool,
}

/// What to run, with the defaults and `--quick` applied.
#[derive(Debug)]
struct Plan {
    sandboxes: usize,
    execs: usize,
    levels: Vec<usize>,
    sleep: Duration,
}

impl Plan {
    fn of(args: &Args) -> Result<Self> {
        let q = args.quick;
        let plan = Plan {
            sandboxes: args.sandboxes.unwrap_or(if q { 20 } else { 100 }),
            execs: args.execs.unwrap_or(if q { 60 } else { 300 }),
            levels: args.levels.clone().unwrap_or_else(|| {
                if q {
                    vec![8, 32]
                } else {
                    vec![8, 16, 32, 64, 128, 256]
                }
            }),
            sleep: Duration::try_from_secs_f64(args.sleep)
                .with_context(|| format!("invalid --sleep {}", args.sleep))?,
        };
        anyhow::ensure!(
            plan.sandboxes >= 1,
            "invalid --sandboxes 0: must be at least 1"
        );
        anyhow::ensure!(
            plan.levels.iter().all(|&n| n >= 1),
            "invalid --levels: every level must be at least 1"
        );
        Ok(plan)
    }
}

/// The limits of every sandbox here: the defaults, with a command timeout
/// that only a stuck sample reaches.
fn limits() -> SandboxLimits {
    SandboxLimits {
        command_timeout: Duration::from_secs(120),
        ..SandboxLimits::default()
    }
}

pub async fn main(args: Args) -> Result<()> {
    let plan = Plan::of(&args)?;
    let started = Instant::now();
    let load_before = load_average();
    let mut config = BubblewrapConfig::default();
    if let Some(dir) = &args.dir {
        config.root = dir.clone();
    }
    let backend = Bubblewrap::new(config).context("starting the bubblewrap backend")?;
    let files = task::Files::make().context("making the task files")?;
    let spec = SandboxSpec {
        files: files.copies(),
        network: false,
        limits: limits(),
    };
    eprintln!(
        "==> {}; sandboxes under {} {}; task: {}",
        backend.version(),
        backend.root().display(),
        if backend.own_uids() {
            "as a uid each"
        } else {
            "as the current user"
        },
        files.describe()
    );
    let mut rows = vec![host_row(&backend)];

    eprintln!(
        "==> {} sandboxes one after another, {} `true` commands",
        plan.sandboxes, plan.execs
    );
    let life = lifecycle::measure(&backend, &spec, plan.sandboxes, plan.execs).await?;
    rows.push(Row::new(
        "bubblewrap",
        format!(
            "create to ready: directory, task files ({}) copied and handed over, `true` run \
             in it ({} sandboxes, one at a time)",
            files.describe(),
            life.create.len()
        ),
        p50_p95(&life.create),
        "Inspect starts every sample's container before the first sample runs (below)",
    ));
    rows.push(Row::new(
        "bubblewrap",
        "teardown: every process of the sandbox's uid killed, directory removed, uid freed",
        p50_p95(&life.teardown),
        "—",
    ));
    rows.push(Row::new(
        "bubblewrap",
        format!(
            "command round trip: `true` (prlimit, bwrap, new namespaces, wait, output read), \
             {} commands",
            life.exec.len()
        ),
        p50_p95(&life.exec),
        "an agent's every tool call pays this once",
    ));

    eprintln!("==> ramp: {:?} sandboxes at once", plan.levels);
    let backend = Arc::new(backend);
    let mut best: Option<usize> = None;
    let mut failed_at: Option<(usize, usize)> = None;
    let mut runner_peak = 0;
    let mut host_peak = 0;
    for (i, &n) in plan.levels.iter().enumerate() {
        let level = ramp::level(backend.clone(), &spec, &files, n, plan.sleep).await?;
        eprintln!(
            "==> {n} at once: {} failed; all done in {}",
            level.failures,
            duration(level.wall)
        );
        runner_peak = runner_peak.max(level.runner_rss);
        host_peak = host_peak.max(level.host_extra);
        rows.push(Row::new(
            "bubblewrap",
            format!(
                "{n} sandboxes at once, each running python3 that reads a task file and \
                 sleeps {} s",
                plan.sleep.as_secs_f64()
            ),
            format!(
                "{} of {n} samples failed{}; all done in {}; create p50 {} · p95 {}; host \
                 memory +{}",
                level.failures,
                level
                    .first_failure
                    .as_deref()
                    .map(|f| format!(" (first: {f})"))
                    .unwrap_or_default(),
                duration(level.wall),
                duration(level.create.percentile(0.50)),
                duration(level.create.percentile(0.95)),
                megabytes(level.host_extra),
            ),
            if level.failures == 0 {
                "no failure".to_owned()
            } else {
                "failures: the ramp stops here".to_owned()
            },
        ));
        if level.failures > 0 {
            failed_at = Some((n, level.failures));
            for &later in &plan.levels[i + 1..] {
                rows.push(Row::new(
                    "bubblewrap",
                    format!("{later} sandboxes at once"),
                    "not run: a lower level failed",
                    "—",
                ));
            }
            break;
        }
        best = Some(n);
    }
    rows.push(Row::new(
        "bubblewrap",
        "most sandboxes at once with no sample failing",
        match (best, failed_at) {
            (Some(n), None) => format!("{n} (the top of the ramp; none failed)"),
            (Some(n), Some((at, f))) => format!("{n} ({f} of {at} failed at {at})"),
            (None, Some((at, f))) => format!("below {at} ({f} of {at} failed)"),
            (None, None) => "no level run".to_owned(),
        },
        format!(
            "on {} cores; Inspect: about 1 sample in 200 failing at 64 on 16 cores (below)",
            cores()
        ),
    ));
    rows.push(Row::new(
        "bubblewrap",
        "peak RSS of the runner (this process: backend, pool, output buffers)",
        megabytes(runner_peak.max(memory::own_peak()?)),
        "sandboxes' own processes not included",
    ));
    rows.push(Row::new(
        "bubblewrap",
        "peak host memory in use during a ramp step, above just before it (sandboxes' \
         processes and kernel memory; page cache excluded)",
        megabytes(host_peak),
        "MemTotal − MemAvailable; other processes on the host add noise",
    ));
    rows.push(Row::new(
        "host",
        "load average (1 min) before · after the run",
        format!("{load_before} · {}", load_average()),
        "other work on these 2 cores slows every figure above",
    ));
    rows.push(Row::new(
        "Inspect (Docker)",
        "sandbox set-up",
        "every sandbox of the suite is set up when the evaluation starts, even when one \
         sample runs",
        "Inspect's published behaviour, not measured here (no Docker on this machine); \
         Preflight creates a sandbox when its sample starts",
    ));
    rows.push(Row::new(
        "Inspect (Docker)",
        "samples failing with many sandboxes at once",
        "about 1 in 200 at 64 sandboxes on 16 cores",
        "Inspect's published figure, not measured here",
    ));

    println!(
        "Preflight sandbox benchmark: {}, {} cores. Every sandbox: {}, no network, default \
         limits.\n",
        backend.version(),
        cores(),
        files.describe()
    );
    print!("{}", table::render(&rows));
    println!(
        "\nCreate to ready is timed from the call to a sandbox in which `true` has run; \
         teardown from the call to the directory being gone. The ramp acquires every \
         sandbox of a level through a `SandboxPool` at once, starts the commands together \
         once all are ready, and counts a sample as failed when its sandbox could not be \
         created, its command did not print the file's size, or teardown failed. Total run \
         time {}.",
        duration(started.elapsed())
    );
    Ok(())
}

fn p50_p95(l: &Latencies) -> String {
    format!(
        "p50 {} · p95 {} ({} samples)",
        duration(l.percentile(0.50)),
        duration(l.percentile(0.95)),
        count(l.len() as f64)
    )
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(0, |n| n.get())
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "?".into())
}

fn host_row(backend: &Bubblewrap) -> Row {
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_owned())
        .unwrap_or_else(|_| "unknown".into());
    Row::new(
        "host",
        "machine",
        format!(
            "{} cores, {} RAM, Linux {kernel}, {}, sandboxes run {}",
            cores(),
            memory::total().map_or_else(|_| "?".into(), megabytes),
            backend.version(),
            if backend.own_uids() {
                "as a uid each (root)"
            } else {
                "as the current user"
            }
        ),
        "—",
    )
}
