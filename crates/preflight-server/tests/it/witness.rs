//! The witness over HTTP: it cosigns a log that only grows, catches a
//! forked log (two trees of the same size, or a larger tree that does not
//! extend the one it saw), and keeps what it saw across a restart.

use preflight_ledger::witness::AddCheckpoint;
use preflight_ledger::{Checkpoint, Cosigner, MemoryLog, Signer, Witness};
use preflight_server::witness::{WitnessService, witness_app};
use std::sync::Arc;

const ORIGIN: &str = "preflight.test/ledger";

fn log_of(entries: &[String]) -> MemoryLog {
    let mut log = MemoryLog::new();
    log.append(entries).expect("append");
    log
}

fn signed(log: &MemoryLog, size: u64, signer: &Signer) -> String {
    Checkpoint::new(ORIGIN, size, log.root(size).expect("root"))
        .expect("checkpoint")
        .sign(signer)
        .expect("sign")
}

async fn start(
    state_file: &std::path::Path,
    signer: &Signer,
    cosigner: &Cosigner,
) -> (String, tokio::task::JoinHandle<()>) {
    let last = WitnessService::load_state(state_file).expect("state");
    let witness =
        Witness::new(ORIGIN, vec![signer.verifier()], cosigner.clone(), last).expect("witness");
    let service = Arc::new(WitnessService::new(witness, state_file.to_owned()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!(
        "http://{}/add-checkpoint",
        listener.local_addr().expect("addr")
    );
    let server = tokio::spawn(async move {
        axum::serve(listener, witness_app(service))
            .await
            .expect("serve");
    });
    (url, server)
}

async fn add(url: &str, old: u64, proof: Vec<preflight_ledger::Hash>, note: &str) -> (u16, String) {
    let body = AddCheckpoint {
        old_size: old,
        proof,
        checkpoint: note.to_owned(),
    }
    .body();
    let resp = reqwest::Client::new()
        .post(url)
        .body(body)
        .send()
        .await
        .expect("witness reachable");
    (resp.status().as_u16(), resp.text().await.expect("body"))
}

#[tokio::test]
async fn witness_cosigns_growth_and_catches_forks() {
    let dir = std::env::temp_dir().join(format!(
        "preflight-witness-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&dir).expect("dir");
    let state_file = dir.join("state");
    let signer = Signer::generate(ORIGIN, &mut rand::rngs::OsRng).expect("log key");
    let cosigner =
        Cosigner::generate("preflight.test/witness", &mut rand::rngs::OsRng).expect("witness key");
    let honest: Vec<String> = (0..40).map(|i| format!("entry {i}")).collect();
    let mut forked = honest.clone();
    forked[7] = "entry 7, rewritten".into();
    let a = log_of(&honest);
    let b = log_of(&forked);

    let (url, server) = start(&state_file, &signer, &cosigner).await;
    // First sight, then honest growth with a consistency proof.
    let (status, line) = add(&url, 0, vec![], &signed(&a, 20, &signer)).await;
    assert_eq!(status, 200, "{line}");
    let cosigned =
        preflight_ledger::note::append_signatures(&signed(&a, 20, &signer), &line).expect("append");
    preflight_ledger::note::open(&cosigned, &[cosigner.verifier()])
        .expect("the cosignature verifies");
    let (status, body) = add(
        &url,
        20,
        a.consistency_proof(20, 30).expect("proof"),
        &signed(&a, 30, &signer),
    )
    .await;
    assert_eq!(status, 200, "{body}");

    // A second tree of the same size, validly signed by the log: refused.
    let (status, body) = add(&url, 30, vec![], &signed(&b, 30, &signer)).await;
    assert_eq!(status, 409, "fork of equal size accepted: {body}");
    assert_eq!(body.trim(), "30");
    // A larger tree that does not extend the one seen: refused.
    let (status, body) = add(
        &url,
        30,
        b.consistency_proof(30, 40).expect("proof"),
        &signed(&b, 40, &signer),
    )
    .await;
    assert_eq!(status, 422, "forked growth accepted: {body}");
    // A stale old size gets the size the witness knows.
    let (status, body) = add(
        &url,
        20,
        a.consistency_proof(20, 40).expect("proof"),
        &signed(&a, 40, &signer),
    )
    .await;
    assert_eq!((status, body.trim()), (409, "30"));
    // A checkpoint not signed by the log: refused.
    let stranger = Signer::generate(ORIGIN, &mut rand::rngs::OsRng).expect("key");
    let (status, _) = add(
        &url,
        30,
        a.consistency_proof(30, 40).expect("proof"),
        &signed(&a, 40, &stranger),
    )
    .await;
    assert_eq!(status, 403);
    server.abort();

    // After a restart the witness still knows size 30 and still refuses the fork.
    let (url, server) = start(&state_file, &signer, &cosigner).await;
    let (status, body) = add(
        &url,
        30,
        b.consistency_proof(30, 40).expect("proof"),
        &signed(&b, 40, &signer),
    )
    .await;
    assert_eq!(status, 422, "fork accepted after a restart: {body}");
    let (status, body) = add(
        &url,
        30,
        a.consistency_proof(30, 40).expect("proof"),
        &signed(&a, 40, &signer),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    server.abort();
    let _ = std::fs::remove_dir_all(&dir);
}
