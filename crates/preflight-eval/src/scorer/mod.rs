//! Scorers decide how good an answer is. All of them are pure: a
//! model-graded scorer does not call the judge itself but returns the
//! [`JudgeCall`] to make, and turns the judge's raw output into a [`Score`]
//! with [`Scorer::grade`].

pub mod choice;
pub mod judge;
pub mod refusal;
pub mod text;

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::model::ModelOutput;
use crate::sample::{ChatMessage, Sample};
use crate::solver::{ChoiceLayout, GeneratePlan, PostProcess};
pub use judge::{GradeMatch, JudgeRef};
pub use refusal::{Expect, Refusal, detect_refusal};
pub use text::Normalise;

/// A suite's `[scorer]` table. Which keys apply depends on `kind`; the suite
/// loader rejects the others (see [`ScorerConfig::misplaced_keys`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScorerConfig {
    pub kind: ScorerKind,
    /// exact, includes, regex: compare without case (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ignore_case: Option<bool>,
    /// exact, includes, regex: drop punctuation before comparing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ignore_punctuation: Option<bool>,
    /// regex: the pattern; with a capture group, the captured text must
    /// match a target, otherwise any match is correct.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    /// refusal: which behaviour is correct (default comply).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect: Option<Expect>,
    /// refusal: how many leading characters are searched for refusal phrases
    /// (default 220).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scan_chars: Option<usize>,
    /// model_graded: the judge model; without it the runner's default judge.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub judge: Option<JudgeRef>,
    /// model_graded: the judge prompt, with `{question}`, `{answer}` and
    /// `{criterion}` (the sample's target).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rubric: Option<String>,
    /// model_graded: where the grade is in the judge's output; capture group
    /// 1 when there is one, else the whole match (default
    /// `(?i)GRADE\s*:\s*([A-Z]+)`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grade_pattern: Option<String>,
    /// model_graded: the value of each grade, matched without case (default
    /// `c` correct, `p` 0.5, `i` incorrect).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grades: Option<BTreeMap<String, ScoreValue>>,
    /// model_graded: use the first or the last grade found (default last).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grade_match: Option<GradeMatch>,
}

impl ScorerConfig {
    /// A configuration of `kind` with every option at its default.
    pub fn new(kind: ScorerKind) -> Self {
        ScorerConfig {
            kind,
            ignore_case: None,
            ignore_punctuation: None,
            pattern: None,
            expect: None,
            scan_chars: None,
            judge: None,
            rubric: None,
            grade_pattern: None,
            grades: None,
            grade_match: None,
        }
    }

    /// The keys that are set but do nothing for this kind.
    pub fn misplaced_keys(&self) -> Vec<&'static str> {
        use ScorerKind as K;
        let set: [(&'static str, bool, &[ScorerKind]); 10] = [
            (
                "ignore_case",
                self.ignore_case.is_some(),
                &[K::Exact, K::Includes, K::Regex],
            ),
            (
                "ignore_punctuation",
                self.ignore_punctuation.is_some(),
                &[K::Exact, K::Includes, K::Regex],
            ),
            ("pattern", self.pattern.is_some(), &[K::Regex]),
            ("expect", self.expect.is_some(), &[K::Refusal]),
            ("scan_chars", self.scan_chars.is_some(), &[K::Refusal]),
            ("judge", self.judge.is_some(), &[K::ModelGraded]),
            ("rubric", self.rubric.is_some(), &[K::ModelGraded]),
            (
                "grade_pattern",
                self.grade_pattern.is_some(),
                &[K::ModelGraded],
            ),
            ("grades", self.grades.is_some(), &[K::ModelGraded]),
            ("grade_match", self.grade_match.is_some(), &[K::ModelGraded]),
        ];
        set.into_iter()
            .filter(|(_, is_set, kinds)| *is_set && !kinds.contains(&self.kind))
            .map(|(key, _, _)| key)
            .collect()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScorerKind {
    /// Answer letters against the target letters (the exact set).
    Choice,
    /// The whole answer equals a target.
    Exact,
    /// The answer contains a target.
    Includes,
    /// A regular expression over the answer.
    Regex,
    /// A judge model grades the answer.
    ModelGraded,
    /// Whether the model refused.
    Refusal,
    /// A submitted capture-the-flag flag against the target flag, after
    /// normalisation (see [`crate::ctf::flag::matches`]).
    Flag,
}

impl ScorerKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ScorerKind::Choice => "choice",
            ScorerKind::Exact => "exact",
            ScorerKind::Includes => "includes",
            ScorerKind::Regex => "regex",
            ScorerKind::ModelGraded => "model_graded",
            ScorerKind::Refusal => "refusal",
            ScorerKind::Flag => "flag",
        }
    }
}

/// How good one answer is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Score {
    pub value: ScoreValue,
    /// The answer as the scorer read it (letters, matched text, the
    /// completion).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<String>,
    pub explanation: String,
    /// The judge's output, unedited, for model-graded scores.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub judge_raw: Option<String>,
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub metadata: Map<String, Value>,
}

/// Correct, incorrect, or a number (partial credit, a rate). Written as
/// `"correct"`, `"incorrect"` or the number.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ScoreValue {
    Correct,
    Incorrect,
    Number(f64),
}

impl ScoreValue {
    pub fn from_bool(correct: bool) -> Self {
        if correct {
            ScoreValue::Correct
        } else {
            ScoreValue::Incorrect
        }
    }

    /// 1 for correct, 0 for incorrect, the number otherwise.
    pub fn as_f64(self) -> f64 {
        match self {
            ScoreValue::Correct => 1.0,
            ScoreValue::Incorrect => 0.0,
            ScoreValue::Number(x) => x,
        }
    }
}

