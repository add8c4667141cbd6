//! Validation of objects on create and update: metadata for every kind, then
//! the rules of upstream's `ValidateX`/`ValidateXUpdate` for each kind
//! (`pkg/apis/*/validation/validation.go`), split by area into `validate/*.rs`.

use serde_json::Value;

use crate::validation::{validate_object_meta, validate_object_meta_update, FieldError, NameRule};
use crate::ResourceInfo;

mod access;
mod apps;
mod batch;
mod config;
mod container;
mod controller;
mod network;
mod pod;
mod policy;
mod service;
mod storage;

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
    let mut errs = if (resource.group, resource.kind) == ("", "Event") {
        // Upstream validates core/v1 events leniently, for old clients: only
        // the name is required and the namespace checked.
        legacy_event_meta(obj)
    } else {
        validate_object_meta(
            metadata(obj),
            resource.namespaced,
            name_rule(resource),
            "metadata",
        )
    };
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

fn legacy_event_meta(obj: &Value) -> Vec<FieldError> {
    let meta = metadata(obj);
    let mut errs = Vec::new();
    if meta
        .get("name")
        .and_then(Value::as_str)
        .is_none_or(str::is_empty)
    {
        errs.push(FieldError::required(
            "metadata.name",
            "name or generateName is required",
        ));
    }
    let namespace = meta
        .get("namespace")
        .and_then(Value::as_str)
        .unwrap_or_default();
    for message in crate::validation::is_dns1123_subdomain(namespace) {
        errs.push(FieldError::invalid(
            "metadata.namespace",
            namespace,
            message,
        ));
    }
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
        ("", "ReplicationController") => apps::validate_replication_controller(obj),
        ("apps", "Deployment") => apps::validate_deployment(obj),
        ("apps", "ReplicaSet") => apps::validate_replica_set(obj),
        ("apps", "StatefulSet") => apps::validate_stateful_set(obj),
        ("apps", "DaemonSet") => apps::validate_daemon_set(obj),
        ("batch", "Job") => batch::validate_job(obj),
        ("batch", "CronJob") => batch::validate_cron_job(obj),
        ("policy", "PodDisruptionBudget") => policy::validate_pod_disruption_budget(obj),
        ("autoscaling", _) => policy::validate_horizontal_pod_autoscaler(obj),
        ("rbac.authorization.k8s.io", "Role") => access::validate_role(obj, true),
        ("rbac.authorization.k8s.io", "ClusterRole") => access::validate_role(obj, false),
        ("rbac.authorization.k8s.io", "RoleBinding") => access::validate_role_binding(obj, true),
        ("rbac.authorization.k8s.io", "ClusterRoleBinding") => {
            access::validate_role_binding(obj, false)
        }
        ("scheduling.k8s.io", "PriorityClass") => access::validate_priority_class(obj),
        ("storage.k8s.io", "StorageClass") => access::validate_storage_class(obj),
        ("networking.k8s.io", "Ingress") => network::validate_ingress(obj),
        ("networking.k8s.io", "IngressClass") => network::validate_ingress_class(obj),
        ("networking.k8s.io", "NetworkPolicy") => network::validate_network_policy(obj),
        ("", "Endpoints") => network::validate_endpoints(obj),
        ("discovery.k8s.io", "EndpointSlice") => network::validate_endpoint_slice(obj),
        ("", "PersistentVolumeClaim") => storage::validate_persistent_volume_claim(obj),
        ("", "PersistentVolume") => storage::validate_persistent_volume(obj),
        ("", "Node") => storage::validate_node(obj),
        ("", "Event") => storage::validate_event(obj),
        ("events.k8s.io", "Event") => storage::validate_events_v1_event(obj),
        ("", "ResourceQuota") | ("", "LimitRange") => storage::validate_quantities(obj),
        ("apiextensions.k8s.io", "CustomResourceDefinition") => super::crd::validate(obj),
        _ => match crate::resource::custom::version_of(resource).and_then(|v| v.schema.clone()) {
            Some(schema) => crate::schema::validate(&schema, obj),
            None => Vec::new(),
        },
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
            apps::validate_selector_immutable(new, old)
        }
        ("apps", "StatefulSet") => apps::validate_stateful_set_update(new, old),
        ("batch", "Job") => batch::validate_job_update(new, old),
        ("rbac.authorization.k8s.io", "RoleBinding" | "ClusterRoleBinding") => {
            access::validate_role_binding_update(new, old)
        }
        ("scheduling.k8s.io", "PriorityClass") => access::validate_priority_class_update(new, old),
        ("storage.k8s.io", "StorageClass") => access::validate_storage_class_update(new, old),
        ("networking.k8s.io", "IngressClass") => crate::validation::validate_immutable(
            new.pointer("/spec/controller"),
            old.pointer("/spec/controller"),
            "spec.controller",
        ),
        ("", "PersistentVolumeClaim") => storage::validate_persistent_volume_claim_update(new, old),
        ("", "PersistentVolume") => storage::validate_persistent_volume_update(new, old),
        ("", "Node") => storage::validate_node_update(new, old),
        ("apiextensions.k8s.io", "CustomResourceDefinition") => {
            super::crd::validate_update(new, old)
        }
        _ => Vec::new(),
    }
}
