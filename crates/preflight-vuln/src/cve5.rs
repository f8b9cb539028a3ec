//! CVE JSON 5.x records: read one into an [`Assessment`], write one back.
//! No CVE 5 schema ships with the project's test data, so records are
//! checked structurally: the fields this crate reads must be present and of
//! the right type.

use crate::json::{arr, str_at};
use crate::model::{Alias, Cwe, Product, ProductStatus, Source, VersionRange};
use crate::{Assessment, Cvss, CvssVersion, Format, Imported, Tlp, VulnError};
use chrono::{DateTime, NaiveDateTime, SecondsFormat, Utc};
use serde_json::{Map, Value, json};

const METRIC_KEYS: [(&str, CvssVersion); 4] = [
    ("cvssV4_0", CvssVersion::V40),
    ("cvssV3_1", CvssVersion::V31),
    ("cvssV3_0", CvssVersion::V30),
    ("cvssV2_0", CvssVersion::V2),
];

/// Reads one CVE JSON 5.x record.
pub fn import(file: &str, doc: &Value) -> Result<Imported, VulnError> {
    let bad = |path: &str, value: &Value, why: &str| {
        VulnError::invalid(file, path, crate::json::show(value), why)
    };
    match doc.get("dataType") {
        Some(Value::String(s)) if s == "CVE_RECORD" => {}
        other => {
            return Err(bad(
                "/dataType",
                other.unwrap_or(&Value::Null),
                "expected \"CVE_RECORD\"",
            ));
        }
    }
    match doc.get("dataVersion") {
        Some(Value::String(s)) if s.starts_with("5.") => {}
        other => {
            return Err(bad(
                "/dataVersion",
                other.unwrap_or(&Value::Null),
                "expected a 5.x version",
            ));
        }
    }
    let id_value = doc.pointer("/cveMetadata/cveId").unwrap_or(&Value::Null);
    let id = id_value.as_str().unwrap_or_default();
    let alias = Alias::parse(id).ok().filter(Alias::is_cve).ok_or_else(|| {
        bad(
            "/cveMetadata/cveId",
            id_value,
            "expected a CVE id such as CVE-2024-12345",
        )
    })?;
    let Some(cna) = doc.pointer("/containers/cna").filter(|c| c.is_object()) else {
        return Err(bad(
            "/containers/cna",
            doc.pointer("/containers/cna").unwrap_or(&Value::Null),
            "a CVE record has a CNA container",
        ));
    };
    let rejected = doc.pointer("/cveMetadata/state").and_then(Value::as_str) == Some("REJECTED");
    if !rejected && !cna.get("descriptions").is_some_and(Value::is_array) {
        return Err(bad(
            "/containers/cna/descriptions",
            cna.get("descriptions").unwrap_or(&Value::Null),
            "a published CVE record has descriptions",
        ));
    }
    let source = Source::import(Format::Cve5, file, Some(alias.id.clone()), "");
    let mut a = Assessment::new(alias, source, Tlp::Clear);
    a.title = str_at(cna, "title").map(str::to_owned);
    let mut descriptions: Vec<&Value> = arr(cna, "descriptions")
        .iter()
        .chain(arr(cna, "rejectedReasons"))
        .collect();
    descriptions.sort_by_key(|d| !str_at(d, "lang").is_some_and(|l| l.starts_with("en")));
    for (i, d) in descriptions.into_iter().enumerate() {
        let text = str_at(d, "value").ok_or_else(|| {
            bad(
                &format!("/containers/cna/descriptions/{i}/value"),
                d,
                "a description has a value",
            )
        })?;
        a.push_description(text, 0);
    }
    a.published = time(
        file,
        "/cveMetadata/datePublished",
        doc.pointer("/cveMetadata/datePublished"),
    )?
    .or(time(
        file,
        "/containers/cna/datePublic",
        cna.get("datePublic"),
    )?);
    a.modified = time(
        file,
        "/cveMetadata/dateUpdated",
        doc.pointer("/cveMetadata/dateUpdated"),
    )?
    .or(time(
        file,
        "/containers/cna/providerMetadata/dateUpdated",
        cna.pointer("/providerMetadata/dateUpdated"),
    )?);
    for (i, affected) in arr(cna, "affected").iter().enumerate() {
        read_affected(
            file,
            &format!("/containers/cna/affected/{i}"),
            affected,
            &mut a,
        )?;
    }
    for (i, pt) in arr(cna, "problemTypes").iter().enumerate() {
        for (j, d) in arr(pt, "descriptions").iter().enumerate() {
            let path = format!("/containers/cna/problemTypes/{i}/descriptions/{j}");
            if let Some(id) = str_at(d, "cweId") {
                let cwe = id.parse().map_err(|_| {
                    VulnError::invalid(
                        file,
                        format!("{path}/cweId"),
                        id,
                        "expected a CWE id such as CWE-79",
                    )
                })?;
                a.cwes.insert(cwe);
            } else if let Some(cwe) = str_at(d, "description").and_then(Cwe::find_in) {
                a.cwes.insert(cwe);
            }
        }
    }
    let adps = arr(doc.get("containers").unwrap_or(&Value::Null), "adp");
    let containers = std::iter::once(("/containers/cna".to_owned(), cna)).chain(
        adps.iter()
            .enumerate()
            .map(|(i, c)| (format!("/containers/adp/{i}"), c)),
    );
    for (base, container) in containers {
        for (i, m) in arr(container, "metrics").iter().enumerate() {
            for (key, version) in METRIC_KEYS {
                let Some(metric) = m.get(key) else { continue };
                let path = format!("{base}/metrics/{i}/{key}/vectorString");
                let vector = str_at(metric, "vectorString").unwrap_or_default();
                let cvss = Cvss::parse(vector)
                    .map_err(|e| VulnError::invalid(file, &path, vector, e.to_string()))?;
                if cvss.version() != version {
                    return Err(VulnError::invalid(
                        file,
                        path,
                        vector,
                        format!("is CVSS {}, not {version}", cvss.version()),
                    ));
                }
                a.push_score(cvss, 0);
            }
        }
    }
    for r in arr(cna, "references") {
        if let Some(url) = str_at(r, "url") {
            a.push_reference(
                url,
                arr(r, "tags")
                    .first()
                    .and_then(Value::as_str)
                    .map(str::to_owned),
            );
        }
    }
    for c in arr(cna, "credits") {
        if let Some(v) = str_at(c, "value") {
            a.credits.push(v.to_owned());
        }
    }
    let id = a.id.clone();
    Ok(Imported {
        format: Format::Cve5,
        document: Some(id),
        assessments: vec![a],
    })
}

