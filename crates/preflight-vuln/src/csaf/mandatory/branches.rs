//! 6.1.31 Version Range in Product Version.

use super::Failures;
use crate::csaf::walk;
use crate::json::str_at;
use serde_json::Value;

const RANGE_WORDS: [&str; 7] = [
    "after", "all", "before", "earlier", "later", "prior", "versions",
];

/// Whether a `product_version` name reads as a range of versions: it holds
/// a comparison operator, or one of the range words as a whole word.
pub fn looks_like_range(name: &str) -> bool {
    name.contains('<')
        || name.contains('>')
        || name
            .split_whitespace()
            .any(|w| RANGE_WORDS.iter().any(|r| w.eq_ignore_ascii_case(r)))
}

pub(super) fn check(doc: &Value, f: &mut Failures) {
    let Some(tree) = doc.get("product_tree") else {
        return;
    };
    walk::branches(tree, "/product_tree", &mut |path, branch| {
        if str_at(branch, "category") == Some("product_version")
            && let Some(name) = str_at(branch, "name")
            && looks_like_range(name)
        {
            f.fail(
                "6.1.31",
                format!("{path}/name"),
                name,
                "a product_version names one version, not a range (use product_version_range)",
            );
        }
    });
}
