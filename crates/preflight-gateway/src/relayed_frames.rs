//! The copy of a streamed answer kept for its transcript until the call ends.
//!
//! A stream's pieces repeat one another but for a few bytes: every chunk
//! carries the same id, model and field names around a token or two. So each
//! piece is kept as its difference from the piece before it: how many bytes
//! the two share at the start and at the end, and the bytes in between. A
//! stream of chat chunks then holds a few bytes per chunk instead of each
//! chunk in full, which is most of what a thousand open streams would hold.
//! The exact bytes relayed come back with [`RelayedFrames::into_bytes`].

#[derive(Debug, Default)]
pub(crate) struct RelayedFrames {
    /// The last piece in full: what the next piece is told apart from.
    last: Vec<u8>,
    /// Per piece: shared prefix length, shared suffix length, middle length
    /// (LEB128 each), then the middle bytes.
    differences: Vec<u8>,
    /// The length of all pieces together.
    len: usize,
}

impl RelayedFrames {
    pub(crate) fn push(&mut self, piece: &[u8]) {
        let prefix = shared_prefix(&self.last, piece);
        let suffix = shared_suffix(&self.last[prefix..], &piece[prefix..]);
        let middle = &piece[prefix..piece.len() - suffix];
        write_length(&mut self.differences, prefix);
        write_length(&mut self.differences, suffix);
        write_length(&mut self.differences, middle.len());
        self.differences.extend_from_slice(middle);
        self.last.clear();
        self.last.extend_from_slice(piece);
        self.len += piece.len();
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Every piece pushed, in order, as one run of bytes.
    pub(crate) fn into_bytes(self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.len);
        let mut previous = 0..0;
        let mut rest = self.differences.as_slice();
        while !rest.is_empty() {
            let prefix = read_length(&mut rest);
            let suffix = read_length(&mut rest);
            let middle_len = read_length(&mut rest);
            let (middle, after) = rest.split_at(middle_len);
            rest = after;
            let start = out.len();
            out.extend_from_within(previous.start..previous.start + prefix);
            out.extend_from_slice(middle);
            out.extend_from_within(previous.end - suffix..previous.end);
            previous = start..out.len();
        }
        out
    }
}

fn shared_prefix(a: &[u8], b: &[u8]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

fn shared_suffix(a: &[u8], b: &[u8]) -> usize {
    a.iter()
        .rev()
        .zip(b.iter().rev())
        .take_while(|(x, y)| x == y)
        .count()
}

fn write_length(out: &mut Vec<u8>, mut n: usize) {
    while n >= 0x80 {
        out.push((n & 0x7f) as u8 | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// Reads a length this module wrote; the buffer is never from outside.
fn read_length(input: &mut &[u8]) -> usize {
    let mut n = 0usize;
    let mut shift = 0;
    while let Some((&byte, rest)) = input.split_first() {
        *input = rest;
        n |= usize::from(byte & 0x7f) << shift;
        if byte < 0x80 {
            break;
        }
        shift += 7;
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pushes `pieces`, checks that they come back whole, and returns how
    /// many bytes their differences took.
    fn round_trip(pieces: &[&[u8]]) -> usize {
        let mut frames = RelayedFrames::default();
        for piece in pieces {
            frames.push(piece);
        }
        let kept = frames.differences.len();
        assert_eq!(frames.into_bytes(), pieces.concat(), "pieces {pieces:?}");
        kept
    }

    #[test]
    fn gives_back_exactly_the_bytes_pushed() {
        round_trip(&[]);
        round_trip(&[b"", b"x", b""]);
        round_trip(&[b"aaaa", b"aa", b"aaaaaa", b"a", b"aaaa"]);
        round_trip(&[b"abcabc", b"abc", b"cab", b"bcabca"]);
        round_trip(&[b"data: [DONE]\n\n", b"data: {}\n\n", b": ping\n\n"]);
        let long = vec![7u8; 100_000];
        round_trip(&[&long, &long[1..], b"\x00\xff", &long]);
    }

    #[test]
    fn chat_chunks_cost_a_few_bytes_each() {
        let chunk = |token: &str| {
            format!(
                "data: {{\"id\":\"chatcmpl-9\",\"object\":\"chat.completion.chunk\",\
                 \"created\":1767225600,\"model\":\"frontier\",\"choices\":[{{\"index\":0,\
                 \"delta\":{{\"content\":\"{token}\"}},\"finish_reason\":null}}]}}\n\n"
            )
        };
        let tokens = [
            "The", " quick", " brown", " fox", " jumps", " over", " the", " dog",
        ];
        let pieces: Vec<String> = tokens.iter().map(|t| chunk(t)).collect();
        let pieces: Vec<&[u8]> = pieces.iter().map(|p| p.as_bytes()).collect();
        let full: usize = pieces.iter().map(|p| p.len()).sum();
        let kept = round_trip(&pieces);
        assert!(
            kept < pieces[0].len() + 16 * tokens.len(),
            "{kept} bytes kept for {full} relayed"
        );
    }

    #[test]
    fn lengths_round_trip_across_byte_boundaries() {
        for n in [0, 1, 127, 128, 255, 16_383, 16_384, usize::MAX >> 1] {
            let mut buf = Vec::new();
            write_length(&mut buf, n);
            let mut input = buf.as_slice();
            assert_eq!(read_length(&mut input), n);
            assert!(input.is_empty());
        }
    }
}
