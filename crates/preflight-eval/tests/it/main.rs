//! Tests of suites, datasets, prompt building, scoring and statistics, one
//! module per area. One binary, so the crate links once.

mod choice;
mod cyberseceval;
mod dataset;
mod fixtures;
mod judge;
mod refusal;
mod solver;
mod stats;
mod suite;
mod template;
mod text;
