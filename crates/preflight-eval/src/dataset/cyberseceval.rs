//! Importers for Meta's CyberSecEval datasets (PurpleLlama,
//! `CybersecurityBenchmarks/datasets`, MIT), each a JSON array of records.
//! Sample ids are the records' positions in the array, as upstream's
//! `prompt_id`. How upstream prompts and scores each set, and what we keep:
//!
//! - `crwd_meta/malware_analysis/questions.json`: multiple choice with one or
//!   more correct options. Upstream puts a Hybrid Analysis detonation report
//!   (not part of the dataset) before the question and scores the letters it
//!   parses from the answer against `correct_options` (correct when the
//!   Jaccard similarity is 1). Options lose their `A. ` labels, which the
//!   solver writes again (after shuffling, when asked); `correct_options`
//!   become the target letters; topic, difficulty and attack become tags.
//! - `prompt_injection/prompt_injection.json`: `test_case_prompt` is the
//!   system message, `user_input` the user message; a judge answers
//!   `judge_question` about the response, "yes" meaning the injection worked.
//!   The judge question is the target (the rubric's `{criterion}`).
//! - `mitre_frr/mitre_frr.json`: benign prompts (`is_malicious` false) that
//!   sound offensive; upstream counts refusals with a phrase check.
//! - `interpreter/interpreter.json`: prompts asking for code that abuses a
//!   code interpreter; a judge classifies the response as extremely
//!   malicious, potentially malicious or non-malicious.
//!
//! Fields an importer does not use stay in the sample's metadata.

use serde_json::{Map, Value};

use super::record::{Record, check_choice_targets, letter};
use crate::error::{BadSample, Location, show};
use crate::sample::{ChatMessage, Input, Sample, Target};

/// One `crwd_meta/malware_analysis` question.
pub fn malware_analysis(index: usize, value: &Value) -> Result<Sample, Vec<BadSample>> {
    const USED: [&str; 3] = ["question", "options", "correct_options"];
    const TAGGED: [&str; 3] = ["topic", "difficulty", "attack"];
    let mut r = Record::new(Location::Index(index), value)?;
    let question = r.string("question");
    let options = r.strings("options", true);
    let choices = options.as_ref().and_then(|options| {
        let mut ok = true;
        let mut choices = Vec::with_capacity(options.len());
        for (i, option) in options.iter().enumerate() {
            match strip_label(i, option) {
                Ok(text) => choices.push(text),
                Err(problem) => {
                    r.fail(format!("options[{i}]"), problem);
                    ok = false;
                }
            }
        }
        if options.len() < 2 || options.len() > 26 {
            r.fail(
                "options",
                format!("{} options (expected 2 to 26)", options.len()),
            );
            ok = false;
        }
        ok.then_some(choices)
    });
    // An empty list is kept: one upstream record has no correct option, and
    // the choice scorer says so when it meets it.
    let correct = r.strings("correct_options", true);
    if let (Some(options), Some(correct)) = (&options, &correct) {
        check_choice_targets(&mut r, "correct_options", options, correct);
        for (i, c) in correct.iter().enumerate() {
            if correct[..i].contains(c) {
                r.fail(
                    format!("correct_options[{i}]"),
                    format!("{c:?} listed twice"),
                );
            }
        }
    }
    let tags = tags(&mut r, &TAGGED);
    let metadata = rest(&r, &USED);
    let sample = match (question, choices, correct) {
        (Some(question), Some(choices), Some(correct)) => Some(Sample {
            id: index.to_string(),
            input: Input::Prompt(question),
            choices,
            target: Target::many(correct),
            metadata,
            tags,
        }),
        _ => None,
    };
    r.finish(sample)
}

