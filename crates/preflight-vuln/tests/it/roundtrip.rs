//! import → export → import keeps ids, aliases, scores and products; the
//! exports pass their schemas (and, for CSAF, the mandatory tests).

use crate::support::{json_files, name, read, testdata};
use chrono::{TimeZone, Utc};
use preflight_vuln::csaf::{CsafMeta, Publisher};
use preflight_vuln::{Assessment, Format, ProductStatus, Tlp, import, merge};
use serde_json::json;
use std::collections::BTreeSet;

fn when() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 2, 12, 0, 0)
        .single()
        .expect("a date")
}

fn meta(id: &str) -> CsafMeta {
    CsafMeta {
        id: id.to_owned(),
        title: format!("Clearinghouse advisory {id}"),
        publisher: Publisher {
            category: "coordinator".to_owned(),
            name: "Preflight clearinghouse".to_owned(),
            namespace: "https://clearinghouse.example".to_owned(),
        },
        revisions: vec![(when(), "Initial release".to_owned())],
        lang: "en".to_owned(),
    }
}

/// What must survive a round trip: id, alias keys, scores, products.
type Essence = (
    String,
    BTreeSet<String>,
    BTreeSet<String>,
    BTreeSet<(String, ProductStatus)>,
);

fn essence(a: &Assessment) -> Essence {
    (
        a.id.clone(),
        a.aliases.iter().map(|x| x.key()).collect(),
        a.scores
            .iter()
            .map(|s| format!("{} {}", s.cvss.vector(), s.cvss.base_score()))
            .collect(),
        a.products
            .iter()
            .map(|p| (p.name.clone(), p.status))
            .collect(),
    )
}

fn schema_errors(validator: &jsonschema::Validator, doc: &serde_json::Value) -> Vec<String> {
    match validator.validate(doc) {
        Ok(()) => Vec::new(),
        Err(errors) => errors.map(|e| e.to_string()).collect(),
    }
}

fn osv_validator() -> jsonschema::Validator {
    let schema: serde_json::Value =
        serde_json::from_slice(&read(&testdata().join("vuln/osv/schema.json")))
            .expect("the OSV schema");
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the OSV schema compiles")
}

#[test]
fn cisa_csaf_survives_csaf_and_osv_export() {
    let osv_schema = osv_validator();
    for file in json_files("vuln/csaf/cisa") {
        let original = import(&name(&file), &read(&file)).unwrap_or_else(|e| panic!("{e}"));
        let csaf = preflight_vuln::csaf::export(&original.assessments, &meta("PF-TEST-1"))
            .expect("exports");
        preflight_vuln::csaf::validate("export.json", &csaf)
            .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let bytes = serde_json::to_vec(&csaf).expect("serialises");
        let back = import("export.json", &bytes).expect("re-imports");
        let want: Vec<_> = original.assessments.iter().map(essence).collect();
        let got: Vec<_> = back.assessments.iter().map(essence).collect();
        assert_eq!(got, want, "{}", file.display());
        for a in &original.assessments {
            let osv = preflight_vuln::osv::export(a, when());
            let errors = schema_errors(&osv_schema, &osv);
            assert!(errors.is_empty(), "{}: {errors:?}", file.display());
            let back = import("osv.json", &serde_json::to_vec(&osv).expect("serialises"))
                .expect("re-imports");
            let b = &back.assessments[0];
            assert_eq!(
                (&b.id, b.aliases.len(), b.scores.len()),
                (&a.id, a.aliases.len(), a.scores.len())
            );
        }
    }
}

