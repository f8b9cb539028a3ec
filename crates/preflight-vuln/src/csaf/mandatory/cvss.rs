//! 6.1.7 to 6.1.10: CVSS objects are unique per product and version,
//! schema-valid, correctly computed and consistent with their vector.

use super::Failures;
use crate::json::{arr, show, str_at};
use crate::{Cvss, Severity};
use serde_json::Value;
use std::collections::HashSet;

/// `(vector key, JSON property, [(vector value, JSON value)])`
type MetricTable = [(
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
)];

const NLH: &[(&str, &str)] = &[("N", "NONE"), ("L", "LOW"), ("H", "HIGH")];
const REQ: &[(&str, &str)] = &[
    ("X", "NOT_DEFINED"),
    ("L", "LOW"),
    ("M", "MEDIUM"),
    ("H", "HIGH"),
];
const MNLH: &[(&str, &str)] = &[
    ("X", "NOT_DEFINED"),
    ("N", "NONE"),
    ("L", "LOW"),
    ("H", "HIGH"),
];
const AV3: &[(&str, &str)] = &[
    ("N", "NETWORK"),
    ("A", "ADJACENT_NETWORK"),
    ("L", "LOCAL"),
    ("P", "PHYSICAL"),
];
const MAV3: &[(&str, &str)] = &[
    ("X", "NOT_DEFINED"),
    ("N", "NETWORK"),
    ("A", "ADJACENT_NETWORK"),
    ("L", "LOCAL"),
    ("P", "PHYSICAL"),
];

const V3: &MetricTable = &[
    ("AV", "attackVector", AV3),
    ("AC", "attackComplexity", &[("L", "LOW"), ("H", "HIGH")]),
    ("PR", "privilegesRequired", NLH),
    ("UI", "userInteraction", &[("N", "NONE"), ("R", "REQUIRED")]),
    ("S", "scope", &[("U", "UNCHANGED"), ("C", "CHANGED")]),
    ("C", "confidentialityImpact", NLH),
    ("I", "integrityImpact", NLH),
    ("A", "availabilityImpact", NLH),
    (
        "E",
        "exploitCodeMaturity",
        &[
            ("X", "NOT_DEFINED"),
            ("U", "UNPROVEN"),
            ("P", "PROOF_OF_CONCEPT"),
            ("F", "FUNCTIONAL"),
            ("H", "HIGH"),
        ],
    ),
    (
        "RL",
        "remediationLevel",
        &[
            ("X", "NOT_DEFINED"),
            ("O", "OFFICIAL_FIX"),
            ("T", "TEMPORARY_FIX"),
            ("W", "WORKAROUND"),
            ("U", "UNAVAILABLE"),
        ],
    ),
    (
        "RC",
        "reportConfidence",
        &[
            ("X", "NOT_DEFINED"),
            ("U", "UNKNOWN"),
            ("R", "REASONABLE"),
            ("C", "CONFIRMED"),
        ],
    ),
    ("CR", "confidentialityRequirement", REQ),
    ("IR", "integrityRequirement", REQ),
    ("AR", "availabilityRequirement", REQ),
    ("MAV", "modifiedAttackVector", MAV3),
    (
        "MAC",
        "modifiedAttackComplexity",
        &[("X", "NOT_DEFINED"), ("L", "LOW"), ("H", "HIGH")],
    ),
    ("MPR", "modifiedPrivilegesRequired", MNLH),
    (
        "MUI",
        "modifiedUserInteraction",
        &[("X", "NOT_DEFINED"), ("N", "NONE"), ("R", "REQUIRED")],
    ),
    (
        "MS",
        "modifiedScope",
        &[("X", "NOT_DEFINED"), ("U", "UNCHANGED"), ("C", "CHANGED")],
    ),
    ("MC", "modifiedConfidentialityImpact", MNLH),
    ("MI", "modifiedIntegrityImpact", MNLH),
    ("MA", "modifiedAvailabilityImpact", MNLH),
];

const NPC: &[(&str, &str)] = &[("N", "NONE"), ("P", "PARTIAL"), ("C", "COMPLETE")];
const REQ2: &[(&str, &str)] = &[
    ("L", "LOW"),
    ("M", "MEDIUM"),
    ("H", "HIGH"),
    ("ND", "NOT_DEFINED"),
];

