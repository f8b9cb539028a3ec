//! The client: a pool of idle connections per origin, and the exchange of
//! one request for one response head on a connection from it.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use tokio_rustls::TlsConnector;
use url::Url;

use crate::connection::{Connection, Origin, tls_connector};
use crate::error::Error;
use crate::proxy::Proxies;
use crate::request::Request;
use crate::response::{Head, Response};

/// Timeouts and pool sizes.
#[derive(Debug, Clone)]
pub struct Config {
    /// Opening a connection, TLS handshake included.
    pub connect_timeout: Duration,
    /// The longest wait for more bytes of an answer.
    pub read_timeout: Duration,
    /// Idle connections kept per origin.
    pub max_idle_per_origin: usize,
    /// An idle connection older than this is closed, not reused.
    pub idle_timeout: Duration,
    /// Forward proxies ([`Proxies::from_env`] reads the usual variables).
    pub proxies: Proxies,
}

impl Default for Config {
    /// 10 s to connect, 120 s of silence, 1,024 idle connections per
    /// origin for at most 60 s, no proxy.
    fn default() -> Self {
        Config {
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(120),
            max_idle_per_origin: 1024,
            idle_timeout: Duration::from_secs(60),
            proxies: Proxies::default(),
        }
    }
}

/// An HTTP/1.1 client; clones share the pool.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("config", &self.inner.config)
            .finish()
    }
}

pub(crate) struct Inner {
    pub config: Config,
    idle: Mutex<HashMap<Origin, Vec<Connection>>>,
    tls: OnceLock<Result<TlsConnector, String>>,
}

impl Client {
    pub fn new(config: Config) -> Client {
        Client {
            inner: Arc::new(Inner {
                config,
                idle: Mutex::new(HashMap::new()),
                tls: OnceLock::new(),
            }),
        }
    }

    /// Sends `request` and reads the response's head; the body is read
    /// from the [`Response`]. A pooled connection is checked before reuse;
    /// one the server closed in the moment before the request was written
    /// is replaced by a new one, once. A request once written is never
    /// sent again: the server may have acted on it.
    pub async fn send(&self, request: Request<'_>) -> Result<Response, Error> {
        let url = Url::parse(request.url())
            .map_err(|e| Error::InvalidRequest(format!("url {:?}: {e}", request.url())))?;
        let origin = Origin::of(&url)?;
        let via = self.inner.config.proxies.for_origin(&origin);
        let forward = via.filter(|_| !origin.https);
        let bytes = request.encode(&url, forward)?;
        let head_only = request.method() == "HEAD";
        let mut reuse = true;
        loop {
            let pooled = if reuse {
                self.inner.checkout(&origin)
            } else {
                None
            };
            let reused = pooled.is_some();
            let mut connection = match pooled {
                Some(connection) => connection,
                None => {
                    Connection::open(&origin, via, self.inner.config.connect_timeout, || {
                        self.inner.tls(&origin)
                    })
                    .await?
                }
            };
            match exchange(&mut connection, &bytes, self.inner.config.read_timeout).await {
                Ok(head) => {
                    return Ok(Response::new(
                        head,
                        connection,
                        head_only,
                        Arc::clone(&self.inner),
                        origin,
                    ));
                }
                Err(Exchange::Unsent(_)) if reused => reuse = false,
                Err(Exchange::Unsent(error) | Exchange::Failed(error)) => return Err(error),
            }
        }
    }
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, HashMap<Origin, Vec<Connection>>> {
        self.idle.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The most recently idle connection to `origin` that is not too old.
    fn checkout(&self, origin: &Origin) -> Option<Connection> {
        let mut idle = self.lock();
        let list = idle.get_mut(origin)?;
        let now = Instant::now();
        while let Some(connection) = list.pop() {
            if now.duration_since(connection.idle_since) < self.config.idle_timeout
                && !connection.is_closed_by_peer()
            {
                return Some(connection);
            }
        }
        None
    }

    /// Puts a connection that finished an answer back in the pool.
    pub(crate) fn checkin(&self, origin: Origin, mut connection: Connection) {
        if !connection.buf.is_empty() {
            // Bytes beyond the answer: the connection is out of step.
            return;
        }
        connection.buf = bytes::BytesMut::new();
        connection.idle_since = Instant::now();
        let mut idle = self.lock();
        let list = idle.entry(origin).or_default();
        if list.len() < self.config.max_idle_per_origin {
            list.push(connection);
        }
    }

    fn tls(&self, origin: &Origin) -> Result<TlsConnector, Error> {
        self.tls
            .get_or_init(tls_connector)
            .clone()
            .map_err(|reason| Error::Tls {
                origin: origin.to_string(),
                reason,
            })
    }
}

/// How an exchange failed: `Unsent` when the request could not be
/// written (a pooled connection the server had just closed), `Failed`
/// after it was.
enum Exchange {
    Unsent(Error),
    Failed(Error),
}

/// Writes the request and reads the response head, skipping interim (1xx)
/// responses.
async fn exchange(
    connection: &mut Connection,
    request: &[u8],
    read_timeout: Duration,
) -> Result<Head, Exchange> {
    if let Err(source) = connection.write_all(request).await {
        return Err(Exchange::Unsent(Error::Io {
            what: "sending the request",
            source,
        }));
    }
    loop {
        if !connection.buf.is_empty() {
            match Head::parse(&mut connection.buf).map_err(Exchange::Failed)? {
                Some(head) if head.status < 200 => continue,
                Some(head) => return Ok(head),
                None => {}
            }
        }
        match connection
            .read_more(read_timeout, "waiting for the answer")
            .await
        {
            Ok(0) if connection.buf.is_empty() => {
                return Err(Exchange::Failed(Error::Closed("before answering")));
            }
            Ok(0) => return Err(Exchange::Failed(Error::Closed("in the middle of the head"))),
            Ok(_) => {}
            Err(error) => return Err(Exchange::Failed(error)),
        }
    }
}
