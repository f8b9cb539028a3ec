//! Assessments → a STIX 2.1 bundle: one `vulnerability` per assessment with
//! its ids, weaknesses, AI techniques and references as external
//! references and its CVSS scores in a property extension, a `report` tying
//! them together, the publishing `identity`, the `extension-definition` of
//! the scores, and the official TLP 2.0 `marking-definition` objects they
//! are marked with. Ids are UUIDv5 of the assessment id, so exporting the
//! same record twice gives the same STIX id.

use crate::model::AliasKind;
use crate::{Assessment, Tlp};
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

/// The STIX 2.1 extension definition TLP 2.0 markings use.
pub const TLP_2_EXTENSION: &str = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d";

/// Who publishes the bundle and when.
#[derive(Clone, Debug)]
pub struct StixMeta {
    /// The publishing organisation (a STIX `identity`).
    pub publisher: String,
    /// The report's name.
    pub report_name: String,
    /// When the bundle's objects were made (`created` of the identity and
    /// report, and of records without a publication date).
    pub created: DateTime<Utc>,
}

/// `created` of the CVSS extension's definition: the same in every bundle,
/// as its id is for one publisher.
const CVSS_EXTENSION_CREATED: &str = "2026-11-27T00:00:00.000Z";

fn namespace() -> Uuid {
    Uuid::new_v5(&Uuid::NAMESPACE_URL, b"https://preflight.invalid/stix/2.1")
}

/// A deterministic STIX id of `kind` for `name`.
pub fn stix_id(kind: &str, name: &str) -> String {
    format!(
        "{kind}--{}",
        Uuid::new_v5(&namespace(), format!("{kind}:{name}").as_bytes())
    )
}

fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// The official STIX 2.1 marking-definition object of a TLP 2.0 label.
pub fn tlp_marking(tlp: Tlp) -> Value {
    json!({
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": tlp.stix_marking_id(),
        "created": "2022-10-01T00:00:00.000Z",
        "name": format!("TLP:{}", tlp.as_str()),
        "extensions": {
            TLP_2_EXTENSION: {
                "extension_type": "property-extension",
                "tlp_2_0": tlp.as_str().to_ascii_lowercase(),
            }
        }
    })
}

/// The `extension-definition` (id `id`) of the property extension that
/// carries a vulnerability's CVSS scores (STIX 2.1 has no property for
/// them), made by the publishing `identity`.
fn cvss_extension(id: &str, identity: &str) -> Value {
    json!({
        "type": "extension-definition",
        "spec_version": "2.1",
        "id": id,
        "created": CVSS_EXTENSION_CREATED,
        "modified": CVSS_EXTENSION_CREATED,
        "created_by_ref": identity,
        "name": "CVSS scores",
        "description": "The CVSS scores given to a vulnerability, each with its CVSS version, vector and base score.",
        "schema": "A property extension of vulnerability objects with one property, scores: a list of objects with version (the CVSS version: \"2.0\", \"3.0\", \"3.1\" or \"4.0\"), vector (the vector string) and base_score (a number from 0.0 to 10.0).",
        "version": "1.0.0",
        "extension_types": ["property-extension"],
    })
}

fn source_name(kind: &AliasKind) -> String {
    match kind {
        AliasKind::Cve => "cve".to_owned(),
        AliasKind::Ghsa => "ghsa".to_owned(),
        AliasKind::Go => "go".to_owned(),
        AliasKind::Osv => "osv".to_owned(),
        AliasKind::Vendor(system) => system.clone(),
    }
}

