//! 6.1.6 Contradicting Product Status.

use super::Failures;
use crate::json::arr;
use serde_json::Value;
use std::collections::HashMap;

const GROUPS: [(&str, &[&str]); 4] = [
    (
        "affected",
        &["first_affected", "known_affected", "last_affected"],
    ),
    ("not affected", &["known_not_affected"]),
    ("fixed", &["first_fixed", "fixed"]),
    ("under investigation", &["under_investigation"]),
];

pub(super) fn check(doc: &Value, f: &mut Failures) {
    for (v, vuln) in arr(doc, "vulnerabilities").iter().enumerate() {
        let Some(status) = vuln.get("product_status") else {
            continue;
        };
        let mut group_of: HashMap<&str, &str> = HashMap::new();
        for (group, lists) in GROUPS {
            for list in lists {
                for (i, id) in arr(status, list).iter().enumerate() {
                    let Some(id) = id.as_str() else { continue };
                    match group_of.get(id) {
                        Some(other) if *other != group => f.fail(
                            "6.1.6",
                            format!("/vulnerabilities/{v}/product_status/{list}/{i}"),
                            id,
                            format!("product is both {other} and {group}"),
                        ),
                        Some(_) => {}
                        None => {
                            group_of.insert(id, group);
                        }
                    }
                }
            }
        }
    }
}
