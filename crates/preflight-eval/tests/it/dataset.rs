//! The native JSON Lines format and dataset selections: every bad record is
//! reported with its line and field, streaming goes on past bad records,
//! shuffles are reproducible.

use preflight_eval::{
    ChatMessage, DatasetConfig, DatasetFormat, DatasetSource, Error, Input, Location, Target,
};

use crate::fixtures::TempDir;

const GOOD: &str = r#"{"id": "a", "input": "Which port does SSH use?", "choices": ["21", "22"], "target": "B", "metadata": {"source": "hand"}, "tags": ["network"]}
{"id": 7, "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}], "target": ["yes", "y"]}

{"id": "c", "input": "No target here"}
"#;

/// (line, field, words the problem must contain) of every expected error.
type Expected<'a> = &'a [(Location, Option<&'a str>, &'a str)];

#[track_caller]
fn check_errors(error: Error, expected: Expected<'_>) {
    let text = error.to_string();
    let Error::BadSamples { errors, .. } = error else {
        panic!("expected bad samples, got {text}");
    };
    let got: Vec<(Location, Option<&str>)> = errors
        .iter()
        .map(|e| (e.location, e.field.as_deref()))
        .collect();
    let want: Vec<(Location, Option<&str>)> = expected.iter().map(|e| (e.0, e.1)).collect();
    assert_eq!(got, want, "{text}");
    for (error, (_, _, words)) in errors.iter().zip(expected) {
        assert!(
            error.problem.contains(words),
            "{:?} should contain {words:?}",
            error.problem
        );
    }
}

#[test]
fn native_records_load_with_every_field() {
    let dir = TempDir::new();
    let path = dir.write("good.jsonl", GOOD);
    let samples = DatasetSource::new(&path, DatasetFormat::Jsonl)
        .load_all()
        .expect("a good file loads");
    assert_eq!(samples.len(), 3);
    assert_eq!(samples[0].id, "a");
    assert_eq!(
        samples[0].input,
        Input::Prompt("Which port does SSH use?".into())
    );
    assert_eq!(samples[0].choices, ["21", "22"]);
    assert_eq!(samples[0].target, Target::one("B"));
    assert_eq!(samples[0].metadata["source"], "hand");
    assert_eq!(samples[0].tags, ["network"]);
    assert_eq!(samples[1].id, "7", "integer ids become strings");
    assert_eq!(
        samples[1].input,
        Input::Messages(vec![
            ChatMessage::system("Be brief."),
            ChatMessage::user("Hi")
        ])
    );
    assert_eq!(samples[1].target, Target::many(["yes", "y"]));
    assert!(samples[2].target.is_empty());
}

const BROKEN: &str = r#"{"id": "a", "input": "fine"}
{"id": "b", "input": 42}
not json
{"input": "x", "target": 7, "colour": "red"}

{"id": "a", "input": "a second a"}
{"id": "c", "messages": [{"role": "wizard", "content": "hi"}, {"role": "user"}]}
{"id": "d", "input": "q", "choices": ["x", "y"], "target": "C"}
[1, 2]
{"id": "e", "input": "fine too", "tags": ["ok", 3]}
{"id": "f", "input": "also fine"}
"#;

#[test]
fn every_bad_record_is_reported_with_line_and_field() {
    let dir = TempDir::new();
    let path = dir.write("broken.jsonl", BROKEN);
    let source = DatasetSource::new(&path, DatasetFormat::Jsonl);
    let expected: Expected<'_> = &[
        (
            Location::Line(2),
            Some("input"),
            "expected a string, got 42",
        ),
        (Location::Line(3), None, "invalid JSON"),
        (Location::Line(4), Some("colour"), "unknown field"),
        (Location::Line(4), Some("id"), "missing"),
        (
            Location::Line(4),
            Some("target"),
            "expected a string or an array of strings, got 7",
        ),
        (
            Location::Line(6),
            Some("id"),
            "duplicate id \"a\" (first at line 1)",
        ),
        (
            Location::Line(7),
            Some("messages[0].role"),
            "unknown role \"wizard\"",
        ),
        (Location::Line(7), Some("messages[1].content"), "missing"),
        (
            Location::Line(8),
            Some("target[0]"),
            "\"C\" names none of the 2 choices",
        ),
        (Location::Line(9), None, "expected a JSON object, got [1,2]"),
        (
            Location::Line(10),
            Some("tags[1]"),
            "expected a string, got 3",
        ),
    ];
    check_errors(source.check().expect_err("a broken file fails"), expected);
    check_errors(
        source.load_all().expect_err("a broken file fails"),
        expected,
    );

    let message = source.check().expect_err("fails").to_string();
    assert!(message.contains("11 bad sample record(s) in"), "{message}");
    assert!(message.contains("broken.jsonl"), "{message}");
    assert!(
        message.contains("line 4, field colour: unknown field"),
        "{message}"
    );
}

#[test]
fn streaming_yields_bad_records_in_place_and_goes_on() {
    let dir = TempDir::new();
    let path = dir.write("broken.jsonl", BROKEN);
    let items: Vec<Result<String, Vec<Location>>> = DatasetSource::new(&path, DatasetFormat::Jsonl)
        .samples()
        .expect("the file opens")
        .map(|item| match item {
            Ok(sample) => Ok(sample.id),
            Err(Error::BadSamples { errors, .. }) => {
                Err(errors.iter().map(|e| e.location).collect())
            }
            Err(other) => panic!("unexpected {other}"),
        })
        .collect();
    let line = Location::Line;
    assert_eq!(
        items,
        vec![
            Ok("a".to_owned()),
            Err(vec![line(2)]),
            Err(vec![line(3)]),
            Err(vec![line(4), line(4), line(4)]),
            Err(vec![line(6)]),
            Err(vec![line(7), line(7)]),
            Err(vec![line(8)]),
            Err(vec![line(9)]),
            Err(vec![line(10)]),
            Ok("f".to_owned()),
        ]
    );
}

