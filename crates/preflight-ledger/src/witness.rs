//! The C2SP tlog-witness `add-checkpoint` rules, without the HTTP and the
//! storage: given the witness's state and a request body, either the new
//! state and the cosignature to answer with, or the refusal and its status.
//!
//! The request body is `old <size>\n`, up to 63 consistency proof hashes
//! one base64 per line, a blank line, then the signed checkpoint. The caller
//! must persist the accepted checkpoint atomically with the check (compare
//! the stored size with [`Witness::known_size`] when writing), or two
//! concurrent requests could roll the witness back.

use crate::LedgerError;
use crate::checkpoint::{Checkpoint, parse_size};
use crate::cosignature::{Cosigner, MAX_TIMESTAMP};
use crate::hash::{Hash, decode_hash, empty_root, encode_hash};
use crate::note::{self, KeyKind, Note, Verifier};
use crate::proof::verify_consistency;

/// The most consistency proof lines a request may carry.
pub const MAX_PROOF_LINES: usize = 63;

/// The content type of a 409 response body, the witness's known size.
pub const SIZE_CONTENT_TYPE: &str = "text/x.tlog.size";

/// Why the witness will not cosign, each with its HTTP status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WitnessRefusal {
    /// 400: the request is malformed, or the old size exceeds the new one.
    #[error("bad add-checkpoint request: {0}")]
    BadRequest(String),
    /// 403: no signature by a known key of the log verifies.
    #[error("checkpoint is not signed by the log: {0}")]
    Forbidden(String),
    /// 404: the witness does not follow a log with this origin.
    #[error("unknown log origin {0:?}")]
    UnknownOrigin(String),
    /// 409: the old size is not the size the witness last cosigned, or the
    /// sizes are equal and the roots differ. The body is `known_size`.
    #[error("the witness's latest cosigned checkpoint has size {known_size}")]
    Conflict { known_size: u64 },
    /// 422: the consistency proof does not verify.
    #[error("consistency proof does not verify: {0}")]
    InvalidProof(String),
    /// 500: the witness itself cannot cosign (its clock is out of range).
    #[error("witness cannot cosign: {0}")]
    Internal(String),
}

impl WitnessRefusal {
    /// The HTTP status code the protocol assigns.
    pub fn status(&self) -> u16 {
        match self {
            Self::BadRequest(_) => 400,
            Self::Forbidden(_) => 403,
            Self::UnknownOrigin(_) => 404,
            Self::Conflict { .. } => 409,
            Self::InvalidProof(_) => 422,
            Self::Internal(_) => 500,
        }
    }

    /// For a conflict, the response body (served as [`SIZE_CONTENT_TYPE`]):
    /// the known size in decimal and a newline.
    pub fn conflict_body(&self) -> Option<String> {
        match self {
            Self::Conflict { known_size } => Some(format!("{known_size}\n")),
            _ => None,
        }
    }
}

/// Reads a 409 response body: the witness's known size.
pub fn parse_conflict_body(body: &str) -> Result<u64, LedgerError> {
    body.strip_suffix('\n')
        .and_then(|size| parse_size(size).ok())
        .ok_or_else(|| LedgerError::InvalidSize {
            text: body.to_owned(),
        })
}

/// An `add-checkpoint` request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddCheckpoint {
    pub old_size: u64,
    pub proof: Vec<Hash>,
    /// The signed checkpoint note.
    pub checkpoint: String,
}

impl AddCheckpoint {
    /// The request body, as the log sends it.
    pub fn body(&self) -> String {
        let mut body = format!("old {}\n", self.old_size);
        for hash in &self.proof {
            body.push_str(&encode_hash(hash));
            body.push('\n');
        }
        body.push('\n');
        body.push_str(&self.checkpoint);
        body
    }

    /// Parses a request body; any fault is a 400.
    pub fn parse(body: &str) -> Result<Self, WitnessRefusal> {
        let bad = |reason: String| WitnessRefusal::BadRequest(reason);
        let (first, mut rest) = body
            .split_once('\n')
            .ok_or_else(|| bad("no old size line".to_owned()))?;
        let old = first
            .strip_prefix("old ")
            .ok_or_else(|| bad(format!("first line {first:?} is not \"old <size>\"")))?;
        let old_size = parse_size(old).map_err(|_| bad(format!("old size {old:?} is invalid")))?;
        let mut proof = Vec::new();
        loop {
            let (line, tail) = rest
                .split_once('\n')
                .ok_or_else(|| bad("no blank line before the checkpoint".to_owned()))?;
            rest = tail;
            if line.is_empty() {
                break;
            }
            if proof.len() == MAX_PROOF_LINES {
                return Err(bad(format!(
                    "more than {MAX_PROOF_LINES} consistency proof lines"
                )));
            }
            proof.push(decode_hash(line).map_err(|e| bad(e.to_string()))?);
        }
        if rest.is_empty() {
            return Err(bad("no checkpoint".to_owned()));
        }
        Ok(Self {
            old_size,
            proof,
            checkpoint: rest.to_owned(),
        })
    }
}

