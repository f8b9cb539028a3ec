//! `preflight eval`: run a benchmark suite against a model, report on a
//! run's log, compare two runs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand, ValueEnum};
use preflight_eval::client::{
    ApiKey, ClientConfig, ModelClient, Provider, connect, first_listed_model,
};
use preflight_eval::log::{Aggregate, Header, Report, inspect, read_report};
use preflight_eval::runner::{
    LogTarget, ResponseCache, RunConfig, RunSpec, run as run_suite, sandbox_pool,
};
use preflight_eval::stats::{Bootstrap, Summary, compare_paired};
use preflight_eval::{Suite, scorer::ScorerKind};

use crate::eval_html;
use crate::eval_progress::ProgressBar;

#[derive(Debug, Subcommand)]
pub enum EvalCommand {
    /// Run a suite against a model: a log under --log-dir, a summary on stdout.
    #[command(
        after_help = "Example:\n  preflight eval run suites/smoke.toml --model http://127.0.0.1:8099/v1\n  preflight eval run suites/cyberseceval-prompt-injection.toml --model https://api.openai.com/v1 \\\n      --model-name gpt-4o-mini --api-key-env OPENAI_API_KEY --limit 50"
    )]
    Run(Box<RunArgs>),
    /// A run's results from its log, as a table; also as HTML or Inspect's .eval.
    #[command(
        after_help = "Example:\n  preflight eval report logs/run.jsonl --html report.html --inspect run.eval"
    )]
    Report(ReportArgs),
    /// Two runs on the samples both have: the difference, a paired bootstrap
    /// interval and McNemar's test.
    #[command(after_help = "Example:\n  preflight eval compare logs/a.jsonl logs/b.jsonl")]
    Compare(CompareArgs),
    /// Run each capture-the-flag task's reference solution in the sandbox
    /// and classify the task: confirmed solvable, no runnable reference,
    /// needs the network, or broken.
    #[command(
        after_help = "Example:\n  preflight eval validate ../shared/testdata/ctf/intercode --out suites/intercode/validation.json\n  preflight eval validate suites/intercode.toml --recheck suites/intercode/validation.json"
    )]
    Validate(ValidateArgs),
}

