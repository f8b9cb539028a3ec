//! Tests of the ledger core, one module per feature area. One binary, so the
//! crate links once.
#![allow(clippy::unwrap_used)]

mod checkpoint;
mod notes;
mod properties;
mod support;
mod tiles;
mod vectors;
mod witness;
