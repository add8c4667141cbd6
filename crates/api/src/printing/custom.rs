//! Tables of custom resources, from their CRD version's
//! `additionalPrinterColumns` (NAME first, then each column; NAME and AGE when
//! the CRD declares none), as upstream's apiextensions table convertor does.

use k8s_openapi::jiff::Timestamp;
use serde_json::{json, Value};

use super::{human_duration, name, parse_time, Row};
use crate::resource::custom::CustomVersion;

/// The column definitions of a custom resource's table.
pub(super) fn columns(custom: &CustomVersion) -> Vec<Value> {
    let mut columns = vec![json!({
        "name": "Name", "type": "string", "format": "name",
        "description": "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names",
        "priority": 0,
    })];
    if custom.printer_columns.is_empty() {
        columns.push(json!({
            "name": "Age", "type": "date", "format": "",
            "description": "CreationTimestamp is a timestamp representing the server time when this object was created.",
            "priority": 0,
        }));
    }
    for column in &custom.printer_columns {
        columns.push(json!({
            "name": column.get("name").cloned().unwrap_or(json!("")),
            "type": column.get("type").cloned().unwrap_or(json!("string")),
            "format": column.get("format").cloned().unwrap_or(json!("")),
            "description": column.get("description").cloned().unwrap_or(json!("")),
            "priority": column.get("priority").cloned().unwrap_or(json!(0)),
        }));
    }
    columns
}

/// The row of one custom object.
pub(super) fn row(custom: &CustomVersion, object: &Value, now: Timestamp) -> Row {
    let mut cells = vec![name(object)];
    if custom.printer_columns.is_empty() {
        cells.push(date_cell(
            object.pointer("/metadata/creationTimestamp"),
            now,
        ));
    }
    for column in &custom.printer_columns {
        let path = column.get("jsonPath").and_then(Value::as_str).unwrap_or("");
        let found = lookup(object, path);
        let cell = match column.get("type").and_then(Value::as_str) {
            Some("date") => date_cell(found.as_ref(), now),
            Some("string") => match found {
                Some(Value::String(s)) => json!(s),
                Some(Value::Null) | None => Value::Null,
                Some(other) => json!(other.to_string()),
            },
            _ => found.unwrap_or(Value::Null),
        };
        cells.push(cell);
    }
    Row {
        cells,
        conditions: None,
    }
}

/// A `date` cell: the time since, as kubectl shows ages.
fn date_cell(value: Option<&Value>, now: Timestamp) -> Value {
    match value.and_then(Value::as_str).and_then(parse_time) {
        Some(time) => json!(human_duration(now.as_nanosecond() - time.as_nanosecond())),
        None => Value::Null,
    }
}

/// The value at a simple JSON path as CRD columns write them:
/// `.spec.replicas`, `.status.conditions[0].type`, and the filter
/// `.status.conditions[?(@.type=="Ready")].status`.
fn lookup(object: &Value, path: &str) -> Option<Value> {
    let mut current = object.clone();
    let mut rest = path.trim().trim_start_matches('{').trim_end_matches('}');
    rest = rest.strip_prefix('.').unwrap_or(rest);
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('[') {
            let end = after.find(']')?;
            let index = &after[..end];
            current = if let Some(filter) =
                index.strip_prefix("?(@.").and_then(|f| f.strip_suffix(')'))
            {
                let (field, wanted) = filter.split_once("==")?;
                let wanted = wanted.trim().trim_matches('"').trim_matches('\'');
                current
                    .as_array()?
                    .iter()
                    .find(|item| item.get(field.trim()).and_then(Value::as_str) == Some(wanted))?
                    .clone()
            } else {
                current
                    .as_array()?
                    .get(index.parse::<usize>().ok()?)?
                    .clone()
            };
            rest = &after[end + 1..];
            rest = rest.strip_prefix('.').unwrap_or(rest);
            continue;
        }
        let end = rest.find(['.', '[']).unwrap_or(rest.len());
        current = current.get(&rest[..end])?.clone();
        rest = &rest[end..];
        rest = rest.strip_prefix('.').unwrap_or(rest);
    }
    Some(current)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_paths_of_printer_columns() {
        let obj = json!({"spec": {"size": 3, "tags": ["a", "b"]},
                         "status": {"conditions": [{"type": "Ready", "status": "True"}]}});
        assert_eq!(lookup(&obj, ".spec.size"), Some(json!(3)));
        assert_eq!(lookup(&obj, ".spec.tags[1]"), Some(json!("b")));
        assert_eq!(
            lookup(&obj, ".status.conditions[?(@.type==\"Ready\")].status"),
            Some(json!("True"))
        );
        assert_eq!(lookup(&obj, ".spec.missing"), None);
    }
}
