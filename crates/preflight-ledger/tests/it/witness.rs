//! The C2SP tlog-witness `add-checkpoint` rules.

use preflight_ledger::note::{append_signatures, open};
use preflight_ledger::witness::{AddCheckpoint, SIZE_CONTENT_TYPE, parse_conflict_body};
use preflight_ledger::{
    Checkpoint, Cosigner, MemoryLog, Signer, Witness, WitnessRefusal, empty_root,
};

use crate::support::entries;

const ORIGIN: &str = "log.example/preflight";
const NOW: u64 = 1_750_000_000;

struct Setup {
    log: MemoryLog,
    log_key: Signer,
    witness: Witness,
}

fn setup() -> Setup {
    let log_key = Signer::from_seed(ORIGIN, &[1; 32]).unwrap();
    let cosigner = Cosigner::from_seed("witness.example/w1", &[2; 32]).unwrap();
    let witness = Witness::new(ORIGIN, vec![log_key.verifier()], cosigner, None).unwrap();
    Setup {
        log: MemoryLog::new(),
        log_key,
        witness,
    }
}

fn signed(log: &MemoryLog, key: &Signer, size: u64) -> String {
    let cp = Checkpoint::new(ORIGIN, size, log.root(size).unwrap()).unwrap();
    cp.sign(key).unwrap()
}

fn request(old: u64, proof: Vec<[u8; 32]>, checkpoint: String) -> String {
    AddCheckpoint {
        old_size: old,
        proof,
        checkpoint,
    }
    .body()
}

/// Sends a request and, if accepted, records it as the caller would.
fn add(witness: &mut Witness, body: &str) -> Result<String, WitnessRefusal> {
    let accepted = witness.add_checkpoint(body, NOW)?;
    witness.record(&accepted);
    Ok(accepted.cosignature)
}

#[test]
fn accepts_a_first_checkpoint_and_consistent_extensions() {
    let Setup {
        mut log,
        log_key,
        mut witness,
    } = setup();
    log.append(&entries(300)).unwrap();
    let note = signed(&log, &log_key, 300);
    let cosignature = add(&mut witness, &request(0, vec![], note.clone())).unwrap();
    assert_eq!(witness.known_size(), 300);

    // The cosignature verifies with the witness key on the checkpoint.
    let cosigned = append_signatures(&note, &cosignature).unwrap();
    let opened = open(
        &cosigned,
        &[log_key.verifier(), witness.cosigner().verifier()],
    )
    .unwrap();
    assert_eq!(opened.signer_names(), vec![ORIGIN, "witness.example/w1"]);
    assert_eq!(opened.verified[1].timestamp, Some(NOW));

    log.append(&entries(1000)).unwrap();
    let proof = log.consistency_proof(300, 1300).unwrap();
    add(
        &mut witness,
        &request(300, proof, signed(&log, &log_key, 1300)),
    )
    .unwrap();
    assert_eq!(witness.known_size(), 1300);
    assert_eq!(witness.last().unwrap().root(), &log.root(1300).unwrap());

    // The same checkpoint again is cosigned again (a fresh statement).
    add(
        &mut witness,
        &request(1300, vec![], signed(&log, &log_key, 1300)),
    )
    .unwrap();
}

#[test]
fn refuses_a_fork() {
    let Setup {
        mut log,
        log_key,
        mut witness,
    } = setup();
    log.append(&entries(100)).unwrap();
    add(
        &mut witness,
        &request(0, vec![], signed(&log, &log_key, 100)),
    )
    .unwrap();

    // Another tree of the same size: a 409.
    let mut fork = MemoryLog::new();
    fork.append(&entries(99)).unwrap();
    fork.append(&[b"rewritten".to_vec()]).unwrap();
    let forked = signed(&fork, &log_key, 100);
    assert_eq!(
        witness.add_checkpoint(&request(100, vec![], forked), NOW),
        Err(WitnessRefusal::Conflict { known_size: 100 })
    );

    // A larger tree that does not extend the one cosigned: a 422, whatever
    // proof comes with it.
    fork.append(&entries(50)).unwrap();
    let forked = signed(&fork, &log_key, 150);
    let proof = fork.consistency_proof(100, 150).unwrap();
    let refusal = witness
        .add_checkpoint(&request(100, proof, forked.clone()), NOW)
        .unwrap_err();
    assert!(
        matches!(refusal, WitnessRefusal::InvalidProof(_)),
        "{refusal}"
    );
    assert_eq!(refusal.status(), 422);
    log.append(&entries(50)).unwrap();
    let honest_proof = log.consistency_proof(100, 150).unwrap();
    let refusal = witness
        .add_checkpoint(&request(100, honest_proof, forked), NOW)
        .unwrap_err();
    assert_eq!(refusal.status(), 422);
    assert_eq!(witness.known_size(), 100);
}

