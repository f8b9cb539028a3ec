//! A capture-the-flag task as a sample carries it: the sample's input is the
//! prompt and its target the flag; everything the sandbox and the validator
//! need sits in the sample's metadata under [`METADATA_KEY`].

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::sample::Sample;

/// The metadata key of a task's [`CtfTask`].
pub const METADATA_KEY: &str = "ctf";

/// What a task needs beyond its prompt and flag.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CtfTask {
    /// Copied into the sandbox's work directory.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<TaskFile>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub difficulty: Option<String>,
    /// How long the first human solver took, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_solve_seconds: Option<u64>,
    /// The task talks to a remote service and needs the network.
    #[serde(default)]
    pub network: bool,
    /// A program that decides whether a submission is right: it runs in
    /// the sandbox with the submission on standard input, exit 0 meaning
    /// correct. Used when the task has no literal flag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checker: Option<TaskFile>,
    /// A reference solution: a script, or a folder holding scripts or a
    /// README with the commands in code blocks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<PathBuf>,
    /// Where the task comes from (a URL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// A host file or folder and where it goes in the work directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskFile {
    pub from: PathBuf,
    pub to: PathBuf,
}

impl CtfTask {
    /// The task of a sample, when it is one. A sample whose `ctf` metadata
    /// does not parse is reported with the reason.
    pub fn of(sample: &Sample) -> Option<Result<CtfTask, String>> {
        let value = sample.metadata.get(METADATA_KEY)?;
        Some(
            serde_json::from_value(value.clone())
                .map_err(|e| format!("metadata.{METADATA_KEY}: {e}")),
        )
    }

    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// The tags results are broken down by.
    pub fn tags(&self) -> Vec<String> {
        let mut tags = Vec::new();
        if let Some(category) = &self.category {
            tags.push(format!("category:{}", slug(category)));
        }
        if let Some(difficulty) = &self.difficulty {
            tags.push(format!("difficulty:{}", slug(difficulty)));
        }
        tags
    }
}

/// `Reverse Engineering` as `reverse-engineering`.
pub fn slug(text: &str) -> String {
    let mut out = String::new();
    for word in text.split(|c: char| !c.is_alphanumeric()) {
        if word.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push('-');
        }
        out.push_str(&word.to_lowercase());
    }
    out
}

/// Every entry of `dir` but those named in `skip`, each copied to the top
/// of the work directory, in name order.
pub(crate) fn folder_files(dir: &Path, skip: &[&str]) -> std::io::Result<Vec<TaskFile>> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let name = entry?.file_name();
        let Some(text) = name.to_str() else { continue };
        if skip.contains(&text) {
            continue;
        }
        names.push(text.to_owned());
    }
    names.sort();
    Ok(names
        .into_iter()
        .map(|name| TaskFile {
            from: dir.join(&name),
            to: PathBuf::from(name),
        })
        .collect())
}
