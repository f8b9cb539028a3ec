//! 6.1.13 PURL: every package URL is valid per the purl specification.

use super::Failures;
use crate::csaf::walk;
use serde_json::Value;

/// Why `purl` is not a valid package URL, if it is not.
pub fn purl_problem(purl: &str) -> Option<&'static str> {
    let Some(rest) = purl.strip_prefix("pkg:").or_else(|| {
        purl.get(..4)
            .filter(|s| s.eq_ignore_ascii_case("pkg:"))
            .map(|_| &purl[4..])
    }) else {
        return Some("a package URL starts with pkg:");
    };
    let rest = rest.trim_start_matches('/');
    let rest = rest.split_once('#').map_or(rest, |(r, _)| r);
    let (rest, qualifiers) = rest
        .split_once('?')
        .map_or((rest, None), |(r, q)| (r, Some(q)));
    let Some((kind, path)) = rest.split_once('/') else {
        return Some("a package URL has a type and a name: pkg:type/name");
    };
    let kind_ok = kind.bytes().next().is_some_and(|b| b.is_ascii_alphabetic())
        && kind
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'+' || b == b'-');
    if !kind_ok {
        return Some(
            "the package type is letters, digits, '.', '+' or '-', starting with a letter",
        );
    }
    let path = path.trim_end_matches('/');
    let name_and_version = path.rsplit('/').next().unwrap_or_default();
    let name = name_and_version
        .split_once('@')
        .map_or(name_and_version, |(n, _)| n);
    if name.is_empty() {
        return Some("the package name is empty");
    }
    if let Some((_, version)) = name_and_version.split_once('@')
        && version.is_empty()
    {
        return Some("the version after '@' is empty");
    }
    if let Some(q) = qualifiers {
        for pair in q.split('&').filter(|p| !p.is_empty()) {
            let Some((key, value)) = pair.split_once('=') else {
                return Some("a qualifier is key=value");
            };
            let key_ok = key.bytes().next().is_some_and(|b| b.is_ascii_alphabetic())
                && key
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b'_');
            if !key_ok || value.is_empty() {
                return Some(
                    "a qualifier key is letters, digits, '.', '-' or '_' and its value is not empty",
                );
            }
        }
    }
    None
}

pub(super) fn check(doc: &Value, f: &mut Failures) {
    for (path, product) in walk::full_product_names(doc) {
        let Some(purl) = product
            .pointer("/product_identification_helper/purl")
            .and_then(Value::as_str)
        else {
            continue;
        };
        if let Some(why) = purl_problem(purl) {
            f.fail(
                "6.1.13",
                format!("{path}/product_identification_helper/purl"),
                purl,
                why,
            );
        }
    }
}
