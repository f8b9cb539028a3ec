//! A streamed Messages API answer as OpenAI chunks.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::response::{compact_arguments, finish_reason};
use super::{TranslateError, cut};
use crate::anthropic::{self, BlockDelta, ContentBlock, StreamEvent};
use crate::openai::{
    ChatChunk, ChunkChoice, Delta, FinishReason, FunctionCallDelta, Role, ToolCallDelta, Usage,
};

/// Event, block and delta types this crate reads; one of them that lands in
/// an `Other` variant lacks a field it needs.
const EVENTS: &[&str] = &[
    "message_start",
    "content_block_start",
    "content_block_delta",
    "content_block_stop",
    "message_delta",
    "message_stop",
    "ping",
    "error",
];
const BLOCKS: &[&str] = &["text", "tool_use", "thinking", "redacted_thinking"];
const DELTAS: &[&str] = &[
    "text_delta",
    "input_json_delta",
    "thinking_delta",
    "signature_delta",
];

/// The `type` of an unrecognised object when it is one of `known`.
fn known_kind<'a>(object: &'a Map<String, Value>, known: &[&str]) -> Option<&'a str> {
    object
        .get("type")
        .and_then(Value::as_str)
        .filter(|kind| known.contains(kind))
}

/// How a content block of the answer is relayed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Block {
    /// As `content`.
    Text,
    /// As the tool call with this OpenAI index.
    Tool(u32),
    /// Not at all (thinking, server tools, ...).
    Ignored,
}

/// Turns the events of one streamed answer into OpenAI chunks.
///
/// - `message_start` gives the first chunk (`role: "assistant"`, empty
///   content) and the message id every chunk carries;
/// - a `tool_use` block's start gives a `tool_calls` delta with its id, name
///   and empty arguments, at an index that counts tool calls only;
/// - `text_delta` gives `content`, `input_json_delta` gives more arguments
///   of its tool call; thinking, signatures and unknown deltas are skipped;
/// - `message_delta` gives a chunk with the mapped `finish_reason`;
/// - `message_stop` ends the answer, with a last chunk of `choices: []` and
///   the usage when `include_usage`;
/// - `ping` and unknown events are skipped; `error` is
///   [`TranslateError::Upstream`].
#[derive(Debug)]
pub struct StreamTranslator {
    model: String,
    created: i64,
    include_usage: bool,
    id: Option<String>,
    usage: anthropic::Usage,
    blocks: HashMap<u32, Block>,
    tool_calls: u32,
    finish_sent: bool,
    stopped: bool,
}

impl StreamTranslator {
    /// A translator for one answer, naming `model` (the model the client
    /// asked for) and stamping chunks `created` (Unix seconds).
    pub fn new(model: &str, created: i64, include_usage: bool) -> StreamTranslator {
        StreamTranslator {
            model: model.to_owned(),
            created,
            include_usage,
            id: None,
            usage: anthropic::Usage::default(),
            blocks: HashMap::new(),
            tool_calls: 0,
            finish_sent: false,
            stopped: false,
        }
    }

