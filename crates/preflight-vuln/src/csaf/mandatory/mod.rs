//! The mandatory tests of CSAF 2.0, section 6.1. Each test reports every
//! failure with its number and the JSON pointer of the offending value.
//! Tests run on the raw JSON (after schema validation), so they see the
//! document exactly as written.

pub(crate) mod branches;
mod category;
mod cvss;
pub(crate) mod cwe;
pub(crate) mod language;
mod product_ids;
mod product_status;
mod profiles;
pub(crate) mod purl;
mod revision;
mod statements;
mod uniqueness;

use crate::{Problem, TestFailure};
use serde_json::Value;

/// The tests [`run`] performs, by number.
pub const IMPLEMENTED: &[&str] = &[
    "6.1.1",
    "6.1.2",
    "6.1.3",
    "6.1.4",
    "6.1.5",
    "6.1.6",
    "6.1.7",
    "6.1.8",
    "6.1.9",
    "6.1.10",
    "6.1.11",
    "6.1.12",
    "6.1.13",
    "6.1.14",
    "6.1.15",
    "6.1.16",
    "6.1.17",
    "6.1.18",
    "6.1.19",
    "6.1.20",
    "6.1.21",
    "6.1.22",
    "6.1.23",
    "6.1.24",
    "6.1.25",
    "6.1.26",
    "6.1.27.1",
    "6.1.27.2",
    "6.1.27.3",
    "6.1.27.4",
    "6.1.27.5",
    "6.1.27.6",
    "6.1.27.7",
    "6.1.27.8",
    "6.1.27.9",
    "6.1.27.10",
    "6.1.27.11",
    "6.1.28",
    "6.1.29",
    "6.1.30",
    "6.1.31",
    "6.1.32",
    "6.1.33",
];

/// Collects failures.
#[derive(Debug, Default)]
pub(crate) struct Failures(Vec<TestFailure>);

impl Failures {
    pub(crate) fn fail(
        &mut self,
        test: &'static str,
        path: impl Into<String>,
        value: impl std::fmt::Display,
        message: impl Into<String>,
    ) {
        self.0.push(TestFailure {
            test,
            problem: Problem::new(path, value, message),
        });
    }
}

/// Runs every mandatory test on a schema-valid CSAF 2.0 document.
pub fn run(doc: &Value) -> Vec<TestFailure> {
    let mut f = Failures::default();
    product_ids::check(doc, &mut f);
    product_status::check(doc, &mut f);
    cvss::check(doc, &mut f);
    cwe::check(doc, &mut f);
    language::check(doc, &mut f);
    purl::check(doc, &mut f);
    revision::check(doc, &mut f);
    uniqueness::check(doc, &mut f);
    category::check(doc, &mut f);
    profiles::check(doc, &mut f);
    statements::check(doc, &mut f);
    branches::check(doc, &mut f);
    f.0
}

pub use branches::looks_like_range;
pub use cwe::{current_cwe_name, cwe_names};
pub use language::valid_language_tag;
pub use purl::purl_problem;