fn time(file: &str, path: &str, v: Option<&Value>) -> Result<Option<DateTime<Utc>>, VulnError> {
    let Some(s) = v.and_then(Value::as_str) else {
        return Ok(None);
    };
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(Some(t.with_timezone(&Utc)));
    }
    // CVE 5 timestamps may omit the zone; they are UTC.
    NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f")
        .map(|t| Some(t.and_utc()))
        .map_err(|e| VulnError::invalid(file, path, s, format!("not a timestamp: {e}")))
}

fn status(s: &str) -> Option<ProductStatus> {
    match s {
        "affected" => Some(ProductStatus::Affected),
        "unaffected" => Some(ProductStatus::NotAffected),
        "unknown" => Some(ProductStatus::UnderInvestigation),
        _ => None,
    }
}

fn read_affected(
    file: &str,
    path: &str,
    affected: &Value,
    a: &mut Assessment,
) -> Result<(), VulnError> {
    let name = str_at(affected, "packageName")
        .or_else(|| str_at(affected, "product"))
        .ok_or_else(|| {
            VulnError::invalid(
                file,
                format!("{path}/product"),
                "null",
                "an affected entry names a product or package",
            )
        })?;
    let template = |st| {
        let mut p = Product::new(name, st, 0);
        p.vendor = str_at(affected, "vendor").map(str::to_owned);
        p.ecosystem = str_at(affected, "collectionURL").map(|url| {
            crate::ecosystem::from_collection_url(url).map_or_else(|| url.to_owned(), str::to_owned)
        });
        p.cpes = arr(affected, "cpes")
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect();
        p
    };
    let mut by_status: Vec<Product> = Vec::new();
    for (i, v) in arr(affected, "versions").iter().enumerate() {
        let st_text = str_at(v, "status").unwrap_or_default();
        let st = status(st_text).ok_or_else(|| {
            VulnError::invalid(
                file,
                format!("{path}/versions/{i}/status"),
                st_text,
                "expected affected, unaffected or unknown",
            )
        })?;
        let version = str_at(v, "version").unwrap_or_default().to_owned();
        let mut range = VersionRange {
            scheme: str_at(v, "versionType").map(str::to_owned),
            ..VersionRange::default()
        };
        if let Some(lt) = str_at(v, "lessThan") {
            range.introduced = Some(version);
            range.fixed = Some(lt.to_owned());
        } else if let Some(le) = str_at(v, "lessThanOrEqual") {
            range.introduced = Some(version);
            range.last_affected = Some(le.to_owned());
        } else {
            range.exact = Some(version);
        }
        match by_status.iter_mut().find(|p| p.status == st) {
            Some(p) => p.versions.push(range),
            None => {
                let mut p = template(st);
                p.versions.push(range);
                by_status.push(p);
            }
        }
    }
    if by_status.is_empty() {
        let st = str_at(affected, "defaultStatus")
            .and_then(status)
            .unwrap_or(ProductStatus::Affected);
        by_status.push(template(st));
    }
    for p in by_status {
        a.push_product(p);
    }
    Ok(())
}

