//! CustomResourceDefinitions (apiextensions.k8s.io/v1): their defaults, the
//! status the API server gives an accepted definition, and the validation of
//! upstream's `ValidateCustomResourceDefinition` that users meet most.

use serde_json::{json, Map, Value};

use super::json::object;
use crate::validation::{is_dns1123_subdomain, FieldError};

/// The current time as upstream writes condition times.
pub(super) fn now() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// `SetDefaults_CustomResourceDefinition*`.
pub(super) fn default(root: &mut Map<String, Value>) {
    let spec = object(root, "spec");
    let kind = spec
        .get("names")
        .and_then(|n| n.get("kind"))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let names = object(spec, "names");
    if names.get("singular").is_none_or(|s| s.as_str() == Some("")) && !kind.is_empty() {
        names.insert("singular".into(), json!(kind.to_ascii_lowercase()));
    }
    if names.get("listKind").is_none_or(|s| s.as_str() == Some("")) && !kind.is_empty() {
        names.insert("listKind".into(), json!(format!("{kind}List")));
    }
    let conversion = object(spec, "conversion");
    if conversion.get("strategy").is_none() {
        conversion.insert("strategy".into(), json!("None"));
    }
}

/// The status of an accepted definition: names accepted, established, and the
/// storage version recorded among the stored versions.
pub(super) fn set_status(root: &mut Map<String, Value>, old: Option<&Value>, now: &str) {
    let names = root
        .get("spec")
        .and_then(|s| s.get("names"))
        .cloned()
        .unwrap_or_else(|| json!({}));
    let storage = root
        .get("spec")
        .and_then(|s| s.get("versions"))
        .and_then(Value::as_array)
        .and_then(|versions| {
            versions
                .iter()
                .find(|v| v.get("storage").and_then(Value::as_bool) == Some(true))
        })
        .and_then(|v| v.get("name").cloned());
    let mut stored: Vec<Value> = old
        .and_then(|o| o.pointer("/status/storedVersions"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if let Some(storage) = storage {
        if !stored.contains(&storage) {
            stored.push(storage);
        }
    }
    let old_conditions: Vec<Value> = old
        .and_then(|o| o.pointer("/status/conditions"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let condition = |type_: &str, reason: &str, message: &str| {
        let since = old_conditions
            .iter()
            .find(|c| c["type"] == type_ && c["status"] == "True")
            .and_then(|c| c.get("lastTransitionTime").cloned())
            .unwrap_or_else(|| json!(now));
        json!({"type": type_, "status": "True", "lastTransitionTime": since, "reason": reason, "message": message})
    };
    let mut conditions = vec![
        condition("NamesAccepted", "NoConflicts", "no conflicts found"),
        condition(
            "Established",
            "InitialNamesAccepted",
            "the initial names have been accepted",
        ),
    ];
    // A definition being deleted keeps its Terminating condition.
    conditions.extend(
        old_conditions
            .iter()
            .filter(|c| c["type"] == "Terminating")
            .cloned(),
    );
    root.insert(
        "status".into(),
        json!({"conditions": conditions, "acceptedNames": names, "storedVersions": stored}),
    );
}

fn text<'v>(value: &'v Value, pointer: &str) -> &'v str {
    value.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

/// Is `s` a DNS-1035 label (lower case, starting with a letter)?
fn is_dns1035_label(s: &str) -> bool {
    let bytes = s.as_bytes();
    !s.is_empty()
        && s.len() <= 63
        && bytes[0].is_ascii_lowercase()
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
        && !s.ends_with('-')
}

pub(super) fn validate(obj: &Value) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let group = text(obj, "/spec/group");
    let plural = text(obj, "/spec/names/plural");
    let name = text(obj, "/metadata/name");
    if name != format!("{plural}.{group}") {
        errs.push(FieldError::invalid(
            "metadata.name",
            name,
            "must be spec.names.plural+\".\"+spec.group",
        ));
    }
    if group.is_empty() {
        errs.push(FieldError::required("spec.group", ""));
    } else if !is_dns1123_subdomain(group).is_empty() || !group.contains('.') {
        errs.push(FieldError::invalid(
            "spec.group",
            group,
            "should be a domain with at least one dot",
        ));
    }
    match text(obj, "/spec/scope") {
        "" => errs.push(FieldError::required("spec.scope", "")),
        "Cluster" | "Namespaced" => {}
        other => errs.push(FieldError::not_supported(
            "spec.scope",
            other,
            &["Cluster", "Namespaced"],
        )),
    }
    for field in ["plural", "singular"] {
        let value = text(obj, &format!("/spec/names/{field}"));
        if value.is_empty() {
            errs.push(FieldError::required(format!("spec.names.{field}"), ""));
        } else if !is_dns1035_label(value) {
            errs.push(FieldError::invalid(
                format!("spec.names.{field}"),
                value,
                "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
            ));
        }
    }
    for field in ["kind", "listKind"] {
        if text(obj, &format!("/spec/names/{field}")).is_empty() {
            errs.push(FieldError::required(format!("spec.names.{field}"), ""));
        }
    }
    let kind = text(obj, "/spec/names/kind");
    if !kind.is_empty() && kind == text(obj, "/spec/names/listKind") {
        errs.push(FieldError::invalid(
            "spec.names.listKind",
            kind,
            "kind and listKind may not be the same",
        ));
    }
    errs.extend(validate_versions(obj));
    errs
}

fn validate_versions(obj: &Value) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let versions = obj
        .pointer("/spec/versions")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if versions.is_empty() {
        errs.push(FieldError::invalid(
            "spec.versions",
            Value::Null,
            "must have exactly one version marked as storage version",
        ));
        return errs;
    }
    let storage = versions
        .iter()
        .filter(|v| v.get("storage").and_then(Value::as_bool) == Some(true))
        .count();
    if storage != 1 {
        errs.push(FieldError::invalid(
            "spec.versions",
            Value::Array(versions.clone()),
            "must have exactly one version marked as storage version",
        ));
    }
    let mut seen = Vec::new();
    for (i, version) in versions.iter().enumerate() {
        let path = format!("spec.versions[{i}]");
        let name = text(version, "/name");
        if name.is_empty() {
            errs.push(FieldError::required(format!("{path}.name"), ""));
        } else if !is_dns1035_label(name) {
            errs.push(FieldError::invalid(
                format!("{path}.name"),
                name,
                "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
            ));
        } else if seen.contains(&name) {
            errs.push(FieldError::duplicate(format!("{path}.name"), name));
        }
        seen.push(name);
        for flag in ["served", "storage"] {
            if !version.get(flag).is_some_and(Value::is_boolean) {
                errs.push(FieldError::required(format!("{path}.{flag}"), ""));
            }
        }
        match version.pointer("/schema/openAPIV3Schema") {
            None => errs.push(FieldError::required(
                format!("{path}.schema.openAPIV3Schema"),
                "schemas are required",
            )),
            Some(schema) => {
                let schema_path = format!("{path}.schema.openAPIV3Schema");
                if schema.get("type").and_then(Value::as_str) != Some("object") {
                    errs.push(FieldError::invalid(
                        format!("{schema_path}.type"),
                        schema.get("type").cloned().unwrap_or(json!("")),
                        "must be object at the root",
                    ));
                }
                structural(schema, &schema_path, &mut errs);
            }
        }
        if let Some(scale) = version.pointer("/subresources/scale") {
            for (key, prefix) in [
                ("specReplicasPath", ".spec."),
                ("statusReplicasPath", ".status."),
            ] {
                let value = text(scale, &format!("/{key}"));
                if !value.starts_with(prefix) {
                    errs.push(FieldError::invalid(
                        format!("{path}.subresources.scale.{key}"),
                        value,
                        format!(
                            "should be a json path under {}",
                            &prefix[..prefix.len() - 1]
                        ),
                    ));
                }
            }
        }
    }
    errs
}

/// Upstream's structural-schema rule users hit most: every specified field
/// has a type, unless it preserves unknown fields or is int-or-string.
fn structural(schema: &Value, path: &str, errs: &mut Vec<FieldError>) {
    if let Some(props) = schema.get("properties").and_then(Value::as_object) {
        for (name, prop) in props {
            let prop_path = format!("{path}.properties[{name}]");
            let untyped = prop
                .get("type")
                .and_then(Value::as_str)
                .is_none_or(str::is_empty);
            let exempt = prop.get("x-kubernetes-int-or-string") == Some(&json!(true))
                || prop.get("x-kubernetes-preserve-unknown-fields") == Some(&json!(true));
            if untyped && !exempt {
                errs.push(FieldError::required(
                    format!("{prop_path}.type"),
                    "must not be empty for specified object fields",
                ));
            }
            structural(prop, &prop_path, errs);
        }
    }
    if let Some(items) = schema.get("items") {
        let untyped = items
            .get("type")
            .and_then(Value::as_str)
            .is_none_or(str::is_empty);
        let exempt = items.get("x-kubernetes-int-or-string") == Some(&json!(true))
            || items.get("x-kubernetes-preserve-unknown-fields") == Some(&json!(true));
        if untyped && !exempt {
            errs.push(FieldError::required(
                format!("{path}.items.type"),
                "must not be empty for specified array items",
            ));
        }
        structural(items, &format!("{path}.items"), errs);
    }
    if let Some(extra) = schema.get("additionalProperties").filter(|a| a.is_object()) {
        structural(extra, &format!("{path}.additionalProperties"), errs);
    }
}

pub(super) fn validate_update(new: &Value, old: &Value) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let scope = text(new, "/spec/scope");
    if !scope.is_empty() && scope != text(old, "/spec/scope") {
        errs.push(FieldError::invalid(
            "spec.scope",
            scope,
            "field is immutable",
        ));
    }
    // Every stored version must stay defined.
    let defined: Vec<&str> = new
        .pointer("/spec/versions")
        .and_then(Value::as_array)
        .map(|v| v.iter().map(|v| text(v, "/name")).collect())
        .unwrap_or_default();
    if let Some(stored) = old
        .pointer("/status/storedVersions")
        .and_then(Value::as_array)
    {
        for (i, version) in stored.iter().filter_map(Value::as_str).enumerate() {
            if !defined.contains(&version) {
                errs.push(FieldError::invalid(
                    format!("status.storedVersions[{i}]"),
                    version,
                    "must appear in spec.versions",
                ));
            }
        }
    }
    errs
}
