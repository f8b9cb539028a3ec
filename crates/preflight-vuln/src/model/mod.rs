//! The vulnerability record every format is read into and written from.

mod alias;
mod coordination;
mod product;
mod source;
mod taxonomy;

pub use alias::{Alias, AliasKind};
pub use coordination::{
    CaseFlag, CaseFlags, Coordination, Embargo, EmbargoAction, EmbargoState, ReportState,
};
pub use product::{Product, ProductStatus, VersionRange};
pub use source::{Origin, Source};
pub use taxonomy::{AtlasTechnique, Cwe, OwaspLlm};

use crate::{Cvss, Tlp};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// A text and the source it came from (an index into `sources`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Text {
    pub text: String,
    pub from: usize,
}

/// A CVSS score and the source it came from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Score {
    pub cvss: Cvss,
    pub from: usize,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Reference {
    pub url: String,
    /// OSV reference type (`ADVISORY`, `FIX`, `WEB`...) or CSAF category.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

/// AI-specific classification.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AiTaxonomy {
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub atlas: BTreeSet<AtlasTechnique>,
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub owasp_llm: BTreeSet<OwaspLlm>,
}

impl AiTaxonomy {
    pub fn is_empty(&self) -> bool {
        self.atlas.is_empty() && self.owasp_llm.is_empty()
    }
}

/// A vulnerability assessment: one vulnerability, everything known about it
/// and where each piece came from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Assessment {
    /// The display id: the best alias (CVE, then GHSA, GO, OSV, vendor).
    pub id: String,
    /// Every id the vulnerability is known by, `id` included.
    pub aliases: BTreeSet<Alias>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub descriptions: Vec<Text>,
    pub sources: Vec<Source>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub products: Vec<Product>,
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub cwes: BTreeSet<Cwe>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scores: Vec<Score>,
    #[serde(default, skip_serializing_if = "AiTaxonomy::is_empty")]
    pub ai: AiTaxonomy,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<Reference>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub credits: Vec<String>,
    pub tlp: Tlp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified: Option<DateTime<Utc>>,
    #[serde(default)]
    pub coordination: Coordination,
}

impl Assessment {
    /// A record known by `alias`, from `source`, labelled `tlp`.
    pub fn new(alias: Alias, source: Source, tlp: Tlp) -> Self {
        let mut a = Assessment {
            id: String::new(),
            aliases: BTreeSet::from([alias]),
            title: None,
            descriptions: Vec::new(),
            sources: vec![source],
            products: Vec::new(),
            cwes: BTreeSet::new(),
            scores: Vec::new(),
            ai: AiTaxonomy::default(),
            references: Vec::new(),
            credits: Vec::new(),
            tlp,
            published: None,
            modified: None,
            coordination: Coordination::default(),
        };
        a.refresh_id();
        a
    }

    pub fn add_alias(&mut self, alias: Alias) {
        self.aliases.insert(alias);
        self.refresh_id();
    }

    /// Resets `id` to the best alias.
    pub(crate) fn refresh_id(&mut self) {
        if let Some(best) = self
            .aliases
            .iter()
            .min_by(|a, b| (a.rank(), &a.id).cmp(&(b.rank(), &b.id)))
        {
            self.id = best.to_string();
        }
    }

    /// The CVE ids among the aliases.
    pub fn cves(&self) -> impl Iterator<Item = &Alias> {
        self.aliases.iter().filter(|a| a.is_cve())
    }

    /// The first description, if any.
    pub fn description(&self) -> Option<&str> {
        self.descriptions.first().map(|t| t.text.as_str())
    }

    /// The highest-version score: CVSS 4.0 before 3.1 before 3.0 before 2.0.
    pub fn best_score(&self) -> Option<&Cvss> {
        self.scores
            .iter()
            .map(|s| &s.cvss)
            .max_by_key(|c| c.version())
    }

    pub(crate) fn push_score(&mut self, cvss: Cvss, from: usize) {
        if !self.scores.iter().any(|s| s.cvss.vector() == cvss.vector()) {
            self.scores.push(Score { cvss, from });
        }
    }

    pub(crate) fn push_description(&mut self, text: &str, from: usize) {
        let text = text.trim();
        if !text.is_empty() && !self.descriptions.iter().any(|t| t.text == text) {
            self.descriptions.push(Text {
                text: text.to_owned(),
                from,
            });
        }
    }

    pub(crate) fn push_reference(&mut self, url: &str, kind: Option<String>) {
        if !url.is_empty() && !self.references.iter().any(|r| r.url == url) {
            self.references.push(Reference {
                url: url.to_owned(),
                kind,
            });
        }
    }

    pub(crate) fn push_product(&mut self, product: Product) {
        if !self.products.iter().any(|p| p.same_statement(&product)) {
            self.products.push(product);
        }
    }
}
