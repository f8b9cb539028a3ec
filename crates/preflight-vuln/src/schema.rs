//! The JSON schemas documents are checked against, compiled once.
//!
//! `schemas/` holds the official CSAF 2.0 and OSV schemas. The CSAF schema
//! refers to FIRST's CVSS v2.0/v3.0/v3.1 schemas by URL; they are not
//! fetched: those references resolve to object schemas here that only tell
//! v3.0 from v3.1 by `version`, and CSAF mandatory test 6.1.8 checks CVSS
//! objects in full.

use crate::{Format, Problem, VulnError};
use serde_json::{Value, json};
use std::sync::OnceLock;

const CSAF_SCHEMA: &str = include_str!("../schemas/csaf_json_schema.json");
const OSV_SCHEMA: &str = include_str!("../schemas/osv_schema.json");

/// At most this many schema problems are reported per document.
const MAX_PROBLEMS: usize = 20;

fn compile(text: &str, cvss_refs: bool) -> jsonschema::Validator {
    let schema: Value = serde_json::from_str(text).expect("the bundled schema is valid JSON");
    let mut options = jsonschema::options();
    options.should_validate_formats(true);
    if cvss_refs {
        // Discriminating placeholders, so the schema's `oneOf` of v3.0 and
        // v3.1 picks exactly one by the `version` property.
        let v31 = json!({"type": "object", "required": ["version"], "properties": {"version": {"const": "3.1"}}});
        let v30 = json!({"type": "object", "not": v31.clone()});
        options
            .with_document(
                "https://www.first.org/cvss/cvss-v2.0.json".to_owned(),
                json!({"type": "object"}),
            )
            .with_document("https://www.first.org/cvss/cvss-v3.0.json".to_owned(), v30)
            .with_document("https://www.first.org/cvss/cvss-v3.1.json".to_owned(), v31);
    }
    options.build(&schema).expect("the bundled schema compiles")
}

fn csaf() -> &'static jsonschema::Validator {
    static V: OnceLock<jsonschema::Validator> = OnceLock::new();
    V.get_or_init(|| compile(CSAF_SCHEMA, true))
}

fn osv() -> &'static jsonschema::Validator {
    static V: OnceLock<jsonschema::Validator> = OnceLock::new();
    V.get_or_init(|| compile(OSV_SCHEMA, false))
}

/// Checks `doc` against the schema of `format` (CSAF and OSV have one).
pub(crate) fn check(file: &str, format: Format, doc: &Value) -> Result<(), VulnError> {
    let validator = match format {
        Format::Csaf => csaf(),
        Format::Osv => osv(),
        _ => return Ok(()),
    };
    if validator.is_valid(doc) {
        return Ok(());
    }
    let Err(errors) = validator.validate(doc) else {
        return Ok(());
    };
    let problems: Vec<Problem> = errors
        .take(MAX_PROBLEMS)
        .map(|e| {
            let value = crate::json::show(&e.instance);
            Problem::new(e.instance_path.to_string(), value, e.to_string())
        })
        .collect();
    Err(VulnError::Schema {
        file: file.to_owned(),
        format,
        problems,
    })
}

/// Problems of `doc` against the bundled schema of `format` (CSAF 2.0 or
/// OSV; other formats have none and give no problems). For checking exports.
pub fn problems(format: Format, doc: &Value) -> Vec<Problem> {
    match check("", format, doc) {
        Err(VulnError::Schema { problems, .. }) => problems,
        _ => Vec::new(),
    }
}
