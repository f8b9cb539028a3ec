//! CSAF 2.0 → assessments: one per vulnerability, with the products its
//! status lists name, resolved through the product tree.

use super::walk;
use crate::json::{arr, str_at};
use crate::model::{Alias, AtlasTechnique, OwaspLlm, Product, ProductStatus, Source, VersionRange};
use crate::{Assessment, Cvss, Format, Imported, Tlp, VulnError};
use chrono::{DateTime, Utc};
use serde_json::Value;
use std::collections::HashMap;

/// Note titles the exporter uses for AI taxonomies, read back on import.
pub(crate) const ATLAS_NOTE: &str = "MITRE ATLAS techniques";
pub(crate) const OWASP_NOTE: &str = "OWASP Top 10 for LLM Applications 2025";

/// What the product tree says about one product id.
#[derive(Clone, Debug, Default)]
struct Info {
    name: String,
    vendor: Option<String>,
    product: Option<String>,
    version: Option<String>,
    range: Option<String>,
    purl: Option<String>,
    cpe: Option<String>,
}

fn products(doc: &Value) -> HashMap<String, Info> {
    let mut out = HashMap::new();
    let Some(tree) = doc.get("product_tree") else {
        return out;
    };
    fn walk_branches(node: &Value, ctx: &Info, out: &mut HashMap<String, Info>) {
        for b in arr(node, "branches") {
            let mut here = ctx.clone();
            let name = str_at(b, "name").map(str::to_owned);
            match str_at(b, "category") {
                Some("vendor") => here.vendor = name,
                Some("product_name") => here.product = name,
                Some("product_version") => here.version = name,
                Some("product_version_range") => here.range = name,
                _ => {}
            }
            if let Some(p) = b.get("product") {
                let mut info = here.clone();
                fill(&mut info, p);
                if let Some(id) = str_at(p, "product_id") {
                    out.insert(id.to_owned(), info);
                }
            }
            walk_branches(b, &here, out);
        }
    }
    walk_branches(tree, &Info::default(), &mut out);
    for (_, p) in walk::full_product_names(doc) {
        if let Some(id) = str_at(p, "product_id")
            && !out.contains_key(id)
        {
            let mut info = Info::default();
            fill(&mut info, p);
            out.insert(id.to_owned(), info);
        }
    }
    out
}

fn fill(info: &mut Info, p: &Value) {
    info.name = str_at(p, "name").unwrap_or_default().to_owned();
    info.purl = p
        .pointer("/product_identification_helper/purl")
        .and_then(Value::as_str)
        .map(str::to_owned);
    info.cpe = p
        .pointer("/product_identification_helper/cpe")
        .and_then(Value::as_str)
        .map(str::to_owned);
}

const STATUS: [(&str, ProductStatus); 8] = [
    ("first_affected", ProductStatus::Affected),
    ("known_affected", ProductStatus::Affected),
    ("last_affected", ProductStatus::Affected),
    ("first_fixed", ProductStatus::Fixed),
    ("fixed", ProductStatus::Fixed),
    ("known_not_affected", ProductStatus::NotAffected),
    ("under_investigation", ProductStatus::UnderInvestigation),
    ("recommended", ProductStatus::Recommended),
];

fn date(s: Option<&str>) -> Option<DateTime<Utc>> {
    s.and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|d| d.with_timezone(&Utc))
}

