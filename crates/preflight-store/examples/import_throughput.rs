//! Import throughput into a fresh store: the Go OSV records, then the CVE 5
//! records (merging with the stored OSV records), then the CISA CSAF
//! advisories, then everything again (nothing new), each as one batch;
//! against reading the same bytes with `preflight_vuln::import` alone.
//! Files are read into memory first; only the work on bytes is timed.
//!
//!     cargo run --release -p preflight-store --example import_throughput [DATABASE_URL]
//!
//! Without a URL the store is SQLite in a temporary directory.

use chrono::Utc;
use preflight_store::Store;
use std::path::{Path, PathBuf};
use std::time::Instant;

type Files = Vec<(String, Vec<u8>)>;

fn load(dir: &str) -> Files {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/testdata/vuln")
        .join(dir);
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let bytes =
                std::fs::read(&p).unwrap_or_else(|e| panic!("reading {}: {e}", p.display()));
            (name, bytes)
        })
        .collect()
}

fn read_only(files: &Files) -> f64 {
    let started = Instant::now();
    for (name, bytes) in files {
        preflight_vuln::import(name, bytes).unwrap_or_else(|e| panic!("{e}"));
    }
    started.elapsed().as_secs_f64()
}

#[tokio::main]
async fn main() {
    let dir = std::env::temp_dir().join(format!("pf-import-{}", uuid::Uuid::new_v4().simple()));
    let url = match std::env::args().nth(1) {
        Some(url) => url,
        None => {
            std::fs::create_dir_all(&dir).expect("temp dir");
            Store::sqlite_url(&dir)
        }
    };
    let store = Store::open(&url).await.expect("open the store");
    let (osv, cve, csaf) = (load("osv/go"), load("cve5/go"), load("csaf/cisa"));
    // Compile the schemas once, outside the timings.
    for files in [&osv, &cve, &csaf] {
        let _ = preflight_vuln::import(&files[0].0, &files[0].1);
    }
    let all: Files = osv.iter().chain(&cve).chain(&csaf).cloned().collect();
    println!(
        "{:<10} {:>6} {:>8} {:>8} {:>8} {:>14} {:>15}",
        "batch", "docs", "created", "merged", "same", "read docs/s", "stored docs/s"
    );
    for (label, files) in [
        ("OSV", osv),
        ("CVE 5", cve),
        ("CSAF", csaf),
        ("all again", all),
    ] {
        let read = read_only(&files);
        let n = files.len();
        let started = Instant::now();
        let report = store
            .import_assessments(None, files, Utc::now())
            .await
            .unwrap_or_else(|e| panic!("{label}: {e}"));
        let stored = started.elapsed().as_secs_f64();
        println!(
            "{label:<10} {n:>6} {:>8} {:>8} {:>8} {:>14.0} {:>15.0}",
            report.created,
            report.merged_into_existing,
            report.unchanged,
            n as f64 / read,
            n as f64 / stored
        );
    }
    println!(
        "{} assessments stored ({:?})",
        store.count_assessments().await.expect("count"),
        store.backend()
    );
    store.close().await;
    let _ = std::fs::remove_dir_all(&dir);
}
