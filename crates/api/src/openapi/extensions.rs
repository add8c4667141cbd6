//! What upstream's schemas say that the Rust types cannot: defaults, enums,
//! list and map types, and strategic merge patch keys and strategies.
//!
//! kube-openapi writes these from the Go types of k8s.io/api: the struct tags
//! `patchStrategy` and `patchMergeKey`, the markers `+listType`, `+listMapKey`,
//! `+mapType`, `+structType`, `+default` and `+enum`, and a zero-value
//! `default` for every non-pointer field that is not `omitempty` (`{}` for
//! every non-pointer struct). `extensions.json` holds these facts for the
//! k8s.io/api and apimachinery 1.33 types, derived from their sources, as
//! `{definition: {property: {keyword: value}}}`; the property `""` stands for
//! the definition itself (with upstream's `required`: kube-openapi requires a
//! field unless it is `omitempty` or `+optional`, where the Rust types also
//! require every field that has a default), and `items` / `additionalProperties`
//! entries go into the schema of a list's items or a map's values.

use serde_json::{Map, Value};

/// The table, parsed once per document build (it is small, and not kept).
pub(super) fn load() -> Map<String, Value> {
    serde_json::from_str(include_str!("extensions.json")).unwrap_or_default()
}

/// Adds the extensions of `definition` to its schema.
pub(super) fn apply(table: &Map<String, Value>, definition: &str, schema: &mut Map<String, Value>) {
    let Some(Value::Object(entries)) = table.get(definition) else {
        return;
    };
    for (property, extensions) in entries {
        let Value::Object(extensions) = extensions else {
            continue;
        };
        if property.is_empty() {
            merge(schema, extensions);
            continue;
        }
        let target = schema
            .get_mut("properties")
            .and_then(|properties| properties.get_mut(property.as_str()));
        if let Some(Value::Object(target)) = target {
            merge(target, extensions);
        }
    }
}

/// Inserts `extensions` into `schema`; the schemas of items and values are
/// merged into, not replaced.
fn merge(schema: &mut Map<String, Value>, extensions: &Map<String, Value>) {
    for (key, value) in extensions {
        match (key.as_str(), value) {
            ("items" | "additionalProperties", Value::Object(inner)) => {
                if let Some(Value::Object(target)) = schema.get_mut(key.as_str()) {
                    merge(target, inner);
                }
            }
            _ => {
                schema.insert(key.clone(), value.clone());
            }
        }
    }
}
