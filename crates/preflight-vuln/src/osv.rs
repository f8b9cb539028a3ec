//! OSV (schema 1.x): read a record into an [`Assessment`], write one back.

use crate::json::{arr, str_at};
use crate::model::{Alias, Product, ProductStatus, Source, VersionRange};
use crate::{Assessment, Cvss, CvssVersion, Format, Imported, Tlp, VulnError, schema};
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value, json};

/// The OSV schema version written by [`export`].
pub const SCHEMA_VERSION: &str = "1.7.0";

/// Reads one OSV record (validated against the OSV schema).
pub fn import(file: &str, doc: &Value) -> Result<Imported, VulnError> {
    schema::check(file, Format::Osv, doc)?;
    let id = str_at(doc, "id").unwrap_or_default();
    let source = Source::import(Format::Osv, file, Some(id.to_owned()), "");
    let mut a = Assessment::new(Alias::parse_or_vendor(id, "osv"), source, Tlp::Clear);
    for (i, alias) in arr(doc, "aliases").iter().enumerate() {
        let alias = alias.as_str().ok_or_else(|| {
            VulnError::invalid(file, format!("/aliases/{i}"), alias, "an alias is a string")
        })?;
        a.add_alias(Alias::parse_or_vendor(alias, "osv"));
    }
    a.title = str_at(doc, "summary")
        .map(str::to_owned)
        .filter(|s| !s.is_empty());
    if let Some(details) = str_at(doc, "details") {
        a.push_description(details, 0);
    }
    a.published = date(file, doc, "published")?;
    a.modified = date(file, doc, "modified")?;
    for (i, sev) in arr(doc, "severity").iter().enumerate() {
        if let Some(cvss) = severity(file, &format!("/severity/{i}"), sev)? {
            a.push_score(cvss, 0);
        }
    }
    for (i, affected) in arr(doc, "affected").iter().enumerate() {
        let path = format!("/affected/{i}");
        let package = affected.get("package");
        let name = package
            .and_then(|p| str_at(p, "name"))
            .or_else(|| package.and_then(|p| str_at(p, "purl")))
            .unwrap_or("unknown");
        let mut product = Product::new(name, ProductStatus::Affected, 0);
        product.ecosystem = package
            .and_then(|p| str_at(p, "ecosystem"))
            .map(str::to_owned);
        product.purl = package.and_then(|p| str_at(p, "purl")).map(str::to_owned);
        for range in arr(affected, "ranges") {
            product.versions.extend(ranges(range));
        }
        for v in arr(affected, "versions").iter().filter_map(Value::as_str) {
            product.versions.push(VersionRange {
                exact: Some(v.to_owned()),
                ..VersionRange::default()
            });
        }
        for (j, sev) in arr(affected, "severity").iter().enumerate() {
            if let Some(cvss) = severity(file, &format!("{path}/severity/{j}"), sev)? {
                a.push_score(cvss, 0);
            }
        }
        a.push_product(product);
    }
    for r in arr(doc, "references") {
        if let Some(url) = str_at(r, "url") {
            a.push_reference(url, str_at(r, "type").map(str::to_owned));
        }
    }
    for c in arr(doc, "credits") {
        if let Some(name) = str_at(c, "name") {
            a.credits.push(name.to_owned());
        }
    }
    if let Some(products) = doc
        .get("database_specific")
        .and_then(|d| d.get("affected_products"))
        .and_then(Value::as_array)
    {
        for (i, p) in products.iter().enumerate() {
            let mut product: Product = serde_json::from_value(p.clone()).map_err(|e| {
                VulnError::invalid(
                    file,
                    format!("/database_specific/affected_products/{i}"),
                    p,
                    e.to_string(),
                )
            })?;
            product.from = 0;
            a.push_product(product);
        }
    }
    if let Some(cwes) = doc
        .get("database_specific")
        .and_then(|d| d.get("cwe_ids"))
        .and_then(Value::as_array)
    {
        for (i, c) in cwes.iter().enumerate() {
            let text = c.as_str().unwrap_or_default();
            let cwe = text.parse().map_err(|_| {
                VulnError::invalid(
                    file,
                    format!("/database_specific/cwe_ids/{i}"),
                    c,
                    "expected a CWE id such as CWE-79",
                )
            })?;
            a.cwes.insert(cwe);
        }
    }
    Ok(Imported {
        format: Format::Osv,
        document: Some(id.to_owned()),
        assessments: vec![a],
    })
}

