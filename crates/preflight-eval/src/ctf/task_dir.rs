//! The native task format: a folder of task folders, each with a
//! `task.toml`.
//!
//! ```toml
//! prompt = "Find the flag hidden in capture.pcap."
//! category = "forensics"
//! difficulty = "easy"
//! first_solve_seconds = 540          # a human's first solve, when known
//! files = ["capture.pcap"]           # relative to the task folder; default: files/*
//! flag = "flag{...}"                 # or flag_checker = "check.py"
//! solution = "solution/solve.sh"     # optional: a script, or a folder with a README
//! network = false
//! tags = ["pcap"]
//! ```
//!
//! The folder name is the sample id. Every key that no field takes is an
//! error naming it.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Map;

use super::flag;
use super::task::{CtfTask, METADATA_KEY, TaskFile, folder_files};
use crate::error::{BadSample, Location};
use crate::sample::{Input, Sample, Target};

/// The file each task folder holds.
pub const TASK_FILE: &str = "task.toml";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TaskToml {
    prompt: String,
    #[serde(default)]
    category: Option<String>,
    #[serde(default)]
    difficulty: Option<String>,
    #[serde(default)]
    first_solve_seconds: Option<u64>,
    #[serde(default)]
    files: Option<Vec<PathBuf>>,
    #[serde(default)]
    flag: Option<String>,
    #[serde(default)]
    flag_checker: Option<PathBuf>,
    #[serde(default)]
    solution: Option<PathBuf>,
    #[serde(default)]
    network: bool,
    #[serde(default)]
    tags: Vec<String>,
}

/// Every task folder of `dir` (those with a `task.toml`), in name order,
/// each read into a sample or its problems.
pub fn load(dir: &Path) -> std::io::Result<Vec<Result<Sample, Vec<BadSample>>>> {
    let mut folders = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.join(TASK_FILE).is_file() {
            folders.push(path);
        }
    }
    folders.sort();
    Ok(folders
        .iter()
        .enumerate()
        .map(|(i, folder)| task(folder, Location::Index(i)))
        .collect())
}

fn task(folder: &Path, location: Location) -> Result<Sample, Vec<BadSample>> {
    let name = folder
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let file = folder.join(TASK_FILE);
    let bad = |field: Option<&str>, problem: String| {
        let field = match field {
            Some(key) => format!("{name}/{TASK_FILE} {key}"),
            None => format!("{name}/{TASK_FILE}"),
        };
        BadSample::new(location, Some(field), problem)
    };
    let text =
        std::fs::read_to_string(&file).map_err(|e| vec![bad(None, format!("cannot read: {e}"))])?;
    let parsed: TaskToml =
        toml::from_str(&text).map_err(|e| vec![bad(None, e.message().to_owned())])?;
    let mut problems = Vec::new();
    if parsed.prompt.trim().is_empty() {
        problems.push(bad(Some("prompt"), "must not be empty".to_owned()));
    }
    let checker = match (&parsed.flag, &parsed.flag_checker) {
        (Some(_), Some(_)) => {
            problems.push(bad(
                Some("flag_checker"),
                "give flag or flag_checker, not both".to_owned(),
            ));
            None
        }
        (None, None) => {
            problems.push(bad(
                Some("flag"),
                "missing (or give flag_checker)".to_owned(),
            ));
            None
        }
        (Some(flag), None) if flag.trim().is_empty() => {
            problems.push(bad(Some("flag"), "must not be empty".to_owned()));
            None
        }
        (_, Some(checker)) => match inside(folder, checker) {
            Ok(from) => Some(TaskFile {
                from,
                to: PathBuf::from(".checker").join(checker.file_name().unwrap_or_default()),
            }),
            Err(problem) => {
                problems.push(bad(Some("flag_checker"), problem));
                None
            }
        },
        (Some(_), None) => None,
    };
    if let Some(flag) = &parsed.flag
        && flag::reveals(&parsed.prompt, std::slice::from_ref(flag))
    {
        problems.push(bad(
            Some("prompt"),
            "the prompt contains the flag".to_owned(),
        ));
    }
    let files = match &parsed.files {
        Some(files) => files
            .iter()
            .enumerate()
            .filter_map(|(i, path)| match inside(folder, path) {
                Ok(from) => Some(TaskFile {
                    from,
                    to: PathBuf::from(path.file_name().unwrap_or_default()),
                }),
                Err(problem) => {
                    problems.push(bad(Some(&format!("files[{i}]")), problem));
                    None
                }
            })
            .collect(),
        None => {
            let default = folder.join("files");
            if default.is_dir() {
                folder_files(&default, &[]).unwrap_or_default()
            } else {
                Vec::new()
            }
        }
    };
    let reference = match &parsed.solution {
        None => None,
        Some(path) => match inside(folder, path) {
            Ok(path) => Some(path),
            Err(problem) => {
                problems.push(bad(Some("solution"), problem));
                None
            }
        },
    };
    if !problems.is_empty() {
        return Err(problems);
    }
    let task = CtfTask {
        files,
        category: parsed.category,
        difficulty: parsed.difficulty,
        first_solve_seconds: parsed.first_solve_seconds,
        network: parsed.network,
        checker,
        reference,
        source: None,
    };
    let mut tags = task.tags();
    tags.extend(parsed.tags);
    let mut metadata = Map::new();
    metadata.insert(METADATA_KEY.to_owned(), task.to_value());
    Ok(Sample {
        id: name,
        input: Input::Prompt(parsed.prompt),
        choices: Vec::new(),
        target: parsed.flag.map_or_else(Target::none, Target::one),
        metadata,
        tags,
    })
}

/// `path` (relative to the task folder) as a host path, if it exists and
/// stays inside the folder.
fn inside(folder: &Path, path: &Path) -> Result<PathBuf, String> {
    if path.is_absolute()
        || path
            .components()
            .any(|c| matches!(c, std::path::Component::ParentDir))
    {
        return Err(format!(
            "{} must be relative to the task folder and stay inside it",
            path.display()
        ));
    }
    let full = folder.join(path);
    if !full.exists() {
        return Err(format!("{} does not exist", full.display()));
    }
    Ok(full)
}
