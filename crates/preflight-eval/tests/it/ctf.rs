//! Capture-the-flag datasets: the 75 InterCode tasks import with their
//! files (never their solutions) and categories; native task folders load,
//! and their mistakes are reported with the folder and key.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use preflight_eval::ctf::validate::{Reference, reference};
use preflight_eval::ctf::{CtfTask, flag};
use preflight_eval::{DatasetFormat, DatasetSource, Error};

use crate::fixtures::TempDir;

fn intercode() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata/ctf/intercode")
}

#[test]
fn every_intercode_task_imports_with_its_files_and_category() {
    let source = DatasetSource::new(intercode().join("ic_ctf.json"), DatasetFormat::Intercode);
    let samples = source.load_all().expect("all 75 tasks import");
    assert_eq!(samples.len(), 75);
    let mut categories: BTreeMap<String, usize> = BTreeMap::new();
    let mut with_reference = 0;
    for sample in &samples {
        let task = CtfTask::of(sample).expect("a ctf task").expect("parses");
        *categories
            .entry(task.category.clone().expect("a category"))
            .or_default() += 1;
        assert!(
            task.files.iter().all(|f| !f.from.ends_with("solution")),
            "task {} would hand its solution to the agent",
            sample.id
        );
        for file in &task.files {
            assert!(file.from.exists(), "{}", file.from.display());
        }
        assert!(!flag::reveals(
            &sample.input_text(),
            sample.target.as_slice()
        ));
        assert_eq!(sample.target.as_slice().len(), 1);
        with_reference += usize::from(task.reference.is_some());
        assert!(sample.tags.iter().any(|t| t.starts_with("category:")));
    }
    assert_eq!(
        categories,
        BTreeMap::from([
            ("Binary Exploitation".to_owned(), 3),
            ("Cryptography".to_owned(), 16),
            ("Forensics".to_owned(), 8),
            ("General Skills".to_owned(), 27),
            ("Reverse Engineering".to_owned(), 19),
            ("Web Exploitation".to_owned(), 2),
        ])
    );
    assert!(
        with_reference >= 70,
        "{with_reference} tasks have a solution folder"
    );
    let task_10 = samples.iter().find(|s| s.id == "10").expect("task 10");
    let task = CtfTask::of(task_10).expect("ctf").expect("parses");
    match reference(&task) {
        Reference::Script { path, argv } => {
            assert!(path.ends_with("solution/solution.py"));
            assert_eq!(argv, ["python3", ".reference/solution.py"]);
        }
        other => panic!("task 10 ships a solution script: {other:?}"),
    }
}

#[test]
fn the_shipped_task_folders_load_with_flags_checkers_and_difficulty() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../suites/ctf-demo");
    let samples = DatasetSource::new(&dir, DatasetFormat::CtfTasks)
        .load_all()
        .expect("the demo tasks load");
    let ids: Vec<&str> = samples.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["base64-note", "strings-binary", "xor-checker"]);
    let xor = CtfTask::of(&samples[2]).expect("ctf").expect("parses");
    assert!(
        samples[2].target.is_empty(),
        "a checker task has no literal flag"
    );
    let checker = xor.checker.expect("a checker");
    assert!(checker.to.starts_with(".checker"));
    assert_eq!(xor.difficulty.as_deref(), Some("medium"));
    assert_eq!(xor.first_solve_seconds, Some(600));
    assert!(samples[0].tags.contains(&"difficulty:easy".to_owned()));
    assert!(
        samples[0]
            .tags
            .contains(&"category:general-skills".to_owned())
    );
}

#[test]
fn bad_task_folders_name_the_folder_and_the_key() {
    let dir = TempDir::new();
    let write = |name: &str, toml: &str| {
        let folder = dir.path().join(name);
        std::fs::create_dir_all(&folder).expect("folder");
        std::fs::write(folder.join("task.toml"), toml).expect("task.toml");
    };
    write(
        "leaky",
        "prompt = \"the flag is flag{abcdefgh}\"\nflag = \"flag{abcdefgh}\"\n",
    );
    write(
        "escape",
        "prompt = \"p\"\nflag = \"f{1}\"\nfiles = [\"../../etc/passwd\"]\n",
    );
    write(
        "both",
        "prompt = \"p\"\nflag = \"f{1}\"\nflag_checker = \"check.sh\"\n",
    );
    write("typo", "prompt = \"p\"\nflagg = \"f{1}\"\n");
    let err = DatasetSource::new(dir.path(), DatasetFormat::CtfTasks)
        .load_all()
        .expect_err("four bad tasks");
    let Error::BadSamples { errors, .. } = &err else {
        panic!("bad samples: {err}");
    };
    let text = err.to_string();
    for expected in [
        "leaky/task.toml prompt: the prompt contains the flag",
        "escape/task.toml files[0]: ../../etc/passwd must be relative to the task folder and stay inside it",
        "both/task.toml flag_checker: give flag or flag_checker, not both",
        "typo/task.toml: unknown field `flagg`",
    ] {
        assert!(text.contains(expected), "{text}\nshould contain {expected}");
    }
    assert_eq!(errors.len(), 4, "{text}");
}