/// The witness's answer to an accepted request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    /// The new latest cosigned checkpoint, to persist before answering.
    pub checkpoint: Checkpoint,
    /// The 200 response body: the cosignature line.
    pub cosignature: String,
}

/// A witness of one log: its origin and keys, the latest checkpoint it
/// cosigned for it, and the witness's own cosigning key.
#[derive(Debug, Clone)]
pub struct Witness {
    origin: String,
    log_verifiers: Vec<Verifier>,
    cosigner: Cosigner,
    last: Option<Checkpoint>,
}

impl Witness {
    /// `log_verifiers` are the log's Ed25519 note keys (at least one);
    /// `last` is the latest checkpoint cosigned for `origin`, if any.
    pub fn new(
        origin: &str,
        log_verifiers: Vec<Verifier>,
        cosigner: Cosigner,
        last: Option<Checkpoint>,
    ) -> Result<Self, LedgerError> {
        let invalid = |reason: String| LedgerError::InvalidWitness { reason };
        if log_verifiers.is_empty() {
            return Err(invalid(format!("no log key for origin {origin:?}")));
        }
        if let Some(v) = log_verifiers.iter().find(|v| v.kind() != KeyKind::Ed25519) {
            return Err(invalid(format!(
                "log key {} is not an Ed25519 note key",
                v.name()
            )));
        }
        if let Some(cp) = last.as_ref().filter(|cp| cp.origin() != origin) {
            return Err(invalid(format!(
                "latest checkpoint has origin {:?}, not {origin:?}",
                cp.origin()
            )));
        }
        Ok(Self {
            origin: origin.to_owned(),
            log_verifiers,
            cosigner,
            last,
        })
    }

    pub fn origin(&self) -> &str {
        &self.origin
    }

    pub fn last(&self) -> Option<&Checkpoint> {
        self.last.as_ref()
    }

    /// The size of the latest cosigned checkpoint, 0 if none.
    pub fn known_size(&self) -> u64 {
        self.last.as_ref().map_or(0, Checkpoint::size)
    }

    pub fn cosigner(&self) -> &Cosigner {
        &self.cosigner
    }

    /// Decides an `add-checkpoint` request received at `now_unix` (seconds
    /// since the epoch). Does not change the witness: on success, persist
    /// `accepted.checkpoint` and then [`Witness::record`] it.
    pub fn add_checkpoint(&self, body: &str, now_unix: u64) -> Result<Accepted, WitnessRefusal> {
        let request = AddCheckpoint::parse(body)?;
        let note = Note::parse(&request.checkpoint)
            .map_err(|e| WitnessRefusal::BadRequest(e.to_string()))?;
        let checkpoint =
            Checkpoint::parse(&note.text).map_err(|e| WitnessRefusal::BadRequest(e.to_string()))?;
        if checkpoint.origin() != self.origin {
            return Err(WitnessRefusal::UnknownOrigin(
                checkpoint.origin().to_owned(),
            ));
        }
        note::open(&request.checkpoint, &self.log_verifiers)
            .map_err(|e| WitnessRefusal::Forbidden(e.to_string()))?;

        let (old, new) = (request.old_size, checkpoint.size());
        if old > new {
            return Err(WitnessRefusal::BadRequest(format!(
                "old size {old} is larger than the checkpoint size {new}"
            )));
        }
        let known_size = self.known_size();
        if old != known_size {
            return Err(WitnessRefusal::Conflict { known_size });
        }
        match &self.last {
            _ if old == 0 => {
                if !request.proof.is_empty() {
                    return Err(WitnessRefusal::InvalidProof(format!(
                        "a proof from size 0 must be empty, got {} hashes",
                        request.proof.len()
                    )));
                }
                if new == 0 && *checkpoint.root() != empty_root() {
                    return Err(WitnessRefusal::InvalidProof(
                        "root hash of the empty tree is not SHA-256 of nothing".to_owned(),
                    ));
                }
            }
            Some(last) if old == new => {
                if !request.proof.is_empty() {
                    return Err(WitnessRefusal::InvalidProof(format!(
                        "a proof between equal sizes must be empty, got {} hashes",
                        request.proof.len()
                    )));
                }
                if last.root() != checkpoint.root() {
                    return Err(WitnessRefusal::Conflict { known_size });
                }
            }
            Some(last) => {
                verify_consistency(old, new, &request.proof, last.root(), checkpoint.root())
                    .map_err(|e| WitnessRefusal::InvalidProof(e.to_string()))?;
            }
            None => return Err(WitnessRefusal::Conflict { known_size }),
        }

        if now_unix > MAX_TIMESTAMP {
            return Err(WitnessRefusal::Internal(format!(
                "time {now_unix} is out of range"
            )));
        }
        let cosignature = self
            .cosigner
            .cosign(&checkpoint, now_unix)
            .map_err(|e| WitnessRefusal::Internal(e.to_string()))?;
        Ok(Accepted {
            checkpoint,
            cosignature,
        })
    }

    /// Makes an accepted checkpoint the latest one.
    pub fn record(&mut self, accepted: &Accepted) {
        self.last = Some(accepted.checkpoint.clone());
    }
}
