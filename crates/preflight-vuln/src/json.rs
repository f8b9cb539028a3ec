//! JSON parsing with file-named errors, and small helpers for walking
//! `serde_json::Value`s with JSON pointers.

use crate::VulnError;
use serde_json::Value;

pub(crate) fn parse(file: &str, bytes: &[u8]) -> Result<Value, VulnError> {
    serde_json::from_slice(bytes).map_err(|e| VulnError::Json {
        file: file.to_owned(),
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })
}

/// The string at `key`, if it is one.
pub(crate) fn str_at<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// The array at `key`, or an empty slice.
pub(crate) fn arr<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v.get(key)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// Shows a JSON value briefly for an error message.
pub(crate) fn show(v: &Value) -> String {
    match v {
        Value::String(s) => format!("{s:?}"),
        other => other.to_string(),
    }
}
