//! Crash safety of the ledger: the real server is killed with
//! SIGKILL during a burst of appends at 20 random moments and restarted;
//! afterwards every acknowledged action is in the log, no leaf index is
//! reused or missing, the tree recomputed from the served tiles matches the
//! signed checkpoint, and every checkpoint seen along the way is consistent
//! with the final one.
//!
//! The moments come from a seeded generator; set `PREFLIGHT_CRASH_SEED` to
//! replay another sequence of delays (the interleaving itself still varies).

use crate::instance::{Backend, Instance, Server, http_client};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use preflight_core::ledger_entry::{LedgerEntry, commitment};
use preflight_ledger::tiles::{
    TILE_WIDTH, decode_entry_bundle, decode_tile, entries_path, tile_path,
};
use preflight_ledger::tree::root_from_hashes;
use preflight_ledger::{
    Checkpoint, Hash, Verifier, leaf_hash, verify_consistency, verify_inclusion,
};
use preflight_store::Store;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::Row;
use std::collections::HashMap;
use std::time::{Duration, Instant};
use tokio::task::JoinSet;

/// Server lifetimes ended by SIGKILL.
const ROUNDS: usize = 20;
/// Concurrent clients in each burst, each posting one organisation after
/// another until the server dies.
const CLIENTS: usize = 8;
/// How long after a burst starts the server is killed, in milliseconds.
const KILL_AFTER_MS: std::ops::RangeInclusive<u64> = 5..=150;
const DEFAULT_SEED: u64 = 0x5eed_0003;
/// Organisations created before the crashes begin, bringing the log to
/// 234 entries.
const FILL: usize = 232;
/// Acknowledged entries whose inclusion proof is also asked of the server.
const INCLUSION_SAMPLE: usize = 64;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite() {
    run(Backend::Sqlite, "crash_safety::sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres() {
    run(Backend::Postgres, "crash_safety::postgres").await;
}

/// Runs the scenario on a fresh instance and removes it afterwards; a
/// failing run keeps its data directory and server logs.
async fn run(backend: Backend, test: &str) {
    let Some(instance) = Instance::create(backend, test).await else {
        return;
    };
    let started = Instant::now();
    let outcome = tokio::spawn({
        let instance = instance.clone();
        async move { crash_and_verify(&instance).await }
    })
    .await;
    instance.remove(outcome.is_err()).await;
    match outcome {
        Ok(summary) => println!("{test}: {summary} ({:.1?})", started.elapsed()),
        Err(err) => std::panic::resume_unwind(err.into_panic()),
    }
}

/// An organisation the server answered 201 for: it must be in the log.
#[derive(Debug)]
struct Acked {
    name: String,
    /// `None` when the server died while sending the body of its 201.
    id: Option<String>,
}

async fn crash_and_verify(instance: &Instance) -> String {
    let email = "crash-admin@preflight.test";
    instance.admin(&[
        "create-user",
        "--name",
        "Crash Admin",
        "--email",
        email,
        "--role",
        "admin",
    ]);
    let token = instance.admin(&["create-token", "--user", email]);

    let seed = std::env::var("PREFLIGHT_CRASH_SEED")
        .ok()
        .map(|s| s.parse().expect("PREFLIGHT_CRASH_SEED is a u64"))
        .unwrap_or(DEFAULT_SEED);
    println!("crash safety: seed {seed}");
    let mut rng = StdRng::seed_from_u64(seed);
    let mut acked: Vec<Acked> = Vec::new();
    let mut log_keys = Vec::new();
    // The latest checkpoint at the start of each round.
    let mut seen: Vec<(usize, String)> = Vec::new();

    // Fill the log to just below a full tile (the two admin commands wrote
    // two entries), so the crashes below cross a tile boundary and the tiles
    // checked at the end include full ones and a level-1 tile.
    let mut server = instance.serve("serve-fill.log").await;
    let client = http_client();
    server.wait_healthy(&client).await;
    log_keys.push(server.log_key.clone());
    let mut fill = JoinSet::new();
    for task in 0..CLIENTS {
        fill.spawn(post_orgs(
            client.clone(),
            server.url("/api/v1/orgs"),
            token.clone(),
            format!("Fill c{task}"),
            FILL / CLIENTS,
        ));
    }
    acked.extend(burst_outcome(fill, "the fill").await);
    assert_eq!(acked.len(), FILL, "every org of the fill is acknowledged");
    server.kill();

    for round in 0..ROUNDS {
        let mut server = instance.serve(&format!("serve-{round:02}.log")).await;
        let client = http_client();
        server.wait_healthy(&client).await;
        log_keys.push(server.log_key.clone());
        seen.push((round, latest_checkpoint(&server, &client, &token).await));

        let kill_after = Duration::from_millis(rng.gen_range(KILL_AFTER_MS));
        let mut burst = JoinSet::new();
        for task in 0..CLIENTS {
            burst.spawn(post_orgs(
                client.clone(),
                server.url("/api/v1/orgs"),
                token.clone(),
                format!("Crash r{round:02} c{task}"),
                usize::MAX,
            ));
        }
        tokio::time::sleep(kill_after).await;
        server.kill();
        acked.extend(burst_outcome(burst, &format!("round {round}")).await);
    }
    assert!(
        acked.len() > FILL,
        "no POST was acknowledged in {ROUNDS} rounds: the test proved nothing"
    );

    // The last start: it integrates what the killed ones left behind.
    let mut server = instance.serve("serve-final.log").await;
    let client = http_client();
    server.wait_healthy(&client).await;
    log_keys.push(server.log_key.clone());
    assert!(
        log_keys.iter().all(|k| *k == log_keys[0]),
        "the ledger key changed across restarts: {log_keys:?}"
    );
    let log = Verifier::parse(&server.log_key).expect("the logged ledger key parses");
    let store = Store::open(&instance.store_url()).await.unwrap();
    let (checkpoint, written) = settled_checkpoint(&server, &client, &token, &store, &log).await;
    let ledger = Ledger::read(instance, &store, written).await;

    let landed = ledger
        .every_acknowledged_org_is_logged(&acked, &server, &client, &token)
        .await;
    ledger
        .acknowledged_entries_prove_inclusion(&acked, &checkpoint, &server, &client, &token)
        .await;
    ledger
        .tiles_recompute_the_signed_root(&checkpoint, &server, &client, &token)
        .await;
    ledger
        .earlier_checkpoints_are_consistent(&seen, &log, &checkpoint, &server, &client, &token)
        .await;

    let sizes: Vec<u64> = seen
        .iter()
        .map(|(_, note)| {
            Checkpoint::open(note, std::slice::from_ref(&log))
                .unwrap()
                .0
                .size()
        })
        .collect();
    format!(
        "{ROUNDS} kills, {} acknowledged orgs, {} more landed unacknowledged, \
         {written} ledger entries, checkpoint sizes at each restart {sizes:?}",
        acked.len(),
        landed - acked.len(),
    )
}

/// What one client of a burst saw.
#[derive(Debug, Default)]
struct Burst {
    acked: Vec<Acked>,
    /// Answers other than 201: a live server must accept every request.
    refused: Vec<String>,
}

/// The organisations a burst's clients got acknowledged; a live server
/// must have accepted every request.
async fn burst_outcome(mut burst: JoinSet<Burst>, what: &str) -> Vec<Acked> {
    let mut acked = Vec::new();
    while let Some(done) = burst.join_next().await {
        let outcome = done.unwrap();
        assert!(
            outcome.refused.is_empty(),
            "{what}: the server answered other than 201 while it was up: {:?}",
            outcome.refused
        );
        acked.extend(outcome.acked);
    }
    acked
}

/// Posts up to `limit` organisations one after another, stopping when a
/// request fails because the server died; that last one may or may not
/// have landed.
async fn post_orgs(
    client: reqwest::Client,
    url: String,
    token: String,
    prefix: String,
    limit: usize,
) -> Burst {
    let mut out = Burst::default();
    for n in 0..limit {
        let name = format!("{prefix} n{n:04}");
        let sent = client
            .post(&url)
            .bearer_auth(&token)
            .json(&json!({ "name": name, "kind": "developer_lab", "sector": null }))
            .send()
            .await;
        let Ok(resp) = sent else {
            break;
        };
        let status = resp.status();
        let body = resp.text().await;
        match (status, body) {
            (StatusCode::CREATED, Ok(text)) => {
                let org: Value = serde_json::from_str(&text)
                    .unwrap_or_else(|e| panic!("201 body is not JSON ({e}): {text}"));
                let id = org["id"].as_str().expect("the new org's id").to_owned();
                out.acked.push(Acked { name, id: Some(id) });
            }
            (StatusCode::CREATED, Err(_)) => {
                out.acked.push(Acked { name, id: None });
                break;
            }
            (status, body) => {
                out.refused.push(format!("{status}: {body:?}"));
                break;
            }
        }
    }
    out
}

/// `GET path` with the token; the body of a 200, or a panic naming the path.
async fn get(server: &Server, client: &reqwest::Client, token: &str, path: &str) -> Vec<u8> {
    let (status, body) = try_get(server, client, token, path).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "GET {path}: {}",
        String::from_utf8_lossy(&body)
    );
    body
}

