//! `preflight-bench gateway`: the model-access gateway side by side with
//! LiteLLM's proxy, against the same fake model on loopback. Added latency
//! of plain calls at several client counts, requests per second, many
//! concurrent streams, and the servers' resident memory; prints one
//! markdown table. `bench/gateway` installs what is missing and runs it.

mod client;
mod litellm;
mod load;
mod memory;
mod nginx;
mod preflight;
mod process;
mod report;
mod streamer;
mod streams;

use anyhow::{Context, Result, bail};
use clap::Parser;
use client::Endpoint;
use memory::{Memory, Sampler};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Gateway benchmark: Preflight's gateway and LiteLLM's proxy against one
/// fast fake model.
#[derive(Debug, Parser)]
#[command(
    name = "preflight-bench gateway",
    after_help = "Examples:\n  bench/gateway\n  bench/gateway --quick\n  \
    preflight-bench gateway --litellm .venv-litellm/bin/litellm --rounds 1"
)]
pub struct Args {
    /// Rounds of every measurement (each figure is the median) [default: 3; --quick: 1].
    #[arg(long)]
    rounds: Option<usize>,
    /// Seconds each plain-call measurement is timed [default: 5; --quick: 1].
    #[arg(long)]
    seconds: Option<f64>,
    /// Seconds of untimed calls before each timed one [default: 1; --quick: 0.2].
    #[arg(long)]
    warm_up: Option<f64>,
    /// Concurrent keep-alive clients of the plain-call measurements.
    #[arg(long, value_delimiter = ',', default_values_t = [1, 64, 512])]
    clients: Vec<usize>,
    /// Concurrent streams [default: 1000; --quick: 100].
    #[arg(long)]
    streams: Option<usize>,
    /// Content chunks in each stream.
    #[arg(long, default_value_t = 64)]
    chunks: usize,
    /// Milliseconds between two chunks from the fake model.
    #[arg(long, default_value_t = 5)]
    chunk_delay_ms: u64,
    /// Seconds a stream measurement may take before its streams count as unfinished
    /// [default: 120; --quick: 30].
    #[arg(long)]
    stream_limit: Option<f64>,
    /// The `preflight` binary [default: `preflight` beside this one].
    #[arg(long)]
    preflight: Option<PathBuf>,
    /// An extra argument for `preflight serve` (repeatable), e.g.
    /// `--preflight-arg=--gateway-sync-each-call`.
    #[arg(long = "preflight-arg", allow_hyphen_values = true, value_name = "ARG")]
    preflight_args: Vec<String>,
    /// The nginx binary serving the fake model.
    #[arg(long, default_value = "nginx")]
    nginx: PathBuf,
    /// The `litellm` script of its virtual environment; without it LiteLLM is not run.
    #[arg(long)]
    litellm: Option<PathBuf>,
    /// Directory for the servers' stores, configs and logs [default: the temp dir].
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Keep the servers' files (logs, store) after the run.
    #[arg(long)]
    keep: bool,
    /// A smoke run: one round, short measurements, 100 streams (under two minutes).
    #[arg(long)]
    quick: bool,
}

/// What to run, with the defaults and `--quick` applied.
#[derive(Debug)]
pub struct Plan {
    pub rounds: usize,
    pub warm_up: Duration,
    pub run: Duration,
    pub clients: Vec<usize>,
    pub streams: usize,
    pub shape: streamer::Shape,
    pub stream_limit: Duration,
}

