//! Custom objects against the structural schema of their CRD version
//! (`openAPIV3Schema`), as upstream's apiextensions-apiserver treats them:
//! unknown fields are pruned (and reported, for `fieldValidation`), nulls of
//! non-nullable fields dropped, defaults applied, and the value validations
//! checked with upstream's messages.
//!
//! `x-kubernetes-validations` (CEL rules) are not evaluated.

use serde_json::{Map, Value};

use crate::validation::FieldError;

/// Fields every object keeps whatever its schema says.
const TYPE_AND_OBJECT_META: &[&str] = &["apiVersion", "kind", "metadata"];

fn child(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_string()
    } else {
        format!("{path}.{name}")
    }
}

fn flag(schema: &Value, name: &str) -> bool {
    schema.get(name).and_then(Value::as_bool) == Some(true)
}

fn properties(schema: &Value) -> Option<&Map<String, Value>> {
    schema.get("properties").and_then(Value::as_object)
}

/// The schema of map values, when the schema declares a map.
fn additional(schema: &Value) -> Option<&Value> {
    schema.get("additionalProperties").filter(|s| s.is_object())
}

/// Removes what the schema does not declare; returns the removed fields' paths
/// (`spec.foo`, `spec.items[0].bar`), which `fieldValidation` reports.
pub fn prune(schema: &Value, obj: &mut Value) -> Vec<String> {
    let mut unknown = Vec::new();
    prune_object(schema, obj, "", true, &mut unknown);
    unknown
}

fn prune_value(schema: &Value, value: &mut Value, path: &str, unknown: &mut Vec<String>) {
    match value {
        Value::Object(_) => {
            let embedded = flag(schema, "x-kubernetes-embedded-resource");
            prune_object(schema, value, path, embedded, unknown);
        }
        Value::Array(items) => {
            if let Some(item_schema) = schema.get("items") {
                for (i, item) in items.iter_mut().enumerate() {
                    prune_value(item_schema, item, &format!("{path}[{i}]"), unknown);
                }
            }
        }
        _ => {}
    }
}

fn prune_object(
    schema: &Value,
    value: &mut Value,
    path: &str,
    keeps_meta: bool,
    unknown: &mut Vec<String>,
) {
    let Value::Object(map) = value else {
        return;
    };
    let preserve = flag(schema, "x-kubernetes-preserve-unknown-fields");
    let props = properties(schema);
    let extra = additional(schema);
    let keys: Vec<String> = map.keys().cloned().collect();
    for key in keys {
        let field_path = child(path, &key);
        if keeps_meta && TYPE_AND_OBJECT_META.contains(&key.as_str()) {
            continue;
        }
        let field_schema = props.and_then(|p| p.get(&key)).or(extra);
        match field_schema {
            Some(field_schema) => {
                let remove_null =
                    map.get(&key).is_some_and(Value::is_null) && !flag(field_schema, "nullable");
                if remove_null {
                    map.remove(&key);
                } else if let Some(field) = map.get_mut(&key) {
                    let path = if props.is_some_and(|p| p.contains_key(&key)) {
                        field_path
                    } else {
                        format!("{path}[{key}]")
                    };
                    prune_value(field_schema, field, &path, unknown);
                }
            }
            None if preserve => {}
            None => {
                map.remove(&key);
                unknown.push(field_path);
            }
        }
    }
}

/// Applies the schema's `default`s to absent fields, recursively.
pub fn apply_defaults(schema: &Value, obj: &mut Value) {
    match obj {
        Value::Object(map) => {
            if let Some(props) = properties(schema) {
                for (name, field_schema) in props {
                    if map.get(name).is_none_or(Value::is_null) && !flag(field_schema, "nullable") {
                        if let Some(default) = field_schema.get("default") {
                            map.insert(name.clone(), default.clone());
                        }
                    }
                    if let Some(field) = map.get_mut(name) {
                        apply_defaults(field_schema, field);
                    }
                }
            }
            if let Some(value_schema) = additional(schema) {
                let known = properties(schema);
                for (name, value) in map.iter_mut() {
                    if known.is_none_or(|p| !p.contains_key(name)) {
                        apply_defaults(value_schema, value);
                    }
                }
            }
        }
        Value::Array(items) => {
            if let Some(item_schema) = schema.get("items") {
                for item in items {
                    apply_defaults(item_schema, item);
                }
            }
        }
        _ => {}
    }
}