fn date(file: &str, doc: &Value, key: &str) -> Result<Option<DateTime<Utc>>, VulnError> {
    match str_at(doc, key) {
        None => Ok(None),
        Some(s) => DateTime::parse_from_rfc3339(s)
            .map(|d| Some(d.with_timezone(&Utc)))
            .map_err(|e| {
                VulnError::invalid(
                    file,
                    format!("/{key}"),
                    s,
                    format!("not an RFC 3339 time: {e}"),
                )
            }),
    }
}

/// A CVSS severity entry; other severity types (such as `Ubuntu`) carry no
/// vector and are not scores.
fn severity(file: &str, path: &str, sev: &Value) -> Result<Option<Cvss>, VulnError> {
    let kind = str_at(sev, "type").unwrap_or_default();
    if !kind.starts_with("CVSS_") {
        return Ok(None);
    }
    let score = str_at(sev, "score").unwrap_or_default();
    let cvss = Cvss::parse(score)
        .map_err(|e| VulnError::invalid(file, format!("{path}/score"), score, e.to_string()))?;
    let expected = match kind {
        "CVSS_V2" => &[CvssVersion::V2][..],
        "CVSS_V3" => &[CvssVersion::V30, CvssVersion::V31][..],
        "CVSS_V4" => &[CvssVersion::V40][..],
        _ => &[][..],
    };
    if !expected.contains(&cvss.version()) {
        return Err(VulnError::invalid(
            file,
            format!("{path}/type"),
            kind,
            format!(
                "does not match the vector's CVSS version {}",
                cvss.version()
            ),
        ));
    }
    Ok(Some(cvss))
}

/// An OSV range's events as spans: each `introduced` up to the next `fixed`
/// or `last_affected`; a trailing `limit` is kept on the last span.
fn ranges(range: &Value) -> Vec<VersionRange> {
    let scheme = str_at(range, "type").map(str::to_owned);
    let mut out = Vec::new();
    let mut open: Option<VersionRange> = None;
    for event in arr(range, "events") {
        let new = || VersionRange {
            scheme: scheme.clone(),
            ..VersionRange::default()
        };
        if let Some(v) = str_at(event, "introduced") {
            if let Some(prev) = open.take() {
                out.push(prev);
            }
            open = Some(VersionRange {
                introduced: Some(v.to_owned()),
                ..new()
            });
        } else if let Some(v) = str_at(event, "fixed") {
            let mut span = open.take().unwrap_or_else(new);
            span.fixed = Some(v.to_owned());
            out.push(span);
        } else if let Some(v) = str_at(event, "last_affected") {
            let mut span = open.take().unwrap_or_else(new);
            span.last_affected = Some(v.to_owned());
            out.push(span);
        } else if let Some(v) = str_at(event, "limit") {
            let mut span = open.take().or_else(|| out.pop()).unwrap_or_else(new);
            span.range = Some(format!("limit {v}"));
            out.push(span);
        }
    }
    out.extend(open);
    out
}

fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Writes an assessment as an OSV record with id `a.id`. `modified` is the
/// record's modification time if the assessment has none.
pub fn export(a: &Assessment, modified: DateTime<Utc>) -> Value {
    let mut doc = Map::new();
    doc.insert("schema_version".into(), json!(SCHEMA_VERSION));
    doc.insert("id".into(), json!(a.id));
    doc.insert(
        "modified".into(),
        json!(time(a.modified.unwrap_or(modified))),
    );
    if let Some(p) = a.published {
        doc.insert("published".into(), json!(time(p)));
    }
    let aliases: Vec<String> = a
        .aliases
        .iter()
        .map(ToString::to_string)
        .filter(|s| *s != a.id)
        .collect();
    if !aliases.is_empty() {
        doc.insert("aliases".into(), json!(aliases));
    }
    if let Some(t) = &a.title {
        doc.insert("summary".into(), json!(t));
    }
    if !a.descriptions.is_empty() {
        let details: Vec<&str> = a.descriptions.iter().map(|t| t.text.as_str()).collect();
        doc.insert("details".into(), json!(details.join("\n\n")));
    }
    let severity: Vec<Value> = a
        .scores
        .iter()
        .map(|s| {
            let kind = match s.cvss.version() {
                CvssVersion::V2 => "CVSS_V2",
                CvssVersion::V30 | CvssVersion::V31 => "CVSS_V3",
                CvssVersion::V40 => "CVSS_V4",
            };
            json!({"type": kind, "score": s.cvss.vector()})
        })
        .collect();
    if !severity.is_empty() {
        doc.insert("severity".into(), json!(severity));
    }
    // OSV describes packages of known ecosystems; other affected products
    // (hardware, appliances) are listed under database_specific.
    let (packages, others): (Vec<&Product>, Vec<&Product>) = a
        .products
        .iter()
        .filter(|p| p.status == ProductStatus::Affected)
        .partition(|p| p.ecosystem.as_deref().is_some_and(crate::ecosystem::is_osv));
    if !packages.is_empty() {
        let affected: Vec<Value> = packages.into_iter().map(export_product).collect();
        doc.insert("affected".into(), json!(affected));
    }
    let mut specific = Map::new();
    if !others.is_empty() {
        specific.insert(
            "affected_products".into(),
            serde_json::to_value(others).unwrap_or_default(),
        );
    }
    let refs: Vec<Value> = a
        .references
        .iter()
        .map(|r| json!({"type": osv_reference_type(r.kind.as_deref()), "url": r.url}))
        .collect();
    if !refs.is_empty() {
        doc.insert("references".into(), json!(refs));
    }
    if !a.credits.is_empty() {
        let credits: Vec<Value> = a.credits.iter().map(|c| json!({"name": c})).collect();
        doc.insert("credits".into(), json!(credits));
    }
    if !a.cwes.is_empty() {
        let cwes: Vec<String> = a.cwes.iter().map(ToString::to_string).collect();
        specific.insert("cwe_ids".into(), json!(cwes));
    }
    if !specific.is_empty() {
        doc.insert("database_specific".into(), Value::Object(specific));
    }
    Value::Object(doc)
}

fn osv_reference_type(kind: Option<&str>) -> &'static str {
    const TYPES: [&str; 10] = [
        "ADVISORY",
        "ARTICLE",
        "DETECTION",
        "DISCUSSION",
        "REPORT",
        "FIX",
        "INTRODUCED",
        "PACKAGE",
        "EVIDENCE",
        "WEB",
    ];
    let upper = kind.unwrap_or_default().to_ascii_uppercase();
    TYPES
        .iter()
        .find(|t| **t == upper)
        .copied()
        .unwrap_or(match upper.as_str() {
            "SELF" | "EXTERNAL" => "ADVISORY",
            _ => "WEB",
        })
}

fn export_product(p: &Product) -> Value {
    let mut package = Map::new();
    if let Some(e) = &p.ecosystem {
        package.insert("ecosystem".into(), json!(e));
    }
    package.insert("name".into(), json!(p.name));
    if let Some(purl) = &p.purl {
        package.insert("purl".into(), json!(purl));
    }
    let mut out = Map::new();
    out.insert("package".into(), Value::Object(package));
    let mut ranges: Vec<Value> = Vec::new();
    let mut versions: Vec<&str> = Vec::new();
    for v in &p.versions {
        if let Some(exact) = &v.exact {
            versions.push(exact);
            continue;
        }
        let mut events = vec![json!({"introduced": v.introduced.as_deref().unwrap_or("0")})];
        if let Some(f) = &v.fixed {
            events.push(json!({"fixed": f}));
        } else if let Some(l) = &v.last_affected {
            events.push(json!({"last_affected": l}));
        }
        let scheme = match v.scheme.as_deref().map(str::to_ascii_uppercase).as_deref() {
            Some("SEMVER") => "SEMVER",
            Some("GIT") => "GIT",
            _ => "ECOSYSTEM",
        };
        let mut range = json!({"type": scheme, "events": events});
        if scheme == "GIT"
            && let Some(obj) = range.as_object_mut()
        {
            obj.insert(
                "repo".into(),
                json!(p.purl.clone().unwrap_or_else(|| p.name.clone())),
            );
        }
        ranges.push(range);
    }
    if !ranges.is_empty() {
        out.insert("ranges".into(), json!(ranges));
    }
    if !versions.is_empty() {
        out.insert("versions".into(), json!(versions));
    }
    Value::Object(out)
}
