//! STIX 2.1 export: well-formed ids, timestamps, markings and references.

use crate::support::{json_files, name, read};
use chrono::{TimeZone, Utc};
use preflight_vuln::stix::{StixMeta, export};
use preflight_vuln::{Tlp, import};
use serde_json::Value;
use std::collections::HashSet;

fn is_stix_id(id: &str, kind: &str) -> bool {
    id.strip_prefix(kind)
        .and_then(|r| r.strip_prefix("--"))
        .and_then(|u| uuid::Uuid::parse_str(u).ok())
        .is_some_and(|u| u.get_version_num() == 4 || u.get_version_num() == 5)
}

#[test]
fn a_bundle_of_real_records_is_well_formed() {
    let mut records = Vec::new();
    for file in json_files("vuln/csaf/cisa").into_iter().take(20) {
        records.extend(
            import(&name(&file), &read(&file))
                .expect("imports")
                .assessments,
        );
    }
    records[0].tlp = Tlp::AmberStrict;
    records[1]
        .ai
        .atlas
        .insert("AML.T0051.000".parse().expect("atlas"));
    let meta = StixMeta {
        publisher: "Preflight clearinghouse".to_owned(),
        report_name: "Weekly advisories".to_owned(),
        created: Utc
            .with_ymd_and_hms(2026, 6, 2, 12, 0, 0)
            .single()
            .expect("a date"),
    };
    let bundle = export(&records, &meta);
    assert_eq!(bundle["type"], "bundle");
    assert!(is_stix_id(bundle["id"].as_str().expect("id"), "bundle"));
    let objects = bundle["objects"].as_array().expect("objects");
    let ids: HashSet<&str> = objects
        .iter()
        .map(|o| o["id"].as_str().expect("every object has an id"))
        .collect();
    assert_eq!(ids.len(), objects.len(), "ids are unique");
    let vulns: Vec<&Value> = objects
        .iter()
        .filter(|o| o["type"] == "vulnerability")
        .collect();
    assert_eq!(vulns.len(), records.len());
    for o in objects {
        let kind = o["type"].as_str().expect("type");
        assert_eq!(o["spec_version"], "2.1", "{o}");
        assert!(is_stix_id(o["id"].as_str().expect("id"), kind), "{o}");
        let created = o["created"].as_str().expect("created");
        assert!(
            created.ends_with('Z') && chrono::DateTime::parse_from_rfc3339(created).is_ok(),
            "{created}"
        );
        if kind != "marking-definition" {
            assert!(o["modified"].as_str().expect("modified") >= created, "{o}");
        }
        for r in o["object_marking_refs"]
            .as_array()
            .into_iter()
            .flatten()
            .chain(o["object_refs"].as_array().into_iter().flatten())
            .chain(o.get("created_by_ref"))
        {
            assert!(
                ids.contains(r.as_str().expect("a ref")),
                "{r} is in the bundle"
            );
        }
        let custom: Vec<&String> = o
            .as_object()
            .expect("an object")
            .keys()
            .filter(|k| k.starts_with("x_"))
            .collect();
        assert!(custom.is_empty(), "custom properties {custom:?} in {o}");
    }
    // CVSS scores travel in a property extension defined in the bundle.
    let definition = objects
        .iter()
        .find(|o| o["type"] == "extension-definition")
        .expect("the CVSS extension's definition");
    assert_eq!(definition["extension_types"][0], "property-extension");
    let extension = definition["id"].as_str().expect("id");
    let (record, scored) = records
        .iter()
        .find_map(|a| {
            let v = vulns.iter().find(|v| v["name"] == a.id)?;
            (!a.scores.is_empty()).then_some((a, v))
        })
        .expect("a record with a score");
    let written = &scored["extensions"][extension];
    assert_eq!(written["extension_type"], "property-extension");
    let vectors: Vec<&str> = written["scores"]
        .as_array()
        .expect("scores")
        .iter()
        .map(|s| s["vector"].as_str().expect("a vector"))
        .collect();
    let want: Vec<&str> = record.scores.iter().map(|s| s.cvss.vector()).collect();
    assert_eq!(vectors, want);
    let first = vulns
        .iter()
        .find(|v| v["name"] == records[0].id)
        .expect("first record");
    assert_eq!(
        first["object_marking_refs"][0],
        "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"
    );
    let cve = first["external_references"]
        .as_array()
        .expect("refs")
        .iter()
        .find(|r| r["source_name"] == "cve")
        .expect("cve ref");
    assert_eq!(cve["external_id"], records[0].id);
    let atlas = vulns
        .iter()
        .find(|v| v["name"] == records[1].id)
        .expect("second")["external_references"]
        .as_array()
        .expect("refs")
        .iter()
        .any(|r| r["source_name"] == "mitre-atlas" && r["external_id"] == "AML.T0051.000");
    assert!(atlas);
    let clear = objects
        .iter()
        .find(|o| o["id"] == Tlp::Clear.stix_marking_id())
        .expect("CLEAR marking");
    assert_eq!(clear["name"], "TLP:CLEAR");
    assert_eq!(
        clear["extensions"]["extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"]["tlp_2_0"],
        "clear"
    );
    let report = objects
        .iter()
        .find(|o| o["type"] == "report")
        .expect("a report");
    assert_eq!(
        report["object_refs"].as_array().expect("refs").len(),
        records.len()
    );
    assert_eq!(
        report["object_marking_refs"][0],
        Tlp::AmberStrict.stix_marking_id()
    );
    assert_eq!(
        export(&records, &meta),
        bundle,
        "the export is deterministic"
    );
}
