//! The native format: JSON Lines, one sample an object a line.
//!
//! ```json
//! {"id": "q1", "input": "Which port does SSH use?", "choices": ["21", "22"], "target": "B",
//!  "metadata": {"source": "hand-written"}, "tags": ["network"]}
//! {"id": "q2", "messages": [{"role": "system", "content": "…"}, {"role": "user", "content": "…"}],
//!  "target": ["yes", "y"]}
//! ```
//!
//! `id` is a string or an integer; exactly one of `input` (a string) and
//! `messages` (chat messages) is given; `choices`, `target` (a string or an
//! array of strings), `metadata` and `tags` are optional. Any other field is
//! an error. Blank lines are allowed.

use std::io::{BufRead, Seek, SeekFrom};

use serde_json::Value;

use super::record::{Record, check_choice_targets};
use crate::error::{BadSample, Location, show};
use crate::sample::{ChatMessage, Input, Role, Sample, Target};

const FIELDS: [&str; 7] = [
    "id", "input", "messages", "choices", "target", "metadata", "tags",
];

/// Parses one line of the native format.
pub fn parse_line(line: &str, location: Location) -> Result<Sample, Vec<BadSample>> {
    let value: Value = serde_json::from_str(line)
        .map_err(|e| vec![BadSample::new(location, None, format!("invalid JSON: {e}"))])?;
    parse_record(&value, location)
}

/// Reads a native record already parsed as JSON.
pub fn parse_record(value: &Value, location: Location) -> Result<Sample, Vec<BadSample>> {
    let mut r = Record::new(location, value)?;
    r.reject_others(&FIELDS);

    let id = match r.get("id") {
        None => {
            r.fail("id", "missing (expected a string or an integer)");
            None
        }
        Some(Value::Number(n)) if n.is_u64() || n.is_i64() => Some(n.to_string()),
        Some(v @ Value::String(_)) => r.string_value("id", v),
        Some(other) => {
            r.fail(
                "id",
                format!("expected a string or an integer, got {}", show(other)),
            );
            None
        }
    };

    let input = match (r.get("input"), r.get("messages")) {
        (Some(_), Some(_)) => {
            r.fail("messages", "give either input or messages, not both");
            None
        }
        (None, None) => {
            r.fail("input", "missing (expected input, a string, or messages)");
            None
        }
        (Some(v), None) => r.string_value("input", v).map(Input::Prompt),
        (None, Some(v)) => messages(&mut r, v).map(Input::Messages),
    };

    let choices = r.strings("choices", false).unwrap_or_default();
    if choices.len() > 26 {
        r.fail(
            "choices",
            format!("{} choices, at most 26 can be lettered", choices.len()),
        );
    }
    let target = target(&mut r);
    if let Some(target) = &target
        && !choices.is_empty()
    {
        check_choice_targets(&mut r, "target", &choices, target.as_slice());
    }
    let metadata = r.object("metadata").unwrap_or_default();
    let tags = r.strings("tags", false).unwrap_or_default();

    let sample = match (id, input, target) {
        (Some(id), Some(input), Some(target)) => Some(Sample {
            id,
            input,
            choices,
            target,
            metadata,
            tags,
        }),
        _ => None,
    };
    r.finish(sample)
}

fn target(r: &mut Record<'_>) -> Option<Target> {
    match r.get("target") {
        None => Some(Target::none()),
        Some(Value::String(s)) => Some(Target::one(s.clone())),
        Some(Value::Array(_)) => r.strings("target", false).map(Target::many),
        Some(other) => {
            r.fail(
                "target",
                format!(
                    "expected a string or an array of strings, got {}",
                    show(other)
                ),
            );
            None
        }
    }
}

fn messages(r: &mut Record<'_>, value: &Value) -> Option<Vec<ChatMessage>> {
    let Value::Array(items) = value else {
        r.fail(
            "messages",
            format!(
                "expected an array of {{role, content}} objects, got {}",
                show(value)
            ),
        );
        return None;
    };
    if items.is_empty() {
        r.fail("messages", "empty array (expected at least one message)");
        return None;
    }
    let mut out = Vec::with_capacity(items.len());
    let mut ok = true;
    for (i, item) in items.iter().enumerate() {
        let field = format!("messages[{i}]");
        let Value::Object(map) = item else {
            r.fail(
                field,
                format!("expected a {{role, content}} object, got {}", show(item)),
            );
            ok = false;
            continue;
        };
        for key in map.keys().filter(|k| *k != "role" && *k != "content") {
            r.fail(
                format!("{field}.{key}"),
                "unknown field (expected role, content)",
            );
            ok = false;
        }
        let role = match map.get("role") {
            Some(Value::String(s)) => Role::parse(s).or_else(|| {
                r.fail(
                    format!("{field}.role"),
                    format!(
                        "unknown role {s:?} (expected system, developer, user, assistant or tool)"
                    ),
                );
                None
            }),
            Some(other) => {
                r.fail(
                    format!("{field}.role"),
                    format!("expected a string, got {}", show(other)),
                );
                None
            }
            None => {
                r.fail(format!("{field}.role"), "missing");
                None
            }
        };
        let content = match map.get("content") {
            Some(Value::String(s)) => Some(s.clone()),
            Some(other) => {
                r.fail(
                    format!("{field}.content"),
                    format!("expected a string, got {}", show(other)),
                );
                None
            }
            None => {
                r.fail(format!("{field}.content"), "missing");
                None
            }
        };
        match (role, content) {
            (Some(role), Some(content)) => out.push(ChatMessage::new(role, content)),
            _ => ok = false,
        }
    }
    ok.then_some(out)
}

/// Reads lines one at a time, so memory holds one line, not the file.
#[derive(Debug)]
pub(crate) struct Lines<R> {
    reader: R,
    buffer: String,
    line: u64,
    /// Byte offset of the next line.
    offset: u64,
}

impl<R: BufRead> Lines<R> {
    pub(crate) fn new(reader: R) -> Self {
        Lines {
            reader,
            buffer: String::new(),
            line: 0,
            offset: 0,
        }
    }

    /// The next non-blank line with its number and byte offset.
    pub(crate) fn next_line(&mut self) -> std::io::Result<Option<(u64, u64, &str)>> {
        loop {
            let offset = self.offset;
            self.buffer.clear();
            let read = self.reader.read_line(&mut self.buffer)?;
            if read == 0 {
                return Ok(None);
            }
            self.offset += read as u64;
            self.line += 1;
            if !self.buffer.trim().is_empty() {
                return Ok(Some((self.line, offset, self.buffer.trim_end())));
            }
        }
    }

    /// The line starting at `offset`, known to be line number `line`.
    pub(crate) fn line_at(&mut self, offset: u64, line: u64) -> std::io::Result<(u64, &str)>
    where
        R: Seek,
    {
        self.reader.seek(SeekFrom::Start(offset))?;
        self.buffer.clear();
        let read = self.reader.read_line(&mut self.buffer)?;
        self.offset = offset + read as u64;
        self.line = line;
        Ok((line, self.buffer.trim_end()))
    }
}
