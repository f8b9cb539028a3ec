//! Suite files: every shipped suite parses, builds and finds its data;
//! unknown keys, misplaced keys and bad values are rejected naming the key
//! and the file; the agent solver is reserved.

use std::path::Path;

use preflight_eval::scorer::{Expect, GradeMatch};
use preflight_eval::stats::{EpochReducer, Metric};
use preflight_eval::{DatasetFormat, Error, ScorerKind, SolverKind, Suite};

use crate::fixtures::{TempDir, suite_file};

/// (suite file, format, solver, scorer, records in the file, selected).
const SHIPPED: [(&str, DatasetFormat, SolverKind, ScorerKind, usize, usize); 5] = [
    (
        "cyberseceval-malware-analysis.toml",
        DatasetFormat::CybersecevalMcq,
        SolverKind::MultipleChoice,
        ScorerKind::Choice,
        609,
        608,
    ),
    (
        "cyberseceval-prompt-injection.toml",
        DatasetFormat::CybersecevalPromptInjection,
        SolverKind::Generate,
        ScorerKind::ModelGraded,
        251,
        251,
    ),
    (
        "cyberseceval-mitre-frr.toml",
        DatasetFormat::CybersecevalFrr,
        SolverKind::Generate,
        ScorerKind::Refusal,
        750,
        750,
    ),
    (
        "cyberseceval-interpreter.toml",
        DatasetFormat::CybersecevalInterpreter,
        SolverKind::Generate,
        ScorerKind::ModelGraded,
        500,
        500,
    ),
    (
        "smoke.toml",
        DatasetFormat::Jsonl,
        SolverKind::MultipleChoice,
        ScorerKind::Choice,
        6,
        6,
    ),
];

