//! The real corpora: 400 CISA CSAF advisories, 3,000 Go OSV records and
//! 239 CVE JSON 5 records, imported and de-duplicated.
//!
//! The expected counts were derived independently with Python over the raw
//! JSON (union-find over `id` + `aliases` for OSV, `cveMetadata.cveId` for
//! CVE 5, and `cve` / `ids` per CSAF vulnerability):
//! OSV + CVE 5 give 3,068 vulnerabilities, 171 of them merged from one OSV
//! and one CVE record (the other 68 CVE records name Go ids outside the
//! sample); the 400 CSAF advisories hold 1,107 vulnerabilities, of which
//! ten CVEs appear in more than one advisory, leaving 1,095; all together
//! 4,163, with 181 merged groups absorbing 183 records.

use crate::support::{json_files, name, read};
use preflight_vuln::{Assessment, Format, import, merge};

fn import_dir(dir: &str, format: Format) -> (usize, Vec<Assessment>) {
    let files = json_files(dir);
    let mut out = Vec::new();
    for file in &files {
        let imported = import(&name(file), &read(file)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(imported.format, format, "{}", file.display());
        out.extend(imported.assessments);
    }
    (files.len(), out)
}

#[test]
fn osv_and_cve_records_that_share_ids_merge() {
    let (osv_files, osv) = import_dir("vuln/osv/go", Format::Osv);
    let (cve_files, cve) = import_dir("vuln/cve5/go", Format::Cve5);
    assert_eq!((osv_files, osv.len()), (3000, 3000));
    assert_eq!((cve_files, cve.len()), (239, 239));
    let merged = merge(osv.into_iter().chain(cve));
    assert_eq!(merged.assessments.len(), 3068);
    assert_eq!(merged.report.groups.len(), 171);
    assert_eq!(merged.report.absorbed(), 171);
    for g in &merged.report.groups {
        assert_eq!(g.members.len(), 2, "{g:?}");
        let (osv_member, cve_member) = (&g.members[0], &g.members[1]);
        assert!(osv_member.0 < 3000 && cve_member.0 >= 3000, "{g:?}");
        let merged = &merged.assessments[g.output];
        assert_eq!(merged.id, cve_member.1, "a CVE id is preferred");
        assert!(g.shared.contains(&merged.id), "{g:?}");
        assert_eq!(merged.sources.len(), 2);
        assert_eq!(merged.sources[0].format, Some(Format::Osv));
        assert_eq!(merged.sources[1].format, Some(Format::Cve5));
        assert!(merged.aliases.iter().any(|a| a.id.starts_with("GO-")));
    }
    // One record checked by hand: GO-2020-0003 and CVE-2020-36568.
    let revel = merged
        .assessments
        .iter()
        .find(|a| a.id == "CVE-2020-36568")
        .expect("merged revel record");
    let ids: Vec<String> = revel.aliases.iter().map(ToString::to_string).collect();
    assert_eq!(
        ids,
        ["CVE-2020-36568", "GHSA-hggr-p7v6-73p5", "GO-2020-0003"]
    );
    assert!(
        revel.cwes.iter().any(|c| c.to_string() == "CWE-400"),
        "from the CVE record"
    );
    assert!(
        revel
            .products
            .iter()
            .all(|p| p.name == "github.com/revel/revel")
    );
    assert_eq!(
        revel.title.as_deref(),
        Some("Resource exhaustion in github.com/revel/revel")
    );
}

#[test]
fn all_cisa_advisories_are_accepted_and_everything_dedupes() {
    let (csaf_files, csaf) = import_dir("vuln/csaf/cisa", Format::Csaf);
    assert_eq!((csaf_files, csaf.len()), (400, 1107));
    assert!(
        csaf.iter().all(|a| a.tlp == preflight_vuln::Tlp::Clear),
        "CISA publishes TLP:WHITE"
    );
    assert!(
        csaf.iter()
            .all(|a| !a.scores.is_empty() && !a.products.is_empty())
    );
    let (_, osv) = import_dir("vuln/osv/go", Format::Osv);
    let (_, cve) = import_dir("vuln/cve5/go", Format::Cve5);
    let merged = merge(osv.into_iter().chain(cve).chain(csaf));
    assert_eq!(merged.assessments.len(), 4163);
    assert_eq!(merged.report.groups.len(), 181);
    assert_eq!(merged.report.absorbed(), 183);
}

#[test]
fn vince_writes_a_version_range_as_a_product_version() {
    // CERT/CC's VINCE export names "< 6.0.1" a product_version: 6.1.31.
    let file = &json_files("vuln/csaf/vince")[0];
    let err = import(&name(file), &read(file)).expect_err("6.1.31 fails");
    assert_eq!(err.failed_tests(), ["6.1.31"], "{err}");
    assert!(
        err.to_string()
            .contains("/product_tree/branches/0/branches/0/branches/0/name"),
        "{err}"
    );
}

#[test]
fn the_oasis_examples_are_accepted() {
    let mut files = json_files("vuln/csaf/oasis/examples/csaf");
    files.extend(json_files("vuln/csaf/oasis/examples/csaf/csaf_vex"));
    let mut problems = Vec::new();
    for file in &files {
        if let Err(e) = import(&name(file), &read(file)) {
            problems.push(e.to_string());
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn bad_input_names_file_path_and_value() {
    let err = import("x.json", b"{\"id\": 1,").expect_err("truncated");
    assert!(
        err.to_string()
            .starts_with("x.json: not valid JSON at line 1"),
        "{err}"
    );
    let err = import("x.json", br#"{"hello": "world"}"#).expect_err("unknown");
    assert!(
        err.to_string()
            .starts_with("x.json: cannot tell the format"),
        "{err}"
    );
    let osv = br#"{"id": "GO-2099-0001", "modified": "yesterday"}"#;
    let err = import("GO-2099-0001.json", osv).expect_err("bad time");
    let text = err.to_string();
    assert!(
        text.contains("GO-2099-0001.json")
            && text.contains("/modified")
            && text.contains("yesterday"),
        "{text}"
    );
    let cve = br#"{"dataType": "CVE_RECORD", "dataVersion": "5.0", "cveMetadata": {"cveId": "CVE-20-1"}, "containers": {"cna": {}}}"#;
    let err = import("c.json", cve).expect_err("bad id");
    assert_eq!(
        err.to_string(),
        "c.json: /cveMetadata/cveId: expected a CVE id such as CVE-2024-12345 (value \"CVE-20-1\")"
    );
    let osv = br#"{"id": "GO-2099-0002", "modified": "2024-01-01T00:00:00Z", "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:X"}]}"#;
    let err = import("o.json", osv).expect_err("bad vector");
    let text = err.to_string();
    assert!(
        text.contains("/severity/0/score") && text.contains("CVSS:3.1/AV:X"),
        "{text}"
    );
}

#[test]
fn schema_violations_are_reported_with_their_path() {
    let file = &json_files("vuln/csaf/cisa")[0];
    let mut doc: serde_json::Value = serde_json::from_slice(&read(file)).expect("JSON");
    doc["document"]
        .as_object_mut()
        .expect("document")
        .remove("title");
    doc["document"]["tracking"]["current_release_date"] = serde_json::json!("last tuesday");
    let err = import("broken.json", &serde_json::to_vec(&doc).expect("json")).expect_err("schema");
    let preflight_vuln::VulnError::Schema {
        problems, format, ..
    } = &err
    else {
        panic!("{err}")
    };
    assert_eq!(*format, Format::Csaf);
    assert!(
        problems
            .iter()
            .any(|p| p.path == "/document" && p.message.contains("title")),
        "{err}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p.path == "/document/tracking/current_release_date"
                && p.value.contains("last tuesday")),
        "{err}"
    );
    let osv = br#"{"id": "GO-2099-0001", "modified": "2024-01-01T00:00:00Z", "affected": [{"package": {"ecosystem": "NotAnEcosystem", "name": "x"}}]}"#;
    let err = import("o.json", osv).expect_err("schema");
    assert!(
        err.to_string().contains("/affected/0/package/ecosystem"),
        "{err}"
    );
}
