//! Proof latency on a built log, three ways: over HTTP from the real server
//! (`preflight_server::serve`, bearer token, one keep-alive client), in
//! process through the server's own proof functions and tile cache, and as
//! pure computation over tiles already in memory (no node cache). Every proof
//! served is compared with the one computed in memory, and a sample is
//! verified against its entry.

use crate::log::Log;
use crate::stats::Latencies;
use anyhow::{Context, Result, bail, ensure};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use preflight_ledger::tiles::{TILE_HEIGHT, TILE_WIDTH, decode_tile};
use preflight_ledger::{
    Hash, LedgerError, TileReader, TileSource, leaf_hash, verify_consistency, verify_inclusion,
};
use preflight_server::AppState;
use preflight_server::ledger::{TileCache, consistency_proof, inclusion_proof};
use preflight_store::{MasterKey, Store};
use rand::Rng;
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Served proofs checked against their entry with the verifier.
const VERIFIED_SAMPLE: usize = 50;

#[derive(Clone, Copy, Debug)]
pub enum Query {
    Inclusion { index: u64, size: u64 },
    Consistency { from: u64, to: u64 },
}

impl Query {
    fn path(self) -> String {
        match self {
            Self::Inclusion { index, size } => {
                format!("/api/v1/ledger/proofs/inclusion?index={index}&size={size}")
            }
            Self::Consistency { from, to } => {
                format!("/api/v1/ledger/proofs/consistency?from={from}&to={to}")
            }
        }
    }

    /// The root and proof, as the server's routes compute them.
    fn compute(
        self,
        reader: &(impl TileReader + ?Sized),
    ) -> Result<(Hash, Vec<Hash>), LedgerError> {
        match self {
            Self::Inclusion { index, size } => {
                let source = TileSource::new(reader, size);
                Ok((source.root()?, source.inclusion_proof(index)?))
            }
            Self::Consistency { from, to } => {
                let source = TileSource::new(reader, to);
                Ok((source.root()?, source.consistency_proof(from)?))
            }
        }
    }
}

/// `n` inclusion queries: a random tree size, a random index below it.
pub fn inclusions(size: u64, n: usize) -> Vec<Query> {
    let mut rng = rand::thread_rng();
    (0..n)
        .map(|_| {
            let size = rng.gen_range(1..=size);
            Query::Inclusion {
                index: rng.gen_range(0..size),
                size,
            }
        })
        .collect()
}

/// `n` consistency queries: a random newer size, a random older one.
pub fn consistencies(size: u64, n: usize) -> Vec<Query> {
    let mut rng = rand::thread_rng();
    (0..n)
        .map(|_| {
            let to = rng.gen_range(1..=size);
            Query::Consistency {
                from: rng.gen_range(1..=to),
                to,
            }
        })
        .collect()
}

/// The proof for the first entry of every level-0 tile, against the whole
/// log: touches each tile once.
fn every_tile(size: u64) -> Vec<Query> {
    (0..size.div_ceil(u64::from(TILE_WIDTH)))
        .map(|t| Query::Inclusion {
            index: t * u64::from(TILE_WIDTH),
            size,
        })
        .collect()
}

/// Every tile of the log, read once from the store.
#[derive(Debug, Default)]
pub struct MemoryTiles(HashMap<(u8, u64), Vec<Hash>>);

impl MemoryTiles {
    pub async fn load(store: &Store, size: u64) -> Result<Self> {
        let mut tiles = HashMap::new();
        for level in 0u8.. {
            let hashes = size >> (u32::from(level) * u32::from(TILE_HEIGHT));
            if hashes == 0 {
                break;
            }
            for index in 0..hashes.div_ceil(u64::from(TILE_WIDTH)) {
                let bytes = store
                    .ledger_tile(level, index, 1)
                    .await?
                    .with_context(|| format!("tile {level}/{index} is not stored"))?;
                tiles.insert((level, index), decode_tile(&bytes)?);
            }
        }
        Ok(Self(tiles))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }
}

impl TileReader for MemoryTiles {
    fn tile(&self, level: u8, index: u64, width: u16) -> Result<Vec<Hash>, LedgerError> {
        self.0
            .get(&(level, index))
            .cloned()
            .ok_or_else(|| LedgerError::TileUnavailable {
                level,
                index,
                width,
                reason: "not loaded".into(),
            })
    }
}

