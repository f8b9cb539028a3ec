//! Where a CSAF 2.0 document defines and references product and group ids.

use crate::json::arr;
use serde_json::Value;

/// Product-status lists of a vulnerability, in schema order.
pub(crate) const STATUS_LISTS: [&str; 8] = [
    "first_affected",
    "first_fixed",
    "fixed",
    "known_affected",
    "known_not_affected",
    "last_affected",
    "recommended",
    "under_investigation",
];

/// Every full product name object: `(pointer, object)`, from branches (at
/// any depth), `full_product_names` and relationships.
pub(crate) fn full_product_names(doc: &Value) -> Vec<(String, &Value)> {
    let mut out = Vec::new();
    let Some(tree) = doc.get("product_tree") else {
        return out;
    };
    branches(tree, "/product_tree", &mut |path, branch| {
        if let Some(p) = branch.get("product") {
            out.push((format!("{path}/product"), p));
        }
    });
    for (i, p) in arr(tree, "full_product_names").iter().enumerate() {
        out.push((format!("/product_tree/full_product_names/{i}"), p));
    }
    for (i, r) in arr(tree, "relationships").iter().enumerate() {
        if let Some(p) = r.get("full_product_name") {
            out.push((
                format!("/product_tree/relationships/{i}/full_product_name"),
                p,
            ));
        }
    }
    out
}

/// Calls `f(pointer, branch)` for every branch under `node`, depth first.
pub(crate) fn branches<'a>(node: &'a Value, path: &str, f: &mut impl FnMut(&str, &'a Value)) {
    for (i, b) in arr(node, "branches").iter().enumerate() {
        let p = format!("{path}/branches/{i}");
        f(&p, b);
        branches(b, &p, f);
    }
}

/// Product id definitions: `(pointer to product_id, id)`.
pub(crate) fn product_definitions(doc: &Value) -> Vec<(String, &str)> {
    full_product_names(doc)
        .into_iter()
        .filter_map(|(path, p)| {
            p.get("product_id")
                .and_then(Value::as_str)
                .map(|id| (format!("{path}/product_id"), id))
        })
        .collect()
}

fn push_ids<'a>(out: &mut Vec<(String, &'a str)>, node: &'a Value, key: &str, path: &str) {
    for (i, id) in arr(node, key).iter().enumerate() {
        if let Some(id) = id.as_str() {
            out.push((format!("{path}/{key}/{i}"), id));
        }
    }
}

/// Product id references: `(pointer, id)`.
pub(crate) fn product_references(doc: &Value) -> Vec<(String, &str)> {
    let mut out = Vec::new();
    if let Some(tree) = doc.get("product_tree") {
        for (i, g) in arr(tree, "product_groups").iter().enumerate() {
            push_ids(
                &mut out,
                g,
                "product_ids",
                &format!("/product_tree/product_groups/{i}"),
            );
        }
        for (i, r) in arr(tree, "relationships").iter().enumerate() {
            for key in ["product_reference", "relates_to_product_reference"] {
                if let Some(id) = r.get(key).and_then(Value::as_str) {
                    out.push((format!("/product_tree/relationships/{i}/{key}"), id));
                }
            }
        }
    }
    for (v, vuln) in arr(doc, "vulnerabilities").iter().enumerate() {
        let base = format!("/vulnerabilities/{v}");
        if let Some(status) = vuln.get("product_status") {
            for list in STATUS_LISTS {
                push_ids(&mut out, status, list, &format!("{base}/product_status"));
            }
        }
        for (key, ids) in [
            ("remediations", "product_ids"),
            ("scores", "products"),
            ("threats", "product_ids"),
            ("flags", "product_ids"),
        ] {
            for (i, item) in arr(vuln, key).iter().enumerate() {
                push_ids(&mut out, item, ids, &format!("{base}/{key}/{i}"));
            }
        }
    }
    out
}

/// Product group id definitions: `(pointer, id)`.
pub(crate) fn group_definitions(doc: &Value) -> Vec<(String, &str)> {
    let Some(tree) = doc.get("product_tree") else {
        return Vec::new();
    };
    arr(tree, "product_groups")
        .iter()
        .enumerate()
        .filter_map(|(i, g)| {
            g.get("group_id")
                .and_then(Value::as_str)
                .map(|id| (format!("/product_tree/product_groups/{i}/group_id"), id))
        })
        .collect()
}

/// Product group id references: `(pointer, id)`.
pub(crate) fn group_references(doc: &Value) -> Vec<(String, &str)> {
    let mut out = Vec::new();
    for (v, vuln) in arr(doc, "vulnerabilities").iter().enumerate() {
        for key in ["remediations", "threats", "flags"] {
            for (i, item) in arr(vuln, key).iter().enumerate() {
                push_ids(
                    &mut out,
                    item,
                    "group_ids",
                    &format!("/vulnerabilities/{v}/{key}/{i}"),
                );
            }
        }
    }
    out
}

/// The product ids of a group id.
pub(crate) fn group_members<'a>(doc: &'a Value, group: &str) -> Vec<&'a str> {
    let Some(tree) = doc.get("product_tree") else {
        return Vec::new();
    };
    arr(tree, "product_groups")
        .iter()
        .filter(|g| g.get("group_id").and_then(Value::as_str) == Some(group))
        .flat_map(|g| arr(g, "product_ids").iter().filter_map(Value::as_str))
        .collect()
}

/// The products an item (remediation, threat, flag) applies to: its
/// `product_ids` and the members of its `group_ids`.
pub(crate) fn item_products<'a>(doc: &'a Value, item: &'a Value) -> Vec<&'a str> {
    let mut out: Vec<&str> = arr(item, "product_ids")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for g in arr(item, "group_ids").iter().filter_map(Value::as_str) {
        out.extend(group_members(doc, g));
    }
    out.sort_unstable();
    out.dedup();
    out
}
