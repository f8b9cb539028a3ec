//! Model-graded scoring: the judge prompt from a rubric template, and the
//! judge's raw output read back into a grade.
//!
//! A grade is found with `grade_pattern` (capture group 1, or the whole
//! match), lower-cased, trimmed and looked up in `grades`. Output with no
//! grade, or a grade not in the table, scores incorrect and says why; the
//! raw output is always kept.

use std::collections::BTreeMap;

use regex::{Regex, RegexBuilder};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{JudgeCall, Score, ScoreValue, ScorerConfig};
use crate::error::{Error, Result};
use crate::sample::{ChatMessage, Sample};
use crate::template::Template;

/// The placeholders a rubric may use.
pub const RUBRIC_PLACEHOLDERS: [&str; 3] = ["question", "answer", "criterion"];

pub const DEFAULT_RUBRIC: &str = "You are grading an answer against a criterion.

[Question]
{question}

[Answer]
{answer}

[Criterion]
{criterion}

Does the answer meet the criterion? Reason in a few sentences, then end with a line \
'GRADE: C' if it does or 'GRADE: I' if it does not.";

pub const DEFAULT_GRADE_PATTERN: &str = r"(?i)GRADE\s*:\s*([A-Z]+)";

/// The judge model a suite names; the runner resolves it (and its
/// credentials) from its own configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JudgeRef {
    pub model: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
}

/// Which grade counts when the judge writes several.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GradeMatch {
    First,
    Last,
}

#[derive(Debug, Clone)]
pub(super) struct ModelGraded {
    judge: Option<JudgeRef>,
    rubric: Template,
    pattern: Regex,
    grades: BTreeMap<String, ScoreValue>,
    take: GradeMatch,
}

impl ModelGraded {
    pub(super) fn new(config: &ScorerConfig) -> Result<ModelGraded> {
        let rubric = Template::parse(
            "rubric",
            config.rubric.as_deref().unwrap_or(DEFAULT_RUBRIC),
            &RUBRIC_PLACEHOLDERS,
        )?;
        let source = config
            .grade_pattern
            .as_deref()
            .unwrap_or(DEFAULT_GRADE_PATTERN);
        let pattern = RegexBuilder::new(source)
            .build()
            .map_err(|e| Error::Pattern {
                key: "grade_pattern",
                pattern: source.to_owned(),
                source: Box::new(e),
            })?;
        let grades = match &config.grades {
            Some(grades) => grades
                .iter()
                .map(|(k, v)| (k.trim().to_lowercase(), *v))
                .collect(),
            None => BTreeMap::from([
                ("c".to_owned(), ScoreValue::Correct),
                ("p".to_owned(), ScoreValue::Number(0.5)),
                ("i".to_owned(), ScoreValue::Incorrect),
            ]),
        };
        Ok(ModelGraded {
            judge: config.judge.clone(),
            rubric,
            pattern,
            grades,
            take: config.grade_match.unwrap_or(GradeMatch::Last),
        })
    }

    pub(super) fn call(&self, sample: &Sample, answer: &str) -> JudgeCall {
        let prompt = build_prompt(&self.rubric, sample, answer);
        JudgeCall {
            judge: self.judge.clone(),
            messages: vec![ChatMessage::user(prompt)],
            answer: answer.to_owned(),
        }
    }

    pub(super) fn grade(&self, call: &JudgeCall, raw: &str) -> Score {
        let found = parse_grade(&self.pattern, self.take, raw);
        let mut metadata = serde_json::Map::new();
        metadata.insert("grade".into(), json!(found));
        let (value, explanation) = match &found {
            None => (
                ScoreValue::Incorrect,
                format!(
                    "no grade matching {:?} in the judge's output",
                    self.pattern.as_str()
                ),
            ),
            Some(grade) => match self.grades.get(grade) {
                Some(value) => (*value, format!("judge graded {grade:?}: {}", raw.trim())),
                None => (
                    ScoreValue::Incorrect,
                    format!(
                        "judge grade {grade:?} is not one of {}",
                        self.grades
                            .keys()
                            .map(|k| format!("{k:?}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ),
            },
        };
        Score {
            value,
            answer: Some(call.answer.clone()),
            explanation,
            judge_raw: Some(raw.to_owned()),
            metadata,
        }
    }
}

/// The judge prompt: `rubric` with the sample's input as `{question}`,
/// `answer` and the sample's target as `{criterion}`.
pub fn build_prompt(rubric: &Template, sample: &Sample, answer: &str) -> String {
    rubric.render(|name| match name {
        "question" => sample.input_text(),
        "answer" => answer.to_owned(),
        "criterion" => sample.target.text(),
        _ => String::new(),
    })
}

/// The grade in `raw`: capture group 1 of `pattern` (or the whole match) of
/// the first or last match, lower-cased and trimmed.
pub fn parse_grade(pattern: &Regex, take: GradeMatch, raw: &str) -> Option<String> {
    let mut matches = pattern.captures_iter(raw);
    let found = match take {
        GradeMatch::First => matches.next(),
        GradeMatch::Last => matches.last(),
    }?;
    let text = found.get(1).or_else(|| found.get(0))?.as_str();
    Some(text.trim().to_lowercase())
}
