//! 6.1.11 CWE: a weakness's id exists in the CWE list and its name is that
//! id's name. Names of every CWE list version (1.0 to 4.17) are accepted;
//! surrounding white space is ignored.

use super::Failures;
use crate::json::{arr, str_at};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::OnceLock;

const CATALOGUE: &str = include_str!("../../../schemas/cwe_names.tsv");
/// Each weakness with its name in the newest CWE list version (4.17).
const CURRENT: &str = include_str!("../../../schemas/cwe_current.tsv");

/// The name the newest CWE list gives `id` (`CWE-400`), if it lists it.
pub fn current_cwe_name(id: &str) -> Option<&'static str> {
    static CURRENT_NAMES: OnceLock<HashMap<&'static str, &'static str>> = OnceLock::new();
    CURRENT_NAMES
        .get_or_init(|| CURRENT.lines().filter_map(|l| l.split_once('\t')).collect())
        .get(id)
        .copied()
}

fn names() -> &'static HashMap<&'static str, Vec<&'static str>> {
    static NAMES: OnceLock<HashMap<&'static str, Vec<&'static str>>> = OnceLock::new();
    NAMES.get_or_init(|| {
        let mut map: HashMap<&str, Vec<&str>> = HashMap::new();
        for line in CATALOGUE.lines() {
            if let Some((id, name)) = line.split_once('\t') {
                map.entry(id).or_default().push(name);
            }
        }
        map
    })
}

/// The names the CWE list has given `id` (`CWE-79`), empty if unknown.
pub fn cwe_names(id: &str) -> &'static [&'static str] {
    names().get(id).map(Vec::as_slice).unwrap_or(&[])
}

pub(super) fn check(doc: &Value, f: &mut Failures) {
    for (v, vuln) in arr(doc, "vulnerabilities").iter().enumerate() {
        let Some(cwe) = vuln.get("cwe") else { continue };
        let (Some(id), Some(name)) = (str_at(cwe, "id"), str_at(cwe, "name")) else {
            continue;
        };
        let known = cwe_names(id);
        if known.is_empty() {
            f.fail(
                "6.1.11",
                format!("/vulnerabilities/{v}/cwe/id"),
                id,
                "no weakness with this id in the CWE list",
            );
        } else if !known.iter().any(|k| k.trim() == name.trim()) {
            f.fail(
                "6.1.11",
                format!("/vulnerabilities/{v}/cwe/name"),
                name,
                format!(
                    "the CWE list names {id} {:?}",
                    current_cwe_name(id)
                        .or(known.last().copied())
                        .unwrap_or_default()
                ),
            );
        }
    }
}
