//! `preflight vuln import | export`: the clearinghouse's files, directly on
//! the store like the admin commands. An import is one batch, all or
//! nothing, recorded with one event: by the clearinghouse analyst named
//! with `--as`, or by the instance itself (no actor) as admin commands are.

use crate::config::StoreArgs;
use anyhow::{Context, Result, bail};
use chrono::Utc;
use clap::{Args, Subcommand, ValueEnum};
use preflight_core::ids::UserId;
use preflight_core::org::Role;
use preflight_store::{ImportReport, Store, StoredAssessment};
use preflight_vuln::csaf::{CsafMeta, Publisher};
use preflight_vuln::stix::StixMeta;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Debug, Subcommand)]
pub enum VulnCommand {
    /// Import CSAF 2.0, OSV, CVE JSON 5 and SARIF 2.1.0 files (format detected
    /// from each file's content) as one batch: if any file is rejected,
    /// nothing is imported. Records sharing an alias merge into one assessment.
    #[command(
        after_help = "Example:\n  preflight vuln import --data-dir ./preflight-data ./osv/go ./cve5/go\n  preflight vuln import --as ana@clearinghouse.example advisory.json"
    )]
    Import(ImportArgs),
    /// Write stored assessments as a CSAF 2.0 advisory, OSV or CVE JSON 5
    /// records, or a STIX 2.1 bundle.
    #[command(
        after_help = "Example:\n  preflight vuln export --format csaf CVE-2020-36568 GO-2021-0113 --out advisory.json\n  preflight vuln export --format osv CVE-2020-36568 CVE-2021-3114 --out ./osv-out/"
    )]
    Export(ExportArgs),
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// Record the import as this clearinghouse analyst (email or id);
    /// without it the import is recorded as the instance's, like admin commands.
    #[arg(long = "as", value_name = "EMAIL")]
    as_user: Option<String>,
    /// Files, and directories searched (recursively) for *.json files.
    #[arg(required = true, value_name = "FILE_OR_DIR")]
    paths: Vec<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ExportFormat {
    Csaf,
    Osv,
    Cve5,
    Stix,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(flatten)]
    store: StoreArgs,
    #[arg(long, value_enum)]
    format: ExportFormat,
    /// Assessment ids (UUID) or any of their aliases (CVE-..., GHSA-..., GO-...).
    #[arg(required = true, value_name = "ID")]
    ids: Vec<String>,
    /// The output file; for OSV and CVE JSON 5 with several ids (or an
    /// existing directory), a directory that gets one `<id>.json` each.
    #[arg(long)]
    out: PathBuf,
    /// CSAF: the advisory's tracking id (default `PF-<date>-<first id>`).
    #[arg(long)]
    document_id: Option<String>,
    /// CSAF and STIX: the advisory's title (default names the ids).
    #[arg(long)]
    title: Option<String>,
    /// CSAF and STIX: who publishes.
    #[arg(long, default_value = "Preflight clearinghouse")]
    publisher: String,
    /// CSAF: a URL naming the publisher.
    #[arg(long, default_value = "https://preflight.invalid")]
    publisher_namespace: String,
    /// CVE JSON 5: the CNA's organisation UUID (required for --format cve5).
    #[arg(long)]
    cna_org_id: Option<uuid::Uuid>,
}

pub async fn run(cmd: VulnCommand) -> Result<()> {
    match cmd {
        VulnCommand::Import(args) => import(args).await,
        VulnCommand::Export(args) => export(args).await,
    }
}

async fn import(args: ImportArgs) -> Result<()> {
    let files = collect(&args.paths)?;
    if files.is_empty() {
        bail!("no .json files found in {}", show_paths(&args.paths));
    }
    let instance = args.store.open().await?;
    let actor = match &args.as_user {
        Some(who) => Some(analyst(&instance.store, who).await?),
        None => None,
    };
    let count = files.len();
    let started = Instant::now();
    let report = instance
        .store
        .import_assessments(actor, files, Utc::now())
        .await?;
    let secs = started.elapsed().as_secs_f64();
    print_report(&report, secs, count);
    Ok(())
}

fn print_report(r: &ImportReport, secs: f64, files: usize) {
    println!(
        "imported {files} files ({} records) in {secs:.2} s: {:.0} documents/s",
        r.records,
        files as f64 / secs.max(1e-9)
    );
    for f in &r.formats {
        println!(
            "  {:<12} {:>7} files {:>8} records",
            f.format.to_string(),
            f.files,
            f.records
        );
    }
    println!(
        "created {} assessments; merged {} into existing ones ({} updated, {} retired into another); {} unchanged",
        r.created,
        r.merged_into_existing,
        r.updated,
        r.retired.len(),
        r.unchanged
    );
    println!(
        "merge groups: {} ({} within the batch, {} with stored assessments)",
        r.merge_groups(),
        r.batch_groups.len(),
        r.stored_groups.len()
    );
    println!("batch {} (event {})", r.batch_id, r.event_id);
}

/// The person an import is recorded for: a clearinghouse analyst.
async fn analyst(store: &Store, email_or_id: &str) -> Result<UserId> {
    let user = match email_or_id.parse::<UserId>() {
        Ok(id) => store
            .user(id)
            .await
            .with_context(|| format!("user {email_or_id}"))?,
        Err(_) => store
            .user_by_email(email_or_id)
            .await?
            .with_context(|| format!("no user with email {email_or_id:?}"))?,
    };
    if user.role != Role::ClearinghouseAnalyst {
        bail!(
            "{} has the role {}, not clearinghouse_analyst: only analysts import into the clearinghouse",
            user.email,
            user.role
        );
    }
    Ok(user.id)
}

