//! Chat-completion wire formats, shared by the OpenAI-compatible gateway and
//! the evaluation client.
//!
//! - [`sse`] parses Server-Sent Events incrementally and keeps each frame's
//!   raw bytes, so a relay can forward frames unchanged.
//! - [`openai`] holds the Chat Completions types; request types keep unknown
//!   fields so a proxy forwards them untouched.
//! - [`anthropic`] holds the Messages API types, including its stream events.
//! - [`translate`] maps an OpenAI-shaped request to the Messages API and the
//!   answer (whole or streamed) and errors back.
//!
//! The crate knows nothing of HTTP, IO, async or the clock: callers pass the
//! bytes they received and the time to stamp on responses.

pub mod anthropic;
pub mod openai;
pub mod sse;
pub mod translate;
