//! Prompt templates with `{name}` placeholders, `{{` and `}}` for literal
//! braces. Placeholders are checked when the template is built and filled in
//! one pass, so a value that itself contains `{prompt}` stays as written.

use crate::error::{Error, Result};

#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Text(String),
    Slot(String),
}

/// A parsed template; every placeholder in it is one of the allowed names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    source: String,
    pieces: Vec<Piece>,
}

impl Template {
    /// Parses `text`; `context` names the template in errors (`solver`,
    /// `rubric`) and `allowed` lists the placeholders it may use.
    pub fn parse(context: &'static str, text: &str, allowed: &[&str]) -> Result<Template> {
        let fail = |reason: String| Error::Template {
            context,
            template: crate::error::shorten(text),
            reason,
        };
        let mut pieces = Vec::new();
        let mut literal = String::new();
        let mut chars = text.char_indices().peekable();
        while let Some((at, c)) = chars.next() {
            match c {
                '{' if chars.peek().map(|&(_, n)| n) == Some('{') => {
                    chars.next();
                    literal.push('{');
                }
                '}' if chars.peek().map(|&(_, n)| n) == Some('}') => {
                    chars.next();
                    literal.push('}');
                }
                '{' => {
                    let mut name = String::new();
                    let mut closed = false;
                    for (_, n) in chars.by_ref() {
                        if n == '}' {
                            closed = true;
                            break;
                        }
                        name.push(n);
                    }
                    if !closed {
                        return Err(fail(format!(
                            "unclosed '{{' at byte {at} (write '{{{{' for a literal brace)"
                        )));
                    }
                    if !allowed.contains(&name.as_str()) {
                        return Err(fail(format!(
                            "unknown placeholder {{{name}}} (expected {}; write '{{{{' for a literal brace)",
                            allowed
                                .iter()
                                .map(|a| format!("{{{a}}}"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        )));
                    }
                    if !literal.is_empty() {
                        pieces.push(Piece::Text(std::mem::take(&mut literal)));
                    }
                    pieces.push(Piece::Slot(name));
                }
                '}' => {
                    return Err(fail(format!(
                        "unmatched '}}' at byte {at} (write '}}}}' for a literal brace)"
                    )));
                }
                c => literal.push(c),
            }
        }
        if !literal.is_empty() {
            pieces.push(Piece::Text(literal));
        }
        Ok(Template {
            source: text.to_owned(),
            pieces,
        })
    }

    /// The template as written.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Whether the template uses placeholder `name`.
    pub fn uses(&self, name: &str) -> bool {
        self.pieces
            .iter()
            .any(|p| matches!(p, Piece::Slot(s) if s == name))
    }

    /// Fills every placeholder with `value(name)`.
    pub fn render(&self, value: impl Fn(&str) -> String) -> String {
        let mut out = String::new();
        for piece in &self.pieces {
            match piece {
                Piece::Text(text) => out.push_str(text),
                Piece::Slot(name) => out.push_str(&value(name)),
            }
        }
        out
    }
}
