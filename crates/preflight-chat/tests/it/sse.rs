//! The event-stream parser: events as the standard dispatches them, raw
//! frames that reassemble the input under any chunking, the cut-stream tail,
//! and the encoder.

use preflight_chat::sse::{SseEvent, SseFrame, SseParser, encode};
use proptest::prelude::*;

/// A llama.cpp server answering a streamed chat completion with usage, with
/// a multi-byte character so that some splits fall inside it.
const LLAMA_STREAM: &str = concat!(
    r#"data: {"choices":[{"finish_reason":null,"index":0,"delta":{"role":"assistant","content":null}}],"created":1735689600,"id":"chatcmpl-Xq3","model":"qwen2.5-7b-instruct","system_fingerprint":"b4520","object":"chat.completion.chunk"}"#,
    "\n\n",
    r#"data: {"choices":[{"finish_reason":null,"index":0,"delta":{"content":"Bonjour"}}],"created":1735689600,"id":"chatcmpl-Xq3","model":"qwen2.5-7b-instruct","system_fingerprint":"b4520","object":"chat.completion.chunk"}"#,
    "\n\n",
    r#"data: {"choices":[{"finish_reason":null,"index":0,"delta":{"content":", ça va ✓"}}],"created":1735689600,"id":"chatcmpl-Xq3","model":"qwen2.5-7b-instruct","system_fingerprint":"b4520","object":"chat.completion.chunk"}"#,
    "\n\n",
    r#"data: {"choices":[{"finish_reason":"stop","index":0,"delta":{}}],"created":1735689600,"id":"chatcmpl-Xq3","model":"qwen2.5-7b-instruct","system_fingerprint":"b4520","object":"chat.completion.chunk"}"#,
    "\n\n",
    r#"data: {"choices":[],"created":1735689600,"id":"chatcmpl-Xq3","model":"qwen2.5-7b-instruct","system_fingerprint":"b4520","object":"chat.completion.chunk","usage":{"completion_tokens":4,"prompt_tokens":21,"total_tokens":25}}"#,
    "\n\n",
    "data: [DONE]\n\n",
);

/// Feeds `chunks` to one parser; returns the frames and the tail.
fn parse_chunks<'a>(chunks: impl IntoIterator<Item = &'a [u8]>) -> (Vec<SseFrame>, Vec<u8>, bool) {
    let mut parser = SseParser::default();
    let mut frames = Vec::new();
    for chunk in chunks {
        frames.extend(parser.push_frames(chunk));
    }
    let tail = parser.finish();
    let incomplete = tail.is_incomplete();
    (frames, tail.raw, incomplete)
}

/// `chunks` parse to the events of `whole`, the raw bytes and tail
/// reassemble the input, and nothing is left incomplete. Frames are the same
/// too, except that a chunk ending between the CR and LF of a blank line
/// moves that LF to the start of the next frame (a frame is released as
/// soon as its blank line is seen).
fn check_chunks<'a>(chunks: impl IntoIterator<Item = &'a [u8]> + Clone, whole: &[SseFrame]) {
    let input: Vec<u8> = chunks.clone().into_iter().flatten().copied().collect();
    let (frames, tail, incomplete) = parse_chunks(chunks);
    assert_eq!(events(&frames), events(whole));
    assert!(!incomplete);
    let raw: Vec<u8> = frames.iter().flat_map(|frame| frame.raw.clone()).collect();
    assert_eq!([raw, tail].concat(), input);
    if !input.contains(&b'\r') {
        assert_eq!(frames, whole);
    }
}

fn events(frames: &[SseFrame]) -> Vec<SseEvent> {
    frames
        .iter()
        .filter_map(|frame| frame.event.clone())
        .collect()
}

/// Every way of cutting `input` in two, and in three around each position,
/// gives the same events and reassembles it.
fn check_every_split(input: &[u8]) {
    let (whole, tail, _) = parse_chunks([input]);
    assert!(tail.is_empty());
    let raw: Vec<u8> = whole.iter().flat_map(|frame| frame.raw.clone()).collect();
    assert_eq!(raw, input);
    for at in 0..=input.len() {
        check_chunks([&input[..at], &input[at..]], &whole);
        let end = (at + 3).min(input.len());
        check_chunks([&input[..at], &input[at..end], &input[end..]], &whole);
    }
}

