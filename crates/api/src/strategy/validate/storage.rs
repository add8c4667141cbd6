//! Validation of PersistentVolumes, PersistentVolumeClaims, Nodes, Events,
//! ResourceQuotas and LimitRanges (upstream core `validation.go`).

use serde_json::Value;

use crate::strategy::quantity::Quantity;
use crate::validation::{child, index, is_dns1123_subdomain, is_qualified_name, key, FieldError};

fn text<'v>(value: &'v Value, field: &str) -> &'v str {
    value.get(field).and_then(Value::as_str).unwrap_or_default()
}

fn items(value: Option<&Value>) -> &[Value] {
    value
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
}

const ACCESS_MODES: &[&str] = &[
    "ReadOnlyMany",
    "ReadWriteMany",
    "ReadWriteOnce",
    "ReadWriteOncePod",
];
const VOLUME_MODES: &[&str] = &["Block", "Filesystem"];

fn validate_access_modes(spec: &Value, path: &str) -> Vec<FieldError> {
    let modes = items(spec.get("accessModes"));
    let mut errs = Vec::new();
    if modes.is_empty() {
        errs.push(FieldError::required(
            child(path, "accessModes"),
            "at least 1 access mode is required",
        ));
    }
    for mode in modes {
        let mode = mode.as_str().unwrap_or_default();
        if !ACCESS_MODES.contains(&mode) {
            errs.push(FieldError::not_supported(
                child(path, "accessModes"),
                mode,
                ACCESS_MODES,
            ));
        }
    }
    errs
}

fn validate_volume_mode(spec: &Value, path: &str) -> Vec<FieldError> {
    match text(spec, "volumeMode") {
        "" => Vec::new(),
        mode if VOLUME_MODES.contains(&mode) => Vec::new(),
        mode => vec![FieldError::not_supported(
            child(path, "volumeMode"),
            mode,
            VOLUME_MODES,
        )],
    }
}

/// A positive `storage` quantity is required at `resources.requests` of a claim.
pub(super) fn validate_persistent_volume_claim(obj: &Value) -> Vec<FieldError> {
    let spec = obj.get("spec").unwrap_or(&Value::Null);
    let mut errs = validate_claim_spec(spec, "spec");
    errs.extend(validate_volume_mode(spec, "spec"));
    errs
}

/// The spec of a claim, also of a StatefulSet's volume claim templates.
fn validate_claim_spec(spec: &Value, path: &str) -> Vec<FieldError> {
    let mut errs = validate_access_modes(spec, path);
    let storage = spec
        .pointer("/resources/requests/storage")
        .and_then(Value::as_str);
    let storage_path = key(&child(path, "resources"), "storage");
    match storage.map(|s| (s, Quantity::parse(s))) {
        None => errs.push(FieldError::required(storage_path, "")),
        Some((text, Some(q))) if q.0 <= 0 => {
            errs.push(FieldError::invalid(
                storage_path,
                text,
                "must be greater than zero",
            ));
        }
        Some((text, None)) => errs.push(FieldError::invalid(
            storage_path,
            text,
            "must be a valid quantity",
        )),
        Some(_) => {}
    }
    let class = text(spec, "storageClassName");
    if !class.is_empty() {
        for message in is_dns1123_subdomain(class) {
            errs.push(FieldError::invalid(
                child(path, "storageClassName"),
                class,
                message,
            ));
        }
    }
    errs
}

pub(super) fn validate_persistent_volume_claim_update(new: &Value, old: &Value) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let strip = |obj: &Value, keep_volume_name: bool| {
        let mut spec = obj
            .get("spec")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        if let Some(requests) = spec
            .get_mut("resources")
            .and_then(|r| r.get_mut("requests"))
            .and_then(Value::as_object_mut)
        {
            requests.remove("storage");
        }
        spec.remove("volumeAttributesClassName");
        if !keep_volume_name {
            spec.remove("volumeName");
        }
        spec
    };
    // The volume name may be set once, by the binder.
    let old_bound = !text(old.get("spec").unwrap_or(&Value::Null), "volumeName").is_empty();
    if strip(new, old_bound) != strip(old, old_bound) {
        errs.push(FieldError::forbidden(
            "spec",
            "spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims",
        ));
    }
    let size = |obj: &Value| {
        obj.pointer("/spec/resources/requests/storage")
            .and_then(Value::as_str)
            .and_then(Quantity::parse)
    };
    if let (Some(new_size), Some(old_size)) = (size(new), size(old)) {
        if new_size < old_size {
            errs.push(FieldError::forbidden(
                "spec.resources.requests.storage",
                "field can not be less than previous value",
            ));
        }
    }
    errs
}

