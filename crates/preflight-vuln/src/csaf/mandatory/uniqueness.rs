//! 6.1.23 Multiple Use of Same CVE, 6.1.24 Multiple Definition in
//! Involvements, 6.1.25 Multiple Use of Same Hash Algorithm.

use super::Failures;
use crate::csaf::walk;
use crate::json::{arr, str_at};
use chrono::DateTime;
use serde_json::Value;
use std::collections::HashSet;

pub(super) fn check(doc: &Value, f: &mut Failures) {
    let mut cves = HashSet::new();
    for (v, vuln) in arr(doc, "vulnerabilities").iter().enumerate() {
        if let Some(cve) = str_at(vuln, "cve")
            && !cves.insert(cve)
        {
            f.fail(
                "6.1.23",
                format!("/vulnerabilities/{v}/cve"),
                cve,
                "this CVE is used by another vulnerability too",
            );
        }
        let mut involvements = HashSet::new();
        for (i, inv) in arr(vuln, "involvements").iter().enumerate() {
            let party = str_at(inv, "party").unwrap_or_default();
            let date = str_at(inv, "date").unwrap_or_default();
            let when = DateTime::parse_from_rfc3339(date)
                .map(|d| d.timestamp_micros())
                .ok();
            if !involvements.insert((
                party,
                when.map_or_else(|| date.to_owned(), |t| t.to_string()),
            )) {
                f.fail(
                    "6.1.24",
                    format!("/vulnerabilities/{v}/involvements/{i}"),
                    format!("{party} at {date}"),
                    "the same party and date are in another involvement",
                );
            }
        }
    }
    for (path, product) in walk::full_product_names(doc) {
        let Some(helper) = product.get("product_identification_helper") else {
            continue;
        };
        for (h, hash) in arr(helper, "hashes").iter().enumerate() {
            let mut algorithms = HashSet::new();
            for (i, fh) in arr(hash, "file_hashes").iter().enumerate() {
                if let Some(alg) = str_at(fh, "algorithm")
                    && !algorithms.insert(alg)
                {
                    f.fail(
                        "6.1.25",
                        format!("{path}/product_identification_helper/hashes/{h}/file_hashes/{i}/algorithm"),
                        alg,
                        "this hash algorithm is used twice for one file",
                    );
                }
            }
        }
    }
}