/// `(name, bytes)` of each file: a file as its file name, a directory's
/// `.json` files (recursively, sorted) by their path inside it. Names, not
/// full paths, so the same files imported from elsewhere are the same sources.
fn collect(paths: &[PathBuf]) -> Result<Vec<(String, Vec<u8>)>> {
    let mut files = Vec::new();
    for root in paths {
        let meta =
            std::fs::metadata(root).with_context(|| format!("reading {}", root.display()))?;
        if meta.is_dir() {
            let mut found = Vec::new();
            walk(root, &mut found)?;
            found.sort();
            for path in found {
                let name = path
                    .strip_prefix(root)
                    .unwrap_or(&path)
                    .to_string_lossy()
                    .into_owned();
                files.push((name, read(&path)?));
            }
        } else {
            let name = root
                .file_name()
                .map_or_else(|| root.to_string_lossy(), |n| n.to_string_lossy())
                .into_owned();
            files.push((name, read(root)?));
        }
    }
    Ok(files)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry
            .with_context(|| format!("reading {}", dir.display()))?
            .path();
        if path.is_dir() {
            walk(&path, out)?;
        } else if path.extension().is_some_and(|x| x == "json") {
            out.push(path);
        }
    }
    Ok(())
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("reading {}", path.display()))
}

fn show_paths(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

async fn export(args: ExportArgs) -> Result<()> {
    if args.format == ExportFormat::Cve5 && args.cna_org_id.is_none() {
        bail!("--format cve5 needs --cna-org-id (the CNA's organisation UUID)");
    }
    let instance = args.store.open().await?;
    // Two aliases of one assessment name it once.
    let mut seen = std::collections::HashSet::new();
    let mut assessments = Vec::with_capacity(args.ids.len());
    for id in &args.ids {
        let stored = find(&instance.store, id).await?;
        if seen.insert(stored.id) {
            assessments.push(stored.assessment);
        }
    }
    let now = Utc::now();
    let names: Vec<&str> = assessments.iter().map(|a| a.id.as_str()).collect();
    let title = args
        .title
        .clone()
        .unwrap_or_else(|| format!("Vulnerability advisory: {}", names.join(", ")));
    match args.format {
        ExportFormat::Csaf => {
            let meta = CsafMeta {
                id: args
                    .document_id
                    .clone()
                    .unwrap_or_else(|| format!("PF-{}-{}", now.format("%Y%m%d"), names[0])),
                title,
                publisher: Publisher {
                    category: "coordinator".to_owned(),
                    name: args.publisher.clone(),
                    namespace: args.publisher_namespace.clone(),
                },
                revisions: vec![(now, "Initial version".to_owned())],
                lang: "en".to_owned(),
            };
            let doc = preflight_vuln::csaf::export(&assessments, &meta)?;
            write_json(&args.out, &doc)?;
            println!(
                "wrote CSAF advisory {} ({} vulnerabilities) to {}",
                meta.id,
                assessments.len(),
                args.out.display()
            );
        }
        ExportFormat::Stix => {
            let meta = StixMeta {
                publisher: args.publisher.clone(),
                report_name: title,
                created: now,
            };
            let bundle = preflight_vuln::stix::export(&assessments, &meta);
            write_json(&args.out, &bundle)?;
            println!(
                "wrote a STIX 2.1 bundle of {} vulnerabilities to {}",
                assessments.len(),
                args.out.display()
            );
        }
        ExportFormat::Osv | ExportFormat::Cve5 => {
            let mut docs = Vec::with_capacity(assessments.len());
            for a in &assessments {
                let doc = match (args.format, args.cna_org_id) {
                    (ExportFormat::Cve5, Some(org)) => preflight_vuln::cve5::export(a, org, now)?,
                    _ => preflight_vuln::osv::export(a, now),
                };
                docs.push((a.id.clone(), doc));
            }
            let [(_, doc)] = docs.as_slice() else {
                return write_each(&args.out, &docs);
            };
            if args.out.is_dir() {
                return write_each(&args.out, &docs);
            }
            write_json(&args.out, doc)?;
            println!("wrote {} to {}", docs[0].0, args.out.display());
        }
    }
    Ok(())
}

/// The assessment with this store id, or known by this alias.
async fn find(store: &Store, id: &str) -> Result<StoredAssessment> {
    if let Ok(uuid) = id.parse::<uuid::Uuid>() {
        return store
            .assessment(uuid)
            .await
            .with_context(|| format!("assessment {id}"));
    }
    store
        .assessment_by_alias(id)
        .await?
        .with_context(|| format!("no assessment is known as {id:?}"))
}

fn write_each(dir: &Path, docs: &[(String, serde_json::Value)]) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    for (id, doc) in docs {
        // Vendor ids are `system:ID`; keep file names portable.
        let name: String = id
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        write_json(&dir.join(format!("{name}.json")), doc)?;
    }
    println!("wrote {} records to {}", docs.len(), dir.display());
    Ok(())
}

fn write_json(path: &Path, doc: &serde_json::Value) -> Result<()> {
    let mut text = serde_json::to_string_pretty(doc)?;
    text.push('\n');
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}
