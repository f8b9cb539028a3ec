//! Finding categories are checked against each taxonomy's id syntax.

use crate::fixtures::assert_err;
use preflight_core::taxonomy::{CAPABILITY_CLASSES, Category, OWASP_LLM_2025, Taxonomy};

#[track_caller]
fn check(taxonomy: Taxonomy, id: &str, expect: Result<&str, &str>) {
    let case = format!("{taxonomy:?} {id:?}");
    match (Category::new(taxonomy, id), expect) {
        (Ok(c), Ok(label)) => {
            assert_eq!(c.taxonomy, taxonomy, "{case}");
            assert_eq!(c.id, id.trim(), "{case}");
            assert_eq!(c.label(), label, "{case}");
        }
        (Err(e), Err(expected)) => {
            assert_err(&case, &e, "Invalid", &["category.id", id.trim(), expected]);
            assert_eq!(e.field(), Some("category.id"), "{case}");
        }
        (got, _) => panic!("{case}: unexpected {got:?}"),
    }
}

#[test]
fn category_ids() {
    use Taxonomy::*;
    #[rustfmt::skip]
    let cases = [
        (MitreAtlas, "AML.T0051", Ok("MITRE ATLAS AML.T0051")),
        (MitreAtlas, "AML.T0051.000", Ok("MITRE ATLAS AML.T0051.000")),
        (MitreAtlas, " AML.T0054 ", Ok("MITRE ATLAS AML.T0054")),
        (MitreAtlas, "AML.T51", Err("an ATLAS technique id")),
        (MitreAtlas, "AML.T00511", Err("an ATLAS technique id")),
        (MitreAtlas, "AML.T0051.0", Err("an ATLAS technique id")),
        (MitreAtlas, "AML.T0051.0000", Err("an ATLAS technique id")),
        (MitreAtlas, "AML.T0051.", Err("an ATLAS technique id")),
        (MitreAtlas, "AML.T0051.000.001", Err("an ATLAS technique id")),
        (MitreAtlas, "aml.t0051", Err("an ATLAS technique id")),
        (MitreAtlas, "AML.TA0001", Err("an ATLAS technique id")),
        (MitreAtlas, "T0051", Err("an ATLAS technique id")),
        (MitreAtlas, "AML.T005a", Err("an ATLAS technique id")),
        (OwaspLlm2025, "LLM01", Ok("LLM01 Prompt Injection")),
        (OwaspLlm2025, "LLM10", Ok("LLM10 Unbounded Consumption")),
        (OwaspLlm2025, "LLM00", Err("LLM01 to LLM10")),
        (OwaspLlm2025, "LLM11", Err("LLM01 to LLM10")),
        (OwaspLlm2025, "LLM1", Err("LLM01 to LLM10")),
        (OwaspLlm2025, "llm01", Err("LLM01 to LLM10")),
        (Cwe, "CWE-1427", Ok("CWE-1427")),
        (Cwe, "CWE-79", Ok("CWE-79")),
        (Cwe, "CWE-", Err("a CWE id such as CWE-1427")),
        (Cwe, "CWE-abc", Err("a CWE id")),
        (Cwe, "CWE-123456", Err("a CWE id")),
        (Cwe, "cwe-79", Err("a CWE id")),
        (Cwe, "79", Err("a CWE id")),
        (Capability, "exploit_development", Ok("exploit_development")),
        (Capability, "safeguard_bypass", Ok("safeguard_bypass")),
        (Capability, "exploit development", Err("one of vulnerability_discovery")),
        (Capability, "", Err("safeguard_bypass")),
    ];
    for (taxonomy, id, expect) in cases {
        check(taxonomy, id, expect);
    }
}

#[test]
fn every_listed_code_is_accepted() {
    for (code, name) in OWASP_LLM_2025 {
        check(Taxonomy::OwaspLlm2025, code, Ok(&format!("{code} {name}")));
    }
    for class in CAPABILITY_CLASSES {
        check(Taxonomy::Capability, class, Ok(class));
    }
}

#[test]
fn deserialising_a_category_checks_it() {
    #[rustfmt::skip]
    let cases = [
        (r#"{"taxonomy":"owasp_llm2025","id":"LLM05"}"#, Ok(())),
        (r#"{"taxonomy":"mitre_atlas","id":"AML.T0051.001"}"#, Ok(())),
        (r#"{"taxonomy":"owasp_llm2025","id":"LLM11"}"#, Err("LLM11")),
        (r#"{"taxonomy":"cwe","id":"CWE-abc"}"#, Err("CWE-abc")),
        (r#"{"taxonomy":"unknown","id":"X"}"#, Err("unknown variant")),
    ];
    for (json, expect) in cases {
        match (serde_json::from_str::<Category>(json), expect) {
            (Ok(_), Ok(())) => {}
            (Err(e), Err(needle)) => assert!(e.to_string().contains(needle), "{json}: {e}"),
            (got, _) => panic!("{json}: unexpected {got:?}"),
        }
    }
}
