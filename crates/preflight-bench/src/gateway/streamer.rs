//! The fake model for streamed calls: every `POST` is answered with a
//! server-sent-event stream of `chunks` chat-completion chunks, the first at
//! once and each next one `delay` later, then a usage chunk and
//! `data: [DONE]`. Runs in the bench process (tokio + hyper, TCP_NODELAY).

use anyhow::Result;
use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use http_body_util::{BodyExt, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderValue};
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

type Chunks = Pin<Box<dyn Stream<Item = Result<Frame<Bytes>, Infallible>> + Send>>;

/// How the fake model streams.
#[derive(Clone, Copy, Debug)]
pub struct Shape {
    pub chunks: usize,
    pub delay: Duration,
}

/// The running fake; [`Streamer::stop`] ends it and its connections.
#[derive(Debug)]
pub struct Streamer {
    pub addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Streamer {
    pub async fn start(shape: Shape) -> Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(accept(listener, shape, stopped));
        Ok(Self { addr, stop, task })
    }

    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

async fn accept(listener: TcpListener, shape: Shape, mut stop: watch::Receiver<bool>) {
    let events = Arc::new(Events::new(shape.chunks));
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = stop.changed() => break,
            accepted = listener.accept() => {
                let Ok((socket, _)) = accepted else { continue };
                let _ = socket.set_nodelay(true);
                let events = events.clone();
                connections.spawn(async move {
                    let service = service_fn(move |req| answer(req, shape, events.clone()));
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(socket), service)
                        .await;
                });
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    connections.abort_all();
    while connections.join_next().await.is_some() {}
}

async fn answer(
    req: Request<Incoming>,
    shape: Shape,
    events: Arc<Events>,
) -> Result<Response<StreamBody<Chunks>>, Infallible> {
    // The request is read whole, as a model server would.
    let _ = req.into_body().collect().await;
    let n = shape.chunks;
    let frames: Chunks = Box::pin(
        futures_util::stream::unfold(0usize, move |i| {
            let events = events.clone();
            async move {
                if i > n {
                    return None;
                }
                if i > 0 && i < n {
                    tokio::time::sleep(shape.delay).await;
                }
                Some((events.at(i, n), i + 1))
            }
        })
        .map(|bytes| Ok(Frame::data(bytes))),
    );
    let mut response = Response::new(StreamBody::new(frames));
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Ok(response)
}

/// The stream's events, made once: each stream sends the same bytes.
#[derive(Debug)]
struct Events {
    first: Bytes,
    middle: Bytes,
    last: Bytes,
    /// The usage chunk and the end of the stream.
    tail: Bytes,
}

impl Events {
    fn new(chunks: usize) -> Self {
        let chunk = |delta: Value, finish: Value| {
            event(&json!({
                "id": "chatcmpl-bench",
                "object": "chat.completion.chunk",
                "created": 1_767_225_600,
                "model": "frontier",
                "choices": [{ "index": 0, "delta": delta, "logprobs": null, "finish_reason": finish }],
            }))
        };
        let usage = json!({
            "id": "chatcmpl-bench",
            "object": "chat.completion.chunk",
            "created": 1_767_225_600,
            "model": "frontier",
            "choices": [],
            "usage": { "prompt_tokens": 14, "completion_tokens": chunks, "total_tokens": chunks + 14 },
        });
        let first = json!({ "role": "assistant", "content": "tok" });
        Self {
            first: chunk(first, Value::Null),
            middle: chunk(json!({ "content": " tok" }), Value::Null),
            last: chunk(json!({ "content": "" }), json!("stop")),
            tail: Bytes::from([event(&usage), Bytes::from_static(b"data: [DONE]\n\n")].concat()),
        }
    }

    /// What is sent at step `i` of a stream of `n` chunks (`n` is the tail).
    fn at(&self, i: usize, n: usize) -> Bytes {
        match i {
            i if i == n => self.tail.clone(),
            0 => self.first.clone(),
            i if i + 1 == n => self.last.clone(),
            _ => self.middle.clone(),
        }
    }
}

fn event(value: &Value) -> Bytes {
    Bytes::from(format!("data: {value}\n\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stream_is_json_events_then_usage_and_done() {
        let events = Events::new(3);
        let text: Vec<u8> = (0..=3).flat_map(|i| events.at(i, 3).to_vec()).collect();
        let text = String::from_utf8(text).expect("utf-8");
        let data: Vec<&str> = text
            .split_terminator("\n\n")
            .map(|e| e.strip_prefix("data: ").expect("a data event"))
            .collect();
        assert_eq!(data.len(), 5);
        assert_eq!(data[4], "[DONE]");
        let chunks: Vec<Value> = data[..4]
            .iter()
            .map(|d| serde_json::from_str(d).expect("json"))
            .collect();
        assert_eq!(chunks[0]["choices"][0]["delta"]["role"], "assistant");
        assert_eq!(chunks[2]["choices"][0]["finish_reason"], "stop");
        assert_eq!(chunks[3]["usage"]["completion_tokens"], 3);
    }
}