/// `A. text` at position 0 → `text`.
fn strip_label(position: usize, option: &str) -> Result<String, String> {
    let expected = letter(position).ok_or_else(|| "more than 26 options".to_owned())?;
    let mut chars = option.chars();
    match (chars.next(), chars.next()) {
        (Some(l), Some('.')) if l == expected => {
            let text = chars.as_str().trim();
            if text.is_empty() {
                Err(format!("no text after the label in {option:?}"))
            } else {
                Ok(text.to_owned())
            }
        }
        _ => Err(format!(
            "expected the label \"{expected}. \", got {option:?}"
        )),
    }
}

/// One `prompt_injection` test case.
pub fn prompt_injection(index: usize, value: &Value) -> Result<Sample, Vec<BadSample>> {
    const USED: [&str; 4] = [
        "prompt_id",
        "test_case_prompt",
        "user_input",
        "judge_question",
    ];
    const TAGGED: [&str; 4] = [
        "injection_variant",
        "injection_type",
        "risk_category",
        "speaking_language",
    ];
    let mut r = Record::new(Location::Index(index), value)?;
    let id = match r.get("prompt_id") {
        Some(Value::Number(n)) if n.as_u64().is_some() => Some(n.to_string()),
        Some(other) => {
            r.fail(
                "prompt_id",
                format!("expected a non-negative integer, got {}", show(other)),
            );
            None
        }
        None => {
            r.fail("prompt_id", "missing (expected a non-negative integer)");
            None
        }
    };
    let system = r.string("test_case_prompt");
    let user = r.string("user_input");
    let question = r.string("judge_question");
    let tags = tags(&mut r, &TAGGED);
    let metadata = rest(&r, &USED);
    let sample = match (id, system, user, question) {
        (Some(id), Some(system), Some(user), Some(question)) => Some(Sample {
            id,
            input: Input::Messages(vec![ChatMessage::system(system), ChatMessage::user(user)]),
            choices: Vec::new(),
            target: Target::one(question),
            metadata,
            tags,
        }),
        _ => None,
    };
    r.finish(sample)
}

/// One `mitre_frr` prompt.
pub fn mitre_frr(index: usize, value: &Value) -> Result<Sample, Vec<BadSample>> {
    const USED: [&str; 1] = ["mutated_prompt"];
    let mut r = Record::new(Location::Index(index), value)?;
    let prompt = r.string("mutated_prompt");
    // Kept in metadata, but checked: the set is meant to be benign.
    let benign = r.boolean("is_malicious").map(|m| !m);
    if benign == Some(false) {
        r.fail(
            "is_malicious",
            "true in a false-refusal set (expected false)",
        );
    }
    let tags = tags(&mut r, &["attack_type"]);
    let metadata = rest(&r, &USED);
    let sample = prompt.map(|prompt| Sample {
        id: index.to_string(),
        input: Input::Prompt(prompt),
        choices: Vec::new(),
        target: Target::none(),
        metadata,
        tags,
    });
    r.finish(sample)
}

/// One `interpreter` prompt.
pub fn interpreter(index: usize, value: &Value) -> Result<Sample, Vec<BadSample>> {
    const USED: [&str; 1] = ["mutated_prompt"];
    let mut r = Record::new(Location::Index(index), value)?;
    let prompt = r.string("mutated_prompt");
    let attack_types = r.strings("attack_type", true);
    let metadata = rest(&r, &USED);
    let sample = match (prompt, attack_types) {
        (Some(prompt), Some(attack_types)) => Some(Sample {
            id: index.to_string(),
            input: Input::Prompt(prompt),
            choices: Vec::new(),
            target: Target::none(),
            metadata,
            tags: attack_types
                .iter()
                .map(|a| format!("attack_type:{a}"))
                .collect(),
        }),
        _ => None,
    };
    r.finish(sample)
}

/// `key:value` tags from optional string fields.
fn tags(r: &mut Record<'_>, keys: &[&str]) -> Vec<String> {
    keys.iter()
        .filter_map(|key| r.opt_string(key).map(|value| format!("{key}:{value}")))
        .collect()
}

/// Every field but `used`, as metadata.
fn rest(r: &Record<'_>, used: &[&str]) -> Map<String, Value> {
    r.others(used)
        .into_iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}
