//! The review program's domain: organisations, people, submissions, terms,
//! the lifecycle, findings and reports. Plain data and plain functions: no IO,
//! no async, no SQL, no HTTP.

pub mod access;
pub mod actor;
pub mod error;
pub mod escalation;
pub mod event;
pub mod finding;
pub mod ids;
pub mod ledger_entry;
pub mod lifecycle;
pub mod org;
pub mod partner;
pub mod policy;
pub mod report;
pub mod sharing;
pub mod submission;
pub mod taxonomy;
pub mod terms;
pub mod window;

pub use error::DomainError;
