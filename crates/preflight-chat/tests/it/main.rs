//! Tests of the chat wire formats, one module per feature area. One binary,
//! so the crate links once.
#![allow(clippy::unwrap_used)]

mod errors;
mod openai;
mod request;
mod response;
mod sse;
mod stream;
