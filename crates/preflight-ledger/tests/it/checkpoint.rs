//! C2SP checkpoints and cosignature/v1.

use ed25519_dalek::{Signature, Verifier as _};
use preflight_ledger::cosignature::{self, Cosigner, signed_message};
use preflight_ledger::note::{KeyKind, Note, Verifier, append_signatures, open};
use preflight_ledger::{Checkpoint, LedgerError, Signer, leaf_hash};

use crate::support::{b64, unb64};

fn check_parse_error(body: &str, reason: &str) {
    let err = Checkpoint::parse(body).unwrap_err();
    assert!(
        matches!(err, LedgerError::MalformedCheckpoint { .. }) && err.to_string().contains(reason),
        "{body:?}: {err}"
    );
}

#[test]
fn the_spec_example_parses_and_prints_back() {
    let body =
        "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
    let cp = Checkpoint::parse(body).unwrap();
    assert_eq!(cp.origin(), "example.com/behind-the-sofa");
    assert_eq!(cp.size(), 20_852_163);
    assert_eq!(
        b64(cp.root()),
        "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I="
    );
    assert!(cp.extensions().is_empty());
    assert_eq!(cp.body(), body);

    let with_ext = format!("{body}extension one\nsecond\n");
    let cp = Checkpoint::parse(&with_ext).unwrap();
    assert_eq!(cp.extensions(), ["extension one", "second"]);
    assert_eq!(cp.body(), with_ext);
}

#[test]
fn malformed_checkpoints_are_refused() {
    let root = "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=";
    check_parse_error(&format!("o\n1\n{root}"), "newline");
    check_parse_error("o\n1\n", "fewer than three lines");
    check_parse_error(&format!("\n1\n{root}\n"), "empty origin");
    check_parse_error(&format!("o\n01\n{root}\n"), "leading zeroes");
    check_parse_error(&format!("o\n-1\n{root}\n"), "leading zeroes");
    check_parse_error(&format!("o\n+1\n{root}\n"), "leading zeroes");
    check_parse_error(&format!("o\n18446744073709551616\n{root}\n"), "too large");
    check_parse_error("o\n1\nAAAA\n", "3 bytes, expected 32");
    check_parse_error("o\n1\nnot base64!\n", "invalid hash");
    check_parse_error(&format!("o\n1\n{root}\n\next\n"), "empty extension line");
    check_parse_error(&format!("o\n1\n{root}\nbad\tline\n"), "control character");
    assert!(Checkpoint::parse(&format!("o\n0\n{root}\n")).is_ok());
    assert!(matches!(
        Checkpoint::new("two\nlines", 1, [0; 32]),
        Err(LedgerError::MalformedCheckpoint { .. })
    ));
}

#[test]
fn signed_checkpoints_open_with_the_log_key() {
    let log = Signer::from_seed("log.example/preflight", &[1; 32]).unwrap();
    let cp = Checkpoint::new("log.example/preflight", 3, leaf_hash(b"root")).unwrap();
    let note = cp.sign(&log).unwrap();
    let (opened, verified) = Checkpoint::open(&note, &[log.verifier()]).unwrap();
    assert_eq!(opened, cp);
    assert_eq!(verified.signer_names(), vec!["log.example/preflight"]);

    let other = Signer::from_seed("log.example/preflight", &[2; 32]).unwrap();
    assert_eq!(
        Checkpoint::open(&note, &[other.verifier()]),
        Err(LedgerError::UnverifiedNote)
    );
    let forged = note.replace("\n3\n", "\n4\n");
    assert!(matches!(
        Checkpoint::open(&forged, &[log.verifier()]),
        Err(LedgerError::InvalidSignature { .. })
    ));
}

