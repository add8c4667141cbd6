//! Field labels for field selectors: which `fieldSelector` labels each kind
//! supports and their values, as upstream's field label conversion functions and
//! the `GetAttrs`/`ToSelectableFields` of each registry strategy.

use serde_json::Value;

use crate::ResourceInfo;

/// The value of `label` on `obj`, or `Err(label)` if `resource` does not support it.
pub(super) fn field_label(
    resource: &ResourceInfo,
    obj: &Value,
    label: &str,
) -> Result<String, String> {
    match label {
        "metadata.name" => return Ok(text(obj, "/metadata/name")),
        "metadata.namespace" => return Ok(text(obj, "/metadata/namespace")),
        _ => {}
    }
    let unsupported = || Err(label.to_string());
    match (resource.group, resource.kind) {
        ("", "Pod") => pod_field(obj, label).map_or_else(unsupported, Ok),
        ("", "Event") => core_event_field(obj, label).map_or_else(unsupported, Ok),
        ("events.k8s.io", "Event") => {
            // The stored form is core/v1: read whichever shape the object is in.
            let Some(core_label) = events_label_to_core(label) else {
                return unsupported();
            };
            if obj.get("apiVersion").and_then(Value::as_str) == Some("v1") {
                core_event_field(obj, core_label).map_or_else(unsupported, Ok)
            } else {
                events_v1_field(obj, label).map_or_else(unsupported, Ok)
            }
        }
        ("", "Secret") if label == "type" => Ok(text(obj, "/type")),
        ("", "Namespace") if label == "status.phase" => Ok(text(obj, "/status/phase")),
        ("", "Node") if label == "spec.unschedulable" => Ok(boolean(obj, "/spec/unschedulable")),
        ("", "ReplicationController") | ("apps", "ReplicaSet") if label == "status.replicas" => {
            Ok(number(obj, "/status/replicas"))
        }
        ("batch", "Job") if label == "status.successful" => Ok(number(obj, "/status/succeeded")),
        ("", "Service") if label == "spec.clusterIP" => Ok(text(obj, "/spec/clusterIP")),
        ("", "Service") if label == "spec.type" => Ok(text(obj, "/spec/type")),
        _ => unsupported(),
    }
}

fn text(obj: &Value, pointer: &str) -> String {
    obj.pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

fn boolean(obj: &Value, pointer: &str) -> String {
    obj.pointer(pointer)
        .and_then(Value::as_bool)
        .unwrap_or(false)
        .to_string()
}

fn number(obj: &Value, pointer: &str) -> String {
    obj.pointer(pointer)
        .and_then(Value::as_i64)
        .unwrap_or(0)
        .to_string()
}

fn pod_field(obj: &Value, label: &str) -> Option<String> {
    Some(match label {
        // Old v1 clients send `spec.host`.
        "spec.nodeName" | "spec.host" => text(obj, "/spec/nodeName"),
        "spec.restartPolicy" => text(obj, "/spec/restartPolicy"),
        "spec.schedulerName" => text(obj, "/spec/schedulerName"),
        "spec.serviceAccountName" => text(obj, "/spec/serviceAccountName"),
        "spec.hostNetwork" => boolean(obj, "/spec/hostNetwork"),
        "status.phase" => text(obj, "/status/phase"),
        "status.podIP" | "status.podIPs" => {
            let first = obj.pointer("/status/podIPs/0/ip").and_then(Value::as_str);
            match first {
                Some(ip) => ip.to_string(),
                None => text(obj, "/status/podIP"),
            }
        }
        "status.nominatedNodeName" => text(obj, "/status/nominatedNodeName"),
        _ => return None,
    })
}

fn core_event_field(obj: &Value, label: &str) -> Option<String> {
    if let Some(field) = label.strip_prefix("involvedObject.") {
        return match field {
            "kind" | "namespace" | "name" | "uid" | "apiVersion" | "resourceVersion"
            | "fieldPath" => Some(text(obj, &format!("/involvedObject/{field}"))),
            _ => None,
        };
    }
    Some(match label {
        "reason" => text(obj, "/reason"),
        "reportingComponent" => text(obj, "/reportingComponent"),
        "source" => {
            let component = text(obj, "/source/component");
            if component.is_empty() {
                text(obj, "/reportingComponent")
            } else {
                component
            }
        }
        "type" => text(obj, "/type"),
        _ => return None,
    })
}

/// The core/v1 label an events.k8s.io/v1 label stands for.
fn events_label_to_core(label: &str) -> Option<&'static str> {
    Some(match label {
        "reason" => "reason",
        "regarding.kind" => "involvedObject.kind",
        "regarding.namespace" => "involvedObject.namespace",
        "regarding.name" => "involvedObject.name",
        "regarding.uid" => "involvedObject.uid",
        "regarding.apiVersion" => "involvedObject.apiVersion",
        "regarding.resourceVersion" => "involvedObject.resourceVersion",
        "regarding.fieldPath" => "involvedObject.fieldPath",
        "reportingController" => "reportingComponent",
        "type" => "type",
        _ => return None,
    })
}

