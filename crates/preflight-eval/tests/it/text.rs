//! Exact, includes and regex scorers with their normalisation options.

use preflight_eval::scorer::ScorerConfig;
use preflight_eval::{
    Error, GeneratePlan, ModelOutput, PostProcess, ScoreValue, Scorer, ScorerKind, Scoring,
};

use crate::fixtures::text_sample;

struct Case {
    kind: ScorerKind,
    ignore_case: Option<bool>,
    ignore_punctuation: Option<bool>,
    pattern: Option<&'static str>,
    target: &'static [&'static str],
    completion: &'static str,
    correct: bool,
}

const fn case(
    kind: ScorerKind,
    target: &'static [&'static str],
    completion: &'static str,
    correct: bool,
) -> Case {
    Case {
        kind,
        ignore_case: None,
        ignore_punctuation: None,
        pattern: None,
        target,
        completion,
        correct,
    }
}

#[test]
fn matching_scorers_normalise_as_configured() {
    use ScorerKind::{Exact, Includes, Regex};
    let cases = [
        case(Exact, &["Port 22"], "port 22", true),
        case(Exact, &["Port 22"], "  Port\n 22  ", true),
        case(Exact, &["Port 22"], "Port 22.", false),
        Case {
            ignore_punctuation: Some(true),
            ..case(Exact, &["Port 22"], "Port 22.", true)
        },
        Case {
            ignore_case: Some(false),
            ..case(Exact, &["Port 22"], "port 22", false)
        },
        case(Exact, &["22", "twenty-two"], "Twenty-Two", true),
        case(
            Includes,
            &["CVE-2021-44228"],
            "This is cve-2021-44228 (Log4Shell).",
            true,
        ),
        Case {
            ignore_case: Some(false),
            ..case(Includes, &["CVE-2021-44228"], "cve-2021-44228", false)
        },
        case(Includes, &["flag{abc}"], "no flag here", false),
        Case {
            pattern: Some(r"flag\{[a-z]+\}"),
            ..case(Regex, &[], "found FLAG{abc}!", true)
        },
        Case {
            pattern: Some(r"flag\{[a-z]+\}"),
            ignore_case: Some(false),
            ..case(Regex, &[], "found FLAG{abc}!", false)
        },
        Case {
            pattern: Some(r"port (\d+)"),
            ..case(Regex, &["22"], "It uses port 22.", true)
        },
        Case {
            pattern: Some(r"port (\d+)"),
            ..case(Regex, &["22"], "It uses port 2222.", false)
        },
        Case {
            pattern: Some(r"port (\d+)"),
            ..case(Regex, &["22"], "No ports at all.", false)
        },
    ];
    let plan = GeneratePlan {
        messages: Vec::new(),
        post: PostProcess::Completion,
    };
    for c in cases {
        let mut config = ScorerConfig::new(c.kind);
        config.ignore_case = c.ignore_case;
        config.ignore_punctuation = c.ignore_punctuation;
        config.pattern = c.pattern.map(str::to_owned);
        let scorer = Scorer::from_config(&config).expect("builds");
        let sample = text_sample("q", c.target);
        let Scoring::Done(score) = scorer
            .score(&sample, &plan, &ModelOutput::text(c.completion))
            .expect("scores")
        else {
            panic!("no judge");
        };
        assert_eq!(
            score.value,
            ScoreValue::from_bool(c.correct),
            "{:?} {:?} on {:?}: {}",
            c.kind,
            c.target,
            c.completion,
            score.explanation
        );
    }
}

#[test]
fn matching_needs_a_target_and_regex_a_pattern() {
    let plan = GeneratePlan {
        messages: Vec::new(),
        post: PostProcess::Completion,
    };
    let scorer = Scorer::from_config(&ScorerConfig::new(ScorerKind::Includes)).expect("builds");
    let err = scorer
        .score(&text_sample("q", &[]), &plan, &ModelOutput::text("x"))
        .expect_err("no target");
    assert_eq!(
        err.to_string(),
        "sample \"s\": the includes scorer needs a target"
    );
    let err = Scorer::from_config(&ScorerConfig::new(ScorerKind::Regex)).expect_err("no pattern");
    assert!(
        matches!(
            err,
            Error::MissingKey {
                kind: "regex",
                key: "pattern"
            }
        ),
        "{err}"
    );
}
