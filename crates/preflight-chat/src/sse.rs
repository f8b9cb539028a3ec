//! Server-Sent Events, parsed incrementally as the WHATWG HTML standard
//! ("Server-sent events", "Event stream interpretation") describes.
//!
//! Bytes arrive in arbitrary chunks; [`SseParser`] buffers the frame in
//! progress and yields each complete one. A frame is everything up to and
//! including the blank line that ends it; [`SseFrame::raw`] holds exactly
//! those bytes, so the concatenation of every frame's `raw` and the final
//! [`SseTail::raw`] is the input, byte for byte. A relay forwards `raw`
//! instead of re-encoding the event.

use std::fmt::Write as _;

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// One dispatched event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    /// The `event:` field; `None` when absent or empty (the type `message`).
    pub event: Option<String>,
    /// The `data:` lines joined with `\n`.
    pub data: String,
    /// The last event ID at dispatch time (it persists across events, as the
    /// standard says); `None` while it is empty.
    pub id: Option<String>,
}

/// A complete frame: its bytes as received and the event it dispatched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseFrame {
    /// The frame's bytes, from the end of the previous frame through the
    /// blank line ending this one, comments and line endings included.
    pub raw: Vec<u8>,
    /// The event, or `None` for a frame that dispatches nothing (only
    /// comments such as keep-alives, or fields without `data:`).
    pub event: Option<SseEvent>,
}

/// What was left when the stream ended; see [`SseParser::finish`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use = "an incomplete tail means the stream was cut mid-frame"]
pub struct SseTail {
    /// The bytes received after the last complete frame.
    pub raw: Vec<u8>,
}

impl SseTail {
    /// Whether the leftover bytes are the start of a frame that never ended,
    /// i.e. anything other than line terminators: the stream was cut.
    pub fn is_incomplete(&self) -> bool {
        self.raw.iter().any(|&b| b != b'\n' && b != b'\r')
    }
}

/// An incremental event-stream parser; one per stream.
#[derive(Debug, Default)]
pub struct SseParser {
    /// Bytes of the frame in progress.
    buf: Vec<u8>,
    /// Where the current (unterminated) line starts in `buf`.
    line_start: usize,
    /// Where to continue looking for a line terminator in `buf`.
    scan: usize,
    /// The last line ended with CR at the end of the input seen so far: an
    /// LF arriving next belongs to that terminator.
    after_cr: bool,
    fields: Fields,
}

/// The buffers the standard keeps while interpreting a stream.
#[derive(Debug, Default)]
struct Fields {
    /// A line has been processed (the BOM is only stripped before the first).
    started: bool,
    data: String,
    has_data: bool,
    event_type: String,
    last_event_id: String,
    retry: Option<u64>,
}

impl SseParser {
    /// Feeds the next bytes and returns the events they complete. Frames that
    /// dispatch nothing are skipped; use [`SseParser::push_frames`] to get
    /// every frame with its raw bytes.
    pub fn push(&mut self, bytes: &[u8]) -> Vec<SseEvent> {
        self.push_frames(bytes)
            .into_iter()
            .filter_map(|frame| frame.event)
            .collect()
    }

    /// Feeds the next bytes and returns the frames they complete, each with
    /// its raw bytes.
    pub fn push_frames(&mut self, bytes: &[u8]) -> Vec<SseFrame> {
        self.buf.extend_from_slice(bytes);
        let mut frames = Vec::new();
        loop {
            if self.after_cr {
                let Some(&next) = self.buf.get(self.scan) else {
                    break;
                };
                self.after_cr = false;
                if next == b'\n' {
                    self.scan += 1;
                    self.line_start = self.scan;
                }
            }
            let Some(offset) = self.buf[self.scan..]
                .iter()
                .position(|&b| b == b'\n' || b == b'\r')
            else {
                self.scan = self.buf.len();
                break;
            };
            let end_of_line = self.scan + offset;
            let mut next = end_of_line + 1;
            if self.buf[end_of_line] == b'\r' {
                match self.buf.get(next) {
                    Some(b'\n') => next += 1,
                    Some(_) => {}
                    None => self.after_cr = true,
                }
            }
            if end_of_line == self.line_start {
                let raw: Vec<u8> = self.buf.drain(..next).collect();
                let event = self.fields.dispatch();
                frames.push(SseFrame { raw, event });
                self.line_start = 0;
                self.scan = 0;
            } else {
                self.fields
                    .process_line(&self.buf[self.line_start..end_of_line]);
                self.line_start = next;
                self.scan = next;
            }
        }
        frames
    }

