//! The one table the bench prints.

/// One line of the table.
#[derive(Debug)]
pub struct Row {
    pub backend: String,
    pub measurement: String,
    pub value: String,
    pub reference: String,
}

impl Row {
    pub fn new(
        backend: impl Into<String>,
        measurement: impl Into<String>,
        value: impl Into<String>,
        reference: impl Into<String>,
    ) -> Self {
        Self {
            backend: backend.into(),
            measurement: measurement.into(),
            value: value.into(),
            reference: reference.into(),
        }
    }
}

/// A markdown table.
pub fn render(rows: &[Row]) -> String {
    let cell = |s: &str| s.replace('|', "\\|");
    let mut out =
        String::from("| backend | measurement | value | target/reference |\n|---|---|---|---|\n");
    for r in rows {
        out.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            cell(&r.backend),
            cell(&r.measurement),
            cell(&r.value),
            cell(&r.reference)
        ));
    }
    out
}
