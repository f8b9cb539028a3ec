//! A response: its head, parsed once, and its [`Body`].

use std::ops::Range;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};

use crate::body::{Body, Framing};
use crate::client::Inner;
use crate::connection::{Connection, Origin};
use crate::error::Error;

/// The longest response head accepted.
const MAX_HEAD: usize = 64 << 10;
/// The most header fields accepted.
const MAX_HEADERS: usize = 100;

/// A status line and header fields, kept as the bytes received.
#[derive(Debug)]
pub(crate) struct Head {
    pub status: u16,
    /// HTTP/1.1 (true) or HTTP/1.0.
    http11: bool,
    bytes: Bytes,
    /// Name and value ranges in `bytes`.
    fields: Vec<(Range<usize>, Range<usize>)>,
}

impl Head {
    /// Takes a complete head off the front of `buf`; `None` while it is
    /// incomplete.
    pub(crate) fn parse(buf: &mut BytesMut) -> Result<Option<Head>, Error> {
        let mut fields = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut response = httparse::Response::new(&mut fields);
        let length = match response.parse(buf) {
            Ok(httparse::Status::Complete(length)) => length,
            Ok(httparse::Status::Partial) if buf.len() > MAX_HEAD => {
                return Err(Error::InvalidResponse(format!(
                    "a head longer than {MAX_HEAD} bytes"
                )));
            }
            Ok(httparse::Status::Partial) => return Ok(None),
            Err(e) => return Err(Error::InvalidResponse(format!("unreadable head: {e}"))),
        };
        let status = response.code.unwrap_or(0);
        let http11 = response.version == Some(1);
        let base = buf.as_ptr() as usize;
        let at = |slice: &[u8]| {
            let start = slice.as_ptr() as usize - base;
            start..start + slice.len()
        };
        let fields = response
            .headers
            .iter()
            .map(|h| (at(h.name.as_bytes()), at(h.value)))
            .collect();
        let bytes = buf.split_to(length).freeze();
        Ok(Some(Head {
            status,
            http11,
            bytes,
            fields,
        }))
    }

    /// Every value of field `name` (case-insensitive), in order.
    pub(crate) fn values<'a, 'n>(
        &'a self,
        name: &'n str,
    ) -> impl Iterator<Item = &'a [u8]> + use<'a, 'n> {
        self.fields
            .iter()
            .filter(move |(n, _)| self.bytes[n.clone()].eq_ignore_ascii_case(name.as_bytes()))
            .map(|(_, v)| &self.bytes[v.clone()])
    }

    /// Whether the connection may carry another request after this answer.
    fn keep_alive(&self) -> bool {
        let tokens = |token: &str| {
            self.values("connection").any(|v| {
                v.split(|&b| b == b',')
                    .any(|t| t.trim_ascii().eq_ignore_ascii_case(token.as_bytes()))
            })
        };
        if self.http11 {
            !tokens("close")
        } else {
            tokens("keep-alive")
        }
    }

    /// How the body ends (RFC 9112, section 6.3).
    fn framing(&self, head_only: bool) -> Result<Framing, Error> {
        if head_only || self.status == 204 || self.status == 304 {
            return Ok(Framing::Empty);
        }
        if let Some(codings) = self.values("transfer-encoding").last() {
            let last = codings.rsplit(|&b| b == b',').next().unwrap_or_default();
            return Ok(if last.trim_ascii().eq_ignore_ascii_case(b"chunked") {
                Framing::chunked()
            } else {
                Framing::Close
            });
        }
        let mut length = None;
        for value in self.values("content-length") {
            for part in value.split(|&b| b == b',') {
                let text = std::str::from_utf8(part.trim_ascii()).unwrap_or_default();
                let n: u64 = text.parse().map_err(|_| {
                    Error::InvalidResponse(format!(
                        "content-length {:?}",
                        String::from_utf8_lossy(value)
                    ))
                })?;
                if length.is_some_and(|l| l != n) {
                    return Err(Error::InvalidResponse(
                        "content-length given twice, differently".to_owned(),
                    ));
                }
                length = Some(n);
            }
        }
        Ok(match length {
            Some(n) => Framing::Length(n),
            None => Framing::Close,
        })
    }
}

/// A response whose head has been read; its body is read on demand.
#[derive(Debug)]
pub struct Response {
    head: Head,
    body: Body,
}

impl Response {
    pub(crate) fn new(
        head: Head,
        connection: Connection,
        head_only: bool,
        client: Arc<Inner>,
        origin: Origin,
    ) -> Response {
        let framing = head.framing(head_only);
        let keep_alive = head.keep_alive();
        let body = match framing {
            Ok(framing) => Body::new(connection, framing, keep_alive, client, origin),
            Err(error) => Body::failed(error),
        };
        Response { head, body }
    }

    pub fn status(&self) -> u16 {
        self.head.status
    }

    /// The first value of header `name` (case-insensitive), if it is text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.head
            .values(name)
            .next()
            .and_then(|v| std::str::from_utf8(v).ok())
    }

    /// The body, to read piece by piece.
    pub fn into_body(self) -> Body {
        self.body
    }

    /// The whole body.
    pub async fn bytes(self) -> Result<Bytes, Error> {
        self.body.bytes().await
    }
}
