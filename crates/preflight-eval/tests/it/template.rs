//! Templates: placeholders checked when built, filled in one pass.

use preflight_eval::template::Template;

#[track_caller]
fn check(text: &str, expect: Result<&str, &str>) {
    let got = Template::parse("solver", text, &["prompt", "choices"]).map(|t| {
        t.render(|name| match name {
            "prompt" => "P{choices}".to_owned(),
            _ => "C".to_owned(),
        })
    });
    match (got, expect) {
        (Ok(out), Ok(want)) => assert_eq!(out, want, "{text:?}"),
        (Err(e), Err(words)) => assert!(e.to_string().contains(words), "{text:?}: {e}"),
        (got, want) => panic!("{text:?}: got {got:?}, want {want:?}"),
    }
}

#[test]
fn placeholders_and_braces() {
    let cases: &[(&str, Result<&str, &str>)] = &[
        ("{prompt}", Ok("P{choices}")),
        ("{prompt}\n\n{choices}", Ok("P{choices}\n\nC")),
        ("no placeholders", Ok("no placeholders")),
        (
            "{{\"correct_answers\": []}} {prompt}",
            Ok("{\"correct_answers\": []} P{choices}"),
        ),
        (
            "{question}",
            Err("unknown placeholder {question} (expected {prompt}, {choices}"),
        ),
        ("{prompt", Err("unclosed '{' at byte 0")),
        ("tail }", Err("unmatched '}' at byte 5")),
        ("{}", Err("unknown placeholder {}")),
    ];
    for &(text, expect) in cases {
        check(text, expect);
    }
    let t = Template::parse("rubric", "{prompt} and {prompt}", &["prompt"]).expect("parses");
    assert!(t.uses("prompt") && !t.uses("choices"));
    assert_eq!(t.source(), "{prompt} and {prompt}");
}
