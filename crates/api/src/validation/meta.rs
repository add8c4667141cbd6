//! Validation of `metadata`, shared by every kind (upstream's `ValidateObjectMeta`
//! and `ValidateObjectMetaUpdate`).

use serde_json::{Map, Value};

use super::names::{is_qualified_name, is_valid_label_value, NameRule};
use super::{child, index, validate_immutable, validate_nonnegative, FieldError};

/// The largest total size of a object's annotations, keys and values (256 KiB).
pub const TOTAL_ANNOTATION_SIZE_LIMIT: usize = 256 * 1024;

/// Finalizers that need no domain prefix.
const STANDARD_FINALIZERS: &[&str] = &["kubernetes", "orphan", "foregroundDeletion"];

/// Validates the `metadata` of a new object at `path` (usually `metadata`).
///
/// The name is required: the API server fills it from `generateName` before
/// validating. `namespaced` says whether a namespace is required (its form is
/// checked) or forbidden.
pub fn validate_object_meta(
    meta: &Value,
    namespaced: bool,
    rule: NameRule,
    path: &str,
) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let text = |field: &str| meta.get(field).and_then(Value::as_str).unwrap_or("");
    let generate_name = text("generateName");
    if !generate_name.is_empty() {
        for message in rule.check(generate_name, true) {
            errs.push(FieldError::invalid(
                child(path, "generateName"),
                generate_name,
                message,
            ));
        }
    }
    let name = text("name");
    if name.is_empty() {
        errs.push(FieldError::required(
            child(path, "name"),
            "name or generateName is required",
        ));
    } else {
        for message in rule.check(name, false) {
            errs.push(FieldError::invalid(child(path, "name"), name, message));
        }
    }
    let namespace = text("namespace");
    if namespaced {
        if namespace.is_empty() {
            errs.push(FieldError::required(child(path, "namespace"), ""));
        } else {
            for message in NameRule::Dns1123Label.check(namespace, false) {
                errs.push(FieldError::invalid(
                    child(path, "namespace"),
                    namespace,
                    message,
                ));
            }
        }
    } else if !namespace.is_empty() {
        errs.push(FieldError::forbidden(
            child(path, "namespace"),
            "not allowed on this type",
        ));
    }
    errs.extend(validate_nonnegative(
        meta.get("generation"),
        &child(path, "generation"),
    ));
    errs.extend(validate_common(meta, path));
    errs.extend(validate_finalizers(
        meta.get("finalizers"),
        &child(path, "finalizers"),
    ));
    errs
}

/// Validates the `metadata` of an update: what may never change, and the
/// forms checked on create.
pub fn validate_object_meta_update(new: &Value, old: &Value, path: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if old.get("deletionTimestamp").is_some_and(|t| !t.is_null()) {
        let old_finalizers = string_list(old.get("finalizers"));
        for finalizer in string_list(new.get("finalizers")) {
            if !old_finalizers.contains(&finalizer) {
                errs.push(FieldError::forbidden(
                    child(path, "finalizers"),
                    format!("no new finalizers can be added if the object is being deleted, found new finalizers []string{{{}}}", super::go_quote(&finalizer)),
                ));
            }
        }
    }
    let generation = |m: &Value| m.get("generation").and_then(Value::as_i64).unwrap_or(0);
    if generation(new) < generation(old) {
        errs.push(FieldError::invalid(
            child(path, "generation"),
            generation(new),
            "must not be decremented",
        ));
    }
    for field in [
        "name",
        "namespace",
        "uid",
        "creationTimestamp",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
    ] {
        errs.extend(validate_immutable(
            present(new, field),
            present(old, field),
            &child(path, field),
        ));
    }
    errs.extend(validate_common(new, path));
    errs.extend(validate_finalizers(
        new.get("finalizers"),
        &child(path, "finalizers"),
    ));
    errs
}

/// A field's value, treating `null` and `""` as absent.
fn present<'v>(meta: &'v Value, field: &str) -> Option<&'v Value> {
    match meta.get(field) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.is_empty() => None,
        Some(v) => Some(v),
    }
}

