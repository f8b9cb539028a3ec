//! `/v1/chat/completions`: admit, limit, record the start, call upstream,
//! relay the answer (frame by frame when streamed), record the end.

use crate::GatewayState;
use crate::admission::{admit, internal};
use crate::ended_call::{CallEnd, EndedCall};
use crate::limits::Permit;
use crate::metrics::OutcomeLabel;
use crate::metrics::TokenKindLabel;
use crate::refusal::Refusal;
use crate::relayed_frames::RelayedFrames;
use crate::sent_body::SentBody;
use crate::upstream::Target;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use preflight_chat::openai::{ChatRequest, Usage};
use preflight_chat::sse::SseParser;
use preflight_chat::translate::{self, StreamTranslator};
use preflight_core::submission::UpstreamKind;
use preflight_store::{CallOrigin, CallStarted};
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// Output tokens assumed for a request that sets no limit, when checking
/// the per-minute and total budgets before the call.
const UNBOUNDED_OUTPUT_ESTIMATE: u64 = 256;

/// Longest upstream error message passed on to the caller.
const MAX_UPSTREAM_MESSAGE: usize = 500;

pub(crate) async fn chat_completions(
    State(state): State<GatewayState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let arrived = Instant::now();
    match relay(&state, &headers, body, arrived).await {
        Ok(response) => response,
        Err(refusal) => {
            state.metrics.refused(refusal.code);
            refusal.into_response()
        }
    }
}

/// Prompt tokens guessed from the request's size, about four bytes a token.
fn prompt_estimate(body_len: usize) -> u64 {
    (body_len as u64) / 4 + 1
}

