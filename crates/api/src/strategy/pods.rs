//! The pod subresources that change a pod in their own way: `binding` (upstream
//! `BindingREST` and `ValidatePodBinding`) and `ephemeralcontainers` (upstream
//! `ephemeralContainersStrategy` and `ValidatePodEphemeralContainersUpdate`).

use serde_json::{json, Map, Value};

use super::json::object;
use crate::validation::{child, index, FieldError};

/// Why a binding cannot be applied.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BindError {
    /// The Binding object itself is invalid (422 Invalid upstream).
    #[error("invalid binding")]
    Invalid(Vec<FieldError>),
    /// The pod cannot be bound in its state (409 Conflict upstream, the message
    /// as upstream words it, e.g. `pod p is already assigned to node "n1"`).
    #[error("{0}")]
    Conflict(String),
}

/// Upstream's `ValidatePodBinding`: a target name, of kind Node (or none).
pub fn validate_binding(binding: &Value) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let kind = binding
        .pointer("/target/kind")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if !kind.is_empty() && kind != "Node" {
        errs.push(FieldError::not_supported(
            "target.kind",
            kind,
            &["Node", "<empty>"],
        ));
    }
    let name = binding
        .pointer("/target/name")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if name.is_empty() {
        errs.push(FieldError::required("target.name", ""));
    }
    errs
}

/// Binds `pod` to the node `binding` targets, as upstream's `setPodHostAndAnnotations`:
/// sets `spec.nodeName`, copies the binding's annotations and marks the pod
/// `PodScheduled=True` (`now` is the RFC 3339 time of the transition).
pub fn bind_pod(pod: &mut Value, binding: &Value, now: &str) -> Result<(), BindError> {
    let errors = validate_binding(binding);
    if !errors.is_empty() {
        return Err(BindError::Invalid(errors));
    }
    let name = pod
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    if pod
        .pointer("/metadata/deletionTimestamp")
        .is_some_and(|t| !t.is_null())
    {
        return Err(BindError::Conflict(format!(
            "pod {name} is being deleted, cannot be assigned to a host"
        )));
    }
    let current = pod
        .pointer("/spec/nodeName")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if !current.is_empty() {
        return Err(BindError::Conflict(format!(
            "pod {name} is already assigned to node {current:?}"
        )));
    }
    let gated = pod
        .pointer("/spec/schedulingGates")
        .and_then(Value::as_array)
        .is_some_and(|g| !g.is_empty());
    if gated {
        return Err(BindError::Conflict(format!(
            "pod {name} has non-empty .spec.schedulingGates"
        )));
    }
    let node = binding
        .pointer("/target/name")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let annotations = binding
        .pointer("/metadata/annotations")
        .and_then(Value::as_object)
        .cloned();
    if !pod.is_object() {
        *pod = Value::Object(Map::new());
    }
    let Value::Object(root) = pod else {
        unreachable!("just made an object")
    };
    object(root, "spec").insert("nodeName".into(), Value::String(node));
    if let Some(annotations) = annotations.filter(|a| !a.is_empty()) {
        let target = object(object(root, "metadata"), "annotations");
        for (key, value) in annotations {
            target.insert(key, value);
        }
    }
    set_condition(object(root, "status"), "PodScheduled", "True", now);
    Ok(())
}

/// Upstream's `UpdatePodCondition` for a condition without reason or message.
fn set_condition(status: &mut Map<String, Value>, kind: &str, state: &str, now: &str) {
    let conditions = status
        .entry("conditions")
        .or_insert_with(|| Value::Array(Vec::new()));
    if !conditions.is_array() {
        *conditions = Value::Array(Vec::new());
    }
    let Value::Array(list) = conditions else {
        unreachable!("just made a list")
    };
    let existing = list
        .iter_mut()
        .find(|c| c.get("type").and_then(Value::as_str) == Some(kind));
    match existing {
        Some(condition) => {
            let changed = condition.get("status").and_then(Value::as_str) != Some(state);
            let transition = if changed {
                Value::String(now.to_string())
            } else {
                condition
                    .get("lastTransitionTime")
                    .cloned()
                    .unwrap_or(Value::Null)
            };
            let mut updated = json!({"type": kind, "status": state});
            if !transition.is_null() {
                updated["lastTransitionTime"] = transition;
            }
            *condition = updated;
        }
        None => list.push(json!({"type": kind, "status": state, "lastTransitionTime": now})),
    }
}