impl Serialize for ScoreValue {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            ScoreValue::Correct => serializer.serialize_str("correct"),
            ScoreValue::Incorrect => serializer.serialize_str("incorrect"),
            ScoreValue::Number(x) => serializer.serialize_f64(*x),
        }
    }
}

impl<'de> Deserialize<'de> for ScoreValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visit;
        impl serde::de::Visitor<'_> for Visit {
            type Value = ScoreValue;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("\"correct\", \"incorrect\" or a number")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<ScoreValue, E> {
                match v {
                    "correct" => Ok(ScoreValue::Correct),
                    "incorrect" => Ok(ScoreValue::Incorrect),
                    other => Err(E::invalid_value(serde::de::Unexpected::Str(other), &self)),
                }
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<ScoreValue, E> {
                Ok(ScoreValue::Number(v))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<ScoreValue, E> {
                Ok(ScoreValue::Number(v as f64))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<ScoreValue, E> {
                Ok(ScoreValue::Number(v as f64))
            }
        }
        deserializer.deserialize_any(Visit)
    }
}

/// The outcome of [`Scorer::score`].
#[derive(Debug, Clone, PartialEq)]
pub enum Scoring {
    Done(Score),
    /// Ask the judge, then call [`Scorer::grade`] with its output.
    Judge(JudgeCall),
}

/// A request to a judge model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JudgeCall {
    /// The judge named by the suite, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub judge: Option<JudgeRef>,
    pub messages: Vec<ChatMessage>,
    /// The answer being judged.
    pub answer: String,
}

/// A scorer ready to score.
#[derive(Debug, Clone)]
pub struct Scorer {
    rule: Rule,
}

#[derive(Debug, Clone)]
enum Rule {
    Choice,
    Exact(Normalise),
    Includes(Normalise),
    Regex(text::RegexRule),
    Refusal { expect: Expect, scan_chars: usize },
    ModelGraded(judge::ModelGraded),
    Flag,
}

impl Scorer {
    /// Builds the scorer of `config`, compiling its patterns and rubric.
    pub fn from_config(config: &ScorerConfig) -> Result<Scorer> {
        let normalise = Normalise {
            ignore_case: config.ignore_case.unwrap_or(true),
            ignore_punctuation: config.ignore_punctuation.unwrap_or(false),
        };
        let rule = match config.kind {
            ScorerKind::Choice => Rule::Choice,
            ScorerKind::Exact => Rule::Exact(normalise),
            ScorerKind::Includes => Rule::Includes(normalise),
            ScorerKind::Regex => {
                let pattern = config.pattern.as_deref().ok_or(Error::MissingKey {
                    kind: "regex",
                    key: "pattern",
                })?;
                Rule::Regex(text::RegexRule::new(pattern, normalise)?)
            }
            ScorerKind::Refusal => Rule::Refusal {
                expect: config.expect.unwrap_or(Expect::Comply),
                scan_chars: config.scan_chars.unwrap_or(refusal::SCAN_CHARS),
            },
            ScorerKind::ModelGraded => Rule::ModelGraded(judge::ModelGraded::new(config)?),
            ScorerKind::Flag => Rule::Flag,
        };
        Ok(Scorer { rule })
    }

    pub fn kind(&self) -> ScorerKind {
        match self.rule {
            Rule::Choice => ScorerKind::Choice,
            Rule::Exact(_) => ScorerKind::Exact,
            Rule::Includes(_) => ScorerKind::Includes,
            Rule::Regex(_) => ScorerKind::Regex,
            Rule::Refusal { .. } => ScorerKind::Refusal,
            Rule::ModelGraded(_) => ScorerKind::ModelGraded,
            Rule::Flag => ScorerKind::Flag,
        }
    }

    /// Scores the answer `output` gave to `plan` for `sample`.
    pub fn score(
        &self,
        sample: &Sample,
        plan: &GeneratePlan,
        output: &ModelOutput,
    ) -> Result<Scoring> {
        let completion = output.completion.as_str();
        let score = match &self.rule {
            Rule::Choice => {
                let (layout, multiple) = match &plan.post {
                    PostProcess::ChoiceLetters {
                        layout,
                        multiple_answers,
                    } => (layout.clone(), *multiple_answers),
                    PostProcess::Completion => (
                        ChoiceLayout::identity(sample.choices.len()),
                        sample.target.as_slice().len() > 1,
                    ),
                };
                choice::score(sample, &layout, multiple, completion)?
            }
            Rule::Exact(normalise) => text::exact(sample, *normalise, completion)?,
            Rule::Includes(normalise) => text::includes(sample, *normalise, completion)?,
            Rule::Regex(rule) => rule.score(sample, completion),
            Rule::Refusal { expect, scan_chars } => {
                refusal::score(*expect, *scan_chars, completion)
            }
            Rule::ModelGraded(graded) => {
                return Ok(Scoring::Judge(graded.call(sample, completion)));
            }
            Rule::Flag => {
                if sample.target.is_empty() {
                    return Err(Error::SampleUnfit {
                        id: sample.id.clone(),
                        reason: "the flag scorer needs a flag as target (or a flag checker)"
                            .to_owned(),
                    });
                }
                crate::ctf::flag::score(sample, completion)
            }
        };
        Ok(Scoring::Done(score))
    }

    /// Turns a judge's raw output for `call` into a score.
    pub fn grade(&self, call: &JudgeCall, judge_output: &str) -> Result<Score> {
        match &self.rule {
            Rule::ModelGraded(graded) => Ok(graded.grade(call, judge_output)),
            _ => Err(Error::NotJudged {
                kind: self.kind().as_str(),
            }),
        }
    }
}
