//! The Swagger 2.0 document, converted from the v3 shapes of the schemas and
//! operations: `#/definitions/` references (with their description beside the
//! `$ref`, as upstream's v2 writes them), body parameters instead of request
//! bodies, `consumes` and `produces` instead of per-media-type content, and
//! `IntOrString` and `Quantity` as strings.

use serde_json::{json, Map, Value};

use super::definitions::V3_PREFIX;

const V2_PREFIX: &str = "#/definitions/";

pub(super) fn document(
    definitions: Map<String, Value>,
    paths: Map<String, Value>,
    server_version: &str,
) -> Value {
    let definitions: Map<String, Value> = definitions
        .into_iter()
        .map(|(name, schema)| {
            let schema =
                special_definition(&name, &schema).unwrap_or_else(|| convert_schema(schema));
            (name, schema)
        })
        .collect();
    let paths: Map<String, Value> = paths
        .into_iter()
        .map(|(path, item)| (path, convert_path_item(item)))
        .collect();
    json!({
        "swagger": "2.0",
        "info": {"title": "Kubernetes", "version": server_version},
        "paths": paths,
        "definitions": definitions,
        "securityDefinitions": {
            "BearerToken": {
                "type": "apiKey",
                "description": "Bearer Token authentication",
                "name": "authorization",
                "in": "header",
            },
        },
        "security": [{"BearerToken": []}],
    })
}

/// Makes a custom resource's structural schema expressible in Swagger 2.0
/// and digestible by kubectl, as upstream's `ToStructuralOpenAPIV2`: junctors
/// (`allOf`, `oneOf`, `anyOf`, `not`) are dropped; a `nullable` value loses
/// its type, items and properties (kubectl breaks on typed nulls) and is no
/// longer required by its parent; an array left without items loses its
/// type. The `allOf` that wraps a single `$ref` (the `metadata` property the
/// server adds; CRD schemas cannot hold references) is kept.
pub(super) fn make_structural_v2(schema: &mut Value) {
    let Value::Object(object) = schema else {
        return;
    };
    let wraps_reference = matches!(object.get("allOf"), Some(Value::Array(all)) if all.len() == 1 && all[0].get("$ref").is_some());
    if !wraps_reference {
        object.remove("allOf");
    }
    for junctor in ["oneOf", "anyOf", "not"] {
        object.remove(junctor);
    }
    if object.remove("nullable") == Some(Value::Bool(true)) {
        for key in ["type", "items", "properties"] {
            object.remove(key);
        }
    }
    if object.get("type") == Some(&json!("array")) && object.get("items").is_none() {
        object.remove("type");
    }
    let mut not_required: Vec<String> = Vec::new();
    if let Some(Value::Object(properties)) = object.get_mut("properties") {
        for (name, property) in properties.iter_mut() {
            if property.get("nullable") == Some(&json!(true)) {
                not_required.push(name.clone());
            }
            make_structural_v2(property);
        }
    }
    let mut drop_required = false;
    if let Some(additional) = object.get_mut("additionalProperties") {
        drop_required = additional.get("nullable") == Some(&json!(true));
        make_structural_v2(additional);
    }
    if let Some(items) = object.get_mut("items") {
        make_structural_v2(items);
    }
    if drop_required {
        object.remove("required");
    } else if let Some(Value::Array(required)) = object.get_mut("required") {
        required.retain(|name| {
            !name
                .as_str()
                .is_some_and(|n| not_required.iter().any(|r| r == n))
        });
        if required.is_empty() {
            object.remove("required");
        }
    }
}

/// The v2 shapes of the types whose v3 schema is a `oneOf`.
fn special_definition(name: &str, schema: &Value) -> Option<Value> {
    let mut shape = match name {
        "io.k8s.apimachinery.pkg.util.intstr.IntOrString" => {
            json!({"type": "string", "format": "int-or-string"})
        }
        "io.k8s.apimachinery.pkg.api.resource.Quantity" => json!({"type": "string"}),
        _ => return None,
    };
    if let Some(description) = schema.get("description") {
        shape["description"] = description.clone();
    }
    Some(shape)
}

