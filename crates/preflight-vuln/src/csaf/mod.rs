//! CSAF 2.0: validation (schema, then the mandatory tests of section 6.1),
//! import into [`Assessment`]s, one per vulnerability, and export.

mod export;
mod import;
pub mod mandatory;
mod walk;

pub use export::{CsafMeta, Publisher, export};
pub use import::import;

use crate::{Format, VulnError, schema};
use serde_json::Value;

/// Checks a CSAF 2.0 document against the schema and the mandatory tests.
/// Schema problems are reported alone (the tests assume a schema-valid
/// document); otherwise every failed test is reported.
pub fn validate(file: &str, doc: &Value) -> Result<(), VulnError> {
    schema::check(file, Format::Csaf, doc)?;
    let failures = mandatory::run(doc);
    if failures.is_empty() {
        Ok(())
    } else {
        Err(VulnError::Mandatory {
            file: file.to_owned(),
            failures,
        })
    }
}
