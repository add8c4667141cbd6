//! The label selector grammar: lexer, parser and requirement validation, as
//! upstream's `pkg/labels/selector.go`.

use serde_json::Value;

use super::{LabelSelector, Operator, Requirement, SelectorError};
use crate::validation::{is_qualified_name, is_valid_label_value, FieldError};

#[derive(Clone, Debug, PartialEq, Eq)]
enum Token {
    Identifier,
    DoesNotExist,
    Equals,
    DoubleEquals,
    NotEquals,
    In,
    NotIn,
    GreaterThan,
    LessThan,
    OpenPar,
    ClosedPar,
    Comma,
    EndOfString,
    Error,
}

/// The token a literal stands for, if it is one.
fn keyword(literal: &str) -> Option<Token> {
    Some(match literal {
        ")" => Token::ClosedPar,
        "," => Token::Comma,
        "!" => Token::DoesNotExist,
        "==" => Token::DoubleEquals,
        "=" => Token::Equals,
        ">" => Token::GreaterThan,
        "in" => Token::In,
        "<" => Token::LessThan,
        "!=" => Token::NotEquals,
        "notin" => Token::NotIn,
        "(" => Token::OpenPar,
        _ => return None,
    })
}

fn is_whitespace(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

fn is_special(c: char) -> bool {
    matches!(c, '=' | '!' | '(' | ')' | ',' | '>' | '<')
}

/// Splits the text into tokens with their literals, ending with `EndOfString`.
fn lex(text: &str) -> Vec<(Token, String)> {
    let chars: Vec<char> = text.chars().collect();
    let mut pos = 0;
    let mut tokens = Vec::new();
    loop {
        while pos < chars.len() && is_whitespace(chars[pos]) {
            pos += 1;
        }
        // Upstream's lexer stops at a NUL byte as at the end.
        if pos >= chars.len() || chars[pos] == '\0' {
            tokens.push((Token::EndOfString, String::new()));
            return tokens;
        }
        if is_special(chars[pos]) {
            let mut buffer = String::new();
            let mut last: Option<(Token, String)> = None;
            while pos < chars.len() && is_special(chars[pos]) {
                buffer.push(chars[pos]);
                if let Some(token) = keyword(&buffer) {
                    last = Some((token, buffer.clone()));
                    pos += 1;
                } else if last.is_some() {
                    break;
                } else {
                    pos += 1;
                }
            }
            tokens.push(last.unwrap_or_else(|| {
                (
                    Token::Error,
                    format!("error expected: keyword found '{buffer}'"),
                )
            }));
        } else {
            let start = pos;
            while pos < chars.len()
                && chars[pos] != '\0'
                && !is_special(chars[pos])
                && !is_whitespace(chars[pos])
            {
                pos += 1;
            }
            let literal: String = chars[start..pos].iter().collect();
            let token = keyword(&literal).unwrap_or(Token::Identifier);
            tokens.push((token, literal));
        }
    }
}

/// Whether `in` and `notin` are operators here or plain identifiers.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Context {
    KeyAndOperator,
    Values,
}

struct Parser {
    tokens: Vec<(Token, String)>,
    position: usize,
}

impl Parser {
    fn lookahead(&self, context: Context) -> (Token, String) {
        let (token, literal) = self
            .tokens
            .get(self.position)
            .cloned()
            .unwrap_or((Token::EndOfString, String::new()));
        let token = match token {
            Token::In | Token::NotIn if context == Context::Values => Token::Identifier,
            other => other,
        };
        (token, literal)
    }

    fn consume(&mut self, context: Context) -> (Token, String) {
        let next = self.lookahead(context);
        if self.position < self.tokens.len() {
            self.position += 1;
        }
        next
    }

    fn parse(&mut self) -> Result<Vec<Requirement>, String> {
        let mut requirements = Vec::new();
        loop {
            let (token, literal) = self.lookahead(Context::Values);
            match token {
                Token::Identifier | Token::DoesNotExist => {
                    let requirement = self
                        .parse_requirement()
                        .map_err(|e| format!("unable to parse requirement: {e}"))?;
                    requirements.push(requirement);
                    let (token, literal) = self.consume(Context::Values);
                    match token {
                        Token::EndOfString => return Ok(requirements),
                        Token::Comma => {
                            let (next, literal) = self.lookahead(Context::Values);
                            if next != Token::Identifier && next != Token::DoesNotExist {
                                return Err(format!(
                                    "found '{literal}', expected: identifier after ','"
                                ));
                            }
                        }
                        _ => {
                            return Err(format!(
                                "found '{literal}', expected: ',' or 'end of string'"
                            ))
                        }
                    }
                }
                Token::EndOfString => return Ok(requirements),
                _ => {
                    return Err(format!(
                        "found '{literal}', expected: !, identifier, or 'end of string'"
                    ))
                }
            }
        }
    }