/// A v3 schema in v2 form: references re-pointed, `allOf` of one reference
/// turned back into a `$ref` with siblings (without the `{}` default, which v2
/// cannot express beside a reference).
pub(super) fn convert_schema(schema: Value) -> Value {
    match schema {
        Value::Object(mut object) => {
            if let Some(Value::Array(all_of)) = object.get("allOf") {
                if let [single] = all_of.as_slice() {
                    if let Some(reference) = single.get("$ref").cloned() {
                        object.remove("allOf");
                        object.insert("$ref".into(), reference);
                        if object.get("default") == Some(&json!({})) {
                            object.remove("default");
                        }
                    }
                }
            }
            let converted: Map<String, Value> = object
                .into_iter()
                .map(|(key, value)| {
                    let value = match (key.as_str(), value) {
                        ("$ref", Value::String(reference)) => Value::String(
                            reference
                                .strip_prefix(V3_PREFIX)
                                .map(|name| format!("{V2_PREFIX}{name}"))
                                .unwrap_or(reference),
                        ),
                        // Values, not schemas.
                        ("default" | "enum" | "example", value) => value,
                        ("properties", Value::Object(properties)) => Value::Object(
                            properties
                                .into_iter()
                                .map(|(name, schema)| (name, convert_schema(schema)))
                                .collect(),
                        ),
                        (_, Value::Array(schemas)) => {
                            Value::Array(schemas.into_iter().map(convert_schema).collect())
                        }
                        (_, inner @ Value::Object(_)) => convert_schema(inner),
                        (_, value) => value,
                    };
                    (key, value)
                })
                .collect();
            Value::Object(converted)
        }
        other => other,
    }
}

fn convert_path_item(item: Value) -> Value {
    let Value::Object(item) = item else {
        return item;
    };
    let converted: Map<String, Value> = item
        .into_iter()
        .map(|(key, value)| {
            let value = match key.as_str() {
                "parameters" => convert_parameters(value),
                _ => convert_operation(value),
            };
            (key, value)
        })
        .collect();
    Value::Object(converted)
}

/// `{name, in, schema: {type, uniqueItems}}` becomes `{name, in, type, uniqueItems}`.
fn convert_parameters(parameters: Value) -> Value {
    let Value::Array(parameters) = parameters else {
        return parameters;
    };
    Value::Array(
        parameters
            .into_iter()
            .map(|parameter| {
                let Value::Object(mut parameter) = parameter else {
                    return parameter;
                };
                if let Some(Value::Object(schema)) = parameter.remove("schema") {
                    parameter.extend(schema);
                }
                Value::Object(parameter)
            })
            .collect(),
    )
}

fn convert_operation(operation: Value) -> Value {
    let Value::Object(mut operation) = operation else {
        return operation;
    };
    let mut parameters = match operation.remove("parameters") {
        Some(parameters) => match convert_parameters(parameters) {
            Value::Array(parameters) => parameters,
            _ => Vec::new(),
        },
        None => Vec::new(),
    };
    if let Some(body) = operation.remove("requestBody") {
        let content = body.get("content").and_then(Value::as_object);
        let consumes: Vec<Value> = content
            .map(|c| c.keys().map(|k| Value::String(k.clone())).collect())
            .unwrap_or_default();
        let schema = content
            .and_then(|c| c.values().next())
            .and_then(|media| media.get("schema"))
            .cloned()
            .unwrap_or(Value::Null);
        parameters.insert(
            0,
            json!({"name": "body", "in": "body", "required": true, "schema": convert_schema(schema)}),
        );
        operation.insert("consumes".into(), Value::Array(consumes));
    }
    if !parameters.is_empty() {
        operation.insert("parameters".into(), Value::Array(parameters));
    }
    let mut produces: Vec<String> = Vec::new();
    if let Some(Value::Object(responses)) = operation.get_mut("responses") {
        for response in responses.values_mut() {
            let Value::Object(response) = response else {
                continue;
            };
            if let Some(Value::Object(content)) = response.remove("content") {
                for media in content.keys() {
                    if !produces.contains(media) {
                        produces.push(media.clone());
                    }
                }
                if let Some(schema) = content.values().next().and_then(|m| m.get("schema")) {
                    response.insert("schema".into(), convert_schema(schema.clone()));
                }
            }
        }
    }
    if !produces.is_empty() {
        operation.insert("produces".into(), json!(produces));
    }
    operation.insert("schemes".into(), json!(["https"]));
    Value::Object(operation)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn custom_schemas_lose_what_v2_cannot_say() {
        let mut schema = json!({
            "type": "object",
            "required": ["spec", "note"],
            "properties": {
                "metadata": {"allOf": [{"$ref": "#/components/schemas/meta"}]},
                "note": {"type": "string", "nullable": true},
                "spec": {
                    "type": "object",
                    "anyOf": [{"required": ["a"]}, {"required": ["b"]}],
                    "properties": {
                        "a": {"allOf": [{"minimum": 1}], "type": "integer"},
                        "list": {"type": "array"},
                    },
                },
            },
        });
        make_structural_v2(&mut schema);
        assert_eq!(
            schema,
            json!({
                "type": "object",
                "required": ["spec"],
                "properties": {
                    "metadata": {"allOf": [{"$ref": "#/components/schemas/meta"}]},
                    "note": {},
                    "spec": {
                        "type": "object",
                        "properties": {
                            "a": {"type": "integer"},
                            "list": {},
                        },
                    },
                },
            })
        );
    }
}
