//! 6.1.1 to 6.1.5: product and group ids are defined, once, without cycles.

use super::Failures;
use crate::csaf::walk;
use crate::json::arr;
use serde_json::Value;
use std::collections::{HashMap, HashSet};

pub(super) fn check(doc: &Value, f: &mut Failures) {
    let defs = walk::product_definitions(doc);
    let defined: HashSet<&str> = defs.iter().map(|(_, id)| *id).collect();
    // 6.1.1 Missing Definition of Product ID
    for (path, id) in walk::product_references(doc) {
        if !defined.contains(id) {
            f.fail(
                "6.1.1",
                path,
                id,
                "product id is referenced but not defined",
            );
        }
    }
    // 6.1.2 Multiple Definition of Product ID
    let mut seen = HashSet::new();
    for (path, id) in &defs {
        if !seen.insert(*id) {
            f.fail(
                "6.1.2",
                path.clone(),
                id,
                "product id is defined more than once",
            );
        }
    }
    // 6.1.3 Circular Definition of Product ID
    circular(doc, f);
    // 6.1.4 Missing Definition of Product Group ID
    let groups = walk::group_definitions(doc);
    let defined: HashSet<&str> = groups.iter().map(|(_, id)| *id).collect();
    for (path, id) in walk::group_references(doc) {
        if !defined.contains(id) {
            f.fail(
                "6.1.4",
                path,
                id,
                "product group id is referenced but not defined",
            );
        }
    }
    // 6.1.5 Multiple Definition of Product Group ID
    let mut seen = HashSet::new();
    for (path, id) in &groups {
        if !seen.insert(*id) {
            f.fail(
                "6.1.5",
                path.clone(),
                id,
                "product group id is defined more than once",
            );
        }
    }
}

/// A relationship defines a product from two others; following those
/// references from a defined id must never lead back to it.
fn circular(doc: &Value, f: &mut Failures) {
    let Some(tree) = doc.get("product_tree") else {
        return;
    };
    let rels = arr(tree, "relationships");
    let mut edges: HashMap<&str, Vec<&str>> = HashMap::new();
    for r in rels {
        let Some(id) = r
            .pointer("/full_product_name/product_id")
            .and_then(Value::as_str)
        else {
            continue;
        };
        for key in ["product_reference", "relates_to_product_reference"] {
            if let Some(to) = r.get(key).and_then(Value::as_str) {
                edges.entry(id).or_default().push(to);
            }
        }
    }
    for (i, r) in rels.iter().enumerate() {
        let Some(id) = r
            .pointer("/full_product_name/product_id")
            .and_then(Value::as_str)
        else {
            continue;
        };
        let mut stack: Vec<&str> = edges.get(id).cloned().unwrap_or_default();
        let mut visited = HashSet::new();
        while let Some(next) = stack.pop() {
            if next == id {
                f.fail(
                    "6.1.3",
                    format!("/product_tree/relationships/{i}/full_product_name/product_id"),
                    id,
                    "product id is defined in terms of itself",
                );
                break;
            }
            if visited.insert(next) {
                stack.extend(edges.get(next).into_iter().flatten());
            }
        }
    }
}
