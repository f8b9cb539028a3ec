//! Anthropic Messages API (`POST /v1/messages`) wire types.
//!
//! Unknown content blocks, deltas and stream events deserialise into the
//! `Other` variants rather than failing, since the API adds new ones over
//! time; optional fields are written only when set.

mod error;
mod message;
mod stream;

pub use error::{ErrorBody, ErrorDetail};
pub use message::{
    Content, ContentBlock, ImageSource, Message, MessagesRequest, MessagesResponse, Metadata, Role,
    StopReason, System, Tool, ToolChoice, ToolResultContent, Usage,
};
pub use stream::{BlockDelta, DeltaUsage, MessageDelta, StreamEvent};