fn string_list(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// Labels, annotations and owner references, checked on create and update.
fn validate_common(meta: &Value, path: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    errs.extend(validate_labels(
        meta.get("labels").and_then(Value::as_object),
        &child(path, "labels"),
    ));
    errs.extend(validate_annotations(
        meta.get("annotations").and_then(Value::as_object),
        &child(path, "annotations"),
    ));
    errs.extend(validate_owner_references(
        meta.get("ownerReferences"),
        &child(path, "ownerReferences"),
    ));
    errs
}

/// Label keys must be qualified names and values valid label values; errors
/// are reported on the map's path, as upstream does.
pub fn validate_labels(labels: Option<&Map<String, Value>>, path: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    for (key, value) in labels.into_iter().flatten() {
        for message in is_qualified_name(key) {
            errs.push(FieldError::invalid(path, key.as_str(), message));
        }
        let value = value.as_str().unwrap_or("");
        for message in is_valid_label_value(value) {
            errs.push(FieldError::invalid(path, value, message));
        }
    }
    errs
}

/// Annotation keys must be qualified names (in any case), and all annotations
/// together at most 256 KiB.
pub fn validate_annotations(
    annotations: Option<&Map<String, Value>>,
    path: &str,
) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let mut total = 0;
    for (key, value) in annotations.into_iter().flatten() {
        for message in is_qualified_name(&key.to_lowercase()) {
            errs.push(FieldError::invalid(path, key.as_str(), message));
        }
        total += key.len() + value.as_str().map_or(0, str::len);
    }
    if total > TOTAL_ANNOTATION_SIZE_LIMIT {
        errs.push(FieldError::too_long(path, TOTAL_ANNOTATION_SIZE_LIMIT));
    }
    errs
}

/// Finalizers must be qualified names, fully qualified unless standard, and not
/// both `orphan` and `foregroundDeletion`.
pub fn validate_finalizers(finalizers: Option<&Value>, path: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let finalizers = string_list(finalizers);
    for finalizer in &finalizers {
        for message in is_qualified_name(finalizer) {
            errs.push(FieldError::invalid(path, finalizer.as_str(), message));
        }
    }
    for (i, finalizer) in finalizers.iter().enumerate() {
        if !finalizer.contains('/') && !STANDARD_FINALIZERS.contains(&finalizer.as_str()) {
            errs.push(FieldError::invalid(
                index(path, i),
                finalizer.as_str(),
                "name is neither a standard finalizer name nor is it fully qualified",
            ));
        }
    }
    if finalizers.iter().any(|f| f == "orphan")
        && finalizers.iter().any(|f| f == "foregroundDeletion")
    {
        errs.push(FieldError::invalid(
            path,
            Value::from(finalizers.clone()),
            "finalizer orphan and foregroundDeletion cannot be both set",
        ));
    }
    errs
}

/// Every owner reference names its owner fully; at most one is the controller.
pub fn validate_owner_references(references: Option<&Value>, path: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let mut first_controller: Option<String> = None;
    let references = references
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    for reference in references {
        let text = |field: &str| reference.get(field).and_then(Value::as_str).unwrap_or("");
        let api_version = text("apiVersion");
        let version = api_version.rsplit('/').next().unwrap_or("");
        if version.is_empty() {
            errs.push(FieldError::invalid(
                child(path, "apiVersion"),
                api_version,
                "version must not be empty",
            ));
        }
        for field in ["kind", "name", "uid"] {
            if text(field).is_empty() {
                errs.push(FieldError::invalid(
                    child(path, field),
                    "",
                    "must not be empty",
                ));
            }
        }
        if reference.get("controller").and_then(Value::as_bool) == Some(true) {
            let current = format!("{}/{}", text("kind"), text("name"));
            match &first_controller {
                Some(first) => errs.push(FieldError::invalid(
                    path,
                    Value::Array(references.to_vec()),
                    format!("Only one reference can have Controller set to true. Found \"true\" in references for {first} and {current}"),
                )),
                None => first_controller = Some(current),
            }
        }
    }
    errs
}
