//! The protobuf form of the v2 document (`application/com.github.proto-openapi.spec.v2@v1.0+protobuf`):
//! gnostic's `openapi.v2.Document`, which kubectl decodes for client-side
//! validation, `explain --output plaintext-openapiv2` and patch computation
//! when the v3 documents do not serve.
//!
//! Only the part of the message schema that the JSON document uses is written,
//! by hand: a handful of wire-format helpers and one function per message.
//! Values gnostic keeps as `Any` (defaults, enum values, `x-` extensions) are
//! written in its `yaml` field as JSON, which is YAML too. Field numbers are
//! those of gnostic's `openapiv2/OpenAPIv2.proto`.

use serde_json::{Map, Value};

/// Encodes a Swagger 2.0 document as gnostic's `openapi.v2.Document`.
pub fn encode_v2(document: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    string(&mut out, 1, text(document, "swagger"));
    if let Some(info) = document.get("info") {
        message(&mut out, 2, |m| {
            string(m, 1, text(info, "title"));
            string(m, 2, text(info, "version"));
        });
    }
    if let Some(Value::Object(paths)) = document.get("paths") {
        message(&mut out, 8, |m| {
            for (path, item) in paths {
                message(m, 2, |named| {
                    string(named, 1, path);
                    message(named, 2, |m| path_item(m, item));
                });
            }
        });
    }
    if let Some(Value::Object(definitions)) = document.get("definitions") {
        message(&mut out, 9, |m| {
            for (name, schema) in definitions {
                message(m, 1, |named| {
                    string(named, 1, name);
                    message(named, 2, |m| self::schema(m, schema));
                });
            }
        });
    }
    if let Some(Value::Array(requirements)) = document.get("security") {
        for requirement in requirements {
            message(&mut out, 12, |m| {
                for (name, scopes) in requirement.as_object().into_iter().flatten() {
                    message(m, 1, |named| {
                        string(named, 1, name);
                        message(named, 2, |array| strings(array, 1, scopes));
                    });
                }
            });
        }
    }
    if let Some(Value::Object(schemes)) = document.get("securityDefinitions") {
        message(&mut out, 13, |m| {
            for (name, scheme) in schemes {
                message(m, 1, |named| {
                    string(named, 1, name);
                    // SecurityDefinitionsItem.api_key_security
                    message(named, 2, |item| {
                        message(item, 2, |key| {
                            string(key, 1, text(scheme, "type"));
                            string(key, 2, text(scheme, "name"));
                            string(key, 3, text(scheme, "in"));
                            string(key, 4, text(scheme, "description"));
                        });
                    });
                });
            }
        });
    }
    out
}

fn path_item(out: &mut Vec<u8>, item: &Value) {
    for (method, field) in [
        ("get", 2),
        ("put", 3),
        ("post", 4),
        ("delete", 5),
        ("patch", 8),
    ] {
        if let Some(operation) = item.get(method) {
            message(out, field, |m| self::operation(m, operation));
        }
    }
    for parameter in array(item, "parameters") {
        message(out, 9, |m| parameters_item(m, parameter));
    }
}

fn operation(out: &mut Vec<u8>, operation: &Value) {
    strings(out, 1, operation.get("tags").unwrap_or(&Value::Null));
    string(out, 3, text(operation, "description"));
    string(out, 5, text(operation, "operationId"));
    strings(out, 6, operation.get("produces").unwrap_or(&Value::Null));
    strings(out, 7, operation.get("consumes").unwrap_or(&Value::Null));
    for parameter in array(operation, "parameters") {
        message(out, 8, |m| parameters_item(m, parameter));
    }
    if let Some(Value::Object(responses)) = operation.get("responses") {
        message(out, 9, |m| {
            for (code, response) in responses {
                message(m, 1, |named| {
                    string(named, 1, code);
                    // ResponseValue.response
                    message(named, 2, |value| {
                        message(value, 1, |r| {
                            string(r, 1, text(response, "description"));
                            if let Some(schema) = response.get("schema") {
                                // SchemaItem.schema
                                message(r, 2, |item| message(item, 1, |s| self::schema(s, schema)));
                            }
                        });
                    });
                });
            }
        });
    }
    strings(out, 10, operation.get("schemes").unwrap_or(&Value::Null));
    vendor_extensions(out, 13, operation);
}

