//! Affected products: who makes it, what it is, which versions, and how it
//! is identified (PURL, CPE).

use serde::{Deserialize, Serialize};

/// What a record says about a product.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProductStatus {
    Affected,
    Fixed,
    NotAffected,
    UnderInvestigation,
    /// A version the vendor recommends (CSAF `recommended`).
    Recommended,
}

/// A span of versions, OSV-style: affected from `introduced` up to (not
/// including) `fixed`, or up to and including `last_affected`. `exact`
/// names one version; `range` keeps a range expression as written (a CSAF
/// `product_version_range` in vers or free form).
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct VersionRange {
    /// The version scheme: `SEMVER`, `ECOSYSTEM`, `GIT`, `semver`, `custom`...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheme: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub introduced: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_affected: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exact: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub range: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Product {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor: Option<String>,
    /// Product or package name.
    pub name: String,
    /// Package ecosystem (`Go`, `npm`, `PyPI`...) when the product is a package.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ecosystem: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cpes: Vec<String>,
    pub status: ProductStatus,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub versions: Vec<VersionRange>,
    /// Index into the assessment's `sources` this statement came from.
    pub from: usize,
}

impl Product {
    pub fn new(name: impl Into<String>, status: ProductStatus, from: usize) -> Self {
        Self {
            vendor: None,
            name: name.into(),
            ecosystem: None,
            purl: None,
            cpes: Vec::new(),
            status,
            versions: Vec::new(),
            from,
        }
    }

    /// Identity for de-duplication: the same product, status and versions
    /// stated by two sources is one statement.
    pub(crate) fn same_statement(&self, other: &Product) -> bool {
        self.vendor == other.vendor
            && self.name == other.name
            && self.ecosystem == other.ecosystem
            && self.purl == other.purl
            && self.cpes == other.cpes
            && self.status == other.status
            && self.versions == other.versions
    }
}
