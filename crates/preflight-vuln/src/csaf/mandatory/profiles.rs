//! 6.1.27.1 to 6.1.27.11: what each CSAF profile requires.

use super::Failures;
use crate::csaf::walk;
use crate::json::{arr, str_at};
use serde_json::Value;

pub(super) fn check(doc: &Value, f: &mut Failures) {
    let category = doc
        .pointer("/document/category")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let informational = category == "csaf_informational_advisory";
    let incident = category == "csaf_security_incident_response";
    let advisory = category == "csaf_security_advisory";
    let vex = category == "csaf_vex";
    let vulns = arr(doc, "vulnerabilities");

    if informational || incident {
        // 6.1.27.1 Document Notes
        let ok = arr(&doc["document"], "notes").iter().any(|n| {
            matches!(
                str_at(n, "category"),
                Some("description" | "details" | "general" | "summary")
            )
        });
        if !ok {
            f.fail(
                "6.1.27.1",
                "/document/notes",
                category,
                "needs a note of category description, details, general or summary",
            );
        }
        // 6.1.27.2 Document References
        let ok = arr(&doc["document"], "references")
            .iter()
            .any(|r| str_at(r, "category") == Some("external"));
        if !ok {
            f.fail(
                "6.1.27.2",
                "/document/references",
                category,
                "needs a reference of category external",
            );
        }
    }
    // 6.1.27.3 Vulnerabilities
    if informational && doc.get("vulnerabilities").is_some() {
        f.fail(
            "6.1.27.3",
            "/vulnerabilities",
            category,
            "an informational advisory has no vulnerabilities",
        );
    }
    if !(advisory || vex) {
        return;
    }
    // 6.1.27.4 Product Tree
    if doc.get("product_tree").is_none() {
        f.fail(
            "6.1.27.4",
            "/product_tree",
            category,
            "needs a product tree",
        );
    }
    // 6.1.27.11 Vulnerabilities
    if doc.get("vulnerabilities").is_none() {
        f.fail(
            "6.1.27.11",
            "/vulnerabilities",
            category,
            "needs vulnerabilities",
        );
    }
    for (v, vuln) in vulns.iter().enumerate() {
        let base = format!("/vulnerabilities/{v}");
        // 6.1.27.5 Vulnerability Notes
        if vuln.get("notes").is_none() {
            f.fail(
                "6.1.27.5",
                format!("{base}/notes"),
                category,
                "each vulnerability needs notes",
            );
        }
        // 6.1.27.6 Product Status
        if vuln.get("product_status").is_none() {
            f.fail(
                "6.1.27.6",
                format!("{base}/product_status"),
                category,
                "each vulnerability needs a product status",
            );
        }
        if !vex {
            continue;
        }
        let status = vuln.get("product_status").unwrap_or(&Value::Null);
        // 6.1.27.7 VEX Product Status
        if ![
            "fixed",
            "known_affected",
            "known_not_affected",
            "under_investigation",
        ]
        .iter()
        .any(|k| status.get(k).is_some())
        {
            f.fail(
                "6.1.27.7",
                format!("{base}/product_status"),
                category,
                "needs fixed, known_affected, known_not_affected or under_investigation",
            );
        }
        // 6.1.27.8 Vulnerability ID
        if vuln.get("cve").is_none() && vuln.get("ids").is_none() {
            f.fail(
                "6.1.27.8",
                &base,
                category,
                "each vulnerability needs a cve or ids",
            );
        }
        // 6.1.27.9 Impact Statement
        let mut stated: Vec<&str> = arr(vuln, "flags")
            .iter()
            .flat_map(|fl| walk::item_products(doc, fl))
            .collect();
        stated.extend(
            arr(vuln, "threats")
                .iter()
                .filter(|t| str_at(t, "category") == Some("impact"))
                .flat_map(|t| walk::item_products(doc, t)),
        );
        for (i, id) in arr(status, "known_not_affected").iter().enumerate() {
            if let Some(id) = id.as_str()
                && !stated.contains(&id)
            {
                f.fail(
                    "6.1.27.9",
                    format!("{base}/product_status/known_not_affected/{i}"),
                    id,
                    "a not-affected product needs an impact statement (a flag or an impact threat)",
                );
            }
        }
        // 6.1.27.10 Action Statement
        let acted: Vec<&str> = arr(vuln, "remediations")
            .iter()
            .flat_map(|r| walk::item_products(doc, r))
            .collect();
        for (i, id) in arr(status, "known_affected").iter().enumerate() {
            if let Some(id) = id.as_str()
                && !acted.contains(&id)
            {
                f.fail(
                    "6.1.27.10",
                    format!("{base}/product_status/known_affected/{i}"),
                    id,
                    "an affected product needs an action statement (a remediation)",
                );
            }
        }
    }
}