    /// Ends the stream: returns the bytes left after the last complete frame
    /// (an incomplete frame is discarded, as the standard says) and resets
    /// the parser for a new stream, keeping the last event ID and retry time
    /// as a reconnecting client does.
    pub fn finish(&mut self) -> SseTail {
        let raw = std::mem::take(&mut self.buf);
        *self = SseParser {
            fields: Fields {
                last_event_id: std::mem::take(&mut self.fields.last_event_id),
                retry: self.fields.retry,
                ..Fields::default()
            },
            ..SseParser::default()
        };
        SseTail { raw }
    }

    /// How many bytes are buffered for the frame in progress; a caller
    /// bounds this to refuse a frame that never ends.
    pub fn buffered_len(&self) -> usize {
        self.buf.len()
    }

    /// The last event ID seen, `None` while empty.
    pub fn last_event_id(&self) -> Option<&str> {
        self.fields.last_event_id()
    }

    /// The reconnection time the stream asked for with `retry:`, in
    /// milliseconds.
    pub fn retry(&self) -> Option<u64> {
        self.fields.retry
    }
}

impl Fields {
    fn last_event_id(&self) -> Option<&str> {
        (!self.last_event_id.is_empty()).then_some(self.last_event_id.as_str())
    }

    fn process_line(&mut self, mut line: &[u8]) {
        if !self.started {
            self.started = true;
            line = line.strip_prefix(BOM).unwrap_or(line);
        }
        if line.first() == Some(&b':') {
            return;
        }
        let (field, value) = match line.iter().position(|&b| b == b':') {
            Some(colon) => {
                let value = &line[colon + 1..];
                (&line[..colon], value.strip_prefix(b" ").unwrap_or(value))
            }
            None => (line, &[][..]),
        };
        let value = String::from_utf8_lossy(value);
        match field {
            b"event" => self.event_type = value.into_owned(),
            b"data" => {
                self.data.push_str(&value);
                self.data.push('\n');
                self.has_data = true;
            }
            b"id" if !value.contains('\0') => self.last_event_id = value.into_owned(),
            b"retry" if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                self.retry = value.parse().ok();
            }
            _ => {}
        }
    }

    fn dispatch(&mut self) -> Option<SseEvent> {
        let event_type = std::mem::take(&mut self.event_type);
        let mut data = std::mem::take(&mut self.data);
        if !std::mem::take(&mut self.has_data) {
            return None;
        }
        data.pop();
        Some(SseEvent {
            event: (!event_type.is_empty()).then_some(event_type),
            data,
            id: self.last_event_id().map(str::to_owned),
        })
    }
}

/// Encodes one event as a frame: an `event:` line when `event` is given,
/// one `data:` line per line of `data` (any of CRLF, CR, LF splits lines),
/// and the blank line that dispatches it. Line breaks in `event` are removed,
/// since a field cannot span lines.
pub fn encode(event: Option<&str>, data: &str) -> String {
    let mut out = String::with_capacity(data.len() + 16);
    if let Some(event) = event {
        out.push_str("event: ");
        out.extend(event.chars().filter(|&c| c != '\r' && c != '\n'));
        out.push('\n');
    }
    for line in data_lines(data) {
        // Writing to a String cannot fail.
        let _ = writeln!(out, "data: {line}");
    }
    out.push('\n');
    out
}

/// Splits on CRLF, CR or LF; an empty string is one empty line.
fn data_lines(data: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(data);
    std::iter::from_fn(move || {
        let current = rest?;
        match current.find(['\r', '\n']) {
            Some(at) => {
                let skip = if current[at..].starts_with("\r\n") {
                    2
                } else {
                    1
                };
                rest = Some(&current[at + skip..]);
                Some(&current[..at])
            }
            None => {
                rest = None;
                Some(current)
            }
        }
    })
}
