//! Where a piece of an assessment came from.

use crate::Format;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Origin {
    /// A finding filed in a pre-release review.
    ReviewFinding { finding: String },
    /// A report from someone outside the program.
    OutsideReporter { reporter: String },
    /// A document imported from a file or feed.
    Import,
}

/// One source of an assessment: what kind, which document in which format
/// from which file, and where in that document (a JSON pointer).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Source {
    pub origin: Origin,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<Format>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// The document's own id: a CSAF tracking id, an OSV id, a CVE id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document: Option<String>,
    /// JSON pointer of the record inside the document, `""` for the whole.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pointer: Option<String>,
}

impl Source {
    pub fn import(
        format: Format,
        file: &str,
        document: Option<String>,
        pointer: impl Into<String>,
    ) -> Self {
        Source {
            origin: Origin::Import,
            format: Some(format),
            file: Some(file.to_owned()),
            document,
            pointer: Some(pointer.into()),
        }
    }

    pub fn review_finding(finding: impl Into<String>) -> Self {
        Source {
            origin: Origin::ReviewFinding {
                finding: finding.into(),
            },
            format: None,
            file: None,
            document: None,
            pointer: None,
        }
    }

    pub fn outside_reporter(reporter: impl Into<String>) -> Self {
        Source {
            origin: Origin::OutsideReporter {
                reporter: reporter.into(),
            },
            format: None,
            file: None,
            document: None,
            pointer: None,
        }
    }
}
