//! Upstream's defaults (the `SetDefaults_*` functions of `pkg/apis/*/v1/defaults.go`),
//! applied to decoded objects. Pods and pod templates are in `defaults/pod.rs`.

use serde_json::{json, Map, Value};

use super::json::{default_str, default_value, each_object, object, object_opt, str_of, unset};
use crate::ResourceInfo;

mod pod;

pub(crate) use pod::{default_pod, default_template};

/// Applies the defaults of `resource`'s kind to `obj`.
pub(super) fn default(resource: &ResourceInfo, obj: &mut Value) {
    let Value::Object(root) = obj else {
        return;
    };
    match (resource.group, resource.kind) {
        ("", "Pod") => default_pod(root),
        ("apiextensions.k8s.io", "CustomResourceDefinition") => super::crd::default(root),
        ("", "PodTemplate") => {
            if let Some(template) = object_opt(root, "template") {
                default_template(template);
            }
        }
        ("", "ReplicationController") => replication_controller(root),
        ("", "Service") => service(root),
        ("", "Secret") => secret(root),
        ("", "Namespace") => namespace(root),
        ("", "Node") => node(root),
        ("", "Endpoints") => {
            for subset in each_object(root, "subsets") {
                for port in each_object(subset, "ports") {
                    default_str(port, "protocol", "TCP");
                }
            }
        }
        ("", "LimitRange") => limit_range(root),
        ("", "PersistentVolume") => {
            default_str(object(root, "status"), "phase", "Pending");
            let spec = object(root, "spec");
            default_str(spec, "persistentVolumeReclaimPolicy", "Retain");
            default_str(spec, "volumeMode", "Filesystem");
        }
        ("", "PersistentVolumeClaim") => {
            default_str(object(root, "status"), "phase", "Pending");
            default_str(object(root, "spec"), "volumeMode", "Filesystem");
        }
        ("apps", "Deployment") => deployment(root),
        ("apps", "ReplicaSet") => {
            let spec = object(root, "spec");
            default_value(spec, "replicas", 1);
            template_of(spec);
        }
        ("apps", "StatefulSet") => stateful_set(root),
        ("apps", "DaemonSet") => daemon_set(root),
        ("batch", "Job") => job(root),
        ("batch", "CronJob") => cron_job(root),
        ("autoscaling", _) => horizontal_pod_autoscaler(resource.version, root),
        ("networking.k8s.io", "NetworkPolicy") => network_policy(root),
        ("rbac.authorization.k8s.io", "RoleBinding" | "ClusterRoleBinding") => role_binding(root),
        ("storage.k8s.io", "StorageClass") => {
            default_str(root, "reclaimPolicy", "Delete");
            default_str(root, "volumeBindingMode", "Immediate");
        }
        ("scheduling.k8s.io", "PriorityClass") => {
            default_str(root, "preemptionPolicy", "PreemptLowerPriority");
        }
        ("discovery.k8s.io", "EndpointSlice") => {
            for port in each_object(root, "ports") {
                default_value(port, "name", "");
                default_str(port, "protocol", "TCP");
            }
        }
        _ => {}
    }
}

/// Defaults the pod template at `spec.template`, if any.
fn template_of(spec: &mut Map<String, Value>) {
    if let Some(template) = object_opt(spec, "template") {
        default_template(template);
    }
}

fn replication_controller(root: &mut Map<String, Value>) {
    let template_labels = root
        .pointer_labels(&["spec", "template", "metadata", "labels"])
        .filter(|l| !l.is_empty());
    let spec = object(root, "spec");
    if let Some(labels) = &template_labels {
        if spec
            .get("selector")
            .and_then(Value::as_object)
            .is_none_or(Map::is_empty)
        {
            spec.insert("selector".into(), Value::Object(labels.clone()));
        }
    }
    default_value(spec, "replicas", 1);
    template_of(spec);
    if let Some(labels) = template_labels {
        let metadata = object(root, "metadata");
        if metadata
            .get("labels")
            .and_then(Value::as_object)
            .is_none_or(Map::is_empty)
        {
            metadata.insert("labels".into(), Value::Object(labels));
        }
    }
}

