//! A response body, read from its connection as the framing says; at its
//! end the connection goes back to the pool when it can carry another
//! request.

use std::fmt;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};

use crate::client::Inner;
use crate::connection::{Connection, Origin};
use crate::error::Error;

/// The longest chunk-size or trailer line accepted.
const MAX_LINE: usize = 4096;

/// How the body ends.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Framing {
    /// No body.
    Empty,
    /// This many bytes still to come.
    Length(u64),
    /// Chunked transfer coding, at this point of it.
    Chunked(Chunked),
    /// Everything until the server closes the connection.
    Close,
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum Chunked {
    /// Before a chunk-size line.
    Size,
    /// Inside a chunk: this many data bytes to come.
    Data(u64),
    /// After a chunk's data, before its CRLF.
    DataEnd,
    /// After the last chunk: trailer lines until an empty one.
    Trailers,
}

impl Framing {
    pub(crate) fn chunked() -> Framing {
        Framing::Chunked(Chunked::Size)
    }
}

/// A response body.
pub struct Body {
    state: State,
}

enum State {
    Reading {
        connection: Connection,
        framing: Framing,
        keep_alive: bool,
        client: Arc<Inner>,
        origin: Origin,
    },
    Done,
    Failed(Option<Error>),
}

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.state {
            State::Reading { framing, .. } => format!("reading {framing:?}"),
            State::Done => "done".to_owned(),
            State::Failed(_) => "failed".to_owned(),
        };
        f.debug_struct("Body").field("state", &state).finish()
    }
}

/// One step of decoding.
enum Step {
    Data(Bytes),
    End,
    /// More bytes are needed from the connection.
    More,
}

impl Body {
    pub(crate) fn new(
        connection: Connection,
        framing: Framing,
        keep_alive: bool,
        client: Arc<Inner>,
        origin: Origin,
    ) -> Body {
        let keep_alive = keep_alive && !matches!(framing, Framing::Close);
        Body {
            state: State::Reading {
                connection,
                framing,
                keep_alive,
                client,
                origin,
            },
        }
    }

    pub(crate) fn failed(error: Error) -> Body {
        Body {
            state: State::Failed(Some(error)),
        }
    }

    /// The next piece of the body; `None` at its end.
    pub async fn chunk(&mut self) -> Result<Option<Bytes>, Error> {
        loop {
            let State::Reading {
                connection,
                framing,
                ..
            } = &mut self.state
            else {
                return match &mut self.state {
                    State::Failed(error) => Err(error
                        .take()
                        .unwrap_or(Error::Closed("after an earlier error on this body"))),
                    _ => Ok(None),
                };
            };
            let step = match decode(framing, &mut connection.buf) {
                Ok(step) => step,
                Err(error) => {
                    self.state = State::Failed(None);
                    return Err(error);
                }
            };
            match step {
                Step::Data(bytes) => return Ok(Some(bytes)),
                Step::End => {
                    self.finish();
                    return Ok(None);
                }
                Step::More => {}
            }
            let timeout = match &self.state {
                State::Reading { client, .. } => client.config.read_timeout,
                _ => continue,
            };
            let State::Reading {
                connection,
                framing,
                ..
            } = &mut self.state
            else {
                continue;
            };
            match connection.read_more(timeout, "reading the answer").await {
                Ok(0) if matches!(framing, Framing::Close) => {
                    self.state = State::Done;
                    return Ok(None);
                }
                Ok(0) => {
                    self.state = State::Failed(None);
                    return Err(Error::Closed("in the middle of the body"));
                }
                Ok(_) => {}
                Err(error) => {
                    self.state = State::Failed(None);
                    return Err(error);
                }
            }
        }
    }

    /// The rest of the body, whole.
    pub async fn bytes(mut self) -> Result<Bytes, Error> {
        let Some(first) = self.chunk().await? else {
            return Ok(Bytes::new());
        };
        let Some(second) = self.chunk().await? else {
            return Ok(first);
        };
        let mut all = BytesMut::with_capacity(first.len() + second.len());
        all.extend_from_slice(&first);
        all.extend_from_slice(&second);
        while let Some(more) = self.chunk().await? {
            all.extend_from_slice(&more);
        }
        Ok(all.freeze())
    }

    /// At the body's end: the connection back to the pool when it can be.
    fn finish(&mut self) {
        if let State::Reading {
            connection,
            keep_alive: true,
            client,
            origin,
            ..
        } = std::mem::replace(&mut self.state, State::Done)
        {
            client.checkin(origin, connection);
        }
    }
}

