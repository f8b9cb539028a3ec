//! Suite files: a benchmark's dataset, solver, scorer, epochs, limits and
//! metrics in one TOML document.
//!
//! ```toml
//! name = "smoke"
//! description = "A few hand-written security questions."
//! epochs = 1
//! epoch_reducer = "mean"            # "max", "mode" or { at_least_k = 2 }
//! metrics = ["accuracy", "stderr", "wilson", "bootstrap", "pass_at_k"]
//! tags = ["demo"]
//!
//! [dataset]
//! path = "smoke.jsonl"              # relative to this file
//! format = "jsonl"                  # or cyberseceval_mcq, cyberseceval_prompt_injection,
//!                                   #    cyberseceval_frr, cyberseceval_interpreter
//! limit = 100
//! shuffle = true
//! seed = 1
//! exclude = ["q7"]
//!
//! [solver]
//! kind = "multiple_choice"          # generate, multiple_choice, agent
//! system_prompt = "You are a security analyst."
//! template = "{prompt}\n\n{choices}"
//! few_shot = [{ user = "…", assistant = "ANSWER: B" }]
//! few_shot_file = "examples.jsonl"
//! multiple_answers = false
//! shuffle_choices = true
//! seed = 7
//!
//! [scorer]
//! kind = "choice"                   # exact, includes, regex, model_graded, refusal, flag
//!
//! [agent]                           # solver kind "agent" only
//! max_turns = 30
//! tool_calls = "native"             # or "text": ```bash blocks and `submit: FLAG`
//! tools = ["bash", "python", "submit"]
//! tool_timeout_seconds = 180
//! output_limit_bytes = 16384
//! max_submissions = 1
//!
//! [sandbox]                         # solver kind "agent" only
//! backend = "bubblewrap"
//! processes = 128
//! memory_mb = 2048
//! cpu_seconds = 120
//! file_mb = 256
//! max_alive = 4
//!
//! [limits]
//! time_seconds = 600
//! tokens = 200000
//! max_output_tokens = 1024
//! ```
//!
//! Every key that no field takes is an error naming it and the file.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::agent::{AgentConfig, SandboxSettings};
use crate::dataset::{DatasetConfig, DatasetSource};
use crate::error::{Error, Result};
use crate::scorer::{Scorer, ScorerConfig, ScorerKind};
use crate::solver::{Solver, SolverConfig, SolverKind};
use crate::stats::{EpochReducer, Metric};

/// A suite as written in its file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Suite {
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub dataset: DatasetConfig,
    pub solver: SolverConfig,
    pub scorer: ScorerConfig,
    /// How many times each sample is run (default 1).
    #[serde(default = "one")]
    pub epochs: u32,
    #[serde(default = "mean")]
    pub epoch_reducer: EpochReducer,
    #[serde(default)]
    pub limits: Limits,
    /// Default accuracy and stderr.
    #[serde(default = "default_metrics")]
    pub metrics: Vec<Metric>,
    #[serde(default)]
    pub tags: Vec<String>,
    /// The agent solver's settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<AgentConfig>,
    /// The sandbox of each agentic sample.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sandbox: Option<SandboxSettings>,
    /// The file it was read from; relative paths start at its folder.
    #[serde(skip)]
    path: PathBuf,
}

fn one() -> u32 {
    1
}
fn mean() -> EpochReducer {
    EpochReducer::Mean
}
fn default_metrics() -> Vec<Metric> {
    vec![Metric::Accuracy, Metric::Stderr]
}

/// Per-sample limits a runner enforces.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    /// Wall-clock time for one sample.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_seconds: Option<u64>,
    /// Tokens (input and output) for one sample.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tokens: Option<u64>,
    /// Output tokens of one model call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_output_tokens: Option<u32>,
}

/// A suite built for running: the dataset selection, solver and scorer.
#[derive(Debug, Clone)]
pub struct Task {
    pub name: String,
    pub dataset: DatasetSource,
    pub solver: Solver,
    pub scorer: Scorer,
    pub epochs: u32,
    pub epoch_reducer: EpochReducer,
    pub limits: Limits,
    pub metrics: Vec<Metric>,
    /// For agentic suites, the sandbox each sample gets.
    pub sandbox: Option<SandboxSettings>,
}