const V2: &MetricTable = &[
    (
        "AV",
        "accessVector",
        &[("L", "LOCAL"), ("A", "ADJACENT_NETWORK"), ("N", "NETWORK")],
    ),
    (
        "AC",
        "accessComplexity",
        &[("H", "HIGH"), ("M", "MEDIUM"), ("L", "LOW")],
    ),
    (
        "Au",
        "authentication",
        &[("M", "MULTIPLE"), ("S", "SINGLE"), ("N", "NONE")],
    ),
    ("C", "confidentialityImpact", NPC),
    ("I", "integrityImpact", NPC),
    ("A", "availabilityImpact", NPC),
    (
        "E",
        "exploitability",
        &[
            ("U", "UNPROVEN"),
            ("POC", "PROOF_OF_CONCEPT"),
            ("F", "FUNCTIONAL"),
            ("H", "HIGH"),
            ("ND", "NOT_DEFINED"),
        ],
    ),
    (
        "RL",
        "remediationLevel",
        &[
            ("OF", "OFFICIAL_FIX"),
            ("TF", "TEMPORARY_FIX"),
            ("W", "WORKAROUND"),
            ("U", "UNAVAILABLE"),
            ("ND", "NOT_DEFINED"),
        ],
    ),
    (
        "RC",
        "reportConfidence",
        &[
            ("UC", "UNCONFIRMED"),
            ("UR", "UNCORROBORATED"),
            ("C", "CONFIRMED"),
            ("ND", "NOT_DEFINED"),
        ],
    ),
    (
        "CDP",
        "collateralDamagePotential",
        &[
            ("N", "NONE"),
            ("L", "LOW"),
            ("LM", "LOW_MEDIUM"),
            ("MH", "MEDIUM_HIGH"),
            ("H", "HIGH"),
            ("ND", "NOT_DEFINED"),
        ],
    ),
    (
        "TD",
        "targetDistribution",
        &[
            ("N", "NONE"),
            ("L", "LOW"),
            ("M", "MEDIUM"),
            ("H", "HIGH"),
            ("ND", "NOT_DEFINED"),
        ],
    ),
    ("CR", "confidentialityRequirement", REQ2),
    ("IR", "integrityRequirement", REQ2),
    ("AR", "availabilityRequirement", REQ2),
];

const SEVERITIES: [&str; 5] = ["NONE", "LOW", "MEDIUM", "HIGH", "CRITICAL"];

pub(super) fn check(doc: &Value, f: &mut Failures) {
    for (v, vuln) in arr(doc, "vulnerabilities").iter().enumerate() {
        let mut seen: HashSet<(&str, String)> = HashSet::new();
        for (s, score) in arr(vuln, "scores").iter().enumerate() {
            let base = format!("/vulnerabilities/{v}/scores/{s}");
            for (key, table) in [("cvss_v2", V2), ("cvss_v3", V3)] {
                let Some(obj) = score.get(key) else { continue };
                let path = format!("{base}/{key}");
                // 6.1.7 Multiple Scores with same Version per Product
                let version =
                    str_at(obj, "version").unwrap_or(if key == "cvss_v2" { "2.0" } else { "3.x" });
                for (p, product) in arr(score, "products").iter().enumerate() {
                    let Some(product) = product.as_str() else {
                        continue;
                    };
                    if !seen.insert((product, version.to_owned())) {
                        f.fail(
                            "6.1.7",
                            format!("{base}/products/{p}"),
                            product,
                            format!("product has more than one CVSS {version} score in this vulnerability"),
                        );
                    }
                }
                let Some(cvss) = schema_valid(obj, key, table, &path, f) else {
                    continue;
                };
                computation(obj, &cvss, key, &path, f);
                consistency(obj, &cvss, table, &path, f);
            }
        }
    }
}

