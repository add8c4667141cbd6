//! Validation of pods, pod templates and pod specs (upstream `ValidatePodCreate`,
//! `ValidatePodSpec`, `validateContainers`, `ValidateVolumes`, `ValidatePodUpdate`).

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use super::container::validate_container;
use crate::validation::{
    child, index, is_dns1123_label, is_dns1123_subdomain, is_qualified_name, validate_annotations,
    validate_labels, FieldError,
};
const RESTART_POLICIES: &[&str] = &["Always", "OnFailure", "Never"];
pub(super) const PORT_PROTOCOLS: &[&str] = &["SCTP", "TCP", "UDP"];
const DNS_POLICIES: &[&str] = &["ClusterFirst", "ClusterFirstWithHostNet", "Default", "None"];
const TOLERATION_OPERATORS: &[&str] = &["Equal", "Exists"];
const TAINT_EFFECTS: &[&str] = &["NoExecute", "NoSchedule", "PreferNoSchedule"];

/// Sources a volume may have; exactly one is required.
const VOLUME_SOURCES: &[&str] = &[
    "hostPath",
    "emptyDir",
    "gcePersistentDisk",
    "awsElasticBlockStore",
    "gitRepo",
    "secret",
    "nfs",
    "iscsi",
    "glusterfs",
    "persistentVolumeClaim",
    "rbd",
    "flexVolume",
    "cinder",
    "cephfs",
    "flocker",
    "downwardAPI",
    "fc",
    "azureFile",
    "configMap",
    "vsphereVolume",
    "quobyte",
    "azureDisk",
    "photonPersistentDisk",
    "projected",
    "portworxVolume",
    "scaleIO",
    "storageos",
    "csi",
    "ephemeral",
    "image",
];

fn items(value: Option<&Value>) -> &[Value] {
    value
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
}

pub(super) fn text<'v>(value: &'v Value, field: &str) -> &'v str {
    value.get(field).and_then(Value::as_str).unwrap_or_default()
}

fn empty_object() -> &'static Value {
    static EMPTY: std::sync::LazyLock<Value> =
        std::sync::LazyLock::new(|| Value::Object(Map::new()));
    &EMPTY
}

/// A Pod: its spec, and what only pods may or must have.
pub(super) fn validate_pod(pod: &Value) -> Vec<FieldError> {
    let spec = pod.get("spec").unwrap_or(empty_object());
    let mut errs = validate_pod_spec(spec, "spec");
    for (i, container) in items(spec.get("containers")).iter().enumerate() {
        let image = text(container, "image");
        if !image.is_empty() && image.trim() != image {
            errs.push(FieldError::invalid(
                child(&index("spec.containers", i), "image"),
                image,
                "must not have leading or trailing whitespace",
            ));
        }
    }
    errs
}

/// A PodTemplate object: its template.
pub(super) fn validate_pod_template_object(obj: &Value) -> Vec<FieldError> {
    match obj.get("template") {
        Some(template) => validate_pod_template_spec(template, "template"),
        None => vec![FieldError::required("template", "")],
    }
}

/// A pod template (`spec.template` of workloads): labels, annotations, spec.
pub(crate) fn validate_pod_template_spec(template: &Value, path: &str) -> Vec<FieldError> {
    let metadata = template.get("metadata").unwrap_or(empty_object());
    let mut errs = validate_labels(
        metadata.get("labels").and_then(Value::as_object),
        &child(&child(path, "metadata"), "labels"),
    );
    errs.extend(validate_annotations(
        metadata.get("annotations").and_then(Value::as_object),
        &child(&child(path, "metadata"), "annotations"),
    ));
    let spec = template.get("spec").unwrap_or(empty_object());
    errs.extend(validate_pod_spec(spec, &child(path, "spec")));
    if !items(spec.get("ephemeralContainers")).is_empty() {
        errs.push(FieldError::forbidden(
            child(&child(path, "spec"), "ephemeralContainers"),
            "ephemeral containers not allowed in pod template",
        ));
    }
    errs
}

