//! Paths to the shared test data and the shipped suites, temporary folders
//! and small samples.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use preflight_eval::{Input, Sample, Target};

/// A file of the shared CyberSecEval data.
pub fn cyberseceval(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/testdata/suites/cyberseceval")
        .join(rel)
}

/// A shipped suite file.
pub fn suite_file(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../suites")
        .join(name)
}

/// A folder under the system's temporary folder, removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new() -> TempDir {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("preflight-eval-test-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&path).expect("create a temporary folder");
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    /// Writes `text` to `name` in the folder and returns its path.
    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, text).expect("write a temporary file");
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A multiple-choice sample with `choices` options named `o0`, `o1`….
pub fn mc_sample(id: &str, choices: usize, target: &[&str]) -> Sample {
    Sample {
        id: id.to_owned(),
        input: Input::Prompt(format!("question {id}")),
        choices: (0..choices).map(|i| format!("o{i}")).collect(),
        target: Target::many(target.iter().copied()),
        metadata: Default::default(),
        tags: Vec::new(),
    }
}

/// A sample with a prompt and targets.
pub fn text_sample(prompt: &str, target: &[&str]) -> Sample {
    Sample {
        id: "s".to_owned(),
        input: Input::Prompt(prompt.to_owned()),
        choices: Vec::new(),
        target: Target::many(target.iter().copied()),
        metadata: Default::default(),
        tags: Vec::new(),
    }
}
