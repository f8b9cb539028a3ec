//! 6.1.26 Prohibited Document Category Name.

use super::Failures;
use serde_json::Value;

const PROFILES: [&str; 5] = [
    "csaf_base",
    "csaf_security_incident_response",
    "csaf_informational_advisory",
    "csaf_security_advisory",
    "csaf_vex",
];

/// Names and values of the profiles other than CSAF Base, with dashes,
/// white space and underscores removed, lower case.
const RESERVED: [&str; 8] = [
    "securityincidentresponse",
    "csafsecurityincidentresponse",
    "informationaladvisory",
    "csafinformationaladvisory",
    "securityadvisory",
    "csafsecurityadvisory",
    "vex",
    "csafvex",
];

pub(super) fn check(doc: &Value, f: &mut Failures) {
    let Some(category) = doc.pointer("/document/category").and_then(Value::as_str) else {
        return;
    };
    if PROFILES.contains(&category) {
        return;
    }
    let path = "/document/category";
    if category
        .get(..5)
        .is_some_and(|p| p.eq_ignore_ascii_case("csaf_"))
    {
        f.fail(
            "6.1.26",
            path,
            category,
            "the prefix csaf_ is reserved for the CSAF profiles",
        );
        return;
    }
    let normalized: String = category
        .chars()
        .filter(|c| !(c.is_whitespace() || *c == '-' || *c == '_'))
        .flat_map(char::to_lowercase)
        .collect();
    if RESERVED.contains(&normalized.as_str()) {
        f.fail(
            "6.1.26",
            path,
            category,
            "the category is the name of a CSAF profile written differently",
        );
    }
}
