//! Matching scorers: exact, includes and regex, over normalised text.

use regex::{Regex, RegexBuilder};

use super::{Score, ScoreValue};
use crate::error::{Error, Result};
use crate::sample::Sample;

/// How text is compared. Whitespace is always trimmed and runs of it
/// collapsed to one space.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Normalise {
    pub ignore_case: bool,
    /// Drops every character that is neither alphanumeric nor whitespace.
    pub ignore_punctuation: bool,
}

impl Normalise {
    pub fn apply(&self, text: &str) -> String {
        let text = if self.ignore_case {
            text.to_lowercase()
        } else {
            text.to_owned()
        };
        let text: String = if self.ignore_punctuation {
            text.chars()
                .filter(|c| c.is_alphanumeric() || c.is_whitespace())
                .collect()
        } else {
            text
        };
        text.split_whitespace().collect::<Vec<_>>().join(" ")
    }
}

fn targets<'a>(sample: &'a Sample, kind: &str) -> Result<&'a [String]> {
    let targets = sample.target.as_slice();
    if targets.is_empty() {
        return Err(Error::SampleUnfit {
            id: sample.id.clone(),
            reason: format!("the {kind} scorer needs a target"),
        });
    }
    Ok(targets)
}

fn score(correct: bool, answer: &str, explanation: String) -> Score {
    Score {
        value: ScoreValue::from_bool(correct),
        answer: Some(answer.to_owned()),
        explanation,
        judge_raw: None,
        metadata: serde_json::Map::new(),
    }
}

/// Correct when the whole completion equals one of the targets.
pub fn exact(sample: &Sample, normalise: Normalise, completion: &str) -> Result<Score> {
    let answer = normalise.apply(completion);
    let hit = targets(sample, "exact")?
        .iter()
        .find(|t| normalise.apply(t) == answer);
    let explanation = match hit {
        Some(t) => format!("answer equals target {t:?}"),
        None => format!("answer {answer:?} equals no target"),
    };
    Ok(score(hit.is_some(), completion.trim(), explanation))
}

/// Correct when the completion contains one of the targets.
pub fn includes(sample: &Sample, normalise: Normalise, completion: &str) -> Result<Score> {
    let answer = normalise.apply(completion);
    let hit = targets(sample, "includes")?
        .iter()
        .find(|t| answer.contains(&normalise.apply(t)));
    let explanation = match hit {
        Some(t) => format!("answer contains target {t:?}"),
        None => "answer contains no target".to_owned(),
    };
    Ok(score(hit.is_some(), completion.trim(), explanation))
}

/// A compiled regex scorer.
#[derive(Debug, Clone)]
pub struct RegexRule {
    regex: Regex,
    normalise: Normalise,
}

impl RegexRule {
    pub fn new(pattern: &str, normalise: Normalise) -> Result<RegexRule> {
        let regex = RegexBuilder::new(pattern)
            .case_insensitive(normalise.ignore_case)
            .build()
            .map_err(|e| Error::Pattern {
                key: "pattern",
                pattern: pattern.to_owned(),
                source: Box::new(e),
            })?;
        Ok(RegexRule { regex, normalise })
    }

    /// With a capture group and a target, the first match's group 1 must
    /// equal a target (normalised); otherwise any match is correct.
    pub fn score(&self, sample: &Sample, completion: &str) -> Score {
        let Some(found) = self.regex.captures(completion) else {
            return Score {
                value: ScoreValue::Incorrect,
                answer: None,
                explanation: format!("pattern {:?} does not match", self.regex.as_str()),
                judge_raw: None,
                metadata: serde_json::Map::new(),
            };
        };
        let targets = sample.target.as_slice();
        match found.get(1) {
            Some(group) if !targets.is_empty() => {
                let answer = self.normalise.apply(group.as_str());
                let hit = targets.iter().find(|t| self.normalise.apply(t) == answer);
                let explanation = match hit {
                    Some(t) => format!("captured {:?}, target {t:?}", group.as_str()),
                    None => format!("captured {:?}, which is no target", group.as_str()),
                };
                score(hit.is_some(), group.as_str(), explanation)
            }
            _ => {
                let whole = found.get(0).map_or("", |m| m.as_str());
                score(true, whole, format!("pattern matches {whole:?}"))
            }
        }
    }
}
