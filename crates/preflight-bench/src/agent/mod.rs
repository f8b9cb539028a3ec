//! `preflight-bench agent`: what the agent loop costs per turn, the model
//! excluded. An instant fake model in this process answers every turn with
//! one native tool call (bash `true` or `cat note.txt`) and submits the
//! flag at the last turn; `preflight_eval::runner::run` runs a generated
//! suite of base64-note tasks in bubblewrap sandboxes against it at each
//! connection limit. Each turn's wall time comes from the trajectory in the
//! log and is split into the model call, the tool's run in the sandbox and
//! the rest, the loop's own overhead; prints one markdown table.
//! `bench/agent` installs what is missing and runs it.

mod cpu;
mod model;
mod run;
mod tasks;
mod turns;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use clap::Parser;
use preflight_sandbox::SandboxBackend;
use preflight_sandbox::bubblewrap::{Bubblewrap, BubblewrapConfig};

use crate::stats::{Latencies, count, duration};
use crate::table::{self, Row};
use model::{FakeModel, Script};
use run::{Done, Run};
use tasks::{FLAG, Shape, Workspace};
use turns::Turn;

/// Agent loop benchmark: overhead per turn beside the model call and the
/// tool, sandbox set-up and teardown per sample, samples per second.
#[derive(Debug, Parser)]
#[command(
    name = "preflight-bench agent",
    after_help = "Examples:\n  bench/agent\n  bench/agent --quick\n  \
    preflight-bench agent --samples 32 --turns 10 --connections 1,4,8"
)]
pub struct Args {
    /// Samples (task folders) run at each connection limit [default: 100; --quick: 8].
    #[arg(long)]
    samples: Option<usize>,
    /// Turns of every sample, the last one submitting the flag; also the suite's
    /// max_turns.
    #[arg(long, default_value_t = 20)]
    turns: u32,
    /// The runner's connection limits, one run each (samples in flight: twice the
    /// limit).
    #[arg(long, value_delimiter = ',', default_values_t = [1, 8])]
    connections: Vec<usize>,
    /// Sandboxes alive at once (the pool's limit).
    #[arg(long, default_value_t = 8)]
    max_alive: usize,
    /// Where the sandboxes' directories go [default: the backend's, under the temp dir].
    #[arg(long)]
    dir: Option<PathBuf>,
    /// A smoke run: 8 samples per connection limit (well under a minute).
    #[arg(long)]
    quick: bool,
}

/// What to run, with the defaults and `--quick` applied.
#[derive(Debug)]
struct Plan {
    samples: usize,
    turns: u32,
    connections: Vec<usize>,
    max_alive: usize,
}

