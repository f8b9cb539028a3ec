//! The bubblewrap backend and the pool, against the real `bwrap` of this
//! machine: escapes that must fail (each asserting what stopped it),
//! limits, files, tools a CTF needs, and the pool's bounds.

#![allow(clippy::unwrap_used)]

mod escape;
mod files;
mod limits;
mod pool;
mod support;
mod tools;
