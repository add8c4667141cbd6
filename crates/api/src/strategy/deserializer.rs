//! A `serde` deserializer over a JSON value that knows where it is.
//!
//! It does three things `serde_json::Value`'s own deserializer does not:
//! - it records the path of every field the target type ignores (the unknown
//!   fields of `fieldValidation=Strict|Warn`), as `spec.containers[0].foo`;
//! - it attaches to an error the path of the value that caused it and the name of
//!   the struct that holds the field, so that messages read like Go's
//!   `json: cannot unmarshal string into Go struct field PodSpec.spec.containers of type array`;
//! - like Go's `encoding/json`, it treats `null` as "leave the zero value": a
//!   field whose value is `null` is skipped rather than rejected.

use std::cell::RefCell;
use std::fmt;

use serde::de::{self, DeserializeSeed, IntoDeserializer, Visitor};
use serde_json::Value;

/// A decoding failure, with where it happened.
#[derive(Debug)]
pub(crate) struct Error {
    pub(crate) problem: Problem,
    /// The path of the value (`spec.containers[0].image`); `None` until the error
    /// has travelled up through the value's parent.
    pub(crate) path: Option<String>,
    /// The Go-style name of the struct holding the field (`Container`).
    pub(crate) parent_type: Option<String>,
}

#[derive(Debug)]
pub(crate) enum Problem {
    /// A value of the wrong JSON type (`got` is `string`, `number 1.5`, ...).
    Type { got: String, want: String },
    /// Anything else a type's deserializer reports.
    Other(String),
}

impl Error {
    fn at(mut self, path: &str, parent_type: &str) -> Self {
        if self.path.is_none() {
            self.path = Some(path.to_string());
            self.parent_type = Some(parent_type.to_string());
        }
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.problem {
            Problem::Type { got, want } => write!(f, "cannot unmarshal {got} into {want}")?,
            Problem::Other(message) => f.write_str(message)?,
        }
        if let Some(path) = &self.path {
            write!(f, " at {path}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

impl de::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error {
            problem: Problem::Other(msg.to_string()),
            path: None,
            parent_type: None,
        }
    }

    fn invalid_type(unexpected: de::Unexpected<'_>, expected: &dyn de::Expected) -> Self {
        let got = match unexpected {
            de::Unexpected::Bool(_) => "bool".to_string(),
            de::Unexpected::Unsigned(n) => format!("number {n}"),
            de::Unexpected::Signed(n) => format!("number {n}"),
            de::Unexpected::Float(n) => format!("number {n}"),
            de::Unexpected::Str(_) | de::Unexpected::Char(_) => "string".to_string(),
            de::Unexpected::Seq => "array".to_string(),
            de::Unexpected::Map => "object".to_string(),
            de::Unexpected::Unit => "null".to_string(),
            other => other.to_string(),
        };
        Error {
            problem: Problem::Type {
                got,
                want: go_type_name(&expected.to_string()),
            },
            path: None,
            parent_type: None,
        }
    }

    fn invalid_value(unexpected: de::Unexpected<'_>, expected: &dyn de::Expected) -> Self {
        // Integers out of range are reported this way by serde's primitive visitors.
        if let de::Unexpected::Unsigned(_) | de::Unexpected::Signed(_) = unexpected {
            return Self::invalid_type(unexpected, expected);
        }
        Self::custom(format_args!(
            "invalid value: {unexpected}, expected {expected}"
        ))
    }
}

/// Go's name for what a serde visitor expects ("a sequence" -> "array").
fn go_type_name(expected: &str) -> String {
    match expected {
        "a sequence" => "array".to_string(),
        "a map" => "map".to_string(),
        "a string" | "a borrowed string" | "a base64-encoded string" => "string".to_string(),
        "a boolean" => "bool".to_string(),
        "i32" => "int32".to_string(),
        "i64" => "int64".to_string(),
        "u32" => "uint32".to_string(),
        "u64" => "uint64".to_string(),
        "f64" => "float64".to_string(),
        "f32" => "float32".to_string(),
        other => other.to_string(),
    }
}

/// A value to deserialize, with its path and the list unknown fields go to.
pub(crate) struct Node<'a> {
    value: Value,
    path: String,
    /// The Go-style name of the struct whose field this value is.
    parent_type: String,
    unknown: &'a RefCell<Vec<String>>,
}

impl<'a> Node<'a> {
    pub(crate) fn root(value: Value, kind: &str, unknown: &'a RefCell<Vec<String>>) -> Self {
        Node {
            value,
            path: String::new(),
            parent_type: kind.to_string(),
            unknown,
        }
    }
}

/// Shows what a visitor expects, through its `expecting`.
struct Expecting<'v, V>(&'v V);

