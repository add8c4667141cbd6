//! Validation of ConfigMaps, Secrets and Namespaces (upstream `ValidateConfigMap`,
//! `ValidateSecret`, `ValidateNamespace` and their updates).

use serde_json::Value;

use crate::validation::{is_config_map_key, key, validate_immutable, FieldError};

/// The largest total size of a ConfigMap's or Secret's data (1 MiB).
const MAX_DATA_SIZE: usize = 1024 * 1024;

fn text<'v>(value: &'v Value, field: &str) -> &'v str {
    value.get(field).and_then(Value::as_str).unwrap_or_default()
}

/// The number of bytes a base64 string decodes to.
fn base64_len(encoded: &str) -> usize {
    let padding = encoded.bytes().rev().take_while(|b| *b == b'=').count();
    (encoded.len() / 4) * 3 - padding.min(2)
        + match encoded.len() % 4 {
            2 => 1,
            3 => 2,
            _ => 0,
        }
}

fn validate_keys(data: Option<&Value>, path: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    for name in data
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|m| m.keys())
    {
        for message in is_config_map_key(name) {
            errs.push(FieldError::invalid(key(path, name), name.as_str(), message));
        }
    }
    errs
}

pub(super) fn validate_config_map(obj: &Value) -> Vec<FieldError> {
    let mut errs = validate_keys(obj.get("data"), "data");
    let data = obj.get("data").and_then(Value::as_object);
    let binary = obj.get("binaryData").and_then(Value::as_object);
    for name in data.into_iter().flat_map(|m| m.keys()) {
        if binary.is_some_and(|b| b.contains_key(name)) {
            errs.push(FieldError::invalid(
                key("data", name),
                name.as_str(),
                "duplicate of key present in binaryData",
            ));
        }
    }
    errs.extend(validate_keys(obj.get("binaryData"), "binaryData"));
    let size: usize = data
        .into_iter()
        .flatten()
        .map(|(_, v)| v.as_str().map_or(0, str::len))
        .sum::<usize>()
        + binary
            .into_iter()
            .flatten()
            .map(|(_, v)| v.as_str().map_or(0, base64_len))
            .sum::<usize>();
    if size > MAX_DATA_SIZE {
        errs.push(FieldError::too_long("", MAX_DATA_SIZE));
    }
    errs
}

pub(super) fn validate_secret(obj: &Value) -> Vec<FieldError> {
    let mut errs = validate_keys(obj.get("data"), "data");
    let data = obj.get("data").and_then(Value::as_object);
    let size: usize = data
        .into_iter()
        .flatten()
        .map(|(_, v)| v.as_str().map_or(0, base64_len))
        .sum();
    if size > MAX_DATA_SIZE {
        errs.push(FieldError::too_long("data", MAX_DATA_SIZE));
    }
    let has = |name: &str| data.is_some_and(|d| d.contains_key(name));
    let required = |name: &str| FieldError::required(key("data", name), "");
    match text(obj, "type") {
        "kubernetes.io/service-account-token" => {
            let account = obj
                .pointer("/metadata/annotations")
                .and_then(|a| a.get("kubernetes.io/service-account.name"))
                .and_then(Value::as_str)
                .unwrap_or_default();
            if account.is_empty() {
                errs.push(FieldError::required(
                    key("metadata.annotations", "kubernetes.io/service-account.name"),
                    "",
                ));
            }
        }
        "kubernetes.io/dockercfg" if !has(".dockercfg") => errs.push(required(".dockercfg")),
        "kubernetes.io/dockerconfigjson" if !has(".dockerconfigjson") => {
            errs.push(required(".dockerconfigjson"))
        }
        "kubernetes.io/basic-auth" if !has("username") && !has("password") => {
            errs.push(required("username"));
            errs.push(required("password"));
        }
        "kubernetes.io/ssh-auth" if !has("ssh-privatekey") => errs.push(required("ssh-privatekey")),
        "kubernetes.io/tls" => {
            if !has("tls.crt") {
                errs.push(required("tls.crt"));
            }
            if !has("tls.key") {
                errs.push(required("tls.key"));
            }
        }
        _ => {}
    }
    errs
}

/// A ConfigMap or Secret marked `immutable: true` may not change its data or
/// drop the mark; a Secret's type never changes.
pub(super) fn validate_immutable_data(kind: &str, new: &Value, old: &Value) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if kind == "Secret" {
        errs.extend(validate_immutable(new.get("type"), old.get("type"), "type"));
    }
    if old.get("immutable").and_then(Value::as_bool) != Some(true) {
        return errs;
    }
    const DETAIL: &str = "field is immutable when `immutable` is set";
    if new.get("immutable").and_then(Value::as_bool) != Some(true) {
        errs.push(FieldError::forbidden("immutable", DETAIL));
    }
    let fields: &[&str] = if kind == "Secret" {
        &["data"]
    } else {
        &["data", "binaryData"]
    };
    for field in fields {
        if new.get(*field) != old.get(*field) {
            errs.push(FieldError::forbidden(*field, DETAIL));
        }
    }
    errs
}

pub(super) fn validate_namespace(obj: &Value) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let finalizers = obj.pointer("/spec/finalizers").and_then(Value::as_array);
    for finalizer in finalizers.into_iter().flatten() {
        let name = finalizer.as_str().unwrap_or_default();
        for message in crate::validation::is_qualified_name(name) {
            errs.push(FieldError::invalid("spec.finalizers", name, message));
        }
        if !name.contains('/') && name != "kubernetes" {
            errs.push(FieldError::invalid(
                "spec.finalizers",
                name,
                "name is neither a standard finalizer name nor is it fully qualified",
            ));
        }
    }
    errs
}