impl Plan {
    fn of(args: &Args) -> Result<Self> {
        let plan = Plan {
            samples: args.samples.unwrap_or(if args.quick { 8 } else { 100 }),
            turns: args.turns,
            connections: args.connections.clone(),
            max_alive: args.max_alive,
        };
        ensure!(plan.samples >= 1, "invalid --samples 0: must be at least 1");
        ensure!(plan.turns >= 1, "invalid --turns 0: must be at least 1");
        ensure!(
            !plan.connections.is_empty() && plan.connections.iter().all(|&c| c >= 1),
            "invalid --connections: every limit must be at least 1"
        );
        ensure!(
            plan.max_alive >= 1,
            "invalid --max-alive 0: must be at least 1"
        );
        Ok(plan)
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
    let bubblewrap = Bubblewrap::new(config).context("starting the bubblewrap backend")?;
    let version = bubblewrap.version().to_owned();
    let own_uids = bubblewrap.own_uids();
    let backend: Arc<dyn SandboxBackend> = Arc::new(bubblewrap);
    let workspace = Workspace::make(Shape {
        samples: plan.samples,
        max_turns: plan.turns,
        max_alive: plan.max_alive,
    })?;
    let model = FakeModel::start(Script {
        turns: plan.turns,
        flag: FLAG.to_owned(),
    })
    .await?;
    eprintln!(
        "==> {version}; {} samples × {} turns per run; fake model on {}",
        plan.samples, plan.turns, model.addr
    );

    // One untimed run: the page cache holds bwrap, prlimit and bash.
    Run {
        suite: &workspace.suite,
        model: &model,
        backend: backend.clone(),
        max_connections: 1,
        max_alive: plan.max_alive,
        limit: Some(2),
        turns: plan.turns,
        log: workspace.log("warm-up"),
    }
    .go()
    .await
    .context("the warm-up run")?;

    let mut rows = vec![Row::new(
        "host",
        "machine",
        format!(
            "{} cores, Linux {}, {version}, sandboxes run {}",
            cores(),
            kernel(),
            if own_uids {
                "as a uid each (root)"
            } else {
                "as the current user"
            }
        ),
        "—",
    )];
    for &connections in &plan.connections {
        eprintln!(
            "==> max_connections {connections}: {} samples, sandboxes max_alive {}",
            plan.samples, plan.max_alive
        );
        let done = Run {
            suite: &workspace.suite,
            model: &model,
            backend: backend.clone(),
            max_connections: connections,
            max_alive: plan.max_alive,
            limit: None,
            turns: plan.turns,
            log: workspace.log(&format!("connections-{connections}")),
        }
        .go()
        .await
        .with_context(|| format!("the run at max_connections {connections}"))?;
        let level = Level::of(&done)?;
        eprintln!(
            "==> max_connections {connections}: {:.1} samples/s; overhead per turn p50 {}",
            done.records.len() as f64 / done.wall.as_secs_f64(),
            duration(level.overhead.percentile(0.5))
        );
        level_rows(&mut rows, connections, &plan, &done, &level);
    }
    model.stop().await;

    rows.push(Row::new(
        "host",
        "load average (1 min) before · after the run",
        format!("{load_before} · {}", load_average()),
        "other work on these 2 cores slows every figure above",
    ));
    rows.push(Row::new(
        "Inspect (basic_agent)",
        "loop overhead per turn, model and tool excluded",
        "no published figure",
        "Inspect's documentation and issues give no per-turn cost of its agent loop; \
         not measured here",
    ));

    println!(
        "Preflight agent loop benchmark: {version}, {} cores. {} samples per run, each {} \
         turns against an instant fake model ({} bash calls, alternately `true` and `cat \
         note.txt`, then `submit` with the right flag); native tool calls; sandboxes \
         max_alive {}.\n",
        cores(),
        plan.samples,
        plan.turns,
        plan.turns.saturating_sub(1),
        plan.max_alive
    );
    print!("{}", table::render(&rows));
    println!(
        "\nEvery figure comes from the trajectories in the run's log. A turn starts at its \
         model call and ends where the next turn's call starts (the last turn: at the \
         record's end less the sandbox's teardown, so it also holds the scoring of the \
         submission and the prompt building before the sample's clock starts). Loop \
         overhead = turn wall time − the model call − the tool's run; the model call is \
         the runner's (connection limit, request built and serialised, HTTP over loopback \
         to the fake, answer parsed), the tool's run is the sandbox's exec of the command \
         and the result's formatting. The fake model's own handling is timed inside it. \
         Samples in flight are twice the connection limit, so at a limit above half of \
         max_alive the sandbox ready time includes the wait for a free sandbox. One \
         untimed warm-up run of 2 samples comes first. Total run time {}.",
        duration(started.elapsed())
    );
    Ok(())
}

/// The figures of one run.
#[derive(Debug, Default)]
struct Level {
    turns: usize,
    overhead: Latencies,
    last_overhead: Latencies,
    wall: Latencies,
    model: Latencies,
    exec_true: Latencies,
    exec_cat: Latencies,
    overhead_total: f64,
    wall_total: f64,
    ready: Latencies,
    teardown: Latencies,
}

impl Level {
    fn of(done: &Done) -> Result<Level> {
        let mut level = Level::default();
        for record in &done.records {
            if let Some(t) = &record.trajectory {
                level.ready.push(seconds(t.sandbox_ready_seconds));
                level.teardown.push(seconds(t.sandbox_teardown_seconds));
            }
            for turn in turns::of(record)? {
                level.add(&turn);
            }
        }
        Ok(level)
    }