/// 6.1.8 Invalid CVSS: the object is valid against FIRST's CVSS schema of
/// its version. Returns the parsed vector when it is.
fn schema_valid(
    obj: &Value,
    key: &str,
    table: &MetricTable,
    path: &str,
    f: &mut Failures,
) -> Option<Cvss> {
    let before = f.0.len();
    let (versions, required): (&[&str], &[&str]) = if key == "cvss_v2" {
        (&["2.0"], &["version", "vectorString", "baseScore"])
    } else {
        (
            &["3.0", "3.1"],
            &["version", "vectorString", "baseScore", "baseSeverity"],
        )
    };
    for field in required {
        if obj.get(*field).is_none() {
            f.fail(
                "6.1.8",
                path,
                obj,
                format!("required property {field} is missing"),
            );
        }
    }
    let version = str_at(obj, "version");
    if let Some(v) = obj.get("version")
        && !version.is_some_and(|v| versions.contains(&v))
    {
        f.fail(
            "6.1.8",
            format!("{path}/version"),
            show(v),
            format!("expected one of {}", versions.join(", ")),
        );
    }
    for score in ["baseScore", "temporalScore", "environmentalScore"] {
        if let Some(s) = obj.get(score)
            && !s.as_f64().is_some_and(|x| (0.0..=10.0).contains(&x))
        {
            f.fail(
                "6.1.8",
                format!("{path}/{score}"),
                show(s),
                "expected a number from 0 to 10",
            );
        }
    }
    if key == "cvss_v3" {
        for sev in ["baseSeverity", "temporalSeverity", "environmentalSeverity"] {
            if let Some(s) = obj.get(sev)
                && !s.as_str().is_some_and(|x| SEVERITIES.contains(&x))
            {
                f.fail(
                    "6.1.8",
                    format!("{path}/{sev}"),
                    show(s),
                    "expected NONE, LOW, MEDIUM, HIGH or CRITICAL",
                );
            }
        }
    }
    for (_, prop, values) in table {
        if let Some(val) = obj.get(*prop)
            && !val
                .as_str()
                .is_some_and(|x| values.iter().any(|(_, name)| *name == x))
        {
            let names: Vec<&str> = values.iter().map(|(_, n)| *n).collect();
            f.fail(
                "6.1.8",
                format!("{path}/{prop}"),
                show(val),
                format!("expected one of {}", names.join(", ")),
            );
        }
    }
    let vector = str_at(obj, "vectorString");
    let cvss = match vector.map(Cvss::parse) {
        Some(Ok(c)) => {
            let matches = match (key, version) {
                ("cvss_v2", _) => c.version() == crate::CvssVersion::V2,
                (_, Some(v)) => c.vector().starts_with(&format!("CVSS:{v}/")),
                _ => true,
            };
            if !matches {
                f.fail(
                    "6.1.8",
                    format!("{path}/vectorString"),
                    c.vector(),
                    "vector does not match the version property",
                );
            }
            Some(c)
        }
        Some(Err(e)) => {
            f.fail(
                "6.1.8",
                format!("{path}/vectorString"),
                vector.unwrap_or_default(),
                e.to_string(),
            );
            None
        }
        None => None,
    };
    if f.0.len() == before { cvss } else { None }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

/// 6.1.9 Invalid CVSS computation.
fn computation(obj: &Value, cvss: &Cvss, key: &str, path: &str, f: &mut Failures) {
    let checks = [
        ("baseScore", Some(cvss.base_score())),
        ("temporalScore", cvss.temporal_score()),
        ("environmentalScore", cvss.environmental_score()),
    ];
    for (prop, expected) in checks {
        if let (Some(given), Some(expected)) = (obj.get(prop).and_then(Value::as_f64), expected)
            && !close(given, expected)
        {
            f.fail(
                "6.1.9",
                format!("{path}/{prop}"),
                given,
                format!("the vector computes {expected}"),
            );
        }
    }
    if key == "cvss_v3" {
        let sevs = [
            ("baseSeverity", Some(cvss.base_score())),
            ("temporalSeverity", cvss.temporal_score()),
            ("environmentalSeverity", cvss.environmental_score()),
        ];
        for (prop, score) in sevs {
            if let (Some(given), Some(score)) = (str_at(obj, prop), score) {
                let expected = Severity::of_score(score).as_str();
                if given != expected {
                    f.fail(
                        "6.1.9",
                        format!("{path}/{prop}"),
                        given,
                        format!("the vector computes {expected}"),
                    );
                }
            }
        }
    }
}

/// 6.1.10 Inconsistent CVSS: each metric property matches the vector; a
/// metric the vector does not carry is NOT_DEFINED.
fn consistency(obj: &Value, cvss: &Cvss, table: &MetricTable, path: &str, f: &mut Failures) {
    let metrics: Vec<(&str, &str)> = cvss
        .vector()
        .split('/')
        .filter_map(|part| part.split_once(':'))
        .filter(|(k, _)| *k != "CVSS")
        .collect();
    for (abbrev, prop, values) in table {
        let Some(given) = str_at(obj, prop) else {
            continue;
        };
        let expected = match metrics.iter().find(|(k, _)| k == abbrev) {
            Some((_, value)) => values
                .iter()
                .find(|(a, _)| a == value)
                .map(|(_, name)| *name),
            None => Some("NOT_DEFINED"),
        };
        if expected != Some(given) {
            f.fail(
                "6.1.10",
                format!("{path}/{prop}"),
                given,
                format!("the vector says {}", expected.unwrap_or("nothing valid")),
            );
        }
    }
}