/// `ParametersItem.parameter`: a body parameter, or a query or path one.
fn parameters_item(out: &mut Vec<u8>, parameter: &Value) {
    message(out, 1, |p| match text(parameter, "in") {
        "body" => message(p, 1, |body| {
            string(body, 1, text(parameter, "description"));
            string(body, 2, text(parameter, "name"));
            string(body, 3, "body");
            boolean(body, 4, flag(parameter, "required"));
            if let Some(schema) = parameter.get("schema") {
                message(body, 5, |s| self::schema(s, schema));
            }
        }),
        place => message(p, 2, |non_body| {
            // NonBodyParameter: query_parameter_sub_schema = 3, path_parameter_sub_schema = 4.
            let (field, type_field, unique_field) = if place == "path" {
                (4, 5, 19)
            } else {
                (3, 6, 20)
            };
            message(non_body, field, |sub| {
                boolean(sub, 1, flag(parameter, "required"));
                string(sub, 2, place);
                string(sub, 3, text(parameter, "description"));
                string(sub, 4, text(parameter, "name"));
                string(sub, type_field, text(parameter, "type"));
                boolean(sub, unique_field, flag(parameter, "uniqueItems"));
            });
        }),
    });
}

fn schema(out: &mut Vec<u8>, schema: &Value) {
    let Value::Object(object) = schema else {
        return;
    };
    string(out, 1, text(schema, "$ref"));
    string(out, 2, text(schema, "format"));
    string(out, 3, text(schema, "title"));
    string(out, 4, text(schema, "description"));
    if let Some(default) = object.get("default") {
        message(out, 5, |m| any(m, default));
    }
    boolean(out, 16, flag(schema, "uniqueItems"));
    strings(out, 19, object.get("required").unwrap_or(&Value::Null));
    for value in array(schema, "enum") {
        message(out, 20, |m| any(m, value));
    }
    match object.get("additionalProperties") {
        Some(Value::Bool(allowed)) => message(out, 21, |m| boolean_always(m, 2, *allowed)),
        Some(inner @ Value::Object(_)) => {
            message(out, 21, |m| message(m, 1, |s| self::schema(s, inner)))
        }
        _ => {}
    }
    match object.get("type") {
        Some(Value::String(kind)) => message(out, 22, |m| string(m, 1, kind)),
        Some(kinds @ Value::Array(_)) => message(out, 22, |m| strings(m, 1, kinds)),
        _ => {}
    }
    if let Some(items) = object.get("items") {
        message(out, 23, |m| match items {
            Value::Array(all) => all
                .iter()
                .for_each(|s| message(m, 1, |i| self::schema(i, s))),
            single => message(m, 1, |i| self::schema(i, single)),
        });
    }
    for part in array(schema, "allOf") {
        message(out, 24, |m| self::schema(m, part));
    }
    if let Some(Value::Object(properties)) = object.get("properties") {
        message(out, 25, |m| {
            for (name, property) in properties {
                message(m, 1, |named| {
                    string(named, 1, name);
                    message(named, 2, |s| self::schema(s, property));
                });
            }
        });
    }
    boolean(out, 27, flag(schema, "readOnly"));
    vendor_extensions(out, 31, schema);
}

/// The `x-` keys of an object as `NamedAny`s.
fn vendor_extensions(out: &mut Vec<u8>, field: u32, value: &Value) {
    for (key, extension) in value.as_object().into_iter().flat_map(Map::iter) {
        if key.starts_with("x-") {
            message(out, field, |named| {
                string(named, 1, key);
                message(named, 2, |m| any(m, extension));
            });
        }
    }
}

