//! Reading one JSON record field by field, collecting every problem instead
//! of stopping at the first.

use serde_json::{Map, Value};

use crate::error::{BadSample, Location, show};

pub(crate) struct Record<'a> {
    location: Location,
    object: &'a Map<String, Value>,
    errors: Vec<BadSample>,
}

impl<'a> Record<'a> {
    /// The record at `location`, which must be a JSON object.
    pub(crate) fn new(location: Location, value: &'a Value) -> Result<Record<'a>, Vec<BadSample>> {
        match value {
            Value::Object(object) => Ok(Record {
                location,
                object,
                errors: Vec::new(),
            }),
            other => Err(vec![BadSample::new(
                location,
                None,
                format!("expected a JSON object, got {}", show(other)),
            )]),
        }
    }

    pub(crate) fn fail(&mut self, field: impl Into<String>, problem: impl Into<String>) {
        self.errors
            .push(BadSample::new(self.location, Some(field.into()), problem));
    }

    /// A field's value; `null` counts as absent.
    pub(crate) fn get(&self, key: &str) -> Option<&'a Value> {
        self.object.get(key).filter(|v| !v.is_null())
    }

    /// Fields not in `known`, in the record's order.
    pub(crate) fn others(&self, known: &[&str]) -> Vec<(&'a String, &'a Value)> {
        self.object
            .iter()
            .filter(|(k, _)| !known.contains(&k.as_str()))
            .collect()
    }

    /// Rejects every field not in `known`.
    pub(crate) fn reject_others(&mut self, known: &[&str]) {
        for (key, _) in self.others(known) {
            let expected = known.join(", ");
            self.fail(key.clone(), format!("unknown field (expected {expected})"));
        }
    }

    /// A required, non-empty string.
    pub(crate) fn string(&mut self, key: &str) -> Option<String> {
        match self.get(key) {
            None => {
                self.fail(key, "missing (expected a string)");
                None
            }
            Some(value) => self.string_value(key, value),
        }
    }

    /// An optional string; when present it must be non-empty.
    pub(crate) fn opt_string(&mut self, key: &str) -> Option<String> {
        let value = self.get(key)?;
        self.string_value(key, value)
    }

    pub(crate) fn string_value(&mut self, field: &str, value: &Value) -> Option<String> {
        match value {
            Value::String(s) if s.trim().is_empty() => {
                self.fail(field, format!("empty string {}", show(value)));
                None
            }
            Value::String(s) => Some(s.clone()),
            other => {
                self.fail(field, format!("expected a string, got {}", show(other)));
                None
            }
        }
    }

    /// A required boolean.
    pub(crate) fn boolean(&mut self, key: &str) -> Option<bool> {
        match self.get(key) {
            None => {
                self.fail(key, "missing (expected true or false)");
                None
            }
            Some(Value::Bool(b)) => Some(*b),
            Some(other) => {
                self.fail(key, format!("expected true or false, got {}", show(other)));
                None
            }
        }
    }

    /// An array of non-empty strings; `None` when absent and not required,
    /// or when something in it is wrong (each wrong element is reported).
    pub(crate) fn strings(&mut self, key: &str, required: bool) -> Option<Vec<String>> {
        let Some(value) = self.get(key) else {
            if required {
                self.fail(key, "missing (expected an array of strings)");
            }
            return None;
        };
        let Value::Array(items) = value else {
            self.fail(
                key,
                format!("expected an array of strings, got {}", show(value)),
            );
            return None;
        };
        let mut out = Vec::with_capacity(items.len());
        let mut ok = true;
        for (i, item) in items.iter().enumerate() {
            match self.string_value(&format!("{key}[{i}]"), item) {
                Some(s) => out.push(s),
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    /// An optional JSON object.
    pub(crate) fn object(&mut self, key: &str) -> Option<Map<String, Value>> {
        match self.get(key)? {
            Value::Object(map) => Some(map.clone()),
            other => {
                self.fail(key, format!("expected a JSON object, got {}", show(other)));
                None
            }
        }
    }

    /// `value` when no problem was recorded, every problem otherwise. Every
    /// path that leaves `value` empty records a problem first.
    pub(crate) fn finish<T>(self, value: Option<T>) -> Result<T, Vec<BadSample>> {
        match (self.errors.is_empty(), value) {
            (true, Some(value)) => Ok(value),
            (true, None) => Err(vec![BadSample::new(
                self.location,
                None,
                "unreadable record",
            )]),
            (false, _) => Err(self.errors),
        }
    }
}

/// The letter of choice `index` (0 → `A`), or `None` past `Z`.
pub(crate) fn letter(index: usize) -> Option<char> {
    u8::try_from(index)
        .ok()
        .filter(|&i| i < 26)
        .map(|i| char::from(b'A' + i))
}

/// The index of an upper- or lower-case letter (`A`/`a` → 0).
pub(crate) fn letter_index(text: &str) -> Option<usize> {
    let mut chars = text.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) if c.is_ascii_alphabetic() => {
            Some(usize::from(c.to_ascii_uppercase() as u8 - b'A'))
        }
        _ => None,
    }
}

/// Checks that every target (the array `field`) names one of `choices`, by
/// letter or by its exact text.
pub(crate) fn check_choice_targets(
    record: &mut Record<'_>,
    field: &str,
    choices: &[String],
    targets: &[String],
) {
    for (i, target) in targets.iter().enumerate() {
        let by_letter = letter_index(target).is_some_and(|at| at < choices.len());
        if !by_letter && !choices.contains(target) {
            let last = letter(choices.len().saturating_sub(1)).unwrap_or('A');
            record.fail(
                format!("{field}[{i}]"),
                format!(
                    "{target:?} names none of the {} choices (expected a letter A-{last} or a choice's text)",
                    choices.len()
                ),
            );
        }
    }
}
