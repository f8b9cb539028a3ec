//! The Anthropic Messages API (`POST {base}/messages`), spoken through
//! `preflight-chat`'s translation: the request is built as an OpenAI one and
//! translated, the answer (whole or streamed) translated back.

use futures_util::future::BoxFuture;
use preflight_chat::anthropic::MessagesResponse;
use preflight_chat::sse::SseParser;
use preflight_chat::translate::{
    StreamTranslator, TranslateError, anthropic_to_openai, openai_to_anthropic,
};
use preflight_http::Response;

use super::error::ClientError;
use super::http::{Http, body_error, is_event_stream};
use super::openai::{MAX_EVENT_BYTES, chat_request};
use super::stream::{Accumulator, Answer, Chunk, output_of_answer};
use super::{ClientConfig, GenerateRequest, ModelClient};
use crate::error::shorten;
use crate::model::ModelOutput;

/// A client of the Anthropic Messages API.
#[derive(Debug)]
pub struct AnthropicClient {
    config: ClientConfig,
    http: Http,
    url: String,
}

impl AnthropicClient {
    pub fn new(config: ClientConfig) -> Result<AnthropicClient, ClientError> {
        Ok(AnthropicClient {
            http: Http::new(&config)?,
            url: format!("{}/messages", config.base_url),
            config,
        })
    }

    async fn send(&self, request: &GenerateRequest) -> Result<ModelOutput, ClientError> {
        let chat = chat_request(&self.config.model, request)?;
        let mut body =
            openai_to_anthropic(&chat, &self.config.model, self.config.default_max_tokens)
                .map_err(|e| ClientError::Request {
                    reason: e.to_string(),
                })?;
        body.stream = request.stream.then_some(true);
        let response = self.http.post_json(&self.url, &body).await?;
        if request.stream && is_event_stream(&response) {
            read_stream(response, &self.config.model).await
        } else {
            let bytes = response.bytes().await.map_err(body_error)?;
            let answer: MessagesResponse =
                serde_json::from_slice(&bytes).map_err(|e| ClientError::InvalidJson {
                    reason: format!("{e} in {}", shorten(&String::from_utf8_lossy(&bytes))),
                })?;
            let chat = anthropic_to_openai(answer, &self.config.model, 0);
            Ok(output_of_answer(Answer {
                choices: chat.choices,
                usage: chat.usage,
            }))
        }
    }
}

impl ModelClient for AnthropicClient {
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

async fn read_stream(response: Response, model: &str) -> Result<ModelOutput, ClientError> {
    let mut parser = SseParser::default();
    let mut translator = StreamTranslator::new(model, 0, true);
    let mut answer = Accumulator::default();
    let mut body = response.into_body();
    while let Some(bytes) = body.chunk().await.map_err(body_error)? {
        for event in parser.push(&bytes) {
            let chunks = translator
                .push(event.event.as_deref(), &event.data)
                .map_err(stream_error)?;
            for chunk in chunks {
                answer.push(Chunk {
                    choices: chunk.choices,
                    usage: chunk.usage,
                    error: None,
                });
            }
        }
        if parser.buffered_len() > MAX_EVENT_BYTES {
            return Err(ClientError::InvalidJson {
                reason: format!("a stream event longer than {MAX_EVENT_BYTES} bytes"),
            });
        }
    }
    let _ = parser.finish();
    translator.finish().map_err(stream_error)?;
    answer.set_usage(translator.usage());
    Ok(answer.output())
}

fn stream_error(error: TranslateError) -> ClientError {
    match error {
        TranslateError::Truncated => ClientError::TruncatedStream {
            reason: "the stream ended before message_stop".to_owned(),
        },
        TranslateError::Upstream { kind, message } if kind == "rate_limit_error" => {
            ClientError::RateLimited {
                retry_after: None,
                message,
            }
        }
        TranslateError::Upstream { kind, message } => ClientError::Server {
            status: if kind == "overloaded_error" { 529 } else { 500 },
            message: format!("{kind}: {message}"),
        },
        other => ClientError::InvalidJson {
            reason: other.to_string(),
        },
    }
}