/// Upstream's `ValidatePodSpec`, for the rules that matter most.
pub(crate) fn validate_pod_spec(spec: &Value, path: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let (volume_names, volume_errs) =
        validate_volumes(items(spec.get("volumes")), &child(path, "volumes"));
    errs.extend(volume_errs);

    let mut container_names = BTreeSet::new();
    let containers = items(spec.get("containers"));
    if containers.is_empty() {
        errs.push(FieldError::required(child(path, "containers"), ""));
    }
    for (list, is_init) in [("initContainers", true), ("containers", false)] {
        let list_path = child(path, list);
        for (i, container) in items(spec.get(list)).iter().enumerate() {
            errs.extend(validate_container(
                container,
                &index(&list_path, i),
                &volume_names,
                &mut container_names,
                is_init,
            ));
        }
    }
    for (i, container) in items(spec.get("ephemeralContainers")).iter().enumerate() {
        let container_path = index(&child(path, "ephemeralContainers"), i);
        errs.extend(validate_container(
            container,
            &container_path,
            &volume_names,
            &mut container_names,
            true,
        ));
    }

    match text(spec, "restartPolicy") {
        "" => errs.push(FieldError::required(child(path, "restartPolicy"), "")),
        policy if !RESTART_POLICIES.contains(&policy) => {
            errs.push(FieldError::not_supported(
                child(path, "restartPolicy"),
                policy,
                RESTART_POLICIES,
            ));
        }
        _ => {}
    }
    match text(spec, "dnsPolicy") {
        "" => errs.push(FieldError::required(child(path, "dnsPolicy"), "")),
        policy if !DNS_POLICIES.contains(&policy) => {
            errs.push(FieldError::not_supported(
                child(path, "dnsPolicy"),
                policy,
                DNS_POLICIES,
            ));
        }
        "None" if spec.get("dnsConfig").is_none_or(Value::is_null) => {
            errs.push(FieldError::required(
                child(path, "dnsConfig"),
                "must provide `dnsConfig` when `dnsPolicy` is None",
            ))
        }
        _ => {}
    }
    errs.extend(validate_labels(
        spec.get("nodeSelector").and_then(Value::as_object),
        &child(path, "nodeSelector"),
    ));
    for (field, label_only) in [
        ("nodeName", false),
        ("serviceAccountName", false),
        ("priorityClassName", false),
        ("hostname", true),
        ("subdomain", true),
    ] {
        let value = text(spec, field);
        if value.is_empty() {
            continue;
        }
        let problems = if label_only {
            is_dns1123_label(value)
        } else {
            is_dns1123_subdomain(value)
        };
        for message in problems {
            errs.push(FieldError::invalid(child(path, field), value, message));
        }
    }
    if let Some(deadline) = spec.get("activeDeadlineSeconds").and_then(Value::as_i64) {
        if !(1..=i64::from(i32::MAX)).contains(&deadline) {
            errs.push(FieldError::invalid(
                child(path, "activeDeadlineSeconds"),
                deadline,
                format!("must be between 1 and {}, inclusive", i32::MAX),
            ));
        }
    }
    if spec.get("hostNetwork").and_then(Value::as_bool) == Some(true) {
        for list in ["containers", "initContainers"] {
            for (i, container) in items(spec.get(list)).iter().enumerate() {
                for (j, port) in items(container.get("ports")).iter().enumerate() {
                    let host_port = port.get("hostPort").and_then(Value::as_i64).unwrap_or(0);
                    let container_port = port
                        .get("containerPort")
                        .and_then(Value::as_i64)
                        .unwrap_or(0);
                    if host_port != 0 && host_port != container_port {
                        errs.push(FieldError::invalid(
                            child(
                                &index(&child(&index(&child(path, list), i), "ports"), j),
                                "containerPort",
                            ),
                            container_port,
                            "must match `hostPort` when `hostNetwork` is true",
                        ));
                    }
                }
            }
        }
    }
    errs.extend(validate_tolerations(
        items(spec.get("tolerations")),
        &child(path, "tolerations"),
    ));
    for (i, secret) in items(spec.get("imagePullSecrets")).iter().enumerate() {
        if text(secret, "name").is_empty() {
            errs.push(FieldError::required(
                child(&index(&child(path, "imagePullSecrets"), i), "name"),
                "",
            ));
        }
    }
    errs
}