/// The value validations of the schema; the root's apiVersion, kind and
/// metadata are checked elsewhere.
pub fn validate(schema: &Value, obj: &Value) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let Value::Object(map) = obj else {
        return errs;
    };
    let mut rest = map.clone();
    for key in TYPE_AND_OBJECT_META {
        rest.remove(*key);
    }
    let mut root = schema.clone();
    if let Some(Value::Array(required)) = root.get_mut("required") {
        required.retain(|r| {
            !r.as_str()
                .is_some_and(|r| TYPE_AND_OBJECT_META.contains(&r))
        });
    }
    if let Some(Value::Object(props)) = root.get_mut("properties") {
        for key in TYPE_AND_OBJECT_META {
            props.remove(*key);
        }
    }
    check(&root, &Value::Object(rest), "", &mut errs);
    errs
}

/// The JSON type of a value, as kube-openapi names it.
fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(n) if n.as_f64().is_some_and(|f| f.fract() == 0.0) => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn type_matches(want: &str, value: &Value) -> bool {
    let got = type_name(value);
    got == want || (want == "number" && got == "integer")
}

/// `spec.x in body`, or `body` for the root.
fn in_body(path: &str) -> String {
    if path.is_empty() {
        "body".to_string()
    } else {
        format!("{path} in body")
    }
}

fn number(value: &Value) -> Option<f64> {
    value.as_f64()
}

/// Upstream's rendering of a number bound (`10`, `1.5`).
fn show(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        n.to_string()
    }
}

