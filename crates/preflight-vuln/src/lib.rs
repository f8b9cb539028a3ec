//! Vulnerability records for the clearinghouse, pure and IO-free: read
//! CSAF 2.0, OSV, CVE JSON 5 and SARIF 2.1.0 into [`Assessment`]s (with
//! schema validation and the CSAF 2.0 mandatory tests of section 6.1),
//! de-duplicate them by alias ([`merge`]), and write CSAF 2.0, OSV,
//! CVE JSON 5 and STIX 2.1. CVSS scoring is the RustSec `cvss` crate's;
//! TLP 2.0 labels and the CVD coordination state machines live here.
//!
//! Callers hand in bytes and a file name and get records or an error that
//! names the file, the JSON path and the value. No file system, network or
//! clock: export metadata (dates, publisher) is passed in.

pub mod csaf;
pub mod cve5;
mod cvss;
mod dedupe;
mod detect;
mod ecosystem;
mod error;
mod json;
pub mod model;
pub mod osv;
pub mod sarif;
mod schema;
pub mod stix;
mod tlp;

pub use crate::cvss::{Cvss, CvssVersion, Severity};
pub use dedupe::{MergeGroup, MergeReport, Merged, merge};
pub use detect::{Format, detect};
pub use error::{Problem, TestFailure, VulnError};
pub use model::{
    AiTaxonomy, Alias, AliasKind, Assessment, AtlasTechnique, CaseFlag, CaseFlags, Coordination,
    Cwe, Embargo, EmbargoAction, EmbargoState, Origin, OwaspLlm, Product, ProductStatus, Reference,
    ReportState, Score, Source, Text, VersionRange,
};
pub use schema::problems as schema_problems;
pub use tlp::Tlp;

/// What one file held.
#[derive(Clone, Debug)]
pub struct Imported {
    pub format: Format,
    /// The document's own id (CSAF tracking id, OSV id, CVE id, SARIF tool).
    pub document: Option<String>,
    pub assessments: Vec<Assessment>,
}

/// Reads one file: detects its format from the content (the file name is a
/// hint), validates it (schema; for CSAF also the mandatory tests) and
/// returns its records. Any problem rejects the whole file.
pub fn import(file_name: &str, bytes: &[u8]) -> Result<Imported, VulnError> {
    let value = json::parse(file_name, bytes)?;
    let format = detect(file_name, &value)?;
    import_value(file_name, format, &value)
}

/// Like [`import`] for a document already parsed, in a known format.
pub fn import_value(
    file_name: &str,
    format: Format,
    value: &serde_json::Value,
) -> Result<Imported, VulnError> {
    match format {
        Format::Csaf => csaf::import(file_name, value),
        Format::Osv => osv::import(file_name, value),
        Format::Cve5 => cve5::import(file_name, value),
        Format::Sarif => sarif::import(file_name, value),
        Format::Stix => Err(VulnError::UnknownFormat {
            file: file_name.to_owned(),
            reason: "STIX bundles are written, not read".to_owned(),
        }),
    }
}