#[test]
fn a_llama_cpp_stream_parses_the_same_under_every_split() {
    let (frames, _, _) = parse_chunks([LLAMA_STREAM.as_bytes()]);
    assert_eq!(frames.len(), 6);
    let data: Vec<_> = frames
        .iter()
        .map(|frame| frame.event.as_ref().unwrap().data.clone())
        .collect();
    assert!(data[2].contains("ça va ✓"));
    assert_eq!(data[5], "[DONE]");
    assert!(
        frames
            .iter()
            .all(|frame| frame.event.as_ref().unwrap().event.is_none())
    );
    check_every_split(LLAMA_STREAM.as_bytes());
}

#[test]
fn crlf_and_cr_line_endings_give_the_same_events() {
    let (lf, _, _) = parse_chunks([LLAMA_STREAM.as_bytes()]);
    for ending in ["\r\n", "\r"] {
        let input = LLAMA_STREAM.replace('\n', ending);
        let (frames, _, _) = parse_chunks([input.as_bytes()]);
        assert_eq!(events(&frames), events(&lf), "{ending:?}");
        check_every_split(input.as_bytes());
    }
}

/// Renders the events `input` dispatches, one per line, as
/// `event|id|data` with `-` for an absent value.
fn render(input: &str) -> String {
    let mut parser = SseParser::default();
    let events = parser.push(input.as_bytes());
    events
        .iter()
        .map(|event| {
            format!(
                "{}|{}|{:?}",
                event.event.as_deref().unwrap_or("-"),
                event.id.as_deref().unwrap_or("-"),
                event.data
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn check(input: &str, expect: &str) {
    assert_eq!(render(input), expect, "input {input:?}");
}

#[test]
fn fields_are_interpreted_as_the_standard_says() {
    // Data lines join with LF; the one space after the colon is dropped.
    check("data: a\ndata: b\n\n", r#"-|-|"a\nb""#);
    check("data:x\n\n", r#"-|-|"x""#);
    check("data:  x\n\n", r#"-|-|" x""#);
    check("data: a:b\n\n", r#"-|-|"a:b""#);
    // A field name alone has an empty value; an empty data line still counts.
    check("data\n\n", r#"-|-|"""#);
    check("data\ndata\n\n", r#"-|-|"\n""#);
    check("event: add\ndata: x\n\n", r#"add|-|"x""#);
    check("event:\ndata: x\n\n", r#"-|-|"x""#);
    // Comments and unknown fields are ignored.
    check(": keep-alive\ndata: x\n:\n\n", r#"-|-|"x""#);
    check("foo: bar\nDATA: no\ndata: x\n\n", r#"-|-|"x""#);
    // A frame without data dispatches nothing and resets the event name.
    check("event: lost\n\ndata: x\n\n", r#"-|-|"x""#);
    // The last event ID persists until changed; one with NUL is ignored.
    check(
        "id: 7\ndata: a\n\ndata: b\n\nid\ndata: c\n\n",
        "-|7|\"a\"\n-|7|\"b\"\n-|-|\"c\"",
    );
    check("id: 1\0\ndata: a\n\n", r#"-|-|"a""#);
    // A leading byte order mark is stripped, only at the start.
    check("\u{feff}data: a\n\n", r#"-|-|"a""#);
    check("data: a\n\n\u{feff}data: b\n\n", r#"-|-|"a""#);
    // Nothing is dispatched without the blank line.
    check("data: a\n", "");
    check(
        "data: a\r\n\r\ndata: b\rdata: c\r\r",
        "-|-|\"a\"\n-|-|\"b\\nc\"",
    );
}

#[test]
fn retry_is_kept_when_it_is_all_digits() {
    let mut parser = SseParser::default();
    let _ = parser.push(b"retry: 3000\nretry: 12x\nretry:\n\n");
    assert_eq!(parser.retry(), Some(3000));
}

#[test]
fn frames_without_data_are_still_relayed() {
    let input = b": keep-alive\n\nevent: ping\ndata: {}\n\n";
    let (frames, tail, incomplete) = parse_chunks([&input[..]]);
    assert_eq!(frames.len(), 2);
    assert_eq!(frames[0].raw, b": keep-alive\n\n");
    assert_eq!(frames[0].event, None);
    assert_eq!(frames[1].raw, b"event: ping\ndata: {}\n\n");
    assert_eq!(
        frames[1].event.as_ref().unwrap().event.as_deref(),
        Some("ping")
    );
    assert!(tail.is_empty() && !incomplete);
}

#[test]
fn the_tail_tells_a_cut_stream() {
    // (input, bytes left over, cut mid-frame)
    let cases: &[(&str, &str, bool)] = &[
        ("data: a\n\n", "", false),
        ("data: a\n\ndata: b", "data: b", true),
        ("data: a\n\ndata: b\n", "data: b\n", true),
        ("data: a\n\n: comment", ": comment", true),
        ("data: a\r\n\r", "", false),
        ("data: a\r\n\r\n", "", false),
        ("", "", false),
    ];
    for &(input, left, cut) in cases {
        let (frames, tail, incomplete) = parse_chunks([input.as_bytes()]);
        assert_eq!(String::from_utf8(tail).unwrap(), left, "input {input:?}");
        assert_eq!(incomplete, cut, "input {input:?}");
        let raw: Vec<u8> = frames.iter().flat_map(|frame| frame.raw.clone()).collect();
        assert_eq!([raw, left.as_bytes().to_vec()].concat(), input.as_bytes());
    }
}

#[test]
fn an_lf_completing_a_crlf_after_a_frame_stays_in_the_tail() {
    let (frames, tail, incomplete) = parse_chunks([&b"data: a\r\n\r"[..], b"\n"]);
    assert_eq!(frames.len(), 1);
    assert_eq!(frames[0].raw, b"data: a\r\n\r");
    assert_eq!((tail, incomplete), (b"\n".to_vec(), false));
}

#[test]
fn finish_resets_for_a_new_stream_but_keeps_the_last_event_id() {
    let mut parser = SseParser::default();
    let _ = parser.push(b"id: 9\ndata: a\n\nevent: x\ndata: cut");
    assert!(parser.finish().is_incomplete());
    assert_eq!(parser.buffered_len(), 0);
    let events = parser.push(b"data: b\n\n");
    assert_eq!(
        events,
        vec![SseEvent {
            event: None,
            data: "b".to_owned(),
            id: Some("9".to_owned()),
        }]
    );
}

#[test]
fn encode_writes_one_data_line_per_line() {
    let cases: &[(Option<&str>, &str, &str)] = &[
        (None, "{}", "data: {}\n\n"),
        (
            Some("message_stop"),
            "{}",
            "event: message_stop\ndata: {}\n\n",
        ),
        (
            None,
            "a\nb\r\nc\rd",
            "data: a\ndata: b\ndata: c\ndata: d\n\n",
        ),
        (None, "", "data: \n\n"),
        (None, "a\n", "data: a\ndata: \n\n"),
        (Some("bad\r\nname"), "x", "event: badname\ndata: x\n\n"),
    ];
    for &(event, data, expect) in cases {
        assert_eq!(encode(event, data), expect, "{event:?} {data:?}");
    }
}

proptest! {
    #[test]
    fn any_chunking_gives_the_same_frames(
        cuts in proptest::collection::vec(0..LLAMA_STREAM.len(), 0..12),
        crlf in any::<bool>(),
    ) {
        let input = if crlf { LLAMA_STREAM.replace('\n', "\r\n") } else { LLAMA_STREAM.to_owned() };
        let input = input.as_bytes();
        let mut cuts: Vec<usize> = cuts.into_iter().map(|cut| cut.min(input.len())).collect();
        cuts.push(0);
        cuts.push(input.len());
        cuts.sort_unstable();
        let chunks = cuts.windows(2).map(|pair| &input[pair[0]..pair[1]]);
        let (whole, _, _) = parse_chunks([input]);
        check_chunks(chunks, &whole);
    }

    #[test]
    fn encoded_events_parse_back(
        event in proptest::option::of("[a-z_]{1,12}"),
        data in "[a-z :\r\n\u{e9}\u{2713}]{0,40}",
        cut in any::<prop::sample::Index>(),
    ) {
        let frame = encode(event.as_deref(), &data);
        let bytes = frame.as_bytes();
        let at = cut.index(bytes.len() + 1);
        let mut parser = SseParser::default();
        let mut events = parser.push(&bytes[..at]);
        events.extend(parser.push(&bytes[at..]));
        let expect = SseEvent {
            event,
            data: data.replace("\r\n", "\n").replace('\r', "\n"),
            id: None,
        };
        prop_assert_eq!(events, vec![expect]);
        prop_assert!(!parser.finish().is_incomplete());
    }
}