async fn relay(
    state: &GatewayState,
    headers: &HeaderMap,
    body: Bytes,
    arrived: Instant,
) -> Result<Response, Refusal> {
    let admission = admit(state, headers).await?;
    let arriving = state.journal.arriving();
    let mut request: ChatRequest = serde_json::from_slice(&body).map_err(|e| {
        Refusal::invalid(
            "body",
            format!("the body is not a chat completion request: {e}"),
        )
    })?;
    if request.messages.is_empty() {
        return Err(Refusal::invalid("messages", "messages must not be empty"));
    }
    let submission = &admission.submission;
    if request.model != submission.model_name {
        return Err(Refusal::model_not_found(
            &request.model,
            &submission.model_name,
        ));
    }
    let org = admission
        .grant
        .user
        .org_id
        .ok_or_else(|| Refusal::denied("not_a_reviewer", "only reviewers reach the model"))?;
    let key = (submission.id, org);
    if !state.limiter.budget_loaded(key) {
        let used = state
            .store
            .tokens_used(submission.id, org)
            .await
            .map_err(internal)?;
        state.limiter.load_budget(key, used);
    }
    let prompt_guess = prompt_estimate(body.len());
    let estimate = prompt_guess
        + request
            .max_output_tokens()
            .unwrap_or(UNBOUNDED_OUTPUT_ESTIMATE);
    let permit = state
        .limiter
        .admit(key, &admission.limits, estimate, Instant::now())?;
    let target = state
        .upstreams
        .target(state, &submission.upstream, submission.id)
        .await?;

    let streamed = request.is_stream();
    let client_wants_usage = request.include_usage();
    let upstream_model = target
        .model
        .clone()
        .unwrap_or_else(|| submission.model_name.clone());
    let upstream_body = match target.kind {
        UpstreamKind::OpenaiCompatible => {
            request.model = upstream_model;
            if streamed {
                // Ask for the usage chunk; it is dropped again for a caller
                // who did not ask for it.
                request
                    .stream_options
                    .get_or_insert_with(Default::default)
                    .include_usage = Some(true);
            }
            serde_json::to_vec(&request)
        }
        UpstreamKind::AnthropicMessages => {
            let translated = translate::openai_to_anthropic(
                &request,
                &upstream_model,
                state.settings.default_max_tokens,
            )
            .map_err(|e| Refusal::invalid("messages", e.to_string()))?;
            serde_json::to_vec(&translated)
        }
    }
    .map_err(internal)?;

    // Recorded before anything goes upstream: no record, no call.
    let call_id = Uuid::now_v7();
    let origin = CallOrigin {
        org_id: org,
        user_id: admission.grant.user.id,
        token_id: admission.grant.token_id,
        phase: admission.phase.as_str(),
        streamed,
        started_at: state.clock.now(),
    };
    let started = CallStarted::new(call_id, submission.id, &origin);
    if state.journal.record_start(started, arriving).await.is_err() {
        return Err(Refusal::not_recorded());
    }
    let mut record = CallRecord {
        state: state.clone(),
        id: call_id,
        submission_id: submission.id,
        origin,
        model: submission.model_name.clone(),
        arrived,
        request: Box::from(&body[..]),
        prompt_guess,
        permit: Some(permit),
        first_byte: None,
        relayed: RelayedFrames::default(),
        content_chunks: 0,
        usage: None,
        finished: false,
    };

    let sent = Instant::now();
    // On the heap while it runs, so that calls waiting at other steps
    // (most of them, at the journal) do not carry its size.
    let upstream = tokio::time::timeout(
        state.settings.first_byte_timeout,
        Box::pin(target.post(&state.http, upstream_body)),
    )
    .await;
    let too_late = || {
        Refusal::upstream(
            StatusCode::GATEWAY_TIMEOUT,
            "upstream_timeout",
            format!(
                "the model's server did not answer within {} s",
                state.settings.first_byte_timeout.as_secs()
            ),
        )
    };
    let response = match upstream {
        Err(_) => {
            let refusal = too_late();
            record.fail(&refusal, None);
            return Err(refusal);
        }
        Ok(Err(err)) => {
            tracing::warn!(error = %redacted(&err), "upstream call failed");
            let refusal = if err.is_connect() {
                Refusal::upstream(
                    StatusCode::BAD_GATEWAY,
                    "upstream_unreachable",
                    "the model's server could not be reached",
                )
            } else if err.is_timeout() {
                too_late()
            } else {
                Refusal::upstream(
                    StatusCode::BAD_GATEWAY,
                    "upstream_cut",
                    "the model's server closed the connection before answering",
                )
            };
            record.fail(&refusal, None);
            return Err(refusal);
        }
        Ok(Ok(response)) => response,
    };
    let upstream_first_byte = sent.elapsed();
    state
        .metrics
        .upstream_first_byte
        .observe(upstream_first_byte.as_secs_f64());
    let status = response.status();
    if !(200..300).contains(&status) {
        let retry_after = response
            .header("retry-after")
            .and_then(|v| v.trim().parse::<u64>().ok());
        let mut bytes = read_all(response, state.settings.idle_timeout)
            .await
            .unwrap_or_default();
        target.scrub(&mut bytes);
        let refusal = upstream_error(target.kind, status, &bytes, retry_after);
        record.fail(&refusal, Some(&bytes));
        return Err(refusal);
    }
    if streamed {
        return Ok(stream_response(
            record,
            target,
            response,
            client_wants_usage,
            sent,
            upstream_first_byte,
        ));
    }

    let upstream_started = Instant::now();
    let mut bytes = match read_all(response, state.settings.idle_timeout).await {
        Ok(bytes) => bytes,
        Err(refusal) => {
            record.fail(&refusal, None);
            return Err(refusal);
        }
    };
    let upstream_time = upstream_first_byte + upstream_started.elapsed();
    target.scrub(&mut bytes);
    let answer = match parse_answer(
        target.kind,
        &bytes,
        &record.model,
        record.origin.started_at.timestamp(),
    ) {
        Ok(answer) => answer,
        Err(refusal) => {
            record.fail(&refusal, Some(&bytes));
            return Err(refusal);
        }
    };
    let body = serde_json::to_vec(&answer).map_err(internal)?;
    record.usage = usage_of_answer(&answer);
    record.first_byte = Some(arrived.elapsed());
    let added = arrived.elapsed().saturating_sub(upstream_time);
    state.metrics.added_latency.observe(added.as_secs_f64());
    // The call's end (its transcript and event) is recorded once the answer
    // is on its way, not before.
    let body = SentBody::new(Bytes::from(body), move || {
        record.finish("ok", 200, Some(answer));
    });
    Ok((
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        Body::new(body),
    )
        .into_response())
}

