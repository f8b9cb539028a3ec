//! C2SP signed notes, checked against the known-answer vectors of the
//! reference implementation (golang.org/x/mod/sumdb/note), the signed-note
//! specification's example and transparency-dev/formats keys.

use preflight_ledger::LedgerError;
use preflight_ledger::note::{
    self, KeyKind, MAX_SIGNATURES, Note, Signer, Verifier, append_signatures, open,
};

const PETER_SKEY: &str =
    "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
const PETER_VKEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
const ENOCH_VKEY: &str = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
const TEXT: &str = "If you think cryptography is the answer to your problem,\n\
                    then you don't know what your problem is.\n";
const PETER_SIG: &str = "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
const ENOCH_SIG: &str = "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";

const SPEC_VKEY: &str = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k";
const SPEC_NOTE: &str = "This is an example message.\n\n— example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n";

fn peter() -> Verifier {
    Verifier::parse(PETER_VKEY).unwrap()
}

fn enoch() -> Verifier {
    Verifier::parse(ENOCH_VKEY).unwrap()
}

#[test]
fn signing_reproduces_the_reference_note_byte_for_byte() {
    let signer = Signer::parse(PETER_SKEY).unwrap();
    assert_eq!(signer.name(), "PeterNeumann");
    assert_eq!(signer.key_id(), 0xc74f_20a3);
    assert_eq!(signer.to_key_string().as_str(), PETER_SKEY);
    assert_eq!(signer.verifier().to_key_string(), PETER_VKEY);
    assert_eq!(signer.verifier(), peter());
    assert_eq!(signer.sign(TEXT).unwrap(), format!("{TEXT}\n{PETER_SIG}"));
    let debug = format!("{signer:?}");
    assert!(
        debug.contains("PeterNeumann") && !debug.contains("AYEKFALV"),
        "{debug}"
    );
}

#[test]
fn the_reference_notes_open() {
    let opened = open(&format!("{TEXT}\n{PETER_SIG}"), &[peter()]).unwrap();
    assert_eq!(opened.text, TEXT);
    assert_eq!(opened.signer_names(), vec!["PeterNeumann"]);
    assert!(opened.is_signed_by(&peter()));

    let opened = open(SPEC_NOTE, &[Verifier::parse(SPEC_VKEY).unwrap()]).unwrap();
    assert_eq!(opened.text, "This is an example message.\n");
    assert_eq!(opened.signer_names(), vec!["example.com/foo"]);

    // One known, one unknown: the unknown one is kept aside, unchecked.
    let both = format!("{TEXT}\n{PETER_SIG}{ENOCH_SIG}");
    let opened = open(&both, &[peter()]).unwrap();
    assert_eq!(opened.signer_names(), vec!["PeterNeumann"]);
    assert_eq!(opened.unknown.len(), 1);
    assert_eq!(opened.unknown[0].name, "EnochRoot");
    assert_eq!(opened.unknown[0].key_id, 0xaf0c_fe78);

    let opened = open(&both, &[peter(), enoch()]).unwrap();
    assert_eq!(opened.signer_names(), vec!["PeterNeumann", "EnochRoot"]);
    assert!(opened.unknown.is_empty());
}

#[test]
fn notes_without_a_known_signature_are_refused() {
    let both = format!("{TEXT}\n{PETER_SIG}{ENOCH_SIG}");
    assert_eq!(open(&both, &[]), Err(LedgerError::UnverifiedNote));
    let spec = Verifier::parse(SPEC_VKEY).unwrap();
    assert_eq!(open(&both, &[spec]), Err(LedgerError::UnverifiedNote));
    // Same name, other key: a different key id, so the signature is unknown.
    let other = Signer::from_seed("PeterNeumann", &[9; 32]).unwrap();
    assert_eq!(
        open(&both, &[other.verifier()]),
        Err(LedgerError::UnverifiedNote)
    );
}

