//! Small helpers to read and default fields of objects held as JSON values.

use serde_json::{Map, Value};

/// The object at `key` in `map`, created (replacing a non-object) if absent.
pub(crate) fn object<'m>(map: &'m mut Map<String, Value>, key: &str) -> &'m mut Map<String, Value> {
    let slot = map.entry(key).or_insert_with(|| Value::Object(Map::new()));
    if !slot.is_object() {
        *slot = Value::Object(Map::new());
    }
    match slot {
        Value::Object(inner) => inner,
        _ => unreachable!("just made an object"),
    }
}

/// The object at `key` in `map`, if there is one.
pub(crate) fn object_opt<'m>(
    map: &'m mut Map<String, Value>,
    key: &str,
) -> Option<&'m mut Map<String, Value>> {
    map.get_mut(key).and_then(Value::as_object_mut)
}

/// Every object in the list at `key`, if there is one.
pub(crate) fn each_object<'m>(
    map: &'m mut Map<String, Value>,
    key: &str,
) -> impl Iterator<Item = &'m mut Map<String, Value>> {
    map.get_mut(key)
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object_mut)
}

/// True if `key` is absent or null.
pub(crate) fn unset(map: &Map<String, Value>, key: &str) -> bool {
    matches!(map.get(key), None | Some(Value::Null))
}

/// True if `key` is absent, null or the empty string (Go's zero string).
pub(crate) fn unset_str(map: &Map<String, Value>, key: &str) -> bool {
    match map.get(key) {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s.is_empty(),
        _ => false,
    }
}

/// Sets `key` to `value` unless it has a value (a defaulted pointer field).
pub(crate) fn default_value(map: &mut Map<String, Value>, key: &str, value: impl Into<Value>) {
    if unset(map, key) {
        map.insert(key.to_string(), value.into());
    }
}

/// Sets `key` to `value` unless it is a non-empty string (a defaulted string field).
pub(crate) fn default_str(map: &mut Map<String, Value>, key: &str, value: &str) {
    if unset_str(map, key) {
        map.insert(key.to_string(), Value::String(value.to_string()));
    }
}

/// The string at `key`, or "".
pub(crate) fn str_of<'m>(map: &'m Map<String, Value>, key: &str) -> &'m str {
    map.get(key).and_then(Value::as_str).unwrap_or_default()
}
