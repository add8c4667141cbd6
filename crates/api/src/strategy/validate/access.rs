//! Validation of RBAC kinds, PriorityClasses and StorageClasses (upstream
//! `pkg/apis/rbac/validation`, `pkg/apis/scheduling/validation`,
//! `pkg/apis/storage/validation`).

use serde_json::Value;

use crate::validation::{
    child, go_quote, index, is_dns1123_subdomain, is_qualified_name, is_valid_path_segment_name,
    validate_immutable, FieldError,
};

const RBAC_GROUP: &str = "rbac.authorization.k8s.io";

fn text<'v>(value: &'v Value, field: &str) -> &'v str {
    value.get(field).and_then(Value::as_str).unwrap_or_default()
}

fn items(value: Option<&Value>) -> &[Value] {
    value
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
}

/// Roles and ClusterRoles: every rule names verbs, and either resources (with
/// API groups) or non-resource URLs (cluster roles only).
pub(super) fn validate_role(obj: &Value, namespaced: bool) -> Vec<FieldError> {
    let mut errs = Vec::new();
    for (i, rule) in items(obj.get("rules")).iter().enumerate() {
        let path = index("rules", i);
        if items(rule.get("verbs")).is_empty() {
            errs.push(FieldError::required(
                child(&path, "verbs"),
                "verbs must contain at least one value",
            ));
        }
        let urls = items(rule.get("nonResourceURLs"));
        if !urls.is_empty() {
            if namespaced {
                errs.push(FieldError::invalid(
                    child(&path, "nonResourceURLs"),
                    Value::Array(urls.to_vec()),
                    "namespaced rules cannot apply to non-resource URLs",
                ));
            }
            let has_resources = ["apiGroups", "resources", "resourceNames"]
                .iter()
                .any(|f| !items(rule.get(*f)).is_empty());
            if has_resources {
                errs.push(FieldError::invalid(
                    child(&path, "nonResourceURLs"),
                    Value::Array(urls.to_vec()),
                    "rules cannot apply to both regular resources and non-resource URLs",
                ));
            }
            continue;
        }
        if items(rule.get("apiGroups")).is_empty() {
            errs.push(FieldError::required(
                child(&path, "apiGroups"),
                "resource rules must supply at least one api group",
            ));
        }
        if items(rule.get("resources")).is_empty() {
            errs.push(FieldError::required(
                child(&path, "resources"),
                "resource rules must supply at least one resource",
            ));
        }
    }
    errs
}

/// RoleBindings and ClusterRoleBindings: the role reference and each subject.
pub(super) fn validate_role_binding(obj: &Value, namespaced: bool) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let role_ref = obj.get("roleRef").unwrap_or(&Value::Null);
    let group = text(role_ref, "apiGroup");
    if group != RBAC_GROUP {
        errs.push(FieldError::not_supported(
            "roleRef.apiGroup",
            group,
            &[RBAC_GROUP],
        ));
    }
    let kind = text(role_ref, "kind");
    let kinds: &[&str] = if namespaced {
        &["Role", "ClusterRole"]
    } else {
        &["ClusterRole"]
    };
    if !kinds.contains(&kind) {
        errs.push(FieldError::not_supported("roleRef.kind", kind, kinds));
    }
    let name = text(role_ref, "name");
    if name.is_empty() {
        errs.push(FieldError::required("roleRef.name", ""));
    } else {
        for message in is_valid_path_segment_name(name, false) {
            errs.push(FieldError::invalid("roleRef.name", name, message));
        }
    }
    for (i, subject) in items(obj.get("subjects")).iter().enumerate() {
        errs.extend(validate_subject(subject, namespaced, &index("subjects", i)));
    }
    errs
}

fn validate_subject(subject: &Value, namespaced: bool, path: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let name = text(subject, "name");
    if name.is_empty() {
        errs.push(FieldError::required(child(path, "name"), ""));
    }
    let group = text(subject, "apiGroup");
    match text(subject, "kind") {
        "ServiceAccount" => {
            if !name.is_empty() {
                for message in is_dns1123_subdomain(name) {
                    errs.push(FieldError::invalid(child(path, "name"), name, message));
                }
            }
            if !group.is_empty() {
                errs.push(FieldError::not_supported(
                    child(path, "apiGroup"),
                    group,
                    &[""],
                ));
            }
            if !namespaced && text(subject, "namespace").is_empty() {
                errs.push(FieldError::required(child(path, "namespace"), ""));
            }
        }
        "User" | "Group" => {
            if group != RBAC_GROUP {
                errs.push(FieldError::not_supported(
                    child(path, "apiGroup"),
                    group,
                    &[RBAC_GROUP],
                ));
            }
        }
        other => errs.push(FieldError::not_supported(
            child(path, "kind"),
            other,
            &["ServiceAccount", "User", "Group"],
        )),
    }
    errs
}