#[test]
fn tampered_notes_are_refused() {
    let note = format!("{TEXT}\n{PETER_SIG}");
    let tampered_text = note.replace("cryptography", "cryptographY");
    assert_eq!(
        open(&tampered_text, &[peter()]),
        Err(LedgerError::InvalidSignature {
            name: "PeterNeumann".into(),
            key_id: 0xc74f_20a3
        })
    );
    // A signature altered but still of the known key id.
    let sig = PETER_SIG.replace("x08go/ZJ", "x08go/ZK");
    assert!(matches!(
        open(&format!("{TEXT}\n{sig}"), &[peter()]),
        Err(LedgerError::InvalidSignature { .. })
    ));
    // Three bytes inserted into the signature (the reference's own case).
    let sig = format!("{}ABCD{}", &PETER_SIG[..60], &PETER_SIG[60..]);
    assert!(matches!(
        open(&format!("{TEXT}\n{sig}"), &[peter()]),
        Err(LedgerError::InvalidSignature { .. })
    ));
    // A bad signature by a known key spoils the note even when another
    // known key's signature is good.
    let bad_enoch = format!("{}ABCD{}", &ENOCH_SIG[..60], &ENOCH_SIG[60..]);
    assert!(matches!(
        open(
            &format!("{TEXT}\n{PETER_SIG}{bad_enoch}"),
            &[peter(), enoch()]
        ),
        Err(LedgerError::InvalidSignature { .. })
    ));
}

#[test]
fn duplicate_signatures_count_once() {
    let bad_enoch = format!("{}ABCD{}", &ENOCH_SIG[..60], &ENOCH_SIG[60..]);
    let msg = format!("{TEXT}\n{PETER_SIG}{PETER_SIG}{ENOCH_SIG}{ENOCH_SIG}{bad_enoch}");
    let opened = open(&msg, &[peter()]).unwrap();
    assert_eq!(opened.signer_names(), vec!["PeterNeumann"]);
    assert_eq!(opened.unknown.len(), 2);
}

#[test]
fn ambiguous_verifiers_are_an_error_when_used() {
    assert_eq!(
        open(
            &format!("{TEXT}\n{ENOCH_SIG}"),
            &[enoch(), peter(), enoch()]
        ),
        Err(LedgerError::AmbiguousKey {
            name: "EnochRoot".into(),
            key_id: 0xaf0c_fe78
        })
    );
    assert!(
        open(
            &format!("{TEXT}\n{PETER_SIG}"),
            &[enoch(), peter(), enoch()]
        )
        .is_ok()
    );
}

#[test]
fn malformed_notes_are_refused() {
    let too_many = format!("{TEXT}\n{}", PETER_SIG.repeat(MAX_SIGNATURES + 1));
    let bad_name = format!(
        "{TEXT}\n— Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
    );
    for msg in [
        TEXT.to_owned(),
        format!("{TEXT}\n"),
        format!("{TEXT}\n{}", &PETER_SIG[..PETER_SIG.len() - 1]),
        format!("\u{1}{TEXT}\n{PETER_SIG}"),
        format!("{TEXT}\n{PETER_SIG}Unexpected line.\n"),
        format!("{TEXT}\n- PeterNeumann x08go/ZJ\n"),
        format!("{TEXT}\n— PeterNeumann\n"),
        format!("{TEXT}\n— PeterNeumann AAAA\n"),
        format!("{TEXT}\n— PeterNeumann not*base64\n"),
        format!("{TEXT}\n{PETER_SIG}\n"),
        bad_name,
        too_many,
    ] {
        assert!(
            matches!(
                open(&msg, &[peter()]),
                Err(LedgerError::MalformedNote { .. })
            ),
            "{msg:?} was not refused as malformed"
        );
    }
}

#[test]
fn only_well_formed_text_is_signed() {
    let signer = Signer::parse(PETER_SKEY).unwrap();
    for text in ["abc", "", "tab\there\n", "no newline at the end"] {
        assert!(
            matches!(signer.sign(text), Err(LedgerError::MalformedNote { .. })),
            "{text:?}"
        );
    }
    // Text may hold blank lines; the last blank line separates the
    // signatures.
    let text = "one\n\ntwo\n\n";
    let note = signer.sign(text).unwrap();
    assert_eq!(open(&note, &[peter()]).unwrap().text, text);
}