impl Plan {
    fn of(args: &Args) -> Result<Self> {
        let q = args.quick;
        let seconds = |flag: Option<f64>, full: f64, quick: f64, name: &str| {
            let s = flag.unwrap_or(if q { quick } else { full });
            anyhow::ensure!(
                s.is_finite() && s >= 0.0,
                "invalid --{name} {s}: must be a number of seconds"
            );
            Ok(Duration::from_secs_f64(s))
        };
        let plan = Self {
            rounds: args.rounds.unwrap_or(if q { 1 } else { 3 }),
            warm_up: seconds(args.warm_up, 1.0, 0.2, "warm-up")?,
            run: seconds(args.seconds, 5.0, 1.0, "seconds")?,
            clients: args.clients.clone(),
            streams: args.streams.unwrap_or(if q { 100 } else { 1_000 }),
            shape: streamer::Shape {
                chunks: args.chunks,
                delay: Duration::from_millis(args.chunk_delay_ms),
            },
            stream_limit: seconds(args.stream_limit, 120.0, 30.0, "stream-limit")?,
        };
        anyhow::ensure!(plan.rounds >= 1, "invalid --rounds 0: must be at least 1");
        anyhow::ensure!(!plan.run.is_zero(), "invalid --seconds 0: must be positive");
        anyhow::ensure!(
            plan.clients.iter().all(|&c| c >= 1),
            "invalid --clients: every count must be at least 1"
        );
        anyhow::ensure!(
            plan.shape.chunks >= 1,
            "invalid --chunks 0: must be at least 1"
        );
        Ok(plan)
    }
}

/// One way to the fake model: directly, or through a gateway.
#[derive(Debug)]
pub struct Target {
    pub name: String,
    plain: Endpoint,
    stream: Endpoint,
    /// The gateway's server process, whose memory is read.
    pid: Option<u32>,
}

/// Summary of one plain-call measurement.
#[derive(Clone, Debug, Default)]
pub struct PlainRound {
    /// Calls timed (sent after the warm-up and answered).
    pub samples: usize,
    pub p50: Duration,
    pub p99: Duration,
    pub per_second: f64,
    pub failures: u64,
    pub first_failure: Option<String>,
}

/// Summary of one stream measurement.
#[derive(Clone, Debug, Default)]
pub struct StreamRound {
    pub first_p50: Duration,
    pub first_p99: Duration,
    pub gap_p99: Duration,
    pub gap_max: Duration,
    pub stalled: usize,
    pub unfinished: usize,
    pub wall: Duration,
    pub first_failure: Option<String>,
}

/// Everything measured through one target.
#[derive(Debug, Default)]
pub struct Measured {
    /// Per client count, one entry per round.
    pub plain: Vec<(usize, Vec<PlainRound>)>,
    pub streams: Vec<StreamRound>,
    pub idle: Option<Memory>,
    pub under_load: u64,
    /// Highest VmRSS during each round's streams.
    pub with_streams: Vec<u64>,
    pub at_end: Option<Memory>,
}

impl Measured {
    fn plain_rounds(&mut self, clients: usize) -> &mut Vec<PlainRound> {
        if let Some(i) = self.plain.iter().position(|(c, _)| *c == clients) {
            return &mut self.plain[i].1;
        }
        self.plain.push((clients, Vec::new()));
        let last = self.plain.len() - 1;
        &mut self.plain[last].1
    }
}

/// What the report says about the run as a whole.
#[derive(Debug)]
pub struct Setting {
    pub nginx: String,
    pub preflight_args: Vec<String>,
    pub litellm: Result<(String, String), String>,
    pub load_before: String,
    pub load_after: String,
    pub elapsed: Duration,
}

