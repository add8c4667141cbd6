//! Preparing objects for storage on create, update and status update, as the
//! `PrepareForCreate`/`PrepareForUpdate` of upstream's registry strategies
//! (`pkg/registry/*/*/strategy.go`): what status a new object starts with, what
//! an update may not change, and when `metadata.generation` moves.

use serde_json::{json, Map, Value};

use super::json::{each_object, object, str_of};
use super::quantity::Quantity;
use crate::resource::Subresource;
use crate::ResourceInfo;

/// Kinds whose strategy sets `metadata.generation` (to 1 on create, then +1 on
/// each change of what [`generation_source`] covers).
const GENERATION_KINDS: &[(&str, &str)] = &[
    ("", "ReplicationController"),
    ("", "PodTemplate"),
    ("apps", "Deployment"),
    ("apps", "ReplicaSet"),
    ("apps", "StatefulSet"),
    ("apps", "DaemonSet"),
    ("batch", "Job"),
    ("batch", "CronJob"),
    ("networking.k8s.io", "Ingress"),
    ("networking.k8s.io", "IngressClass"),
    ("networking.k8s.io", "NetworkPolicy"),
    ("policy", "PodDisruptionBudget"),
];

/// The annotation apps/v1 DaemonSets carry their template generation in.
const DAEMONSET_TEMPLATE_GENERATION: &str = "deprecated.daemonset.template.generation";

/// True for a resource this crate has no type for (a custom resource), which
/// gets the generic strategy of custom resources.
fn is_custom(resource: &ResourceInfo) -> bool {
    !super::types::is_builtin(resource)
}

fn uses_generation(resource: &ResourceInfo) -> bool {
    is_custom(resource)
        || GENERATION_KINDS
            .iter()
            .any(|(group, kind)| *group == resource.group && *kind == resource.kind)
}

pub(super) fn prepare_for_create(resource: &ResourceInfo, obj: &mut Value) {
    let Value::Object(root) = obj else {
        return;
    };
    {
        let metadata = object(root, "metadata");
        metadata.remove("deletionTimestamp");
        metadata.remove("deletionGracePeriodSeconds");
        // Upstream clears the namespace of cluster-scoped objects
        // (`EnsureObjectNamespaceMatchesRequestNamespace`).
        if !resource.namespaced {
            metadata.remove("namespace");
        }
        if uses_generation(resource) {
            metadata.insert("generation".into(), 1.into());
        } else {
            metadata.remove("generation");
        }
    }
    let has_status = resource.has_subresource(Subresource::Status);
    match (resource.group, resource.kind) {
        ("", "Pod") => {
            let qos = pod_qos(root.get("spec"));
            let mut status = json!({"phase": "Pending", "qosClass": qos});
            let gated = root
                .get("spec")
                .and_then(|s| s.get("schedulingGates"))
                .and_then(Value::as_array)
                .is_some_and(|g| !g.is_empty());
            if gated {
                status["conditions"] = json!([{
                    "type": "PodScheduled",
                    "status": "False",
                    "reason": "SchedulingGated",
                    "message": "Scheduling is blocked due to non-empty scheduling gates",
                }]);
            }
            root.insert("status".into(), status);
        }
        // Kubelets register nodes with their status.
        ("", "Node") => {}
        ("apiextensions.k8s.io", "CustomResourceDefinition") => {
            super::crd::set_status(root, None, &super::crd::now());
        }
        ("", "Namespace") => {
            object(root, "spec").insert("finalizers".into(), json!(["kubernetes"]));
            root.insert("status".into(), json!({"phase": "Active"}));
            namespace_name_label(root);
        }
        ("", "PersistentVolume") => {
            root.insert("status".into(), json!({"phase": "Pending"}));
        }
        ("", "PersistentVolumeClaim") => {
            root.insert("status".into(), json!({"phase": "Pending"}));
        }
        ("apps", "DaemonSet") => {
            root.insert("status".into(), empty_status(resource));
            let metadata = object(root, "metadata");
            let annotations = object(metadata, "annotations");
            let current = annotations
                .get(DAEMONSET_TEMPLATE_GENERATION)
                .and_then(Value::as_str)
                .and_then(|g| g.parse::<i64>().ok())
                .unwrap_or(0);
            if current < 1 {
                annotations.insert(DAEMONSET_TEMPLATE_GENERATION.into(), "1".into());
            }
        }
        ("batch", "Job") => {
            root.insert("status".into(), empty_status(resource));
            generate_job_selector(root);
        }
        _ if has_status => {
            root.insert("status".into(), empty_status(resource));
        }
        _ => {}
    }
}