    fn add(&mut self, turn: &Turn) {
        self.turns += 1;
        let overhead = turn.overhead();
        self.overhead_total += overhead;
        self.wall_total += turn.wall;
        self.overhead.push(seconds(overhead));
        if turn.last {
            self.last_overhead.push(seconds(overhead));
        }
        self.wall.push(seconds(turn.wall));
        self.model.push(seconds(turn.model));
        for (input, time) in &turn.tools {
            match input.as_str() {
                "true" => self.exec_true.push(seconds(*time)),
                "cat note.txt" => self.exec_cat.push(seconds(*time)),
                _ => {}
            }
        }
    }
}

fn level_rows(rows: &mut Vec<Row>, connections: usize, plan: &Plan, done: &Done, l: &Level) {
    let name = format!("agent loop, max_connections {connections}");
    let samples = done.records.len();
    let secs = done.wall.as_secs_f64().max(1e-9);
    rows.push(Row::new(
        &name,
        format!(
            "throughput: {samples} samples × {} turns, {} in flight, sandboxes max_alive {} \
             (peak {})",
            plan.turns,
            connections * 2,
            plan.max_alive,
            done.pool.peak_alive
        ),
        format!(
            "{:.1} samples/s · {} turns/s ({} wall)",
            samples as f64 / secs,
            count(l.turns as f64 / secs),
            duration(done.wall)
        ),
        "—",
    ));
    rows.push(Row::new(
        &name,
        "(a) loop overhead per turn: turn wall time − model call − tool run, all turns",
        p50_p95(&l.overhead, "turns"),
        format!(
            "{:.1}% of all turn wall time",
            100.0 * l.overhead_total / l.wall_total.max(1e-9)
        ),
    ));
    rows.push(Row::new(
        &name,
        "(a) of which last turns only (submission scored, loop ended)",
        p50_p95(&l.last_overhead, "turns"),
        "—",
    ));
    rows.push(Row::new(
        &name,
        "(b) tool run in the sandbox: bash `true` · bash `cat note.txt`",
        format!(
            "p50 {} · p95 {} · p50 {} · p95 {} ({} calls)",
            duration(l.exec_true.percentile(0.50)),
            duration(l.exec_true.percentile(0.95)),
            duration(l.exec_cat.percentile(0.50)),
            duration(l.exec_cat.percentile(0.95)),
            count((l.exec_true.len() + l.exec_cat.len()) as f64)
        ),
        "compare bench/sandbox's command round trip (`true`, one sandbox at a time)",
    ));
    rows.push(Row::new(
        &name,
        "(c) model call to the instant fake: runner + client + HTTP over loopback",
        p50_p95(&l.model, "calls"),
        format!(
            "the fake's own handling: p50 {} · p95 {}",
            duration(done.handled.percentile(0.50)),
            duration(done.handled.percentile(0.95))
        ),
    ));
    rows.push(Row::new(
        &name,
        "turn wall time (model call + tool run + loop overhead)",
        p50_p95(&l.wall, "turns"),
        "—",
    ));
    rows.push(Row::new(
        &name,
        "per sample: sandbox ready · teardown",
        format!(
            "p50 {} · p95 {} · p50 {} · p95 {} ({samples} samples)",
            duration(l.ready.percentile(0.50)),
            duration(l.ready.percentile(0.95)),
            duration(l.teardown.percentile(0.50)),
            duration(l.teardown.percentile(0.95)),
        ),
        if connections * 2 > plan.max_alive {
            "ready includes the wait for a free sandbox (more samples in flight than max_alive)"
        } else {
            "no sample waits for a sandbox"
        },
    ));
    let per_turn = |d: Duration| duration(d / u32::try_from(l.turns.max(1)).unwrap_or(u32::MAX));
    rows.push(Row::new(
        &name,
        "CPU per turn: this process (loop, client, fake model, sandbox backend: spawning \
         each command, creating and removing sandboxes) · its children (prlimit, bwrap, \
         bash)",
        format!(
            "{} (user {} · system {}) · {}",
            per_turn(done.cpu.user + done.cpu.system),
            per_turn(done.cpu.user),
            per_turn(done.cpu.system),
            per_turn(done.cpu.children)
        ),
        "from /proc/self/stat, 10 ms ticks summed over the run",
    ));
}

fn seconds(s: f64) -> Duration {
    Duration::try_from_secs_f64(s.max(0.0)).unwrap_or(Duration::ZERO)
}

fn p50_p95(l: &Latencies, what: &str) -> String {
    format!(
        "p50 {} · p95 {} ({} {what})",
        duration(l.percentile(0.50)),
        duration(l.percentile(0.95)),
        count(l.len() as f64)
    )
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(0, |n| n.get())
}

fn kernel() -> String {
    std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_owned())
        .unwrap_or_else(|_| "unknown".into())
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "?".into())
}