async fn try_get(
    server: &Server,
    client: &reqwest::Client,
    token: &str,
    path: &str,
) -> (StatusCode, Vec<u8>) {
    let resp = client
        .get(server.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {path}: {e}"));
    let status = resp.status();
    (status, resp.bytes().await.unwrap().to_vec())
}

async fn get_json(server: &Server, client: &reqwest::Client, token: &str, path: &str) -> Value {
    serde_json::from_slice(&get(server, client, token, path).await).unwrap()
}

/// The latest signed checkpoint; on a fresh log the first one may take a
/// moment.
async fn latest_checkpoint(server: &Server, client: &reqwest::Client, token: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (status, body) = try_get(server, client, token, "/ledger/checkpoint").await;
        if status == StatusCode::OK {
            return String::from_utf8(body).unwrap();
        }
        assert!(
            status == StatusCode::SERVICE_UNAVAILABLE && Instant::now() < deadline,
            "GET /ledger/checkpoint: {status} {}",
            String::from_utf8_lossy(&body)
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits (up to 10 s) until the signed checkpoint covers every entry
/// written; returns it and that size.
async fn settled_checkpoint(
    server: &Server,
    client: &reqwest::Client,
    token: &str,
    store: &Store,
    log: &Verifier,
) -> (Checkpoint, u64) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (written, integrated) = store.ledger_sizes().await.unwrap();
        let note = latest_checkpoint(server, client, token).await;
        let (checkpoint, opened) = Checkpoint::open(&note, std::slice::from_ref(log))
            .unwrap_or_else(|e| {
                panic!("the checkpoint is not signed by the log key ({e}):\n{note}")
            });
        assert!(opened.is_signed_by(log));
        assert_eq!(checkpoint.origin(), log.name());
        assert!(
            checkpoint.size() <= written,
            "the checkpoint covers {} entries but only {written} were written",
            checkpoint.size()
        );
        if checkpoint.size() == written {
            assert_eq!(integrated, written);
            return (checkpoint, written);
        }
        assert!(
            Instant::now() < deadline,
            "after the last restart the checkpoint stayed at {} of {written} entries \
             (integrated {integrated}) for 10 s",
            checkpoint.size()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// One row of `events`.
#[derive(Debug)]
struct EventRow {
    id: String,
    kind: String,
    leaf_index: Option<i64>,
    details: Value,
}

/// The ledger as stored after the last restart: the entries of the settled
/// tree, checked to be dense and each the entry of exactly one event.
#[derive(Debug)]
struct Ledger {
    /// Entry texts (the Merkle leaves), by leaf index.
    entries: Vec<String>,
    leaves: Vec<Hash>,
    events: Vec<EventRow>,
}

impl Ledger {
    /// Reads the first `written` entries and every event, and checks that no
    /// index is reused or missing: leaf indexes of events are exactly
    /// `0..written`, each once, and each entry names its event and commits
    /// to its record.
    async fn read(instance: &Instance, store: &Store, written: u64) -> Self {
        let entries = store.ledger_entries(0, written).await.unwrap();
        assert_eq!(entries.len() as u64, written, "entries 0..{written}");
        let db = sqlx::AnyPool::connect(&instance.store_url()).await.unwrap();

        let rows = sqlx::query(
            "SELECT leaf_index AS idx, id AS event_id FROM events WHERE entry IS NOT NULL ORDER BY leaf_index",
        )
        .fetch_all(&db)
        .await
        .unwrap();
        assert_eq!(
            rows.len() as u64,
            written,
            "events hold {} ledger entries, the ledger says {written} were written",
            rows.len()
        );
        let parsed: Vec<LedgerEntry> = entries
            .iter()
            .enumerate()
            .map(|(i, e)| {
                serde_json::from_str(e)
                    .unwrap_or_else(|err| panic!("entry {i} is not a ledger entry ({err}): {e}"))
            })
            .collect();
        for (i, row) in rows.iter().enumerate() {
            assert_eq!(row.get::<i64, _>("idx"), i as i64, "ledger entry indexes");
            assert_eq!(
                row.get::<String, _>("event_id"),
                parsed[i].event_id.to_string(),
                "entry {i} names another event than its row"
            );
        }

        let rows = sqlx::query("SELECT id, kind, leaf_index, details, salt, record FROM events")
            .fetch_all(&db)
            .await
            .unwrap();
        let mut owner: Vec<Option<String>> = vec![None; entries.len()];
        let mut events = Vec::with_capacity(rows.len());
        for row in &rows {
            let event = EventRow {
                id: row.get("id"),
                kind: row.get("kind"),
                leaf_index: row.get("leaf_index"),
                details: serde_json::from_str(&row.get::<String, _>("details")).unwrap(),
            };
            let index = event
                .leaf_index
                .unwrap_or_else(|| panic!("event {} has no leaf index", event.id));
            let slot = usize::try_from(index)
                .ok()
                .and_then(|i| owner.get_mut(i))
                .unwrap_or_else(|| {
                    panic!(
                        "event {} has leaf index {index}, outside 0..{written}",
                        event.id
                    )
                });
            if let Some(other) = slot.replace(event.id.clone()) {
                panic!(
                    "leaf index {index} is used by events {other} and {}",
                    event.id
                );
            }
            let entry = &parsed[index as usize];
            assert_eq!(entry.event_id.to_string(), event.id, "entry {index}");
            assert_eq!(entry.kind.to_string(), event.kind, "entry {index}");
            let salt: Option<String> = row.get("salt");
            let record: Option<String> = row.get("record");
            let (Some(salt), Some(record)) = (salt, record) else {
                panic!("event {} has no salt or record", event.id);
            };
            assert_eq!(
                entry.commitment,
                commitment(&hex::decode(salt).unwrap(), &record),
                "entry {index} does not commit to the record of event {}",
                event.id
            );
            events.push(event);
        }
        let missing: Vec<usize> = (0..owner.len()).filter(|&i| owner[i].is_none()).collect();
        assert!(
            missing.is_empty(),
            "leaf indexes with no event: {missing:?}"
        );
        db.close().await;

        let leaves = entries.iter().map(|e| leaf_hash(e.as_bytes())).collect();
        Self {
            entries,
            leaves,
            events,
        }
    }

    /// Every acknowledged org is listed and has exactly one `org_created`
    /// event on the ledger; every listed org has one and no event names an
    /// org that does not exist. Returns the number of orgs.
    async fn every_acknowledged_org_is_logged(
        &self,
        acked: &[Acked],
        server: &Server,
        client: &reqwest::Client,
        token: &str,
    ) -> usize {
        let listed = get_json(server, client, token, "/api/v1/orgs").await;
        let listed: HashMap<String, String> = listed
            .as_array()
            .expect("a list of orgs")
            .iter()
            .map(|o| {
                (
                    o["id"].as_str().unwrap().to_owned(),
                    o["name"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        let by_name: HashMap<&str, &str> = listed
            .iter()
            .map(|(id, name)| (name.as_str(), id.as_str()))
            .collect();
        let mut logged: HashMap<String, Vec<&EventRow>> = HashMap::new();
        for event in self.events.iter().filter(|e| e.kind == "org_created") {
            let id = event.details["id"]
                .as_str()
                .expect("org_created names the org");
            logged.entry(id.to_owned()).or_default().push(event);
        }

        for a in acked {
            let id = match &a.id {
                Some(id) => {
                    assert_eq!(
                        listed.get(id),
                        Some(&a.name),
                        "acknowledged org {} ({id}) is not listed",
                        a.name
                    );
                    id.as_str()
                }
                None => by_name
                    .get(a.name.as_str())
                    .copied()
                    .unwrap_or_else(|| panic!("acknowledged org {} is not listed", a.name)),
            };
            let events = logged.get(id).map(Vec::as_slice).unwrap_or_default();
            assert_eq!(
                events.len(),
                1,
                "acknowledged org {} ({id}) has {} org_created events on the ledger",
                a.name,
                events.len()
            );
            assert_eq!(events[0].details["name"].as_str(), Some(a.name.as_str()));
        }
        for (id, name) in &listed {
            let n = logged.get(id).map_or(0, Vec::len);
            assert_eq!(n, 1, "org {name} ({id}) has {n} org_created events");
        }
        for id in logged.keys() {
            assert!(
                listed.contains_key(id),
                "the ledger records org {id}, which does not exist"
            );
        }
        listed.len()
    }

    /// The server proves the inclusion of a sample of acknowledged entries in
    /// the signed tree.
    async fn acknowledged_entries_prove_inclusion(
        &self,
        acked: &[Acked],
        checkpoint: &Checkpoint,
        server: &Server,
        client: &reqwest::Client,
        token: &str,
    ) {
        let index_of: HashMap<&str, u64> = self
            .events
            .iter()
            .filter(|e| e.kind == "org_created")
            .filter_map(|e| Some((e.details["id"].as_str()?, e.leaf_index? as u64)))
            .collect();
        let step = acked.len().div_ceil(INCLUSION_SAMPLE).max(1);
        let size = checkpoint.size();
        for a in acked.iter().step_by(step) {
            let Some(id) = &a.id else { continue };
            let index = index_of[id.as_str()];
            let proof = get_json(
                server,
                client,
                token,
                &format!("/api/v1/ledger/proofs/inclusion?index={index}&size={size}"),
            )
            .await;
            verify_inclusion(
                &self.leaves[index as usize],
                index,
                size,
                &hashes(&proof["proof"]),
                checkpoint.root(),
            )
            .unwrap_or_else(|e| panic!("inclusion of entry {index} ({}): {e}", a.name));
        }
    }

    /// Every entry bundle and every tile of every level, fetched over HTTP,
    /// holds exactly the entries and hashes the stored entries give, and the
    /// leaves hash to the signed root.
    async fn tiles_recompute_the_signed_root(
        &self,
        checkpoint: &Checkpoint,
        server: &Server,
        client: &reqwest::Client,
        token: &str,
    ) {
        let full = usize::from(TILE_WIDTH);
        let width_of = |len: usize| (len < full).then(|| u16::try_from(len).unwrap());
        for (n, chunk) in self.entries.chunks(full).enumerate() {
            let path = entries_path(n as u64, width_of(chunk.len())).unwrap();
            let bytes = get(server, client, token, &format!("/ledger/{path}")).await;
            let bundle = decode_entry_bundle(&bytes).unwrap_or_else(|e| panic!("{path}: {e}"));
            let expected: Vec<Vec<u8>> = chunk.iter().map(|e| e.as_bytes().to_vec()).collect();
            assert!(bundle == expected, "{path} differs from the stored entries");
        }
        let mut level = 0u8;
        let mut hashes = self.leaves.clone();
        loop {
            for (n, chunk) in hashes.chunks(full).enumerate() {
                let path = tile_path(level, n as u64, width_of(chunk.len())).unwrap();
                let bytes = get(server, client, token, &format!("/ledger/{path}")).await;
                let tile = decode_tile(&bytes).unwrap_or_else(|e| panic!("{path}: {e}"));
                assert!(
                    tile == chunk,
                    "{path} differs from the hashes of its subtrees"
                );
            }
            // A tile of the next level holds the roots of full tiles of this one.
            let next: Vec<Hash> = hashes.chunks_exact(full).map(root_from_hashes).collect();
            if next.is_empty() {
                break;
            }
            hashes = next;
            level += 1;
        }
        assert!(
            root_from_hashes(&self.leaves) == *checkpoint.root(),
            "the tiles of {} entries do not hash to the signed root",
            checkpoint.size()
        );
    }

    /// Each round's checkpoint is signed by the log key, sizes never go
    /// back, its root is the root of that prefix of the final leaves, and
    /// the server's consistency proof to the final checkpoint verifies.
    async fn earlier_checkpoints_are_consistent(
        &self,
        seen: &[(usize, String)],
        log: &Verifier,
        last: &Checkpoint,
        server: &Server,
        client: &reqwest::Client,
        token: &str,
    ) {
        let seen: Vec<(usize, Checkpoint)> = seen
            .iter()
            .map(|(round, note)| {
                let (checkpoint, _) = Checkpoint::open(note, std::slice::from_ref(log))
                    .unwrap_or_else(|e| {
                        panic!("round {round}'s checkpoint is not signed by the log key: {e}")
                    });
                (*round, checkpoint)
            })
            .collect();
        for pair in seen.windows(2) {
            let ((r0, c0), (r1, c1)) = (&pair[0], &pair[1]);
            assert!(
                c0.size() <= c1.size(),
                "the log shrank from {} entries in round {r0} to {} in round {r1}",
                c0.size(),
                c1.size()
            );
        }
        // The server's proofs first, as a client would check them.
        for (round, old) in &seen {
            let size = old.size();
            assert!(size <= last.size());
            let proof = match size {
                0 => continue,
                s if s == last.size() => Vec::new(),
                _ => {
                    let path = format!(
                        "/api/v1/ledger/proofs/consistency?from={size}&to={}",
                        last.size()
                    );
                    let proof = get_json(server, client, token, &path).await;
                    assert_eq!(
                        proof["root"].as_str(),
                        Some(B64.encode(last.root()).as_str())
                    );
                    hashes(&proof["proof"])
                }
            };
            verify_consistency(size, last.size(), &proof, old.root(), last.root()).unwrap_or_else(
                |e| {
                    panic!(
                        "consistency from round {round}'s checkpoint ({size}) to {}: {e}",
                        last.size()
                    )
                },
            );
        }
        // And independently of them: each root is that of a prefix of the
        // leaves checked against the tiles.
        for (round, old) in &seen {
            assert!(
                root_from_hashes(&self.leaves[..old.size() as usize]) == *old.root(),
                "round {round}'s checkpoint (size {}) is not a prefix of the final tiles",
                old.size()
            );
        }
    }
}

/// Base64 hashes from a proof.
fn hashes(v: &Value) -> Vec<Hash> {
    v.as_array()
        .expect("a list of hashes")
        .iter()
        .map(|h| {
            B64.decode(h.as_str().expect("base64"))
                .expect("base64")
                .try_into()
                .expect("32 bytes")
        })
        .collect()
}