/// A transport error without anything that could carry the credential.
fn redacted(err: &preflight_http::Error) -> String {
    let kind = if err.is_connect() {
        "connect"
    } else if err.is_timeout() {
        "timeout"
    } else {
        match err {
            preflight_http::Error::InvalidResponse(_) => "response",
            preflight_http::Error::InvalidRequest(_) => "request",
            _ => "connection",
        }
    };
    format!("{kind} error")
}

async fn read_all(response: preflight_http::Response, idle: Duration) -> Result<Vec<u8>, Refusal> {
    let mut out = Vec::new();
    let mut body = response.into_body();
    loop {
        match tokio::time::timeout(idle, body.chunk()).await {
            Err(_) => {
                return Err(Refusal::upstream(
                    StatusCode::GATEWAY_TIMEOUT,
                    "upstream_timeout",
                    format!(
                        "the model's server stopped sending for {} s",
                        idle.as_secs()
                    ),
                ));
            }
            Ok(Ok(None)) => return Ok(out),
            Ok(Ok(Some(chunk))) => out.extend_from_slice(&chunk),
            Ok(Err(err)) => {
                tracing::warn!(error = %redacted(&err), "upstream body cut");
                return Err(Refusal::upstream(
                    StatusCode::BAD_GATEWAY,
                    "upstream_cut",
                    "the model's server closed the connection before the answer was complete",
                ));
            }
        }
    }
}

/// The upstream's answer as an OpenAI chat completion, named as the review
/// names the model.
fn parse_answer(
    kind: UpstreamKind,
    bytes: &[u8],
    model: &str,
    created: i64,
) -> Result<Value, Refusal> {
    let invalid = || {
        Refusal::upstream(
            StatusCode::BAD_GATEWAY,
            "upstream_invalid_response",
            "the model's server answered with something that is not a chat completion",
        )
    };
    match kind {
        UpstreamKind::OpenaiCompatible => {
            let mut value: Value = serde_json::from_slice(bytes).map_err(|_| invalid())?;
            let object = value.as_object_mut().ok_or_else(invalid)?;
            if !object.contains_key("choices") {
                return Err(invalid());
            }
            object.insert("model".into(), Value::String(model.to_owned()));
            Ok(value)
        }
        UpstreamKind::AnthropicMessages => {
            let message = serde_json::from_slice(bytes).map_err(|_| invalid())?;
            let answer = translate::anthropic_to_openai(message, model, created);
            serde_json::to_value(answer).map_err(|_| invalid())
        }
    }
}

fn usage_of_answer(answer: &Value) -> Option<Usage> {
    serde_json::from_value(answer.get("usage")?.clone()).ok()
}