impl EvalCommand {
    /// `eval run`, which is a client of many connections on one thread.
    pub fn is_run(&self) -> bool {
        matches!(self, EvalCommand::Run(_))
    }
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// A suite file, an InterCode folder (with ic_ctf.json) or a folder of
    /// task folders (each with a task.toml).
    pub suite: PathBuf,
    /// Write the classification here (JSON).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Validate only the tasks this saved classification calls confirmed
    /// solvable, and fail unless every one is confirmed again.
    #[arg(long, value_name = "FILE")]
    pub recheck: Option<PathBuf>,
    /// Sandboxes alive at once.
    #[arg(long, default_value_t = 2)]
    pub max_sandboxes: usize,
    /// Seconds one reference solution may run.
    #[arg(long, default_value_t = 120)]
    pub timeout: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProviderArg {
    /// OpenAI-compatible chat completions.
    Openai,
    /// The Anthropic Messages API.
    Anthropic,
}

impl From<ProviderArg> for Provider {
    fn from(value: ProviderArg) -> Provider {
        match value {
            ProviderArg::Openai => Provider::Openai,
            ProviderArg::Anthropic => Provider::Anthropic,
        }
    }
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The suite file (TOML).
    pub suite: PathBuf,
    /// The model's base URL, such as http://127.0.0.1:8099/v1.
    #[arg(long)]
    pub model: String,
    /// The model's name in requests (default: the first the server lists).
    #[arg(long)]
    pub model_name: Option<String>,
    /// The environment variable holding the API key.
    #[arg(long)]
    pub api_key_env: Option<String>,
    #[arg(long, value_enum, default_value = "openai")]
    pub provider: ProviderArg,
    /// Where new logs go.
    #[arg(long, default_value = "logs")]
    pub log_dir: PathBuf,
    /// Requests in flight at once (model and judge together); 429s lower it
    /// for a while.
    #[arg(long, default_value_t = 10)]
    pub max_connections: usize,
    /// Instead of the suite's epochs.
    #[arg(long)]
    pub epochs: Option<u32>,
    /// At most this many samples.
    #[arg(long)]
    pub limit: Option<usize>,
    /// Complete this log: skip the samples it has, append the others.
    #[arg(long, value_name = "LOG")]
    pub resume: Option<PathBuf>,
    /// Keep answers here and reuse them for identical requests.
    #[arg(long)]
    pub cache_dir: Option<PathBuf>,
    /// The judge's base URL (default: the suite's judge, else the model).
    #[arg(long, value_name = "URL")]
    pub judge_model: Option<String>,
    /// The judge's name in requests (default: the suite's, else the first
    /// the judge's server lists).
    #[arg(long)]
    pub judge_model_name: Option<String>,
    /// Instead of the suite's limits.max_output_tokens.
    #[arg(long)]
    pub max_tokens: Option<u32>,
    /// max_tokens of judge requests.
    #[arg(long, default_value_t = 1024)]
    pub judge_max_tokens: u32,
    #[arg(long)]
    pub temperature: Option<f64>,
    /// Ask for answers as event streams.
    #[arg(long)]
    pub stream: bool,
    /// Requests per model call, the first included.
    #[arg(long, default_value_t = 6)]
    pub max_attempts: u32,
    /// Seconds one request may take.
    #[arg(long, default_value_t = 300)]
    pub request_timeout: u64,
    /// Seeds the bootstrap intervals.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Sandboxes alive at once, for agentic suites (default: the suite's
    /// sandbox.max_alive). Separate from --max-connections.
    #[arg(long)]
    pub max_sandboxes: Option<usize>,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// A run's log (.jsonl).
    pub log: PathBuf,
    /// Also write a self-contained HTML report here.
    #[arg(long, value_name = "OUT")]
    pub html: Option<PathBuf>,
    /// Also write the run as an Inspect log (.eval) here.
    #[arg(long, value_name = "OUT")]
    pub inspect: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CompareArgs {
    pub log_a: PathBuf,
    pub log_b: PathBuf,
    /// Bootstrap resamples for the interval of the difference.
    #[arg(long, default_value_t = 10_000)]
    pub resamples: usize,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

pub async fn run(command: EvalCommand) -> Result<()> {
    match command {
        EvalCommand::Run(args) => run_command(*args).await,
        EvalCommand::Report(args) => report_command(&args),
        EvalCommand::Compare(args) => compare_command(&args),
        EvalCommand::Validate(args) => crate::eval_validate::run(&args).await,
    }
}

async fn run_command(args: RunArgs) -> Result<()> {
    let mut suite = Suite::load(&args.suite)?;
    if let Some(max_tokens) = args.max_tokens {
        suite.limits.max_output_tokens = Some(max_tokens);
    }
    let api_key = match &args.api_key_env {
        None => None,
        Some(var) => Some(ApiKey::new(std::env::var(var).with_context(|| {
            format!("--api-key-env {var}: the environment variable is not set")
        })?)),
    };
    let provider = Provider::from(args.provider);
    let timeout = Duration::from_secs(args.request_timeout.max(1));
    let model = client(
        provider,
        &args.model,
        args.model_name.as_deref(),
        api_key.clone(),
        timeout,
    )
    .await?;
    let judge = judge_client(&args, &suite, provider, api_key, timeout).await?;
    let log = match &args.resume {
        Some(path) => LogTarget::Resume(path.clone()),
        None => LogTarget::New(new_log_path(&args.log_dir, &suite.name, model.model())),
    };
    let config = RunConfig {
        max_connections: args.max_connections.max(1),
        max_attempts: args.max_attempts.max(1),
        attempt_timeout: timeout,
        epochs: args.epochs,
        limit: args.limit,
        seed: args.seed,
        temperature: args.temperature,
        stream: args.stream,
        judge_max_tokens: args.judge_max_tokens,
        ..RunConfig::default()
    };
    let progress = Arc::new(ProgressBar::new());
    let outcome = run_suite(
        RunSpec {
            suite: &suite,
            model,
            judge,
            log,
            cache: args.cache_dir.as_ref().map(ResponseCache::new),
            config,
            sandboxes: sandbox_pool(&suite, args.max_sandboxes)
                .with_context(|| format!("suite {} runs an agent in a sandbox", suite.name))?,
        },
        progress.clone(),
    )
    .await;
    progress.finish();
    let outcome = outcome?;
    eprintln!("log: {}", outcome.log.display());
    if outcome.resumed > 0 {
        eprintln!(
            "resumed: {} records were already in the log, {} added",
            outcome.resumed, outcome.written
        );
    }
    print!("{}", render_report(&outcome.header, &outcome.report));
    Ok(())
}

/// A client of `url`, named `name` or the first model the server lists.
async fn client(
    provider: Provider,
    url: &str,
    name: Option<&str>,
    api_key: Option<ApiKey>,
    timeout: Duration,
) -> Result<Arc<dyn ModelClient>> {
    let mut config =
        ClientConfig::new(provider, url, name.unwrap_or_default()).with_api_key(api_key);
    config.request_timeout = timeout;
    if name.is_none() {
        config.model = first_listed_model(&config).await.with_context(|| {
            format!("no --model-name given and {url}/models does not name a model")
        })?;
    }
    Ok(connect(config)?)
}

/// The judge: --judge-model, else the suite's judge, else none (the model).
async fn judge_client(
    args: &RunArgs,
    suite: &Suite,
    provider: Provider,
    api_key: Option<ApiKey>,
    timeout: Duration,
) -> Result<Option<Arc<dyn ModelClient>>> {
    if suite.scorer.kind != ScorerKind::ModelGraded {
        return Ok(None);
    }
    let named = suite.scorer.judge.as_ref();
    let url = args
        .judge_model
        .clone()
        .or_else(|| named.and_then(|j| j.base_url.clone()));
    let name = args
        .judge_model_name
        .clone()
        .or_else(|| named.map(|j| j.model.clone()));
    match (url, name) {
        (None, None) => Ok(None),
        (url, name) => {
            let url = url.unwrap_or_else(|| args.model.clone());
            Ok(Some(
                client(provider, &url, name.as_deref(), api_key, timeout).await?,
            ))
        }
    }
}

/// `<dir>/<UTC time>_<suite>_<model>.jsonl`.
fn new_log_path(dir: &Path, suite: &str, model: &str) -> PathBuf {
    let clean = |text: &str| -> String {
        text.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                    c
                } else {
                    '_'
                }
            })
            .collect()
    };
    let time = chrono::Utc::now().format("%Y-%m-%dT%H-%M-%S");
    dir.join(format!("{time}_{}_{}.jsonl", clean(suite), clean(model)))
}

