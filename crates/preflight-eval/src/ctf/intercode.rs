//! The InterCode-CTF set (princeton-nlp/intercode, `data/ctf`, MIT): a JSON
//! array of picoCTF tasks (`task_id`, `query`, `gold` flag, `tags` with the
//! category, `source`, `hint`) and each task's files under
//! `task_assets/<task_id>/`, with a reference solution in its `solution/`
//! folder for most tasks. The solution folder never reaches the sandbox.

use std::path::Path;

use serde_json::{Map, Value};

use super::flag;
use super::task::{CtfTask, METADATA_KEY, folder_files};
use crate::dataset::record::Record;
use crate::error::{BadSample, Location};
use crate::sample::{Input, Sample, Target};

/// Entries of a task folder that are not task files.
const NOT_TASK_FILES: [&str; 2] = ["solution", ".placeholder"];

/// One task of `ic_ctf.json`; `base` is the folder holding it.
pub fn task(base: &Path, index: usize, value: &Value) -> Result<Sample, Vec<BadSample>> {
    const USED: [&str; 6] = ["task_id", "query", "gold", "tags", "source", "hint"];
    let mut r = Record::new(Location::Index(index), value)?;
    let id = match r.get("task_id") {
        Some(Value::Number(n)) if n.is_u64() => n.to_string(),
        Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_owned(),
        Some(other) => {
            r.fail(
                "task_id",
                format!(
                    "expected a number or string, got {}",
                    crate::error::show(other)
                ),
            );
            String::new()
        }
        None => {
            r.fail("task_id", "missing");
            String::new()
        }
    };
    let query = r.string("query");
    let gold = r.string("gold");
    let tags = r.strings("tags", false).unwrap_or_default();
    let source = r.opt_string("source");
    if let (Some(query), Some(gold)) = (&query, &gold)
        && flag::reveals(query, std::slice::from_ref(gold))
    {
        r.fail("query", "the prompt contains the flag");
    }
    let mut task = CtfTask {
        category: tags.first().cloned(),
        source,
        ..CtfTask::default()
    };
    let folder = base.join("task_assets").join(&id);
    if !id.is_empty() && folder.is_dir() {
        match folder_files(&folder, &NOT_TASK_FILES) {
            Ok(files) => task.files = files,
            Err(e) => r.fail("task_id", format!("cannot list {}: {e}", folder.display())),
        }
        let solution = folder.join("solution");
        if solution.is_dir() {
            task.reference = Some(solution);
        }
    }
    let mut metadata = Map::new();
    for (key, value) in r.others(&USED) {
        metadata.insert(key.clone(), value.clone());
    }
    if let Some(hint) = r.get("hint") {
        metadata.insert("hint".to_owned(), hint.clone());
    }
    metadata.insert(METADATA_KEY.to_owned(), task.to_value());
    let sample = match (query, gold) {
        (Some(query), Some(gold)) if !id.is_empty() => Some(Sample {
            id,
            input: Input::Prompt(query),
            choices: Vec::new(),
            target: Target::one(gold),
            metadata,
            tags: task.tags(),
        }),
        _ => None,
    };
    r.finish(sample)
}
