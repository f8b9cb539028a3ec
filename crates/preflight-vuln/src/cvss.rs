//! CVSS scores: a vector string, parsed and scored by the RustSec `cvss`
//! crate, kept with the scores it computes.

use crate::VulnError;
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum CvssVersion {
    #[serde(rename = "2.0")]
    V2,
    #[serde(rename = "3.0")]
    V30,
    #[serde(rename = "3.1")]
    V31,
    #[serde(rename = "4.0")]
    V40,
}

impl CvssVersion {
    pub fn as_str(self) -> &'static str {
        match self {
            CvssVersion::V2 => "2.0",
            CvssVersion::V30 => "3.0",
            CvssVersion::V31 => "3.1",
            CvssVersion::V40 => "4.0",
        }
    }
}

impl fmt::Display for CvssVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Qualitative severity (CVSS v3.x / v4.0 rating scale).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Severity {
    None,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::None => "NONE",
            Severity::Low => "LOW",
            Severity::Medium => "MEDIUM",
            Severity::High => "HIGH",
            Severity::Critical => "CRITICAL",
        }
    }

    /// The rating of a v3.x / v4.0 score.
    pub fn of_score(score: f64) -> Severity {
        if score < 0.1 {
            Severity::None
        } else if score < 4.0 {
            Severity::Low
        } else if score < 7.0 {
            Severity::Medium
        } else if score < 9.0 {
            Severity::High
        } else {
            Severity::Critical
        }
    }

    /// The CVSS v2 rating (NVD's scale: low < 4.0 <= medium < 7.0 <= high).
    pub fn of_v2_score(score: f64) -> Severity {
        if score < 4.0 {
            Severity::Low
        } else if score < 7.0 {
            Severity::Medium
        } else {
            Severity::High
        }
    }
}

/// A parsed, scored CVSS vector. Exists only for a vector the `cvss` crate
/// accepts; the scores are computed, never copied from the input.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawCvss", into = "RawCvss")]
pub struct Cvss {
    version: CvssVersion,
    vector: String,
    base: f64,
    /// v2/v3 temporal score; for v4.0 the score of the whole vector.
    temporal: Option<f64>,
    environmental: Option<f64>,
    severity: Severity,
}

#[derive(Serialize, Deserialize)]
struct RawCvss {
    vector: String,
    #[serde(default, skip_deserializing)]
    version: Option<CvssVersion>,
    #[serde(default, skip_deserializing)]
    base_score: Option<f64>,
    #[serde(default, skip_deserializing)]
    severity: Option<Severity>,
}

impl TryFrom<RawCvss> for Cvss {
    type Error = VulnError;
    fn try_from(raw: RawCvss) -> Result<Self, VulnError> {
        Cvss::parse(&raw.vector)
    }
}

impl From<Cvss> for RawCvss {
    fn from(c: Cvss) -> Self {
        RawCvss {
            version: Some(c.version),
            base_score: Some(c.base),
            severity: Some(c.severity),
            vector: c.vector,
        }
    }
}

impl Cvss {
    /// Parses and scores `CVSS:4.0/...`, `CVSS:3.1/...`, `CVSS:3.0/...` or a
    /// bare CVSS v2 vector (`AV:N/AC:L/Au:N/C:P/I:P/A:P`, also accepted
    /// wrapped in parentheses or with a `CVSS:2.0/` prefix).
    pub fn parse(vector: &str) -> Result<Self, VulnError> {
        let vector = vector.trim();
        let bad = |e: cvss::Error| VulnError::value("cvss vector", vector, e.to_string());
        require_base_metrics(vector)?;
        if vector.starts_with("CVSS:4.0/") {
            let v: cvss::v4::Vector = vector.parse().map_err(bad)?;
            let score = v.score().value();
            return Ok(Cvss {
                version: CvssVersion::V40,
                vector: vector.to_owned(),
                base: score,
                temporal: None,
                environmental: None,
                severity: Severity::of_score(score),
            });
        }
        if vector.starts_with("CVSS:3.") {
            let v: cvss::v3::Vector = vector.parse().map_err(bad)?;
            let version = match v.minor_version {
                0 => CvssVersion::V30,
                1 => CvssVersion::V31,
                n => {
                    return Err(VulnError::value(
                        "cvss vector",
                        vector,
                        format!("unknown CVSS version 3.{n}"),
                    ));
                }
            };
            let base = v.base_score().value();
            return Ok(Cvss {
                version,
                vector: vector.to_owned(),
                base,
                temporal: Some(v.temporal_score().value()),
                environmental: Some(v.environmental_score().value()),
                severity: Severity::of_score(base),
            });
        }
        let bare = vector
            .strip_prefix("CVSS:2.0/")
            .or_else(|| vector.strip_prefix('(').and_then(|s| s.strip_suffix(')')))
            .unwrap_or(vector);
        if bare.starts_with("AV:") && bare.contains("Au:") {
            let v: cvss::v2::Vector = bare.parse().map_err(bad)?;
            let base = v.score().value();
            return Ok(Cvss {
                version: CvssVersion::V2,
                vector: bare.to_owned(),
                base,
                temporal: Some(v.temporal_score().value()),
                environmental: Some(v.environmental_score().value()),
                severity: Severity::of_v2_score(base),
            });
        }
        Err(VulnError::value(
            "cvss vector",
            vector,
            "not a CVSS vector (expected CVSS:4.0/..., CVSS:3.1/..., CVSS:3.0/... or a v2 vector)",
        ))
    }

    pub fn version(&self) -> CvssVersion {
        self.version
    }

    /// The vector string as given (trimmed).
    pub fn vector(&self) -> &str {
        &self.vector
    }

    /// The base score (for v4.0: the score of the vector as written, which
    /// includes any threat and environmental metrics it carries).
    pub fn base_score(&self) -> f64 {
        self.base
    }

    /// The temporal score (v2, v3.x); `None` for v4.0.
    pub fn temporal_score(&self) -> Option<f64> {
        self.temporal
    }

    /// The environmental score (v2, v3.x); `None` for v4.0.
    pub fn environmental_score(&self) -> Option<f64> {
        self.environmental
    }

    pub fn severity(&self) -> Severity {
        self.severity
    }
}

/// The `cvss` crate scores a vector with base metrics left out as if they
/// were zero; a vector is complete only with all of them.
fn require_base_metrics(vector: &str) -> Result<(), VulnError> {
    let body = vector
        .strip_prefix("(")
        .and_then(|v| v.strip_suffix(")"))
        .unwrap_or(vector);
    let required: &[&str] = if body.starts_with("CVSS:4.0/") {
        &[
            "AV", "AC", "AT", "PR", "UI", "VC", "VI", "VA", "SC", "SI", "SA",
        ]
    } else if body.starts_with("CVSS:3.") {
        &["AV", "AC", "PR", "UI", "S", "C", "I", "A"]
    } else {
        &["AV", "AC", "Au", "C", "I", "A"]
    };
    let present: Vec<&str> = body
        .split('/')
        .filter_map(|m| m.split_once(':').map(|(k, _)| k))
        .collect();
    let missing: Vec<&str> = required
        .iter()
        .copied()
        .filter(|k| !present.contains(k))
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(VulnError::value(
            "cvss vector",
            vector,
            format!("base metric(s) {} missing", missing.join(", ")),
        ))
    }
}