pub async fn main(args: Args) -> Result<()> {
    let plan = Plan::of(&args)?;
    let started = Instant::now();
    let root = args.dir.clone().unwrap_or_else(std::env::temp_dir);
    let dir = root.join(format!(
        "preflight-gateway-bench-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    eprintln!("==> servers' files in {}", dir.display());
    let result = run(&args, &plan, &dir, started).await;
    if args.keep || result.is_err() {
        eprintln!("==> kept {}", dir.display());
    } else {
        let _ = std::fs::remove_dir_all(&dir);
    }
    result
}

async fn run(args: &Args, plan: &Plan, dir: &Path, started: Instant) -> Result<()> {
    let load_before = load_average();
    let streamer = streamer::Streamer::start(plan.shape).await?;
    let nginx = nginx::Nginx::start(&args.nginx, &dir.join("nginx"))
        .await
        .with_context(|| format!("starting nginx ({})", args.nginx.display()))?;
    eprintln!(
        "==> fake model: nginx {} at {} (pid {}), streams at {}",
        nginx.version,
        nginx.addr,
        nginx.child.pid(),
        streamer.addr
    );

    let preflight_bin = match &args.preflight {
        Some(bin) => bin.clone(),
        None => std::env::current_exe()?.with_file_name("preflight"),
    };
    let preflight =
        preflight::Preflight::start(&preflight_bin, &args.preflight_args, &dir.join("preflight"))
            .await
            .with_context(|| format!("starting {}", preflight_bin.display()))?;
    let plain_token = preflight
        .review(&format!("http://{}/v1", nginx.addr), "plain")
        .await
        .context("opening the plain-call review")?;
    let stream_token = preflight
        .review(&format!("http://{}/v1", streamer.addr), "stream")
        .await
        .context("opening the streaming review")?;
    eprintln!(
        "==> preflight serve at {} (pid {})",
        preflight.addr,
        preflight.child.pid()
    );

    let litellm = match &args.litellm {
        None => Err("not run: no --litellm given (bench/gateway installs it)".to_owned()),
        Some(bin) => match std::fs::canonicalize(bin) {
            Err(err) => Err(format!("not run: {}: {err}", bin.display())),
            Ok(bin) => {
                eprintln!("==> starting LiteLLM (it takes a few seconds)");
                litellm::LiteLlm::start(&bin, &dir.join("litellm"), nginx.addr, streamer.addr)
                    .await
                    .map_err(|e| format!("not run: {e:#}"))
            }
        },
    };

    let mut targets = vec![
        Target {
            name: "direct".into(),
            plain: Endpoint::new(nginx.addr, None, body(preflight::MODEL, false))?,
            stream: Endpoint::new(streamer.addr, None, body(preflight::MODEL, true))?,
            pid: None,
        },
        Target {
            name: "Preflight".into(),
            plain: Endpoint::new(
                preflight.addr,
                Some(&plain_token),
                body(preflight::MODEL, false),
            )?,
            stream: Endpoint::new(
                preflight.addr,
                Some(&stream_token),
                body(preflight::MODEL, true),
            )?,
            pid: Some(preflight.child.pid()),
        },
    ];
    let mut litellm_status = match &litellm {
        Ok(proxy) => {
            eprintln!(
                "==> LiteLLM {} at {}, calls with {}",
                proxy.version, proxy.addr, proxy.key_kind
            );
            targets.push(Target {
                name: "LiteLLM".into(),
                plain: Endpoint::new(
                    proxy.addr,
                    Some(&proxy.key),
                    body(litellm::PLAIN_MODEL, false),
                )?,
                stream: Endpoint::new(
                    proxy.addr,
                    Some(&proxy.key),
                    body(litellm::STREAM_MODEL, true),
                )?,
                pid: Some(proxy.child.pid()),
            });
            Ok((proxy.version.clone(), proxy.key_kind.clone()))
        }
        Err(why) => {
            eprintln!("==> LiteLLM {why}");
            Err(why.clone())
        }
    };

    // Every way must answer before anything is timed.
    let mut usable = Vec::new();
    for target in targets {
        match check(&target).await {
            Ok(()) => usable.push(target),
            Err(err) if target.name == "LiteLLM" => {
                eprintln!("==> LiteLLM does not answer: {err:#}");
                litellm_status = Err(format!("not run: it does not answer: {err:#}"));
            }
            Err(err) => return Err(err.context(format!("{} does not answer", target.name))),
        }
    }
    let targets = usable;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut measured: Vec<Measured> = targets.iter().map(|_| Measured::default()).collect();
    for (target, m) in targets.iter().zip(&mut measured) {
        m.idle = target.pid.map(memory::read).transpose()?;
    }

    // Each round streams first: the first round's stream figures are those
    // of servers that have not yet been through the plain-call load.
    for round in 1..=plan.rounds {
        for (target, m) in targets.iter().zip(&mut measured) {
            let sampler = target.pid.map(Sampler::start);
            let outcome = streams::measure(&target.stream, plan.streams, plan.stream_limit).await?;
            if let Some(s) = sampler {
                m.with_streams.push(s.finish().await);
            }
            let summary = StreamRound {
                first_p50: outcome.first_event.percentile(0.50),
                first_p99: outcome.first_event.percentile(0.99),
                gap_p99: outcome.gaps.percentile(0.99),
                gap_max: outcome.gaps.percentile(1.0),
                stalled: outcome.stalled,
                unfinished: outcome.unfinished,
                wall: outcome.wall,
                first_failure: outcome.first_failure.clone(),
            };
            eprintln!(
                "==> round {round}/{}: {} streams: {}: first token {} · gap p99 {} · {} events \
                 · {} stalled · all done in {}{}",
                plan.rounds,
                plan.streams,
                target.name,
                outcome.first_event.summary(),
                crate::stats::duration(summary.gap_p99),
                crate::stats::count(outcome.events as f64),
                summary.stalled,
                crate::stats::duration(summary.wall),
                summary
                    .first_failure
                    .as_deref()
                    .map(|f| format!(" (first failure: {f})"))
                    .unwrap_or_default(),
            );
            m.streams.push(summary);
        }
        for &clients in &plan.clients {
            for (target, m) in targets.iter().zip(&mut measured) {
                let sampler = target.pid.map(Sampler::start);
                let outcome = load::measure(&target.plain, clients, plan.warm_up, plan.run).await?;
                if let Some(s) = sampler {
                    m.under_load = m.under_load.max(s.finish().await);
                }
                let summary = PlainRound {
                    samples: outcome.latencies.len(),
                    p50: outcome.latencies.percentile(0.50),
                    p99: outcome.latencies.percentile(0.99),
                    per_second: outcome.per_second(),
                    failures: outcome.failures,
                    first_failure: outcome.first_failure.clone(),
                };
                eprintln!(
                    "==> round {round}/{}: {clients} clients: {}: {} · {} req/s{}",
                    plan.rounds,
                    target.name,
                    outcome.latencies.summary(),
                    crate::stats::count(summary.per_second),
                    failure_note(summary.failures, summary.first_failure.as_deref()),
                );
                m.plain_rounds(clients).push(summary);
            }
        }
    }
    for (target, m) in targets.iter().zip(&mut measured) {
        m.at_end = target.pid.map(memory::read).transpose()?;
    }

    let setting = Setting {
        nginx: nginx.version.clone(),
        preflight_args: args.preflight_args.clone(),
        litellm: litellm_status,
        load_before,
        load_after: load_average(),
        elapsed: started.elapsed(),
    };
    let names: Vec<String> = targets.iter().map(|t| t.name.clone()).collect();
    print!("{}", report::render(plan, &names, &measured, &setting));

    drop(litellm);
    drop(preflight);
    drop(nginx);
    streamer.stop().await;
    Ok(())
}

/// A plain chat completion request, or a streamed one asking for usage.
fn body(model: &str, stream: bool) -> serde_json::Value {
    let mut body = json!({
        "model": model,
        "messages": [{ "role": "user", "content": "Name one port scanner." }],
        "max_tokens": 8,
    });
    if stream {
        body["stream"] = json!(true);
        body["stream_options"] = json!({ "include_usage": true });
    }
    body
}

/// A few plain calls and one stream, all answered in full (the first calls
/// also warm the servers up).
async fn check(target: &Target) -> Result<()> {
    for _ in 0..5 {
        let body = load::once(&target.plain).await.context("plain call")?;
        let answer: serde_json::Value =
            serde_json::from_slice(&body).context("the plain answer is not JSON")?;
        anyhow::ensure!(
            answer["choices"][0]["message"]["content"] == "nmap",
            "the plain answer is not the fake model's: {answer}"
        );
    }
    let stream = streams::measure(&target.stream, 1, Duration::from_secs(30)).await?;
    if stream.stalled > 0 {
        bail!(
            "stream failed: {}",
            stream.first_failure.as_deref().unwrap_or("a gap over 1 s")
        );
    }
    Ok(())
}

fn failure_note(failures: u64, first: Option<&str>) -> String {
    match (failures, first) {
        (0, _) => String::new(),
        (n, Some(first)) => format!(" · {n} failed (first: {first})"),
        (n, None) => format!(" · {n} failed"),
    }
}

/// `/proc/loadavg`'s three averages.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "unknown".to_owned())
}