    fn parse_requirement(&mut self) -> Result<Requirement, String> {
        let (key, operator) = self.parse_key_and_infer_operator()?;
        if let Some(operator) = operator {
            return new_requirement(&key, operator, Vec::new());
        }
        let operator = self.parse_operator()?;
        let values = match operator {
            Operator::In | Operator::NotIn => self.parse_values()?,
            _ => self.parse_exact_value()?,
        };
        new_requirement(&key, operator, values)
    }

    /// The key, and `Exists` or `DoesNotExist` if that is all there is.
    fn parse_key_and_infer_operator(&mut self) -> Result<(String, Option<Operator>), String> {
        let mut operator = None;
        let (mut token, mut literal) = self.consume(Context::Values);
        if token == Token::DoesNotExist {
            operator = Some(Operator::DoesNotExist);
            (token, literal) = self.consume(Context::Values);
        }
        if token != Token::Identifier {
            return Err(format!("found '{literal}', expected: identifier"));
        }
        validate_label_key(&literal, "<nil>")?;
        let (next, _) = self.lookahead(Context::Values);
        if (next == Token::EndOfString || next == Token::Comma) && operator.is_none() {
            operator = Some(Operator::Exists);
        }
        Ok((literal, operator))
    }

    fn parse_operator(&mut self) -> Result<Operator, String> {
        let (token, literal) = self.consume(Context::KeyAndOperator);
        Ok(match token {
            Token::In => Operator::In,
            Token::Equals => Operator::Equals,
            Token::DoubleEquals => Operator::DoubleEquals,
            Token::GreaterThan => Operator::GreaterThan,
            Token::LessThan => Operator::LessThan,
            Token::NotIn => Operator::NotIn,
            Token::NotEquals => Operator::NotEquals,
            _ => {
                return Err(format!(
                    "found '{literal}', expected: in, notin, =, ==, !=, gt, lt"
                ))
            }
        })
    }

    fn parse_values(&mut self) -> Result<Vec<String>, String> {
        let (token, literal) = self.consume(Context::Values);
        if token != Token::OpenPar {
            return Err(format!("found '{literal}' expected: '('"));
        }
        let (token, literal) = self.lookahead(Context::Values);
        match token {
            Token::Identifier | Token::Comma => {
                let values = self.parse_identifiers_list()?;
                let (token, _) = self.consume(Context::Values);
                if token != Token::ClosedPar {
                    return Err(format!("found '{literal}', expected: ')'"));
                }
                Ok(values)
            }
            Token::ClosedPar => {
                self.consume(Context::Values);
                Ok(vec![String::new()])
            }
            _ => Err(format!(
                "found '{literal}', expected: ',', ')' or identifier"
            )),
        }
    }

    fn parse_identifiers_list(&mut self) -> Result<Vec<String>, String> {
        let mut values: Vec<String> = Vec::new();
        loop {
            let (token, literal) = self.consume(Context::Values);
            match token {
                Token::Identifier => {
                    values.push(literal);
                    let (next, literal) = self.lookahead(Context::Values);
                    match next {
                        Token::Comma => continue,
                        Token::ClosedPar => return Ok(values),
                        _ => return Err(format!("found '{literal}', expected: ',' or ')'")),
                    }
                }
                Token::Comma => {
                    if values.is_empty() {
                        values.push(String::new());
                    }
                    let (next, _) = self.lookahead(Context::Values);
                    if next == Token::ClosedPar {
                        values.push(String::new());
                        return Ok(values);
                    }
                    if next == Token::Comma {
                        self.consume(Context::Values);
                        values.push(String::new());
                    }
                }
                _ => return Err(format!("found '{literal}', expected: ',', or identifier")),
            }
        }
    }

    fn parse_exact_value(&mut self) -> Result<Vec<String>, String> {
        let (token, _) = self.lookahead(Context::Values);
        if token == Token::EndOfString || token == Token::Comma {
            return Ok(vec![String::new()]);
        }
        let (token, literal) = self.consume(Context::Values);
        if token == Token::Identifier {
            Ok(vec![literal])
        } else {
            Err(format!("found '{literal}', expected: identifier"))
        }
    }
}

