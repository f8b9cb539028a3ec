//! Evaluation of models against benchmark suites.
//!
//! The pure half: suite files, datasets and their importers, prompt
//! building, scoring and statistics; no network, no clock, no async, the
//! only IO reading suite and dataset files. The async half sits in three
//! modules on top of it: [`client`] (the [`ModelClient`] trait and its
//! OpenAI-compatible and Anthropic implementations), [`runner`] (connection
//! limit, retries, time limits, response cache, resumable runs) and [`log`]
//! (the crash-safe JSON Lines log, reports and Inspect `.eval` export).
//!
//! How a runner uses it, per suite:
//! 1. [`Suite::load`] a suite file and [`Suite::build`] it into a [`Task`]
//!    (dataset selection, [`Solver`], [`Scorer`]);
//! 2. [`DatasetSource::check`] the dataset once (every bad record at once),
//!    then stream [`DatasetSource::samples`];
//! 3. per sample and epoch, [`Solver::plan`] gives a [`Plan`]: send a
//!    [`GeneratePlan`]'s messages with the model client, or run a
//!    [`Plan::Agent`]'s tool loop in a sandbox;
//! 4. [`Scorer::score`] the [`ModelOutput`] against the plan; for
//!    [`Scoring::Judge`], send the [`JudgeCall`] to the judge and
//!    [`Scorer::grade`] its raw output;
//! 5. collect [`stats::SampleScores`] and [`stats::summarise`] them with the
//!    suite's epoch reducer and metrics.

pub mod agent;
pub mod client;
pub mod ctf;
pub mod dataset;
pub mod error;
mod ids;
pub mod log;
pub mod model;
pub mod runner;
pub mod sample;
pub mod scorer;
pub mod solver;
pub mod stats;
pub mod suite;
pub mod template;

pub use client::{ClientConfig, ClientError, GenerateRequest, ModelClient, Provider};
pub use dataset::{DatasetConfig, DatasetFormat, DatasetSource, SampleStream};
pub use error::{BadSample, Error, Location, Result};
pub use log::{LogError, LogReader, Record, Report, SampleRecord};
pub use model::{ModelOutput, Usage};
pub use runner::{LogTarget, Progress, RunConfig, RunError, RunOutcome, RunSpec};
pub use sample::{ChatMessage, Input, Role, Sample, Target, ToolCall};
pub use scorer::{JudgeCall, Score, ScoreValue, Scorer, ScorerConfig, ScorerKind, Scoring};
pub use solver::{ChoiceLayout, GeneratePlan, Plan, PostProcess, Solver, SolverConfig, SolverKind};
pub use suite::{Limits, Suite, Task};