fn report_command(args: &ReportArgs) -> Result<()> {
    let (header, _, report) =
        read_report(&args.log).with_context(|| format!("reading {}", args.log.display()))?;
    print!("{}", render_report(&header, &report));
    if let Some(out) = &args.html {
        let html = eval_html::render(&header, &report);
        std::fs::write(out, html).with_context(|| format!("writing {}", out.display()))?;
        eprintln!("html report: {}", out.display());
    }
    if let Some(out) = &args.inspect {
        let exported = inspect::export(&args.log, out)?;
        eprintln!(
            "inspect log: {} ({} samples)",
            exported.path.display(),
            exported.samples
        );
    }
    Ok(())
}

/// A number with three decimals, or a dash.
pub(crate) fn num(value: Option<f64>) -> String {
    match value {
        Some(v) if v.is_finite() => format!("{v:.3}"),
        _ => "-".to_owned(),
    }
}

fn interval(lower_upper: Option<(f64, f64)>) -> String {
    match lower_upper {
        Some((l, u)) => format!("[{l:.3}, {u:.3}]"),
        None => "-".to_owned(),
    }
}

/// The terminal report: what ran, counts, tokens, metrics, tags.
pub(crate) fn render_report(header: &Header, report: &Report) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "suite {}  model {}  judge {}",
        header.suite, header.model.name, header.judge.name
    );
    let _ = writeln!(
        out,
        "samples {}  epochs {}  records {}/{}  scored {}  errors {}{}",
        header.samples,
        header.epochs,
        report.records,
        report.expected,
        report.scored,
        report.errors,
        if report.is_complete() {
            ""
        } else {
            "  (incomplete: resume it)"
        }
    );
    if !report.errors_by_kind.is_empty() {
        let kinds: Vec<String> = report
            .errors_by_kind
            .iter()
            .map(|(kind, n)| format!("{kind} {n}"))
            .collect();
        let _ = writeln!(out, "errors by kind: {}", kinds.join(", "));
    }
    let _ = writeln!(
        out,
        "tokens: model {} in, {} out; judge {} in, {} out",
        report.usage.input_tokens,
        report.usage.output_tokens,
        report.judge_usage.input_tokens,
        report.judge_usage.output_tokens
    );
    let Some(summary) = &report.summary else {
        let _ = writeln!(out, "no sample was scored");
        return out;
    };
    let _ = writeln!(out);
    let _ = writeln!(out, "{:<12} {:>8}  95% interval", "metric", "value");
    let _ = writeln!(
        out,
        "{:<12} {:>8}  {} Wilson",
        "accuracy",
        num(summary.accuracy),
        interval(summary.wilson.map(|w| (w.lower, w.upper)))
    );
    let _ = writeln!(out, "{:<12} {:>8}", "stderr", num(summary.stderr));
    let _ = writeln!(
        out,
        "{:<12} {:>8}  {}",
        "bootstrap",
        "",
        interval(summary.bootstrap.map(|b| (b.lower, b.upper)))
    );
    for (k, value) in &summary.pass_at_k {
        let _ = writeln!(out, "{:<12} {:>8}", format!("pass@{k}"), num(Some(*value)));
    }
    if let Some(agent) = &report.agent {
        let stops: Vec<String> = agent
            .stops
            .iter()
            .map(|(stop, n)| format!("{stop} {n}"))
            .collect();
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "agent: {} of {} solved; stopped by {}",
            agent.solved,
            agent.records,
            stops.join(", ")
        );
        let spread = |name: &str, s: &Option<preflight_eval::log::Spread>| match s {
            Some(s) => format!(
                "{name} to solve: mean {:.1}, median {:.1}, range {:.0} to {:.0}",
                s.mean, s.median, s.min, s.max
            ),
            None => format!("{name} to solve: -"),
        };
        let _ = writeln!(out, "{}", spread("turns", &agent.turns_to_solve));
        let _ = writeln!(out, "{}", spread("tokens", &agent.tokens_to_solve));
    }
    if !report.by_tag.is_empty() {
        let width = report
            .by_tag
            .keys()
            .map(|t| t.len())
            .max()
            .unwrap_or(3)
            .max(3);
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "{:<width$} {:>6} {:>8} {:>8}  95% Wilson",
            "tag", "n", "accuracy", "stderr"
        );
        for (tag, s) in &report.by_tag {
            let _ = writeln!(
                out,
                "{:<width$} {:>6} {:>8} {:>8}  {}",
                tag,
                s.samples,
                num(s.accuracy),
                num(s.stderr),
                interval(s.wilson.map(|w| (w.lower, w.upper)))
            );
        }
    }
    out
}