const PV_SOURCES: &[&str] = &[
    "gcePersistentDisk",
    "awsElasticBlockStore",
    "hostPath",
    "glusterfs",
    "nfs",
    "rbd",
    "iscsi",
    "cinder",
    "cephfs",
    "fc",
    "flocker",
    "flexVolume",
    "azureFile",
    "vsphereVolume",
    "quobyte",
    "azureDisk",
    "photonPersistentDisk",
    "portworxVolume",
    "scaleIO",
    "local",
    "storageos",
    "csi",
];

pub(super) fn validate_persistent_volume(obj: &Value) -> Vec<FieldError> {
    let spec = obj.get("spec").unwrap_or(&Value::Null);
    let mut errs = Vec::new();
    if items(spec.get("accessModes")).is_empty() {
        errs.push(FieldError::required("spec.accessModes", ""));
    } else {
        errs.extend(validate_access_modes(spec, "spec"));
    }
    let capacity = spec.get("capacity").and_then(Value::as_object);
    match capacity {
        None => errs.push(FieldError::required("spec.capacity", "")),
        Some(c) if c.is_empty() => errs.push(FieldError::required("spec.capacity", "")),
        Some(c) if !c.contains_key("storage") || c.len() > 1 => {
            let keys: Vec<Value> = c.keys().map(|k| Value::String(k.clone())).collect();
            errs.push(FieldError::not_supported(
                "spec.capacity",
                Value::Array(keys),
                &["storage"],
            ));
        }
        Some(_) => {}
    }
    let sources = PV_SOURCES
        .iter()
        .filter(|s| spec.get(**s).is_some_and(|v| !v.is_null()))
        .count();
    if sources == 0 {
        errs.push(FieldError::required("spec", "must specify a volume type"));
    } else if sources > 1 {
        errs.push(FieldError::forbidden(
            "spec",
            "may not specify more than 1 volume type",
        ));
    }
    match text(spec, "persistentVolumeReclaimPolicy") {
        "" | "Delete" | "Recycle" | "Retain" => {}
        other => errs.push(FieldError::not_supported(
            "spec.persistentVolumeReclaimPolicy",
            other,
            &["Delete", "Recycle", "Retain"],
        )),
    }
    errs.extend(validate_volume_mode(spec, "spec"));
    errs
}

pub(super) fn validate_persistent_volume_update(new: &Value, old: &Value) -> Vec<FieldError> {
    let source = |obj: &Value| -> Vec<(String, Value)> {
        let spec = obj.get("spec").and_then(Value::as_object);
        PV_SOURCES
            .iter()
            .filter_map(|s| Some((s.to_string(), spec?.get(*s)?.clone())))
            .collect()
    };
    if source(new) != source(old) {
        return vec![FieldError::forbidden(
            "spec.persistentvolumesource",
            "spec.persistentvolumesource is immutable after creation",
        )];
    }
    Vec::new()
}

const TAINT_EFFECTS: &[&str] = &["NoExecute", "NoSchedule", "PreferNoSchedule"];

pub(super) fn validate_node(obj: &Value) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let mut seen = Vec::new();
    for (i, taint) in items(obj.pointer("/spec/taints")).iter().enumerate() {
        let path = index("spec.taints", i);
        let taint_key = text(taint, "key");
        for message in is_qualified_name(taint_key) {
            errs.push(FieldError::invalid(child(&path, "key"), taint_key, message));
        }
        let effect = text(taint, "effect");
        if effect.is_empty() {
            errs.push(FieldError::required(child(&path, "effect"), ""));
        } else if !TAINT_EFFECTS.contains(&effect) {
            errs.push(FieldError::not_supported(
                child(&path, "effect"),
                effect,
                TAINT_EFFECTS,
            ));
        }
        let pair = (taint_key.to_string(), effect.to_string());
        if seen.contains(&pair) {
            errs.push(FieldError::duplicate(
                path.clone(),
                Value::String(format!("{taint_key}:{effect}")),
            ));
            if let Some(last) = errs.last_mut() {
                last.detail = "taints must be unique by key and effect pair".to_string();
            }
        }
        seen.push(pair);
    }
    errs
}

pub(super) fn validate_node_update(new: &Value, old: &Value) -> Vec<FieldError> {
    let old_cidr = old
        .pointer("/spec/podCIDR")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let new_cidr = new
        .pointer("/spec/podCIDR")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if !old_cidr.is_empty() && old_cidr != new_cidr {
        return vec![FieldError::forbidden(
            "spec.podCIDRs",
            "node updates may not change podCIDR except from \"\" to valid",
        )];
    }
    Vec::new()
}

/// Upstream's length limits of new-style events.
const EVENT_FIELD_LIMIT: usize = 128;
const EVENT_NOTE_LIMIT: usize = 1024;