/// Writes an assessment as a CVE JSON 5.1 record. It needs a CVE id
/// (the first, if the assessment has several) and `org_id`, the CNA's
/// organisation UUID; `updated` is used when the assessment has no
/// modification time.
pub fn export(
    a: &Assessment,
    org_id: uuid::Uuid,
    updated: DateTime<Utc>,
) -> Result<Value, VulnError> {
    let cve = a.cves().next().ok_or_else(|| VulnError::Export {
        what: format!("{} as a CVE record", a.id),
        reason: "it has no CVE id".to_owned(),
    })?;
    let fmt = |t: DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Millis, true);
    let mut cna = Map::new();
    cna.insert(
        "providerMetadata".into(),
        json!({"orgId": org_id, "dateUpdated": fmt(a.modified.unwrap_or(updated))}),
    );
    if let Some(t) = &a.title {
        cna.insert("title".into(), json!(t));
    }
    let mut descriptions: Vec<Value> = a
        .descriptions
        .iter()
        .map(|d| json!({"lang": "en", "value": d.text}))
        .collect();
    if descriptions.is_empty() {
        descriptions
            .push(json!({"lang": "en", "value": a.title.clone().unwrap_or_else(|| a.id.clone())}));
    }
    cna.insert("descriptions".into(), json!(descriptions));
    let affected: Vec<Value> = a.products.iter().map(export_product).collect();
    let affected = if affected.is_empty() {
        vec![json!({"vendor": "n/a", "product": "n/a", "defaultStatus": "unknown"})]
    } else {
        affected
    };
    cna.insert("affected".into(), json!(affected));
    if !a.cwes.is_empty() {
        let descs: Vec<Value> = a
            .cwes
            .iter()
            .map(|c| json!({"lang": "en", "type": "CWE", "cweId": c.to_string(), "description": c.to_string()}))
            .collect();
        cna.insert("problemTypes".into(), json!([{"descriptions": descs}]));
    }
    let metrics: Vec<Value> = a
        .scores
        .iter()
        .map(|s| {
            let c = &s.cvss;
            let key = METRIC_KEYS.iter().find(|(_, v)| *v == c.version()).map(|(k, _)| *k).unwrap_or("other");
            let mut m = json!({"version": c.version().as_str(), "vectorString": c.vector(), "baseScore": c.base_score()});
            if c.version() != CvssVersion::V2
                && let Some(obj) = m.as_object_mut()
            {
                obj.insert("baseSeverity".into(), json!(c.severity().as_str()));
            }
            json!({ key: m })
        })
        .collect();
    if !metrics.is_empty() {
        cna.insert("metrics".into(), json!(metrics));
    }
    let mut refs: Vec<Value> = a.references.iter().map(|r| json!({"url": r.url})).collect();
    if refs.is_empty() {
        refs.push(json!({"url": format!("https://www.cve.org/CVERecord?id={}", cve.id)}));
    }
    cna.insert("references".into(), json!(refs));
    if !a.credits.is_empty() {
        let credits: Vec<Value> = a
            .credits
            .iter()
            .map(|c| json!({"lang": "en", "value": c}))
            .collect();
        cna.insert("credits".into(), json!(credits));
    }
    let mut meta = json!({"cveId": cve.id, "assignerOrgId": org_id, "state": "PUBLISHED"});
    if let (Some(p), Some(obj)) = (a.published, meta.as_object_mut()) {
        obj.insert("datePublished".into(), json!(fmt(p)));
    }
    Ok(json!({
        "dataType": "CVE_RECORD",
        "dataVersion": "5.1",
        "cveMetadata": meta,
        "containers": {"cna": cna},
    }))
}

