//! Integration tests of the `preflight` binary: the real executable, started
//! and killed as a process, spoken to over HTTP, on SQLite and, when
//! `PREFLIGHT_TEST_DATABASE_URL` is set, on PostgreSQL. One binary, so the
//! crate links once.

#![allow(clippy::unwrap_used)]

mod crash_safety;
mod eval_cli;
mod instance;