#[test]
fn cosignatures_have_the_v1_layout() {
    let cosigner = Cosigner::from_seed("witness.example/w1", &[7; 32]).unwrap();
    let cp = Checkpoint::new("log.example/preflight", 10, leaf_hash(b"r")).unwrap();
    let line = cosigner.cosign(&cp, 1_679_315_147).unwrap();

    // The key id is over the name, a newline, 0x04 and the public key.
    let verifier = cosigner.verifier();
    assert_eq!(verifier.kind(), KeyKind::CosignatureV1);
    assert_eq!(verifier.key_id(), cosigner.key_id());
    let public = verifier.verifying_key();
    let mut preimage = b"witness.example/w1\n\x04".to_vec();
    preimage.extend_from_slice(public.as_bytes());
    let digest = <sha2::Sha256 as sha2::Digest>::digest(&preimage);
    assert_eq!(cosigner.key_id().to_be_bytes(), digest[..4]);
    // A plain Ed25519 note key of the same name and key differs.
    let plain = Verifier::new("witness.example/w1", KeyKind::Ed25519, *public).unwrap();
    assert_ne!(plain.key_id(), verifier.key_id());

    // key id (4) || timestamp (8, big-endian) || Ed25519 signature (64)
    let b64 = line
        .strip_prefix("— witness.example/w1 ")
        .unwrap()
        .trim_end();
    let raw = unb64(b64);
    assert_eq!(raw.len(), 4 + 8 + 64);
    assert_eq!(raw[..4], cosigner.key_id().to_be_bytes());
    assert_eq!(raw[4..12], 1_679_315_147u64.to_be_bytes());
    assert_eq!(cosignature::timestamp(&raw[4..]), Some(1_679_315_147));
    let message = format!(
        "cosignature/v1\ntime 1679315147\nlog.example/preflight\n10\n{}\n",
        b64_of(cp.root())
    );
    assert_eq!(signed_message(&cp.body(), 1_679_315_147), message);
    let signature = Signature::from_slice(&raw[12..]).unwrap();
    public.verify(message.as_bytes(), &signature).unwrap();
}

fn b64_of(hash: &[u8; 32]) -> String {
    b64(hash)
}

#[test]
fn cosigned_checkpoints_open_with_log_and_witness_keys() {
    let log = Signer::from_seed("log.example/preflight", &[1; 32]).unwrap();
    let witness = Cosigner::from_seed("witness.example/w1", &[7; 32]).unwrap();
    let cp = Checkpoint::new("log.example/preflight", 10, leaf_hash(b"r")).unwrap();
    let note = append_signatures(
        &cp.sign(&log).unwrap(),
        &witness.cosign(&cp, 1_700_000_000).unwrap(),
    )
    .unwrap();

    let opened = open(&note, &[log.verifier(), witness.verifier()]).unwrap();
    assert_eq!(
        opened.signer_names(),
        vec!["log.example/preflight", "witness.example/w1"]
    );
    assert_eq!(opened.verified[1].timestamp, Some(1_700_000_000));
    assert_eq!(opened.verified[0].timestamp, None);

    // A cosignature over another checkpoint does not carry over.
    let other = Checkpoint::new("log.example/preflight", 11, leaf_hash(b"r")).unwrap();
    let moved = append_signatures(
        &other.sign(&log).unwrap(),
        &witness.cosign(&cp, 1_700_000_000).unwrap(),
    )
    .unwrap();
    assert!(matches!(
        open(&moved, &[log.verifier(), witness.verifier()]),
        Err(LedgerError::InvalidSignature { .. })
    ));

    // Changing the stated time breaks the signature.
    let mut parsed = Note::parse(&note).unwrap();
    parsed.signatures[1].signature[11] ^= 1;
    assert!(matches!(
        open(&parsed.to_string(), &[log.verifier(), witness.verifier()]),
        Err(LedgerError::InvalidSignature { .. })
    ));
}

#[test]
fn cosigner_keys_round_trip_and_refuse_note_keys() {
    let cosigner = Cosigner::from_seed("witness.example/w1", &[7; 32]).unwrap();
    let skey = cosigner.to_key_string();
    assert!(skey.starts_with("PRIVATE+KEY+witness.example/w1+"));
    assert_eq!(
        Cosigner::parse(&skey).unwrap().verifier(),
        cosigner.verifier()
    );
    let vkey = cosigner.verifier().to_key_string();
    assert_eq!(Verifier::parse(&vkey).unwrap(), cosigner.verifier());
    // Key types are not interchangeable.
    assert!(Signer::parse(&skey).is_err());
    let note_key = Signer::from_seed("witness.example/w1", &[7; 32]).unwrap();
    assert!(Cosigner::parse(&note_key.to_key_string()).is_err());
    let cp = Checkpoint::new("o", 1, [0; 32]).unwrap();
    assert_eq!(
        cosigner.cosign(&cp, u64::MAX),
        Err(LedgerError::TimestampTooLarge {
            timestamp: u64::MAX
        })
    );
}