/// A core/v1 Event, as upstream's `legacyValidateEvent`: the namespaces agree,
/// and events with an `eventTime` name their reporter, action and reason.
pub(super) fn validate_event(obj: &Value) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let namespace = obj
        .pointer("/metadata/namespace")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let involved = obj
        .pointer("/involvedObject/namespace")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let mismatch = |errs: &mut Vec<FieldError>| {
        errs.push(FieldError::invalid(
            "involvedObject.namespace",
            involved,
            "does not match event.namespace",
        ));
    };
    let has_event_time = obj.get("eventTime").is_some_and(|t| !t.is_null());
    if !has_event_time {
        if involved.is_empty() {
            if !namespace.is_empty() && namespace != "default" {
                mismatch(&mut errs);
            }
        } else if namespace != involved {
            mismatch(&mut errs);
        }
    } else {
        if involved.is_empty() && namespace != "default" && namespace != "kube-system" {
            mismatch(&mut errs);
        }
        let controller = text(obj, "reportingComponent");
        if controller.is_empty() {
            errs.push(FieldError::required("reportingComponent", ""));
        } else {
            for message in is_qualified_name(controller) {
                errs.push(FieldError::invalid(
                    "reportingComponent",
                    controller,
                    message,
                ));
            }
        }
        for (field, limit) in [
            ("reportingInstance", EVENT_FIELD_LIMIT),
            ("action", EVENT_FIELD_LIMIT),
            ("reason", EVENT_FIELD_LIMIT),
        ] {
            let value = text(obj, field);
            if value.is_empty() {
                errs.push(FieldError::required(field, ""));
            } else if value.len() > limit {
                errs.push(FieldError::invalid(
                    field,
                    "",
                    format!("can have at most {limit} characters"),
                ));
            }
        }
        if text(obj, "message").len() > EVENT_NOTE_LIMIT {
            errs.push(FieldError::invalid(
                "message",
                "",
                format!("can have at most {EVENT_NOTE_LIMIT} characters"),
            ));
        }
    }
    errs
}

/// An events.k8s.io/v1 Event, with upstream's stricter rules for the new API.
pub(super) fn validate_events_v1_event(obj: &Value) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if obj.get("eventTime").is_none_or(Value::is_null) {
        errs.push(FieldError::required("eventTime", ""));
    }
    let event_type = text(obj, "type");
    if event_type != "Normal" && event_type != "Warning" {
        errs.push(FieldError::invalid(
            "type",
            "",
            format!("has invalid value: {event_type}"),
        ));
    }
    let controller = text(obj, "reportingController");
    if controller.is_empty() {
        errs.push(FieldError::required("reportingController", ""));
    } else {
        for message in is_qualified_name(controller) {
            errs.push(FieldError::invalid(
                "reportingController",
                controller,
                message,
            ));
        }
    }
    for field in ["reportingInstance", "action", "reason"] {
        let value = text(obj, field);
        if value.is_empty() {
            errs.push(FieldError::required(field, ""));
        } else if value.len() > EVENT_FIELD_LIMIT {
            errs.push(FieldError::invalid(
                field,
                "",
                format!("can have at most {EVENT_FIELD_LIMIT} characters"),
            ));
        }
    }
    if text(obj, "note").len() > EVENT_NOTE_LIMIT {
        errs.push(FieldError::invalid(
            "note",
            "",
            format!("can have at most {EVENT_NOTE_LIMIT} characters"),
        ));
    }
    for field in [
        "deprecatedFirstTimestamp",
        "deprecatedLastTimestamp",
        "deprecatedCount",
        "deprecatedSource",
    ] {
        let set = match obj.get(field) {
            None | Some(Value::Null) => false,
            Some(Value::Number(n)) => n.as_i64() != Some(0),
            Some(Value::Object(o)) => !o.is_empty(),
            Some(_) => true,
        };
        if set {
            errs.push(FieldError::invalid(field, "", "needs to be unset"));
        }
    }
    errs
}

/// Quantities of a ResourceQuota's `spec.hard` and a LimitRange's limits parse.
pub(super) fn validate_quantities(obj: &Value) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let mut check = |map: Option<&Value>, path: &str| {
        for (name, quantity) in map.and_then(Value::as_object).into_iter().flatten() {
            let text = quantity.as_str().unwrap_or_default();
            match Quantity::parse(text) {
                Some(q) if q.is_negative() => {
                    errs.push(FieldError::invalid(
                        key(path, name),
                        text,
                        "must be greater than or equal to 0",
                    ));
                }
                Some(_) => {}
                None => errs.push(FieldError::invalid(
                    key(path, name),
                    text,
                    "must be a valid quantity",
                )),
            }
        }
    };
    check(obj.pointer("/spec/hard"), "spec.hard");
    for (i, limit) in items(obj.pointer("/spec/limits")).iter().enumerate() {
        let path = index("spec.limits", i);
        for field in [
            "max",
            "min",
            "default",
            "defaultRequest",
            "maxLimitRequestRatio",
        ] {
            check(limit.get(field), &child(&path, field));
        }
    }
    errs
}