fn compare_command(args: &CompareArgs) -> Result<()> {
    let read = |path: &Path| -> Result<(Header, Aggregate)> {
        let (header, aggregate, _) =
            read_report(path).with_context(|| format!("reading {}", path.display()))?;
        Ok((header, aggregate))
    };
    let (header_a, a) = read(&args.log_a)?;
    let (header_b, b) = read(&args.log_b)?;
    let reduced_a = a.reduced(header_a.suite_config.epoch_reducer)?;
    let reduced_b = b.reduced(header_b.suite_config.epoch_reducer)?;
    let shared = |one: &BTreeMap<String, f64>, other: &BTreeMap<String, f64>| {
        one.iter()
            .filter(|(id, _)| other.contains_key(*id))
            .map(|(id, v)| (id.clone(), *v))
            .collect::<BTreeMap<_, _>>()
    };
    let paired_a = shared(&reduced_a, &reduced_b);
    let paired_b = shared(&reduced_b, &reduced_a);
    if paired_a.is_empty() {
        bail!(
            "the two logs share no scored sample id ({} scored in A, {} in B)",
            reduced_a.len(),
            reduced_b.len()
        );
    }
    let bootstrap = Bootstrap {
        resamples: args.resamples,
        seed: args.seed,
    };
    let paired = compare_paired(&paired_a, &paired_b, bootstrap)?;
    print!(
        "{}",
        render_comparison(&header_a, &header_b, &reduced_a, &reduced_b, &paired)
    );
    Ok(())
}

