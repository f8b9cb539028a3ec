//! What a load client sends, and its keep-alive HTTP/1.1 connections
//! (hyper, TCP_NODELAY): one request at a time on each.

use anyhow::{Context, Result};
use bytes::Bytes;
use futures_util::StreamExt;
use http_body_util::Full;
use hyper::client::conn::http1::{Connection, SendRequest};
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HOST, HeaderValue};
use hyper::{Method, Request};
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;
use tokio::net::TcpStream;

pub type Sender = SendRequest<Full<Bytes>>;
pub type Driver = Connection<TokioIo<TcpStream>, Full<Bytes>>;

/// Connections opened at once while a measurement sets up.
const CONNECTING_AT_ONCE: usize = 64;

/// One kind of call to one server.
#[derive(Clone, Debug)]
pub struct Endpoint {
    pub addr: SocketAddr,
    pub path: &'static str,
    pub authorization: Option<HeaderValue>,
    pub body: Bytes,
}

impl Endpoint {
    pub fn new(addr: SocketAddr, bearer: Option<&str>, body: serde_json::Value) -> Result<Self> {
        let authorization = bearer
            .map(|t| HeaderValue::from_str(&format!("Bearer {t}")))
            .transpose()
            .context("the bearer token is not a valid header value")?;
        Ok(Self {
            addr,
            path: "/v1/chat/completions",
            authorization,
            body: Bytes::from(serde_json::to_vec(&body)?),
        })
    }

    pub fn request(&self) -> Result<Request<Full<Bytes>>> {
        let mut request = Request::builder()
            .method(Method::POST)
            .uri(self.path)
            .header(HOST, self.addr.to_string())
            .header(CONTENT_TYPE, "application/json");
        if let Some(value) = &self.authorization {
            request = request.header(AUTHORIZATION, value.clone());
        }
        Ok(request.body(Full::new(self.body.clone()))?)
    }
}

/// A new keep-alive connection; the driver must be polled for it to work.
pub async fn connect(addr: SocketAddr) -> Result<(Sender, Driver)> {
    let socket = TcpStream::connect(addr)
        .await
        .with_context(|| format!("connecting to {addr}"))?;
    socket.set_nodelay(true)?;
    let (sender, driver) = hyper::client::conn::http1::handshake(TokioIo::new(socket)).await?;
    Ok((sender, driver))
}

/// `n` connections to `addr`, opened a few dozen at a time.
pub async fn connect_many(addr: SocketAddr, n: usize) -> Result<Vec<(Sender, Driver)>> {
    futures_util::stream::iter(0..n)
        .map(|_| connect(addr))
        .buffer_unordered(CONNECTING_AT_ONCE)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect()
}