#[test]
fn a_missing_file_names_its_path() {
    let err = DatasetSource::new("/nonexistent/x.jsonl", DatasetFormat::Jsonl)
        .check()
        .expect_err("no such file");
    assert!(matches!(err, Error::Io { .. }));
    assert!(
        err.to_string()
            .starts_with("cannot read /nonexistent/x.jsonl: "),
        "{err}"
    );
}

fn numbered(n: usize) -> String {
    (0..n)
        .map(|i| format!("{{\"id\": \"s{i}\", \"input\": \"question {i}\"}}\n"))
        .collect()
}

fn ids(source: &DatasetSource) -> Vec<String> {
    source
        .samples()
        .expect("opens")
        .map(|s| s.expect("a good sample").id)
        .collect()
}

fn selection(shuffle: bool, seed: u64, limit: Option<usize>, exclude: &[&str]) -> DatasetConfig {
    DatasetConfig {
        path: "d.jsonl".into(),
        format: DatasetFormat::Jsonl,
        limit,
        shuffle,
        seed,
        exclude: exclude.iter().map(|s| s.to_string()).collect(),
    }
}

#[test]
fn selections_shuffle_reproducibly_limit_and_exclude() {
    let dir = TempDir::new();
    let path = dir.write("d.jsonl", &numbered(20));
    let base = path.parent().expect("a folder");
    let source = |c: DatasetConfig| DatasetSource::from_config(&c, base);

    let plain = ids(&source(selection(false, 0, None, &[])));
    assert_eq!(plain, (0..20).map(|i| format!("s{i}")).collect::<Vec<_>>());

    let shuffled = ids(&source(selection(true, 42, None, &[])));
    assert_eq!(
        shuffled,
        ids(&source(selection(true, 42, None, &[]))),
        "same seed, same order"
    );
    assert_ne!(shuffled, plain);
    assert_ne!(shuffled, ids(&source(selection(true, 43, None, &[]))));
    let mut sorted = shuffled.clone();
    sorted.sort_by_key(|id| id[1..].parse::<u32>().expect("a number"));
    assert_eq!(sorted, plain, "a shuffle keeps every sample once");

    let limited = ids(&source(selection(true, 42, Some(5), &["s3"])));
    let expected: Vec<String> = shuffled
        .iter()
        .filter(|id| *id != "s3")
        .take(5)
        .cloned()
        .collect();
    assert_eq!(limited, expected);

    let check = source(selection(true, 42, Some(5), &["s3"]))
        .check()
        .expect("fine");
    assert_eq!((check.records, check.selected), (20, 5));
    let check = source(selection(false, 0, None, &["s3", "s4"]))
        .check()
        .expect("fine");
    assert_eq!((check.records, check.selected), (20, 18));
}

#[test]
fn excluding_an_id_the_file_lacks_is_an_error() {
    let dir = TempDir::new();
    let path = dir.write("d.jsonl", &numbered(3));
    let config = selection(false, 0, None, &["s1", "nope"]);
    let source = DatasetSource::from_config(&config, path.parent().expect("a folder"));
    check_errors(
        source.check().expect_err("unknown exclusion"),
        &[(
            Location::Document,
            Some("exclude"),
            "no sample has id \"nope\"",
        )],
    );
}

#[test]
fn json_array_sets_report_every_bad_record_by_index() {
    let dir = TempDir::new();
    let path = dir.write(
        "questions.json",
        r#"[
  {"question": "Fine?", "options": ["A. yes", "B. no"], "correct_options": ["A"], "topic": "t"},
  {"question": "", "options": ["A. one", "C. two"], "correct_options": ["Z"]},
  {"options": "A. only", "correct_options": ["A", "A"]},
  "not an object",
  {"question": "Dup?", "options": ["A. x", "B. y", "C. z"], "correct_options": ["B", "B"], "difficulty": 3}
]"#,
    );
    let err = DatasetSource::new(&path, DatasetFormat::CybersecevalMcq)
        .check()
        .expect_err("bad records");
    let i = Location::Index;
    check_errors(
        err,
        &[
            (i(1), Some("question"), "empty string"),
            (
                i(1),
                Some("options[1]"),
                "expected the label \"B. \", got \"C. two\"",
            ),
            (
                i(1),
                Some("correct_options[0]"),
                "\"Z\" names none of the 2 choices",
            ),
            (i(2), Some("question"), "missing"),
            (i(2), Some("options"), "expected an array of strings"),
            (i(3), None, "expected a JSON object"),
            (i(4), Some("correct_options[1]"), "\"B\" listed twice"),
            (i(4), Some("difficulty"), "expected a string, got 3"),
        ],
    );
}

#[test]
fn a_file_that_is_not_an_array_is_one_document_error() {
    let dir = TempDir::new();
    for (text, words) in [
        (r#"{"question": "x"}"#, "expected a JSON array of records"),
        ("[{", "invalid JSON"),
    ] {
        let path = dir.write("p.json", text);
        let err = DatasetSource::new(&path, DatasetFormat::CybersecevalPromptInjection)
            .check()
            .expect_err("not an array");
        check_errors(err, &[(Location::Document, None, words)]);
    }
}
