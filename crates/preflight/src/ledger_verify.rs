//! `preflight ledger verify`: checks, without trusting the server, that the
//! log is signed by its key (and its witnesses), that it only grew since a
//! checkpoint saved earlier, and that every event of the caller's reviews is
//! in it and matches its record. `preflight ledger export` writes the same
//! evidence as an offline bundle.

use crate::client::Client;
use anyhow::{Context, Result, anyhow, bail, ensure};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use clap::{Args, Subcommand};
use preflight_core::ledger_entry::{LedgerEntry, commitment};
use preflight_ledger::{
    Checkpoint, Hash, Verifier, leaf_hash, verify_consistency, verify_inclusion,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum LedgerCommand {
    /// Verify the log and every event of your reviews.
    #[command(
        after_help = "Example:\n  preflight ledger verify --server http://127.0.0.1:8080 --log-key 'preflight.local/ledger-1a2b3c4d+...' \\\n    --checkpoint ~/.preflight/checkpoint\n  preflight ledger verify --bundle evidence.json --log-key '...'"
    )]
    Verify(VerifyArgs),
    /// Write the evidence for your reviews to a file for offline verification.
    #[command(
        after_help = "Example:\n  preflight ledger export --server http://127.0.0.1:8080 --out evidence.json"
    )]
    Export(ExportArgs),
}

#[derive(Debug, Args)]
pub struct Source {
    /// Server base URL.
    #[arg(
        long,
        env = "PREFLIGHT_SERVER",
        default_value = "http://127.0.0.1:8080"
    )]
    pub server: String,
    /// Bearer token (a developer's sees its own reviews).
    #[arg(long, env = "PREFLIGHT_TOKEN", hide_env_values = true)]
    pub token: String,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Server base URL.
    #[arg(long, env = "PREFLIGHT_SERVER", required_unless_present = "bundle")]
    pub server: Option<String>,
    /// Bearer token (a developer's sees its own reviews).
    #[arg(
        long,
        env = "PREFLIGHT_TOKEN",
        hide_env_values = true,
        required_unless_present = "bundle"
    )]
    pub token: Option<String>,
    /// An offline bundle from `preflight ledger export` instead of a server.
    #[arg(long, conflicts_with_all = ["server", "token"])]
    pub bundle: Option<PathBuf>,
    /// The log's verifier key (name+id+key), obtained out of band.
    #[arg(long, env = "PREFLIGHT_LEDGER_LOG_KEY")]
    pub log_key: String,
    /// A witness whose cosignature the checkpoint must carry; repeatable.
    #[arg(long)]
    pub witness_key: Vec<String>,
    /// A checkpoint saved earlier: the new one must be consistent with it.
    /// The verified checkpoint is written back here.
    #[arg(long)]
    pub checkpoint: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(flatten)]
    pub source: Source,
    #[arg(long)]
    pub out: PathBuf,
}

/// Everything needed to verify a caller's events offline.
#[derive(Debug, Serialize, Deserialize)]
pub struct Bundle {
    /// The signed checkpoint note the proofs are against.
    pub checkpoint: String,
    pub events: Vec<BundledEvent>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct BundledEvent {
    pub submission_id: String,
    pub leaf_index: u64,
    pub entry: String,
    pub record: String,
    pub salt: String,
    /// Inclusion proof against the bundle's checkpoint, base64 hashes.
    pub proof: Vec<String>,
}

/// What a verification established.
#[derive(Debug)]
pub struct Summary {
    pub origin: String,
    pub size: u64,
    pub witnesses: usize,
    pub consistent_from: Option<u64>,
    pub events: usize,
    pub reviews: usize,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "checkpoint of {} at size {}: log signature verified",
            self.origin, self.size
        )?;
        if self.witnesses > 0 {
            writeln!(f, "cosigned by {} witness(es)", self.witnesses)?;
        }
        match self.consistent_from {
            Some(old) => writeln!(
                f,
                "consistent with the saved checkpoint of size {old}: nothing was removed or rewritten"
            )?,
            None => writeln!(
                f,
                "no saved checkpoint to compare with (first verification)"
            )?,
        }
        write!(
            f,
            "{} event(s) of {} review(s) are in the log and match their records",
            self.events, self.reviews
        )
    }
}

