//! Export to Inspect's `.eval`: the zip layout, zstd entries, and the
//! numbers of the native report carried over.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use preflight_eval::log::inspect;
use preflight_eval::log::read_report;
use preflight_eval::runner::{LogTarget, RunConfig};
use serde_json::Value;

use crate::fake_model::{Action, Asked, FakeModel, parity_answer};
use crate::fixtures::TempDir;
use crate::runner::{fake_suite, fast_config, run_to_end};

fn entry(archive: &mut zip::ZipArchive<File>, name: &str) -> Value {
    let mut file = archive
        .by_name(name)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(
        file.compression(),
        zip::CompressionMethod::Zstd,
        "{name} is zstd-compressed"
    );
    let mut text = String::new();
    file.read_to_string(&mut text).expect("the entry reads");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name} is JSON: {e}"))
}

fn names(path: &Path) -> Vec<String> {
    let archive = zip::ZipArchive::new(File::open(path).expect("open")).expect("a zip");
    archive
        .file_names()
        .map(|n| n.expect("a name").into_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_has_inspects_layout_and_numbers() {
    let dir = TempDir::new();
    let suite = fake_suite(dir.path(), 10, "includes", "");
    let fake = FakeModel::start(|asked: Asked| {
        if asked.n == 9 {
            Action::BadRequest
        } else {
            parity_answer(asked)
        }
    })
    .await;
    let log = dir.path().join("run.jsonl");
    let config = RunConfig {
        epochs: Some(2),
        ..fast_config()
    };
    run_to_end(&suite, &fake.url, LogTarget::New(log.clone()), config, None)
        .await
        .expect("the run completes");
    let (header, _, report) = read_report(&log).expect("the log reads");
    let out = dir.path().join("run.eval");
    let exported = inspect::export(&log, &out).expect("the export is written");
    assert_eq!(exported.samples, 20);

    let mut names = names(&out);
    names.sort();
    let mut expected: Vec<String> = (0..10)
        .flat_map(|n| (1..=2).map(move |e| format!("samples/s{n}_epoch_{e}.json")))
        .collect();
    expected.extend(
        [
            "_journal/start.json",
            "header.json",
            "reductions.json",
            "summaries.json",
        ]
        .map(String::from),
    );
    expected.sort();
    assert_eq!(names, expected);

    let mut archive = zip::ZipArchive::new(File::open(&out).expect("open")).expect("a zip");
    let start = entry(&mut archive, "_journal/start.json");
    assert_eq!(start["version"], 2);
    assert_eq!(start["eval"]["model"], "fake");
    let log_header = entry(&mut archive, "header.json");
    assert_eq!(log_header["status"], "success");
    assert_eq!(log_header["eval"]["task"], "fake");
    assert_eq!(log_header["eval"]["run_id"], header.run_id.as_str());
    let score = &log_header["results"]["scores"][0];
    assert_eq!(score["name"], "includes");
    let accuracy = report
        .summary
        .as_ref()
        .and_then(|s| s.accuracy)
        .expect("accuracy");
    assert_eq!(
        score["metrics"]["accuracy"]["value"].as_f64(),
        Some(accuracy)
    );
    assert_eq!(score["scored_samples"], 9);
    assert!(score["metrics"]["pass_at_2"]["value"].is_f64());

    let summaries = entry(&mut archive, "summaries.json");
    assert_eq!(summaries.as_array().map(Vec::len), Some(20));
    let reductions = entry(&mut archive, "reductions.json");
    assert_eq!(reductions[0]["samples"].as_array().map(Vec::len), Some(9));

    let correct = entry(&mut archive, "samples/s0_epoch_1.json");
    assert_eq!(correct["scores"]["includes"]["value"], "C");
    assert_eq!(correct["output"]["completion"], "yes");
    assert_eq!(correct["messages"][1]["role"], "assistant");
    assert_eq!(correct["model_usage"]["fake"]["total_tokens"], 10);
    let wrong = entry(&mut archive, "samples/s1_epoch_2.json");
    assert_eq!(wrong["scores"]["includes"]["value"], "I");
    let failed = entry(&mut archive, "samples/s9_epoch_1.json");
    assert!(failed["scores"].is_null());
    assert!(
        failed["error"]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("client_error")),
        "{failed}"
    );
}