/// gnostic's `Any` with the value in its `yaml` field.
fn any(out: &mut Vec<u8>, value: &Value) {
    let yaml = format!("{}\n", serde_json::to_string(value).unwrap_or_default());
    string_always(out, 2, &yaml);
}

fn text<'a>(value: &'a Value, key: &str) -> &'a str {
    value.get(key).and_then(Value::as_str).unwrap_or("")
}

fn flag(value: &Value, key: &str) -> bool {
    value.get(key).and_then(Value::as_bool).unwrap_or(false)
}

fn array<'a>(value: &'a Value, key: &str) -> &'a [Value] {
    value
        .get(key)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

// Wire format: a key is (field << 3 | wire type); proto3 omits default values.

const VARINT: u32 = 0;
const LENGTH_DELIMITED: u32 = 2;

fn varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

fn key(out: &mut Vec<u8>, field: u32, wire_type: u32) {
    varint(out, u64::from(field << 3 | wire_type));
}

fn string(out: &mut Vec<u8>, field: u32, value: &str) {
    if !value.is_empty() {
        string_always(out, field, value);
    }
}

fn string_always(out: &mut Vec<u8>, field: u32, value: &str) {
    key(out, field, LENGTH_DELIMITED);
    varint(out, value.len() as u64);
    out.extend_from_slice(value.as_bytes());
}

/// A repeated string field from a JSON array of strings.
fn strings(out: &mut Vec<u8>, field: u32, values: &Value) {
    for value in values.as_array().into_iter().flatten() {
        if let Some(value) = value.as_str() {
            string_always(out, field, value);
        }
    }
}

fn boolean(out: &mut Vec<u8>, field: u32, value: bool) {
    if value {
        boolean_always(out, field, true);
    }
}

/// A bool that is written even when false: a member of a `oneof`.
fn boolean_always(out: &mut Vec<u8>, field: u32, value: bool) {
    key(out, field, VARINT);
    varint(out, u64::from(value));
}

/// An embedded message, written by `body` into its own buffer and then
/// length-prefixed (an empty message is still written: it may be a `oneof`
/// member or an element of a repeated field).
fn message(out: &mut Vec<u8>, field: u32, body: impl FnOnce(&mut Vec<u8>)) {
    let mut inner = Vec::new();
    body(&mut inner);
    key(out, field, LENGTH_DELIMITED);
    varint(out, inner.len() as u64);
    out.extend_from_slice(&inner);
}

#[cfg(test)]
pub(super) mod decode {
    //! A protobuf reader for the tests: fields of one message by number.

    /// One field: a varint (its value unused), or the bytes of a length-delimited one.
    #[derive(Debug)]
    pub enum Field<'a> {
        Varint,
        Bytes(&'a [u8]),
    }

    pub fn fields(mut input: &[u8]) -> Vec<(u32, Field<'_>)> {
        let mut out = Vec::new();
        while !input.is_empty() {
            let key = read_varint(&mut input);
            let (field, wire) = ((key >> 3) as u32, key & 7);
            match wire {
                0 => {
                    read_varint(&mut input);
                    out.push((field, Field::Varint));
                }
                2 => {
                    let length = read_varint(&mut input) as usize;
                    let (bytes, rest) = input.split_at(length);
                    out.push((field, Field::Bytes(bytes)));
                    input = rest;
                }
                other => panic!("unexpected wire type {other}"),
            }
        }
        out
    }

    fn read_varint(input: &mut &[u8]) -> u64 {
        let mut value = 0u64;
        let mut shift = 0;
        loop {
            let byte = input[0];
            *input = &input[1..];
            value |= u64::from(byte & 0x7f) << shift;
            if byte < 0x80 {
                return value;
            }
            shift += 7;
        }
    }
}
