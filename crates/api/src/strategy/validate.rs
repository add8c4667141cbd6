//! Validation of objects on create and update: metadata for every kind, then
//! the rules of upstream's `ValidateX`/`ValidateXUpdate` for each kind
//! (`pkg/apis/*/validation/validation.go`), split by area into `validate/*.rs`.

use serde_json::Value;

use crate::validation::{validate_object_meta, validate_object_meta_update, FieldError, NameRule};
use crate::ResourceInfo;

mod config;
mod pod;
mod service;
mod workloads;

/// How upstream validates the names of `resource`'s objects.
pub(crate) fn name_rule(resource: &ResourceInfo) -> NameRule {
    match (resource.group, resource.kind) {
        ("", "Namespace") => NameRule::Dns1123Label,
        ("", "Service") => NameRule::Dns1035Label,
        ("rbac.authorization.k8s.io", _) => NameRule::PathSegment,
        _ => NameRule::Dns1123Subdomain,
    }
}

fn metadata(obj: &Value) -> &Value {
    obj.get("metadata").unwrap_or(&Value::Null)
}

pub(super) fn validate_create(resource: &ResourceInfo, obj: &Value) -> Vec<FieldError> {
    let mut errs = validate_object_meta(
        metadata(obj),
        resource.namespaced,
        name_rule(resource),
        "metadata",
    );
    errs.extend(validate_kind(resource, obj));
    errs
}

pub(super) fn validate_update(
    resource: &ResourceInfo,
    new: &Value,
    old: &Value,
) -> Vec<FieldError> {
    let mut errs = validate_object_meta_update(metadata(new), metadata(old), "metadata");
    match (resource.group, resource.kind) {
        // A pod's spec is checked against the old one instead.
        ("", "Pod") => errs.extend(pod::validate_pod_update(new, old)),
        _ => errs.extend(validate_kind(resource, new)),
    }
    errs.extend(validate_kind_update(resource, new, old));
    errs
}

/// The kind's own rules for an object, new or updated.
fn validate_kind(resource: &ResourceInfo, obj: &Value) -> Vec<FieldError> {
    match (resource.group, resource.kind) {
        ("", "Pod") => pod::validate_pod(obj),
        ("", "PodTemplate") => pod::validate_pod_template_object(obj),
        ("", "Service") => service::validate_service(obj),
        ("", "ConfigMap") => config::validate_config_map(obj),
        ("", "Secret") => config::validate_secret(obj),
        ("", "Namespace") => config::validate_namespace(obj),
        ("", "ReplicationController") => workloads::validate_replication_controller(obj),
        ("apps", "Deployment") => workloads::validate_deployment(obj),
        ("apps", "ReplicaSet") => workloads::validate_replica_set(obj),
        ("apps", "StatefulSet") => workloads::validate_stateful_set(obj),
        ("apps", "DaemonSet") => workloads::validate_daemon_set(obj),
        ("batch", "Job") => workloads::validate_job(obj),
        ("batch", "CronJob") => workloads::validate_cron_job(obj),
        ("policy", "PodDisruptionBudget") => workloads::validate_pod_disruption_budget(obj),
        ("autoscaling", _) => workloads::validate_horizontal_pod_autoscaler(obj),
        _ => Vec::new(),
    }
}

/// The kind's rules about what an update may change.
fn validate_kind_update(resource: &ResourceInfo, new: &Value, old: &Value) -> Vec<FieldError> {
    match (resource.group, resource.kind) {
        ("", "Service") => service::validate_service_update(new, old),
        ("", "ConfigMap") | ("", "Secret") => {
            config::validate_immutable_data(resource.kind, new, old)
        }
        ("apps", "Deployment") | ("apps", "ReplicaSet") | ("apps", "DaemonSet") => {
            workloads::validate_selector_immutable(new, old)
        }
        ("apps", "StatefulSet") => workloads::validate_stateful_set_update(new, old),
        ("batch", "Job") => workloads::validate_job_update(new, old),
        _ => Vec::new(),
    }
}