/// Latencies of each way of getting a proof.
#[derive(Debug, Default)]
pub struct ProofTimes {
    /// `GET /api/v1/me`: HTTP plus bearer-token authentication, no proof.
    pub http_me: Latencies,
    /// Inclusion over HTTP, each request reading its level-0 tile from the
    /// store for the first time.
    pub http_cold: Latencies,
    pub http_inclusion: Latencies,
    pub http_consistency: Latencies,
    pub store_inclusion: Latencies,
    pub store_consistency: Latencies,
    pub memory_inclusion: Latencies,
    pub memory_consistency: Latencies,
    /// The root alone, for the inclusion queries' sizes: every proof
    /// response carries it, recomputed from the tiles.
    pub memory_root: Latencies,
    /// Tiles the log has, at all levels.
    pub tiles: usize,
    /// Served proofs checked with the verifier against their entries.
    pub verified: usize,
}

/// The server's answer to a proof request.
#[derive(Deserialize)]
struct ProofView {
    size: u64,
    root: String,
    proof: Vec<String>,
}

/// Times `requests` inclusion and consistency proofs each way.
pub async fn measure(log: &Log, requests: usize) -> Result<ProofTimes> {
    let store = &log.fresh.store;
    let memory = Arc::new(MemoryTiles::load(store, log.size).await?);
    let inclusions = inclusions(log.size, requests);
    let consistencies = consistencies(log.size, requests);
    let mut times = ProofTimes {
        tiles: memory.len(),
        ..ProofTimes::default()
    };

    // Over HTTP, from the real server on the same store.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .context("bind 127.0.0.1:0")?;
    let base = format!("http://{}", listener.local_addr()?);
    let state = AppState::new(store.clone(), log.pepper.clone(), MasterKey::generate())
        .with_ledger(log.settings.clone());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(preflight_server::serve(listener, state, async move {
        let _ = stopped.await;
    }));
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .context("build the HTTP client")?;
    let http = Http {
        client: &client,
        base: &base,
        token: &log.token,
    };
    let served = async {
        for _ in 0..requests {
            let t = Instant::now();
            http.get("/api/v1/me").await?;
            times.http_me.push(t.elapsed());
        }
        times.http_cold = http.proofs(&every_tile(log.size), &memory).await?.0;
        let (lat, views) = http.proofs(&inclusions, &memory).await?;
        times.http_inclusion = lat;
        times.verified += verify_sample(store, &inclusions, &views, &memory).await?;
        let (lat, views) = http.proofs(&consistencies, &memory).await?;
        times.http_consistency = lat;
        times.verified += verify_sample(store, &consistencies, &views, &memory).await?;
        anyhow::Ok(())
    }
    .await;
    // Idle keep-alive connections would hold the graceful shutdown open.
    drop(client);
    let _ = stop.send(());
    match tokio::time::timeout(Duration::from_secs(10), server).await {
        Ok(joined) => joined.context("server task")?.context("server")?,
        Err(_) => eprintln!("    the server did not stop within 10 s; carrying on"),
    }
    served?;

    // In process, through the server's own proof functions and tile cache,
    // warmed with the same pass as the server's.
    let tiles = TileCache::default();
    in_process(store, &tiles, &every_tile(log.size)).await?;
    times.store_inclusion = in_process(store, &tiles, &inclusions).await?;
    times.store_consistency = in_process(store, &tiles, &consistencies).await?;

    // Pure computation over tiles in memory.
    let memory_times = |queries: Vec<Query>| {
        let memory = memory.clone();
        tokio::task::spawn_blocking(move || {
            let mut lat = Latencies::default();
            for q in queries {
                let t = Instant::now();
                q.compute(&*memory)?;
                lat.push(t.elapsed());
            }
            anyhow::Ok(lat)
        })
    };
    let sizes: Vec<u64> = inclusions
        .iter()
        .filter_map(|q| match *q {
            Query::Inclusion { size, .. } => Some(size),
            Query::Consistency { .. } => None,
        })
        .collect();
    let tiles_for_roots = memory.clone();
    times.memory_root = tokio::task::spawn_blocking(move || {
        let mut lat = Latencies::default();
        for size in sizes {
            let t = Instant::now();
            TileSource::new(&*tiles_for_roots, size).root()?;
            lat.push(t.elapsed());
        }
        anyhow::Ok(lat)
    })
    .await??;
    times.memory_inclusion = memory_times(inclusions).await??;
    times.memory_consistency = memory_times(consistencies).await??;
    Ok(times)
}

