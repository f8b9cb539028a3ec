//! SARIF 2.1.0 → assessments: each code finding (a result of kind `fail`,
//! `open` or `review`) becomes an assessment of the scanned code. Results
//! of kind `pass`, `notApplicable` and `informational` are not findings.
//! CWEs come from rule tags (`external/cwe/cwe-79`, `CWE-79`) and
//! `properties.cwe`.

use crate::json::{arr, str_at};
use crate::model::{Alias, Cwe, Product, ProductStatus, Source};
use crate::{Assessment, Format, Imported, Tlp, VulnError};
use serde_json::Value;

fn text(v: Option<&Value>) -> Option<&str> {
    v.and_then(|m| str_at(m, "markdown").or_else(|| str_at(m, "text")))
}

fn cwes_of(rule: &Value) -> Vec<Cwe> {
    let props = rule.get("properties").unwrap_or(&Value::Null);
    let mut out = Vec::new();
    for tag in arr(props, "tags").iter().filter_map(Value::as_str) {
        let lower = tag.to_ascii_lowercase();
        let digits = lower
            .strip_prefix("external/cwe/cwe-")
            .or_else(|| lower.strip_prefix("cwe-"))
            .or_else(|| lower.strip_prefix("cwe:"));
        if let Some(n) = digits.and_then(|d| d.trim_start_matches('0').parse::<u32>().ok()) {
            out.push(Cwe::new(n));
        }
    }
    let listed = match props.get("cwe") {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    out.extend(listed.into_iter().filter_map(|s| s.parse::<Cwe>().ok()));
    out
}

/// Reads a SARIF 2.1.0 log.
pub fn import(file: &str, doc: &Value) -> Result<Imported, VulnError> {
    let version = doc
        .get("version")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if version != "2.1.0" {
        return Err(VulnError::invalid(
            file,
            "/version",
            version,
            "expected SARIF 2.1.0",
        ));
    }
    let Some(runs) = doc.get("runs").and_then(Value::as_array) else {
        return Err(VulnError::invalid(
            file,
            "/runs",
            "null",
            "a SARIF log has runs",
        ));
    };
    let mut out = Vec::new();
    let mut tools = Vec::new();
    for (r, run) in runs.iter().enumerate() {
        let driver = run.pointer("/tool/driver");
        let Some(tool) = driver.and_then(|d| str_at(d, "name")) else {
            return Err(VulnError::invalid(
                file,
                format!("/runs/{r}/tool/driver/name"),
                "null",
                "a run names its tool",
            ));
        };
        tools.push(tool.to_owned());
        let rules = driver.map(|d| arr(d, "rules")).unwrap_or(&[]);
        let target = arr(run, "versionControlProvenance")
            .first()
            .and_then(|v| str_at(v, "repositoryUri"))
            .map(str::to_owned);
        for (i, result) in arr(run, "results").iter().enumerate() {
            let path = format!("/runs/{r}/results/{i}");
            if matches!(
                str_at(result, "kind"),
                Some("pass" | "notApplicable" | "informational")
            ) {
                continue;
            }
            let rule_index = result
                .pointer("/rule/index")
                .or_else(|| result.get("ruleIndex"))
                .and_then(Value::as_u64);
            let rule_id = str_at(result, "ruleId")
                .or_else(|| result.pointer("/rule/id").and_then(Value::as_str));
            let rule = rule_index
                .and_then(|n| rules.get(usize::try_from(n).ok()?))
                .or_else(|| rules.iter().find(|x| str_at(x, "id") == rule_id));
            let rule_id = rule_id.or_else(|| rule.and_then(|x| str_at(x, "id")));
            let message = text(result.get("message")).ok_or_else(|| {
                VulnError::invalid(
                    file,
                    format!("{path}/message"),
                    "null",
                    "a result has a message text",
                )
            })?;
            let location = result.pointer("/locations/0/physicalLocation");
            let uri = location
                .and_then(|l| l.pointer("/artifactLocation/uri"))
                .and_then(Value::as_str);
            let line = location
                .and_then(|l| l.pointer("/region/startLine"))
                .and_then(Value::as_u64);
            let finding = str_at(result, "guid")
                .map(str::to_owned)
                .or_else(|| {
                    result
                        .get("partialFingerprints")
                        .or_else(|| result.get("fingerprints"))
                        .and_then(Value::as_object)
                        .and_then(|m| m.values().next())
                        .and_then(Value::as_str)
                        .map(str::to_owned)
                })
                .unwrap_or_else(|| {
                    format!(
                        "{}@{}:{}",
                        rule_id.unwrap_or("result"),
                        uri.unwrap_or("?"),
                        line.unwrap_or(0)
                    )
                });
            let source = Source::import(Format::Sarif, file, Some(tool.to_owned()), path.clone());
            let mut a = Assessment::new(
                Alias::vendor(&format!("sarif:{tool}"), &finding),
                source,
                Tlp::Amber,
            );
            a.title = rule
                .and_then(|x| text(x.get("shortDescription")))
                .or(rule_id)
                .map(str::to_owned);
            let location_text = match (uri, line) {
                (Some(u), Some(l)) => format!(" ({u}:{l})"),
                (Some(u), None) => format!(" ({u})"),
                _ => String::new(),
            };
            a.push_description(&format!("{message}{location_text}"), 0);
            if let Some(full) = rule.and_then(|x| text(x.get("fullDescription"))) {
                a.push_description(full, 0);
            }
            if let Some(rule) = rule {
                a.cwes.extend(cwes_of(rule));
                if let Some(help) = str_at(rule, "helpUri") {
                    a.push_reference(help, Some("rule".to_owned()));
                }
            }
            let product = target
                .clone()
                .or_else(|| uri.map(str::to_owned))
                .unwrap_or_else(|| format!("code scanned by {tool}"));
            a.push_product(Product::new(product, ProductStatus::Affected, 0));
            out.push(a);
        }
    }
    Ok(Imported {
        format: Format::Sarif,
        document: Some(tools.join(", ")),
        assessments: out,
    })
}
