//! Defaults of pods and pod templates (upstream `pkg/apis/core/v1/defaults.go`:
//! `SetDefaults_Pod`, `SetDefaults_PodSpec`, `SetDefaults_Container`, probes,
//! ports, volumes).

use serde_json::{Map, Value};

use crate::strategy::json::{default_str, default_value, each_object, object_opt, str_of, unset};

/// Defaults of a Pod object: its spec, plus what upstream defaults only on
/// Pods and not on templates (requests from limits, `enableServiceLinks`,
/// host ports under host networking).
pub(crate) fn default_pod(pod: &mut Map<String, Value>) {
    let Some(spec) = object_opt(pod, "spec") else {
        return;
    };
    default_pod_spec(spec);
    for key in ["containers", "initContainers"] {
        for container in each_object(spec, key) {
            requests_from_limits(container);
        }
    }
    default_value(spec, "enableServiceLinks", true);
    if spec.get("hostNetwork").and_then(Value::as_bool) == Some(true) {
        for key in ["containers", "initContainers"] {
            for container in each_object(spec, key) {
                for port in each_object(container, "ports") {
                    if port.get("hostPort").and_then(Value::as_i64).unwrap_or(0) == 0 {
                        if let Some(container_port) = port.get("containerPort").cloned() {
                            port.insert("hostPort".into(), container_port);
                        }
                    }
                }
            }
        }
    }
}

/// Defaults of a pod template (`spec.template` of workloads).
pub(crate) fn default_template(template: &mut Map<String, Value>) {
    if let Some(spec) = object_opt(template, "spec") {
        default_pod_spec(spec);
    }
}

/// `SetDefaults_PodSpec` and everything nested in a pod spec.
pub(crate) fn default_pod_spec(spec: &mut Map<String, Value>) {
    default_str(spec, "dnsPolicy", "ClusterFirst");
    default_str(spec, "restartPolicy", "Always");
    default_value(spec, "securityContext", Value::Object(Map::new()));
    default_value(spec, "terminationGracePeriodSeconds", 30);
    default_str(spec, "schedulerName", "default-scheduler");
    for key in ["containers", "initContainers", "ephemeralContainers"] {
        for container in each_object(spec, key) {
            default_container(container);
        }
    }
    for volume in each_object(spec, "volumes") {
        default_volume(volume);
    }
}

/// `SetDefaults_Container` with its ports, probes and env.
fn default_container(container: &mut Map<String, Value>) {
    if unset_or_empty(container, "imagePullPolicy") {
        let policy = if image_tag(str_of(container, "image")) == "latest" {
            "Always"
        } else {
            "IfNotPresent"
        };
        container.insert("imagePullPolicy".into(), policy.into());
    }
    default_str(container, "terminationMessagePath", "/dev/termination-log");
    default_str(container, "terminationMessagePolicy", "File");
    for port in each_object(container, "ports") {
        default_str(port, "protocol", "TCP");
    }
    for probe in ["livenessProbe", "readinessProbe", "startupProbe"] {
        if let Some(probe) = object_opt(container, probe) {
            default_probe(probe);
        }
    }
    if let Some(lifecycle) = object_opt(container, "lifecycle") {
        for hook in ["postStart", "preStop"] {
            if let Some(http) = object_opt(lifecycle, hook).and_then(|h| object_opt(h, "httpGet")) {
                default_http_get(http);
            }
        }
    }
    for env in each_object(container, "env") {
        if let Some(field_ref) =
            object_opt(env, "valueFrom").and_then(|v| object_opt(v, "fieldRef"))
        {
            default_str(field_ref, "apiVersion", "v1");
        }
    }
}

fn unset_or_empty(map: &Map<String, Value>, key: &str) -> bool {
    crate::strategy::json::unset_str(map, key)
}