/// What the caller gets when the upstream answered with an error status.
fn upstream_error(
    kind: UpstreamKind,
    status: u16,
    body: &[u8],
    retry_after: Option<u64>,
) -> Refusal {
    let message = match kind {
        UpstreamKind::AnthropicMessages => Some(
            translate::anthropic_error_to_openai(status, body)
                .error
                .message,
        ),
        UpstreamKind::OpenaiCompatible => {
            serde_json::from_slice::<Value>(body).ok().and_then(|v| {
                v.pointer("/error/message")
                    .or_else(|| v.get("message"))
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            })
        }
    }
    .map(|m| m.chars().take(MAX_UPSTREAM_MESSAGE).collect::<String>());
    let said = message.map(|m| format!(": {m}")).unwrap_or_default();
    match status {
        429 => {
            let mut refusal = Refusal::upstream(
                StatusCode::TOO_MANY_REQUESTS,
                "upstream_rate_limited",
                format!("the model's server is rate limiting{said}"),
            );
            refusal.retry_after_secs = Some(retry_after.unwrap_or(1).max(1));
            refusal
        }
        401 | 403 => Refusal::upstream(
            StatusCode::BAD_GATEWAY,
            "upstream_auth_failed",
            format!(
                "the model's server refused the developer's credential ({status}); tell the developer"
            ),
        ),
        400..=499 => Refusal::upstream(
            StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
            "upstream_rejected",
            format!("the model's server rejected the request ({status}){said}"),
        ),
        _ => Refusal::upstream(
            StatusCode::BAD_GATEWAY,
            "upstream_error",
            format!("the model's server failed ({status}){said}"),
        ),
    }
}

/// Everything needed to record the end of a call. Dropping it unfinished
/// (the caller went away mid-stream) records what was relayed so far.
struct CallRecord {
    state: GatewayState,
    id: Uuid,
    submission_id: preflight_core::ids::SubmissionId,
    origin: CallOrigin,
    model: String,
    arrived: Instant,
    /// The caller's request body, as sent.
    request: Box<[u8]>,
    prompt_guess: u64,
    permit: Option<Permit>,
    first_byte: Option<Duration>,
    /// The stream's pieces as relayed, kept for the transcript.
    relayed: RelayedFrames,
    content_chunks: u64,
    usage: Option<Usage>,
    finished: bool,
}

impl CallRecord {
    fn fail(&mut self, refusal: &Refusal, upstream_body: Option<&[u8]>) {
        let body = upstream_body.map(|b| Value::String(String::from_utf8_lossy(b).into_owned()));
        let answer = json!({ "error": refusal.body()["error"], "upstream_body": body });
        self.finish(refusal.code, refusal.status.as_u16(), Some(answer));
    }

    /// Usage as the upstream reported it, else estimated: the request's
    /// size and one token per streamed content chunk.
    fn settled_usage(&self) -> (Usage, &'static str) {
        match self.usage {
            Some(usage) => (usage, "upstream"),
            None if self.content_chunks > 0 => (
                Usage::new(self.prompt_guess, self.content_chunks),
                "estimated",
            ),
            None => (Usage::default(), "none"),
        }
    }

    fn finish(&mut self, outcome: &str, status: u16, answer: Option<Value>) {
        if self.finished {
            return;
        }
        self.finished = true;
        let (usage, usage_source) = self.settled_usage();
        let total = self.arrived.elapsed();
        let finished_at = self.origin.started_at
            + chrono::Duration::from_std(total).unwrap_or(chrono::Duration::zero());
        if let Some(permit) = self.permit.take() {
            permit.settle(usage.prompt_tokens + usage.completion_tokens);
        }
        let metrics = &self.state.metrics;
        metrics
            .calls
            .get_or_create(&OutcomeLabel {
                outcome: outcome.to_owned(),
                streamed: self.origin.streamed,
            })
            .inc();
        metrics
            .tokens
            .get_or_create(&TokenKindLabel { kind: "prompt" })
            .inc_by(usage.prompt_tokens);
        metrics
            .tokens
            .get_or_create(&TokenKindLabel { kind: "completion" })
            .inc_by(usage.completion_tokens);
        self.state.journal.record_finish(EndedCall::new(CallEnd {
            id: self.id,
            submission_id: self.submission_id,
            origin: self.origin,
            model: std::mem::take(&mut self.model),
            finished_at,
            outcome: outcome.to_owned(),
            status,
            request: std::mem::take(&mut self.request),
            answer,
            relayed: std::mem::take(&mut self.relayed),
            usage,
            usage_source,
            first_byte: self.first_byte,
            total,
        }));
    }
}

