//! The crate's one error type. Every variant names the file, where in it
//! (a JSON pointer such as `/vulnerabilities/0/cve`) and the offending value.

use std::fmt;

/// One problem found in a document: where, what value, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// JSON pointer into the document, `""` for the whole document.
    pub path: String,
    /// The offending value, shortened to at most 120 characters.
    pub value: String,
    /// What is wrong, in lower case.
    pub message: String,
}

impl Problem {
    pub fn new(
        path: impl Into<String>,
        value: impl fmt::Display,
        message: impl Into<String>,
    ) -> Self {
        let mut value = value.to_string();
        if value.chars().count() > 120 {
            value = value.chars().take(117).collect::<String>() + "...";
        }
        Self {
            path: path.into(),
            value,
            message: message.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = if self.path.is_empty() {
            "/"
        } else {
            &self.path
        };
        write!(f, "{path}: {} (value {})", self.message, self.value)
    }
}

/// A failed CSAF 2.0 mandatory test (section 6.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestFailure {
    /// The test number, such as `6.1.1` or `6.1.27.9`.
    pub test: &'static str,
    pub problem: Problem,
}

impl fmt::Display for TestFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "mandatory test {} failed at {}", self.test, self.problem)
    }
}

fn list<T: fmt::Display>(items: &[T]) -> String {
    const SHOWN: usize = 5;
    let mut out = items
        .iter()
        .take(SHOWN)
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ");
    if items.len() > SHOWN {
        out.push_str(&format!("; and {} more", items.len() - SHOWN));
    }
    out
}

#[derive(Debug, thiserror::Error)]
pub enum VulnError {
    #[error("{file}: not valid JSON at line {line}, column {column}: {message}")]
    Json {
        file: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error(
        "{file}: cannot tell the format ({reason}); expected CSAF 2.0, OSV, CVE JSON 5 or SARIF 2.1.0"
    )]
    UnknownFormat { file: String, reason: String },
    #[error("{file}: {} schema violation(s): {}", problems.len(), list(problems))]
    Schema {
        file: String,
        format: crate::Format,
        problems: Vec<Problem>,
    },
    #[error("{file}: {} CSAF mandatory test failure(s): {}", failures.len(), list(failures))]
    Mandatory {
        file: String,
        failures: Vec<TestFailure>,
    },
    #[error("{file}: {problem}")]
    Invalid { file: String, problem: Problem },
    #[error("cannot export {what}: {reason}")]
    Export { what: String, reason: String },
    #[error("{field}: invalid value {value:?}: {reason}")]
    Value {
        field: &'static str,
        value: String,
        reason: String,
    },
    #[error("{machine} is {state}: cannot {attempted} (allowed from {state}: {allowed})")]
    Transition {
        machine: &'static str,
        state: String,
        attempted: String,
        allowed: String,
    },
}

impl VulnError {
    pub(crate) fn value(
        field: &'static str,
        value: impl Into<String>,
        reason: impl Into<String>,
    ) -> Self {
        Self::Value {
            field,
            value: value.into(),
            reason: reason.into(),
        }
    }

    pub(crate) fn invalid(
        file: &str,
        path: impl Into<String>,
        value: impl fmt::Display,
        message: impl Into<String>,
    ) -> Self {
        Self::Invalid {
            file: file.to_owned(),
            problem: Problem::new(path, value, message),
        }
    }

    /// The mandatory tests that failed, if this is a CSAF mandatory-test error.
    pub fn failed_tests(&self) -> Vec<&'static str> {
        match self {
            Self::Mandatory { failures, .. } => failures.iter().map(|f| f.test).collect(),
            _ => Vec::new(),
        }
    }
}