/// Each query through the server's proof functions, one at a time, as a
/// request runs them.
async fn in_process(store: &Store, tiles: &TileCache, queries: &[Query]) -> Result<Latencies> {
    let mut lat = Latencies::default();
    for &q in queries {
        let t = Instant::now();
        match q {
            Query::Inclusion { index, size } => {
                inclusion_proof(store, tiles, index, size).await?;
            }
            Query::Consistency { from, to } => {
                consistency_proof(store, tiles, from, to).await?;
            }
        }
        lat.push(t.elapsed());
    }
    Ok(lat)
}

struct Http<'a> {
    client: &'a reqwest::Client,
    base: &'a str,
    token: &'a str,
}

impl Http<'_> {
    async fn get(&self, path: &str) -> Result<Vec<u8>> {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .bearer_auth(self.token)
            .send()
            .await
            .with_context(|| format!("GET {path}"))?;
        let status = response.status();
        let body = response.bytes().await?;
        if !status.is_success() {
            bail!("GET {path}: {status}: {}", String::from_utf8_lossy(&body));
        }
        Ok(body.to_vec())
    }

    /// Times each query, then checks each answer equals the proof computed
    /// from the tiles in memory.
    async fn proofs(
        &self,
        queries: &[Query],
        memory: &MemoryTiles,
    ) -> Result<(Latencies, Vec<(Hash, Vec<Hash>)>)> {
        let mut lat = Latencies::default();
        let mut bodies = Vec::with_capacity(queries.len());
        for q in queries {
            let t = Instant::now();
            let body = self.get(&q.path()).await?;
            lat.push(t.elapsed());
            bodies.push(body);
        }
        let mut views = Vec::with_capacity(queries.len());
        for (q, body) in queries.iter().zip(bodies) {
            let view: ProofView = serde_json::from_slice(&body)
                .with_context(|| format!("{}: not a proof", q.path()))?;
            let served = (
                decode_hash(&view.root)?,
                view.proof
                    .iter()
                    .map(|h| decode_hash(h))
                    .collect::<Result<Vec<_>>>()?,
            );
            let expected = q.compute(memory)?;
            ensure!(
                served == expected,
                "{}: the served proof (size {}) differs from the one computed from the tiles",
                q.path(),
                view.size
            );
            views.push(served);
        }
        Ok((lat, views))
    }
}

/// Checks the first served proofs with the verifier: inclusion against the
/// entry's own leaf hash, consistency against the older tree's root.
async fn verify_sample(
    store: &Store,
    queries: &[Query],
    served: &[(Hash, Vec<Hash>)],
    memory: &MemoryTiles,
) -> Result<usize> {
    let mut checked = 0;
    for (q, (root, proof)) in queries.iter().zip(served).take(VERIFIED_SAMPLE) {
        match *q {
            Query::Inclusion { index, size } => {
                let entry = store.ledger_entries(index, index + 1).await?;
                let entry = entry.first().context("entry missing")?;
                verify_inclusion(&leaf_hash(entry.as_bytes()), index, size, proof, root)
                    .with_context(|| format!("inclusion of {index} in {size} does not verify"))?;
            }
            Query::Consistency { from, to } => {
                let old_root = TileSource::new(memory, from).root()?;
                verify_consistency(from, to, proof, &old_root, root)
                    .with_context(|| format!("consistency {from} → {to} does not verify"))?;
            }
        }
        checked += 1;
    }
    Ok(checked)
}

fn decode_hash(text: &str) -> Result<Hash> {
    let bytes = B64.decode(text).context("hash is not base64")?;
    Hash::try_from(bytes.as_slice()).map_err(|_| anyhow::anyhow!("hash is {} bytes", bytes.len()))
}
