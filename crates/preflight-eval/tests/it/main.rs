//! Tests of suites, datasets, prompt building, scoring and statistics, and
//! of the runner, its logs and their export against a fake model server
//! (and the real local model when one is given), one module per area. One
//! binary, so the crate links once.

mod agent;
mod choice;
mod clients;
mod ctf;
mod cyberseceval;
mod dataset;
mod fake_model;
mod fixtures;
mod inspect_export;
mod judge;
mod local_model;
mod refusal;
mod resume;
mod runner;
mod solver;
mod stats;
mod suite;
mod template;
mod text;
