//! Import throughput: documents per second to parse, validate, convert and
//! de-duplicate the shared corpora, against parsing alone with serde_json.
//! Files are read into memory first; only the work on bytes is timed.
//!
//!     cargo run --release -p preflight-vuln --example throughput [TESTDATA_VULN_DIR]

use std::path::{Path, PathBuf};
use std::time::Instant;

/// `(file name, bytes)` of each document.
type Docs = Vec<(String, Vec<u8>)>;

fn load(dir: &Path) -> Docs {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
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

fn import_all(docs: &[(String, Vec<u8>)], threads: usize) -> Vec<preflight_vuln::Assessment> {
    let chunk = docs.len().div_ceil(threads.max(1)).max(1);
    std::thread::scope(|s| {
        let handles: Vec<_> = docs
            .chunks(chunk)
            .map(|part| {
                s.spawn(move || {
                    part.iter()
                        .flat_map(|(name, bytes)| match preflight_vuln::import(name, bytes) {
                            Ok(i) => i.assessments,
                            Err(e) => panic!("{e}"),
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("an import thread"))
            .collect()
    })
}

fn main() {
    let root = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata/vuln")
        });
    let sets = [
        ("OSV", "osv/go"),
        ("CVE 5", "cve5/go"),
        ("CSAF", "csaf/cisa"),
    ];
    let loaded: Vec<(&str, Docs)> = sets
        .iter()
        .map(|(n, d)| (*n, load(&root.join(d))))
        .collect();
    // Warm up: compile the schemas once, outside the timings.
    for (_, docs) in &loaded {
        let _ = import_all(&docs[..1], 1);
    }
    println!(
        "{:<8} {:>6} {:>14} {:>18} {:>18}",
        "format", "docs", "parse docs/s", "import docs/s (1)", "import docs/s (2)"
    );
    let mut all: Docs = Vec::new();
    for (name, docs) in &loaded {
        let t = Instant::now();
        for (_, bytes) in docs {
            let v: serde_json::Value = serde_json::from_slice(bytes).expect("JSON");
            std::hint::black_box(v);
        }
        let parse = docs.len() as f64 / t.elapsed().as_secs_f64();
        let mut rates = Vec::new();
        for threads in [1, 2] {
            let t = Instant::now();
            let records = import_all(docs, threads);
            let merged = preflight_vuln::merge(records);
            std::hint::black_box(merged.assessments.len());
            rates.push(docs.len() as f64 / t.elapsed().as_secs_f64());
        }
        println!(
            "{name:<8} {:>6} {parse:>14.0} {:>18.0} {:>18.0}",
            docs.len(),
            rates[0],
            rates[1]
        );
        all.extend(docs.iter().cloned());
    }
    for threads in [1, 2] {
        let t = Instant::now();
        let merged = preflight_vuln::merge(import_all(&all, threads));
        let secs = t.elapsed().as_secs_f64();
        println!(
            "all {} documents, {threads} thread(s): {:.0} docs/s import+dedupe ({} assessments, {} merged groups)",
            all.len(),
            all.len() as f64 / secs,
            merged.assessments.len(),
            merged.report.groups.len()
        );
    }
}