/// Parses the `?labelSelector=` form.
pub(super) fn parse(text: &str) -> Result<Vec<Requirement>, SelectorError> {
    let mut parser = Parser {
        tokens: lex(text),
        position: 0,
    };
    parser.parse().map_err(SelectorError)
}

fn validate_label_key(key: &str, path: &str) -> Result<(), String> {
    let problems = is_qualified_name(key);
    if problems.is_empty() {
        Ok(())
    } else {
        Err(FieldError::invalid(path, key, problems.join("; ")).to_string())
    }
}

/// Upstream's `NewRequirement`: checks the key, the number of values for the
/// operator and each value, and sorts the values.
fn new_requirement(
    key: &str,
    operator: Operator,
    values: Vec<String>,
) -> Result<Requirement, String> {
    let mut values = values;
    values.sort();
    values.dedup();
    let mut errors: Vec<String> = Vec::new();
    if let Err(e) = validate_label_key(key, "key") {
        errors.push(e);
    }
    let as_value = || Value::from(values.clone());
    match operator {
        Operator::In | Operator::NotIn if values.is_empty() => errors.push(
            FieldError::invalid(
                "values",
                as_value(),
                "for 'in', 'notin' operators, values set can't be empty",
            )
            .to_string(),
        ),
        Operator::Equals | Operator::DoubleEquals | Operator::NotEquals if values.len() != 1 => {
            errors.push(
                FieldError::invalid(
                    "values",
                    as_value(),
                    "exact-match compatibility requires one single value",
                )
                .to_string(),
            )
        }
        Operator::Exists | Operator::DoesNotExist if !values.is_empty() => errors.push(
            FieldError::invalid(
                "values",
                as_value(),
                "values set must be empty for exists and does not exist",
            )
            .to_string(),
        ),
        Operator::GreaterThan | Operator::LessThan => {
            if values.len() != 1 {
                errors.push(
                    FieldError::invalid(
                        "values",
                        as_value(),
                        "for 'Gt', 'Lt' operators, exactly one value is required",
                    )
                    .to_string(),
                );
            }
            for (i, value) in values.iter().enumerate() {
                if value.parse::<i64>().is_err() {
                    errors.push(
                        FieldError::invalid(
                            format!("values[{i}]"),
                            value.as_str(),
                            "for 'Gt', 'Lt' operators, the value must be an integer",
                        )
                        .to_string(),
                    );
                }
            }
        }
        _ => {}
    }
    for (i, value) in values.iter().enumerate() {
        let problems = is_valid_label_value(value);
        if !problems.is_empty() {
            errors.push(
                FieldError::invalid(
                    format!("values[{i}][{key}]"),
                    value.as_str(),
                    problems.join("; "),
                )
                .to_string(),
            );
        }
    }
    match errors.len() {
        0 => Ok(Requirement {
            key: key.to_string(),
            operator,
            values,
        }),
        1 => Err(errors.remove(0)),
        _ => Err(format!("[{}]", errors.join(", "))),
    }
}

/// Upstream's `LabelSelectorAsSelector`.
pub(super) fn from_api(selector: &Value) -> Result<LabelSelector, SelectorError> {
    let Some(object) = selector.as_object() else {
        return Ok(LabelSelector::nothing());
    };
    let mut requirements = Vec::new();
    let match_labels = object.get("matchLabels").and_then(Value::as_object);
    for (key, value) in match_labels.into_iter().flatten() {
        let value = value.as_str().unwrap_or_default().to_string();
        requirements
            .push(new_requirement(key, Operator::Equals, vec![value]).map_err(SelectorError)?);
    }
    let expressions = object.get("matchExpressions").and_then(Value::as_array);
    for expression in expressions.into_iter().flatten() {
        let text = |field: &str| {
            expression
                .get(field)
                .and_then(Value::as_str)
                .unwrap_or_default()
        };
        let operator = match text("operator") {
            "In" => Operator::In,
            "NotIn" => Operator::NotIn,
            "Exists" => Operator::Exists,
            "DoesNotExist" => Operator::DoesNotExist,
            other => {
                return Err(SelectorError(format!(
                    "{} is not a valid label selector operator",
                    crate::validation::go_quote(other)
                )))
            }
        };
        let values = expression
            .get("values")
            .and_then(Value::as_array)
            .map(|vs| {
                vs.iter()
                    .map(|v| v.as_str().unwrap_or_default().to_string())
                    .collect()
            })
            .unwrap_or_default();
        requirements.push(new_requirement(text("key"), operator, values).map_err(SelectorError)?);
    }
    Ok(LabelSelector::from_requirements(requirements))
}
