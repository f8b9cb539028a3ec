//! SQL text shared by the multi-row writes.

/// `width` numbered placeholders from `$first`: `$3, $4, $5`.
pub(crate) fn numbered(first: usize, width: usize) -> String {
    (first..first + width)
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `$1, $2, ...` in groups of `width`, one group a row: `($1, $2), ($3, $4)`.
pub(crate) fn placeholders(rows: usize, width: usize) -> String {
    (0..rows)
        .map(|r| format!("({})", numbered(r * width + 1, width)))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::{numbered, placeholders};

    #[test]
    fn numbers_every_value_once_row_by_row() {
        assert_eq!(placeholders(2, 2), "($1, $2), ($3, $4)");
        assert_eq!(placeholders(1, 3), "($1, $2, $3)");
        assert_eq!(placeholders(0, 3), "");
        assert_eq!(numbered(3, 3), "$3, $4, $5");
    }
}
