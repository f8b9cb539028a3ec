//! C2SP tlog-checkpoint: the note text naming a tree head.
//!
//! ```text
//! <origin>
//! <tree size, decimal, no leading zeroes>
//! <root hash, base64>
//! [extension lines, each non-empty]
//! ```

use crate::LedgerError;
use crate::hash::{Hash, decode_hash, encode_hash};
use crate::note::{self, OpenedNote, Signer, Verifier};

/// A tree head of the log identified by `origin`. One that exists has a
/// valid origin and valid extension lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    origin: String,
    size: u64,
    root: Hash,
    extensions: Vec<String>,
}

impl Checkpoint {
    /// A checkpoint without extension lines. The origin must be non-empty
    /// with no control characters.
    pub fn new(origin: &str, size: u64, root: Hash) -> Result<Self, LedgerError> {
        Self::with_extensions(origin, size, root, Vec::new())
    }

    /// A checkpoint with extension lines, each non-empty with no control
    /// characters.
    pub fn with_extensions(
        origin: &str,
        size: u64,
        root: Hash,
        extensions: Vec<String>,
    ) -> Result<Self, LedgerError> {
        check_line("origin", origin)?;
        for line in &extensions {
            check_line("extension line", line)?;
        }
        Ok(Self {
            origin: origin.to_owned(),
            size,
            root,
            extensions,
        })
    }

    pub fn origin(&self) -> &str {
        &self.origin
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    pub fn root(&self) -> &Hash {
        &self.root
    }

    pub fn extensions(&self) -> &[String] {
        &self.extensions
    }

    /// The note text: each line ending in a newline.
    pub fn body(&self) -> String {
        let mut body = format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            encode_hash(&self.root)
        );
        for line in &self.extensions {
            body.push_str(line);
            body.push('\n');
        }
        body
    }

    /// Parses a note text as a checkpoint.
    pub fn parse(body: &str) -> Result<Self, LedgerError> {
        let Some(body) = body.strip_suffix('\n') else {
            return Err(LedgerError::malformed_checkpoint(
                "text does not end with a newline",
            ));
        };
        let mut lines = body.split('\n');
        let (Some(origin), Some(size), Some(root)) = (lines.next(), lines.next(), lines.next())
        else {
            return Err(LedgerError::malformed_checkpoint(
                "fewer than three lines (origin, tree size, root hash)",
            ));
        };
        let size = parse_size(size)?;
        let root =
            decode_hash(root).map_err(|e| LedgerError::malformed_checkpoint(e.to_string()))?;
        Self::with_extensions(origin, size, root, lines.map(str::to_owned).collect())
    }

    /// The signed note of this checkpoint.
    pub fn sign(&self, signer: &Signer) -> Result<String, LedgerError> {
        signer.sign(&self.body())
    }

    /// Opens a signed checkpoint: the note's signatures are checked against
    /// `verifiers` (see [`note::open`]) and its text parsed.
    pub fn open(msg: &str, verifiers: &[Verifier]) -> Result<(Self, OpenedNote), LedgerError> {
        let opened = note::open(msg, verifiers)?;
        let checkpoint = Self::parse(&opened.text)?;
        Ok((checkpoint, opened))
    }
}

fn check_line(what: &str, line: &str) -> Result<(), LedgerError> {
    if line.is_empty() {
        return Err(LedgerError::malformed_checkpoint(format!("empty {what}")));
    }
    if line.chars().any(|c| c < ' ') {
        return Err(LedgerError::malformed_checkpoint(format!(
            "{what} {line:?} holds a control character"
        )));
    }
    Ok(())
}

/// A tree size in decimal with no leading zeroes.
pub fn parse_size(text: &str) -> Result<u64, LedgerError> {
    let canonical = !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'));
    if !canonical {
        return Err(LedgerError::malformed_checkpoint(format!(
            "tree size {text:?} is not a decimal without leading zeroes"
        )));
    }
    text.parse()
        .map_err(|_| LedgerError::malformed_checkpoint(format!("tree size {text:?} is too large")))
}