/// Volume names must be DNS labels, unique, with exactly one source.
fn validate_volumes(volumes: &[Value], path: &str) -> (BTreeSet<String>, Vec<FieldError>) {
    let mut names = BTreeSet::new();
    let mut errs = Vec::new();
    for (i, volume) in volumes.iter().enumerate() {
        let volume_path = index(path, i);
        let name = text(volume, "name");
        if name.is_empty() {
            errs.push(FieldError::required(child(&volume_path, "name"), ""));
        } else {
            for message in is_dns1123_label(name) {
                errs.push(FieldError::invalid(
                    child(&volume_path, "name"),
                    name,
                    message,
                ));
            }
            if !names.insert(name.to_string()) {
                errs.push(FieldError::duplicate(child(&volume_path, "name"), name));
            }
        }
        let sources: Vec<&str> = VOLUME_SOURCES
            .iter()
            .copied()
            .filter(|s| volume.get(*s).is_some_and(|v| !v.is_null()))
            .collect();
        match sources.as_slice() {
            [] => errs.push(FieldError::required(
                volume_path.clone(),
                "must specify a volume type",
            )),
            [_] => {}
            [_, extra @ ..] => {
                for source in extra {
                    errs.push(FieldError::forbidden(
                        child(&volume_path, source),
                        "may not specify more than 1 volume type",
                    ));
                }
            }
        }
        errs.extend(validate_volume_source(volume, &volume_path));
        if let Some(claim) = volume.get("persistentVolumeClaim") {
            if text(claim, "claimName").is_empty() {
                errs.push(FieldError::required(
                    child(&child(&volume_path, "persistentVolumeClaim"), "claimName"),
                    "",
                ));
            }
        }
    }
    (names, errs)
}

fn validate_tolerations(tolerations: &[Value], path: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    for (i, toleration) in tolerations.iter().enumerate() {
        let toleration_path = index(path, i);
        let key_name = text(toleration, "key");
        if !key_name.is_empty() {
            for message in is_qualified_name(key_name) {
                errs.push(FieldError::invalid(
                    child(&toleration_path, "key"),
                    key_name,
                    message,
                ));
            }
        }
        let operator = text(toleration, "operator");
        if key_name.is_empty() && operator != "Exists" {
            errs.push(FieldError::invalid(
                child(&toleration_path, "operator"),
                operator,
                "operator must be Exists when `key` is empty, which means \"match all values and all keys\"",
            ));
        }
        match operator {
            "" | "Equal" => {}
            "Exists" => {
                if !text(toleration, "value").is_empty() {
                    errs.push(FieldError::invalid(
                        child(&toleration_path, "operator"),
                        text(toleration, "value"),
                        "value must be empty when `operator` is 'Exists'",
                    ));
                }
            }
            other => errs.push(FieldError::not_supported(
                child(&toleration_path, "operator"),
                other,
                TOLERATION_OPERATORS,
            )),
        }
        let effect = text(toleration, "effect");
        if !effect.is_empty() && !TAINT_EFFECTS.contains(&effect) {
            errs.push(FieldError::not_supported(
                child(&toleration_path, "effect"),
                effect,
                TAINT_EFFECTS,
            ));
        }
        if toleration
            .get("tolerationSeconds")
            .is_some_and(|s| !s.is_null())
            && effect != "NoExecute"
        {
            errs.push(FieldError::invalid(
                child(&toleration_path, "effect"),
                effect,
                "effect must be 'NoExecute' when `tolerationSeconds` is set",
            ));
        }
    }
    errs
}

/// What upstream's message lists as updatable in a pod's spec.
const POD_UPDATE_FORBIDDEN: &str = "pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)";

/// Upstream's `ValidatePodUpdate`: the new spec is valid, and differs from the
/// old one only in images, `activeDeadlineSeconds` (lowered), added tolerations
/// and `terminationGracePeriodSeconds`.
pub(super) fn validate_pod_update(new: &Value, old: &Value) -> Vec<FieldError> {
    let mut errs = validate_pod(new);
    let new_spec = new.get("spec").cloned().unwrap_or(Value::Null);
    let old_spec = old.get("spec").cloned().unwrap_or(Value::Null);
    let deadline_path = "spec.activeDeadlineSeconds";
    match (
        new_spec
            .get("activeDeadlineSeconds")
            .and_then(Value::as_i64),
        old_spec
            .get("activeDeadlineSeconds")
            .and_then(Value::as_i64),
    ) {
        (Some(new_deadline), Some(old_deadline)) if new_deadline > old_deadline => {
            errs.push(FieldError::invalid(
                deadline_path,
                new_deadline,
                "must be less than or equal to previous value",
            ));
        }
        (None, Some(_)) => {
            errs.push(FieldError::invalid(
                deadline_path,
                Value::Null,
                "must not update from a positive integer to nil value",
            ));
        }
        _ => {}
    }
    let mut munged = new_spec.clone();
    if let (Some(munged), Some(old)) = (munged.as_object_mut(), old_spec.as_object()) {
        for list in ["containers", "initContainers"] {
            let old_images: Vec<Option<Value>> = items(old.get(list))
                .iter()
                .map(|c| c.get("image").cloned())
                .collect();
            if let Some(containers) = munged.get_mut(list).and_then(Value::as_array_mut) {
                for (container, old_image) in containers.iter_mut().zip(old_images) {
                    if let (Some(container), Some(image)) = (container.as_object_mut(), old_image) {
                        container.insert("image".into(), image);
                    }
                }
            }
        }
        for field in [
            "activeDeadlineSeconds",
            "terminationGracePeriodSeconds",
            "schedulingGates",
        ] {
            match old.get(field) {
                Some(value) => munged.insert(field.into(), value.clone()),
                None => munged.remove(field),
            };
        }
        // Tolerations may only be added to.
        let old_tolerations = items(old.get("tolerations")).to_vec();
        let new_tolerations = items(munged.get("tolerations")).to_vec();
        if old_tolerations.iter().all(|t| new_tolerations.contains(t)) {
            match old.get("tolerations") {
                Some(value) => munged.insert("tolerations".into(), value.clone()),
                None => munged.remove("tolerations"),
            };
        }
    }
    if munged != old_spec {
        let mut changed = Vec::new();
        diff_paths(&old_spec, &munged, "spec", &mut changed);
        let detail = format!("{POD_UPDATE_FORBIDDEN}\n  changed: {}", changed.join(", "));
        errs.push(FieldError::forbidden("spec", detail));
    }
    errs
}