/// Prepares an update through `pods/ephemeralcontainers`: only
/// `spec.ephemeralContainers` of `new` is taken; everything else is `old`'s
/// but for metadata's resourceVersion.
pub fn prepare_for_ephemeral_containers_update(new: &mut Value, old: &Value) {
    let containers = new
        .pointer("/spec/ephemeralContainers")
        .cloned()
        .unwrap_or(Value::Null);
    let resource_version = new.pointer("/metadata/resourceVersion").cloned();
    let mut result = old.clone();
    if let Value::Object(root) = &mut result {
        let spec = object(root, "spec");
        if containers.is_null() {
            spec.remove("ephemeralContainers");
        } else {
            spec.insert("ephemeralContainers".into(), containers);
        }
        if let Some(version) = resource_version {
            object(root, "metadata").insert("resourceVersion".into(), version);
        }
    }
    *new = result;
}

/// Fields an ephemeral container may not have.
const EPHEMERAL_FORBIDDEN: &[&str] = &[
    "ports",
    "livenessProbe",
    "readinessProbe",
    "startupProbe",
    "lifecycle",
    "resources",
    "resizePolicy",
    "restartPolicy",
];

/// Upstream's `ValidatePodEphemeralContainersUpdate` beyond the pod's own
/// validation: existing ephemeral containers are neither removed nor changed,
/// and none sets what only regular containers may.
pub fn validate_ephemeral_containers_update(new: &Value, old: &Value) -> Vec<FieldError> {
    let path = "spec.ephemeralContainers";
    let list = |obj: &Value| -> Vec<Value> {
        obj.pointer("/spec/ephemeralContainers")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let (new_list, old_list) = (list(new), list(old));
    let mut errs = Vec::new();
    for (i, container) in new_list.iter().enumerate() {
        for field in EPHEMERAL_FORBIDDEN {
            if container
                .get(*field)
                .is_some_and(|v| !v.is_null() && v != &json!({}))
            {
                errs.push(FieldError::forbidden(
                    child(&index(path, i), field),
                    "cannot be set for an Ephemeral Container",
                ));
            }
        }
    }
    for old_container in &old_list {
        let name = old_container
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default();
        match new_list
            .iter()
            .find(|c| c.get("name").and_then(Value::as_str) == Some(name))
        {
            None => errs.push(FieldError::forbidden(
                path,
                format!("existing ephemeral containers {name:?} may not be removed\n"),
            )),
            Some(new_container) if new_container != old_container => {
                errs.push(FieldError::forbidden(
                    path,
                    format!("existing ephemeral containers {name:?} may not be changed\n"),
                ))
            }
            Some(_) => {}
        }
    }
    errs
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn binding() {
        let mut pod = json!({"metadata": {"name": "p"}, "spec": {"containers": []}, "status": {"phase": "Pending"}});
        let binding = json!({"metadata": {"annotations": {"a": "b"}}, "target": {"kind": "Node", "name": "n1"}});
        assert_eq!(bind_pod(&mut pod, &binding, "2024-01-01T00:00:00Z"), Ok(()));
        assert_eq!(pod["spec"]["nodeName"], "n1");
        assert_eq!(pod["metadata"]["annotations"], json!({"a": "b"}));
        assert_eq!(
            pod["status"]["conditions"],
            json!([{"type": "PodScheduled", "status": "True", "lastTransitionTime": "2024-01-01T00:00:00Z"}])
        );
        assert_eq!(
            bind_pod(&mut pod, &binding, "2024-01-01T00:00:01Z"),
            Err(BindError::Conflict(
                "pod p is already assigned to node \"n1\"".into()
            ))
        );
        let invalid = bind_pod(&mut json!({}), &json!({"target": {"kind": "Pod"}}), "");
        let Err(BindError::Invalid(errors)) = invalid else {
            panic!("expected invalid, got {invalid:?}")
        };
        let messages: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(
            messages,
            [
                "target.kind: Unsupported value: \"Pod\": supported values: \"Node\", \"<empty>\"",
                "target.name: Required value"
            ]
        );
    }

    #[test]
    fn ephemeral_containers() {
        let old = json!({"metadata": {"name": "p", "resourceVersion": "1"}, "spec": {"containers": [{"name": "c"}],
            "ephemeralContainers": [{"name": "debug", "image": "busybox"}]}});
        let mut new = json!({"metadata": {"name": "p", "resourceVersion": "1"}, "spec": {"containers": [{"name": "changed"}],
            "ephemeralContainers": [{"name": "debug", "image": "busybox"}, {"name": "d2", "image": "x", "ports": [{"containerPort": 80}]}]}});
        prepare_for_ephemeral_containers_update(&mut new, &old);
        assert_eq!(new["spec"]["containers"], json!([{"name": "c"}]));
        let messages: Vec<String> = validate_ephemeral_containers_update(&new, &old)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(messages, ["spec.ephemeralContainers[1].ports: Forbidden: cannot be set for an Ephemeral Container"]);
        let removed = json!({"spec": {"ephemeralContainers": []}});
        let messages: Vec<String> = validate_ephemeral_containers_update(&removed, &old)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(messages, ["spec.ephemeralContainers: Forbidden: existing ephemeral containers \"debug\" may not be removed\n"]);
    }
}