/// Reads a CSAF 2.0 document after validating it (schema and mandatory
/// tests): one assessment per vulnerability.
pub fn import(file: &str, doc: &Value) -> Result<Imported, VulnError> {
    super::validate(file, doc)?;
    let document = &doc["document"];
    let tracking_id = document
        .pointer("/tracking/id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let tlp = match document
        .pointer("/distribution/tlp/label")
        .and_then(Value::as_str)
    {
        Some(label) => label.parse::<Tlp>().map_err(|e| {
            VulnError::invalid(
                file,
                "/document/distribution/tlp/label",
                label,
                e.to_string(),
            )
        })?,
        None => Tlp::default(),
    };
    // TLP 1 has no AMBER+STRICT; the exporter writes RED and says so in the text.
    let text = document
        .pointer("/distribution/text")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let tlp = if tlp == Tlp::Red && text.contains("TLP:AMBER+STRICT") {
        Tlp::AmberStrict
    } else {
        tlp
    };
    let products = products(doc);
    let doc_title = str_at(document, "title");
    let published = date(
        document
            .pointer("/tracking/initial_release_date")
            .and_then(Value::as_str),
    );
    let modified = date(
        document
            .pointer("/tracking/current_release_date")
            .and_then(Value::as_str),
    );
    let mut out = Vec::new();
    for (i, vuln) in arr(doc, "vulnerabilities").iter().enumerate() {
        let base = format!("/vulnerabilities/{i}");
        let source = Source::import(Format::Csaf, file, Some(tracking_id.clone()), base.clone());
        let mut aliases: Vec<Alias> = Vec::new();
        if let Some(cve) = str_at(vuln, "cve") {
            aliases.push(Alias::parse(cve).map_err(|e| {
                VulnError::invalid(file, format!("{base}/cve"), cve, e.to_string())
            })?);
        }
        for id in arr(vuln, "ids") {
            let (Some(system), Some(text)) = (str_at(id, "system_name"), str_at(id, "text")) else {
                continue;
            };
            aliases.push(Alias::vendor(system, text));
        }
        if aliases.is_empty() {
            aliases.push(Alias::vendor(&tracking_id, &format!("vulnerability-{i}")));
        }
        let mut aliases = aliases.into_iter();
        let Some(first) = aliases.next() else {
            continue;
        };
        let mut a = Assessment::new(first, source, tlp);
        for alias in aliases {
            a.add_alias(alias);
        }
        a.title = str_at(vuln, "title").or(doc_title).map(str::to_owned);
        for (n, note) in arr(vuln, "notes").iter().enumerate() {
            let text = str_at(note, "text").unwrap_or_default();
            match str_at(note, "title") {
                Some(ATLAS_NOTE) => {
                    for id in text.split([',', ' ', '\n']).filter(|s| !s.is_empty()) {
                        let t: AtlasTechnique = id.parse().map_err(|e: VulnError| {
                            VulnError::invalid(
                                file,
                                format!("{base}/notes/{n}/text"),
                                id,
                                e.to_string(),
                            )
                        })?;
                        a.ai.atlas.insert(t);
                    }
                }
                Some(OWASP_NOTE) => {
                    for id in text
                        .split([',', ' ', '\n'])
                        .filter(|s| s.starts_with("LLM"))
                    {
                        let c: OwaspLlm = id.parse().map_err(|e: VulnError| {
                            VulnError::invalid(
                                file,
                                format!("{base}/notes/{n}/text"),
                                id,
                                e.to_string(),
                            )
                        })?;
                        a.ai.owasp_llm.insert(c);
                    }
                }
                Some(super::export::CWE_NOTE) => {
                    for id in text.split([',', ' ', '\n']).filter(|s| !s.is_empty()) {
                        let c = id.parse().map_err(|e: VulnError| {
                            VulnError::invalid(
                                file,
                                format!("{base}/notes/{n}/text"),
                                id,
                                e.to_string(),
                            )
                        })?;
                        a.cwes.insert(c);
                    }
                }
                Some(super::export::CVSS_NOTE) => {
                    for vector in text.lines().map(str::trim).filter(|s| !s.is_empty()) {
                        let c = Cvss::parse(vector).map_err(|e| {
                            VulnError::invalid(
                                file,
                                format!("{base}/notes/{n}/text"),
                                vector,
                                e.to_string(),
                            )
                        })?;
                        a.push_score(c, 0);
                    }
                }
                _ => {
                    if matches!(
                        str_at(note, "category"),
                        Some("description" | "summary" | "details" | "general")
                    ) {
                        a.push_description(text, 0);
                    }
                }
            }
        }
        if let Some(id) = vuln.pointer("/cwe/id").and_then(Value::as_str) {
            let cwe = id.parse().map_err(|e: VulnError| {
                VulnError::invalid(file, format!("{base}/cwe/id"), id, e.to_string())
            })?;
            a.cwes.insert(cwe);
        }
        for (s, score) in arr(vuln, "scores").iter().enumerate() {
            for key in ["cvss_v3", "cvss_v2"] {
                let Some(vector) = score.get(key).and_then(|c| str_at(c, "vectorString")) else {
                    continue;
                };
                let cvss = Cvss::parse(vector).map_err(|e| {
                    VulnError::invalid(
                        file,
                        format!("{base}/scores/{s}/{key}/vectorString"),
                        vector,
                        e.to_string(),
                    )
                })?;
                a.push_score(cvss, 0);
            }
        }
        if let Some(status) = vuln.get("product_status") {
            for (list, st) in STATUS {
                for id in arr(status, list).iter().filter_map(Value::as_str) {
                    a.push_product(product(id, products.get(id), st));
                }
            }
        }
        for r in arr(vuln, "references") {
            if let Some(url) = str_at(r, "url") {
                a.push_reference(url, str_at(r, "category").map(str::to_owned));
            }
        }
        for ack in arr(vuln, "acknowledgments") {
            for name in arr(ack, "names").iter().filter_map(Value::as_str) {
                if !a.credits.iter().any(|c| c == name) {
                    a.credits.push(name.to_owned());
                }
            }
        }
        a.published = date(str_at(vuln, "release_date")).or(published);
        a.modified = modified;
        out.push(a);
    }
    Ok(Imported {
        format: Format::Csaf,
        document: Some(tracking_id),
        assessments: out,
    })
}

fn product(id: &str, info: Option<&Info>, status: ProductStatus) -> Product {
    let Some(info) = info else {
        return Product::new(id, status, 0);
    };
    let name = info.product.clone().unwrap_or_else(|| info.name.clone());
    let mut p = Product::new(name, status, 0);
    p.vendor = info.vendor.clone();
    p.purl = info.purl.clone();
    p.cpes = info.cpe.iter().cloned().collect();
    if let Some(v) = &info.version {
        p.versions.push(VersionRange {
            exact: Some(v.clone()),
            ..VersionRange::default()
        });
    }
    if let Some(r) = &info.range {
        p.versions.push(vers_to_range(r));
    }
    p
}

/// Reads a `product_version_range` name: a vers string
/// (`vers:semver/>=1.0.0|<2.0.0`) becomes introduced/fixed bounds where it
/// is that simple; anything else is kept as written.
fn vers_to_range(text: &str) -> VersionRange {
    let mut range = VersionRange {
        range: Some(text.to_owned()),
        ..VersionRange::default()
    };
    let Some(rest) = text.strip_prefix("vers:") else {
        return range;
    };
    let Some((scheme, constraints)) = rest.split_once('/') else {
        return range;
    };
    range.scheme = Some(scheme.to_owned());
    let parts: Vec<&str> = constraints.split('|').map(str::trim).collect();
    let simple = parts.len() <= 2
        && parts
            .iter()
            .all(|c| c.starts_with(">=") || c.starts_with('<'))
        && parts.iter().filter(|c| c.starts_with('<')).count() <= 1;
    if !simple {
        return range;
    }
    for c in parts {
        if let Some(v) = c.strip_prefix(">=") {
            range.introduced = Some(v.to_owned());
        } else if let Some(v) = c.strip_prefix("<=") {
            range.last_affected = Some(v.to_owned());
        } else if let Some(v) = c.strip_prefix('<') {
            range.fixed = Some(v.to_owned());
        }
    }
    if range.introduced.is_some() || range.fixed.is_some() || range.last_affected.is_some() {
        range.range = None;
    }
    range
}