#[test]
fn a_stale_old_size_gets_409_with_the_known_size() {
    let Setup {
        mut log,
        log_key,
        mut witness,
    } = setup();
    log.append(&entries(500)).unwrap();
    add(
        &mut witness,
        &request(0, vec![], signed(&log, &log_key, 200)),
    )
    .unwrap();

    let proof = log.consistency_proof(100, 500).unwrap();
    let refusal = witness
        .add_checkpoint(&request(100, proof, signed(&log, &log_key, 500)), NOW)
        .unwrap_err();
    assert_eq!(refusal, WitnessRefusal::Conflict { known_size: 200 });
    assert_eq!(refusal.status(), 409);
    assert_eq!(refusal.conflict_body().as_deref(), Some("200\n"));
    assert_eq!(SIZE_CONTENT_TYPE, "text/x.tlog.size");
    assert_eq!(parse_conflict_body("200\n").unwrap(), 200);
    for bad in ["200", "0200\n", "\n", "two\n"] {
        assert!(parse_conflict_body(bad).is_err(), "{bad:?}");
    }

    // A log that does not know the witness's size asks with old 0.
    let refusal = witness
        .add_checkpoint(&request(0, vec![], signed(&log, &log_key, 500)), NOW)
        .unwrap_err();
    assert_eq!(refusal, WitnessRefusal::Conflict { known_size: 200 });
    // A witness that never cosigned knows size 0.
    let fresh = setup().witness;
    let refusal = fresh
        .add_checkpoint(&request(200, vec![], signed(&log, &log_key, 500)), NOW)
        .unwrap_err();
    assert_eq!(refusal, WitnessRefusal::Conflict { known_size: 0 });
    // Rolling back is the same conflict.
    let refusal = witness
        .add_checkpoint(&request(100, vec![], signed(&log, &log_key, 100)), NOW)
        .unwrap_err();
    assert_eq!(refusal, WitnessRefusal::Conflict { known_size: 200 });
}

#[test]
fn refuses_unsigned_and_wrongly_signed_checkpoints() {
    let Setup {
        mut log,
        log_key,
        witness,
    } = setup();
    log.append(&entries(10)).unwrap();

    let stranger = Signer::from_seed(ORIGIN, &[9; 32]).unwrap();
    let refusal = witness
        .add_checkpoint(&request(0, vec![], signed(&log, &stranger, 10)), NOW)
        .unwrap_err();
    assert!(matches!(refusal, WitnessRefusal::Forbidden(_)), "{refusal}");
    assert_eq!(refusal.status(), 403);

    let forged = signed(&log, &log_key, 10).replace("\n10\n", "\n11\n");
    let refusal = witness
        .add_checkpoint(&request(0, vec![], forged), NOW)
        .unwrap_err();
    assert_eq!(refusal.status(), 403);

    let unsigned = Checkpoint::new(ORIGIN, 10, log.root(10).unwrap())
        .unwrap()
        .body();
    let refusal = witness
        .add_checkpoint(&request(0, vec![], unsigned), NOW)
        .unwrap_err();
    assert_eq!(refusal.status(), 400, "{refusal}");

    let elsewhere = Checkpoint::new("other.example/log", 10, log.root(10).unwrap()).unwrap();
    let refusal = witness
        .add_checkpoint(&request(0, vec![], elsewhere.sign(&log_key).unwrap()), NOW)
        .unwrap_err();
    assert_eq!(
        refusal,
        WitnessRefusal::UnknownOrigin("other.example/log".into())
    );
    assert_eq!(refusal.status(), 404);
}

