//! The events of a streamed answer (`stream: true`): `message_start`, then
//! for each block `content_block_start`, `content_block_delta`s and
//! `content_block_stop`, then `message_delta` and `message_stop`, with `ping`
//! anywhere and `error` ending the stream early.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::error::ErrorDetail;
use super::message::{ContentBlock, MessagesResponse, StopReason};

/// One event; its `type` equals the SSE event name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum StreamEvent {
    /// The answer begins; `message` has empty content.
    MessageStart {
        /// The message so far, with the input token count.
        message: MessagesResponse,
    },
    /// A block begins.
    ContentBlockStart {
        /// The block's position among all blocks of the message.
        index: u32,
        /// The block, with empty text or input.
        content_block: ContentBlock,
    },
    /// More of a block.
    ContentBlockDelta {
        /// The block's position.
        index: u32,
        /// The increment.
        delta: BlockDelta,
    },
    /// A block ends.
    ContentBlockStop {
        /// The block's position.
        index: u32,
    },
    /// Message-level changes: the stop reason and the cumulative usage.
    MessageDelta {
        /// The stop reason and sequence.
        delta: MessageDelta,
        /// Cumulative token counts.
        #[serde(default)]
        usage: Option<DeltaUsage>,
    },
    /// The answer is complete.
    MessageStop,
    /// Keep-alive.
    Ping,
    /// The stream failed.
    Error {
        /// What went wrong.
        error: ErrorDetail,
    },
    /// Any other event, as received.
    #[serde(untagged)]
    Other(Map<String, Value>),
}

/// An increment of a content block.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum BlockDelta {
    /// More text of a text block.
    TextDelta {
        /// The text.
        text: String,
    },
    /// More of a tool call's input, a piece of JSON text.
    InputJsonDelta {
        /// The piece; the pieces of a block concatenate to its input.
        partial_json: String,
    },
    /// More extended thinking.
    ThinkingDelta {
        /// The reasoning text.
        thinking: String,
    },
    /// The signature of a thinking block.
    SignatureDelta {
        /// The signature.
        signature: String,
    },
    /// Any other increment (citations, ...), as received.
    #[serde(untagged)]
    Other(Map<String, Value>),
}

/// The `delta` of a `message_delta` event.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageDelta {
    /// Why generation stopped.
    #[serde(default)]
    pub stop_reason: Option<StopReason>,
    /// The stop sequence that matched, if one did.
    #[serde(default)]
    pub stop_sequence: Option<String>,
}

/// The `usage` of a `message_delta` event: cumulative counts, of which
/// `output_tokens` is always present and the others only sometimes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeltaUsage {
    /// Output tokens so far.
    #[serde(default)]
    pub output_tokens: u64,
    /// Uncached input tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_tokens: Option<u64>,
    /// Input tokens written to the cache.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_creation_input_tokens: Option<u64>,
    /// Input tokens read from the cache.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_read_input_tokens: Option<u64>,
}
