//! OpenAI Chat Completions (`POST /v1/chat/completions`) wire types.
//!
//! Request types keep every field they do not name in an `extra` map and
//! serialise only the fields that were present, so a proxy that parses a
//! request and writes it back forwards what the client sent. Response and
//! chunk types name only what the gateway and the evaluation client read;
//! a relay forwards the upstream's bytes, not these values.

mod error;
mod request;
mod response;

pub use error::{ErrorBody, ErrorDetail};
pub use request::{
    ChatRequest, ContentPart, FunctionCall, FunctionDef, ImageUrl, ImageUrlPart, Message,
    MessageContent, NamedFunction, NamedToolChoice, Role, Stop, StreamOptions, TextPart, Tool,
    ToolCall, ToolChoice, ToolChoiceMode,
};
pub use response::{
    ChatChoice, ChatChunk, ChatResponse, ChunkChoice, Delta, FinishReason, FunctionCallDelta,
    ToolCallDelta, Usage, usage_of_chunk,
};