impl<'de, V: Visitor<'de>> fmt::Display for Expecting<'_, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.expecting(f)
    }
}

impl<'de> de::Deserializer<'de> for Node<'_> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let Node {
            value,
            path,
            parent_type,
            unknown,
        } = self;
        match value {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(b),
            Value::Number(n) => {
                if let Some(u) = n.as_u64() {
                    visitor.visit_u64(u)
                } else if let Some(i) = n.as_i64() {
                    visitor.visit_i64(i)
                } else {
                    visitor.visit_f64(n.as_f64().unwrap_or(f64::NAN))
                }
            }
            Value::String(s) => visitor.visit_string(s),
            Value::Array(items) => visitor.visit_seq(Seq {
                items: items.into_iter().enumerate(),
                path,
                parent_type,
                unknown,
            }),
            Value::Object(map) => {
                // Structs name themselves in `expecting` ("PodSpec"); maps and
                // free-form values describe themselves ("a map"), and then the
                // struct holding them is the one Go would name.
                let expecting = Expecting(&visitor).to_string();
                let holder = if expecting.contains(' ') {
                    parent_type
                } else {
                    expecting
                };
                visitor.visit_map(Fields {
                    entries: map.into_iter(),
                    pending: None,
                    path,
                    parent_type: holder,
                    unknown,
                })
            }
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.value {
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.value {
            Value::String(variant) => visitor.visit_enum(variant.into_deserializer()),
            other => Err(de::Error::invalid_type(unexpected(&other), &visitor)),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.unknown.borrow_mut().push(self.path);
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map struct identifier
    }
}

fn unexpected(value: &Value) -> de::Unexpected<'_> {
    match value {
        Value::Null => de::Unexpected::Unit,
        Value::Bool(b) => de::Unexpected::Bool(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => de::Unexpected::Signed(i),
            None => de::Unexpected::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(s) => de::Unexpected::Str(s),
        Value::Array(_) => de::Unexpected::Seq,
        Value::Object(_) => de::Unexpected::Map,
    }
}

struct Seq<'a, I> {
    items: I,
    path: String,
    parent_type: String,
    unknown: &'a RefCell<Vec<String>>,
}

impl<'de, I: Iterator<Item = (usize, Value)>> de::SeqAccess<'de> for Seq<'_, I> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        let Some((index, value)) = self.items.next() else {
            return Ok(None);
        };
        let path = format!("{}[{index}]", self.path);
        let node = Node {
            value,
            path: path.clone(),
            parent_type: self.parent_type.clone(),
            unknown: self.unknown,
        };
        seed.deserialize(node)
            .map(Some)
            .map_err(|e| e.at(&path, &self.parent_type))
    }
}

struct Fields<'a> {
    entries: serde_json::map::IntoIter,
    /// The value of the key just handed out, with its path.
    pending: Option<(Value, String)>,
    path: String,
    parent_type: String,
    unknown: &'a RefCell<Vec<String>>,
}

impl<'de> de::MapAccess<'de> for Fields<'_> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        // Like Go, a null leaves the field at its zero value.
        let Some((key, value)) = self.entries.by_ref().find(|(_, v)| !v.is_null()) else {
            return Ok(None);
        };
        let path = if self.path.is_empty() {
            key.clone()
        } else {
            format!("{}.{key}", self.path)
        };
        self.pending = Some((value, path));
        seed.deserialize(key.into_deserializer()).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let Some((value, path)) = self.pending.take() else {
            return Err(de::Error::custom("value requested before its key"));
        };
        let node = Node {
            value,
            path: path.clone(),
            parent_type: self.parent_type.clone(),
            unknown: self.unknown,
        };
        seed.deserialize(node)
            .map_err(|e| e.at(&path, &self.parent_type))
    }
}
