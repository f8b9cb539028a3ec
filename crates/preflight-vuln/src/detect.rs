//! Which format a document is in, from its content, with the file name as
//! a hint when the content does not say.

use crate::VulnError;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// CSAF 2.0
    Csaf,
    /// OSV (schema 1.x)
    Osv,
    /// CVE JSON 5.x record
    Cve5,
    /// SARIF 2.1.0
    Sarif,
    /// STIX 2.1 bundle (export only)
    Stix,
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Csaf => "CSAF 2.0",
            Format::Osv => "OSV",
            Format::Cve5 => "CVE JSON 5",
            Format::Sarif => "SARIF 2.1.0",
            Format::Stix => "STIX 2.1",
        })
    }
}

/// Detects the format of a parsed document. Content decides; the file
/// name (`.sarif`, `csaf`, `osv`, `cve`) only breaks ties.
pub fn detect(file_name: &str, doc: &Value) -> Result<Format, VulnError> {
    let unknown = |reason: &str| VulnError::UnknownFormat {
        file: file_name.to_owned(),
        reason: reason.to_owned(),
    };
    let Some(obj) = doc.as_object() else {
        return Err(unknown("the document is not a JSON object"));
    };
    if obj
        .get("document")
        .and_then(|d| d.get("csaf_version"))
        .is_some()
    {
        return Ok(Format::Csaf);
    }
    if obj.get("dataType").and_then(Value::as_str) == Some("CVE_RECORD")
        || obj.contains_key("cveMetadata")
    {
        return Ok(Format::Cve5);
    }
    let schema = obj
        .get("$schema")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if obj.contains_key("runs")
        && (schema.contains("sarif") || obj.get("version").and_then(Value::as_str) == Some("2.1.0"))
    {
        return Ok(Format::Sarif);
    }
    if obj.get("type").and_then(Value::as_str) == Some("bundle") && obj.contains_key("objects") {
        return Ok(Format::Stix);
    }
    if obj.contains_key("id") && obj.contains_key("modified") {
        return Ok(Format::Osv);
    }
    let name = file_name.to_ascii_lowercase();
    if name.ends_with(".sarif") || name.ends_with(".sarif.json") {
        return Ok(Format::Sarif);
    }
    if obj.contains_key("document") || name.contains("csaf") {
        return Ok(Format::Csaf);
    }
    if obj.contains_key("id") && name.contains("osv") {
        return Ok(Format::Osv);
    }
    Err(unknown(
        "no document.csaf_version, cveMetadata, runs, or id with modified",
    ))
}
