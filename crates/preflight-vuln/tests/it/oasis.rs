//! The OASIS CSAF 2.0 validator test documents: each listed failure of a
//! mandatory test is rejected naming that test; each listed valid document
//! is accepted.

use crate::support::{read, testdata};
use serde_json::Value;

#[test]
fn mandatory_test_documents() {
    let dir = testdata().join("vuln/csaf/oasis/test/validator/data");
    let index: Value =
        serde_json::from_slice(&read(&dir.join("testcases.json"))).expect("testcases.json");
    let mut problems = Vec::new();
    let (mut failing, mut valid) = (0, 0);
    for test in index["tests"].as_array().expect("tests") {
        if test["group"] != "mandatory" {
            continue;
        }
        let id = test["id"].as_str().expect("an id");
        for case in test["failures"].as_array().into_iter().flatten() {
            let name = case["name"].as_str().expect("a name");
            failing += 1;
            match preflight_vuln::import(name, &read(&dir.join(name))) {
                Ok(_) => problems.push(format!("{id}: {name} was accepted")),
                Err(e) => {
                    if !e.failed_tests().contains(&id) {
                        problems.push(format!(
                            "{id}: {name} was rejected without naming {id}: {e}"
                        ));
                    }
                }
            }
        }
        for case in test["valid"].as_array().into_iter().flatten() {
            let name = case["name"].as_str().expect("a name");
            valid += 1;
            if let Err(e) = preflight_vuln::import(name, &read(&dir.join(name))) {
                problems.push(format!("{id}: valid {name} was rejected: {e}"));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
    assert_eq!((failing, valid), (87, 60));
}

#[test]
fn every_mandatory_test_in_the_index_is_implemented() {
    let dir = testdata().join("vuln/csaf/oasis/test/validator/data");
    let index: Value =
        serde_json::from_slice(&read(&dir.join("testcases.json"))).expect("testcases.json");
    for test in index["tests"].as_array().expect("tests") {
        if test["group"] == "mandatory" {
            let id = test["id"].as_str().expect("an id");
            assert!(
                preflight_vuln::csaf::mandatory::IMPLEMENTED.contains(&id),
                "{id}"
            );
        }
    }
}

#[test]
fn a_failure_names_the_test_the_path_and_the_value() {
    let dir = testdata().join("vuln/csaf/oasis/test/validator/data");
    let name = "mandatory/oasis_csaf_tc-csaf_2_0-2021-6-1-01-01.json";
    let err = preflight_vuln::import(name, &read(&dir.join(name))).expect_err("6.1.1 fails");
    let text = err.to_string();
    assert!(text.starts_with(name), "{text}");
    assert!(
        text.contains(
            "mandatory test 6.1.1 failed at /product_tree/product_groups/0/product_ids/0"
        ),
        "{text}"
    );
    assert!(text.contains("CSAFPID-9080700"), "{text}");
}