/// The status a new object starts with: Go's zero status, with the fields Go
/// always writes (the counters without `omitempty`).
fn empty_status(resource: &ResourceInfo) -> Value {
    match (resource.group, resource.version, resource.kind) {
        ("", _, "Service") | ("networking.k8s.io", _, "Ingress") => json!({"loadBalancer": {}}),
        ("", _, "ReplicationController") | ("apps", _, "ReplicaSet" | "StatefulSet") => {
            json!({"replicas": 0})
        }
        ("apps", _, "DaemonSet") => json!({
            "currentNumberScheduled": 0,
            "numberMisscheduled": 0,
            "desiredNumberScheduled": 0,
            "numberReady": 0,
        }),
        ("policy", _, "PodDisruptionBudget") => json!({
            "disruptionsAllowed": 0,
            "currentHealthy": 0,
            "desiredHealthy": 0,
            "expectedPods": 0,
        }),
        ("autoscaling", "v1", _) => json!({"currentReplicas": 0, "desiredReplicas": 0}),
        ("autoscaling", _, _) => json!({"desiredReplicas": 0}),
        _ => Value::Object(Map::new()),
    }
}

pub(super) fn prepare_for_update(resource: &ResourceInfo, new: &mut Value, old: &Value) {
    let Value::Object(root) = new else {
        return;
    };
    // Clients cannot set the generation; it is the old one unless bumped below.
    let old_generation = old.pointer("/metadata/generation").cloned();
    {
        let metadata = object(root, "metadata");
        if !resource.namespaced {
            metadata.remove("namespace");
        }
        match &old_generation {
            Some(generation) => metadata.insert("generation".into(), generation.clone()),
            None => metadata.remove("generation"),
        };
    }
    if resource.has_subresource(Subresource::Status) {
        match old.get("status") {
            Some(status) => root.insert("status".into(), status.clone()),
            None => root.remove("status"),
        };
    }
    match (resource.group, resource.kind) {
        ("", "Service") => keep_allocated_service_values(root, old),
        ("apiextensions.k8s.io", "CustomResourceDefinition") => {
            super::crd::set_status(root, Some(old), &super::crd::now());
        }
        ("", "Namespace") => {
            let old_finalizers = old.pointer("/spec/finalizers").cloned();
            let spec = object(root, "spec");
            match old_finalizers {
                Some(finalizers) => spec.insert("finalizers".into(), finalizers),
                None => spec.remove("finalizers"),
            };
            namespace_name_label(root);
        }
        ("apps", "DaemonSet") => {
            let template_changed =
                root.get("spec").and_then(|s| s.get("template")) != old.pointer("/spec/template");
            let old_generation = old
                .pointer("/metadata/annotations")
                .and_then(|a| a.get(DAEMONSET_TEMPLATE_GENERATION))
                .cloned();
            let metadata = object(root, "metadata");
            let annotations = object(metadata, "annotations");
            match old_generation {
                Some(generation) => {
                    let bumped = if template_changed {
                        let n = generation
                            .as_str()
                            .and_then(|g| g.parse::<i64>().ok())
                            .unwrap_or(0);
                        Value::String((n + 1).to_string())
                    } else {
                        generation
                    };
                    annotations.insert(DAEMONSET_TEMPLATE_GENERATION.into(), bumped);
                }
                None => {
                    annotations.remove(DAEMONSET_TEMPLATE_GENERATION);
                }
            }
            if annotations.is_empty() {
                metadata.remove("annotations");
            }
        }
        _ => {}
    }
    if uses_generation(resource) {
        let new_value = Value::Object(root.clone());
        if generation_source(resource, &new_value) != generation_source(resource, old) {
            let next = old_generation.and_then(|g| g.as_i64()).unwrap_or(0) + 1;
            object(root, "metadata").insert("generation".into(), next.into());
        }
    }
}

/// What a change of bumps the generation: the spec (the template of pod
/// templates), plus the annotations of Deployments, or for custom resources
/// everything but metadata and status.
fn generation_source(resource: &ResourceInfo, obj: &Value) -> Value {
    if is_custom(resource) {
        let mut rest = obj.as_object().cloned().unwrap_or_default();
        for key in ["metadata", "status", "apiVersion", "kind"] {
            rest.remove(key);
        }
        return Value::Object(rest);
    }
    match (resource.group, resource.kind) {
        ("", "PodTemplate") => obj.get("template").cloned().unwrap_or(Value::Null),
        ("apps", "Deployment") => json!([
            obj.get("spec").cloned().unwrap_or(Value::Null),
            obj.pointer("/metadata/annotations")
                .cloned()
                .unwrap_or(Value::Null),
        ]),
        _ => obj.get("spec").cloned().unwrap_or(Value::Null),
    }
}

