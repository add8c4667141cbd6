//! The field selector grammar, as upstream's `pkg/fields/selector.go`:
//! comma-separated `field=value`, `field==value` and `field!=value` terms, with
//! `\,`, `\=` and `\\` escaping in values.

use super::{FieldTerm, SelectorError};

/// Parses `?fieldSelector=`; terms come out sorted as upstream sorts them.
pub(super) fn parse(text: &str) -> Result<Vec<FieldTerm>, SelectorError> {
    let mut parts = split_terms(text);
    parts.sort();
    let mut terms = Vec::new();
    for part in parts {
        if part.is_empty() {
            continue;
        }
        let Some((field, operator, raw_value)) = split_term(part) else {
            return Err(SelectorError(format!(
                "invalid selector: '{text}'; can't understand '{part}'"
            )));
        };
        let value = unescape_value(raw_value)?;
        terms.push(FieldTerm {
            field: field.to_string(),
            equals: operator != "!=",
            value,
        });
    }
    Ok(terms)
}

/// Splits on commas not escaped by a backslash, keeping the escapes.
fn split_terms(text: &str) -> Vec<&str> {
    if text.is_empty() {
        return Vec::new();
    }
    let mut terms = Vec::new();
    let mut start = 0;
    let mut in_slash = false;
    for (i, c) in text.char_indices() {
        if in_slash {
            in_slash = false;
        } else if c == '\\' {
            in_slash = true;
        } else if c == ',' {
            terms.push(&text[start..i]);
            start = i + 1;
        }
    }
    terms.push(&text[start..]);
    terms
}

/// Splits a term at the first operator: the field has no escaping.
fn split_term(term: &str) -> Option<(&str, &'static str, &str)> {
    for (i, _) in term.char_indices() {
        let rest = &term[i..];
        for operator in ["!=", "==", "="] {
            if let Some(value) = rest.strip_prefix(operator) {
                return Some((&term[..i], operator, value));
            }
        }
    }
    None
}

/// Removes the escapes of a value; an unescaped `,` or `=`, or an unknown escape,
/// is an error.
fn unescape_value(value: &str) -> Result<String, SelectorError> {
    let mut out = String::with_capacity(value.len());
    let mut in_slash = false;
    for c in value.chars() {
        if in_slash {
            match c {
                '\\' | ',' | '=' => out.push(c),
                other => {
                    return Err(SelectorError(format!(
                        "invalid field selector: invalid escape sequence: \\{other}"
                    )))
                }
            }
            in_slash = false;
            continue;
        }
        match c {
            '\\' => in_slash = true,
            // Go prints the rune as its number here.
            ',' | '=' => {
                return Err(SelectorError(format!(
                    "invalid field selector: unescaped character in value: {}",
                    c as u32
                )))
            }
            other => out.push(other),
        }
    }
    if in_slash {
        return Err(SelectorError(
            "invalid field selector: invalid escape sequence: \\".to_string(),
        ));
    }
    Ok(out)
}

/// Escapes a value for the string form.
pub(super) fn escape_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if matches!(c, '\\' | ',' | '=') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
