//! `preflight-bench vuln`: the clearinghouse's import throughput. The Go
//! OSV records, then the CVE 5 records (merging with the stored OSV ones),
//! then the CISA CSAF advisories, then all of them again (nothing new), each
//! as one batch into a fresh store; beside the time merely to parse the same
//! bytes with serde_json and to read and validate them with
//! `preflight_vuln::import`. Files are read into memory first; only the
//! work on bytes is timed.

mod corpus;

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use chrono::Utc;

use crate::backend::{Backend, Place, postgres_place};
use corpus::{Files, load};

/// Import throughput of vulnerability documents.
#[derive(Debug, clap::Parser)]
#[command(
    after_help = "Examples:\n  bench/vuln\n  bench/vuln --quick\n  bench/vuln --backends sqlite"
)]
pub struct Args {
    /// A short run on the first 500 OSV, 100 CVE 5 and 50 CSAF documents.
    #[arg(long)]
    quick: bool,
    /// Backends to measure.
    #[arg(long, value_enum, value_delimiter = ',', default_values = ["sqlite", "postgres"])]
    backends: Vec<Backend>,
    /// PostgreSQL server to create throwaway databases on.
    #[arg(long, env = "PREFLIGHT_TEST_DATABASE_URL", hide_env_values = true)]
    postgres_url: Option<String>,
    /// Directory for the SQLite stores [default: the temp dir].
    #[arg(long)]
    dir: Option<PathBuf>,
}

/// The import target: 3,000 documents a second, so 300,000 CVE records in
/// under two minutes.
const TARGET: f64 = 3_000.0;

pub async fn main(args: Args) -> Result<()> {
    let take = |n: usize| if args.quick { Some(n) } else { None };
    let osv = load("osv/go", take(500))?;
    let cve = load("cve5/go", take(100))?;
    let csaf = load("csaf/cisa", take(50))?;
    // Compile the schemas once, outside the timings.
    for files in [&osv, &cve, &csaf] {
        if let Some((name, bytes)) = files.first() {
            let _ = preflight_vuln::import(name, bytes);
        }
    }
    let all: Files = osv.iter().chain(&cve).chain(&csaf).cloned().collect();
    let batches = [
        ("OSV", osv),
        ("CVE 5", cve),
        ("CSAF 2.0", csaf),
        ("all again", all),
    ];
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!("## Clearinghouse import ({cores} cores)\n");
    println!(
        "| backend | batch | documents | created | merged | unchanged | serde_json parse docs/s | read+validate docs/s | stored+de-duplicated docs/s | 300,000 documents |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for backend in &args.backends {
        let place = match backend {
            Backend::Sqlite => Place::Sqlite {
                dir: args.dir.clone().unwrap_or_else(std::env::temp_dir),
            },
            Backend::Postgres => match &args.postgres_url {
                Some(url) => postgres_place(url)?,
                None => {
                    eprintln!(
                        "PostgreSQL skipped: no --postgres-url or PREFLIGHT_TEST_DATABASE_URL"
                    );
                    continue;
                }
            },
        };
        let fresh = place.fresh().await?;
        for (label, files) in &batches {
            let n = files.len() as f64;
            let parse = time(|| {
                for (_, bytes) in files {
                    let _: serde_json::Value = serde_json::from_slice(bytes).unwrap_or_default();
                }
            });
            let read = time(|| {
                for (name, bytes) in files {
                    let _ = preflight_vuln::import(name, bytes);
                }
            });
            let started = Instant::now();
            let report = fresh
                .store
                .import_assessments(None, files.clone(), Utc::now())
                .await
                .with_context(|| format!("{backend}: importing {label}"))?;
            let stored = n / started.elapsed().as_secs_f64();
            let projected = 300_000.0 / stored;
            println!(
                "| {backend} | {label} | {} | {} | {} | {} | {:.0} | {:.0} | {:.0}{} | {:.0} s |",
                files.len(),
                report.created,
                report.merged_into_existing,
                report.unchanged,
                n / parse,
                n / read,
                stored,
                if stored >= TARGET {
                    ""
                } else {
                    " (below 3,000)"
                },
                projected,
            );
        }
        fresh.remove().await?;
    }
    println!(
        "\nTarget: at least {TARGET:.0} documents/s stored and de-duplicated (300,000 CVE records in under 2 minutes).\n\
         References, published, not measured here: about 2,700 CVE records/s parsing in Python; a full NVD import in about 30 minutes (FastCVE)."
    );
    Ok(())
}

/// Seconds `work` took.
fn time(work: impl FnOnce()) -> f64 {
    let started = Instant::now();
    work();
    started.elapsed().as_secs_f64().max(1e-9)
}
