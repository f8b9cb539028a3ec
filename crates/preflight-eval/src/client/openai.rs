//! OpenAI-compatible chat completions: `POST {base}/chat/completions`.

use futures_util::future::BoxFuture;
use preflight_chat::openai::{self, ChatRequest, StreamOptions};
use preflight_chat::sse::SseParser;
use preflight_http::Response;

use super::error::ClientError;
use super::http::{Http, body_error, is_event_stream};
use super::stream::{Accumulator, Answer, Chunk, output_of_answer};
use super::{ClientConfig, GenerateRequest, ModelClient};
use crate::error::shorten;
use crate::model::ModelOutput;
use crate::sample::{ChatMessage, Role};

/// A stream event larger than this is refused rather than buffered.
pub(super) const MAX_EVENT_BYTES: usize = 16 << 20;

/// A client of an OpenAI-compatible server (OpenAI, vLLM, llama.cpp,
/// LiteLLM, the Preflight gateway).
#[derive(Debug)]
pub struct OpenAiClient {
    config: ClientConfig,
    http: Http,
    url: String,
}

impl OpenAiClient {
    pub fn new(config: ClientConfig) -> Result<OpenAiClient, ClientError> {
        Ok(OpenAiClient {
            http: Http::new(&config)?,
            url: format!("{}/chat/completions", config.base_url),
            config,
        })
    }

    async fn send(&self, request: &GenerateRequest) -> Result<ModelOutput, ClientError> {
        let body = chat_request(&self.config.model, request)?;
        let response = self.http.post_json(&self.url, &body).await?;
        if request.stream && is_event_stream(&response) {
            read_stream(response).await
        } else {
            let bytes = response.bytes().await.map_err(body_error)?;
            let answer: Answer =
                serde_json::from_slice(&bytes).map_err(|e| ClientError::InvalidJson {
                    reason: format!("{e} in {}", shorten(&String::from_utf8_lossy(&bytes))),
                })?;
            Ok(output_of_answer(answer))
        }
    }
}

impl ModelClient for OpenAiClient {
    fn model(&self) -> &str {
        &self.config.model
    }

    fn base_url(&self) -> &str {
        &self.config.base_url
    }

    fn provider(&self) -> &str {
        self.config.provider.as_str()
    }

    fn generate<'a>(
        &'a self,
        request: &'a GenerateRequest,
    ) -> BoxFuture<'a, Result<ModelOutput, ClientError>> {
        Box::pin(self.http.within_deadline(&self.url, self.send(request)))
    }
}

/// The chat completions request for `request`, asking for usage in the
/// last chunk when streaming.
pub(super) fn chat_request(
    model: &str,
    request: &GenerateRequest,
) -> Result<ChatRequest, ClientError> {
    let messages = request.messages.iter().map(wire_message).collect();
    let tools = if request.tools.is_empty() {
        None
    } else {
        let tools = request
            .tools
            .iter()
            .enumerate()
            .map(|(i, tool)| {
                serde_json::from_value::<openai::Tool>(tool.clone()).map_err(|e| {
                    ClientError::Request {
                        reason: format!("tools[{i}] is not an openai tool: {e}"),
                    }
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Some(tools)
    };
    Ok(ChatRequest {
        model: model.to_owned(),
        messages,
        stream: request.stream.then_some(true),
        stream_options: request.stream.then(|| StreamOptions {
            include_usage: Some(true),
            extra: Default::default(),
        }),
        tools,
        max_tokens: request.max_tokens,
        temperature: request.temperature,
        ..ChatRequest::default()
    })
}

/// A message in its wire form; an assistant turn that only calls tools
/// has no content.
fn wire_message(message: &ChatMessage) -> openai::Message {
    let mut wire = openai::Message::text(role(message.role), message.content.clone());
    if !message.tool_calls.is_empty() {
        if message.content.is_empty() {
            wire.content = None;
        }
        wire.tool_calls = Some(
            message
                .tool_calls
                .iter()
                .map(|call| openai::ToolCall {
                    id: call.id.clone(),
                    kind: "function".to_owned(),
                    function: openai::FunctionCall {
                        name: call.name.clone(),
                        arguments: call.arguments.clone(),
                    },
                })
                .collect(),
        );
    }
    wire.tool_call_id.clone_from(&message.tool_call_id);
    wire
}

fn role(role: Role) -> openai::Role {
    match role {
        Role::System => openai::Role::System,
        Role::Developer => openai::Role::Developer,
        Role::User => openai::Role::User,
        Role::Assistant => openai::Role::Assistant,
        Role::Tool => openai::Role::Tool,
    }
}

/// Reads chunks until `[DONE]`. A stream that ends without `[DONE]` and
/// without a finish reason was cut short.
async fn read_stream(response: Response) -> Result<ModelOutput, ClientError> {
    let mut parser = SseParser::default();
    let mut answer = Accumulator::default();
    let mut done = false;
    let mut body = response.into_body();
    'read: while let Some(bytes) = body.chunk().await.map_err(body_error)? {
        for event in parser.push(&bytes) {
            let data = event.data.trim();
            if data == "[DONE]" {
                done = true;
                break 'read;
            }
            if !data.is_empty() {
                answer.push(parse_chunk(data)?);
            }
        }
        if parser.buffered_len() > MAX_EVENT_BYTES {
            return Err(ClientError::InvalidJson {
                reason: format!("a stream event longer than {MAX_EVENT_BYTES} bytes"),
            });
        }
    }
    let tail = parser.finish();
    if !done && !answer.finished() {
        let reason = if tail.is_incomplete() {
            "the stream stopped in the middle of an event"
        } else {
            "the stream ended before its last chunk and [DONE]"
        };
        return Err(ClientError::TruncatedStream {
            reason: reason.to_owned(),
        });
    }
    Ok(answer.output())
}

/// A chunk, or the error event some servers send instead.
fn parse_chunk(data: &str) -> Result<Chunk, ClientError> {
    let chunk = serde_json::from_str::<Chunk>(data).map_err(|e| ClientError::InvalidJson {
        reason: format!("stream chunk {}: {e}", shorten(data)),
    })?;
    match &chunk.error {
        None => Ok(chunk),
        Some(error) => Err(ClientError::Server {
            status: 200,
            message: format!(
                "error event in the stream: {}",
                super::http::error_message(format!("{{\"error\":{error}}}").as_bytes())
            ),
        }),
    }
}
