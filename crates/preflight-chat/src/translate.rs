//! Between OpenAI Chat Completions and the Anthropic Messages API.
//!
//! A client speaks OpenAI; an Anthropic upstream answers. The request goes
//! one way ([`openai_to_anthropic`]), the answer comes back whole
//! ([`anthropic_to_openai`]), streamed ([`StreamTranslator`]) or as an error
//! ([`anthropic_error_to_openai`]).
//!
//! Fields with no Messages API equivalent are refused when they change the
//! answer (`n > 1`, a JSON `response_format`) and dropped when they do not
//! (`seed`, `stream_options`, message `name`s, unknown fields).

mod error_body;
mod request;
mod response;
mod stream;

pub use error_body::anthropic_error_to_openai;
pub use request::openai_to_anthropic;
pub use response::{anthropic_to_openai, finish_reason};
pub use stream::StreamTranslator;

/// Why a request, answer or stream could not be translated. Fields are named
/// by their path in the request (`messages[3].tool_calls[0].function.arguments`)
/// and values are shown as JSON, cut short when long.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TranslateError {
    /// A field holds a value the Messages API has no equivalent for.
    #[error("{field} = {value} is not supported by the anthropic messages api")]
    Unsupported {
        /// The field's path.
        field: String,
        /// Its value, as JSON.
        value: String,
    },
    /// A field that must be present is absent.
    #[error("{field} is missing")]
    Missing {
        /// The field's path.
        field: String,
    },
    /// A field's value is malformed.
    #[error("{field} = {value} is invalid: {reason}")]
    Invalid {
        /// The field's path.
        field: String,
        /// Its value, as JSON.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// An upstream stream event could not be read or came out of order.
    #[error("upstream {event} event is invalid: {reason}")]
    Stream {
        /// The event's name.
        event: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The upstream stream ended before `message_stop`.
    #[error("upstream stream ended before message_stop")]
    Truncated,
    /// The upstream sent an `error` event.
    #[error("upstream error ({kind}): {message}")]
    Upstream {
        /// The error's type, e.g. `overloaded_error`.
        kind: String,
        /// Its message.
        message: String,
    },
}

/// The longest value, in characters, an error message shows.
const SHOWN_CHARS: usize = 120;

/// `value` as JSON, cut to [`SHOWN_CHARS`] characters.
fn shown(value: &impl serde::Serialize) -> String {
    let json = serde_json::to_string(value).unwrap_or_else(|_| "?".to_owned());
    cut(&json, SHOWN_CHARS)
}

/// A string shown as a JSON string, its content cut to [`SHOWN_CHARS`].
fn shown_str(value: &str) -> String {
    let cut_value = cut(value, SHOWN_CHARS);
    serde_json::to_string(&cut_value).unwrap_or_else(|_| "?".to_owned())
}

/// `text` cut to `max` characters, marked with `...` when cut.
fn cut(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}...", &text[..at]),
        None => text.to_owned(),
    }
}