impl Suite {
    /// Reads and checks the suite file at `path`.
    pub fn load(path: impl AsRef<Path>) -> Result<Suite> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.to_owned(),
            source,
        })?;
        Suite::parse(&text, path)
    }

    /// Parses and checks suite text read from `path`.
    pub fn parse(text: &str, path: &Path) -> Result<Suite> {
        let syntax = |e: toml::de::Error| Error::SuiteSyntax {
            path: path.to_owned(),
            message: describe(text, &e),
        };
        let document = toml::Deserializer::parse(text).map_err(syntax)?;
        let mut unknown = Vec::new();
        let parsed: std::result::Result<Suite, _> =
            serde_ignored::deserialize(document, |key| unknown.push(dotted(&key)));
        if !unknown.is_empty() {
            unknown.sort();
            return Err(Error::UnknownKeys {
                path: path.to_owned(),
                keys: unknown,
            });
        }
        let mut suite = parsed.map_err(syntax)?;
        suite.path = path.to_owned();
        suite.check()?;
        Ok(suite)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The folder relative paths start from.
    pub fn base(&self) -> &Path {
        self.path.parent().unwrap_or(Path::new(""))
    }

    /// Builds the solver and scorer and resolves the dataset. Fails for
    /// the reserved `agent` solver, a bad template or pattern, or an
    /// unreadable few-shot file.
    pub fn build(&self) -> Result<Task> {
        Ok(Task {
            name: self.name.clone(),
            dataset: DatasetSource::from_config(&self.dataset, self.base()),
            solver: Solver::from_config(&self.solver, self.base())?
                .with_agent(&self.agent.clone().unwrap_or_default()),
            scorer: Scorer::from_config(&self.scorer)?,
            epochs: self.epochs,
            epoch_reducer: self.epoch_reducer,
            limits: self.limits,
            metrics: self.metrics.clone(),
            sandbox: (self.solver.kind == SolverKind::Agent)
                .then(|| self.sandbox.clone().unwrap_or_default()),
        })
    }

    fn check(&self) -> Result<()> {
        let invalid = |key: &str, value: String, reason: &str| Error::InvalidSuite {
            path: self.path.clone(),
            key: key.to_owned(),
            value,
            reason: reason.to_owned(),
        };
        if self.name.trim().is_empty() {
            return Err(invalid(
                "name",
                format!("{:?}", self.name),
                "must not be empty",
            ));
        }
        if self.epochs == 0 {
            return Err(invalid("epochs", "0".into(), "must be at least 1"));
        }
        if let EpochReducer::AtLeastK(k) = self.epoch_reducer
            && (k == 0 || k > self.epochs)
        {
            return Err(invalid(
                "epoch_reducer.at_least_k",
                k.to_string(),
                &format!("must be between 1 and epochs ({})", self.epochs),
            ));
        }
        if self.dataset.limit == Some(0) {
            return Err(invalid("dataset.limit", "0".into(), "must be at least 1"));
        }
        let limits = [
            ("limits.time_seconds", self.limits.time_seconds),
            ("limits.tokens", self.limits.tokens),
            (
                "limits.max_output_tokens",
                self.limits.max_output_tokens.map(u64::from),
            ),
        ];
        if let Some((key, _)) = limits.iter().find(|(_, v)| *v == Some(0)) {
            return Err(invalid(key, "0".into(), "must be at least 1"));
        }
        let solver = &self.solver;
        if solver.kind != SolverKind::Agent {
            for (key, set) in [
                ("agent", self.agent.is_some()),
                ("sandbox", self.sandbox.is_some()),
            ] {
                if set {
                    return Err(invalid(
                        key,
                        "(set)".into(),
                        "applies only to solver kind \"agent\"",
                    ));
                }
            }
        }
        if let Some(agent) = &self.agent {
            if agent.max_turns == 0 {
                return Err(invalid("agent.max_turns", "0".into(), "must be at least 1"));
            }
            if agent.tool_timeout_seconds == 0 {
                return Err(invalid(
                    "agent.tool_timeout_seconds",
                    "0".into(),
                    "must be at least 1",
                ));
            }
            if agent.tools.is_empty() {
                return Err(invalid(
                    "agent.tools",
                    "[]".into(),
                    "must offer at least one tool",
                ));
            }
        }
        if solver.kind == SolverKind::Agent
            && !matches!(
                self.scorer.kind,
                ScorerKind::Flag | ScorerKind::Exact | ScorerKind::Includes | ScorerKind::Regex
            )
        {
            return Err(invalid(
                "scorer.kind",
                format!("{:?}", self.scorer.kind.as_str()),
                "an agent's submission is scored by scorer kind \"flag\", \"exact\", \"includes\" or \"regex\"",
            ));
        }
        if let Some(sandbox) = &self.sandbox
            && sandbox.backend != "bubblewrap"
        {
            return Err(invalid(
                "sandbox.backend",
                format!("{:?}", sandbox.backend),
                "the backends are \"bubblewrap\"",
            ));
        }
        if solver.kind != SolverKind::MultipleChoice {
            let misplaced = [
                ("solver.multiple_answers", solver.multiple_answers),
                ("solver.shuffle_choices", solver.shuffle_choices),
                ("solver.seed", solver.seed.is_some()),
            ];
            if let Some((key, _)) = misplaced.iter().find(|(_, set)| *set) {
                return Err(invalid(
                    key,
                    "(set)".into(),
                    "applies only to solver kind \"multiple_choice\"",
                ));
            }
        }
        if let Some(key) = self.scorer.misplaced_keys().first() {
            return Err(invalid(
                &format!("scorer.{key}"),
                "(set)".into(),
                &format!(
                    "does not apply to scorer kind {:?}",
                    self.scorer.kind.as_str()
                ),
            ));
        }
        if self.scorer.kind == ScorerKind::Regex && self.scorer.pattern.is_none() {
            return Err(invalid(
                "scorer.pattern",
                "(missing)".into(),
                "scorer kind \"regex\" needs a pattern",
            ));
        }
        if solver.shuffle_choices && self.scorer.kind != ScorerKind::Choice {
            return Err(invalid(
                "solver.shuffle_choices",
                "true".into(),
                "shuffled options can only be scored by scorer kind \"choice\", which maps letters back",
            ));
        }
        Ok(())
    }
}

/// A key's path as written in TOML: `solver.few_shot[0].user`.
fn dotted(path: &serde_ignored::Path<'_>) -> String {
    use serde_ignored::Path;
    match path {
        Path::Root => String::new(),
        Path::Seq { parent, index } => format!("{}[{index}]", dotted(parent)),
        Path::Map { parent, key } => match dotted(parent) {
            p if p.is_empty() => key.clone(),
            p => format!("{p}.{key}"),
        },
        Path::Some { parent }
        | Path::NewtypeStruct { parent }
        | Path::NewtypeVariant { parent } => dotted(parent),
    }
}

/// A TOML error as `line L, column C: message`.
fn describe(text: &str, error: &toml::de::Error) -> String {
    match error.span() {
        Some(span) => {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let column = before.chars().rev().take_while(|&c| c != '\n').count() + 1;
            format!("line {line}, column {column}: {}", error.message())
        }
        None => error.message().to_owned(),
    }
}