#[test]
fn every_shipped_suite_parses_builds_and_finds_its_data() {
    for (file, format, solver, scorer, records, selected) in SHIPPED {
        let suite = Suite::load(suite_file(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(format!("{}.toml", suite.name), file);
        assert!(!suite.description.is_empty(), "{file}");
        assert_eq!(suite.dataset.format, format, "{file}");
        assert_eq!(suite.solver.kind, solver, "{file}");
        assert_eq!(suite.scorer.kind, scorer, "{file}");
        assert!(suite.metrics.contains(&Metric::Accuracy), "{file}");
        let task = suite.build().unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(task.scorer.kind(), scorer);
        let check = task
            .dataset
            .check()
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(
            (check.records, check.selected),
            (records, selected),
            "{file}"
        );
    }
}

#[test]
fn shipped_suites_say_what_correct_means() {
    let frr = Suite::load(suite_file("cyberseceval-mitre-frr.toml")).expect("loads");
    assert_eq!(frr.scorer.expect, Some(Expect::Comply));
    let injection = Suite::load(suite_file("cyberseceval-prompt-injection.toml")).expect("loads");
    let grades = injection.scorer.grades.as_ref().expect("grades");
    assert_eq!(grades.len(), 2);
    assert_eq!(injection.scorer.grade_match, Some(GradeMatch::First));
    let malware = Suite::load(suite_file("cyberseceval-malware-analysis.toml")).expect("loads");
    assert_eq!(malware.dataset.exclude, ["424"]);
    assert!(malware.solver.multiple_answers);
}

const MINIMAL: &str = r#"
name = "t"
[dataset]
path = "d.jsonl"
format = "jsonl"
[solver]
kind = "generate"
[scorer]
kind = "includes"
"#;

fn parse(text: &str) -> Result<Suite, Error> {
    Suite::parse(text, Path::new("/suites/t.toml"))
}

#[test]
fn defaults_fill_what_a_minimal_suite_leaves_out() {
    let suite = parse(MINIMAL).expect("a minimal suite");
    assert_eq!(suite.epochs, 1);
    assert_eq!(suite.epoch_reducer, EpochReducer::Mean);
    assert_eq!(suite.metrics, [Metric::Accuracy, Metric::Stderr]);
    assert_eq!(suite.base(), Path::new("/suites"));
    let task = suite.build().expect("builds");
    assert_eq!(task.dataset.path(), Path::new("/suites/d.jsonl"));
}

#[test]
fn every_option_parses() {
    let text = r#"
name = "full"
description = "all options"
epochs = 3
epoch_reducer = { at_least_k = 2 }
metrics = ["accuracy", "stderr", "wilson", "bootstrap", "pass_at_k"]
tags = ["a", "b"]

[dataset]
path = "d.jsonl"
format = "jsonl"
limit = 10
shuffle = true
seed = 5
exclude = ["x"]

[solver]
kind = "multiple_choice"
system_prompt = "sys"
template = "{prompt} {{literal}} {choices} {letters}"
few_shot = [{ user = "u", assistant = "ANSWER: A" }]
multiple_answers = true
shuffle_choices = true
seed = 9

[scorer]
kind = "choice"

[limits]
time_seconds = 60
tokens = 1000
max_output_tokens = 100
"#;
    let suite = parse(text).expect("parses");
    assert_eq!(suite.epoch_reducer, EpochReducer::AtLeastK(2));
    assert_eq!(suite.metrics.len(), 5);
    assert_eq!(suite.dataset.limit, Some(10));
    assert_eq!(suite.solver.seed, Some(9));
    assert_eq!(suite.solver.few_shot.len(), 1);
    assert_eq!(suite.limits.tokens, Some(1000));
    suite.build().expect("builds");
}

#[track_caller]
fn check_rejected(text: &str, words: &[&str]) {
    let err = parse(text).expect_err("rejected");
    let message = err.to_string();
    assert!(message.contains("/suites/t.toml"), "{message}");
    for w in words {
        assert!(message.contains(w), "{message:?} should contain {w:?}");
    }
}

#[test]
fn unknown_keys_are_all_named_with_the_file() {
    let text = MINIMAL.replace("[solver]", "colour = \"red\"\n[solver]\ntemprature = 0.5")
        + "\n[limits]\nseconds = 5\n";
    let err = parse(&text).expect_err("rejected");
    let Error::UnknownKeys { path, keys } = &err else {
        panic!("expected unknown keys, got {err}");
    };
    assert_eq!(path, Path::new("/suites/t.toml"));
    assert_eq!(
        keys,
        &["dataset.colour", "limits.seconds", "solver.temprature"]
    );
    assert_eq!(
        err.to_string(),
        "suite /suites/t.toml: unknown key(s) \"dataset.colour\", \"limits.seconds\", \"solver.temprature\""
    );
    check_rejected(
        &format!("{MINIMAL}\n[scorer.judge]\nmodel = \"j\"\nkey = \"secret\"\n"),
        &["unknown key(s) \"scorer.judge.key\""],
    );
    check_rejected(
        &MINIMAL.replace(
            "kind = \"generate\"",
            "kind = \"generate\"\nfew_shot = [{ user = \"u\", assistant = \"a\", note = \"n\" }]",
        ),
        &["unknown key(s) \"solver.few_shot[0].note\""],
    );
}

#[test]
fn bad_values_are_rejected_naming_the_key() {
    let cases: [(&str, String, &[&str]); 11] = [
        (
            "wrong type",
            MINIMAL.replace("name = \"t\"", "name = 5"),
            &["line 2, column 8", "invalid type"],
        ),
        (
            "unknown format",
            MINIMAL.replace("\"jsonl\"", "\"csv\""),
            &["line 5", "unknown variant `csv`"],
        ),
        (
            "missing scorer kind",
            MINIMAL.replace("kind = \"includes\"", ""),
            &["missing field `kind`"],
        ),
        (
            "empty name",
            MINIMAL.replace("\"t\"", "\" \""),
            &["name = \" \": must not be empty"],
        ),
        (
            "no epochs",
            format!("epochs = 0\n{MINIMAL}"),
            &["epochs = 0: must be at least 1"],
        ),
        (
            "at_least_k above epochs",
            format!("epochs = 2\nepoch_reducer = {{ at_least_k = 3 }}\n{MINIMAL}"),
            &["epoch_reducer.at_least_k = 3: must be between 1 and epochs (2)"],
        ),
        (
            "zero limit",
            MINIMAL.replace("format = \"jsonl\"", "format = \"jsonl\"\nlimit = 0"),
            &["dataset.limit = 0"],
        ),
        (
            "multiple choice options on generate",
            MINIMAL.replace(
                "kind = \"generate\"",
                "kind = \"generate\"\nshuffle_choices = true",
            ),
            &[
                "solver.shuffle_choices",
                "applies only to solver kind \"multiple_choice\"",
            ],
        ),
        (
            "pattern on includes",
            MINIMAL.replace(
                "kind = \"includes\"",
                "kind = \"includes\"\npattern = \"x\"",
            ),
            &[
                "scorer.pattern",
                "does not apply to scorer kind \"includes\"",
            ],
        ),
        (
            "regex without pattern",
            MINIMAL.replace("\"includes\"", "\"regex\""),
            &["scorer.pattern", "needs a pattern"],
        ),
        (
            "unknown metric",
            format!("metrics = [\"accuracy\", \"f1\"]\n{MINIMAL}"),
            &["unknown variant `f1`"],
        ),
    ];
    for (case, text, words) in cases {
        let message = parse(&text).expect_err(case).to_string();
        for w in words {
            assert!(
                message.contains(w),
                "{case}: {message:?} should contain {w:?}"
            );
        }
    }
}

#[test]
fn the_agent_solver_builds_with_its_agent_and_sandbox_tables() {
    let text = MINIMAL
        .replace("\"generate\"", "\"agent\"")
        .replace("\"includes\"", "\"flag\"")
        + "[agent]\nmax_turns = 5\ntool_calls = \"text\"\n[sandbox]\nmax_alive = 3\nmemory_mb = 512\n";
    let suite = parse(&text).expect("parses");
    assert_eq!(suite.solver.kind, SolverKind::Agent);
    let task = suite.build().expect("builds");
    let sandbox = task.sandbox.expect("an agentic task has sandbox settings");
    assert_eq!((sandbox.max_alive, sandbox.memory_mb), (3, 512));
    assert_eq!(suite.agent.as_ref().map(|a| a.max_turns), Some(5));
}

#[test]
fn agent_tables_are_refused_where_they_do_nothing_or_are_wrong() {
    let cases = [
        (
            MINIMAL.to_owned() + "[agent]\nmax_turns = 5\n",
            "agent = (set): applies only to solver kind \"agent\"",
        ),
        (
            MINIMAL
                .replace("\"generate\"", "\"agent\"")
                .replace("\"includes\"", "\"refusal\""),
            "scorer.kind = \"refusal\": an agent's submission is scored by",
        ),
        (
            MINIMAL
                .replace("\"generate\"", "\"agent\"")
                .replace("\"includes\"", "\"flag\"")
                + "[agent]\nmax_turns = 0\n",
            "agent.max_turns = 0: must be at least 1",
        ),
        (
            MINIMAL
                .replace("\"generate\"", "\"agent\"")
                .replace("\"includes\"", "\"flag\"")
                + "[sandbox]\nbackend = \"docker\"\n",
            "sandbox.backend = \"docker\"",
        ),
    ];
    for (text, expected) in cases {
        let err = parse(&text).expect_err(expected);
        assert!(
            err.to_string().contains(expected),
            "{err} should contain {expected}"
        );
    }
}

#[test]
fn build_time_errors_name_the_template_or_pattern() {
    let bad_template = parse(&MINIMAL.replace(
        "kind = \"generate\"",
        "kind = \"generate\"\ntemplate = \"{question}\"",
    ))
    .expect("parses")
    .build()
    .expect_err("unknown placeholder");
    assert!(
        bad_template
            .to_string()
            .contains("unknown placeholder {question}"),
        "{bad_template}"
    );

    let bad_pattern = parse(&MINIMAL.replace(
        "kind = \"includes\"",
        "kind = \"regex\"\npattern = \"(unclosed\"",
    ))
    .expect("parses")
    .build()
    .expect_err("bad regex");
    assert!(
        bad_pattern
            .to_string()
            .starts_with("invalid regular expression \"(unclosed\" for pattern"),
        "{bad_pattern}"
    );
}

#[test]
fn a_missing_suite_file_and_a_few_shot_file_are_reported() {
    let err = Suite::load("/nonexistent/suite.toml").expect_err("no file");
    assert!(
        err.to_string()
            .starts_with("cannot read /nonexistent/suite.toml"),
        "{err}"
    );

    let dir = TempDir::new();
    let path = dir.write(
        "s.toml",
        &MINIMAL.replace(
            "kind = \"generate\"",
            "kind = \"generate\"\nfew_shot_file = \"missing.jsonl\"",
        ),
    );
    let err = Suite::load(&path)
        .expect("parses")
        .build()
        .expect_err("no few-shot file");
    assert!(err.to_string().contains("missing.jsonl"), "{err}");
}