    /// Translates one event: its SSE event name (used in error messages) and
    /// data. Events after `message_stop` are ignored.
    pub fn push(
        &mut self,
        event_name: Option<&str>,
        data: &str,
    ) -> Result<Vec<ChatChunk>, TranslateError> {
        if self.stopped {
            return Ok(Vec::new());
        }
        let name = event_name.unwrap_or("message");
        let event: StreamEvent =
            serde_json::from_str(data).map_err(|error| TranslateError::Stream {
                event: name.to_owned(),
                reason: if error.is_syntax() || error.is_eof() {
                    format!("not json ({error})")
                } else {
                    "not a messages stream event".to_owned()
                },
            })?;
        let started = self.id.is_some();
        let out_of_order = |reason: &str| TranslateError::Stream {
            event: name.to_owned(),
            reason: reason.to_owned(),
        };
        let mut chunks = Vec::new();
        match event {
            StreamEvent::MessageStart { message } => {
                if started {
                    return Err(out_of_order("a second message_start"));
                }
                self.id = Some(message.id);
                self.usage = message.usage;
                chunks.push(self.chunk(
                    Delta {
                        role: Some(Role::Assistant),
                        content: Some(String::new()),
                        tool_calls: None,
                    },
                    None,
                ));
            }
            StreamEvent::Other(event) => {
                if let Some(kind) = known_kind(&event, EVENTS) {
                    return Err(out_of_order(&format!("not a valid {kind} event")));
                }
            }
            StreamEvent::Ping => {}
            StreamEvent::Error { error } => {
                return Err(TranslateError::Upstream {
                    kind: error.kind,
                    message: cut(&error.message, 1000),
                });
            }
            _ if !started => return Err(out_of_order("it came before message_start")),
            StreamEvent::ContentBlockStart {
                index,
                content_block,
            } => {
                let block = match content_block {
                    ContentBlock::Text { text } => {
                        if !text.is_empty() {
                            chunks.push(self.content(text));
                        }
                        Block::Text
                    }
                    ContentBlock::ToolUse { id, name, input } => {
                        let k = self.tool_calls;
                        self.tool_calls += 1;
                        let arguments = match &input {
                            Value::Object(map) if map.is_empty() => String::new(),
                            input => compact_arguments(input),
                        };
                        chunks.push(self.tool_call(ToolCallDelta {
                            index: k,
                            id: Some(id),
                            kind: Some("function".to_owned()),
                            function: Some(FunctionCallDelta {
                                name: Some(name),
                                arguments: Some(arguments),
                            }),
                        }));
                        Block::Tool(k)
                    }
                    ContentBlock::Other(block) => {
                        if let Some(kind) = known_kind(&block, BLOCKS) {
                            return Err(out_of_order(&format!("not a valid {kind} block")));
                        }
                        Block::Ignored
                    }
                    _ => Block::Ignored,
                };
                if self.blocks.insert(index, block).is_some() {
                    return Err(out_of_order(&format!("block {index} started twice")));
                }
            }
            StreamEvent::ContentBlockDelta { index, delta } => {
                let Some(&block) = self.blocks.get(&index) else {
                    return Err(out_of_order(&format!("block {index} was never started")));
                };
                if let BlockDelta::Other(delta) = &delta
                    && let Some(kind) = known_kind(delta, DELTAS)
                {
                    return Err(out_of_order(&format!("not a valid {kind}")));
                }
                match (block, delta) {
                    (Block::Text, BlockDelta::TextDelta { text }) => {
                        chunks.push(self.content(text));
                    }
                    // The first piece is often empty: nothing to relay.
                    (Block::Tool(k), BlockDelta::InputJsonDelta { partial_json })
                        if !partial_json.is_empty() =>
                    {
                        chunks.push(self.tool_call(ToolCallDelta {
                            index: k,
                            id: None,
                            kind: None,
                            function: Some(FunctionCallDelta {
                                name: None,
                                arguments: Some(partial_json),
                            }),
                        }));
                    }
                    (Block::Text, BlockDelta::InputJsonDelta { .. }) => {
                        return Err(out_of_order(&format!(
                            "input_json_delta for text block {index}"
                        )));
                    }
                    (Block::Tool(_), BlockDelta::TextDelta { .. }) => {
                        return Err(out_of_order(&format!(
                            "text_delta for tool_use block {index}"
                        )));
                    }
                    _ => {}
                }
            }
            StreamEvent::ContentBlockStop { .. } => {}
            StreamEvent::MessageDelta { delta, usage } => {
                if let Some(usage) = usage {
                    self.usage.output_tokens = usage.output_tokens;
                    if let Some(input) = usage.input_tokens {
                        self.usage.input_tokens = input;
                    }
                    if let Some(created) = usage.cache_creation_input_tokens {
                        self.usage.cache_creation_input_tokens = Some(created);
                    }
                    if let Some(read) = usage.cache_read_input_tokens {
                        self.usage.cache_read_input_tokens = Some(read);
                    }
                }
                if let Some(reason) = delta.stop_reason {
                    chunks.push(self.finish_chunk(finish_reason(&reason)));
                }
            }
            StreamEvent::MessageStop => {
                self.stopped = true;
                if !self.finish_sent {
                    chunks.push(self.finish_chunk(FinishReason::Stop));
                }
                if self.include_usage {
                    chunks.push(ChatChunk {
                        choices: Vec::new(),
                        usage: self.usage(),
                        ..self.chunk(Delta::default(), None)
                    });
                }
            }
        }
        Ok(chunks)
    }

    /// Ends the stream: an error unless `message_stop` arrived. It returns
    /// no chunks today; callers send what it returns before `[DONE]`.
    pub fn finish(&mut self) -> Result<Vec<ChatChunk>, TranslateError> {
        if self.stopped {
            Ok(Vec::new())
        } else {
            Err(TranslateError::Truncated)
        }
    }

    /// Tokens used so far (the final counts once `message_delta` arrived),
    /// cached input counted as prompt tokens; `None` before `message_start`.
    pub fn usage(&self) -> Option<Usage> {
        self.id
            .as_ref()
            .map(|_| Usage::new(self.usage.total_input_tokens(), self.usage.output_tokens))
    }

    fn chunk(&self, delta: Delta, finish_reason: Option<FinishReason>) -> ChatChunk {
        ChatChunk {
            id: self.id.clone().unwrap_or_default(),
            object: ChatChunk::OBJECT.to_owned(),
            created: self.created,
            model: self.model.clone(),
            choices: vec![ChunkChoice {
                index: 0,
                delta,
                finish_reason,
            }],
            usage: None,
        }
    }

    fn content(&self, text: String) -> ChatChunk {
        self.chunk(
            Delta {
                content: Some(text),
                ..Delta::default()
            },
            None,
        )
    }

    fn tool_call(&self, call: ToolCallDelta) -> ChatChunk {
        self.chunk(
            Delta {
                tool_calls: Some(vec![call]),
                ..Delta::default()
            },
            None,
        )
    }

    fn finish_chunk(&mut self, reason: FinishReason) -> ChatChunk {
        self.finish_sent = true;
        self.chunk(Delta::default(), Some(reason))
    }
}
