//! Vulnerability identifiers: CVE, GHSA, Go, other OSV databases, and
//! vendor ids scoped by the system that issued them.

use crate::VulnError;
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "system")]
pub enum AliasKind {
    /// `CVE-2024-12345`
    Cve,
    /// `GHSA-xxxx-xxxx-xxxx`
    Ghsa,
    /// `GO-2024-1234`
    Go,
    /// Another OSV database id: `PYSEC-2021-1`, `RUSTSEC-2021-0001`, ...
    Osv,
    /// A vendor id, meaningful only with the system that issued it
    /// (CSAF `ids[].system_name`, a SARIF tool, a VINCE case).
    Vendor(String),
}

/// One identifier of a vulnerability. Two records sharing an alias (by
/// [`Alias::key`]) describe the same vulnerability.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Alias {
    pub kind: AliasKind,
    pub id: String,
}

const OSV_PREFIXES: [&str; 14] = [
    "PYSEC-", "RUSTSEC-", "OSV-", "GSD-", "MAL-", "RSEC-", "DSA-", "DLA-", "USN-", "ALSA-",
    "RLSA-", "BIT-", "UVI-", "CGA-",
];

impl Alias {
    /// Classifies a well-known id by its prefix: CVE, GHSA, GO and OSV
    /// database ids. Anything else is an error; use [`Alias::vendor`].
    pub fn parse(id: &str) -> Result<Alias, VulnError> {
        let id = id.trim();
        let upper = id.to_ascii_uppercase();
        if let Some(rest) = upper.strip_prefix("CVE-") {
            let ok = rest.split_once('-').is_some_and(|(year, num)| {
                year.len() == 4
                    && year.bytes().all(|b| b.is_ascii_digit())
                    && num.len() >= 4
                    && num.bytes().all(|b| b.is_ascii_digit())
            });
            if !ok {
                return Err(VulnError::value(
                    "alias",
                    id,
                    "a CVE id is CVE-YYYY-NNNN (four or more digits)",
                ));
            }
            return Ok(Alias {
                kind: AliasKind::Cve,
                id: upper,
            });
        }
        if let Some(rest) = upper.strip_prefix("GHSA-") {
            let parts: Vec<&str> = rest.split('-').collect();
            let ok = parts.len() == 3
                && parts
                    .iter()
                    .all(|p| p.len() == 4 && p.bytes().all(|b| b.is_ascii_alphanumeric()));
            if !ok {
                return Err(VulnError::value(
                    "alias",
                    id,
                    "a GHSA id is GHSA-xxxx-xxxx-xxxx",
                ));
            }
            return Ok(Alias {
                kind: AliasKind::Ghsa,
                id: format!("GHSA-{}", rest.to_ascii_lowercase()),
            });
        }
        if upper.starts_with("GO-") {
            return Ok(Alias {
                kind: AliasKind::Go,
                id: upper,
            });
        }
        if OSV_PREFIXES.iter().any(|p| upper.starts_with(p)) {
            return Ok(Alias {
                kind: AliasKind::Osv,
                id: id.to_owned(),
            });
        }
        Err(VulnError::value(
            "alias",
            id,
            "not a CVE, GHSA, GO or OSV database id; give vendor ids with their system",
        ))
    }

    /// Like [`Alias::parse`], but an id of no known scheme becomes a vendor
    /// id of `system` (an OSV `aliases` entry from a database we do not know).
    pub fn parse_or_vendor(id: &str, system: &str) -> Alias {
        Alias::parse(id).unwrap_or_else(|_| Alias::vendor(system, id))
    }

    /// A vendor id; if `id` is itself a CVE/GHSA/GO/OSV id it is classified as
    /// such, so a CSAF `ids` entry holding a GHSA id merges with OSV records.
    pub fn vendor(system: &str, id: &str) -> Alias {
        match Alias::parse(id) {
            Ok(alias) => alias,
            Err(_) => Alias {
                kind: AliasKind::Vendor(system.trim().to_owned()),
                id: id.trim().to_owned(),
            },
        }
    }

    /// The key records are matched on: case-insensitive, vendor ids scoped
    /// by their system.
    pub fn key(&self) -> String {
        match &self.kind {
            AliasKind::Vendor(system) => {
                format!(
                    "{}:{}",
                    system.to_ascii_lowercase(),
                    self.id.to_ascii_uppercase()
                )
            }
            _ => self.id.to_ascii_uppercase(),
        }
    }

    pub fn is_cve(&self) -> bool {
        self.kind == AliasKind::Cve
    }

    /// Preference for the record's display id: CVE, GHSA, GO, OSV, vendor.
    pub(crate) fn rank(&self) -> u8 {
        match self.kind {
            AliasKind::Cve => 0,
            AliasKind::Ghsa => 1,
            AliasKind::Go => 2,
            AliasKind::Osv => 3,
            AliasKind::Vendor(_) => 4,
        }
    }
}

impl fmt::Display for Alias {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            AliasKind::Vendor(system) => write!(f, "{system}:{}", self.id),
            _ => f.write_str(&self.id),
        }
    }
}