fn vulnerability(
    a: &Assessment,
    identity: &str,
    cvss_extension: &str,
    created: DateTime<Utc>,
) -> Value {
    let mut refs = Vec::new();
    for alias in &a.aliases {
        let mut r = json!({"source_name": source_name(&alias.kind), "external_id": alias.id});
        match alias.kind {
            AliasKind::Cve => {
                r["url"] = json!(format!("https://www.cve.org/CVERecord?id={}", alias.id))
            }
            AliasKind::Ghsa => {
                r["url"] = json!(format!("https://github.com/advisories/{}", alias.id))
            }
            AliasKind::Go => r["url"] = json!(format!("https://pkg.go.dev/vuln/{}", alias.id)),
            _ => {}
        }
        refs.push(r);
    }
    for c in &a.cwes {
        refs.push(json!({
            "source_name": "cwe",
            "external_id": c.to_string(),
            "url": format!("https://cwe.mitre.org/data/definitions/{}.html", c.number()),
        }));
    }
    for t in &a.ai.atlas {
        refs.push(json!({
            "source_name": "mitre-atlas",
            "external_id": t.as_str(),
            "url": format!("https://atlas.mitre.org/techniques/{}", t.as_str()),
        }));
    }
    for c in &a.ai.owasp_llm {
        refs.push(json!({
            "source_name": "owasp-llm-top-10-2025",
            "external_id": c.id(),
            "description": c.title(),
        }));
    }
    for r in &a.references {
        refs.push(json!({"source_name": r.kind.clone().unwrap_or_else(|| "reference".to_owned()), "url": r.url}));
    }
    let made = a.published.unwrap_or(created);
    let modified = a.modified.filter(|m| *m > made).unwrap_or(made);
    let mut v = json!({
        "type": "vulnerability",
        "spec_version": "2.1",
        "id": stix_id("vulnerability", &a.id),
        "created": time(made),
        "modified": time(modified),
        "created_by_ref": identity,
        "name": a.id,
        "external_references": refs,
        "object_marking_refs": [a.tlp.stix_marking_id()],
    });
    let mut description: Vec<&str> = a.title.iter().map(String::as_str).collect();
    description.extend(a.descriptions.iter().map(|t| t.text.as_str()));
    if !description.is_empty() {
        v["description"] = json!(description.join("\n\n"));
    }
    if !a.scores.is_empty() {
        let scores: Vec<Value> = a
            .scores
            .iter()
            .map(|s| json!({"version": s.cvss.version().as_str(), "vector": s.cvss.vector(), "base_score": s.cvss.base_score()}))
            .collect();
        v["extensions"] = json!({
            cvss_extension: {"extension_type": "property-extension", "scores": scores}
        });
    }
    v
}

/// Writes `assessments` as one STIX 2.1 bundle.
pub fn export(assessments: &[Assessment], meta: &StixMeta) -> Value {
    let identity = stix_id("identity", &meta.publisher);
    let mut objects = vec![json!({
        "type": "identity",
        "spec_version": "2.1",
        "id": identity,
        "created": time(meta.created),
        "modified": time(meta.created),
        "name": meta.publisher,
        "identity_class": "organization",
    })];
    let mut labels: Vec<Tlp> = assessments.iter().map(|a| a.tlp).collect();
    labels.sort();
    labels.dedup();
    objects.extend(labels.iter().map(|t| tlp_marking(*t)));
    let cvss_id = stix_id("extension-definition", &format!("cvss|{identity}"));
    if assessments.iter().any(|a| !a.scores.is_empty()) {
        objects.push(cvss_extension(&cvss_id, &identity));
    }
    let vulns: Vec<Value> = assessments
        .iter()
        .map(|a| vulnerability(a, &identity, &cvss_id, meta.created))
        .collect();
    let refs: Vec<Value> = vulns.iter().map(|v| v["id"].clone()).collect();
    let ids: Vec<&str> = assessments.iter().map(|a| a.id.as_str()).collect();
    objects.extend(vulns);
    if !refs.is_empty() {
        let strictest = labels.last().copied().unwrap_or_default();
        objects.push(json!({
            "type": "report",
            "spec_version": "2.1",
            "id": stix_id("report", &format!("{}|{}|{}", meta.report_name, time(meta.created), ids.join(","))),
            "created": time(meta.created),
            "modified": time(meta.created),
            "created_by_ref": identity,
            "name": meta.report_name,
            "report_types": ["vulnerability"],
            "published": time(meta.created),
            "object_refs": refs,
            "object_marking_refs": [strictest.stix_marking_id()],
        }));
    }
    json!({
        "type": "bundle",
        "id": stix_id("bundle", &format!("{}|{}|{}", meta.report_name, time(meta.created), ids.join(","))),
        "objects": objects,
    })
}