/// A binding's role reference may not change.
pub(super) fn validate_role_binding_update(new: &Value, old: &Value) -> Vec<FieldError> {
    let (new_ref, old_ref) = (
        new.get("roleRef").unwrap_or(&Value::Null),
        old.get("roleRef").unwrap_or(&Value::Null),
    );
    if new_ref == old_ref {
        return Vec::new();
    }
    let go = format!(
        "rbac.RoleRef{{APIGroup:{}, Kind:{}, Name:{}}}",
        go_quote(text(new_ref, "apiGroup")),
        go_quote(text(new_ref, "kind")),
        go_quote(text(new_ref, "name"))
    );
    vec![FieldError::invalid_go(
        "roleRef",
        go,
        "cannot change roleRef",
    )]
}

/// The highest priority a user-defined PriorityClass may have.
const HIGHEST_USER_PRIORITY: i64 = 1_000_000_000;
/// The system classes upstream creates, with their values.
const SYSTEM_PRIORITY_CLASSES: &[(&str, i64)] = &[
    ("system-node-critical", 2_000_001_000),
    ("system-cluster-critical", 2_000_000_000),
];

pub(super) fn validate_priority_class(obj: &Value) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let name = obj
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let value = obj.get("value").and_then(Value::as_i64).unwrap_or(0);
    if name.starts_with("system-") {
        match SYSTEM_PRIORITY_CLASSES.iter().find(|(n, _)| *n == name) {
            Some((_, expected)) if *expected == value => {}
            Some((_, expected)) => errs.push(FieldError::forbidden(
                "metadata.name",
                format!("priority class names with 'system-' prefix are reserved for system use only. error: value of {name} PriorityClass must be {expected}"),
            )),
            None => errs.push(FieldError::forbidden(
                "metadata.name",
                format!("priority class names with 'system-' prefix are reserved for system use only. error: {name} is not a known system priority class"),
            )),
        }
    } else if value > HIGHEST_USER_PRIORITY {
        errs.push(FieldError::forbidden(
            "value",
            format!("maximum allowed value of a user defined priority is {HIGHEST_USER_PRIORITY}"),
        ));
    }
    match text(obj, "preemptionPolicy") {
        "" | "PreemptLowerPriority" | "Never" => {}
        other => errs.push(FieldError::not_supported(
            "preemptionPolicy",
            other,
            &["Never", "PreemptLowerPriority"],
        )),
    }
    errs
}

pub(super) fn validate_priority_class_update(new: &Value, old: &Value) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if new.get("value") != old.get("value") {
        errs.push(FieldError::forbidden(
            "value",
            "may not be changed in an update.",
        ));
    }
    errs.extend(validate_immutable(
        new.get("preemptionPolicy"),
        old.get("preemptionPolicy"),
        "preemptionPolicy",
    ));
    errs
}

pub(super) fn validate_storage_class(obj: &Value) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let provisioner = text(obj, "provisioner");
    if provisioner.is_empty() {
        errs.push(FieldError::required("provisioner", ""));
    } else {
        for message in is_qualified_name(&provisioner.to_lowercase()) {
            errs.push(FieldError::invalid("provisioner", provisioner, message));
        }
    }
    match text(obj, "reclaimPolicy") {
        "" | "Delete" | "Retain" => {}
        other => errs.push(FieldError::not_supported(
            "reclaimPolicy",
            other,
            &["Delete", "Retain"],
        )),
    }
    match text(obj, "volumeBindingMode") {
        "" | "Immediate" | "WaitForFirstConsumer" => {}
        other => errs.push(FieldError::not_supported(
            "volumeBindingMode",
            other,
            &["Immediate", "WaitForFirstConsumer"],
        )),
    }
    errs
}

pub(super) fn validate_storage_class_update(new: &Value, old: &Value) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if new.get("parameters") != old.get("parameters") {
        errs.push(FieldError::forbidden(
            "parameters",
            "updates to parameters are forbidden.",
        ));
    }
    if new.get("provisioner") != old.get("provisioner") {
        errs.push(FieldError::forbidden(
            "provisioner",
            "updates to provisioner are forbidden.",
        ));
    }
    if new.get("reclaimPolicy") != old.get("reclaimPolicy") {
        errs.push(FieldError::forbidden(
            "reclaimPolicy",
            "updates to reclaimPolicy are forbidden.",
        ));
    }
    errs.extend(validate_immutable(
        new.get("volumeBindingMode"),
        old.get("volumeBindingMode"),
        "volumeBindingMode",
    ));
    errs
}
