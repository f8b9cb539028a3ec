//! Environment validation: does each task's reference solution, run in the
//! sandbox the agent would get, still produce the flag?
//!
//! A reference is runnable when it is a script (Python, shell, or a Java
//! source file), or a folder holding one, or a README whose code blocks hold
//! shell commands (console transcripts keep only their `$ ` lines). Every
//! task ends in one [`Verdict`], with the reason.

use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock};
use std::time::{Duration, Instant};

use regex::Regex;
use serde::{Deserialize, Serialize};

use preflight_sandbox::{ExecRequest, FileCopy, SandboxLimits, SandboxPool, SandboxSpec};

use super::flag;
use super::task::CtfTask;
use crate::agent::tools::FENCE;
use crate::sample::Sample;

/// What a task's validation found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The reference ran in the sandbox and printed the flag (or its body).
    ConfirmedSolvable,
    /// No reference, or none that can be run.
    NoRunnableReference,
    /// The task or its reference talks to a remote service.
    NeedsNetwork,
    /// The reference ran and did not produce the flag, or could not run.
    Broken,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::ConfirmedSolvable => "confirmed solvable",
            Verdict::NoRunnableReference => "no runnable reference",
            Verdict::NeedsNetwork => "needs the network",
            Verdict::Broken => "broken",
        }
    }
}

/// One task's validation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskValidation {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    pub verdict: Verdict,
    /// What was run: a script's file name, or `README code blocks`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    pub reason: String,
}

/// A reference solution as it will be run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reference {
    /// A script, copied into the sandbox and run with its interpreter.
    Script { path: PathBuf, argv: Vec<String> },
    /// Shell commands taken from a README's code blocks.
    Commands { readme: PathBuf, script: String },
    /// Nothing runnable, with the reason.
    None(String),
}

/// Where references are copied in the sandbox, relative to the work folder.
const REFERENCE_DIR: &str = ".reference";

static NETWORK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\bnc\s+\S+\s+\d+|\bnetcat\b|\bsocket\.|\bremote\(|\brequests\.(get|post|session)|\burllib\b|\bcurl\s|\bwget\s|\bssh\s+\S+@|\btelnet\s|https?://[a-z0-9.-]+\.[a-z]{2,}(:\d+)?/?\S*\s*$|\b[a-z0-9-]+\.challenges\.[a-z0-9.-]+\b|\bmercury\.picoctf\.net\b|\bsaturn\.picoctf\.net\b",
    )
    .expect("valid pattern")
});
static INLINE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"`([^`\n]+)`").expect("valid pattern"));

