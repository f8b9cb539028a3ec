//! What the machine itself costs, to read the other figures against: how
//! fast the disk makes a write durable (the ceiling for one commit at a
//! time), how long one thread takes to wake another (every statement the
//! store sends pays it: to the PostgreSQL backend, or to sqlx's SQLite
//! worker thread), and one SHA-256 node hash (proofs are built from them).

use crate::stats::Latencies;
use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Appends 4 KiB and `fdatasync`s, as a WAL commit does, for `run`;
/// returns the sync latencies.
pub fn append_sync(dir: &Path, run: Duration) -> std::io::Result<Latencies> {
    let path = dir.join("fsync-probe");
    let mut file = OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .open(&path)?;
    let block = [0x5au8; 4096];
    let mut samples = Latencies::default();
    let deadline = Instant::now() + run;
    while Instant::now() < deadline || samples.len() < 10 {
        let started = Instant::now();
        file.write_all(&block)?;
        file.sync_data()?;
        samples.push(started.elapsed());
    }
    drop(file);
    std::fs::remove_file(&path)?;
    Ok(samples)
}

/// Round trips of a message between two threads that block on channels,
/// as a client and a database backend do.
pub fn thread_ping_pong(round_trips: usize) -> Latencies {
    let (to_echo, echo_rx) = mpsc::channel::<Instant>();
    let (to_main, main_rx) = mpsc::channel::<Instant>();
    let echo = std::thread::spawn(move || {
        while let Ok(sent) = echo_rx.recv() {
            if to_main.send(sent).is_err() {
                break;
            }
        }
    });
    let mut samples = Latencies::default();
    for _ in 0..round_trips {
        if to_echo.send(Instant::now()).is_err() {
            break;
        }
        match main_rx.recv() {
            Ok(sent) => samples.push(sent.elapsed()),
            Err(_) => break,
        }
    }
    drop(to_echo);
    let _ = echo.join();
    samples
}

/// Mean time of one RFC 9162 interior node hash, over a dependent chain so
/// none is skipped.
pub fn node_hash_time() -> Duration {
    const N: u32 = 1_000_000;
    let mut acc = [7u8; 32];
    let sibling = [9u8; 32];
    let t = Instant::now();
    for _ in 0..N {
        acc = preflight_ledger::node_hash(&acc, &sibling);
    }
    let elapsed = t.elapsed();
    std::hint::black_box(acc);
    elapsed / N
}