/// The paths at which two values differ, for a readable message.
fn diff_paths(old: &Value, new: &Value, path: &str, out: &mut Vec<String>) {
    match (old, new) {
        (Value::Object(a), Value::Object(b)) => {
            let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            for k in keys {
                diff_paths(
                    a.get(k).unwrap_or(&Value::Null),
                    b.get(k).unwrap_or(&Value::Null),
                    &child(path, k),
                    out,
                );
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                diff_paths(x, y, &index(path, i), out);
            }
        }
        (a, b) if a != b => out.push(path.to_string()),
        _ => {}
    }
}

/// The file mode of projected files: 0 to 0777.
const MAX_FILE_MODE: i64 = 0o777;

/// The fields of the common volume sources that upstream requires or checks.
fn validate_volume_source(volume: &Value, path: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let required = |source: &str, field: &str, errs: &mut Vec<FieldError>| {
        if let Some(value) = volume.get(source).filter(|v| !v.is_null()) {
            if text(value, field).is_empty() {
                errs.push(FieldError::required(child(&child(path, source), field), ""));
            }
        }
    };
    required("configMap", "name", &mut errs);
    required("secret", "secretName", &mut errs);
    required("hostPath", "path", &mut errs);
    required("nfs", "server", &mut errs);
    required("nfs", "path", &mut errs);
    required("csi", "driver", &mut errs);
    for source in ["configMap", "secret", "downwardAPI", "projected"] {
        let Some(value) = volume.get(source).filter(|v| !v.is_null()) else {
            continue;
        };
        let source_path = child(path, source);
        if let Some(mode) = value.get("defaultMode").and_then(Value::as_i64) {
            if !(0..=MAX_FILE_MODE).contains(&mode) {
                errs.push(FieldError::invalid(
                    child(&source_path, "defaultMode"),
                    mode,
                    "must be a number between 0 and 0777 (octal), both inclusive",
                ));
            }
        }
        for (i, item) in items(value.get("items")).iter().enumerate() {
            let item_path = index(&child(&source_path, "items"), i);
            if source != "downwardAPI" && text(item, "key").is_empty() {
                errs.push(FieldError::required(child(&item_path, "key"), ""));
            }
            let file = text(item, "path");
            if file.is_empty() {
                errs.push(FieldError::required(child(&item_path, "path"), ""));
            } else if file.starts_with('/') {
                errs.push(FieldError::invalid(
                    child(&item_path, "path"),
                    file,
                    "must be a relative path",
                ));
            } else if file.split('/').any(|part| part == "..") {
                errs.push(FieldError::invalid(
                    child(&item_path, "path"),
                    file,
                    "must not contain '..'",
                ));
            }
        }
    }
    if let Some(host_path) = volume.get("hostPath").filter(|v| !v.is_null()) {
        const TYPES: &[&str] = &[
            "",
            "BlockDevice",
            "CharDevice",
            "Directory",
            "DirectoryOrCreate",
            "File",
            "FileOrCreate",
            "Socket",
        ];
        let kind = text(host_path, "type");
        if !TYPES.contains(&kind) {
            errs.push(FieldError::not_supported(
                child(&child(path, "hostPath"), "type"),
                kind,
                TYPES,
            ));
        }
    }
    errs
}
