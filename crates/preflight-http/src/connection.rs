//! One connection to an origin: its socket (plain or TLS) and the bytes
//! read from it and not yet handed out.

use std::fmt;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::BytesMut;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;
use url::{Host, Url};

use crate::error::{CONNECTING, Error};
use crate::proxy::Proxy;

/// The buffer of an answer's first read: most model answers fit.
const FIRST_READ: usize = 2048;
/// What the buffer grows by when less than a quarter of it is free.
const READ_SIZE: usize = 8192;

/// Scheme, host and port: what a pooled connection can be reused for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Origin {
    pub https: bool,
    pub host: String,
    pub port: u16,
}

impl Origin {
    pub(crate) fn of(url: &Url) -> Result<Origin, Error> {
        let https = match url.scheme() {
            "http" => false,
            "https" => true,
            other => {
                return Err(Error::InvalidRequest(format!(
                    "{url}: scheme {other:?} (http or https)"
                )));
            }
        };
        let host = match url.host() {
            Some(Host::Domain(name)) => name.to_owned(),
            Some(Host::Ipv4(ip)) => ip.to_string(),
            Some(Host::Ipv6(ip)) => ip.to_string(),
            None => return Err(Error::InvalidRequest(format!("{url} has no host"))),
        };
        let port = url
            .port_or_known_default()
            .ok_or_else(|| Error::InvalidRequest(format!("{url} has no port")))?;
        Ok(Origin { https, host, port })
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = if self.https { "https" } else { "http" };
        if self.host.contains(':') {
            write!(f, "{scheme}://[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{scheme}://{}:{}", self.host, self.port)
        }
    }
}

/// A socket, plain or TLS.
enum Stream {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

/// An open connection and its unread bytes.
pub(crate) struct Connection {
    stream: Stream,
    pub buf: BytesMut,
    /// When it went back to the pool.
    pub idle_since: Instant,
}

impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection")
            .field("tls", &matches!(self.stream, Stream::Tls(_)))
            .field("buffered", &self.buf.len())
            .finish()
    }
}

impl Connection {
    /// Opens a connection to `origin` (TLS through `tls` for https),
    /// through `via` when a proxy is on the way: a CONNECT tunnel for https,
    /// the proxy itself for http.
    pub(crate) async fn open(
        origin: &Origin,
        via: Option<&Proxy>,
        timeout: Duration,
        tls: impl FnOnce() -> Result<TlsConnector, Error>,
    ) -> Result<Connection, Error> {
        let peer = via.map_or(origin, |proxy| &proxy.origin);
        let connect = TcpStream::connect((peer.host.as_str(), peer.port));
        let tcp = match tokio::time::timeout(timeout, connect).await {
            Ok(Ok(tcp)) => tcp,
            Ok(Err(source)) => {
                return Err(Error::Connect {
                    origin: peer.to_string(),
                    source,
                });
            }
            Err(_) => {
                return Err(Error::Timeout {
                    what: CONNECTING[0],
                    after: timeout,
                });
            }
        };
        tcp.set_nodelay(true).map_err(|source| Error::Connect {
            origin: origin.to_string(),
            source,
        })?;
        let mut tcp = tcp;
        if let (Some(proxy), true) = (via, origin.https) {
            match tokio::time::timeout(timeout, tunnel(&mut tcp, origin, proxy)).await {
                Ok(result) => result?,
                Err(_) => {
                    return Err(Error::Timeout {
                        what: CONNECTING[2],
                        after: timeout,
                    });
                }
            }
        }
        let stream = if origin.https {
            let connector = tls()?;
            let name =
                rustls::pki_types::ServerName::try_from(origin.host.clone()).map_err(|e| {
                    Error::Tls {
                        origin: origin.to_string(),
                        reason: e.to_string(),
                    }
                })?;
            let handshake = connector.connect(name, tcp);
            match tokio::time::timeout(timeout, handshake).await {
                Ok(Ok(tls)) => Stream::Tls(Box::new(tls)),
                Ok(Err(e)) => {
                    return Err(Error::Tls {
                        origin: origin.to_string(),
                        reason: e.to_string(),
                    });
                }
                Err(_) => {
                    return Err(Error::Timeout {
                        what: CONNECTING[1],
                        after: timeout,
                    });
                }
            }
        } else {
            Stream::Plain(tcp)
        };
        Ok(Connection {
            stream,
            buf: BytesMut::new(),
            idle_since: Instant::now(),
        })
    }