fn check(schema: &Value, value: &Value, path: &str, errs: &mut Vec<FieldError>) {
    if value.is_null() {
        if flag(schema, "nullable") {
            return;
        }
        if let Some(want) = schema.get("type").and_then(Value::as_str) {
            errs.push(FieldError::invalid(
                path,
                "null",
                format!("{} must be of type {want}: \"null\"", in_body(path)),
            ));
        }
        return;
    }
    let int_or_string = flag(schema, "x-kubernetes-int-or-string");
    if int_or_string {
        if !matches!(type_name(value), "integer" | "string") {
            errs.push(FieldError::invalid(
                path,
                type_name(value),
                format!(
                    "{} must be of type integer or string: \"{}\"",
                    in_body(path),
                    type_name(value)
                ),
            ));
            return;
        }
    } else if let Some(want) = schema.get("type").and_then(Value::as_str) {
        if !type_matches(want, value) {
            errs.push(FieldError::invalid(
                path,
                type_name(value),
                format!(
                    "{} must be of type {want}: \"{}\"",
                    in_body(path),
                    type_name(value)
                ),
            ));
            return;
        }
    }
    if let Some(Value::Array(allowed)) = schema.get("enum") {
        if !allowed.contains(value) {
            let names: Vec<String> = allowed
                .iter()
                .map(|a| match a {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect();
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            errs.push(FieldError::not_supported(path, value.clone(), &names));
        }
    }
    match value {
        Value::String(text) => check_string(schema, text, path, errs),
        Value::Number(_) => check_number(schema, value, path, errs),
        Value::Array(items) => check_array(schema, items, path, errs),
        Value::Object(map) => check_object(schema, map, path, errs),
        _ => {}
    }
    check_combinators(schema, value, path, errs);
}

fn check_string(schema: &Value, text: &str, path: &str, errs: &mut Vec<FieldError>) {
    let length = text.chars().count() as u64;
    if let Some(max) = schema.get("maxLength").and_then(Value::as_u64) {
        if length > max {
            errs.push(FieldError::too_long(path, max as usize));
        }
    }
    if let Some(min) = schema.get("minLength").and_then(Value::as_u64) {
        if length < min {
            errs.push(FieldError::invalid(
                path,
                text,
                format!("{} should be at least {min} chars long", in_body(path)),
            ));
        }
    }
    if let Some(pattern) = schema.get("pattern").and_then(Value::as_str) {
        if let Ok(re) = regex::Regex::new(pattern) {
            if !re.is_match(text) {
                errs.push(FieldError::invalid(
                    path,
                    text,
                    format!("{} should match '{pattern}'", in_body(path)),
                ));
            }
        }
    }
}

fn check_number(schema: &Value, value: &Value, path: &str, errs: &mut Vec<FieldError>) {
    let Some(n) = number(value) else {
        return;
    };
    if let Some(max) = schema.get("maximum").and_then(number) {
        let exclusive = flag(schema, "exclusiveMaximum");
        if n > max || (exclusive && n == max) {
            let relation = if exclusive {
                "less than"
            } else {
                "less than or equal to"
            };
            errs.push(FieldError::invalid(
                path,
                value.clone(),
                format!("{} should be {relation} {}", in_body(path), show(max)),
            ));
        }
    }
    if let Some(min) = schema.get("minimum").and_then(number) {
        let exclusive = flag(schema, "exclusiveMinimum");
        if n < min || (exclusive && n == min) {
            let relation = if exclusive {
                "greater than"
            } else {
                "greater than or equal to"
            };
            errs.push(FieldError::invalid(
                path,
                value.clone(),
                format!("{} should be {relation} {}", in_body(path), show(min)),
            ));
        }
    }
    if let Some(step) = schema.get("multipleOf").and_then(number) {
        if step > 0.0 && (n / step).fract() != 0.0 {
            errs.push(FieldError::invalid(
                path,
                value.clone(),
                format!("{} should be a multiple of {}", in_body(path), show(step)),
            ));
        }
    }
}

fn check_array(schema: &Value, items: &[Value], path: &str, errs: &mut Vec<FieldError>) {
    if let Some(max) = schema.get("maxItems").and_then(Value::as_u64) {
        if items.len() as u64 > max {
            errs.push(FieldError::too_many(path, items.len(), max as usize));
        }
    }
    if let Some(min) = schema.get("minItems").and_then(Value::as_u64) {
        if (items.len() as u64) < min {
            errs.push(FieldError::invalid(
                path,
                Value::Array(items.to_vec()),
                format!("{} should have at least {min} items", in_body(path)),
            ));
        }
    }
    let list_type = schema
        .get("x-kubernetes-list-type")
        .and_then(Value::as_str)
        .unwrap_or("atomic");
    if flag(schema, "uniqueItems") || list_type == "set" {
        for (i, item) in items.iter().enumerate() {
            if items[..i].contains(item) {
                errs.push(FieldError::duplicate(format!("{path}[{i}]"), item.clone()));
            }
        }
    }
    if list_type == "map" {
        let keys: Vec<&str> = schema
            .get("x-kubernetes-list-map-keys")
            .and_then(Value::as_array)
            .map(|k| k.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let key_of = |item: &Value| -> Vec<Value> {
            keys.iter()
                .map(|k| item.get(*k).cloned().unwrap_or(Value::Null))
                .collect()
        };
        for (i, item) in items.iter().enumerate() {
            let key = key_of(item);
            if items[..i].iter().any(|earlier| key_of(earlier) == key) {
                let shown: Map<String, Value> = keys
                    .iter()
                    .zip(&key)
                    .map(|(k, v)| (k.to_string(), v.clone()))
                    .collect();
                errs.push(FieldError::duplicate(
                    format!("{path}[{i}]"),
                    Value::Object(shown),
                ));
            }
        }
    }
    if let Some(item_schema) = schema.get("items") {
        for (i, item) in items.iter().enumerate() {
            check(item_schema, item, &format!("{path}[{i}]"), errs);
        }
    }
}

fn check_object(schema: &Value, map: &Map<String, Value>, path: &str, errs: &mut Vec<FieldError>) {
    if let Some(Value::Array(required)) = schema.get("required") {
        for name in required.iter().filter_map(Value::as_str) {
            if map.get(name).is_none_or(Value::is_null) {
                errs.push(FieldError::required(child(path, name), ""));
            }
        }
    }
    if let Some(max) = schema.get("maxProperties").and_then(Value::as_u64) {
        if map.len() as u64 > max {
            errs.push(FieldError::too_many(path, map.len(), max as usize));
        }
    }
    if let Some(min) = schema.get("minProperties").and_then(Value::as_u64) {
        if (map.len() as u64) < min {
            errs.push(FieldError::invalid(
                path,
                map.len(),
                format!("{} should have at least {min} properties", in_body(path)),
            ));
        }
    }
    let props = properties(schema);
    for (name, value) in map {
        if let Some(field_schema) = props.and_then(|p| p.get(name)) {
            check(field_schema, value, &child(path, name), errs);
        } else if let Some(value_schema) = additional(schema) {
            check(value_schema, value, &format!("{path}[{name}]"), errs);
        }
    }
}

/// `allOf`, `anyOf`, `oneOf` and `not` of value validations.
fn check_combinators(schema: &Value, value: &Value, path: &str, errs: &mut Vec<FieldError>) {
    let branch_errors = |branch: &Value| {
        let mut found = Vec::new();
        check(branch, value, path, &mut found);
        found
    };
    if let Some(Value::Array(all)) = schema.get("allOf") {
        for branch in all {
            errs.extend(branch_errors(branch));
        }
    }
    if let Some(Value::Array(any)) = schema.get("anyOf") {
        if !any.is_empty() && !any.iter().any(|b| branch_errors(b).is_empty()) {
            errs.push(FieldError::invalid(
                path,
                value.clone(),
                format!(
                    "{} must validate at least one schema (anyOf)",
                    in_body(path)
                ),
            ));
        }
    }
    if let Some(Value::Array(one)) = schema.get("oneOf") {
        let passing = one.iter().filter(|b| branch_errors(b).is_empty()).count();
        if !one.is_empty() && passing != 1 {
            errs.push(FieldError::invalid(
                path,
                value.clone(),
                format!(
                    "{} must validate one and only one schema (oneOf)",
                    in_body(path)
                ),
            ));
        }
    }
    if let Some(not) = schema.get("not") {
        if branch_errors(not).is_empty() {
            errs.push(FieldError::invalid(
                path,
                value.clone(),
                format!("{} must not validate the schema (not)", in_body(path)),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn schema() -> Value {
        json!({
            "type": "object",
            "properties": {
                "spec": {
                    "type": "object",
                    "required": ["size"],
                    "properties": {
                        "size": {"type": "integer", "minimum": 1, "maximum": 10},
                        "mode": {"type": "string", "enum": ["fast", "safe"], "default": "safe"},
                        "name": {"type": "string", "maxLength": 5, "pattern": "^[a-z]+$"},
                        "port": {"x-kubernetes-int-or-string": true},
                        "tags": {"type": "array", "maxItems": 2, "x-kubernetes-list-type": "set", "items": {"type": "string"}},
                        "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                        "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": true},
                        "note": {"type": "string", "nullable": true},
                        "ports": {"type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["port"],
                                  "items": {"type": "object", "properties": {"port": {"type": "integer"}, "name": {"type": "string", "default": "p"}}}}
                    }
                },
                "status": {"type": "object", "properties": {"ready": {"type": "boolean"}}}
            }
        })
    }

    fn messages(errs: &[FieldError]) -> Vec<String> {
        errs.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn prunes_unknown_fields_and_nulls() {
        let mut obj = json!({
            "apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"},
            "spec": {"size": 1, "extra": 1, "free": {"any": {"thing": 1}}, "mode": null, "note": null,
                     "ports": [{"port": 80, "junk": true}], "labels": {"a": "b"}},
            "other": true
        });
        let unknown = prune(&schema(), &mut obj);
        assert_eq!(unknown, vec!["other", "spec.extra", "spec.ports[0].junk"]);
        assert_eq!(
            obj,
            json!({
                "apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"},
                "spec": {"size": 1, "free": {"any": {"thing": 1}}, "note": null, "ports": [{"port": 80}], "labels": {"a": "b"}}
            })
        );
    }

    #[test]
    fn applies_defaults() {
        let mut obj = json!({"spec": {"size": 2, "ports": [{"port": 80}]}});
        apply_defaults(&schema(), &mut obj);
        assert_eq!(
            obj,
            json!({"spec": {"size": 2, "mode": "safe", "ports": [{"port": 80, "name": "p"}]}})
        );
    }

    #[test]
    fn validates_with_upstream_messages() {
        let obj = json!({
            "apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"},
            "spec": {"size": "big", "mode": "slow", "name": "TooLongName", "port": true,
                     "tags": ["a", "a", "b"], "labels": {"x": 1}, "ports": [{"port": 1}, {"port": 1}]},
            "status": {"ready": "yes"}
        });
        assert_eq!(
            messages(&validate(&schema(), &obj)),
            vec![
                "spec.labels[x]: Invalid value: \"integer\": spec.labels[x] in body must be of type string: \"integer\"",
                "spec.mode: Unsupported value: \"slow\": supported values: \"fast\", \"safe\"",
                "spec.name: Too long: may not be more than 5 bytes",
                "spec.name: Invalid value: \"TooLongName\": spec.name in body should match '^[a-z]+$'",
                "spec.port: Invalid value: \"boolean\": spec.port in body must be of type integer or string: \"boolean\"",
                "spec.ports[1]: Duplicate value: {\"port\":1}",
                "spec.size: Invalid value: \"string\": spec.size in body must be of type integer: \"string\"",
                "spec.tags: Too many: 3: must have at most 2 items",
                "spec.tags[1]: Duplicate value: \"a\"",
                "status.ready: Invalid value: \"string\": status.ready in body must be of type boolean: \"string\"",
            ]
        );
        let missing = json!({"spec": {"size": 11}});
        assert_eq!(
            messages(&validate(&schema(), &missing)),
            vec!["spec.size: Invalid value: 11: spec.size in body should be less than or equal to 10"]
        );
        let absent = json!({"spec": {}});
        assert_eq!(
            messages(&validate(&schema(), &absent)),
            vec!["spec.size: Required value"]
        );
    }
}