pub async fn run(cmd: LedgerCommand) -> Result<()> {
    match cmd {
        LedgerCommand::Verify(args) => {
            let summary = verify(&args).await?;
            println!("{summary}");
        }
        LedgerCommand::Export(args) => {
            let client = Client::new(&args.source.server, &args.source.token);
            let bundle = fetch_bundle(&client, &[]).await?;
            std::fs::write(&args.out, serde_json::to_vec_pretty(&bundle)?)
                .with_context(|| format!("writing {}", args.out.display()))?;
            println!(
                "wrote {} event(s) at checkpoint size {} to {}",
                bundle.events.len(),
                checkpoint_size(&bundle.checkpoint),
                args.out.display()
            );
        }
    }
    Ok(())
}

fn checkpoint_size(note: &str) -> String {
    note.lines().nth(1).unwrap_or("?").to_owned()
}

pub async fn verify(args: &VerifyArgs) -> Result<Summary> {
    let log = Verifier::parse(args.log_key.trim()).context("--log-key is not a verifier key")?;
    let witnesses = args
        .witness_key
        .iter()
        .map(|k| Verifier::parse(k.trim()).with_context(|| format!("--witness-key {k:?}")))
        .collect::<Result<Vec<_>>>()?;
    let (bundle, client) = match (&args.bundle, &args.server, &args.token) {
        (Some(path), _, _) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            (
                serde_json::from_str::<Bundle>(&text)
                    .context("the bundle is not a ledger bundle")?,
                None,
            )
        }
        (None, Some(server), Some(token)) => {
            let client = Client::new(server, token);
            (fetch_bundle(&client, &witnesses).await?, Some(client))
        }
        _ => bail!("give --server and --token, or --bundle"),
    };
    let mut keys = vec![log.clone()];
    keys.extend(witnesses.iter().cloned());
    let (checkpoint, opened) =
        Checkpoint::open(&bundle.checkpoint, &keys).context("checkpoint signature check failed")?;
    ensure!(
        opened.is_signed_by(&log),
        "the checkpoint is not signed by the log key {}",
        log.name()
    );
    for w in &witnesses {
        ensure!(
            opened.is_signed_by(w),
            "the checkpoint lacks a cosignature of witness {}",
            w.name()
        );
    }
    ensure!(
        checkpoint.origin() == log.name(),
        "checkpoint origin {:?} is not the log key's name {:?}",
        checkpoint.origin(),
        log.name()
    );

    let mut consistent_from = None;
    if let Some(path) = args.checkpoint.as_ref().filter(|p| p.exists()) {
        let old_note =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let (old, _) = Checkpoint::open(&old_note, std::slice::from_ref(&log))
            .context("the saved checkpoint's signature does not verify")?;
        ensure!(
            checkpoint.size() >= old.size(),
            "the log shrank: the saved checkpoint has size {}, the new one {}",
            old.size(),
            checkpoint.size()
        );
        if old.size() == checkpoint.size() {
            ensure!(
                old.root() == checkpoint.root(),
                "fork detected: two different trees of size {}",
                old.size()
            );
        } else if old.size() > 0 {
            let client = client
                .as_ref()
                .ok_or_else(|| anyhow!("checking consistency needs --server"))?;
            let proof = client
                .get(&format!(
                    "/ledger/proofs/consistency?from={}&to={}",
                    old.size(),
                    checkpoint.size()
                ))
                .await?;
            let hashes = decode_hashes(&proof["proof"])?;
            verify_consistency(old.size(), checkpoint.size(), &hashes, old.root(), checkpoint.root())
                .map_err(|e| anyhow!("fork detected: the log is not consistent with the saved checkpoint of size {}: {e}", old.size()))?;
        }
        consistent_from = Some(old.size());
    }

    let mut reviews = std::collections::BTreeSet::new();
    for e in &bundle.events {
        let entry: LedgerEntry = serde_json::from_str(&e.entry)
            .with_context(|| format!("entry {} is not a ledger entry", e.leaf_index))?;
        let salt = hex::decode(&e.salt)
            .with_context(|| format!("event {}: salt is not hex", e.leaf_index))?;
        ensure!(
            entry.commitment == commitment(&salt, &e.record),
            "event at index {} does not match its record",
            e.leaf_index
        );
        let record: Value = serde_json::from_str(&e.record)?;
        ensure!(
            record["id"].as_str() == Some(entry.event_id.to_string().as_str()),
            "entry {} names another event",
            e.leaf_index
        );
        let proof = e
            .proof
            .iter()
            .map(|h| decode_hash(h))
            .collect::<Result<Vec<_>>>()?;
        verify_inclusion(
            &leaf_hash(e.entry.as_bytes()),
            e.leaf_index,
            checkpoint.size(),
            &proof,
            checkpoint.root(),
        )
        .map_err(|err| anyhow!("event at index {} is not in the log: {err}", e.leaf_index))?;
        reviews.insert(e.submission_id.clone());
    }
    if let Some(path) = &args.checkpoint {
        std::fs::write(path, &bundle.checkpoint)
            .with_context(|| format!("saving the checkpoint to {}", path.display()))?;
    }
    Ok(Summary {
        origin: checkpoint.origin().to_owned(),
        size: checkpoint.size(),
        witnesses: witnesses.len(),
        consistent_from,
        events: bundle.events.len(),
        reviews: reviews.len(),
    })
}

