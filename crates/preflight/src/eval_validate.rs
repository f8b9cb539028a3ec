//! `preflight eval validate`: every capture-the-flag task's reference
//! solution run in the sandbox, and the task classified.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use preflight_eval::ctf::task_dir::TASK_FILE;
use preflight_eval::ctf::validate::{TaskValidation, ValidateConfig, Verdict, validate_all};
use preflight_eval::{DatasetFormat, DatasetSource, Sample, Suite};
use preflight_sandbox::SandboxPool;
use preflight_sandbox::bubblewrap::{Bubblewrap, BubblewrapConfig};

use crate::eval_command::ValidateArgs;

/// The file an InterCode folder holds its tasks in.
const INTERCODE_FILE: &str = "ic_ctf.json";

pub async fn run(args: &ValidateArgs) -> Result<()> {
    let mut samples = load_tasks(&args.suite)?;
    let recheck = match &args.recheck {
        None => None,
        Some(path) => {
            let saved = read_classification(path)?;
            let confirmed: BTreeSet<String> = saved
                .into_iter()
                .filter(|t| t.verdict == Verdict::ConfirmedSolvable)
                .map(|t| t.id)
                .collect();
            let known: BTreeSet<&String> = samples.iter().map(|s| &s.id).collect();
            if let Some(missing) = confirmed.iter().find(|id| !known.contains(id)) {
                bail!(
                    "--recheck {}: task {missing:?} is not in {}",
                    path.display(),
                    args.suite.display()
                );
            }
            samples.retain(|s| confirmed.contains(&s.id));
            Some(confirmed)
        }
    };
    let backend = Bubblewrap::new(BubblewrapConfig::default())
        .context("validation runs each reference solution in a sandbox")?;
    let pool = Arc::new(SandboxPool::new(
        Arc::new(backend),
        args.max_sandboxes.max(1),
    ));
    let config = ValidateConfig {
        timeout: Duration::from_secs(args.timeout.max(1)),
        ..ValidateConfig::default()
    };
    eprintln!("validating {} task(s)…", samples.len());
    let results = validate_all(samples, pool, config).await;
    print!("{}", render(&results));
    if let Some(out) = &args.out {
        let json = serde_json::to_string_pretty(&results)? + "\n";
        std::fs::write(out, json).with_context(|| format!("writing {}", out.display()))?;
        eprintln!("classification: {}", out.display());
    }
    if let Some(confirmed) = recheck {
        let failed: Vec<&TaskValidation> = results
            .iter()
            .filter(|r| r.verdict != Verdict::ConfirmedSolvable)
            .collect();
        if !failed.is_empty() {
            let list: Vec<String> = failed
                .iter()
                .map(|r| format!("{} ({}: {})", r.id, r.verdict.as_str(), r.reason))
                .collect();
            bail!(
                "{} of {} tasks saved as confirmed solvable were not solved again: {}",
                failed.len(),
                confirmed.len(),
                list.join("; ")
            );
        }
        eprintln!(
            "all {} tasks saved as confirmed solvable were solved again",
            confirmed.len()
        );
    }
    Ok(())
}

/// The tasks of a suite file, an InterCode folder or a task-folder folder.
fn load_tasks(path: &Path) -> Result<Vec<Sample>> {
    let source = if path.is_dir() {
        if path.join(INTERCODE_FILE).is_file() {
            DatasetSource::new(path.join(INTERCODE_FILE), DatasetFormat::Intercode)
        } else {
            DatasetSource::new(path, DatasetFormat::CtfTasks)
        }
    } else {
        let suite = Suite::load(path)?;
        DatasetSource::from_config(&suite.dataset, suite.base())
    };
    let samples = source.load_all()?;
    if samples.is_empty() {
        bail!(
            "{} holds no tasks (expected {INTERCODE_FILE}, task folders with a {TASK_FILE}, or a suite file)",
            path.display()
        );
    }
    Ok(samples)
}

fn read_classification(path: &PathBuf) -> Result<Vec<TaskValidation>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text)
        .with_context(|| format!("{} is not a classification", path.display()))
}

/// One line per task, then the count of each verdict.
fn render(results: &[TaskValidation]) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let width = results.iter().map(|r| r.id.len()).max().unwrap_or(4).max(4);
    let _ = writeln!(
        out,
        "{:<width$} {:<22} {:<22} reason",
        "task", "verdict", "category"
    );
    let mut counts: BTreeMap<Verdict, usize> = BTreeMap::new();
    for r in results {
        *counts.entry(r.verdict).or_default() += 1;
        let _ = writeln!(
            out,
            "{:<width$} {:<22} {:<22} {}",
            r.id,
            r.verdict.as_str(),
            r.category.as_deref().unwrap_or("-"),
            r.reason
        );
    }
    let summary: Vec<String> = counts
        .iter()
        .map(|(verdict, n)| format!("{} {n}", verdict.as_str()))
        .collect();
    let _ = writeln!(out, "\n{} tasks: {}", results.len(), summary.join(", "));
    out
}
