//! Tests of the review program's rules, one module per area. One binary, so
//! the crate links once.

mod access;
mod fixtures;
mod lifecycle;
mod org;
mod partner;
mod policy;
mod sharing;
mod submission;
mod taxonomy;
mod terms;
mod window;