/// The reference of `task`, ready to run.
pub fn reference(task: &CtfTask) -> Reference {
    let Some(path) = &task.reference else {
        return Reference::None("the task has no reference solution".to_owned());
    };
    if path.is_file() {
        return script(path).unwrap_or_else(|| {
            Reference::None(format!(
                "{} is not a script this validator runs (.py, .sh, .java)",
                file_name(path)
            ))
        });
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
        .map(|dir| dir.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    entries.sort();
    if let Some(found) = entries.iter().find_map(|p| script(p)) {
        return found;
    }
    let readme = entries
        .iter()
        .find(|p| file_name(p).eq_ignore_ascii_case("README.md"));
    let Some(readme) = readme else {
        return Reference::None("the solution folder holds no script and no README".to_owned());
    };
    let text = std::fs::read_to_string(readme).unwrap_or_default();
    match readme_commands(&text) {
        Some(script) => Reference::Commands {
            readme: readme.clone(),
            script,
        },
        None => Reference::None(
            "the solution README explains the solution in words; it has no shell commands to run"
                .to_owned(),
        ),
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn script(path: &Path) -> Option<Reference> {
    let name = file_name(path);
    let inside = format!("{REFERENCE_DIR}/{name}");
    let argv: Vec<String> = match path.extension()?.to_str()? {
        "py" => vec!["python3".into(), inside],
        "sh" => vec!["bash".into(), inside],
        "java" => vec!["java".into(), inside],
        _ => return None,
    };
    Some(Reference::Script {
        path: path.to_owned(),
        argv,
    })
}

/// The shell commands of a README's code blocks: console transcripts give
/// their `$ ` lines; blocks tagged bash, sh or shell give every line;
/// untagged blocks without prompts are taken when they read as commands
/// rather than code or output.
pub fn readme_commands(text: &str) -> Option<String> {
    let mut commands = Vec::new();
    for block in FENCE.captures_iter(text) {
        let language = block[1].to_lowercase();
        let body = &block[2];
        let prompted: Vec<&str> = body
            .lines()
            .filter_map(|l| l.trim_start().strip_prefix("$ "))
            .collect();
        if !prompted.is_empty() {
            commands.extend(prompted.into_iter().map(str::to_owned));
            continue;
        }
        let shell = matches!(language.as_str(), "bash" | "sh" | "shell" | "console");
        let looks_like_commands = language.is_empty()
            && body.lines().filter(|l| !l.trim().is_empty()).count() <= 6
            && body.lines().all(|l| {
                let l = l.trim();
                !l.ends_with(';') && !l.contains('{') && !l.contains('}') && !l.starts_with("//")
            });
        if shell || looks_like_commands {
            commands.extend(
                body.lines()
                    .filter(|l| !l.trim().is_empty())
                    .map(str::to_owned),
            );
        }
    }
    (!commands.is_empty()).then(|| commands.join("\n"))
}

/// Whether the task needs the network: its metadata says so, or its prompt
/// or reference (scripts, README code) names a remote service.
pub fn needs_network(task: &CtfTask, prompt: &str, reference: &Reference) -> Option<String> {
    if task.network {
        return Some("the task says it needs the network".to_owned());
    }
    if let Some(hit) = NETWORK.find(prompt) {
        return Some(format!(
            "the prompt names a remote service: {:?}",
            hit.as_str()
        ));
    }
    let code = match reference {
        Reference::Script { path, .. } => std::fs::read_to_string(path).unwrap_or_default(),
        Reference::Commands { script, .. } => script.clone(),
        Reference::None(_) => match &task.reference {
            Some(dir) => readme_code(&dir.join("README.md")),
            None => String::new(),
        },
    };
    NETWORK.find(&code).map(|hit| {
        format!(
            "the reference talks to a remote service: {:?}",
            hit.as_str()
        )
    })
}

/// Code blocks and inline code of a README (not its link targets).
fn readme_code(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let mut code: Vec<String> = FENCE
        .captures_iter(&text)
        .map(|c| c[2].to_owned())
        .collect();
    code.extend(INLINE.captures_iter(&text).map(|c| c[1].to_owned()));
    code.join("\n")
}

/// How validation runs.
#[derive(Debug, Clone)]
pub struct ValidateConfig {
    /// Wall-clock limit of one reference run.
    pub timeout: Duration,
    pub limits: SandboxLimits,
}

impl Default for ValidateConfig {
    fn default() -> Self {
        ValidateConfig {
            timeout: Duration::from_secs(120),
            limits: SandboxLimits::default(),
        }
    }
}

/// Validates every sample (each a CTF task), at most `pool`'s limit at
/// once, in the order given.
pub async fn validate_all(
    samples: Vec<Sample>,
    pool: Arc<SandboxPool>,
    config: ValidateConfig,
) -> Vec<TaskValidation> {
    let mut handles = Vec::with_capacity(samples.len());
    for sample in samples {
        let pool = pool.clone();
        let config = config.clone();
        handles.push(tokio::spawn(async move {
            validate(&sample, &pool, &config).await
        }));
    }
    let mut results = Vec::with_capacity(handles.len());
    for handle in handles {
        match handle.await {
            Ok(result) => results.push(result),
            Err(e) => results.push(TaskValidation {
                id: String::new(),
                category: None,
                verdict: Verdict::Broken,
                reference: None,
                reason: format!("the validation task failed: {e}"),
            }),
        }
    }
    results
}

/// Validates one task.
pub async fn validate(
    sample: &Sample,
    pool: &SandboxPool,
    config: &ValidateConfig,
) -> TaskValidation {
    let mut result = TaskValidation {
        id: sample.id.clone(),
        category: None,
        verdict: Verdict::Broken,
        reference: None,
        reason: String::new(),
    };
    let task = match CtfTask::of(sample) {
        Some(Ok(task)) => task,
        Some(Err(reason)) => {
            result.reason = reason;
            return result;
        }
        None => {
            result.reason = "the sample is not a capture-the-flag task".to_owned();
            return result;
        }
    };
    result.category.clone_from(&task.category);
    let reference = reference(&task);
    result.reference = match &reference {
        Reference::Script { path, .. } => Some(file_name(path)),
        Reference::Commands { readme, .. } => Some(format!("{} code blocks", file_name(readme))),
        Reference::None(_) => None,
    };
    if let Some(reason) = needs_network(&task, &sample.input_text(), &reference) {
        result.verdict = Verdict::NeedsNetwork;
        result.reason = reason;
        return result;
    }
    let (files, request) = match &reference {
        Reference::None(reason) => {
            result.verdict = Verdict::NoRunnableReference;
            result.reason.clone_from(reason);
            return result;
        }
        Reference::Script { path, argv } => (
            vec![FileCopy {
                from: path.clone(),
                to: PathBuf::from(REFERENCE_DIR).join(file_name(path)),
            }],
            ExecRequest {
                argv: argv.clone(),
                ..ExecRequest::default()
            },
        ),
        Reference::Commands { script, .. } => (Vec::new(), ExecRequest::shell(script.clone())),
    };
    let mut spec = SandboxSpec {
        files: task
            .files
            .iter()
            .map(|f| FileCopy {
                from: f.from.clone(),
                to: f.to.clone(),
            })
            .collect(),
        network: false,
        limits: config.limits,
    };
    spec.files.extend(files);
    let request = ExecRequest {
        timeout: Some(config.timeout),
        ..request
    };
    let clock = Instant::now();
    let sandbox = match pool.acquire(spec).await {
        Ok(sandbox) => sandbox,
        Err(e) => {
            result.reason = format!("the sandbox could not be created: {e}");
            return result;
        }
    };
    let output = sandbox.exec(request).await;
    let checked = match (&output, &task.checker) {
        (Ok(output), Some(checker)) => {
            let last = output.stdout.lines().rev().find(|l| !l.trim().is_empty());
            match last {
                None => Some(false),
                Some(line) => Some(run_checker(&*sandbox, checker, line).await),
            }
        }
        _ => None,
    };
    if let Err(e) = sandbox.release().await {
        result.reason = format!("the sandbox was not torn down cleanly: {e}");
        return result;
    }
    let output = match output {
        Ok(output) => output,
        Err(e) => {
            result.reason = format!("the reference could not run: {e}");
            return result;
        }
    };
    let flags = sample.target.as_slice();
    let printed = format!("{}\n{}", output.stdout, output.stderr);
    // The flag, or the body of a braced flag (some references print only
    // the secret inside picoCTF{...}).
    let found = checked.unwrap_or_else(|| flag::reveals(&printed, flags));
    let seconds = clock.elapsed().as_secs_f64();
    if found {
        result.verdict = Verdict::ConfirmedSolvable;
        result.reason = if checked.is_some() {
            format!("the task's flag checker accepted the reference's answer in {seconds:.1} s")
        } else {
            format!("the reference printed the flag in {seconds:.1} s")
        };
    } else if output.timed_out {
        result.reason = format!(
            "the reference ran past its {} s limit",
            config.timeout.as_secs()
        );
    } else {
        let tail: String = last_line(&output.stderr)
            .or_else(|| last_line(&output.stdout))
            .unwrap_or_default();
        let tail = flag::redact(&tail, flags);
        result.reason = format!(
            "the reference exited with {} without printing the flag{}",
            output.exit_code.map_or_else(
                || format!("signal {}", output.signal.unwrap_or(0)),
                |c| format!("code {c}")
            ),
            if tail.is_empty() {
                String::new()
            } else {
                format!("; last output: {tail:?}")
            }
        );
    }
    result
}

fn last_line(text: &str) -> Option<String> {
    let line = text.lines().rev().find(|l| !l.trim().is_empty())?;
    Some(line.chars().take(160).collect())
}

async fn run_checker(
    sandbox: &dyn preflight_sandbox::Sandbox,
    checker: &super::TaskFile,
    submission: &str,
) -> bool {
    let Ok(program) = std::fs::read(&checker.from) else {
        return false;
    };
    if sandbox.write_file(&checker.to, &program).await.is_err() {
        return false;
    }
    let request = ExecRequest {
        argv: vec![
            "bash".into(),
            "-c".into(),
            "chmod +x \"$0\" && exec \"$0\"".into(),
            Path::new(".").join(&checker.to).display().to_string(),
        ],
        stdin: submission.as_bytes().to_vec(),
        ..ExecRequest::default()
    };
    sandbox
        .exec(request)
        .await
        .is_ok_and(|output| output.success())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readme_commands_keep_prompted_lines_and_skip_code() {
        let text = "run it\n```\n$ python convertme.py\nIf 86 is...\nAnswer: 1010110\n```\n";
        assert_eq!(
            readme_commands(text).as_deref(),
            Some("python convertme.py")
        );
        let code = "```\ntotal_cost = 900*number_flags;\nif(total_cost <= x){\n```";
        assert_eq!(readme_commands(code), None);
        let shell = "```\naarch64-linux-gnu-as -o chall.o chall.S\n```";
        assert_eq!(
            readme_commands(shell).as_deref(),
            Some("aarch64-linux-gnu-as -o chall.o chall.S")
        );
        assert_eq!(readme_commands("Printing the string gives the flag."), None);
    }

    #[test]
    fn remote_services_are_recognised_but_reference_links_are_not() {
        let task = CtfTask::default();
        let none = Reference::None(String::new());
        assert!(
            needs_network(
                &task,
                "Connect with nc jupiter.challenges.picoctf.org 25103",
                &none
            )
            .is_some()
        );
        assert!(needs_network(&task, "Decode the file 'enc'.", &none).is_none());
        let commands = Reference::Commands {
            readme: PathBuf::new(),
            script: "python3 -c 'import socket; socket.create_connection((\"x\", 1))'".into(),
        };
        assert!(needs_network(&task, "", &commands).is_some());
    }
}