/// The tag of an image reference as upstream's `ParseImageName` sees it:
/// `latest` when there is neither tag nor digest.
fn image_tag(image: &str) -> &str {
    let (name, has_digest) = match image.split_once('@') {
        Some((name, _)) => (name, true),
        None => (image, false),
    };
    // A tag follows the last ':' after the last '/' (a ':' before it is a port).
    let last_segment = name.rsplit('/').next().unwrap_or(name);
    match last_segment.rsplit_once(':') {
        Some((_, tag)) => tag,
        None if has_digest => "",
        None => "latest",
    }
}

fn default_probe(probe: &mut Map<String, Value>) {
    default_value(probe, "timeoutSeconds", 1);
    default_value(probe, "periodSeconds", 10);
    default_value(probe, "successThreshold", 1);
    default_value(probe, "failureThreshold", 3);
    if let Some(http) = object_opt(probe, "httpGet") {
        default_http_get(http);
    }
    if let Some(grpc) = object_opt(probe, "grpc") {
        default_value(grpc, "service", "");
    }
}

fn default_http_get(http: &mut Map<String, Value>) {
    default_str(http, "path", "/");
    default_str(http, "scheme", "HTTP");
}

/// Volume sources upstream defaults a file mode for (0644).
const MODE_DEFAULTED_SOURCES: &[&str] = &["secret", "configMap", "downwardAPI", "projected"];

fn default_volume(volume: &mut Map<String, Value>) {
    let has_source = volume.iter().any(|(k, v)| k != "name" && !v.is_null());
    if !has_source {
        volume.insert("emptyDir".into(), Value::Object(Map::new()));
    }
    for source in MODE_DEFAULTED_SOURCES {
        if let Some(source) = object_opt(volume, source) {
            default_value(source, "defaultMode", 420);
        }
    }
    if let Some(host_path) = object_opt(volume, "hostPath") {
        default_value(host_path, "type", "");
    }
    if let Some(projected) = object_opt(volume, "projected") {
        for source in each_object(projected, "sources") {
            if let Some(token) = object_opt(source, "serviceAccountToken") {
                default_value(token, "expirationSeconds", 3600);
            }
        }
    }
    for field_ref_holder in ["downwardAPI"] {
        if let Some(source) = object_opt(volume, field_ref_holder) {
            for item in each_object(source, "items") {
                if let Some(field_ref) = object_opt(item, "fieldRef") {
                    default_str(field_ref, "apiVersion", "v1");
                }
            }
        }
    }
    if let Some(iscsi) = object_opt(volume, "iscsi") {
        default_str(iscsi, "iscsiInterface", "default");
    }
    if let Some(rbd) = object_opt(volume, "rbd") {
        default_str(rbd, "pool", "rbd");
        default_str(rbd, "user", "admin");
        default_str(rbd, "keyring", "/etc/ceph/keyring");
    }
    if let Some(azure) = object_opt(volume, "azureDisk") {
        default_str(azure, "cachingMode", "ReadWrite");
        default_str(azure, "fsType", "ext4");
        default_value(azure, "readOnly", false);
        default_str(azure, "kind", "Shared");
    }
}

/// Requests default to limits for resources that only have a limit.
fn requests_from_limits(container: &mut Map<String, Value>) {
    let Some(resources) = object_opt(container, "resources") else {
        return;
    };
    let Some(limits) = resources.get("limits").and_then(Value::as_object).cloned() else {
        return;
    };
    if limits.is_empty() {
        return;
    }
    if unset(resources, "requests") {
        resources.insert("requests".into(), Value::Object(Map::new()));
    }
    if let Some(requests) = object_opt(resources, "requests") {
        for (name, quantity) in limits {
            requests.entry(name).or_insert(quantity);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::image_tag;

    #[test]
    fn image_tags() {
        for (image, tag) in [
            ("nginx", "latest"),
            ("nginx:1.25", "1.25"),
            ("nginx:latest", "latest"),
            ("localhost:5000/nginx", "latest"),
            ("localhost:5000/nginx:v1", "v1"),
            ("nginx@sha256:abc", ""),
            ("nginx:v1@sha256:abc", "v1"),
        ] {
            assert_eq!(image_tag(image), tag, "{image}");
        }
    }
}
