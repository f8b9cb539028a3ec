//! Weakness and AI taxonomies: CWE, MITRE ATLAS techniques, and the OWASP
//! Top 10 for LLM Applications (2025).

use crate::VulnError;
use serde::{Deserialize, Serialize};
use std::{fmt, str::FromStr};

/// A CWE id, `CWE-79`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Cwe(u32);

impl Cwe {
    /// CWE-1426, Improper Validation of Generative AI Output.
    pub const AI_OUTPUT: Cwe = Cwe(1426);
    /// CWE-1427, Improper Neutralization of Input Used for LLM Prompting.
    pub const LLM_PROMPT: Cwe = Cwe(1427);

    pub fn new(number: u32) -> Self {
        Cwe(number)
    }

    pub fn number(self) -> u32 {
        self.0
    }

    /// Whether this is one of the CWEs specific to AI systems (1426, 1427).
    pub fn is_ai_specific(self) -> bool {
        self == Cwe::AI_OUTPUT || self == Cwe::LLM_PROMPT
    }

    /// Finds the CWE id at the start of a text such as
    /// `CWE-117 Improper Output Neutralization for Logs`.
    pub fn find_in(text: &str) -> Option<Cwe> {
        let rest = text.trim_start().strip_prefix("CWE-")?;
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        digits.parse().ok().map(Cwe)
    }
}

impl FromStr for Cwe {
    type Err = VulnError;
    fn from_str(s: &str) -> Result<Self, VulnError> {
        s.trim()
            .strip_prefix("CWE-")
            .filter(|n| !n.is_empty() && n.len() <= 6 && n.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|n| n.parse().ok())
            .map(Cwe)
            .ok_or_else(|| VulnError::value("cwe", s, "expected a CWE id such as CWE-79"))
    }
}

impl TryFrom<String> for Cwe {
    type Error = VulnError;
    fn try_from(s: String) -> Result<Self, VulnError> {
        s.parse()
    }
}

impl From<Cwe> for String {
    fn from(c: Cwe) -> String {
        c.to_string()
    }
}

impl fmt::Display for Cwe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CWE-{}", self.0)
    }
}

/// A MITRE ATLAS technique or sub-technique, `AML.T0051` or `AML.T0051.000`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AtlasTechnique(String);

impl AtlasTechnique {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for AtlasTechnique {
    type Err = VulnError;
    fn from_str(s: &str) -> Result<Self, VulnError> {
        let id = s.trim();
        let digits = |p: &str, n: usize| p.len() == n && p.bytes().all(|b| b.is_ascii_digit());
        let ok = id
            .strip_prefix("AML.T")
            .is_some_and(|rest| match rest.split_once('.') {
                Some((t, sub)) => digits(t, 4) && digits(sub, 3),
                None => digits(rest, 4),
            });
        if ok {
            Ok(AtlasTechnique(id.to_owned()))
        } else {
            Err(VulnError::value(
                "atlas technique",
                s,
                "expected an ATLAS technique id such as AML.T0051 or AML.T0051.000",
            ))
        }
    }
}

impl TryFrom<String> for AtlasTechnique {
    type Error = VulnError;
    fn try_from(s: String) -> Result<Self, VulnError> {
        s.parse()
    }
}

impl From<AtlasTechnique> for String {
    fn from(t: AtlasTechnique) -> String {
        t.0
    }
}

impl fmt::Display for AtlasTechnique {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The OWASP Top 10 for LLM Applications, 2025 edition.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct OwaspLlm(u8);

const OWASP_LLM_2025: [&str; 10] = [
    "Prompt Injection",
    "Sensitive Information Disclosure",
    "Supply Chain",
    "Data and Model Poisoning",
    "Improper Output Handling",
    "Excessive Agency",
    "System Prompt Leakage",
    "Vector and Embedding Weaknesses",
    "Misinformation",
    "Unbounded Consumption",
];

impl OwaspLlm {
    /// `LLM01` .. `LLM10`.
    pub fn id(self) -> String {
        format!("LLM{:02}", self.0)
    }

    pub fn title(self) -> &'static str {
        OWASP_LLM_2025[usize::from(self.0 - 1)]
    }
}

impl FromStr for OwaspLlm {
    type Err = VulnError;
    fn from_str(s: &str) -> Result<Self, VulnError> {
        let id = s.trim().to_ascii_uppercase();
        let id = id.split(':').next().unwrap_or_default();
        id.strip_prefix("LLM")
            .filter(|n| n.len() == 2)
            .and_then(|n| n.parse::<u8>().ok())
            .filter(|n| (1..=10).contains(n))
            .map(OwaspLlm)
            .ok_or_else(|| {
                VulnError::value(
                    "owasp llm category",
                    s,
                    "expected LLM01 to LLM10 (OWASP Top 10 for LLM 2025)",
                )
            })
    }
}

impl TryFrom<String> for OwaspLlm {
    type Error = VulnError;
    fn try_from(s: String) -> Result<Self, VulnError> {
        s.parse()
    }
}

impl From<OwaspLlm> for String {
    fn from(c: OwaspLlm) -> String {
        c.id()
    }
}

impl fmt::Display for OwaspLlm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.id(), self.title())
    }
}