#[test]
fn refuses_malformed_requests() {
    let Setup {
        mut log,
        log_key,
        witness,
    } = setup();
    log.append(&entries(10)).unwrap();
    let note = signed(&log, &log_key, 10);
    let root = log.root(10).unwrap();
    let proof_line = preflight_ledger::hash::encode_hash(&root);
    for body in [
        String::new(),
        note.clone(),
        format!("old 0\n{note}"),
        format!("old 00\n\n{note}"),
        format!("old -1\n\n{note}"),
        format!("new 0\n\n{note}"),
        format!("old 0\nAAAA\n\n{note}"),
        format!("old 0\n{}\n{note}", format!("{proof_line}\n").repeat(64)),
        "old 0\n\n".to_owned(),
        format!("old 11\n\n{note}"),
    ] {
        let refusal = witness.add_checkpoint(&body, NOW).unwrap_err();
        assert_eq!(refusal.status(), 400, "{body:?}: {refusal}");
    }
}

#[test]
fn proofs_must_fit_the_sizes() {
    let Setup {
        mut log,
        log_key,
        mut witness,
    } = setup();
    log.append(&entries(40)).unwrap();
    let root = log.root(40).unwrap();
    // From 0 the proof must be empty.
    let refusal = witness
        .add_checkpoint(&request(0, vec![root], signed(&log, &log_key, 40)), NOW)
        .unwrap_err();
    assert_eq!(refusal.status(), 422);
    // An empty tree must have the empty root.
    let bogus_empty = Checkpoint::new(ORIGIN, 0, root)
        .unwrap()
        .sign(&log_key)
        .unwrap();
    assert_eq!(
        witness
            .add_checkpoint(&request(0, vec![], bogus_empty), NOW)
            .unwrap_err()
            .status(),
        422
    );
    let empty = Checkpoint::new(ORIGIN, 0, empty_root())
        .unwrap()
        .sign(&log_key)
        .unwrap();
    add(&mut witness, &request(0, vec![], empty)).unwrap();
    // After the empty tree, any tree extends it.
    add(
        &mut witness,
        &request(0, vec![], signed(&log, &log_key, 20)),
    )
    .unwrap();
    // Equal sizes take no proof; a missing proof for a larger size fails.
    let refusal = witness
        .add_checkpoint(&request(20, vec![root], signed(&log, &log_key, 20)), NOW)
        .unwrap_err();
    assert_eq!(refusal.status(), 422);
    let refusal = witness
        .add_checkpoint(&request(20, vec![], signed(&log, &log_key, 40)), NOW)
        .unwrap_err();
    assert_eq!(refusal.status(), 422);
    // At most 63 proof lines.
    let ok = witness.add_checkpoint(
        &request(
            20,
            log.consistency_proof(20, 40).unwrap(),
            signed(&log, &log_key, 40),
        ),
        NOW,
    );
    assert!(ok.is_ok());
}

#[test]
fn the_witness_is_configured_with_log_keys_and_state_of_its_origin() {
    let log_key = Signer::from_seed(ORIGIN, &[1; 32]).unwrap();
    let cosigner = Cosigner::from_seed("witness.example/w1", &[2; 32]).unwrap();
    assert!(Witness::new(ORIGIN, vec![], cosigner.clone(), None).is_err());
    assert!(Witness::new(ORIGIN, vec![cosigner.verifier()], cosigner.clone(), None).is_err());
    let elsewhere = Checkpoint::new("other.example/log", 0, empty_root()).unwrap();
    assert!(
        Witness::new(
            ORIGIN,
            vec![log_key.verifier()],
            cosigner.clone(),
            Some(elsewhere)
        )
        .is_err()
    );
    let last = Checkpoint::new(ORIGIN, 0, empty_root()).unwrap();
    let witness = Witness::new(
        ORIGIN,
        vec![log_key.verifier()],
        cosigner,
        Some(last.clone()),
    )
    .unwrap();
    assert_eq!(witness.known_size(), 0);
    // A clock beyond what a cosignature can state is the witness's fault.
    let body = request(0, vec![], last.sign(&log_key).unwrap());
    assert_eq!(
        witness
            .add_checkpoint(&body, u64::MAX)
            .unwrap_err()
            .status(),
        500
    );
    assert!(witness.add_checkpoint(&body, NOW).is_ok());
}

#[test]
fn request_bodies_round_trip() {
    let Setup {
        mut log, log_key, ..
    } = setup();
    log.append(&entries(30)).unwrap();
    let request = AddCheckpoint {
        old_size: 7,
        proof: log.consistency_proof(7, 30).unwrap(),
        checkpoint: signed(&log, &log_key, 30),
    };
    let body = request.body();
    assert!(body.starts_with("old 7\n"));
    assert_eq!(AddCheckpoint::parse(&body).unwrap(), request);
}