#[test]
fn mangled_key_strings_are_refused() {
    // As the reference's tests: every proper substring and every one-byte
    // change of a key string must fail to parse.
    for key in [PETER_VKEY, PETER_SKEY] {
        let parse = |k: &str| {
            if key == PETER_VKEY {
                Verifier::parse(k).is_ok()
            } else {
                Signer::parse(k).is_ok()
            }
        };
        assert!(parse(key));
        let b = key.as_bytes();
        for i in 0..=b.len() {
            for j in i + 1..=b.len() {
                if (i, j) != (0, b.len()) {
                    let sub = std::str::from_utf8(&b[i..j]).unwrap();
                    assert!(!parse(sub), "{sub:?} parsed");
                }
            }
        }
        for i in 0..b.len() {
            let mut m = b.to_vec();
            m[i] += 1;
            let m = String::from_utf8(m).unwrap();
            assert!(!parse(&m), "{m:?} parsed");
        }
    }
    // Wrong key length and unknown type, with the key id adjusted (the
    // reference's cases).
    for vkey in [
        "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",
        "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "rekor.sigstore.dev+12345678+AwEB",
        "bananas.sigstore.dev+12344556",
    ] {
        assert!(
            matches!(Verifier::parse(vkey), Err(LedgerError::InvalidKey { .. })),
            "{vkey}"
        );
    }
    assert!(matches!(
        Verifier::parse("a b+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"),
        Err(LedgerError::InvalidKeyName { .. })
    ));
    // The signer key's secret never appears in an error.
    let err = Signer::parse(&PETER_SKEY.replace("c74f20a3", "c74f20a4")).unwrap_err();
    assert!(!err.to_string().contains("AYEKFALV"), "{err}");
}

#[test]
fn keys_of_other_implementations_parse_and_print_back() {
    // transparency-dev/formats note tests: an Ed25519 key whose base64
    // holds a '+', and a native cosignature/v1 key (type 0x04).
    let plus =
        Verifier::parse("TEST+7997405c+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6").unwrap();
    assert_eq!(plus.kind(), KeyKind::Ed25519);
    assert_eq!(
        plus.to_key_string(),
        "TEST+7997405c+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6"
    );
    let cosigner =
        Verifier::parse("remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2")
            .unwrap();
    assert_eq!(cosigner.kind(), KeyKind::CosignatureV1);
    assert_eq!(cosigner.key_id(), 0xda77_ade7);
    let spec = Verifier::parse(SPEC_VKEY).unwrap();
    assert_eq!(spec.to_key_string(), SPEC_VKEY);
}

#[test]
fn generated_keys_round_trip() {
    let mut rng = crate::support::rng(20);
    let signer = Signer::generate("log.example/preflight", &mut rng).unwrap();
    let again = Signer::parse(&signer.to_key_string()).unwrap();
    assert_eq!(again.verifier(), signer.verifier());
    let verifier = Verifier::parse(&signer.verifier().to_key_string()).unwrap();
    let note = signer.sign("hello\n").unwrap();
    assert_eq!(open(&note, &[verifier]).unwrap().text, "hello\n");
    assert!(matches!(
        Signer::generate("has space", &mut rng),
        Err(LedgerError::InvalidKeyName { .. })
    ));
    assert!(matches!(
        Signer::from_seed("a+b", &[1; 32]),
        Err(LedgerError::InvalidKeyName { .. })
    ));
}

#[test]
fn signatures_can_be_added_to_a_note() {
    let peter_signer = Signer::parse(PETER_SKEY).unwrap();
    let other = Signer::from_seed("other.example", &[3; 32]).unwrap();
    let note = peter_signer.sign(TEXT).unwrap();
    let line = other.signature_line(TEXT).unwrap();
    let both = append_signatures(&note, &line).unwrap();
    assert_eq!(both, format!("{note}{line}"));
    // Adding a line the note has changes nothing.
    assert_eq!(append_signatures(&both, &line).unwrap(), both);
    let opened = open(&both, &[peter(), other.verifier()]).unwrap();
    assert_eq!(opened.signer_names(), vec!["PeterNeumann", "other.example"]);
    assert!(append_signatures(&note, "not a signature\n").is_err());
    assert!(append_signatures(&note, line.trim_end()).is_err());

    let parsed = Note::parse(&both).unwrap();
    assert_eq!(parsed.to_string(), both);
    assert_eq!(
        note::signature_line("PeterNeumann", 0xc74f_20a3, &parsed.signatures[0].signature),
        PETER_SIG
    );
}