/// Reads a nested object by keys.
trait PointerLabels {
    fn pointer_labels(&self, path: &[&str]) -> Option<Map<String, Value>>;
}

impl PointerLabels for Map<String, Value> {
    fn pointer_labels(&self, path: &[&str]) -> Option<Map<String, Value>> {
        let (first, rest) = path.split_first()?;
        let mut value = self.get(*first)?;
        for key in rest {
            value = value.get(key)?;
        }
        value.as_object().cloned()
    }
}

fn service(root: &mut Map<String, Value>) {
    let spec = object(root, "spec");
    default_str(spec, "sessionAffinity", "None");
    if str_of(spec, "sessionAffinity") == "None" {
        spec.remove("sessionAffinityConfig");
    } else if str_of(spec, "sessionAffinity") == "ClientIP" {
        let has_timeout = spec
            .get("sessionAffinityConfig")
            .and_then(|c| c.pointer("/clientIP/timeoutSeconds"))
            .is_some_and(|t| !t.is_null());
        if !has_timeout {
            spec.insert(
                "sessionAffinityConfig".into(),
                json!({"clientIP": {"timeoutSeconds": 10800}}),
            );
        }
    }
    default_str(spec, "type", "ClusterIP");
    for port in each_object(spec, "ports") {
        default_str(port, "protocol", "TCP");
        let target_unset = match port.get("targetPort") {
            None | Some(Value::Null) => true,
            Some(Value::Number(n)) => n.as_i64() == Some(0),
            Some(Value::String(s)) => s.is_empty(),
            _ => false,
        };
        if target_unset {
            if let Some(number) = port.get("port").cloned() {
                port.insert("targetPort".into(), number);
            }
        }
    }
    let service_type = str_of(spec, "type").to_string();
    let has_external_ips = spec
        .get("externalIPs")
        .and_then(Value::as_array)
        .is_some_and(|ips| !ips.is_empty());
    let externally_accessible = service_type == "LoadBalancer"
        || service_type == "NodePort"
        || (service_type == "ClusterIP" && has_external_ips);
    if externally_accessible {
        default_str(spec, "externalTrafficPolicy", "Cluster");
    }
    if matches!(
        service_type.as_str(),
        "ClusterIP" | "NodePort" | "LoadBalancer"
    ) {
        default_value(spec, "internalTrafficPolicy", "Cluster");
        // Upstream's service REST sets the IP families when it allocates the
        // cluster IP; this single-stack IPv4 cluster's are always these.
        default_value(spec, "ipFamilyPolicy", "SingleStack");
        default_value(spec, "ipFamilies", json!(["IPv4"]));
        let cluster_ip = str_of(spec, "clusterIP").to_string();
        if !cluster_ip.is_empty() && unset(spec, "clusterIPs") {
            spec.insert("clusterIPs".into(), json!([cluster_ip]));
        }
    }
    if service_type == "LoadBalancer" {
        default_value(spec, "allocateLoadBalancerNodePorts", true);
    }
}

/// `stringData` is write-only: upstream's conversion merges it into `data`
/// (base64-encoded, overriding), and the type defaults to Opaque.
fn secret(root: &mut Map<String, Value>) {
    if let Some(Value::Object(string_data)) = root.remove("stringData") {
        let data = object(root, "data");
        for (key, value) in string_data {
            let text = value.as_str().unwrap_or_default();
            data.insert(key, Value::String(base64_encode(text.as_bytes())));
        }
    }
    default_str(root, "type", "Opaque");
}