/// Groups whose status strategies also keep labels, annotations and finalizers
/// (upstream's `ResetObjectMetaForStatus`).
const STATUS_RESETS_META: &[&str] = &[
    "apps",
    "batch",
    "autoscaling",
    "policy",
    "networking.k8s.io",
];

pub(super) fn prepare_for_status_update(resource: &ResourceInfo, new: &mut Value, old: &Value) {
    let Value::Object(root) = new else {
        return;
    };
    let Some(old_root) = old.as_object() else {
        return;
    };
    // Everything but metadata and status is the old object's.
    let keep: Vec<String> = root
        .keys()
        .filter(|k| !matches!(k.as_str(), "metadata" | "status" | "apiVersion" | "kind"))
        .cloned()
        .collect();
    for key in keep {
        root.remove(&key);
    }
    for (key, value) in old_root {
        if !matches!(key.as_str(), "metadata" | "status" | "apiVersion" | "kind") {
            root.insert(key.clone(), value.clone());
        }
    }
    let mut restored = vec![
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
        "generation",
        "uid",
        "creationTimestamp",
        "ownerReferences",
    ];
    if (resource.group, resource.kind) == ("apps", "Deployment") {
        // The deployment controller records the revision annotation through
        // the status subresource; only labels stay (upstream's strategy).
        restored.push("labels");
    } else if STATUS_RESETS_META.contains(&resource.group) {
        restored.extend(["labels", "annotations", "finalizers"]);
    }
    let old_metadata = old_root.get("metadata").and_then(Value::as_object);
    let metadata = object(root, "metadata");
    for key in restored {
        match old_metadata.and_then(|m| m.get(key)) {
            Some(value) => metadata.insert(key.to_string(), value.clone()),
            None => metadata.remove(key),
        };
    }
}

/// Upstream's service storage (`patchAllocatedValues`) keeps what it allocated
/// when an update leaves it out: cluster IPs, node ports, the health check port.
fn keep_allocated_service_values(root: &mut Map<String, Value>, old: &Value) {
    let Some(old_spec) = old.get("spec").and_then(Value::as_object) else {
        return;
    };
    let spec = object(root, "spec");
    let same_type = str_of(spec, "type") == str_of(old_spec, "type");
    if str_of(old_spec, "type") == "ExternalName" || str_of(spec, "type") == "ExternalName" {
        return;
    }
    if super::json::unset_str(spec, "clusterIP") {
        if let Some(ip) = old_spec.get("clusterIP") {
            spec.insert("clusterIP".into(), ip.clone());
        }
    }
    if spec
        .get("clusterIPs")
        .and_then(Value::as_array)
        .is_none_or(Vec::is_empty)
    {
        if let Some(ips) = old_spec.get("clusterIPs") {
            spec.insert("clusterIPs".into(), ips.clone());
        }
    }
    if !same_type && str_of(spec, "type") == "ClusterIP" {
        drop_type_dependent_fields(spec, old_spec);
        return;
    }
    let old_ports: Vec<Value> = old_spec
        .get("ports")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for port in each_object(spec, "ports") {
        if port.get("nodePort").and_then(Value::as_i64).unwrap_or(0) != 0 {
            continue;
        }
        let matching = old_ports.iter().find(|old_port| {
            old_port.get("port") == port.get("port")
                && old_port.get("protocol") == port.get("protocol")
        });
        if let Some(node_port) = matching
            .and_then(|p| p.get("nodePort"))
            .filter(|n| !n.is_null())
        {
            port.insert("nodePort".into(), node_port.clone());
        }
    }
    if super::json::unset(spec, "healthCheckNodePort") {
        if let Some(port) = old_spec.get("healthCheckNodePort") {
            spec.insert("healthCheckNodePort".into(), port.clone());
        }
    }
}

