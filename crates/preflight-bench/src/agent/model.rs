//! The instant fake model: an OpenAI-compatible `POST /v1/chat/completions`
//! in the bench process (tokio + hyper, TCP_NODELAY) that answers at once
//! with one native tool call. Turn `k` of a sample (one more than the
//! assistant messages in the request) runs bash `true` when `k` is odd and
//! `cat note.txt` when it is even; turn `turns` submits the flag. It keeps
//! its own handling time per request, so the client's share of a model call
//! can be told from the fake's.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::Result;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

use crate::stats::Latencies;

/// What the fake answers.
#[derive(Debug, Clone)]
pub struct Script {
    /// The turn that submits; every earlier turn calls bash.
    pub turns: u32,
    pub flag: String,
}

/// The running fake; [`FakeModel::stop`] ends it and its connections.
#[derive(Debug)]
pub struct FakeModel {
    pub addr: SocketAddr,
    handled: Arc<Mutex<Latencies>>,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl FakeModel {
    pub async fn start(script: Script) -> Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = watch::channel(false);
        let handled = Arc::new(Mutex::new(Latencies::default()));
        let task = tokio::spawn(accept(listener, Arc::new(script), handled.clone(), stopped));
        Ok(Self {
            addr,
            handled,
            stop,
            task,
        })
    }

    /// The base URL a client is given.
    pub fn url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// The fake's own time per request (body read, request parsed, answer
    /// built) since the last call.
    pub fn take_handled(&self) -> Latencies {
        std::mem::take(&mut *self.handled.lock().unwrap_or_else(|p| p.into_inner()))
    }

    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

async fn accept(
    listener: TcpListener,
    script: Arc<Script>,
    handled: Arc<Mutex<Latencies>>,
    mut stop: watch::Receiver<bool>,
) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = stop.changed() => break,
            accepted = listener.accept() => {
                let Ok((socket, _)) = accepted else { continue };
                let _ = socket.set_nodelay(true);
                let (script, handled) = (script.clone(), handled.clone());
                connections.spawn(async move {
                    let service =
                        service_fn(move |req| answer(req, script.clone(), handled.clone()));
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
    script: Arc<Script>,
    handled: Arc<Mutex<Latencies>>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let started = Instant::now();
    let body = match req.into_body().collect().await {
        Ok(body) => body.to_bytes(),
        Err(_) => return Ok(status(StatusCode::BAD_REQUEST)),
    };
    let Ok(request) = serde_json::from_slice::<Value>(&body) else {
        return Ok(status(StatusCode::BAD_REQUEST));
    };
    let body = Bytes::from(completion(&script, turn_of(&request)).to_string());
    let mut response = Response::new(Full::new(body));
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    handled
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push(started.elapsed());
    Ok(response)
}

fn status(code: StatusCode) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = code;
    response
}

/// The turn a request asks for: one more than the assistant messages in it.
fn turn_of(request: &Value) -> u32 {
    let answered = request["messages"].as_array().map_or(0, |messages| {
        messages.iter().filter(|m| m["role"] == "assistant").count()
    });
    u32::try_from(answered)
        .unwrap_or(u32::MAX)
        .saturating_add(1)
}

/// The chat completion of `turn`: one tool call.
fn completion(script: &Script, turn: u32) -> Value {
    let (name, arguments) = if turn >= script.turns {
        ("submit", json!({ "answer": script.flag }))
    } else if turn % 2 == 1 {
        ("bash", json!({ "cmd": "true" }))
    } else {
        ("bash", json!({ "cmd": "cat note.txt" }))
    };
    json!({
        "id": "chatcmpl-bench",
        "object": "chat.completion",
        "created": 1_767_225_600,
        "model": "instant",
        "choices": [{
            "index": 0,
            "message": {
                "role": "assistant",
                "content": null,
                "tool_calls": [{
                    "id": format!("call_{turn}"),
                    "type": "function",
                    "function": { "name": name, "arguments": arguments.to_string() },
                }],
            },
            "finish_reason": "tool_calls",
        }],
        "usage": { "prompt_tokens": 50, "completion_tokens": 10, "total_tokens": 60 },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(turn: u32) -> (String, Value) {
        let script = Script {
            turns: 4,
            flag: "flag{x}".into(),
        };
        let answer = completion(&script, turn);
        let function = &answer["choices"][0]["message"]["tool_calls"][0]["function"];
        let arguments = function["arguments"].as_str().expect("arguments");
        (
            function["name"].as_str().expect("a name").to_owned(),
            serde_json::from_str(arguments).expect("JSON arguments"),
        )
    }

    #[test]
    fn bash_alternates_until_the_last_turn_submits() {
        assert_eq!(call(1), ("bash".into(), json!({"cmd": "true"})));
        assert_eq!(call(2), ("bash".into(), json!({"cmd": "cat note.txt"})));
        assert_eq!(call(3), ("bash".into(), json!({"cmd": "true"})));
        assert_eq!(call(4), ("submit".into(), json!({"answer": "flag{x}"})));
    }

    #[test]
    fn the_turn_is_counted_from_the_assistant_messages() {
        let request = json!({"messages": [
            {"role": "system", "content": "s"},
            {"role": "user", "content": "u"},
            {"role": "assistant", "content": null},
            {"role": "tool", "content": "t"},
        ]});
        assert_eq!(turn_of(&request), 2);
        assert_eq!(turn_of(&json!({"messages": []})), 1);
    }
}