impl Drop for CallRecord {
    fn drop(&mut self) {
        if !self.finished {
            self.finish("client_gone", 499, None);
        }
    }
}

/// The streamed answer, relayed as the upstream sends it.
struct StreamRelay {
    record: CallRecord,
    target: Target,
    body: preflight_http::Body,
    parser: SseParser,
    translator: Option<StreamTranslator>,
    client_wants_usage: bool,
    saw_done: bool,
    idle: Duration,
    sent: Instant,
    upstream_first_byte: Duration,
    ended: bool,
    /// A fault found in the frames just relayed, recorded once they are.
    failure: Option<Refusal>,
}

fn stream_response(
    record: CallRecord,
    target: Target,
    response: preflight_http::Response,
    client_wants_usage: bool,
    sent: Instant,
    upstream_first_byte: Duration,
) -> Response {
    let translator = (target.kind == UpstreamKind::AnthropicMessages).then(|| {
        StreamTranslator::new(
            &record.model,
            record.origin.started_at.timestamp(),
            client_wants_usage,
        )
    });
    let relay = StreamRelay {
        idle: record.state.settings.idle_timeout,
        record,
        target,
        body: response.into_body(),
        parser: SseParser::default(),
        translator,
        client_wants_usage,
        saw_done: false,
        sent,
        upstream_first_byte,
        ended: false,
        failure: None,
    };
    let stream = futures_util::stream::unfold(relay, |mut relay| async move {
        let out = relay.next_piece().await?;
        Some((Ok::<_, std::convert::Infallible>(out), relay))
    });
    let mut response = Response::new(Body::from_stream(stream));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
    response
}

fn error_frame(refusal: &Refusal) -> Bytes {
    Bytes::from(format!("data: {}\n\n", refusal.body()))
}

impl StreamRelay {
    /// The next bytes for the caller, or `None` when the answer is over.
    async fn next_piece(&mut self) -> Option<Bytes> {
        loop {
            if self.ended {
                return None;
            }
            let next = tokio::time::timeout(self.idle, self.body.chunk()).await;
            match next {
                Ok(Ok(Some(bytes))) => {
                    let mut out = self.frames(&bytes);
                    if out.is_empty() {
                        continue;
                    }
                    self.target.scrub(&mut out);
                    self.mark_first_byte();
                    self.record.relayed.push(&out);
                    if let Some(refusal) = self.failure.take() {
                        self.ended = true;
                        self.record
                            .finish(refusal.code, refusal.status.as_u16(), None);
                    }
                    return Some(Bytes::from(out));
                }
                Ok(Ok(None)) => return self.end(),
                Ok(Err(err)) => {
                    tracing::warn!(error = %redacted(&err), "upstream stream cut");
                    return self.fail(Refusal::upstream(
                        StatusCode::BAD_GATEWAY,
                        "upstream_cut",
                        "the model's server closed the stream before the answer was complete",
                    ));
                }
                Err(_) => {
                    return self.fail(Refusal::upstream(
                        StatusCode::GATEWAY_TIMEOUT,
                        "upstream_timeout",
                        format!(
                            "the model's server sent nothing for {} s",
                            self.idle.as_secs()
                        ),
                    ));
                }
            }
        }
    }

    fn mark_first_byte(&mut self) {
        if self.record.first_byte.is_none() {
            let to_caller = self.record.arrived.elapsed();
            self.record.first_byte = Some(to_caller);
            let upstream = self
                .upstream_first_byte
                .max(self.sent.elapsed().min(to_caller));
            let added = to_caller.saturating_sub(upstream);
            self.record
                .state
                .metrics
                .added_latency
                .observe(added.as_secs_f64());
        }
    }