/// Upstream's `dropTypeDependentFields`: a Service that stops being reachable
/// from outside loses the node ports, health check port and external traffic
/// policy it still carries unchanged from before.
fn drop_type_dependent_fields(spec: &mut Map<String, Value>, old_spec: &Map<String, Value>) {
    let has_external_ips = spec
        .get("externalIPs")
        .and_then(Value::as_array)
        .is_some_and(|ips| !ips.is_empty());
    if has_external_ips {
        return;
    }
    if spec.get("externalTrafficPolicy") == old_spec.get("externalTrafficPolicy") {
        spec.remove("externalTrafficPolicy");
    }
    if spec.get("healthCheckNodePort") == old_spec.get("healthCheckNodePort") {
        spec.remove("healthCheckNodePort");
    }
    let old_ports: Vec<Value> = old_spec
        .get("ports")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for port in each_object(spec, "ports") {
        let unchanged = old_ports.iter().any(|old_port| {
            old_port.get("port") == port.get("port")
                && old_port.get("nodePort") == port.get("nodePort")
        });
        if unchanged {
            port.remove("nodePort");
        }
    }
}

/// Upstream keeps `kubernetes.io/metadata.name` equal to the namespace's name.
fn namespace_name_label(root: &mut Map<String, Value>) {
    let metadata = object(root, "metadata");
    let name = str_of(metadata, "name").to_string();
    if !name.is_empty() {
        object(metadata, "labels").insert("kubernetes.io/metadata.name".into(), name.into());
    }
}

/// Upstream's `generateSelector` for Jobs without `manualSelector: true`: the
/// template gets `job-name` and `controller-uid` labels (legacy and prefixed),
/// and the selector matches the uid.
fn generate_job_selector(root: &mut Map<String, Value>) {
    let manual = root
        .get("spec")
        .and_then(|s| s.get("manualSelector"))
        .and_then(Value::as_bool)
        .unwrap_or(false);
    if manual {
        return;
    }
    let name = root
        .get("metadata")
        .map(|m| str_of_value(m, "name"))
        .unwrap_or_default();
    let uid = root
        .get("metadata")
        .map(|m| str_of_value(m, "uid"))
        .unwrap_or_default();
    let spec = object(root, "spec");
    {
        let template = object(spec, "template");
        let labels = object(object(template, "metadata"), "labels");
        for key in ["job-name", "batch.kubernetes.io/job-name"] {
            labels.entry(key).or_insert_with(|| name.clone().into());
        }
        for key in ["controller-uid", "batch.kubernetes.io/controller-uid"] {
            labels.entry(key).or_insert_with(|| uid.clone().into());
        }
    }
    let selector = object(spec, "selector");
    object(selector, "matchLabels")
        .entry("batch.kubernetes.io/controller-uid")
        .or_insert_with(|| uid.into());
}

fn str_of_value(value: &Value, key: &str) -> String {
    value
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

/// Upstream's `GetPodQOS`: BestEffort without cpu/memory requests and limits,
/// Guaranteed when every container limits both and requests equal limits,
/// Burstable otherwise.
pub(super) fn pod_qos(spec: Option<&Value>) -> &'static str {
    let mut requests: Vec<(String, Quantity)> = Vec::new();
    let mut limits: Vec<(String, Quantity)> = Vec::new();
    let mut guaranteed = true;
    let add = |totals: &mut Vec<(String, Quantity)>, name: &str, q: Quantity| match totals
        .iter_mut()
        .find(|(n, _)| n == name)
    {
        Some((_, total)) => *total = *total + q,
        None => totals.push((name.to_string(), q)),
    };
    let Some(spec) = spec else {
        return "BestEffort";
    };
    for key in ["containers", "initContainers"] {
        let containers = spec.get(key).and_then(Value::as_array);
        for container in containers.into_iter().flatten() {
            let resources = container.get("resources");
            let positive = |kind: &str| -> Vec<(String, Quantity)> {
                resources
                    .and_then(|r| r.get(kind))
                    .and_then(Value::as_object)
                    .into_iter()
                    .flatten()
                    .filter(|(name, _)| *name == "cpu" || *name == "memory")
                    .filter_map(|(name, q)| Some((name.clone(), Quantity::parse(q.as_str()?)?)))
                    .filter(|(_, q)| q.0 > 0)
                    .collect()
            };
            for (name, q) in positive("requests") {
                add(&mut requests, &name, q);
            }
            let found = positive("limits");
            for (name, q) in &found {
                add(&mut limits, name, *q);
            }
            let has = |n: &str| found.iter().any(|(name, _)| name == n);
            if !(has("cpu") && has("memory")) {
                guaranteed = false;
            }
        }
    }
    if requests.is_empty() && limits.is_empty() {
        return "BestEffort";
    }
    if guaranteed {
        guaranteed = requests.iter().all(|(name, request)| {
            limits
                .iter()
                .any(|(n, limit)| n == name && limit == request)
        });
    }
    if guaranteed && requests.len() == limits.len() {
        "Guaranteed"
    } else {
        "Burstable"
    }
}
