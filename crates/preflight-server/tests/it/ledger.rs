//! The audit ledger over HTTP: signed checkpoints, tiles and entry bundles
//! that recompute to the signed root, proofs that verify, evidence a
//! developer can check against its records, and fail-closed writes.

use crate::harness::{Harness, api};
use crate::world::{At, Lab, Who, World};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use preflight_core::ledger_entry::{LedgerEntry, commitment};
use preflight_ledger::tiles::{decode_entry_bundle, decode_tile};
use preflight_ledger::tree::root_from_hashes;
use preflight_ledger::{
    Checkpoint, Hash, Verifier, leaf_hash, verify_consistency, verify_inclusion,
};
use reqwest::Method;
use serde_json::{Value, json};

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

/// The latest checkpoint once it covers every entry written so far.
async fn settled_checkpoint(h: &Harness, token: Option<&str>) -> (Checkpoint, String) {
    let log = Verifier::parse(&h.log_key).expect("log key");
    for _ in 0..100 {
        let (written, _) = h.store.ledger_sizes().await.expect("sizes");
        let resp = h.get("/ledger/checkpoint", token).await;
        if resp.status == 200 {
            let (checkpoint, opened) = Checkpoint::open(&resp.text, std::slice::from_ref(&log))
                .expect("a signed checkpoint");
            assert!(opened.is_signed_by(&log));
            if checkpoint.size() == written {
                return (checkpoint, resp.text);
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the ledger did not integrate its entries within 5 s");
}

async fn every_event_is_provably_in_the_log(h: &Harness) {
    let w = World::build(h).await;
    let review = w.review(h, Lab::Own, At::Delivered).await;
    let dev = w.token(Who::DevOwn);
    let (early, _) = settled_checkpoint(h, dev).await;
    h.post(
        &review.path("/transitions"),
        dev,
        json!({ "action": "record_release" }),
    )
    .await
    .expect(200);
    let (checkpoint, _) = settled_checkpoint(h, dev).await;
    assert!(checkpoint.size() > early.size());

    let evidence = h
        .get(&review.path("/ledger"), dev)
        .await
        .expect(200)
        .clone();
    let events = evidence.as_array().expect("a list");
    let kinds: Vec<&str> = events
        .iter()
        .map(|e| e["kind"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(kinds.first(), Some(&"submission_created"), "{kinds:?}");
    assert_eq!(kinds.last(), Some(&"transitioned"), "{kinds:?}");
    for e in events {
        let entry_text = e["entry"].as_str().expect("entry");
        let entry: LedgerEntry = serde_json::from_str(entry_text).expect("a ledger entry");
        let salt = hex::decode(e["salt"].as_str().expect("salt")).expect("hex salt");
        let record = e["record"].as_str().expect("record");
        assert_eq!(
            entry.commitment,
            commitment(&salt, record),
            "entry does not commit to its record"
        );
        assert!(
            !entry_text.contains("Own Lab") && !entry_text.contains("@"),
            "an entry names someone: {entry_text}"
        );
        let index = e["leaf_index"].as_u64().expect("index");
        let proof = h
            .get(
                &api(&format!(
                    "/ledger/proofs/inclusion?index={index}&size={}",
                    checkpoint.size()
                )),
                dev,
            )
            .await
            .expect(200)
            .clone();
        assert_eq!(
            proof["root"].as_str(),
            Some(B64.encode(checkpoint.root()).as_str())
        );
        let path = hashes(&proof["proof"]);
        verify_inclusion(
            &leaf_hash(entry_text.as_bytes()),
            index,
            checkpoint.size(),
            &path,
            checkpoint.root(),
        )
        .expect("inclusion verifies");
        let other = if index == 0 { 1 } else { index - 1 };
        assert!(
            verify_inclusion(
                &leaf_hash(entry_text.as_bytes()),
                other,
                checkpoint.size(),
                &path,
                checkpoint.root()
            )
            .is_err()
        );
    }

    let proof = h
        .get(
            &api(&format!(
                "/ledger/proofs/consistency?from={}&to={}",
                early.size(),
                checkpoint.size()
            )),
            dev,
        )
        .await
        .expect(200)
        .clone();
    verify_consistency(
        early.size(),
        checkpoint.size(),
        &hashes(&proof["proof"]),
        early.root(),
        checkpoint.root(),
    )
    .expect("the log only grew");

    // Out-of-range proofs are refused, naming the field.
    let resp = h
        .get(
            &api(&format!(
                "/ledger/proofs/inclusion?index=0&size={}",
                checkpoint.size() + 5
            )),
            dev,
        )
        .await;
    assert_eq!(resp.status, 422, "{}", resp.text);
    assert_eq!(resp.json["error"]["field"], json!("size"));
}
on_both_backends!(every_event_is_provably_in_the_log => sqlite_every_event_is_provably_in_the_log, postgres_every_event_is_provably_in_the_log);

async fn tiles_and_bundles_recompute_the_signed_root(h: &Harness) {
    let w = World::build(h).await;
    let _ = w.review(h, Lab::Own, At::PartnerPhase).await;
    let token = w.token(Who::Operator);
    let (checkpoint, _) = settled_checkpoint(h, token).await;
    let size = checkpoint.size();
    assert!(
        size > 0 && size < 256 * 256,
        "size {size} outside what this test reads"
    );
    let mut leaves = Vec::new();
    let mut entries = Vec::new();
    for bundle in 0..size.div_ceil(256) {
        let width = (size - bundle * 256).min(256);
        let suffix = if width == 256 {
            String::new()
        } else {
            format!(".p/{width}")
        };
        let raw = h
            .request(
                Method::GET,
                &format!("/ledger/tile/entries/{bundle:03}{suffix}"),
            )
            .bearer_auth(token.expect("token"))
            .send()
            .await
            .expect("bundle")
            .bytes()
            .await
            .expect("bytes");
        for e in decode_entry_bundle(&raw).expect("an entry bundle") {
            leaves.push(leaf_hash(&e));
            entries.push(e);
        }
        let raw = h
            .request(Method::GET, &format!("/ledger/tile/0/{bundle:03}{suffix}"))
            .bearer_auth(token.expect("token"))
            .send()
            .await
            .expect("tile")
            .bytes()
            .await
            .expect("bytes");
        let tile = decode_tile(&raw).expect("a tile");
        assert_eq!(
            tile,
            leaves[(bundle * 256) as usize..].to_vec(),
            "tile {bundle} disagrees with its bundle"
        );
    }
    assert_eq!(entries.len() as u64, size);
    assert_eq!(
        &root_from_hashes(&leaves),
        checkpoint.root(),
        "tiles do not recompute the signed root"
    );

    // A tile beyond the tree is not served.
    let resp = h
        .get(
            &format!("/ledger/tile/0/{:03}.p/1", size.div_ceil(256) + 1),
            token,
        )
        .await;
    assert_eq!(resp.status, 404);
    // The ledger is for participants unless configured public.
    assert_eq!(h.get("/ledger/checkpoint", None).await.status, 401);
    assert_eq!(h.get("/ledger/tile/0/000.p/1", None).await.status, 401);
}
on_both_backends!(tiles_and_bundles_recompute_the_signed_root => sqlite_tiles_and_bundles_recompute_the_signed_root, postgres_tiles_and_bundles_recompute_the_signed_root);

/// With the ledger's storage unwritable, a change fails and nothing of it remains.
async fn changes_fail_closed_without_the_ledger(h: &Harness) {
    let w = World::build(h).await;
    let review = w.review(h, Lab::Own, At::GovPhase).await;
    let dev = w.token(Who::DevOwn).expect("token");
    let before = h.get(&review.path(""), Some(dev)).await.expect(200).clone();
    let events_before = h.event_count().await;

    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&h.database_url)
        .await
        .expect("connect");
    sqlx::query("ALTER TABLE ledger_state RENAME TO ledger_state_unwritable")
        .execute(&pool)
        .await
        .expect("break the ledger");

    let resp = h
        .request(Method::POST, &review.path("/transitions"))
        .bearer_auth(dev)
        .json(&json!({ "action": "record_release" }))
        .send()
        .await
        .expect("response");
    let status = resp.status().as_u16();
    let text = resp.text().await.expect("body");
    assert!(
        status >= 500,
        "a change succeeded without its ledger entry: {status} {text}"
    );
    assert!(
        !text.contains("ledger_state"),
        "an internal detail leaked: {text}"
    );

    sqlx::query("ALTER TABLE ledger_state_unwritable RENAME TO ledger_state")
        .execute(&pool)
        .await
        .expect("mend the ledger");
    pool.close().await;
    let after = h.get(&review.path(""), Some(dev)).await.expect(200).clone();
    assert_eq!(after["stage"], before["stage"]);
    assert_eq!(
        after["outcome"],
        Value::Null,
        "the release was recorded without its ledger entry"
    );
    assert_eq!(
        h.event_count().await,
        events_before,
        "an event was written without its ledger entry"
    );

    // Mended, the same change goes through and is on the ledger.
    h.post(
        &review.path("/transitions"),
        Some(dev),
        json!({ "action": "record_release" }),
    )
    .await
    .expect(200);
}
on_both_backends!(changes_fail_closed_without_the_ledger => sqlite_changes_fail_closed_without_the_ledger, postgres_changes_fail_closed_without_the_ledger);
