//! The suite the benchmark runs, made in a temp dir: `n` task folders in the
//! native `task.toml` format, each a copy of ctf-demo's base64-note (one
//! small `note.txt`), and an agent suite over them with native tool calls.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use preflight_eval::Suite;

/// ctf-demo's base64-note flag, hidden in the second line of `note.txt`.
pub const FLAG: &str = "flag{b4s3_s1xty_f0ur_n0t3}";
const NOTE: &str =
    "Meeting notes, do not share.\nVGhlIHZhdWx0IGNvZGUgaXMgZmxhZ3tiNHMzX3MxeHR5X2YwdXJfbjB0M30K\n";

/// How the suite runs.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    pub samples: usize,
    pub max_turns: u32,
    pub max_alive: usize,
}

/// The tasks, the suite file and the runs' logs, in a temp dir.
#[derive(Debug)]
pub struct Workspace {
    pub suite: Suite,
    dir: TempDir,
}

/// A directory removed on drop.
#[derive(Debug)]
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

impl Workspace {
    pub fn make(shape: Shape) -> Result<Workspace> {
        let dir = TempDir(
            std::env::temp_dir().join(format!("preflight-agent-bench-{}", std::process::id())),
        );
        let tasks = dir.0.join("tasks");
        for i in 0..shape.samples {
            let folder = tasks.join(format!("task-{i:04}"));
            let files = folder.join("files");
            fs::create_dir_all(&files).with_context(|| format!("{}", files.display()))?;
            fs::write(files.join("note.txt"), NOTE)?;
            fs::write(
                folder.join("task.toml"),
                format!(
                    "prompt = \"An analyst left a note in note.txt. One line of it is encoded. \
                     Recover the flag.\"\ncategory = \"General Skills\"\nflag = \"{FLAG}\"\n"
                ),
            )?;
        }
        let path = dir.0.join("suite.toml");
        fs::write(&path, suite_text(&tasks, shape))
            .with_context(|| format!("{}", path.display()))?;
        let suite = Suite::load(&path).with_context(|| format!("loading {}", path.display()))?;
        Ok(Workspace { suite, dir })
    }

    /// A fresh log path for the run called `name`.
    pub fn log(&self, name: &str) -> PathBuf {
        self.dir.0.join(format!("{name}.jsonl"))
    }
}

fn suite_text(tasks: &Path, shape: Shape) -> String {
    format!(
        "name = \"agent-bench\"\n\
         description = \"The agent loop's overhead per turn against an instant fake model.\"\n\
         [dataset]\npath = {tasks:?}\nformat = \"ctf_tasks\"\n\
         [solver]\nkind = \"agent\"\n\
         [agent]\nmax_turns = {}\ntool_calls = \"native\"\ntools = [\"bash\", \"submit\"]\n\
         tool_timeout_seconds = 60\n\
         [sandbox]\nmax_alive = {}\n\
         [scorer]\nkind = \"flag\"\n\
         [limits]\ntime_seconds = 600\n",
        shape.max_turns, shape.max_alive
    )
}