fn events_v1_field(obj: &Value, label: &str) -> Option<String> {
    if let Some(field) = label.strip_prefix("regarding.") {
        return Some(text(obj, &format!("/regarding/{field}")));
    }
    Some(match label {
        "reason" => text(obj, "/reason"),
        "reportingController" => text(obj, "/reportingController"),
        "type" => text(obj, "/type"),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::resource::lookup;

    fn check(
        group: &str,
        version: &str,
        plural: &str,
        obj: Value,
        label: &str,
        expected: Result<&str, &str>,
    ) {
        let resource = lookup(group, version, plural).expect("resource");
        assert_eq!(
            field_label(resource, &obj, label),
            expected.map(str::to_string).map_err(str::to_string),
            "{plural} {label}"
        );
    }

    #[test]
    fn labels_per_kind() {
        let pod = json!({"metadata": {"name": "p", "namespace": "n"}, "spec": {"nodeName": "node1"}, "status": {"phase": "Running", "podIPs": [{"ip": "10.0.0.1"}]}});
        check("", "v1", "pods", pod.clone(), "metadata.name", Ok("p"));
        check("", "v1", "pods", pod.clone(), "metadata.namespace", Ok("n"));
        check("", "v1", "pods", pod.clone(), "spec.nodeName", Ok("node1"));
        check(
            "",
            "v1",
            "pods",
            pod.clone(),
            "spec.hostNetwork",
            Ok("false"),
        );
        check(
            "",
            "v1",
            "pods",
            pod.clone(),
            "status.podIP",
            Ok("10.0.0.1"),
        );
        check("", "v1", "pods", pod.clone(), "spec.restartPolicy", Ok(""));
        check(
            "",
            "v1",
            "pods",
            pod,
            "spec.containers",
            Err("spec.containers"),
        );
        check(
            "",
            "v1",
            "nodes",
            json!({}),
            "spec.unschedulable",
            Ok("false"),
        );
        check("", "v1", "nodes", json!({}), "metadata.namespace", Ok(""));
        check(
            "",
            "v1",
            "secrets",
            json!({"type": "Opaque"}),
            "type",
            Ok("Opaque"),
        );
        check("", "v1", "configmaps", json!({}), "type", Err("type"));
        check(
            "apps",
            "v1",
            "replicasets",
            json!({"status": {"replicas": 3}}),
            "status.replicas",
            Ok("3"),
        );
        check(
            "batch",
            "v1",
            "jobs",
            json!({}),
            "status.successful",
            Ok("0"),
        );
        check(
            "",
            "v1",
            "services",
            json!({"spec": {"type": "NodePort"}}),
            "spec.type",
            Ok("NodePort"),
        );
        let event = json!({"apiVersion": "v1", "involvedObject": {"kind": "Pod"}, "reportingComponent": "kubelet"});
        check(
            "",
            "v1",
            "events",
            event.clone(),
            "involvedObject.kind",
            Ok("Pod"),
        );
        check("", "v1", "events", event.clone(), "source", Ok("kubelet"));
        check(
            "events.k8s.io",
            "v1",
            "events",
            event,
            "regarding.kind",
            Ok("Pod"),
        );
        let event_v1 = json!({"apiVersion": "events.k8s.io/v1", "regarding": {"kind": "Node"}});
        check(
            "events.k8s.io",
            "v1",
            "events",
            event_v1.clone(),
            "regarding.kind",
            Ok("Node"),
        );
        check(
            "events.k8s.io",
            "v1",
            "events",
            event_v1,
            "involvedObject.kind",
            Err("involvedObject.kind"),
        );
    }
}