/// Fetches the latest checkpoint and, for every review the caller reads in
/// full, its events with inclusion proofs against that checkpoint. Waits
/// briefly for events not yet integrated.
pub async fn fetch_bundle(client: &Client, cosigners: &[Verifier]) -> Result<Bundle> {
    let submissions = client.get("/submissions").await?;
    let mut wanted = Vec::new();
    for s in submissions.as_array().into_iter().flatten() {
        let id = s["id"].as_str().unwrap_or_default().to_owned();
        match client.get(&format!("/submissions/{id}/ledger")).await {
            Ok(events) => wanted.push((id, events)),
            Err(e)
                if e.downcast_ref::<crate::client::Refusal>()
                    .is_some_and(|r| r.status == 403) => {}
            Err(e) => return Err(e),
        }
    }
    let max_index = wanted
        .iter()
        .flat_map(|(_, events)| events.as_array().into_iter().flatten())
        .filter_map(|e| e["leaf_index"].as_u64())
        .max();
    let mut note = client.get_text_root("/ledger/checkpoint").await?;
    for _ in 0..50 {
        let size: u64 = checkpoint_size(&note).parse().unwrap_or(0);
        let cosigned = cosigners
            .iter()
            .all(|w| preflight_ledger::note::open(&note, std::slice::from_ref(w)).is_ok());
        if max_index.is_none_or(|m| m < size) && cosigned {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        note = client.get_text_root("/ledger/checkpoint").await?;
    }
    let size: u64 = checkpoint_size(&note)
        .parse()
        .context("the checkpoint has no size line")?;
    let mut events = Vec::new();
    for (id, list) in wanted {
        for e in list.as_array().into_iter().flatten() {
            let index = e["leaf_index"].as_u64().context("leaf_index")?;
            ensure!(
                index < size,
                "event at index {index} is not yet covered by the checkpoint of size {size}"
            );
            let proof = client
                .get(&format!(
                    "/ledger/proofs/inclusion?index={index}&size={size}"
                ))
                .await?;
            events.push(BundledEvent {
                submission_id: id.clone(),
                leaf_index: index,
                entry: e["entry"].as_str().unwrap_or_default().to_owned(),
                record: e["record"].as_str().unwrap_or_default().to_owned(),
                salt: e["salt"].as_str().unwrap_or_default().to_owned(),
                proof: proof["proof"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|h| h.as_str().map(str::to_owned))
                    .collect(),
            });
        }
    }
    Ok(Bundle {
        checkpoint: note,
        events,
    })
}

fn decode_hash(text: &str) -> Result<Hash> {
    let bytes = B64
        .decode(text)
        .with_context(|| format!("hash {text:?} is not base64"))?;
    bytes
        .try_into()
        .map_err(|_| anyhow!("hash {text:?} is not 32 bytes"))
}

fn decode_hashes(value: &Value) -> Result<Vec<Hash>> {
    value
        .as_array()
        .into_iter()
        .flatten()
        .map(|h| decode_hash(h.as_str().unwrap_or_default()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use preflight_core::event::{Event, EventKind};
    use preflight_core::ids::SubmissionId;
    use preflight_ledger::{MemoryLog, Signer};

    /// A log of `n` events of one review, and the bundle a server would
    /// hand out for it. `tamper` rewrites one record before it is logged.
    fn bundle(signer: &Signer, n: usize, tamper: Option<usize>) -> Bundle {
        let review = SubmissionId(uuid::Uuid::nil());
        let mut log = MemoryLog::new();
        let mut events = Vec::new();
        for i in 0..n {
            let details = serde_json::json!({ "step": i, "rewritten": tamper == Some(i) });
            let event = Event::new(
                EventKind::Transitioned,
                Some(review),
                None,
                Utc::now(),
                details,
            );
            let record = serde_json::to_string(&event).expect("record");
            let salt = [i as u8; 32];
            let entry = String::from_utf8(LedgerEntry::of(&event, &salt, &record).to_bytes())
                .expect("utf-8");
            log.append(std::slice::from_ref(&entry)).expect("append");
            events.push((entry, record, salt));
        }
        let size = n as u64;
        let checkpoint = Checkpoint::new(signer.name(), size, log.root(size).expect("root"))
            .expect("checkpoint")
            .sign(signer)
            .expect("sign");
        let events = events
            .into_iter()
            .enumerate()
            .map(|(i, (entry, record, salt))| BundledEvent {
                submission_id: review.to_string(),
                leaf_index: i as u64,
                entry,
                record,
                salt: hex::encode(salt),
                proof: log
                    .inclusion_proof(i as u64, size)
                    .expect("proof")
                    .iter()
                    .map(|h| B64.encode(h))
                    .collect(),
            })
            .collect();
        Bundle { checkpoint, events }
    }

    fn args(dir: &std::path::Path, name: &str, bundle: &Bundle, signer: &Signer) -> VerifyArgs {
        let path = dir.join(name);
        std::fs::write(&path, serde_json::to_vec(bundle).expect("json")).expect("write");
        VerifyArgs {
            server: None,
            token: None,
            bundle: Some(path),
            log_key: signer.verifier().to_key_string(),
            witness_key: Vec::new(),
            checkpoint: Some(dir.join("saved.checkpoint")),
        }
    }

    #[tokio::test]
    async fn a_forked_log_of_the_same_size_is_caught() {
        let dir = std::env::temp_dir().join(format!(
            "preflight-verify-{}",
            uuid::Uuid::new_v4().simple()
        ));
        std::fs::create_dir_all(&dir).expect("dir");
        let signer =
            Signer::generate("preflight.test/ledger", &mut rand::rngs::OsRng).expect("key");

        let honest = bundle(&signer, 12, None);
        let summary = verify(&args(&dir, "honest.json", &honest, &signer))
            .await
            .expect("an honest log verifies");
        assert_eq!((summary.size, summary.events, summary.reviews), (12, 12, 1));
        assert!(
            dir.join("saved.checkpoint").exists(),
            "the verified checkpoint was not saved"
        );

        // The same log key signs a second tree of size 12 with one record rewritten.
        let forked = bundle(&signer, 12, Some(3));
        let err = verify(&args(&dir, "forked.json", &forked, &signer))
            .await
            .expect_err("fork accepted");
        assert!(err.to_string().contains("fork detected"), "{err:#}");

        // Another key's checkpoint, a tampered record or a wrong index fail too.
        let stranger =
            Signer::generate("preflight.test/ledger", &mut rand::rngs::OsRng).expect("key");
        assert!(
            verify(&args(&dir, "stranger.json", &honest, &stranger))
                .await
                .is_err()
        );
        let mut tampered = bundle(&signer, 12, None);
        tampered.events[5].record = tampered.events[5]
            .record
            .replace("\"step\":5", "\"step\":6");
        let fresh = dir.join("fresh");
        std::fs::create_dir_all(&fresh).expect("dir");
        let err = verify(&args(&fresh, "tampered.json", &tampered, &signer))
            .await
            .expect_err("tampered record accepted");
        assert!(
            err.to_string().contains("does not match its record"),
            "{err:#}"
        );
        let mut moved = bundle(&signer, 12, None);
        moved.events[2].leaf_index = 3;
        let err = verify(&args(&fresh, "moved.json", &moved, &signer))
            .await
            .expect_err("moved entry accepted");
        assert!(err.to_string().contains("not in the log"), "{err:#}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
