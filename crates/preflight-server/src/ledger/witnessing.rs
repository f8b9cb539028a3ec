//! Submits each new checkpoint to the configured witnesses (C2SP
//! tlog-witness) and publishes the checkpoint with their cosignatures.

use super::reader::{TileCache, with_tiles};
use super::{LedgerSettings, WitnessEndpoint};
use preflight_ledger::TileSource;
use preflight_ledger::note::append_signatures;
use preflight_ledger::witness::{AddCheckpoint, parse_conflict_body};
use preflight_store::Store;
use std::collections::HashMap;
use std::time::Duration;

/// What each witness is known to have cosigned, by URL.
#[derive(Debug, Default)]
pub struct WitnessProgress {
    known: HashMap<String, u64>,
    http: Option<reqwest::Client>,
}

impl WitnessProgress {
    fn http(&mut self) -> reqwest::Client {
        self.http
            .get_or_insert_with(|| {
                reqwest::Client::builder()
                    .timeout(Duration::from_secs(5))
                    .tcp_nodelay(true)
                    .build()
                    .unwrap_or_default()
            })
            .clone()
    }
}

/// Asks every witness that has not yet cosigned the latest checkpoint to
/// do so, and stores the checkpoint with the cosignatures received.
pub async fn cosign_latest(
    store: &Store,
    settings: &LedgerSettings,
    cache: &TileCache,
    progress: &mut WitnessProgress,
) {
    if settings.witnesses.is_empty() {
        return;
    }
    let Ok(Some((size, mut note))) = store.ledger_latest_checkpoint().await else {
        return;
    };
    let mut changed = false;
    for witness in &settings.witnesses {
        if preflight_ledger::note::open(&note, std::slice::from_ref(&witness.key)).is_ok() {
            continue;
        }
        match ask(store, cache, progress, witness, size, &note).await {
            Ok(lines) => match append_signatures(&note, &lines) {
                Ok(cosigned)
                    if preflight_ledger::note::open(
                        &cosigned,
                        std::slice::from_ref(&witness.key),
                    )
                    .is_ok() =>
                {
                    progress.known.insert(witness.url.clone(), size);
                    note = cosigned;
                    changed = true;
                }
                _ => {
                    tracing::warn!(witness = %witness.url, "witness answered without a valid cosignature")
                }
            },
            Err(reason) => {
                tracing::warn!(witness = %witness.url, %reason, "witness did not cosign")
            }
        }
    }
    if changed && let Err(err) = store.ledger_replace_checkpoint(size, &note).await {
        tracing::error!(error = %err, "cannot store the cosigned checkpoint");
    }
}

async fn ask(
    store: &Store,
    cache: &TileCache,
    progress: &mut WitnessProgress,
    witness: &WitnessEndpoint,
    size: u64,
    note: &str,
) -> Result<String, String> {
    let url = format!("{}/add-checkpoint", witness.url.trim_end_matches('/'));
    let http = progress.http();
    // Two tries: the second after learning the witness's size from a 409.
    for _ in 0..2 {
        let old = progress
            .known
            .get(&witness.url)
            .copied()
            .unwrap_or(0)
            .min(size);
        let proof = if old == 0 || old == size {
            Vec::new()
        } else {
            with_tiles(store, cache, move |reader| {
                TileSource::new(&*reader, size).consistency_proof(old)
            })
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())?
        };
        let body = AddCheckpoint {
            old_size: old,
            proof,
            checkpoint: note.to_owned(),
        }
        .body();
        let response = http
            .post(&url)
            .body(body)
            .send()
            .await
            .map_err(|e| format!("unreachable: {e}"))?;
        let status = response.status().as_u16();
        let text = response.text().await.map_err(|e| e.to_string())?;
        match status {
            200 => return Ok(text),
            409 => {
                let known = parse_conflict_body(&text).map_err(|e| e.to_string())?;
                if known > size {
                    return Err(format!(
                        "the witness knows a larger tree ({known}) than ours ({size}): fork?"
                    ));
                }
                progress.known.insert(witness.url.clone(), known);
            }
            other => return Err(format!("{other}: {}", text.trim())),
        }
    }
    Err("the witness kept refusing the old size".into())
}
