use preflight_vuln::{Format, import};

const LOG: &str = r#"{
  "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
  "version": "2.1.0",
  "runs": [{
    "tool": {"driver": {"name": "CodeQL", "rules": [
      {"id": "js/xss", "shortDescription": {"text": "Cross-site scripting"},
       "fullDescription": {"text": "Writing user input directly to a web page allows XSS."},
       "helpUri": "https://codeql.github.com/codeql-query-help/javascript/js-xss/",
       "properties": {"tags": ["security", "external/cwe/cwe-079", "external/cwe/cwe-116"]}},
      {"id": "py/prompt-injection", "shortDescription": {"text": "Prompt built from user input"},
       "properties": {"tags": ["CWE-1427"]}}
    ]}},
    "versionControlProvenance": [{"repositoryUri": "https://example.com/app.git"}],
    "results": [
      {"ruleId": "js/xss", "ruleIndex": 0, "message": {"text": "Unsanitised input reaches innerHTML."},
       "locations": [{"physicalLocation": {"artifactLocation": {"uri": "src/view.js"}, "region": {"startLine": 42}}}],
       "partialFingerprints": {"primaryLocationLineHash": "abc123:1"}},
      {"ruleId": "py/prompt-injection", "message": {"text": "User text is concatenated into the system prompt."},
       "locations": [{"physicalLocation": {"artifactLocation": {"uri": "agent/prompt.py"}, "region": {"startLine": 7}}}]},
      {"ruleId": "js/xss", "kind": "pass", "message": {"text": "checked"}}
    ]
  }]
}"#;

#[test]
fn code_findings_become_assessments() {
    let imported = import("scan.sarif", LOG.as_bytes()).expect("imports");
    assert_eq!(imported.format, Format::Sarif);
    assert_eq!(imported.document.as_deref(), Some("CodeQL"));
    let [xss, prompt] = &imported.assessments[..] else {
        panic!("two findings, the pass is not one")
    };
    assert_eq!(xss.id, "sarif:CodeQL:abc123:1");
    assert_eq!(xss.title.as_deref(), Some("Cross-site scripting"));
    assert_eq!(
        xss.cwes.iter().map(ToString::to_string).collect::<Vec<_>>(),
        ["CWE-79", "CWE-116"]
    );
    assert_eq!(
        xss.description(),
        Some("Unsanitised input reaches innerHTML. (src/view.js:42)")
    );
    assert_eq!(xss.products[0].name, "https://example.com/app.git");
    assert_eq!(xss.sources[0].pointer.as_deref(), Some("/runs/0/results/0"));
    assert_eq!(
        prompt.id,
        "sarif:CodeQL:py/prompt-injection@agent/prompt.py:7"
    );
    assert!(prompt.cwes.contains(&preflight_vuln::Cwe::LLM_PROMPT));
}

#[test]
fn a_result_without_a_message_is_refused_with_its_path() {
    let bad = LOG.replace(
        r#""message": {"text": "User text is concatenated into the system prompt."},"#,
        "",
    );
    let err = import("scan.sarif", bad.as_bytes()).expect_err("no message");
    assert_eq!(
        err.to_string(),
        "scan.sarif: /runs/0/results/1/message: a result has a message text (value null)"
    );
}
