//! Finding categories: MITRE ATLAS techniques, the OWASP Top 10 for LLM
//! applications (2025), CWE, and a few plain cyber-capability classes.

use crate::DomainError;
use serde::{Deserialize, Serialize};

/// The OWASP Top 10 for LLM Applications, 2025 edition.
pub const OWASP_LLM_2025: [(&str, &str); 10] = [
    ("LLM01", "Prompt Injection"),
    ("LLM02", "Sensitive Information Disclosure"),
    ("LLM03", "Supply Chain"),
    ("LLM04", "Data and Model Poisoning"),
    ("LLM05", "Improper Output Handling"),
    ("LLM06", "Excessive Agency"),
    ("LLM07", "System Prompt Leakage"),
    ("LLM08", "Vector and Embedding Weaknesses"),
    ("LLM09", "Misinformation"),
    ("LLM10", "Unbounded Consumption"),
];

/// Cyber-capability classes a review measures, beyond the two taxonomies.
pub const CAPABILITY_CLASSES: [&str; 6] = [
    "vulnerability_discovery",
    "exploit_development",
    "malware_development",
    "network_operations",
    "social_engineering",
    "safeguard_bypass",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Taxonomy {
    /// MITRE ATLAS technique, `AML.T0051` or `AML.T0051.000`.
    MitreAtlas,
    /// OWASP Top 10 for LLM applications 2025, `LLM01` .. `LLM10`.
    OwaspLlm2025,
    /// CWE weakness, `CWE-1427`.
    Cwe,
    /// A cyber-capability class, such as `exploit_development`.
    Capability,
}

/// A category from one taxonomy, checked against its id syntax.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(try_from = "RawCategory")]
pub struct Category {
    pub taxonomy: Taxonomy,
    pub id: String,
}

#[derive(Deserialize)]
struct RawCategory {
    taxonomy: Taxonomy,
    id: String,
}

impl TryFrom<RawCategory> for Category {
    type Error = DomainError;
    fn try_from(raw: RawCategory) -> Result<Self, DomainError> {
        Category::new(raw.taxonomy, &raw.id)
    }
}

impl Category {
    pub fn new(taxonomy: Taxonomy, id: &str) -> Result<Self, DomainError> {
        let id = id.trim();
        let ok = match taxonomy {
            Taxonomy::MitreAtlas => is_atlas_technique(id),
            Taxonomy::OwaspLlm2025 => OWASP_LLM_2025.iter().any(|(code, _)| *code == id),
            Taxonomy::Cwe => id.strip_prefix("CWE-").is_some_and(|n| {
                !n.is_empty() && n.len() <= 5 && n.bytes().all(|b| b.is_ascii_digit())
            }),
            Taxonomy::Capability => CAPABILITY_CLASSES.contains(&id),
        };
        if !ok {
            let expected = match taxonomy {
                Taxonomy::MitreAtlas => {
                    "an ATLAS technique id such as AML.T0051 or AML.T0051.000".to_owned()
                }
                Taxonomy::OwaspLlm2025 => "LLM01 to LLM10".to_owned(),
                Taxonomy::Cwe => "a CWE id such as CWE-1427".to_owned(),
                Taxonomy::Capability => format!("one of {}", CAPABILITY_CLASSES.join(", ")),
            };
            return Err(DomainError::invalid(
                "category.id",
                id,
                format!("expected {expected}"),
            ));
        }
        Ok(Self {
            taxonomy,
            id: id.to_owned(),
        })
    }

    /// A human label, such as "LLM01 Prompt Injection".
    pub fn label(&self) -> String {
        match self.taxonomy {
            Taxonomy::OwaspLlm2025 => OWASP_LLM_2025
                .iter()
                .find(|(code, _)| *code == self.id)
                .map(|(code, name)| format!("{code} {name}"))
                .unwrap_or_else(|| self.id.clone()),
            Taxonomy::MitreAtlas => format!("MITRE ATLAS {}", self.id),
            Taxonomy::Cwe | Taxonomy::Capability => self.id.clone(),
        }
    }
}

fn is_atlas_technique(id: &str) -> bool {
    let Some(rest) = id.strip_prefix("AML.T") else {
        return false;
    };
    let (technique, sub) = match rest.split_once('.') {
        Some((t, s)) => (t, Some(s)),
        None => (rest, None),
    };
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    digits(technique, 4) && sub.is_none_or(|s| digits(s, 3))
}