fn export_product(p: &Product) -> Value {
    let status = match p.status {
        ProductStatus::Affected => "affected",
        ProductStatus::NotAffected | ProductStatus::Fixed | ProductStatus::Recommended => {
            "unaffected"
        }
        ProductStatus::UnderInvestigation => "unknown",
    };
    let mut out = Map::new();
    out.insert(
        "vendor".into(),
        json!(p.vendor.clone().unwrap_or_else(|| "n/a".to_owned())),
    );
    out.insert("product".into(), json!(p.name));
    if let Some(url) = p
        .ecosystem
        .as_deref()
        .and_then(crate::ecosystem::collection_url)
    {
        out.insert("collectionURL".into(), json!(url));
        out.insert("packageName".into(), json!(p.name));
    }
    if !p.cpes.is_empty() {
        out.insert("cpes".into(), json!(p.cpes));
    }
    let versions: Vec<Value> = p
        .versions
        .iter()
        .map(|v| {
            let mut m = Map::new();
            let scheme = v
                .scheme
                .clone()
                .unwrap_or_else(|| "custom".to_owned())
                .to_ascii_lowercase();
            if let Some(exact) = &v.exact {
                m.insert("version".into(), json!(exact));
            } else if let (None, None, None, Some(r)) =
                (&v.introduced, &v.fixed, &v.last_affected, &v.range)
            {
                m.insert("version".into(), json!(r));
                m.insert("versionType".into(), json!("custom"));
            } else {
                m.insert(
                    "version".into(),
                    json!(v.introduced.as_deref().unwrap_or("0")),
                );
                if let Some(f) = &v.fixed {
                    m.insert("lessThan".into(), json!(f));
                } else if let Some(l) = &v.last_affected {
                    m.insert("lessThanOrEqual".into(), json!(l));
                }
                m.insert("versionType".into(), json!(scheme));
            }
            m.insert("status".into(), json!(status));
            Value::Object(m)
        })
        .collect();
    if versions.is_empty() {
        out.insert("defaultStatus".into(), json!(status));
    } else {
        out.insert("versions".into(), json!(versions));
        out.insert("defaultStatus".into(), json!("unaffected"));
    }
    Value::Object(out)
}