fn render_comparison(
    a: &Header,
    b: &Header,
    reduced_a: &BTreeMap<String, f64>,
    reduced_b: &BTreeMap<String, f64>,
    paired: &preflight_eval::stats::Paired,
) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = writeln!(out, "A: {} on {} ({})", a.model.name, a.suite, a.run_id);
    let _ = writeln!(out, "B: {} on {} ({})", b.model.name, b.suite, b.run_id);
    if a.suite_config.scorer.kind != b.suite_config.scorer.kind || a.suite != b.suite {
        let _ = writeln!(out, "warning: the runs are of different suites or scorers");
    }
    let _ = writeln!(
        out,
        "paired samples {} (scored only in A {}, only in B {})",
        paired.samples,
        reduced_a.len() - paired.samples,
        reduced_b.len() - paired.samples
    );
    let _ = writeln!(out);
    let _ = writeln!(out, "{:<22} {:>8}  95% interval", "", "value");
    let _ = writeln!(out, "{:<22} {:>8}", "mean A", num(Some(paired.mean_a)));
    let _ = writeln!(out, "{:<22} {:>8}", "mean B", num(Some(paired.mean_b)));
    let _ = writeln!(
        out,
        "{:<22} {:>8}  {} paired bootstrap",
        "difference A - B",
        num(Some(paired.difference)),
        interval(paired.interval.map(|i| (i.lower, i.upper)))
    );
    match &paired.mcnemar {
        Some(m) => {
            let method = match m.method {
                preflight_eval::stats::McNemarMethod::ExactBinomial => "exact binomial",
                preflight_eval::stats::McNemarMethod::ChiSquareCorrected => {
                    "chi-square, continuity-corrected"
                }
            };
            let _ = writeln!(
                out,
                "McNemar ({method}): only A right {}, only B right {}, statistic {}, p = {}",
                m.only_a,
                m.only_b,
                num(Some(m.statistic)),
                num(Some(m.p_value))
            );
        }
        None => {
            let _ = writeln!(
                out,
                "McNemar: not applicable (scores are not all 0 or 1 after epoch reduction)"
            );
        }
    }
    out
}

/// The tags' summaries in display order, for the HTML report.
pub(crate) fn tag_rows(report: &Report) -> Vec<(&str, &Summary)> {
    report.by_tag.iter().map(|(t, s)| (t.as_str(), s)).collect()
}