    /// The complete frames in `bytes`, as the caller should get them.
    fn frames(&mut self, bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(bytes.len() + 16);
        for frame in self.parser.push_frames(bytes) {
            let Some(event) = frame.event else {
                if self.translator.is_none() {
                    out.extend_from_slice(&frame.raw);
                }
                continue;
            };
            match &mut self.translator {
                None => {
                    let data = event.data.trim();
                    if data == "[DONE]" {
                        self.saw_done = true;
                        out.extend_from_slice(&frame.raw);
                        continue;
                    }
                    let Ok(mut chunk) = serde_json::from_str::<Value>(data) else {
                        self.fail_in_frames(
                            &mut out,
                            Refusal::upstream(
                                StatusCode::BAD_GATEWAY,
                                "upstream_invalid_response",
                                "the model's server sent a stream chunk that is not JSON",
                            ),
                        );
                        break;
                    };
                    let usage = chunk
                        .get("usage")
                        .filter(|u| !u.is_null())
                        .and_then(|u| serde_json::from_value::<Usage>(u.clone()).ok());
                    let no_choices = chunk
                        .get("choices")
                        .and_then(Value::as_array)
                        .is_none_or(Vec::is_empty);
                    if let Some(usage) = usage {
                        self.record.usage = Some(usage);
                        if no_choices && !self.client_wants_usage {
                            continue;
                        }
                    }
                    if !no_choices {
                        self.record.content_chunks += 1;
                    }
                    let model = &self.record.model;
                    if chunk
                        .get("model")
                        .and_then(Value::as_str)
                        .is_some_and(|m| m != model)
                    {
                        chunk["model"] = Value::String(model.clone());
                        out.extend_from_slice(format!("data: {chunk}\n\n").as_bytes());
                    } else {
                        out.extend_from_slice(&frame.raw);
                    }
                }
                Some(translator) => match translator.push(event.event.as_deref(), &event.data) {
                    Ok(chunks) => {
                        for chunk in chunks {
                            if let Ok(json) = serde_json::to_string(&chunk) {
                                out.extend_from_slice(b"data: ");
                                out.extend_from_slice(json.as_bytes());
                                out.extend_from_slice(b"\n\n");
                            }
                            self.record.content_chunks += 1;
                        }
                        if let Some(usage) = translator.usage() {
                            self.record.usage = Some(usage);
                        }
                        if event.event.as_deref() == Some("message_stop") {
                            self.saw_done = true;
                            out.extend_from_slice(b"data: [DONE]\n\n");
                        }
                    }
                    Err(err) => {
                        self.fail_in_frames(
                            &mut out,
                            Refusal::upstream(
                                StatusCode::BAD_GATEWAY,
                                "upstream_error",
                                format!("the model's server reported an error mid-stream: {err}"),
                            ),
                        );
                        break;
                    }
                },
            }
        }
        out
    }

    /// Ends the relay after `out` with an error frame for `refusal`.
    fn fail_in_frames(&mut self, out: &mut Vec<u8>, refusal: Refusal) {
        out.extend_from_slice(&error_frame(&refusal));
        self.failure = Some(refusal);
    }

    fn end(&mut self) -> Option<Bytes> {
        let tail = self.parser.finish();
        let complete = self.saw_done
            && !tail.is_incomplete()
            && self.translator.as_mut().is_none_or(|t| t.finish().is_ok());
        if complete {
            self.ended = true;
            self.record.finish("ok", 200, None);
            return None;
        }
        self.fail(Refusal::upstream(
            StatusCode::BAD_GATEWAY,
            "upstream_cut",
            "the model's server ended the stream before the answer was complete",
        ))
    }

    fn fail(&mut self, refusal: Refusal) -> Option<Bytes> {
        self.ended = true;
        let frame = error_frame(&refusal);
        self.mark_first_byte();
        self.record.relayed.push(&frame);
        self.record
            .finish(refusal.code, refusal.status.as_u16(), None);
        Some(frame)
    }
}
