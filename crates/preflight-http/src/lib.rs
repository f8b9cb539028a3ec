//! A small HTTP/1.1 client for talking to model APIs at high concurrency.
//!
//! Each request is written and its answer read by the task that sends it:
//! there is no connection task and no channel between the caller and the
//! socket. An idle connection in the pool holds its socket and nothing
//! else (its read buffer is released), and a connection in use holds one
//! buffer sized to what it has read. Plain TCP and TLS (rustls, with the
//! platform's roots, loaded on the first `https` request) are spoken;
//! bodies are framed by `Content-Length`, chunked transfer coding or the
//! connection's close, as RFC 9112 says. Forward proxies are taken from
//! [`Config::proxies`] (usually [`Proxies::from_env`]).
//!
//! ```no_run
//! # async fn example() -> Result<(), preflight_http::Error> {
//! let client = preflight_http::Client::new(preflight_http::Config::default());
//! let request = preflight_http::Request::post("http://127.0.0.1:8099/v1/chat/completions", b"{}".to_vec())
//!     .header("content-type", "application/json");
//! let response = client.send(request).await?;
//! let body = response.bytes().await?;
//! # let _ = body; Ok(()) }
//! ```

mod body;
mod client;
mod connection;
mod error;
mod proxy;
mod request;
mod response;

pub use body::Body;
pub use client::{Client, Config};
pub use error::Error;
pub use proxy::{Proxies, Proxy};
pub use request::Request;
pub use response::Response;
