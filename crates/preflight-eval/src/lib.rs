//! Evaluation of models against benchmark suites, the pure half: suite
//! files, datasets and their importers, prompt building, scoring and
//! statistics. No network, no clock, no async; the only IO is reading suite
//! and dataset files.
//!
//! How a runner uses it, per suite:
//! 1. [`Suite::load`] a suite file and [`Suite::build`] it into a [`Task`]
//!    (dataset selection, [`Solver`], [`Scorer`]);
//! 2. [`DatasetSource::check`] the dataset once (every bad record at once),
//!    then stream [`DatasetSource::samples`];
//! 3. per sample and epoch, [`Solver::plan`] gives a [`Plan`]: send a
//!    [`GeneratePlan`]'s messages with the model client (refuse
//!    [`Plan::Agent`] with [`Error::AgentNotAvailable`]);
//! 4. [`Scorer::score`] the [`ModelOutput`] against the plan; for
//!    [`Scoring::Judge`], send the [`JudgeCall`] to the judge and
//!    [`Scorer::grade`] its raw output;
//! 5. collect [`stats::SampleScores`] and [`stats::summarise`] them with the
//!    suite's epoch reducer and metrics.

pub mod dataset;
pub mod error;
pub mod model;
pub mod sample;
pub mod scorer;
pub mod solver;
pub mod stats;
pub mod suite;
pub mod template;

pub use dataset::{DatasetConfig, DatasetFormat, DatasetSource, SampleStream};
pub use error::{BadSample, Error, Location, Result};
pub use model::{ModelOutput, Usage};
pub use sample::{ChatMessage, Input, Role, Sample, Target};
pub use scorer::{JudgeCall, Score, ScoreValue, Scorer, ScorerConfig, ScorerKind, Scoring};
pub use solver::{ChoiceLayout, GeneratePlan, Plan, PostProcess, Solver, SolverConfig, SolverKind};
pub use suite::{Limits, Suite, Task};