    /// Whether the server closed this idle connection (or sent bytes no
    /// request asked for), seen without waiting.
    pub(crate) fn is_closed_by_peer(&self) -> bool {
        let tcp = match &self.stream {
            Stream::Plain(tcp) => tcp,
            Stream::Tls(tls) => tls.get_ref().0,
        };
        let mut byte = [std::mem::MaybeUninit::<u8>::uninit(); 1];
        match socket2::SockRef::from(tcp).peek(&mut byte) {
            Err(e) => e.kind() != io::ErrorKind::WouldBlock,
            Ok(_) => true,
        }
    }

    /// Writes all of `bytes`.
    pub(crate) async fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.stream.write_all(bytes).await?;
        self.stream.flush().await
    }

    /// Reads more bytes into the buffer, waiting at most `timeout`; 0 at
    /// the end of the stream.
    pub(crate) async fn read_more(
        &mut self,
        timeout: Duration,
        what: &'static str,
    ) -> Result<usize, Error> {
        if self.buf.capacity() == 0 {
            self.buf.reserve(FIRST_READ);
        } else if self.buf.capacity() - self.buf.len() < READ_SIZE / 4 {
            self.buf.reserve(READ_SIZE);
        }
        match tokio::time::timeout(timeout, self.stream.read_buf(&mut self.buf)).await {
            Ok(Ok(n)) => Ok(n),
            Ok(Err(source)) => Err(Error::Io { what, source }),
            Err(_) => Err(Error::Timeout {
                what,
                after: timeout,
            }),
        }
    }
}

/// Asks `proxy` for a tunnel to `origin` (RFC 9110, CONNECT).
async fn tunnel(tcp: &mut TcpStream, origin: &Origin, proxy: &Proxy) -> Result<(), Error> {
    let authority = if origin.host.contains(':') {
        format!("[{}]:{}", origin.host, origin.port)
    } else {
        format!("{}:{}", origin.host, origin.port)
    };
    let mut head = format!("CONNECT {authority} HTTP/1.1\r\nhost: {authority}\r\n");
    if let Some(authorization) = &proxy.authorization {
        head.push_str("proxy-authorization: ");
        head.push_str(authorization);
        head.push_str("\r\n");
    }
    head.push_str("\r\n");
    let io = |source| Error::Io {
        what: CONNECTING[2],
        source,
    };
    tcp.write_all(head.as_bytes()).await.map_err(io)?;
    let mut buf = BytesMut::with_capacity(1024);
    loop {
        if tcp.read_buf(&mut buf).await.map_err(io)? == 0 {
            return Err(Error::Closed("before answering the CONNECT request"));
        }
        let mut fields = [httparse::EMPTY_HEADER; 64];
        let mut response = httparse::Response::new(&mut fields);
        match response.parse(&buf) {
            Ok(httparse::Status::Complete(length)) => {
                let status = response.code.unwrap_or(0);
                if !(200..300).contains(&status) {
                    return Err(Error::Connect {
                        origin: proxy.origin.to_string(),
                        source: io::Error::other(format!(
                            "the proxy refused a tunnel to {authority} with status {status}"
                        )),
                    });
                }
                if buf.len() > length {
                    return Err(Error::InvalidResponse(
                        "the proxy sent bytes after accepting the tunnel".to_owned(),
                    ));
                }
                return Ok(());
            }
            Ok(httparse::Status::Partial) if buf.len() > 16 << 10 => {
                return Err(Error::InvalidResponse(
                    "the proxy's answer to CONNECT is too long".to_owned(),
                ));
            }
            Ok(httparse::Status::Partial) => {}
            Err(e) => {
                return Err(Error::InvalidResponse(format!(
                    "the proxy's answer to CONNECT: {e}"
                )));
            }
        }
    }
}

/// A TLS connector trusting the platform's roots.
pub(crate) fn tls_connector() -> Result<TlsConnector, String> {
    let found = rustls_native_certs::load_native_certs();
    let mut roots = rustls::RootCertStore::empty();
    let (added, _) = roots.add_parsable_certificates(found.certs);
    if added == 0 {
        let errors: Vec<String> = found.errors.iter().map(|e| e.to_string()).collect();
        return Err(format!(
            "no trusted root certificate found on this system ({})",
            errors.join("; ")
        ));
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsConnector::from(Arc::new(config)))
}
