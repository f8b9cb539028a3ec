//! Store behaviour on SQLite and, when `PREFLIGHT_TEST_DATABASE_URL` is set,
//! on PostgreSQL: the same tests on both.

#![allow(clippy::unwrap_used)]
mod assessments;
mod atomicity;
mod backends;
mod ledger;
mod sealing;