/// Takes the next piece of the body off `buf`, as `framing` says.
fn decode(framing: &mut Framing, buf: &mut BytesMut) -> Result<Step, Error> {
    match framing {
        Framing::Empty | Framing::Length(0) => Ok(Step::End),
        Framing::Length(left) => {
            if buf.is_empty() {
                return Ok(Step::More);
            }
            let take = usize::try_from(*left).unwrap_or(usize::MAX).min(buf.len());
            *left -= take as u64;
            Ok(Step::Data(buf.split_to(take).freeze()))
        }
        Framing::Close => {
            if buf.is_empty() {
                Ok(Step::More)
            } else {
                Ok(Step::Data(buf.split().freeze()))
            }
        }
        Framing::Chunked(state) => decode_chunked(state, buf),
    }
}

fn decode_chunked(state: &mut Chunked, buf: &mut BytesMut) -> Result<Step, Error> {
    loop {
        match *state {
            Chunked::Size => {
                let Some(line) = take_line(buf)? else {
                    return Ok(Step::More);
                };
                let digits = line[..]
                    .split(|&b| b == b';')
                    .next()
                    .unwrap_or_default()
                    .trim_ascii();
                let size = std::str::from_utf8(digits)
                    .ok()
                    .filter(|d| !d.is_empty() && d.len() <= 16)
                    .and_then(|d| u64::from_str_radix(d, 16).ok())
                    .ok_or_else(|| {
                        Error::InvalidResponse(format!(
                            "chunk size {:?}",
                            String::from_utf8_lossy(&line)
                        ))
                    })?;
                *state = if size == 0 {
                    Chunked::Trailers
                } else {
                    Chunked::Data(size)
                };
            }
            Chunked::Data(left) => {
                if buf.is_empty() {
                    return Ok(Step::More);
                }
                let take = usize::try_from(left).unwrap_or(usize::MAX).min(buf.len());
                let rest = left - take as u64;
                *state = if rest == 0 {
                    Chunked::DataEnd
                } else {
                    Chunked::Data(rest)
                };
                return Ok(Step::Data(buf.split_to(take).freeze()));
            }
            Chunked::DataEnd => {
                let Some(line) = take_line(buf)? else {
                    return Ok(Step::More);
                };
                if !line.is_empty() {
                    return Err(Error::InvalidResponse(
                        "chunk data longer than its size".to_owned(),
                    ));
                }
                *state = Chunked::Size;
            }
            Chunked::Trailers => {
                let Some(line) = take_line(buf)? else {
                    return Ok(Step::More);
                };
                if line.is_empty() {
                    return Ok(Step::End);
                }
            }
        }
    }
}

/// A line off the front of `buf`, without its CRLF (or bare LF); `None`
/// while it is incomplete.
fn take_line(buf: &mut BytesMut) -> Result<Option<BytesMut>, Error> {
    match buf.iter().position(|&b| b == b'\n') {
        Some(end) => {
            let mut line = buf.split_to(end + 1);
            line.truncate(end);
            if line.last() == Some(&b'\r') {
                line.truncate(end - 1);
            }
            Ok(Some(line))
        }
        None if buf.len() > MAX_LINE => Err(Error::InvalidResponse(format!(
            "a chunk line longer than {MAX_LINE} bytes"
        ))),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(framing: Framing, input: &[u8]) -> (Vec<u8>, bool) {
        let mut framing = framing;
        let mut out = Vec::new();
        let mut buf = BytesMut::new();
        // Fed one byte at a time: every state must wait for more correctly.
        for &byte in input {
            buf.extend_from_slice(&[byte]);
            loop {
                match decode(&mut framing, &mut buf).unwrap_or_else(|e| panic!("{e}")) {
                    Step::Data(bytes) => out.extend_from_slice(&bytes),
                    Step::End => return (out, true),
                    Step::More => break,
                }
            }
        }
        (out, false)
    }

    #[test]
    fn chunked_bodies_byte_by_byte() {
        let input = b"5;ext=1\r\nhello\r\n7\r\n, world\r\n0\r\nx-trailer: 1\r\n\r\n";
        assert_eq!(
            decode_all(Framing::chunked(), input),
            (b"hello, world".to_vec(), true)
        );
        let (out, ended) = decode_all(Framing::chunked(), b"5\r\nhel");
        assert_eq!((out, ended), (b"hel".to_vec(), false));
    }

    #[test]
    fn length_bodies() {
        assert_eq!(
            decode_all(Framing::Length(3), b"abc"),
            (b"abc".to_vec(), true)
        );
        assert_eq!(decode_all(Framing::Length(0), b"x"), (Vec::new(), true));
    }

    #[test]
    fn bad_chunks_are_refused() {
        let mut buf = BytesMut::from(&b"zz\r\n"[..]);
        assert!(decode(&mut Framing::chunked(), &mut buf).is_err());
        let mut framing = Framing::chunked();
        let mut buf = BytesMut::from(&b"2\r\nabc\r\n"[..]);
        assert!(matches!(decode(&mut framing, &mut buf), Ok(Step::Data(_))));
        assert!(decode(&mut framing, &mut buf).is_err());
    }
}