/// Standard base64 with padding.
fn base64_encode(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn namespace(root: &mut Map<String, Value>) {
    let name = root
        .get("metadata")
        .and_then(|m| m.get("name"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    if !name.is_empty() {
        let metadata = object(root, "metadata");
        object(metadata, "labels").insert("kubernetes.io/metadata.name".into(), name.into());
    }
    default_str(object(root, "status"), "phase", "Active");
}

fn node(root: &mut Map<String, Value>) {
    let Some(status) = object_opt(root, "status") else {
        return;
    };
    if unset(status, "allocatable") {
        if let Some(capacity) = status.get("capacity").cloned() {
            status.insert("allocatable".into(), capacity);
        }
    }
}

fn limit_range(root: &mut Map<String, Value>) {
    let Some(spec) = object_opt(root, "spec") else {
        return;
    };
    for item in each_object(spec, "limits") {
        if str_of(item, "type") != "Container" {
            continue;
        }
        let resources = |item: &Map<String, Value>, key: &str| {
            item.get(key)
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default()
        };
        let mut default = resources(item, "default");
        for (name, quantity) in resources(item, "max") {
            default.entry(name).or_insert(quantity);
        }
        let mut default_request = resources(item, "defaultRequest");
        for (name, quantity) in default.iter().chain(resources(item, "min").iter()) {
            default_request
                .entry(name.clone())
                .or_insert(quantity.clone());
        }
        if !default.is_empty() {
            item.insert("default".into(), Value::Object(default));
        }
        if !default_request.is_empty() {
            item.insert("defaultRequest".into(), Value::Object(default_request));
        }
    }
}

fn deployment(root: &mut Map<String, Value>) {
    let spec = object(root, "spec");
    default_value(spec, "replicas", 1);
    let strategy = object(spec, "strategy");
    default_str(strategy, "type", "RollingUpdate");
    if str_of(strategy, "type") == "RollingUpdate" {
        let rolling = object(strategy, "rollingUpdate");
        default_value(rolling, "maxUnavailable", "25%");
        default_value(rolling, "maxSurge", "25%");
    }
    default_value(spec, "revisionHistoryLimit", 10);
    default_value(spec, "progressDeadlineSeconds", 600);
    template_of(spec);
}

fn stateful_set(root: &mut Map<String, Value>) {
    let spec = object(root, "spec");
    default_str(spec, "podManagementPolicy", "OrderedReady");
    let strategy = object(spec, "updateStrategy");
    if unset_or_empty_str(strategy, "type") {
        strategy.insert("type".into(), "RollingUpdate".into());
        default_value(strategy, "rollingUpdate", Value::Object(Map::new()));
    }
    if str_of(strategy, "type") == "RollingUpdate" {
        if let Some(rolling) = object_opt(strategy, "rollingUpdate") {
            default_value(rolling, "partition", 0);
        }
    }
    let retention = object(spec, "persistentVolumeClaimRetentionPolicy");
    default_str(retention, "whenDeleted", "Retain");
    default_str(retention, "whenScaled", "Retain");
    default_value(spec, "replicas", 1);
    default_value(spec, "revisionHistoryLimit", 10);
    template_of(spec);
    for claim in each_object(spec, "volumeClaimTemplates") {
        default_str(object(claim, "spec"), "volumeMode", "Filesystem");
        default_str(object(claim, "status"), "phase", "Pending");
    }
}

fn unset_or_empty_str(map: &Map<String, Value>, key: &str) -> bool {
    super::json::unset_str(map, key)
}

fn daemon_set(root: &mut Map<String, Value>) {
    let spec = object(root, "spec");
    let strategy = object(spec, "updateStrategy");
    default_str(strategy, "type", "RollingUpdate");
    if str_of(strategy, "type") == "RollingUpdate" {
        let rolling = object(strategy, "rollingUpdate");
        default_value(rolling, "maxUnavailable", 1);
        default_value(rolling, "maxSurge", 0);
    }
    default_value(spec, "revisionHistoryLimit", 10);
    template_of(spec);
}

fn job(root: &mut Map<String, Value>) {
    let spec = object(root, "spec");
    job_spec(spec);
    let template_labels = root
        .pointer_labels(&["spec", "template", "metadata", "labels"])
        .filter(|l| !l.is_empty());
    if let Some(labels) = template_labels {
        let metadata = object(root, "metadata");
        if metadata
            .get("labels")
            .and_then(Value::as_object)
            .is_none_or(Map::is_empty)
        {
            metadata.insert("labels".into(), Value::Object(labels));
        }
    }
}

/// The defaults of a Job's spec, also applied to a CronJob's job template.
fn job_spec(spec: &mut Map<String, Value>) {
    if unset(spec, "completions") && unset(spec, "parallelism") {
        spec.insert("completions".into(), 1.into());
        spec.insert("parallelism".into(), 1.into());
    }
    default_value(spec, "parallelism", 1);
    if unset(spec, "backoffLimit") {
        let limit = if unset(spec, "backoffLimitPerIndex") {
            6
        } else {
            i64::from(i32::MAX)
        };
        spec.insert("backoffLimit".into(), limit.into());
    }
    default_value(spec, "completionMode", "NonIndexed");
    default_value(spec, "suspend", false);
    if let Some(policy) = object_opt(spec, "podFailurePolicy") {
        for rule in each_object(policy, "rules") {
            for pattern in each_object(rule, "onPodConditions") {
                default_str(pattern, "status", "True");
            }
        }
    }
    if unset(spec, "podReplacementPolicy") {
        let policy = if unset(spec, "podFailurePolicy") {
            "TerminatingOrFailed"
        } else {
            "Failed"
        };
        spec.insert("podReplacementPolicy".into(), policy.into());
    }
    template_of(spec);
}

fn cron_job(root: &mut Map<String, Value>) {
    let spec = object(root, "spec");
    default_str(spec, "concurrencyPolicy", "Allow");
    default_value(spec, "suspend", false);
    default_value(spec, "successfulJobsHistoryLimit", 3);
    default_value(spec, "failedJobsHistoryLimit", 1);
    if let Some(job_spec_holder) = object_opt(spec, "jobTemplate") {
        if let Some(inner) = object_opt(job_spec_holder, "spec") {
            job_spec(inner);
        }
    }
}

fn horizontal_pod_autoscaler(version: &str, root: &mut Map<String, Value>) {
    let spec = object(root, "spec");
    default_value(spec, "minReplicas", 1);
    if version != "v2" {
        return;
    }
    if spec
        .get("metrics")
        .and_then(Value::as_array)
        .is_none_or(Vec::is_empty)
    {
        spec.insert(
            "metrics".into(),
            json!([{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}}}]),
        );
    }
    if let Some(behavior) = object_opt(spec, "behavior") {
        let scale_up = object(behavior, "scaleUp");
        default_value(scale_up, "stabilizationWindowSeconds", 0);
        default_str(scale_up, "selectPolicy", "Max");
        default_value(
            scale_up,
            "policies",
            json!([{"type": "Pods", "value": 4, "periodSeconds": 15}, {"type": "Percent", "value": 100, "periodSeconds": 15}]),
        );
        let scale_down = object(behavior, "scaleDown");
        default_value(scale_down, "stabilizationWindowSeconds", 300);
        default_str(scale_down, "selectPolicy", "Max");
        default_value(
            scale_down,
            "policies",
            json!([{"type": "Percent", "value": 100, "periodSeconds": 15}]),
        );
    }
}

fn network_policy(root: &mut Map<String, Value>) {
    let spec = object(root, "spec");
    for direction in ["ingress", "egress"] {
        for rule in each_object(spec, direction) {
            for port in each_object(rule, "ports") {
                default_str(port, "protocol", "TCP");
            }
        }
    }
    if spec
        .get("policyTypes")
        .and_then(Value::as_array)
        .is_none_or(Vec::is_empty)
    {
        let mut types = vec![Value::from("Ingress")];
        if spec
            .get("egress")
            .and_then(Value::as_array)
            .is_some_and(|e| !e.is_empty())
        {
            types.push("Egress".into());
        }
        spec.insert("policyTypes".into(), Value::Array(types));
    }
}

fn role_binding(root: &mut Map<String, Value>) {
    default_str(
        object(root, "roleRef"),
        "apiGroup",
        "rbac.authorization.k8s.io",
    );
    for subject in each_object(root, "subjects") {
        if super::json::unset_str(subject, "apiGroup") {
            // A ServiceAccount's group is the core group, which Go omits.
            if matches!(str_of(subject, "kind"), "User" | "Group") {
                subject.insert("apiGroup".into(), "rbac.authorization.k8s.io".into());
            }
        }
    }
}