#[test]
fn merged_go_records_survive_every_export() {
    let mut records = Vec::new();
    for dir in ["vuln/osv/go", "vuln/cve5/go"] {
        for file in json_files(dir).into_iter().take(400) {
            records.extend(
                import(&name(&file), &read(&file))
                    .unwrap_or_else(|e| panic!("{e}"))
                    .assessments,
            );
        }
    }
    let merged = merge(records).assessments;
    let osv_schema = osv_validator();
    let org = uuid::Uuid::from_u128(0x1bb62c36_49e3_4200_9d77_64a1400537cc);
    for a in &merged {
        let osv = preflight_vuln::osv::export(a, when());
        let errors = schema_errors(&osv_schema, &osv);
        assert!(errors.is_empty(), "{}: {errors:?}", a.id);
        let back = &import("o.json", &serde_json::to_vec(&osv).expect("json"))
            .expect("osv re-imports")
            .assessments[0];
        assert_eq!(essence(back).1, essence(a).1, "{}", a.id);
        assert_eq!(essence(back).0, essence(a).0);
        let affected: BTreeSet<_> = a
            .products
            .iter()
            .filter(|p| p.status == ProductStatus::Affected)
            .map(|p| &p.name)
            .collect();
        assert_eq!(
            back.products
                .iter()
                .map(|p| &p.name)
                .collect::<BTreeSet<_>>(),
            affected,
            "{}",
            a.id
        );
        if a.cves().next().is_some() {
            let cve = preflight_vuln::cve5::export(a, org, when()).expect("has a CVE");
            let back = &import("c.json", &serde_json::to_vec(&cve).expect("json"))
                .expect("cve re-imports")
                .assessments[0];
            assert_eq!(back.id, a.id);
            assert_eq!(back.cwes, a.cwes);
            assert_eq!(
                back.products
                    .iter()
                    .map(|p| (&p.name, p.status))
                    .collect::<BTreeSet<_>>(),
                a.products
                    .iter()
                    .map(|p| (&p.name, p.status))
                    .collect::<BTreeSet<_>>(),
                "{}",
                a.id
            );
        }
    }
    let csaf = preflight_vuln::csaf::export(&merged, &meta("PF-TEST-GO")).expect("exports");
    preflight_vuln::csaf::validate("go.json", &csaf).unwrap_or_else(|e| panic!("{e}"));
    let back = import("go.json", &serde_json::to_vec(&csaf).expect("json")).expect("re-imports");
    let want: Vec<_> = merged
        .iter()
        .map(|a| (essence(a).0, essence(a).1, essence(a).2))
        .collect();
    let got: Vec<_> = back
        .assessments
        .iter()
        .map(|a| (essence(a).0, essence(a).1, essence(a).2))
        .collect();
    assert_eq!(got, want);
}

#[test]
fn ai_taxonomies_cvss4_and_tlp_survive_csaf() {
    let file = json_files("vuln/osv/go")
        .into_iter()
        .next()
        .expect("a record");
    let mut a = import(&name(&file), &read(&file))
        .expect("imports")
        .assessments
        .remove(0);
    a.ai.atlas.insert("AML.T0051".parse().expect("atlas"));
    a.ai.owasp_llm.insert("LLM01".parse().expect("owasp"));
    a.cwes.insert(preflight_vuln::Cwe::LLM_PROMPT);
    a.cwes.insert(preflight_vuln::Cwe::new(79));
    a.tlp = Tlp::AmberStrict;
    a.scores.push(preflight_vuln::Score {
        cvss: preflight_vuln::Cvss::parse(
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
        )
        .expect("v4"),
        from: 0,
    });
    let csaf =
        preflight_vuln::csaf::export(std::slice::from_ref(&a), &meta("PF-AI-1")).expect("exports");
    assert_eq!(csaf["document"]["distribution"]["tlp"]["label"], "RED");
    let back = import("ai.json", &serde_json::to_vec(&csaf).expect("json"))
        .expect("re-imports")
        .assessments
        .remove(0);
    assert_eq!(back.ai, a.ai);
    assert_eq!(back.cwes, a.cwes);
    assert_eq!(back.tlp, Tlp::AmberStrict);
    assert_eq!(essence(&back), essence(&a));
    let _ = Format::Csaf;
}

#[test]
fn csaf_names_a_weakness_by_its_name_in_the_newest_cwe_list() {
    let file = json_files("vuln/osv/go")
        .into_iter()
        .next()
        .expect("a record");
    let mut a = import(&name(&file), &read(&file))
        .expect("imports")
        .assessments
        .remove(0);
    // CWE-400 has had four names over the CWE list's versions; the newest
    // is what validators of 6.1.11 accept.
    a.cwes = [400, 787].map(preflight_vuln::Cwe::new).into();
    let csaf =
        preflight_vuln::csaf::export(std::slice::from_ref(&a), &meta("PF-CWE-1")).expect("exports");
    let v = &csaf["vulnerabilities"][0];
    assert_eq!(
        v["cwe"],
        json!({"id": "CWE-400", "name": "Uncontrolled Resource Consumption"})
    );
    let note = v["notes"]
        .as_array()
        .expect("notes")
        .iter()
        .find(|n| n["title"] == "Further weaknesses (CWE)")
        .expect("a note with the other weaknesses");
    assert_eq!(note["text"], "CWE-787");
    let back = import("cwe.json", &serde_json::to_vec(&csaf).expect("json"))
        .expect("re-imports")
        .assessments
        .remove(0);
    assert_eq!(back.cwes, a.cwes);
}
