//! 6.1.29 Remediation without Product Reference, 6.1.32 Flag without
//! Product Reference, 6.1.33 Multiple Flags with VEX Justification Codes
//! per Product.

use super::Failures;
use crate::csaf::walk;
use crate::json::arr;
use serde_json::Value;
use std::collections::HashSet;

fn has_products(item: &Value) -> bool {
    item.get("product_ids").is_some() || item.get("group_ids").is_some()
}

pub(super) fn check(doc: &Value, f: &mut Failures) {
    for (v, vuln) in arr(doc, "vulnerabilities").iter().enumerate() {
        for (i, r) in arr(vuln, "remediations").iter().enumerate() {
            if !has_products(r) {
                f.fail(
                    "6.1.29",
                    format!("/vulnerabilities/{v}/remediations/{i}"),
                    "remediation",
                    "names no product_ids or group_ids",
                );
            }
        }
        let mut flagged = HashSet::new();
        for (i, flag) in arr(vuln, "flags").iter().enumerate() {
            let path = format!("/vulnerabilities/{v}/flags/{i}");
            if !has_products(flag) {
                f.fail("6.1.32", &path, "flag", "names no product_ids or group_ids");
            }
            for id in walk::item_products(doc, flag) {
                if !flagged.insert(id) {
                    f.fail(
                        "6.1.33",
                        &path,
                        id,
                        "this product already has a flag in this vulnerability",
                    );
                }
            }
        }
    }
}
